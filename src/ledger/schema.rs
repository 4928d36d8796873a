//! Schema migrations: each step runs once, in order, inside its own transaction, and
//! `PRAGMA user_version` records how far a ledger has come.

use anyhow::{bail, Context, Result};
use rusqlite::{Connection, OptionalExtension};

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
    // 7: statuses as a state machine the database itself enforces (the same moves as
    // `Status::can_become`), payment statuses checked, holds on applications that wait for
    // staff, each batch's payment rows as that batch decided them (so a rerun writes the same
    // payments.csv), and the moment each batch first ran (dates in its mails and files).
    r#"
    CREATE TABLE applications_v7 (
        id TEXT PRIMARY KEY,
        envelope_id TEXT NOT NULL,
        product TEXT NOT NULL,
        cert_type TEXT NOT NULL,
        content_sha256 TEXT NOT NULL,
        data TEXT NOT NULL,
        batch TEXT NOT NULL,
        source TEXT NOT NULL,
        received_on TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('accepted', 'deficient', 'rejected', 'issued', 'refund_due', 'revoked')),
        reasons TEXT NOT NULL,
        first_notice_on TEXT,
        first_run INTEGER NOT NULL REFERENCES runs(id),
        status_run INTEGER NOT NULL REFERENCES runs(id),
        paid_on TEXT,
        hold_code TEXT,
        hold_detail TEXT,
        hold_sticky INTEGER NOT NULL DEFAULT 0 CHECK (hold_sticky IN (0, 1))
    );
    INSERT INTO applications_v7 (id, envelope_id, product, cert_type, content_sha256, data, batch, source, received_on,
                                 status, reasons, first_notice_on, first_run, status_run, paid_on)
        SELECT id, envelope_id, product, cert_type, content_sha256, data, batch, source, received_on,
               status, reasons, first_notice_on, first_run, status_run, paid_on FROM applications;
    DROP TABLE applications;
    ALTER TABLE applications_v7 RENAME TO applications;
    CREATE INDEX applications_envelope ON applications(envelope_id);
    CREATE INDEX applications_status ON applications(status);
    CREATE TRIGGER applications_status_moves BEFORE UPDATE OF status ON applications
    WHEN NEW.status <> OLD.status AND NOT (
        (OLD.status = 'accepted' AND NEW.status IN ('deficient', 'issued'))
        OR (OLD.status = 'deficient' AND NEW.status IN ('accepted', 'refund_due'))
        OR (OLD.status = 'issued' AND NEW.status = 'revoked'))
    BEGIN
        SELECT RAISE(ABORT, 'illegal application status change');
    END;

    CREATE TRIGGER issuances_state_moves BEFORE UPDATE OF state ON issuances
    WHEN NEW.state <> OLD.state AND NOT (OLD.state = 'reserved' AND NEW.state IN ('issued', 'void'))
    BEGIN
        SELECT RAISE(ABORT, 'illegal certificate state change');
    END;

    CREATE TABLE credits_v7 (
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
        status TEXT NOT NULL DEFAULT 'unmatched'
            CHECK (status IN ('matched', 'partial', 'overpaid', 'duplicate', 'ambiguous', 'unmatched')),
        application_ids TEXT NOT NULL DEFAULT '',
        expected INTEGER NOT NULL DEFAULT 0,
        difference INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        manual INTEGER NOT NULL DEFAULT 0,
        decided_run INTEGER REFERENCES runs(id)
    );
    INSERT INTO credits_v7 SELECT id, source_format, account, date, amount, payer_raw, payer_code, edi, origin,
        imported_run, status, application_ids, expected, difference, reason, manual, decided_run FROM credits;
    DROP TABLE credits;
    ALTER TABLE credits_v7 RENAME TO credits;
    CREATE INDEX credits_status ON credits(status);

    CREATE TABLE batch_payments (
        batch TEXT NOT NULL,
        credit_id TEXT NOT NULL REFERENCES credits(id),
        status TEXT NOT NULL
            CHECK (status IN ('matched', 'partial', 'overpaid', 'duplicate', 'ambiguous', 'unmatched')),
        application_ids TEXT NOT NULL,
        expected INTEGER NOT NULL,
        difference INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (batch, credit_id)
    );
    CREATE TABLE batches (
        name TEXT PRIMARY KEY,
        first_moment TEXT NOT NULL
    );
    "#,
    // 8: after issue (contract section 6). A certificate's receipt and revocation day sit on
    // its row, so what `daily` must look at is a range of one partial index, not the whole
    // ledger; revocation requests (scheduled or done), receipts as read, each CRL as signed,
    // and the day's journal of actions, from which a rerun writes the same files.
    r#"
    ALTER TABLE issuances ADD COLUMN receipt_on TEXT;
    ALTER TABLE issuances ADD COLUMN revoked_on TEXT;
    CREATE INDEX issuances_expiry ON issuances(substr(not_after, 1, 10)) WHERE state = 'issued' AND revoked_on IS NULL;
    CREATE INDEX issuances_awaiting_receipt ON issuances(substr(not_before, 1, 10))
        WHERE state = 'issued' AND receipt_on IS NULL AND revoked_on IS NULL;
    CREATE INDEX issuances_revoked ON issuances(substr(not_after, 1, 10)) WHERE revoked_on IS NOT NULL;
    CREATE TABLE revocations (
        serial TEXT PRIMARY KEY REFERENCES issuances(serial),
        application_id TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('key_compromise', 'affiliation_changed', 'superseded',
            'cessation_of_operation', 'privilege_withdrawn', 'no_receipt', 'non_payment', 'delivery_failed',
            'ca_compromise', 'unspecified')),
        requested_by TEXT NOT NULL CHECK (requested_by IN ('subscriber', 'organization', 'third_party', 'ca')),
        requested_on TEXT NOT NULL,
        invalidity_date TEXT,
        effective_on TEXT NOT NULL,
        revoked_at TEXT,
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX revocations_scheduled ON revocations(effective_on) WHERE revoked_at IS NULL;
    CREATE TABLE receipts (
        serial TEXT PRIMARY KEY REFERENCES issuances(serial),
        received_on TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('post', 'in_person', 'signed_mail')),
        source TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE crls (
        number INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        this_update TEXT NOT NULL,
        next_update TEXT NOT NULL,
        entries TEXT NOT NULL,
        der BLOB NOT NULL
    );
    CREATE TABLE day_actions (
        day TEXT NOT NULL,
        serial TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('expiry_notice', 'receipt_reminder', 'revoked', 'overdue_invoice',
            'refund', 'renewal_kit', 'crl')),
        application_id TEXT NOT NULL,
        detail TEXT NOT NULL,
        due_on TEXT NOT NULL,
        PRIMARY KEY (day, serial, action)
    );
    CREATE INDEX day_actions_serial ON day_actions(serial, action);
    CREATE INDEX fees_invoice_due ON fees(invoice_due_on) WHERE model = 'invoice' AND invoice_due_on IS NOT NULL;
    CREATE TRIGGER revocations_once BEFORE UPDATE OF revoked_at ON revocations
    WHEN OLD.revoked_at IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'a certificate is revoked once');
    END;
    "#,
    // 9: the audit log as a hash chain. The trigger links each new entry to the one before
    // it (the hash function is registered by the program, see ledger::audit); entries are
    // never changed or deleted once written. Rows from before this step are chained by the
    // program in the same transaction ([`AUDIT_CHAIN_STEP`]).
    r#"
    ALTER TABLE audit ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    CREATE TRIGGER audit_chain AFTER INSERT ON audit
    BEGIN
        UPDATE audit SET
            prev_hash = COALESCE((SELECT hash FROM audit WHERE id < NEW.id ORDER BY id DESC LIMIT 1), ''),
            hash = certbatch_audit_hash(
                COALESCE((SELECT hash FROM audit WHERE id < NEW.id ORDER BY id DESC LIMIT 1), ''),
                NEW.id, NEW.at, NEW.event, NEW.application_id, NEW.serial, NEW.detail)
        WHERE id = NEW.id;
    END;
    CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
    WHEN OLD.hash IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    DELETE FROM meta WHERE key = 'audit_exported';
    INSERT INTO meta (key, value) VALUES ('audit_log_restart', '1');
    "#,
    // 10: corrections before issue (contract section 2, `corrects`). The contents a
    // correction replaced are remembered by hash; the database refuses to change the
    // contents of an application that is closed or has a live certificate.
    r#"
    CREATE TABLE corrections (
        application_id TEXT NOT NULL REFERENCES applications(id),
        old_sha256 TEXT NOT NULL,
        new_sha256 TEXT NOT NULL,
        batch TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (application_id, old_sha256)
    );
    CREATE TRIGGER applications_corrected_only_while_open BEFORE UPDATE OF content_sha256 ON applications
    WHEN NEW.content_sha256 <> OLD.content_sha256 AND (OLD.status NOT IN ('accepted', 'deficient')
        OR EXISTS (SELECT 1 FROM issuances WHERE application_id = OLD.id AND state IN ('reserved', 'issued')))
    BEGIN
        SELECT RAISE(ABORT, 'an issued or closed application cannot be corrected');
    END;
    "#,
    // 11: refunds (contract section 6), one decision per application, made once; `listed`
    // is false where the product refunds nothing for the cause (decided, not owed).
    r#"
    CREATE TABLE refunds (
        application_id TEXT PRIMARY KEY REFERENCES applications(id),
        serial TEXT NOT NULL,
        reason TEXT NOT NULL,
        paid INTEGER NOT NULL CHECK (paid >= 0),
        refund INTEGER NOT NULL CHECK (refund >= 0 AND refund <= paid),
        basis TEXT NOT NULL,
        listed INTEGER NOT NULL CHECK (listed IN (0, 1)),
        due_on TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX refunds_due_on ON refunds(due_on);
    "#,
    // 12: registered-data changes without reissue (contract section 6, changes.csv), each
    // applied once; `source` names the row it came from, so a batch run again adds nothing.
    r#"
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id),
        serial TEXT NOT NULL REFERENCES issuances(serial),
        field TEXT NOT NULL CHECK (field IN ('email', 'phone', 'proxy_name', 'proxy_postal_code', 'proxy_address')),
        old_value TEXT,
        new_value TEXT,
        requested_on TEXT NOT NULL,
        source TEXT NOT NULL UNIQUE,
        batch TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );
    CREATE INDEX changes_batch ON changes(batch);
    "#,
    // 13: retention. The day a document's archived scan was purged (its hash stays).
    r#"
    ALTER TABLE documents ADD COLUMN purged_on TEXT;
    "#,
    // 14: renewals. The certificate a renewal replaced names its successor; it stays valid
    // to its end but gets no more expiry notices.
    r#"
    ALTER TABLE issuances ADD COLUMN renewed_by TEXT;
    "#,
    // 15: the day's folder a refund is listed in: the first `daily` (or revoking command) on
    // or after the day it fell due, so one decided by a `run` on a day without `daily` is
    // listed by the next one, once.
    r#"
    ALTER TABLE refunds ADD COLUMN daily_on TEXT;
    CREATE INDEX refunds_daily_on ON refunds(daily_on);
    "#,
    // 16: the key pool (`keys fill`). A key is sealed under the CA's key-encryption key and
    // moves once: ready → taken (by one reservation, in its transaction) → used (the
    // certificate is recorded) or destroyed (the attempt is voided). Its sealed bytes are
    // erased when it leaves `taken`; no row is ever deleted.
    r#"
    CREATE TABLE key_pool (
        id INTEGER PRIMARY KEY,
        bits INTEGER NOT NULL,
        kek_id TEXT NOT NULL,
        spki_sha256 TEXT NOT NULL UNIQUE,
        sealed BLOB,
        made_at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('ready', 'taken', 'used', 'destroyed')),
        serial TEXT UNIQUE REFERENCES issuances(serial),
        ended_at TEXT,
        ended_why TEXT,
        CHECK ((state IN ('ready', 'taken')) = (sealed IS NOT NULL)),
        CHECK ((state IN ('taken', 'used')) <= (serial IS NOT NULL))
    );
    CREATE INDEX key_pool_ready ON key_pool(bits, kek_id, id) WHERE state = 'ready';
    CREATE TRIGGER key_pool_never_deleted BEFORE DELETE ON key_pool
    BEGIN SELECT RAISE(ABORT, 'a pool key is never deleted: it is used or destroyed'); END;
    CREATE TRIGGER key_pool_moves_once BEFORE UPDATE ON key_pool
    WHEN NOT ((OLD.state = 'ready' AND NEW.state IN ('taken', 'destroyed'))
              OR (OLD.state = 'taken' AND NEW.state IN ('used', 'destroyed')))
      OR NEW.id IS NOT OLD.id OR NEW.bits IS NOT OLD.bits OR NEW.kek_id IS NOT OLD.kek_id
      OR NEW.spki_sha256 IS NOT OLD.spki_sha256 OR NEW.made_at IS NOT OLD.made_at
      OR (OLD.serial IS NOT NULL AND NEW.serial IS NOT OLD.serial)
      OR (NEW.sealed IS NOT NULL AND NEW.sealed IS NOT OLD.sealed)
    BEGIN SELECT RAISE(ABORT, 'a pool key moves once: ready, taken, then used or destroyed'); END;
    -- The issuance decides a taken key's end, whichever command records it.
    CREATE TRIGGER key_pool_ends AFTER UPDATE OF state ON issuances
    WHEN OLD.state = 'reserved' AND NEW.state IN ('issued', 'void')
    BEGIN
        UPDATE key_pool
        SET state = CASE NEW.state WHEN 'issued' THEN 'used' ELSE 'destroyed' END, sealed = NULL,
            ended_at = strftime('%Y-%m-%dT%H:%M:%S+09:00', 'now', '+9 hours'),
            ended_why = CASE NEW.state WHEN 'issued' THEN 'certificate issued' ELSE 'attempt voided' END
        WHERE serial = NEW.serial AND state = 'taken';
    END;
    "#,
    // 17: the card station (contract section 7). `run` queues a token product's application
    // once (card_jobs); the station claims one blank token for it (card_tokens, keyed by the
    // token's own serial, so a token is never used twice) with its serial reserved in the
    // same transaction, then records it personalised, or spoiled (wiped) with the job
    // pending again. No row is ever deleted.
    r#"
    CREATE TABLE card_jobs (
        application_id TEXT PRIMARY KEY REFERENCES applications(id),
        product TEXT NOT NULL,
        queued_batch TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'personalised')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_failure TEXT
    );
    CREATE INDEX card_jobs_pending ON card_jobs(queued_at, application_id) WHERE state = 'pending';
    CREATE TABLE card_tokens (
        token_serial TEXT PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES card_jobs(application_id),
        serial TEXT NOT NULL UNIQUE REFERENCES issuances(serial),
        card_seq INTEGER UNIQUE,
        card_number TEXT UNIQUE,
        label TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'personalised', 'spoiled')),
        claimed_at TEXT NOT NULL,
        ended_at TEXT,
        ended_why TEXT
    );
    CREATE UNIQUE INDEX card_tokens_one_live ON card_tokens(application_id) WHERE state IN ('claimed', 'personalised');
    CREATE TRIGGER card_jobs_never_deleted BEFORE DELETE ON card_jobs
    BEGIN SELECT RAISE(ABORT, 'a card job is never deleted'); END;
    CREATE TRIGGER card_jobs_moves BEFORE UPDATE OF state ON card_jobs
    WHEN NOT ((OLD.state = 'pending' AND NEW.state = 'claimed')
              OR (OLD.state = 'claimed' AND NEW.state IN ('pending', 'personalised')))
    BEGIN SELECT RAISE(ABORT, 'a card job moves pending, claimed, then personalised (or pending again)'); END;
    CREATE TRIGGER card_tokens_never_deleted BEFORE DELETE ON card_tokens
    BEGIN SELECT RAISE(ABORT, 'a card token is never deleted: it is personalised or spoiled'); END;
    CREATE TRIGGER card_tokens_move_once BEFORE UPDATE ON card_tokens
    WHEN NOT (OLD.state = 'claimed' AND NEW.state IN ('personalised', 'spoiled'))
      OR NEW.token_serial IS NOT OLD.token_serial OR NEW.serial IS NOT OLD.serial
      OR NEW.card_number IS NOT OLD.card_number OR NEW.application_id IS NOT OLD.application_id
    BEGIN SELECT RAISE(ABORT, 'a card token moves once: claimed, then personalised or spoiled'); END;
    "#,
    // 18: qualified invoices (適格請求書) are numbered without gaps: the number is taken in
    // the transaction that records the certificate, and never changes or goes away. Invoices
    // recorded before this step are numbered by issue day, then application.
    r#"
    ALTER TABLE fees ADD COLUMN invoice_number INTEGER;
    UPDATE fees SET invoice_number = (
        SELECT COUNT(*) FROM fees f2
        WHERE f2.invoice_issued_on IS NOT NULL AND f2.due > 0
          AND (f2.invoice_issued_on, f2.application_id) <= (fees.invoice_issued_on, fees.application_id))
    WHERE invoice_issued_on IS NOT NULL AND due > 0;
    CREATE UNIQUE INDEX fees_invoice_number ON fees(invoice_number) WHERE invoice_number IS NOT NULL;
    CREATE TRIGGER fees_invoice_number_fixed BEFORE UPDATE OF invoice_number ON fees
    WHEN OLD.invoice_number IS NOT NULL AND NEW.invoice_number IS NOT OLD.invoice_number
    BEGIN SELECT RAISE(ABORT, 'an invoice keeps its number'); END;
    "#,
];

