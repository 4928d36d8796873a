//! The ledger's side of issuance: reservations, their completion or voiding, the audit
//! trail, and the payment mark that before-issue products wait for.

use super::{audit, Ledger};
use crate::record::Application;
use crate::status::Hold;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};

/// A serial reserved for an application, not yet issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub application_id: String,
    pub serial: String,
    /// The batch whose output folder (`OUT/<batch>/`) its files go to: paths are kept
    /// relative to `--out`, so a rerun from another working folder finds the same files.
    pub batch: String,
    /// The run that reserved it (0 before it is recorded).
    pub reserved_run: i64,
}

/// What completing an issuance records. No secret: the download password only as its
/// salted slow hash.
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    pub serial: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    pub cert_sha256: String,
    pub cert_pem: String,
    pub cert_file: String,
    pub p12_file: Option<String>,
    pub download_password_hash: Option<String>,
    pub download_expires: Option<String>,
    /// For an invoiced product: the invoice's issue day and due day, recorded with it.
    pub invoice: Option<(NaiveDate, NaiveDate)>,
}

/// One row of `issued.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRow {
    pub application_id: String,
    pub serial: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    pub cert_file: String,
    pub p12_file: String,
    pub download_expires: String,
}

impl Ledger {
    /// Records that an application's fee has been received (payments call this).
    pub fn mark_paid(&mut self, application_id: &str, on: NaiveDate) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE applications SET paid_on = ?2 WHERE id = ?1 AND paid_on IS NULL",
            params![application_id, on.to_string()],
        )?;
        if n == 1 {
            self.conn.execute(
                "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'paid', ?2, ?3)",
                params![crate::jpdate::now_iso(), application_id, on.to_string()],
            )?;
        }
        Ok(())
    }

    /// When the fee of an application was received, if it was.
    pub fn paid_on(&self, application_id: &str) -> Result<Option<NaiveDate>> {
        let v: Option<Option<String>> = self
            .conn
            .query_row("SELECT paid_on FROM applications WHERE id = ?1", [application_id], |r| r.get(0))
            .optional()?;
        Ok(v.flatten().and_then(|s| s.parse().ok()))
    }

    /// Ids of accepted applications with no live certificate (reservations a killed run
    /// left are voided before this is asked).
    pub fn awaiting_issue(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id FROM applications a
             WHERE a.status = 'accepted'
               AND NOT EXISTS (SELECT 1 FROM issuances i WHERE i.application_id = a.id AND i.state IN ('reserved', 'issued'))
             ORDER BY a.id",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The holds on applications, sticky ones (from a failure while signing) included.
    pub fn holds(&self) -> Result<Vec<Hold>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, hold_code, COALESCE(hold_detail, ''), hold_sticky FROM applications
             WHERE hold_code IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Hold { application_id: r.get(0)?, code: r.get(1)?, detail: r.get(2)?, sticky: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records holds (replacing an application's earlier one) and lifts the check holds
    /// of `cleared` (applications whose checks passed this run), in one transaction.
    pub fn record_holds(&mut self, holds: &[Hold], cleared: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for h in holds {
            let changed = tx.execute(
                "UPDATE applications SET hold_code = ?2, hold_detail = ?3, hold_sticky = ?4
                 WHERE id = ?1 AND (hold_code IS NOT ?2 OR hold_detail IS NOT ?3 OR hold_sticky <> ?4)",
                params![h.application_id, h.code, h.detail, h.sticky],
            )?;
            if changed == 1 {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'held', ?2, ?3)",
                    params![crate::jpdate::now_iso(), h.application_id, format!("{}: {}", h.code, h.detail)],
                )?;
            }
        }
        for id in cleared {
            let lifted = tx.execute(
                "UPDATE applications SET hold_code = NULL, hold_detail = NULL WHERE id = ?1 AND hold_code IS NOT NULL AND hold_sticky = 0",
                [id],
            )?;
            if lifted == 1 {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'hold_lifted', ?2, 'checks pass')",
                    params![crate::jpdate::now_iso(), id],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records the secret letters `letters purge` deleted, one audit entry each.
    /// `purged`: (file, SHA-256) of each deleted letter.
    pub fn record_purge(&mut self, batch: &str, purged: &[(String, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (file, sha256) in purged {
            tx.execute(
                "INSERT INTO audit (at, event, detail) VALUES (?1, 'letter_purged', ?2)",
                params![
                    crate::jpdate::now_iso(),
                    serde_json::json!({"batch": batch, "file": file, "sha256": sha256}).to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Lifts a sticky hold by hand (`certbatch release`): the application is tried again.
    pub fn release(&mut self, id: &str, by: &str) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE applications SET hold_code = NULL, hold_detail = NULL, hold_sticky = 0 WHERE id = ?1 AND hold_code IS NOT NULL",
            [id],
        )?;
        if n == 1 {
            tx.execute(
                "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'released', ?2, ?3)",
                params![crate::jpdate::now_iso(), id, by],
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Reservations a killed run left behind.
    pub fn open_reservations(&self) -> Result<Vec<Reservation>> {
        let mut stmt = self.conn.prepare(
            "SELECT application_id, serial, batch, reserved_run FROM issuances WHERE state = 'reserved' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Reservation { application_id: r.get(0)?, serial: r.get(1)?, batch: r.get(2)?, reserved_run: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether a serial was ever used, in any state.
    pub fn serial_exists(&self, serial: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT EXISTS (SELECT 1 FROM issuances WHERE serial = ?1)", [serial], |r| r.get(0))?)
    }

    /// Reserves serials, all or none, in one transaction; a run id is made for them. Where
    /// `pool[i]` asks for one, reservation `i` takes a pooled key in the same transaction
    /// (None back when the pool has none: the key is made on the spot).
    pub fn reserve(
        &mut self,
        run_batch: &str,
        reservations: &[Reservation],
        pool: &[Option<super::key_pool::PoolAsk>],
    ) -> Result<(i64, Vec<Option<super::key_pool::PooledKey>>)> {
        let tx = self.conn.transaction()?;
        let out = reserve_in(&tx, run_batch, reservations, pool)?;
        tx.commit()?;
        Ok(out)
    }

    /// Voids reservations whose certificates were never recorded as issued.
    pub fn void(&mut self, serials: &[(String, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (serial, reason) in serials {
            tx.execute(
                "UPDATE issuances SET state = 'void', void_reason = ?2 WHERE serial = ?1 AND state = 'reserved'",
                params![serial, reason],
            )?;
            tx.execute(
                "INSERT INTO audit (at, event, application_id, serial, detail)
                 SELECT ?1, 'void', application_id, serial, ?3 FROM issuances WHERE serial = ?2",
                params![crate::jpdate::now_iso(), serial, reason],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Completes issuances whose files are written, in one transaction: the certificate is
    /// recorded, the application becomes `issued`, the audit trail says so.
    pub fn complete(&mut self, run_id: i64, records: &[IssuedRecord]) -> Result<()> {
        let tx = self.conn.transaction()?;
        complete_in(&tx, run_id, records)?;
        tx.commit()?;
        Ok(())
    }

    /// The certificates issued for a batch, for `issued.csv`.
    pub fn issued_in_batch(&self, batch: &str) -> Result<Vec<IssuedRow>> {
        self.issued_rows(
            "SELECT application_id, serial, subject, not_before, not_after, cert_file, COALESCE(p12_file, ''),
                    COALESCE(download_expires, '')
             FROM issuances WHERE batch = ?1 AND state = 'issued' ORDER BY application_id",
            batch,
        )
    }

    /// The certificates of a batch's applications issued elsewhere (the card station), with
    /// their files relative to the batch's folder (`../cards-<day>/certs/…`).
    pub fn issued_elsewhere_for_batch(&self, batch: &str) -> Result<Vec<IssuedRow>> {
        self.issued_rows(
            "SELECT i.application_id, i.serial, i.subject, i.not_before, i.not_after,
                    '../' || i.out_dir || '/' || i.cert_file,
                    CASE WHEN COALESCE(i.p12_file, '') = '' THEN '' ELSE '../' || i.out_dir || '/' || i.p12_file END,
                    COALESCE(i.download_expires, '')
             FROM issuances i JOIN applications a ON a.id = i.application_id
             WHERE a.batch = ?1 AND i.batch <> ?1 AND i.state = 'issued' ORDER BY i.application_id",
            batch,
        )
    }

    fn issued_rows(&self, sql: &str, batch: &str) -> Result<Vec<IssuedRow>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([batch], |r| {
            Ok(IssuedRow {
                application_id: r.get(0)?,
                serial: r.get(1)?,
                subject: r.get(2)?,
                not_before: r.get(3)?,
                not_after: r.get(4)?,
                cert_file: r.get(5)?,
                p12_file: r.get(6)?,
                download_expires: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Issued certificates still valid on `on`: (application, serial, notBefore, notAfter).
    pub fn valid_certificates(&self, on: NaiveDate) -> Result<Vec<(Application, String, String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.data, i.serial, i.not_before, i.not_after FROM issuances i JOIN applications a ON a.id = i.application_id
             WHERE i.state = 'issued' AND a.status = 'issued' AND substr(i.not_after, 1, 10) >= ?1 ORDER BY i.not_after, i.serial",
        )?;
        let rows = stmt.query_map([on.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (data, serial, nb, na) = row?;
            out.push((serde_json::from_str(&data).context("ledger: an application is unreadable")?, serial, nb, na));
        }
        Ok(out)
    }

    /// The notice offsets already sent for a certificate.
    pub fn notices_sent(&self, serial: &str, kind: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare("SELECT offset_days FROM notices_sent WHERE serial = ?1 AND kind = ?2")?;
        let rows = stmt.query_map(params![serial, kind], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether a notice of this kind was recorded for the certificate on `on` (a rerun).
    pub fn notices_sent_on(&self, serial: &str, kind: &str, on: NaiveDate) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM notices_sent WHERE serial = ?1 AND kind = ?2 AND sent_on = ?3)",
            params![serial, kind, on.to_string()],
            |r| r.get(0),
        )?)
    }

    /// Records notices as sent, in one transaction.
    pub fn record_notices(&mut self, sent: &[(String, String, i64)], on: NaiveDate) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (serial, kind, offset) in sent {
            tx.execute(
                "INSERT OR IGNORE INTO notices_sent (serial, kind, offset_days, sent_on) VALUES (?1, ?2, ?3, ?4)",
                params![serial, kind, offset, on.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Count of certificates by state, for tests and the summary.
    pub fn issuance_counts(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        let mut stmt = self.conn.prepare("SELECT state, COUNT(*) FROM issuances GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Audit entries not yet copied to `audit.log`, as its lines.
    pub fn audit_since_export(&self) -> Result<Vec<String>> {
        let last = audit::exported(&self.conn)?;
        let entries = audit::read_entries(&self.conn, &format!("WHERE id > {last}"))?;
        Ok(entries.iter().map(audit::log_line).collect())
    }

    /// Whether `audit.log` still ends with the ledger's entry (see [`audit::log_tail_matches`]).
    pub fn audit_log_tail_matches(&self, log: &std::path::Path) -> Result<Option<bool>> {
        audit::log_tail_matches(&self.conn, log)
    }

    /// Every audit entry, oldest first, and the id of the newest one exported.
    pub fn audit_entries(&self) -> Result<(Vec<audit::Entry>, i64)> {
        Ok((audit::read_entries(&self.conn, "")?, audit::exported(&self.conn)?))
    }

    /// Marks the audit rows up to the newest as copied to `audit.log`.
    pub fn mark_audit_exported(&mut self) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) SELECT 'audit_exported', COALESCE(MAX(id), 0) FROM audit",
            [],
        )?;
        Ok(())
    }
}

/// [`Ledger::reserve`] inside a caller's transaction (the card station reserves with its claim).
pub(super) fn reserve_in(
    tx: &rusqlite::Transaction,
    run_batch: &str,
    reservations: &[Reservation],
    pool: &[Option<super::key_pool::PoolAsk>],
) -> Result<(i64, Vec<Option<super::key_pool::PooledKey>>)> {
    anyhow::ensure!(pool.len() == reservations.len(), "one pool ask per reservation");
    let mut taken = Vec::with_capacity(reservations.len());
    tx.execute(
        "INSERT INTO runs (batch, command, as_of, started_at, finished_at, rows_read, applications, new_applications,
                           changed_statuses, documents, new_documents, scans, summary)
         VALUES (?1, 'issue', ?2, ?2, ?2, 0, ?3, 0, 0, 0, 0, 0, '{}')",
        params![run_batch, crate::jpdate::now_iso(), reservations.len() as i64],
    )?;
    let run_id = tx.last_insert_rowid();
    for (r, ask) in reservations.iter().zip(pool) {
        tx.execute(
            "INSERT INTO issuances (application_id, serial, state, batch, out_dir, reserved_run) VALUES (?1, ?2, 'reserved', ?3, ?3, ?4)",
            params![r.application_id, r.serial, r.batch, run_id],
        )
        .with_context(|| format!("cannot reserve serial {} for {}", r.serial, r.application_id))?;
        let key = match ask {
            Some(ask) => super::key_pool::take(tx, &r.serial, ask)?,
            None => None,
        };
        // The audit names the pooled key, so a key's one use can be traced from the log.
        let detail = key.as_ref().map(|k| format!("pool key {}", k.id)).unwrap_or_default();
        tx.execute(
            "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'reserved', ?2, ?3, ?4)",
            params![crate::jpdate::now_iso(), r.application_id, r.serial, detail],
        )?;
        taken.push(key);
    }
    Ok((run_id, taken))
}

/// [`Ledger::complete`] inside a caller's transaction.
pub(super) fn complete_in(tx: &rusqlite::Transaction, run_id: i64, records: &[IssuedRecord]) -> Result<()> {
    for (i, r) in records.iter().enumerate() {
        let n = tx.execute(
            "UPDATE issuances SET state = 'issued', issued_run = ?2, subject = ?3, not_before = ?4, not_after = ?5,
                    cert_sha256 = ?6, cert_pem = ?7, cert_file = ?8, p12_file = ?9, download_password_hash = ?10,
                    download_expires = ?11
             WHERE serial = ?1 AND state = 'reserved'",
            params![
                r.serial,
                run_id,
                r.subject,
                r.not_before,
                r.not_after,
                r.cert_sha256,
                r.cert_pem,
                r.cert_file,
                r.p12_file,
                r.download_password_hash,
                r.download_expires
            ],
        )?;
        anyhow::ensure!(n == 1, "serial {} is not reserved", r.serial);
        // The reasons stay (a warning such as non_jis_character still holds); a hold
        // that was checked away before signing is gone.
        tx.execute(
            "UPDATE applications SET status = 'issued', status_run = ?2, hold_code = NULL, hold_detail = NULL, hold_sticky = 0
             WHERE id = (SELECT application_id FROM issuances WHERE serial = ?1)",
            params![r.serial, run_id],
        )?;
        tx.execute(
            "INSERT INTO audit (at, event, application_id, serial, detail)
             SELECT ?1, 'issued', application_id, serial, ?3 FROM issuances WHERE serial = ?2",
            params![
                crate::jpdate::now_iso(),
                r.serial,
                serde_json::json!({
                    "subject": r.subject, "not_before": r.not_before, "not_after": r.not_after,
                    "cert_sha256": r.cert_sha256
                })
                .to_string()
            ],
        )?;
        // A renewal marks the certificate it renews: no more expiry notices for it; it
        // stays valid to its own end.
        let renews: Option<String> = tx.query_row(
            "SELECT json_extract(a.data, '$.renewal_of') FROM issuances n JOIN applications a ON a.id = n.application_id
             WHERE n.serial = ?1",
            [&r.serial],
            |row| row.get(0),
        )?;
        if let Some(old) = renews {
            let marked = tx.execute(
                "UPDATE issuances SET renewed_by = ?2 WHERE (serial = ?1 OR serial = '00' || ?1) AND state = 'issued'
                   AND renewed_by IS NULL",
                params![old, r.serial],
            )?;
            if marked == 1 {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, serial, detail)
                     SELECT ?1, 'renewed', application_id, serial, 'renewed by ' || ?2 FROM issuances WHERE renewed_by = ?2",
                    params![crate::jpdate::now_iso(), r.serial],
                )?;
            }
        }
        if let Some((issued, due)) = r.invoice {
            tx.execute(
                // An invoice of nothing (a free token) takes no number: numbers are for
                // invoices that are printed.
                "UPDATE fees SET invoice_issued_on = ?2, invoice_due_on = ?3,
                        invoice_number = CASE WHEN due > 0 THEN (SELECT COALESCE(MAX(invoice_number), 0) + 1 FROM fees) END
                 WHERE application_id = (SELECT application_id FROM issuances WHERE serial = ?1) AND invoice_issued_on IS NULL",
                params![r.serial, issued.to_string(), due.to_string()],
            )?;
        }
        if i == records.len() / 2 {
            crate::faults::point("issue-mid-commit");
        }
    }
    Ok(())
}
