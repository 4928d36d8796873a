//! Registered-data changes in the ledger: the facts a change is decided on, and each
//! change applied once to the application's registered record (its `data`; the hash of the
//! row as received stays, so the batch it came in still reads as the same application).

use super::Ledger;
use crate::lifecycle::changes::{ChangeFacts, ChangeRequest};
use crate::lifecycle::revocation::Target;
use crate::record::Application;
use anyhow::{Context, Result};
use rusqlite::{params, OptionalExtension};

/// A change as applied, for the subscriber's mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedChange {
    pub application: Application,
    pub serial: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

impl Ledger {
    /// What a change to `field` of the certificate `target` is decided on.
    pub fn change_facts(&self, target: &Target, field: &str) -> Result<Option<ChangeFacts>> {
        let Some(cert) = self.cert_facts(target)? else { return Ok(None) };
        let data: String =
            self.conn.query_row("SELECT data FROM applications WHERE id = ?1", [&cert.application_id], |r| r.get(0))?;
        let app: Application = serde_json::from_str(&data).context("ledger: an application is unreadable")?;
        let has_proxy_seal: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE owner_kind = 'application' AND owner_id = ?1
                             AND doc_type = 'proxy_seal_certificate' AND scan_status = 'ok')",
            [&cert.application_id],
            |r| r.get(0),
        )?;
        Ok(Some(ChangeFacts {
            serial: cert.serial,
            application_id: cert.application_id,
            revoked: cert.revocation.is_some(),
            current: app.field(field),
            has_proxy_seal,
        }))
    }

    /// The source of a change already applied from this row, if any (a batch run again).
    pub fn change_source_known(&self, source: &str) -> Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM changes WHERE source = ?1", [source], |_| Ok(())).optional()?.is_some())
    }

    /// Applies changes in one transaction: the registered record, the change, the audit.
    pub fn record_changes(&mut self, batch: &str, changes: &[(ChangeRequest, String, Option<String>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let now = crate::jpdate::now_iso();
        for (req, serial, new) in changes {
            let (id, data): (String, String) = tx.query_row(
                "SELECT a.id, a.data FROM issuances i JOIN applications a ON a.id = i.application_id WHERE i.serial = ?1",
                [serial],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut app: Application = serde_json::from_str(&data).context("ledger: an application is unreadable")?;
            let old = app.field(&req.field);
            set_field(&mut app, &req.field, new.clone())?;
            tx.execute("UPDATE applications SET data = ?2 WHERE id = ?1", params![id, serde_json::to_string(&app)?])?;
            tx.execute(
                "INSERT INTO changes (application_id, serial, field, old_value, new_value, requested_on, source, batch, applied_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![id, serial, req.field, old, new, req.requested_on.to_string(), req.source, batch, now],
            )?;
            tx.execute(
                "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'changed', ?2, ?3, ?4)",
                params![
                    now,
                    id,
                    serial,
                    serde_json::json!({"field": req.field, "old": old, "new": new, "source": req.source}).to_string()
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The changes applied from a batch's `changes.csv`, in the order applied.
    pub fn changes_of_batch(&self, batch: &str) -> Result<Vec<AppliedChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.serial, c.field, c.old_value, c.new_value, a.data FROM changes c
             JOIN applications a ON a.id = c.application_id WHERE c.batch = ?1 ORDER BY c.id",
        )?;
        let rows = stmt.query_map([batch], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (serial, field, old_value, new_value, data) = row?;
            out.push(AppliedChange {
                application: serde_json::from_str(&data).context("ledger: an application is unreadable")?,
                serial,
                field,
                old_value,
                new_value,
            });
        }
        Ok(out)
    }
}

/// Sets one changeable field of the registered record.
fn set_field(app: &mut Application, field: &str, value: Option<String>) -> Result<()> {
    match field {
        "email" => app.email = value.unwrap_or_default(),
        "phone" => app.phone = value,
        "proxy_name" => app.proxy_name = value,
        "proxy_postal_code" => app.proxy_postal_code = value,
        "proxy_address" => app.proxy_address = value,
        other => anyhow::bail!("{other} cannot change without reissue"),
    }
    Ok(())
}

impl Ledger {
    /// The certificates these serials (as `renewal_of` writes them) name, with their
    /// application's registered data; `None` for a serial the ledger never issued.
    pub fn renewed_certs(
        &self,
        serials: &std::collections::BTreeSet<String>,
    ) -> Result<std::collections::BTreeMap<String, Option<crate::screen::renewal::RenewedCert>>> {
        let mut out = std::collections::BTreeMap::new();
        for s in serials {
            let cert = match self.cert_facts(&Target::Serial(s.clone()))? {
                Some(c) => {
                    let data: String = self.conn.query_row(
                        "SELECT data FROM applications WHERE id = ?1",
                        [&c.application_id],
                        |r| r.get(0),
                    )?;
                    Some(crate::screen::renewal::RenewedCert {
                        serial: c.serial,
                        application: serde_json::from_str(&data).context("ledger: an application is unreadable")?,
                        // A revocation scheduled for later (the old card kept a while) is no bar.
                        revoked: c.revocation.is_some_and(|(_, _, in_effect)| in_effect),
                    })
                }
                None => None,
            };
            out.insert(s.clone(), cert);
        }
        Ok(out)
    }
}