/// The step that made the audit log a chain; older entries are chained right after it.
pub const AUDIT_CHAIN_STEP: usize = 9;

/// Brings the ledger to the latest schema. A ledger newer than this program is refused,
/// so an old binary never writes into a schema it does not know.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    // The audit chain's trigger calls this function on every insert (step 9).
    super::audit::register(conn)?;
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if current > latest {
        bail!("the ledger has schema version {current} but this certbatch knows only up to {latest}; use a newer certbatch");
    }
    // Steps rebuild tables that others reference (SQLite's way to add a CHECK), which needs
    // foreign keys off while the old table is dropped; they are checked before each commit.
    conn.pragma_update(None, "foreign_keys", false)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).with_context(|| format!("schema migration {} failed", i + 1))?;
        if i + 1 == AUDIT_CHAIN_STEP {
            super::audit::seal_unchained(&tx)?;
        }
        let broken: Option<String> =
            tx.query_row("PRAGMA foreign_key_check", [], |r| r.get::<_, String>(0)).optional()?;
        if let Some(table) = broken {
            bail!("schema migration {} left a broken reference in table {table}", i + 1);
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
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
    fn the_database_refuses_an_illegal_status_change() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO runs VALUES (1, 'b', 'run', '2026-11-19', 't', 't', 0, 0, 0, 0, 0, 0, 0, '{}');
             INSERT INTO applications (id, envelope_id, product, cert_type, content_sha256, data, batch, source,
                                       received_on, status, reasons, first_run, status_run)
             VALUES ('A1', 'E1', 'p', 't', 'h', '{}', 'b', '{}', '2026-11-19', 'accepted', '', 1, 1);",
        )
        .unwrap();
        conn.execute("UPDATE applications SET status = 'issued' WHERE id = 'A1'", []).unwrap();
        let err = conn.execute("UPDATE applications SET status = 'accepted' WHERE id = 'A1'", []).unwrap_err();
        assert!(err.to_string().contains("illegal application status change"), "{err}");
        let err = conn.execute("UPDATE applications SET status = 'pending' WHERE id = 'A1'", []).unwrap_err();
        assert!(err.to_string().contains("CHECK") || err.to_string().contains("illegal"), "{err}");
    }

    #[test]
    fn entries_from_before_the_chain_are_chained_by_the_migration_and_new_ones_by_the_trigger() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS[..AUDIT_CHAIN_STEP - 1].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO audit (at, event, application_id, detail) VALUES ('t1', 'stored', 'A1', 'accepted');
             INSERT INTO audit (at, event, serial, detail) VALUES ('t2', 'revoked', '0A', 'x');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("INSERT INTO audit (at, event, detail) VALUES ('t3', 'purge', 'y')", []).unwrap();
        let entries = crate::ledger::audit::read_entries(&conn, "").unwrap();
        assert_eq!(crate::ledger::audit::verify_chain(&entries), Ok(3));
        let err = conn.execute("UPDATE audit SET detail = 'z' WHERE id = 1", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let err = conn.execute("DELETE FROM audit WHERE id = 3", []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }

    #[test]
    fn a_newer_ledger_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        assert!(migrate(&mut conn).unwrap_err().to_string().contains("newer certbatch"));
    }
}
