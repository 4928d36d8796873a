//! One application's whole story, read from the ledger for `certbatch status ID`: the row
//! it came from, its documents, every decision and payment, its certificates, invoice,
//! card, receipt and revocation, in the order the audit log recorded them. Read-only.

use super::Ledger;
use anyhow::{Context, Result};
use rusqlite::{params, OptionalExtension};

/// What the ledger knows of one application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Story {
    /// id, product, type, status, reasons, batch, source row, received, first notice, paid.
    pub application: Vec<(&'static str, String)>,
    /// doc_type, file, issued_on, arrived_on, scan_status, batch, source.
    pub documents: Vec<[String; 7]>,
    /// credit id, date, amount, payer, status, allocated.
    pub payments: Vec<[String; 6]>,
    /// serial, state, not_before, not_after, cert_file, batch/out_dir.
    pub certificates: Vec<[String; 6]>,
    /// invoice number, issued, due, total, received.
    pub invoice: Option<[String; 5]>,
    /// card number, token, state.
    pub cards: Vec<[String; 3]>,
    /// received_on, method (receipt); reason, effective, revoked_at (revocation).
    pub receipt: Option<[String; 2]>,
    pub revocation: Option<[String; 3]>,
    /// at, event, detail: the audit log's entries for the application, in order.
    pub events: Vec<[String; 3]>,
}

impl Ledger {
    /// The story of `id`, or `None` when the ledger never stored it.
    pub fn story(&self, id: &str) -> Result<Option<Story>> {
        let c = &self.conn;
        let app = c
            .query_row(
                "SELECT id, product, cert_type, status, reasons, batch, source, received_on,
                        COALESCE(first_notice_on, ''), COALESCE(paid_on, '') FROM applications WHERE id = ?1",
                [id],
                |r| (0..10).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<Vec<String>>>(),
            )
            .optional()
            .context("ledger: reading the application")?;
        let Some(app) = app else { return Ok(None) };
        let names =
            ["application", "product", "type", "status", "reasons", "batch", "row", "received", "first notice", "paid"];
        let mut s = Story { application: names.into_iter().zip(app).collect(), ..Story::default() };
        let envelope: String = c.query_row("SELECT envelope_id FROM applications WHERE id = ?1", [id], |r| r.get(0))?;
        s.documents = rows(
            c,
            "SELECT doc_type, file, issued_on, arrived_on, scan_status, batch, source FROM documents
             WHERE (owner_kind = 'application' AND owner_id = ?1) OR (owner_kind = 'envelope' AND owner_id = ?2)
             ORDER BY arrived_on, id",
            params![id, envelope],
        )?;
        s.payments = rows(
            c,
            "SELECT c.id, c.date, c.amount, c.payer_raw, c.status, a.amount FROM allocations a
             JOIN credits c ON c.id = a.credit_id WHERE a.application_id = ?1 ORDER BY c.date, c.id",
            params![id],
        )?;
        s.certificates = rows(
            c,
            "SELECT serial, state, COALESCE(not_before, ''), COALESCE(not_after, ''), COALESCE(cert_file, ''),
                    out_dir FROM issuances WHERE application_id = ?1 ORDER BY id",
            params![id],
        )?;
        s.invoice = rows(
            c,
            "SELECT invoice_number, invoice_issued_on, COALESCE(invoice_due_on, ''), due, received FROM fees
             WHERE application_id = ?1 AND invoice_number IS NOT NULL",
            params![id],
        )?
        .into_iter()
        .next();
        s.cards = rows(
            c,
            "SELECT COALESCE(card_number, ''), token_serial, state FROM card_tokens WHERE application_id = ?1",
            params![id],
        )?;
        s.receipt = rows(
            c,
            "SELECT r.received_on, r.method FROM receipts r JOIN issuances i ON i.serial = r.serial
             WHERE i.application_id = ?1",
            params![id],
        )?
        .into_iter()
        .next();
        s.revocation = rows(
            c,
            "SELECT reason, effective_on, COALESCE(revoked_at, '') FROM revocations WHERE application_id = ?1",
            params![id],
        )?
        .into_iter()
        .next();
        s.events = rows(c, "SELECT at, event, detail FROM audit WHERE application_id = ?1 ORDER BY id", params![id])?;
        Ok(Some(s))
    }
}

/// Every row of a query as `N` strings (numbers as text).
fn rows<const N: usize>(c: &rusqlite::Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<[String; N]>> {
    let mut stmt = c.prepare(sql)?;
    let out = stmt.query_map(p, |r| {
        let mut a: [String; N] = std::array::from_fn(|_| String::new());
        for (i, cell) in a.iter_mut().enumerate() {
            *cell = match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => String::new(),
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Real(x) => x.to_string(),
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                    String::from_utf8_lossy(t).into_owned()
                }
            };
        }
        Ok(a)
    })?;
    Ok(out.collect::<rusqlite::Result<Vec<_>>>()?)
}
