//! Schema migrations: each step runs once, in order, inside its own transaction, and
//! `PRAGMA user_version` records how far a ledger has come.

use anyhow::{bail, Context, Result};
use rusqlite::Connection;

/// Append only: a released step is never edited, a change is a new step.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, applications, documents, rows that were not applications.
    r#"
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        command TEXT NOT NULL,
        as_of TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        rows_read INTEGER NOT NULL,
        applications INTEGER NOT NULL,
        new_applications INTEGER NOT NULL,
        changed_statuses INTEGER NOT NULL,
        documents INTEGER NOT NULL,
        new_documents INTEGER NOT NULL,
        scans INTEGER NOT NULL,
        summary TEXT NOT NULL
    );
    CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        envelope_id TEXT NOT NULL,
        product TEXT NOT NULL,
        cert_type TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        data TEXT NOT NULL,
        batch TEXT NOT NULL,
        source TEXT NOT NULL,
        received_on TEXT NOT NULL,
        status TEXT NOT NULL,
        reasons TEXT NOT NULL,
        first_notice_on TEXT,
        first_run INTEGER NOT NULL REFERENCES runs(id),
        status_run INTEGER NOT NULL REFERENCES runs(id)
    );
    CREATE INDEX applications_envelope ON applications(envelope_id);
    CREATE INDEX applications_status ON applications(status);
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        owner_kind TEXT NOT NULL CHECK (owner_kind IN ('application', 'envelope')),
        owner_id TEXT NOT NULL,
        doc_type TEXT NOT NULL,
        file TEXT NOT NULL,
        issued_on TEXT NOT NULL,
        arrived_on TEXT NOT NULL,
        has_my_number INTEGER NOT NULL,
        mask_region TEXT,
        scan_status TEXT NOT NULL,
        sha256 TEXT,
        source TEXT NOT NULL,
        first_run INTEGER NOT NULL REFERENCES runs(id),
        UNIQUE (batch, owner_kind, owner_id, doc_type, file)
    );
    CREATE INDEX documents_owner ON documents(owner_kind, owner_id);
    CREATE TABLE rejected_rows (
        batch TEXT NOT NULL,
        source TEXT NOT NULL,
        raw_id TEXT NOT NULL,
        reasons TEXT NOT NULL,
        first_run INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (batch, source)
    );
    "#,
    // 2: where each scan's (masked) copy sits in the archive, and until when it is kept.
    r#"
    ALTER TABLE documents ADD COLUMN archive_sha256 TEXT;
    ALTER TABLE documents ADD COLUMN retain_until TEXT;
    "#,
    // 3: what reading a document found (a CSR's names and key), as JSON.
    r#"
    ALTER TABLE documents ADD COLUMN detail TEXT;
    "#,
    // 4: issuance. A serial is reserved before its key exists and becomes `issued` in the
    // transaction that records its files; a reservation a crash left behind is voided on the
    // next run. The partial unique index makes "one live certificate per application" a
    // property of the database, not of the code.
    r#"
    CREATE TABLE issuances (
        id INTEGER PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id),
        serial TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'issued', 'void')),
        batch TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        reserved_run INTEGER NOT NULL REFERENCES runs(id),
        issued_run INTEGER REFERENCES runs(id),
        subject TEXT,
        not_before TEXT,
        not_after TEXT,
        cert_sha256 TEXT,
        cert_pem TEXT,
        cert_file TEXT,
        p12_file TEXT,
        download_password_hash TEXT,
        download_expires TEXT,
        void_reason TEXT
    );
    CREATE UNIQUE INDEX issuances_one_live ON issuances(application_id) WHERE state IN ('reserved', 'issued');
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        application_id TEXT,
        serial TEXT,
        detail TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    ALTER TABLE applications ADD COLUMN paid_on TEXT;
    "#,
    // 5: payments. A credit's id is its bank identity, so a statement imported twice (or
    // an overlapping re-export) adds nothing; allocations say which fee each yen paid.
    r#"
    CREATE TABLE statements (
        sha256 TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        format TEXT NOT NULL,
        credits INTEGER NOT NULL,
        imported_run INTEGER NOT NULL REFERENCES runs(id)
    );
    CREATE TABLE credits (
        id TEXT PRIMARY KEY,
        source_format TEXT NOT NULL,
        account TEXT NOT NULL,
        date TEXT NOT NULL,
        amount INTEGER NOT NULL,
        payer_raw TEXT NOT NULL,
        payer_code TEXT,
        edi TEXT,
        origin TEXT NOT NULL,
        imported_run INTEGER NOT NULL REFERENCES runs(id),
        status TEXT NOT NULL DEFAULT 'unmatched',
        application_ids TEXT NOT NULL DEFAULT '',
        expected INTEGER NOT NULL DEFAULT 0,
        difference INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        manual INTEGER NOT NULL DEFAULT 0,
        decided_run INTEGER REFERENCES runs(id)
    );
    CREATE INDEX credits_status ON credits(status);
    CREATE TABLE fees (
        application_id TEXT PRIMARY KEY REFERENCES applications(id),
        product TEXT NOT NULL,
        company TEXT,
        price INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        extras INTEGER NOT NULL,
        due INTEGER NOT NULL,
        tolerance INTEGER NOT NULL,
        received INTEGER NOT NULL DEFAULT 0,
        model TEXT NOT NULL,
        invoice_issued_on TEXT,
        invoice_due_on TEXT
    );
    CREATE TABLE allocations (
        credit_id TEXT NOT NULL REFERENCES credits(id),
        application_id TEXT NOT NULL REFERENCES fees(application_id),
        amount INTEGER NOT NULL,
        PRIMARY KEY (credit_id, application_id)
    );
    CREATE TABLE payer_aliases (
        payer_key TEXT NOT NULL,
        application_id TEXT NOT NULL,
        learned_run INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (payer_key, application_id)
    );
    "#,
    // 6: notices the cron job sent, so each goes out once per certificate.
    r#"
    CREATE TABLE notices_sent (
        serial TEXT NOT NULL REFERENCES issuances(serial),
        kind TEXT NOT NULL,
        offset_days INTEGER NOT NULL,
        sent_on TEXT NOT NULL,
        PRIMARY KEY (serial, kind, offset_days)
    );
    "#,
];

/// Brings the ledger to the latest schema. A ledger newer than this program is refused,
/// so an old binary never writes into a schema it does not know.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        bail!("the ledger has schema version {current} but this certbatch knows only up to {latest}; use a newer certbatch");
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).with_context(|| format!("schema migration {} failed", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_once_and_record_the_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_newer_ledger_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(migrate(&mut conn).unwrap_err().to_string().contains("newer certbatch"));
    }
}
