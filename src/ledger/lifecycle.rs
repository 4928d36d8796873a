//! What happens to certificates after issue, in the ledger: which are due for something
//! (each question one range of a partial index, so a ledger of a million certificates is
//! asked about the few that are due), receipts and revocations as recorded, the CRLs as
//! signed, and each day's journal of actions.

use super::{day, Ledger};
use crate::issue::crl::CrlEntry;
use crate::lifecycle::revocation::{CertFacts, Reason, RequestedBy, Target};
use crate::record::Application;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Row};

/// An issued certificate with its application, as `daily` looks at it.
#[derive(Debug, Clone)]
pub struct CertRow {
    pub serial: String,
    pub application: Application,
    pub issued_on: NaiveDate,
    pub not_after: NaiveDate,
}

/// A revocation as recorded, for files and notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRow {
    pub serial: String,
    pub application_id: String,
    pub reason: Reason,
    pub requested_by: RequestedBy,
    pub requested_on: NaiveDate,
    pub invalidity_date: Option<NaiveDate>,
    pub effective_on: NaiveDate,
    /// RFC 3339 JST; `None` while scheduled.
    pub revoked_at: Option<String>,
    pub source: String,
}

/// One line of a day's journal (`actions.csv`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActionRow {
    pub application_id: String,
    pub serial: String,
    pub action: String,
    pub detail: String,
    pub due_on: NaiveDate,
}

/// An invoice past its due day, not fully paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueInvoice {
    pub application_id: String,
    pub serial: String,
    pub due_on: NaiveDate,
    pub due: i64,
    pub received: i64,
}

/// A CRL as signed.
#[derive(Debug, Clone)]
pub struct StoredCrl {
    pub number: u64,
    pub day: NaiveDate,
    /// What it lists (serials and reasons), to tell whether a new one is needed.
    pub entries: String,
    pub der: Vec<u8>,
}

/// Everything one command changes after issue, recorded in one transaction.
#[derive(Debug, Clone, Default)]
pub struct DayWrite {
    /// New requests that take effect now (`revoked_at` set) or later.
    pub revocations: Vec<RevocationRow>,
    /// Scheduled revocations that take effect today: serial → revoked_at.
    pub effective: Vec<(String, String)>,
    /// (serial, received_on, method, source).
    pub receipts: Vec<(String, NaiveDate, String, String)>,
    pub actions: Vec<ActionRow>,
    /// Expiry notice offsets sent: (serial, offset days).
    pub notice_marks: Vec<(String, i64)>,
}

fn opt_day(text: Option<String>) -> Result<Option<NaiveDate>> {
    text.as_deref().map(day).transpose()
}

const CERT_COLUMNS: &str = "i.serial, a.data, i.not_before, i.not_after";

