//! Retention in the ledger: every archived document with the day its record ends, and the
//! purge of archived scans recorded (the hash kept, the deletion audited).

use super::{day, Ledger};
use crate::lifecycle::retention::{ArchivedDocument, End, Expired};
use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::params;
use std::collections::BTreeMap;

impl Ledger {
    /// Every document with an archived copy, and when the record it belongs to ends: its
    /// application's certificate's notAfter, the day it closed without one (`refund_due`),
    /// or open. A company document ends with the last application of its envelope; a
    /// document of a row that never became an application, on the day it arrived.
    pub fn archived_documents(&self) -> Result<Vec<ArchivedDocument>> {
        let mut apps: BTreeMap<String, (String, End)> = BTreeMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.envelope_id, a.status, r.as_of,
                    (SELECT MAX(substr(i.not_after, 1, 10)) FROM issuances i WHERE i.application_id = a.id AND i.state = 'issued')
             FROM applications a JOIN runs r ON r.id = a.status_run",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (id, envelope, status, status_day, not_after) = row?;
            let end = match (not_after.as_deref().map(day).transpose()?, status.as_str()) {
                (Some(end), _) => End::On(end),
                (None, "refund_due" | "rejected") => End::On(day(&status_day)?),
                _ => End::Open,
            };
            apps.insert(id, (envelope, end));
        }
        let mut by_envelope: BTreeMap<&str, Vec<End>> = BTreeMap::new();
        for (envelope, end) in apps.values() {
            by_envelope.entry(envelope.as_str()).or_default().push(*end);
        }
        let mut stmt = self.conn.prepare(
            "SELECT d.id, d.owner_kind, d.owner_id, d.archive_sha256, d.purged_on, r.as_of
             FROM documents d JOIN runs r ON r.id = d.first_run WHERE d.archive_sha256 IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, owner, sha256, purged, arrived) = row?;
            let own = End::On(day(&arrived)?);
            let end = if kind == "application" {
                apps.get(&owner).map_or(own, |(_, end)| *end)
            } else {
                match by_envelope.get(owner.as_str()) {
                    None => own,
                    Some(ends) if ends.contains(&End::Open) => End::Open,
                    Some(ends) => ends
                        .iter()
                        .copied()
                        .max_by_key(|e| match e {
                            End::On(d) => *d,
                            End::Open => NaiveDate::MAX,
                        })
                        .unwrap_or(own),
                }
            };
            out.push(ArchivedDocument { id, sha256, owner, end, purged_on: purged.as_deref().map(day).transpose()? });
        }
        Ok(out)
    }

    /// Records the purge of archived files: each document marked, each file's hash and
    /// deletion in the audit log. Files already recorded are left as they were.
    pub fn record_scan_purge(&mut self, today: NaiveDate, files: &[Expired]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let now = crate::jpdate::now_iso();
        let mut n = 0;
        for f in files.iter().filter(|f| f.purged_on.is_none()) {
            for id in &f.documents {
                tx.execute(
                    "UPDATE documents SET purged_on = ?2 WHERE id = ?1 AND purged_on IS NULL",
                    params![id, today.to_string()],
                )?;
            }
            tx.execute(
                "INSERT INTO audit (at, event, detail) VALUES (?1, 'purge', ?2)",
                params![
                    now,
                    serde_json::json!({"sha256": f.sha256, "documents": f.documents,
                        "retain_until": f.retain_until.to_string(), "purged_on": today.to_string()})
                    .to_string()
                ],
            )?;
            n += 1;
        }
        tx.commit()?;
        Ok(n)
    }
}
