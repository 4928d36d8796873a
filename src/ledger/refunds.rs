//! Refunds in the ledger: the applications owed a decision (refund_due, or revoked, with
//! none recorded yet), and each decision recorded once (`refunds` is keyed by application).

use super::{day, Ledger};
use crate::lifecycle::refunds::{Candidate, Cause, Refund};
use crate::record::Application;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::params;

/// A recorded refund with the application it is for, for files, sheets and notices.
#[derive(Debug, Clone)]
pub struct RefundRow {
    pub refund: Refund,
    pub due_on: NaiveDate,
    pub application: Application,
}

impl Ledger {
    /// Applications owed a refund decision: `refund_due` ones, and revoked certificates'.
    pub fn refund_candidates(&self) -> Result<Vec<Candidate>> {
        let mut out = Vec::new();
        let received = "MIN(COALESCE(f.received, 0), COALESCE(f.price + f.tax, 0))";
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.id, a.product, a.data, {received} FROM applications a
             LEFT JOIN fees f ON f.application_id = a.id
             WHERE a.status = 'refund_due' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.application_id = a.id)"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (id, product, data, paid) = row?;
            let app: Application = serde_json::from_str(&data).with_context(|| format!("ledger: application {id}"))?;
            out.push(Candidate {
                company: app.corporate_number.clone().unwrap_or_else(|| id.clone()),
                application_id: id,
                serial: String::new(),
                product,
                paid,
                cause: Cause::DocumentsOverdue,
            });
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT v.application_id, v.serial, v.reason, v.requested_on, v.revoked_at, i.not_before, i.not_after,
                    a.product, a.data, {received}
             FROM revocations v JOIN issuances i ON i.serial = v.serial JOIN applications a ON a.id = v.application_id
             LEFT JOIN fees f ON f.application_id = a.id
             WHERE v.revoked_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.application_id = v.application_id)"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                [
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ],
                r.get::<_, i64>(9)?,
            ))
        })?;
        for row in rows {
            let ([id, serial, reason, requested_on, revoked_at, not_before, not_after, product, data], paid) = row?;
            let app: Application = serde_json::from_str(&data).with_context(|| format!("ledger: application {id}"))?;
            out.push(Candidate {
                company: app.corporate_number.clone().unwrap_or_else(|| id.clone()),
                application_id: id,
                serial,
                product,
                paid,
                cause: Cause::Revoked {
                    reason,
                    requested_on: day(&requested_on)?,
                    revoked_on: day(&revoked_at)?,
                    not_before: day(&not_before)?,
                    not_after: day(&not_after)?,
                },
            });
        }
        Ok(out)
    }

    /// Records decisions, each once (a second decision for an application changes nothing).
    pub fn record_refunds(&mut self, on: NaiveDate, refunds: &[Refund]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let now = crate::jpdate::now_iso();
        let mut n = 0;
        for r in refunds {
            let added = tx.execute(
                "INSERT OR IGNORE INTO refunds (application_id, serial, reason, paid, refund, basis, listed, due_on, decided_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![r.application_id, r.serial, r.reason, r.paid, r.refund, r.basis, r.listed, on.to_string(), now],
            )?;
            if added == 1 {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'refund', ?2, ?3, ?4)",
                    params![now, r.application_id, r.serial, format!("{} yen ({}): {}", r.refund, r.reason, r.basis)],
                )?;
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Lists in `on`'s day folder the refunds that fell due by then and no day lists yet.
    pub fn assign_refunds(&mut self, on: NaiveDate) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE refunds SET daily_on = ?1 WHERE daily_on IS NULL AND listed = 1 AND due_on <= ?1",
            [on.to_string()],
        )?)
    }

    /// Listed refunds of `on`'s day folder (every listed refund when `None`), oldest first.
    pub fn refunds(&self, on: Option<NaiveDate>) -> Result<Vec<RefundRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.application_id, r.serial, r.reason, r.paid, r.refund, r.basis, r.due_on, a.data
             FROM refunds r JOIN applications a ON a.id = r.application_id
             WHERE r.listed = 1 AND (?1 IS NULL OR r.daily_on = ?1) ORDER BY r.due_on, r.application_id",
        )?;
        let rows = stmt.query_map([on.map(|d| d.to_string())], |r| {
            Ok((
                [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?],
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                [r.get::<_, String>(5)?, r.get(6)?, r.get(7)?],
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ([application_id, serial, reason], paid, refund, [basis, due_on, data]) = row?;
            out.push(RefundRow {
                application: serde_json::from_str(&data)
                    .with_context(|| format!("ledger: application {application_id}"))?,
                due_on: day(&due_on)?,
                refund: Refund { application_id, serial, reason, paid, refund, basis, listed: true },
            });
        }
        Ok(out)
    }
}