fn cert_row(r: &Row) -> rusqlite::Result<(String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn to_cert((serial, data, nb, na): (String, String, String, String)) -> Result<CertRow> {
    Ok(CertRow {
        serial,
        application: serde_json::from_str(&data).context("ledger: an application is unreadable")?,
        issued_on: day(&nb)?,
        not_after: day(&na)?,
    })
}

impl Ledger {
    fn certs(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<CertRow>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(args, cert_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(to_cert).collect()
    }

    /// Certificates of `products` issued on or before `issued_by`, with no receipt, not
    /// revoked (the receipt rules' candidates).
    pub fn awaiting_receipt(&self, products: &[String], issued_by: NaiveDate) -> Result<Vec<CertRow>> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        let list = products.iter().map(|p| format!("'{}'", p.replace('\'', "''"))).collect::<Vec<_>>().join(", ");
        self.certs(
            &format!(
                "SELECT {CERT_COLUMNS} FROM issuances i JOIN applications a ON a.id = i.application_id
                 WHERE i.state = 'issued' AND i.receipt_on IS NULL AND i.revoked_on IS NULL
                   AND substr(i.not_before, 1, 10) <= ?1 AND a.product IN ({list})
                 ORDER BY i.serial"
            ),
            [issued_by.to_string()],
        )
    }

    /// Valid certificates ending between `from` and `to` (inclusive), not revoked and not
    /// renewed (a renewed one needs no notice).
    pub fn expiring(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<CertRow>> {
        self.certs(
            &format!(
                "SELECT {CERT_COLUMNS} FROM issuances i JOIN applications a ON a.id = i.application_id
                 WHERE i.state = 'issued' AND i.revoked_on IS NULL AND i.renewed_by IS NULL
                   AND substr(i.not_after, 1, 10) BETWEEN ?1 AND ?2
                 ORDER BY i.serial"
            ),
            [from.to_string(), to.to_string()],
        )
    }

    /// The certificates with these serials (issued ones), a few hundred per query: a day's
    /// files look up every certificate its journal names.
    pub fn certs_by_serial(&self, serials: &[String]) -> Result<Vec<CertRow>> {
        let mut out = Vec::with_capacity(serials.len());
        for chunk in serials.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            out.extend(self.certs(
                &format!(
                    "SELECT {CERT_COLUMNS} FROM issuances i JOIN applications a ON a.id = i.application_id
                     WHERE i.serial IN ({marks}) AND i.state = 'issued' ORDER BY i.serial"
                ),
                rusqlite::params_from_iter(chunk),
            )?);
        }
        Ok(out)
    }

    /// What the ledger knows of the certificate a request names: by serial, or the
    /// application's issued certificate.
    pub fn cert_facts(&self, target: &Target) -> Result<Option<CertFacts>> {
        let (sql, key) = match target {
            Target::Serial(s) => ("(i.serial = ?1 OR i.serial = '00' || ?1)", s.as_str()),
            Target::Application(a) => ("i.application_id = ?1", a.as_str()),
            Target::Either(x) => {
                if let Some(serial) = Target::serial_form(x) {
                    if let Some(f) = self.cert_facts(&Target::Serial(serial))? {
                        return Ok(Some(f));
                    }
                }
                return self.cert_facts(&Target::Application(x.trim().to_string()));
            }
        };
        let row = self
            .conn
            .query_row(
                &format!(
                    "SELECT i.serial, i.application_id, i.not_before, i.not_after, r.reason, r.effective_on, r.revoked_at
                     FROM issuances i LEFT JOIN revocations r ON r.serial = i.serial
                     WHERE {sql} AND i.state = 'issued' ORDER BY i.id DESC LIMIT 1"
                ),
                [key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((serial, application_id, nb, na, reason, effective, revoked_at)) = row else { return Ok(None) };
        let revocation = match (reason, effective) {
            (Some(r), Some(e)) => {
                Some((r.parse::<Reason>().map_err(anyhow::Error::msg)?, day(&e)?, revoked_at.is_some()))
            }
            _ => None,
        };
        Ok(Some(CertFacts { serial, application_id, issued_on: day(&nb)?, not_after: day(&na)?, revocation }))
    }

    /// The DER of an issued certificate, by serial (with or without a leading zero byte).
    pub fn cert_der(&self, serial: &str) -> Result<Option<Vec<u8>>> {
        let pem: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT cert_pem FROM issuances WHERE (serial = ?1 OR serial = '00' || ?1) AND state = 'issued'",
                [serial],
                |r| r.get(0),
            )
            .optional()?;
        let Some(Some(pem)) = pem else { return Ok(None) };
        let (_, der) =
            der::pem::decode_vec(pem.as_bytes()).map_err(|e| anyhow::anyhow!("ledger: certificate {serial}: {e}"))?;
        Ok(Some(der))
    }

    /// Whether a revocation (done or scheduled) is recorded for the certificate.
    pub fn has_revocation(&self, serial: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM revocations WHERE serial = ?1)", [serial], |r| r.get(0))?)
    }

    /// Where the certificate's revocation request came from (`revoke`, `<batch>/revocations.csv row 3`).
    pub fn revocation_source(&self, serial: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT source FROM revocations WHERE serial = ?1", [serial], |r| r.get(0))
            .optional()?)
    }

    /// Where the certificate's receipt was read from.
    pub fn receipt_source(&self, serial: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT source FROM receipts WHERE serial = ?1", [serial], |r| r.get(0)).optional()?)
    }

    /// Whether the certificate has a receipt, and when.
    pub fn receipt_of(&self, serial: &str) -> Result<Option<NaiveDate>> {
        let on: Option<String> = self
            .conn
            .query_row("SELECT received_on FROM receipts WHERE serial = ?1", [serial], |r| r.get(0))
            .optional()?;
        opt_day(on)
    }

    /// Revocations scheduled to take effect on or before `by`.
    pub fn scheduled_revocations(&self, by: NaiveDate) -> Result<Vec<RevocationRow>> {
        self.revocation_rows("WHERE revoked_at IS NULL AND effective_on <= ?1", [by.to_string()])
    }

    /// Revocations that took effect on `on` (JST), whichever command made them.
    pub fn revocations_on(&self, on: NaiveDate) -> Result<Vec<RevocationRow>> {
        self.revocation_rows(
            "WHERE revoked_at IS NOT NULL AND serial IN (SELECT serial FROM issuances WHERE revoked_on = ?1)",
            [on.to_string()],
        )
    }

    fn revocation_rows(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<RevocationRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT serial, application_id, reason, requested_by, requested_on, invalidity_date, effective_on, revoked_at, source
             FROM revocations {filter} ORDER BY serial"
        ))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(serial, application_id, reason, by, on, inv, eff, at, source)| {
                Ok(RevocationRow {
                    serial,
                    application_id,
                    reason: reason.parse().map_err(anyhow::Error::msg)?,
                    requested_by: by.parse().map_err(anyhow::Error::msg)?,
                    requested_on: day(&on)?,
                    invalidity_date: opt_day(inv)?,
                    effective_on: day(&eff)?,
                    revoked_at: at,
                    source,
                })
            })
            .collect()
    }

    /// Serials that already had `action` on any day.
    pub fn had_action(&self, serial: &str, action: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM day_actions WHERE serial = ?1 AND action = ?2)",
            params![serial, action],
            |r| r.get(0),
        )?)
    }

    /// The journal of one day.
    pub fn day_actions(&self, on: NaiveDate) -> Result<Vec<ActionRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT application_id, serial, action, detail, due_on FROM day_actions WHERE day = ?1
             ORDER BY action, application_id, serial",
        )?;
        let rows = stmt
            .query_map([on.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(application_id, serial, action, detail, due)| {
                Ok(ActionRow { application_id, serial, action, detail, due_on: day(&due)? })
            })
            .collect()
    }

    /// Invoices past their due day and not fully paid.
    pub fn overdue_invoices(&self, today: NaiveDate) -> Result<Vec<OverdueInvoice>> {
        let mut stmt = self.conn.prepare(
            // The invoices by their due day (a partial index), each joined to its live
            // certificate through the one-live-certificate index.
            "SELECT f.application_id, i.serial, f.invoice_due_on, f.due, f.received
             FROM fees f JOIN issuances i ON i.application_id = f.application_id AND i.state IN ('reserved', 'issued')
             WHERE f.model = 'invoice' AND f.invoice_due_on IS NOT NULL AND f.invoice_due_on < ?1
               AND f.received < f.due - f.tolerance AND i.state = 'issued' AND i.revoked_on IS NULL
             ORDER BY f.invoice_due_on, f.application_id",
        )?;
        let rows = stmt
            .query_map([today.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(application_id, serial, due_on, due, received)| {
                Ok(OverdueInvoice { application_id, serial, due_on: day(&due_on)?, due, received })
            })
            .collect()
    }

    /// The CRL's entries: every revoked certificate not yet expired on `today`.
    pub fn crl_entries(&self, today: NaiveDate) -> Result<Vec<CrlEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.serial, r.revoked_at, r.reason, r.invalidity_date FROM issuances i JOIN revocations r ON r.serial = i.serial
             WHERE i.revoked_on IS NOT NULL AND substr(i.not_after, 1, 10) >= ?1 ORDER BY r.serial",
        )?;
        let rows = stmt
            .query_map([today.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(serial, at, reason, inv)| {
                Ok(CrlEntry {
                    serial,
                    revoked_at: chrono::DateTime::parse_from_rfc3339(&at).context("ledger: revoked_at")?,
                    reason: reason.parse::<Reason>().map_err(anyhow::Error::msg)?.crl_reason(),
                    invalidity: opt_day(inv)?,
                })
            })
            .collect()
    }

    pub fn last_crl(&self) -> Result<Option<StoredCrl>> {
        let row = self
            .conn
            .query_row("SELECT number, day, entries, der FROM crls ORDER BY number DESC LIMIT 1", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .optional()?;
        row.map(|(n, d, entries, der)| Ok(StoredCrl { number: n as u64, day: day(&d)?, entries, der })).transpose()
    }

    /// Records a signed CRL (its number is new).
    pub fn record_crl(&mut self, crl: &StoredCrl, this_update: &str, next_update: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO crls (number, day, this_update, next_update, entries, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![crl.number as i64, crl.day.to_string(), this_update, next_update, crl.entries, crl.der],
        )?;
        Ok(())
    }

    /// Records what a command changed after issue, in one transaction: new revocation
    /// requests, scheduled ones taking effect (the application becomes `revoked`), receipts,
    /// the day's actions and expiry-notice marks; each with its audit entry.
    pub fn record_day(&mut self, on: NaiveDate, w: &DayWrite) -> Result<()> {
        let tx = self.conn.transaction()?;
        let now = crate::jpdate::now_iso();
        // Only a revocation not yet in effect takes effect: a second attempt changes nothing.
        let take_effect = |tx: &rusqlite::Transaction, serial: &str, at: &str| -> Result<bool> {
            let n = tx.execute(
                "UPDATE revocations SET revoked_at = ?2 WHERE serial = ?1 AND revoked_at IS NULL",
                params![serial, at],
            )?;
            if n == 0 {
                return Ok(false);
            }
            tx.execute("UPDATE issuances SET revoked_on = ?2 WHERE serial = ?1", params![serial, &at[..10]])?;
            tx.execute(
                "UPDATE applications SET status = 'revoked' WHERE id = (SELECT application_id FROM issuances WHERE serial = ?1)",
                [serial],
            )?;
            Ok(true)
        };
        for r in &w.revocations {
            tx.execute(
                "INSERT INTO revocations (serial, application_id, reason, requested_by, requested_on, invalidity_date,
                                          effective_on, revoked_at, source, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9)",
                params![
                    r.serial,
                    r.application_id,
                    r.reason.as_str(),
                    r.requested_by.as_str(),
                    r.requested_on.to_string(),
                    r.invalidity_date.map(|d| d.to_string()),
                    r.effective_on.to_string(),
                    r.source,
                    now
                ],
            )?;
            let event = if r.revoked_at.is_some() { "revoked" } else { "revocation_scheduled" };
            tx.execute(
                "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    now,
                    event,
                    r.application_id,
                    r.serial,
                    serde_json::json!({"reason": r.reason.as_str(), "requested_by": r.requested_by.as_str(),
                        "effective_on": r.effective_on.to_string(), "source": r.source})
                    .to_string()
                ],
            )?;
            if let Some(at) = &r.revoked_at {
                take_effect(&tx, &r.serial, at)?;
            }
        }
        for (serial, at) in &w.effective {
            if !take_effect(&tx, serial, at)? {
                continue;
            }
            tx.execute(
                "INSERT INTO audit (at, event, serial, detail) VALUES (?1, 'revoked', ?2, 'scheduled revocation took effect')",
                params![now, serial],
            )?;
        }
        for (serial, received_on, method, source) in &w.receipts {
            let added = tx.execute(
                "INSERT OR IGNORE INTO receipts (serial, received_on, method, source, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![serial, received_on.to_string(), method, source, now],
            )?;
            if added == 1 {
                tx.execute(
                    "UPDATE issuances SET receipt_on = ?2 WHERE serial = ?1",
                    params![serial, received_on.to_string()],
                )?;
                tx.execute(
                    "INSERT INTO audit (at, event, serial, detail) VALUES (?1, 'receipt', ?2, ?3)",
                    params![now, serial, format!("{method} {received_on} ({source})")],
                )?;
            }
        }
        for a in &w.actions {
            tx.execute(
                "INSERT OR IGNORE INTO day_actions (day, serial, action, application_id, detail, due_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![on.to_string(), a.serial, a.action, a.application_id, a.detail, a.due_on.to_string()],
            )?;
        }
        for (serial, offset) in &w.notice_marks {
            tx.execute(
                "INSERT OR IGNORE INTO notices_sent (serial, kind, offset_days, sent_on) VALUES (?1, 'expiry', ?2, ?3)",
                params![serial, offset, on.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    #[test]
    fn a_revocation_takes_effect_once_and_revokes_the_application() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path(), std::time::Duration::from_secs(1)).unwrap();
        ledger
            .conn
            .execute_batch(
                "INSERT INTO runs (id, batch, command, as_of, started_at, finished_at, rows_read, applications,
                                   new_applications, changed_statuses, documents, new_documents, scans, summary)
                   VALUES (1, 'b', 'run', '2026-11-19', 't', 't', 0, 0, 0, 0, 0, 0, 0, '{}');
                 INSERT INTO applications (id, envelope_id, product, cert_type, content_sha256, data, batch, source,
                                           received_on, status, reasons, first_run, status_run)
                   VALUES ('A1', 'E1', 'p', 't', 'h', '{}', 'b', '{}', '2026-11-19', 'accepted', '', 1, 1);
                 UPDATE applications SET status = 'issued';
                 INSERT INTO issuances (application_id, serial, state, batch, out_dir, reserved_run, issued_run,
                                        not_before, not_after)
                   VALUES ('A1', 'ab', 'issued', 'b', '.', 1, 1, '2026-11-19T10:00:00+09:00', '2027-11-18T23:59:59+09:00');",
            )
            .unwrap();
        let row = RevocationRow {
            serial: "ab".into(),
            application_id: "A1".into(),
            reason: Reason::KeyCompromise,
            requested_by: RequestedBy::Subscriber,
            requested_on: d(2026, 12, 1),
            invalidity_date: None,
            effective_on: d(2026, 12, 3),
            revoked_at: None,
            source: "revoke".into(),
        };
        ledger.record_day(d(2026, 12, 1), &DayWrite { revocations: vec![row], ..Default::default() }).unwrap();
        let facts = ledger.cert_facts(&Target::Application("A1".into())).unwrap().unwrap();
        assert_eq!(facts.revocation, Some((Reason::KeyCompromise, d(2026, 12, 3), false)));
        assert_eq!(ledger.scheduled_revocations(d(2026, 12, 2)).unwrap().len(), 0);
        assert_eq!(ledger.scheduled_revocations(d(2026, 12, 3)).unwrap().len(), 1);
        let at = "2026-12-03T09:00:00+09:00".to_string();
        let w = DayWrite { effective: vec![("ab".into(), at.clone())], ..Default::default() };
        ledger.record_day(d(2026, 12, 3), &w).unwrap();
        assert_eq!(ledger.statuses().unwrap()["A1"].0, crate::record::Status::Revoked);
        assert_eq!(ledger.revocations_on(d(2026, 12, 3)).unwrap()[0].revoked_at, Some(at));
        assert_eq!(ledger.crl_entries(d(2026, 12, 3)).unwrap().len(), 1);
        assert!(ledger.crl_entries(d(2027, 11, 19)).unwrap().is_empty(), "expired certificates leave the CRL");
        // Taking effect again changes nothing; the database itself refuses a second date.
        let again =
            DayWrite { effective: vec![("ab".into(), "2026-12-04T09:00:00+09:00".into())], ..Default::default() };
        ledger.record_day(d(2026, 12, 4), &again).unwrap();
        assert!(ledger.revocations_on(d(2026, 12, 4)).unwrap().is_empty());
        assert_eq!(ledger.revocations_on(d(2026, 12, 3)).unwrap().len(), 1);
        let refused = ledger.conn.execute("UPDATE revocations SET revoked_at = 'x' WHERE serial = 'ab'", []);
        assert!(refused.unwrap_err().to_string().contains("revoked once"));
    }
}
