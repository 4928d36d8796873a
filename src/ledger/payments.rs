//! The ledger's side of payments: statements and credits imported once, fees due,
//! allocations of each credit, and payer aliases learned from people's decisions.

use super::Ledger;
use crate::payments::model::{Credit, MatchStatus, OpenFee, PaymentCounts, PaymentsWrite};
use crate::record::Application;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeSet;

/// A fee fully paid, for recognising a second payment.
#[derive(Debug, Clone)]
pub struct PaidFeeRow {
    pub application: Application,
    pub company: Option<String>,
    pub due: i64,
}

/// One row of `payments.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub transaction_id: String,
    pub date: String,
    pub amount: i64,
    pub payer_name: String,
    pub status: MatchStatus,
    pub application_ids: String,
    pub expected: i64,
    pub difference: i64,
    pub reason: String,
    /// A partial payment whose application a later credit paid in full: nothing is left to
    /// do about it.
    pub settled_later: bool,
}

/// Whether a credit's applications are now paid in full (a partial one, completed later).
const SETTLED_LATER: &str = "(c.status = 'partial' AND EXISTS (SELECT 1 FROM fees f
    WHERE f.application_id = c.application_ids AND f.received + f.tolerance >= f.due))";

/// A qualified invoice as recorded with its certificate: its gapless number, days and the
/// fee it bills (yen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub number: i64,
    pub application_id: String,
    pub product: String,
    pub issued_on: String,
    pub due_on: String,
    pub price: i64,
    pub tax: i64,
    pub extras: i64,
    pub total: i64,
    pub received: i64,
    pub status: String,
}

/// An unpaid fee or open invoice, for finance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFeeRow {
    pub application_id: String,
    pub product: String,
    pub due: i64,
    pub received: i64,
    pub since: NaiveDate,
    pub invoice_due_on: Option<NaiveDate>,
    pub status: String,
    /// The applicant and the company, as finance looks them up.
    pub name: String,
    pub company: String,
}

/// A `credits` row selected as (id, source_format, account, date, amount, payer_raw,
/// payer_code, edi, origin, …).
fn credit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Credit> {
    Ok(Credit {
        id: r.get(0)?,
        source_format: r.get(1)?,
        account: r.get(2)?,
        date: r.get::<_, String>(3)?.parse().unwrap_or_default(),
        amount: r.get(4)?,
        payer_raw: r.get(5)?,
        payer_code: r.get(6)?,
        edi: r.get(7)?,
        origin: r.get(8)?,
    })
}

/// A `credits` row selected as (id, date, amount, payer_raw, status, application_ids,
/// expected, difference, reason).
fn payment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PaymentRow> {
    let status: String = r.get(4)?;
    Ok(PaymentRow {
        transaction_id: r.get(0)?,
        date: r.get(1)?,
        amount: r.get(2)?,
        payer_name: r.get(3)?,
        status: status
            .parse()
            .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into()))?,
        application_ids: r.get(5)?,
        expected: r.get(6)?,
        difference: r.get(7)?,
        reason: r.get(8)?,
        settled_later: r.get(9)?,
    })
}

impl Ledger {
    /// Stored applications with no fee yet (not rejected ones: those are not stored).
    pub fn applications_without_fee(&self) -> Result<Vec<Application>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.data FROM applications a WHERE NOT EXISTS (SELECT 1 FROM fees f WHERE f.application_id = a.id) ORDER BY a.id",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// A credit by id.
    pub fn credit(&self, id: &str) -> Result<Option<(Credit, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, source_format, account, date, amount, payer_raw, payer_code, edi, origin, status FROM credits WHERE id = ?1",
                [id],
                |r| Ok((credit_row(r)?, r.get(9)?)),
            )
            .optional()?)
    }

    /// Fees not yet fully received, with the names a payer may use.
    pub fn open_fees(&self) -> Result<Vec<OpenFee>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.data, f.company, f.due, f.received, f.tolerance FROM fees f JOIN applications a ON a.id = f.application_id
             WHERE f.received + f.tolerance < f.due AND a.status NOT IN ('rejected', 'revoked') ORDER BY a.received_on, a.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (data, company, due, received, tolerance) = row?;
            let app: Application = serde_json::from_str(&data).context("ledger: an application is unreadable")?;
            let names = [Some(app.name_kana.clone()), app.payer_name.clone(), app.org_kana.clone()]
                .into_iter()
                .flatten()
                .collect();
            out.push(OpenFee {
                application_id: app.id,
                envelope_id: app.envelope_id,
                company,
                names,
                due,
                received,
                tolerance,
                received_on: app.received_on,
            });
        }
        Ok(out)
    }

    /// Fees fully received.
    pub fn paid_fees(&self) -> Result<Vec<PaidFeeRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.data, f.company, f.due FROM fees f JOIN applications a ON a.id = f.application_id
             WHERE f.received + f.tolerance >= f.due",
        )?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (data, company, due) = row?;
            out.push(PaidFeeRow { application: serde_json::from_str(&data)?, company, due });
        }
        Ok(out)
    }

    /// Payer aliases people confirmed: (payer key, application id).
    pub fn payer_aliases(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare("SELECT payer_key, application_id FROM payer_aliases")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records fees, statements, decisions and aliases in one transaction. A decision
    /// allocates yen to fees: each paid application its remaining due; a partial credit all
    /// its yen to its application; an overpayment the due (the rest is to be refunded). A
    /// fee received in full marks its application paid on the credit's date.
    pub fn record_payments(&mut self, run_id: i64, batch: &str, w: &PaymentsWrite) -> Result<PaymentCounts> {
        let tx = self.conn.transaction()?;
        let mut counts = PaymentCounts::default();
        for f in &w.fees {
            tx.execute(
                // A corrected application is priced again while nothing has been paid or
                // invoiced for it; after that its fee stands as it was.
                "INSERT INTO fees (application_id, product, company, price, tax, extras, due, tolerance, model)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (application_id) DO UPDATE SET product = excluded.product, company = excluded.company,
                    price = excluded.price, tax = excluded.tax, extras = excluded.extras, due = excluded.due,
                    tolerance = excluded.tolerance, model = excluded.model
                 WHERE fees.received = 0 AND fees.invoice_issued_on IS NULL",
                params![
                    f.application_id,
                    f.product,
                    f.company,
                    f.fee.price,
                    f.fee.tax,
                    f.fee.extras,
                    f.fee.total,
                    f.tolerance,
                    f.model
                ],
            )?;
        }
        for s in &w.statements {
            counts.new_statements += tx.execute(
                "INSERT OR IGNORE INTO statements (sha256, file, format, credits, imported_run) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.sha256, s.file, s.format, s.credits.len() as i64, run_id],
            )?;
            for c in &s.credits {
                let n = tx.execute(
                    "INSERT OR IGNORE INTO credits (id, source_format, account, date, amount, payer_raw, payer_code, edi, origin, imported_run)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![c.id, c.source_format, c.account, c.date.to_string(), c.amount, c.payer_raw, c.payer_code, c.edi, c.origin, run_id],
                )?;
                if n == 1 {
                    counts.new_credits += 1;
                    // A new credit belongs to this batch's payments.csv from now on, as
                    // decided below or as still unmatched.
                    tx.execute(
                        "INSERT OR IGNORE INTO batch_payments (batch, credit_id, status, application_ids, expected, difference, reason)
                         VALUES (?1, ?2, 'unmatched', '', 0, 0, '')",
                        params![batch, c.id],
                    )?;
                } else {
                    counts.repeated_credits += 1;
                }
            }
        }
        for (d, manual) in &w.decisions {
            let (amount, date, was, was_ids): (i64, String, String, String) = tx.query_row(
                "SELECT amount, date, status, application_ids FROM credits WHERE id = ?1",
                [&d.credit_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let ids = d.application_ids.join(" ");
            // The auditor sees each decision once: when a credit is first decided or decided otherwise.
            if was != d.status.as_str() || was_ids != ids {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'payment_decision', ?2, ?3)",
                    params![
                        crate::jpdate::now_iso(),
                        d.application_ids.first(),
                        format!(
                            "credit {} ({amount} yen on {date}): {} {ids}{}",
                            d.credit_id,
                            d.status.as_str(),
                            if *manual { " by finance's decision" } else { "" }
                        )
                    ],
                )?;
            }
            tx.execute(
                "UPDATE credits SET status = ?2, application_ids = ?3, expected = ?4, difference = ?5, reason = ?6, manual = ?7,
                        decided_run = ?8 WHERE id = ?1",
                params![d.credit_id, d.status.as_str(), ids, d.expected, d.difference, d.reason, manual, run_id],
            )?;
            counts.decided += 1;
            tx.execute(
                "INSERT INTO batch_payments (batch, credit_id, status, application_ids, expected, difference, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (batch, credit_id) DO UPDATE SET status = excluded.status,
                    application_ids = excluded.application_ids, expected = excluded.expected,
                    difference = excluded.difference, reason = excluded.reason",
                params![
                    batch,
                    d.credit_id,
                    d.status.as_str(),
                    d.application_ids.join(" "),
                    d.expected,
                    d.difference,
                    d.reason
                ],
            )?;
            let pays = matches!(d.status, MatchStatus::Matched | MatchStatus::Partial | MatchStatus::Overpaid);
            if !pays {
                continue;
            }
            let mut left = amount;
            for (i, app) in d.application_ids.iter().enumerate() {
                let (due, received): (i64, i64) =
                    tx.query_row("SELECT due, received FROM fees WHERE application_id = ?1", [app], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                let remaining = (due - received).max(0);
                // Each application its remaining due; the last one also what is left when the
                // credit was short (partial, or within tolerance). An overpayment's excess
                // stays unallocated: it is to be refunded.
                let last = i + 1 == d.application_ids.len();
                let take = if last && d.status != MatchStatus::Overpaid { left } else { left.min(remaining) };
                if take <= 0 {
                    continue;
                }
                left -= take;
                tx.execute(
                    "INSERT INTO allocations (credit_id, application_id, amount) VALUES (?1, ?2, ?3)
                     ON CONFLICT (credit_id, application_id) DO UPDATE SET amount = excluded.amount",
                    params![d.credit_id, app, take],
                )?;
                tx.execute("UPDATE fees SET received = received + ?2 WHERE application_id = ?1", params![app, take])?;
                let paid = tx.execute(
                    "UPDATE applications SET paid_on = ?2 WHERE id = ?1 AND paid_on IS NULL
                       AND (SELECT received + tolerance >= due FROM fees WHERE application_id = ?1)",
                    params![app, date],
                )?;
                if paid == 1 {
                    tx.execute(
                        "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'paid', ?2, ?3)",
                        params![crate::jpdate::now_iso(), app, format!("credit {} on {date}", d.credit_id)],
                    )?;
                    counts.paid.push((app.clone(), date.parse().context("ledger: a credit's date")?));
                }
                counts.newly_paid += paid;
            }
        }
        for (key, app) in &w.aliases {
            tx.execute(
                "INSERT OR IGNORE INTO payer_aliases (payer_key, application_id, learned_run) VALUES (?1, ?2, ?3)",
                params![key, app, run_id],
            )?;
        }
        crate::faults::point("payments-before-commit");
        tx.commit()?;
        Ok(counts)
    }

    /// The invoices of `ids` (those that have one), by number.
    pub fn invoices_of(&self, ids: &BTreeSet<String>) -> Result<Vec<InvoiceRow>> {
        Ok(self.invoices()?.into_iter().filter(|i| ids.contains(&i.application_id)).collect())
    }

    /// Every invoice, by number.
    pub fn invoices(&self) -> Result<Vec<InvoiceRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.invoice_number, f.application_id, f.product, f.invoice_issued_on, f.invoice_due_on,
                    f.price, f.tax, f.extras, f.due, f.received, a.status
             FROM fees f JOIN applications a ON a.id = f.application_id
             WHERE f.invoice_number IS NOT NULL ORDER BY f.invoice_number",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(InvoiceRow {
                number: r.get(0)?,
                application_id: r.get(1)?,
                product: r.get(2)?,
                issued_on: r.get::<_, String>(3)?,
                due_on: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                price: r.get(5)?,
                tax: r.get(6)?,
                extras: r.get(7)?,
                total: r.get(8)?,
                received: r.get(9)?,
                status: r.get(10)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>().context("ledger: reading invoices")
    }

    /// A batch's `payments.csv`: every credit its statements brought and every decision its
    /// runs made, each as that batch last decided it (so a rerun writes the same file, and a
    /// credit settled later by another batch shows there, not here).
    pub fn payments_of_batch(&self, batch: &str) -> Result<Vec<PaymentRow>> {
        let mut stmt = self.conn.prepare(
            &format!(
                "SELECT c.id, c.date, c.amount, c.payer_raw, b.status, b.application_ids, b.expected, b.difference, b.reason,
                        {SETTLED_LATER}
                 FROM batch_payments b JOIN credits c ON c.id = b.credit_id WHERE b.batch = ?1 ORDER BY c.date, c.id"
            ),
        )?;
        let rows = stmt.query_map([batch], payment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What the payments stage reads, all at once, before the run decides anything.
    pub fn payments_prior(&self, on: NaiveDate) -> Result<crate::payments::PaymentsPrior> {
        let mut p = crate::payments::PaymentsPrior::default();
        let mut stmt = self.conn.prepare(
            "SELECT id, source_format, account, date, amount, payer_raw, payer_code, edi, origin, status, manual FROM credits",
        )?;
        let rows = stmt.query_map([], |r| Ok((credit_row(r)?, r.get::<_, String>(9)?, r.get::<_, bool>(10)?)))?;
        for row in rows {
            let (c, status, manual) = row?;
            p.known_credits.insert(c.id.clone());
            if matches!(status.as_str(), "unmatched" | "ambiguous") && !manual {
                p.undecided.push(c.clone());
            }
            p.credits.insert(c.id.clone(), c);
        }
        p.undecided.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let mut stmt = self.conn.prepare("SELECT sha256 FROM statements")?;
        p.seen_statements = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        p.open = self.open_fees()?;
        p.paid = self
            .paid_fees()?
            .into_iter()
            .map(|f| crate::payments::matching::PaidFee {
                names: crate::payments::payer_names(&f.application),
                application_id: f.application.id,
                company: f.company,
                due: f.due,
            })
            .collect();
        p.aliases = self.payer_aliases()?;
        p.without_fee = self.applications_without_fee()?;
        let mut stmt = self.conn.prepare(
            "SELECT f.product, f.company, COUNT(*) FROM issuances i JOIN fees f ON f.application_id = i.application_id
             WHERE i.state = 'issued' AND i.revoked_on IS NULL AND f.company IS NOT NULL AND substr(i.not_after, 1, 10) >= ?1
             GROUP BY f.product, f.company",
        )?;
        for row in stmt.query_map([on.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })? {
            let (product, company, n) = row?;
            p.company_cards.insert((product, company), n as u32);
        }
        let mut stmt = self.conn.prepare("SELECT id, paid_on FROM applications WHERE paid_on IS NOT NULL")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (id, on) = row?;
            p.paid_on.insert(id, on.parse().context("ledger: bad paid_on")?);
        }
        Ok(p)
    }

    /// Every credit, for the reconciliation workbook.
    pub fn all_payments(&self) -> Result<Vec<PaymentRow>> {
        let mut stmt = self.conn.prepare(
            &format!(
                "SELECT c.id, c.date, c.amount, c.payer_raw, c.status, c.application_ids, c.expected, c.difference, c.reason,
                        {SETTLED_LATER}
                 FROM credits c ORDER BY c.date, c.id"
            ),
        )?;
        let rows = stmt.query_map([], payment_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Fees not fully received and open invoices, oldest first.
    pub fn open_fee_rows(&self) -> Result<Vec<OpenFeeRow>> {
        let mut stmt = self.conn.prepare(
            // A refund_due application owes nothing: its money goes back (refunds_due).
            "SELECT f.application_id, f.product, f.due, f.received, a.received_on, f.invoice_due_on, a.status, a.data
             FROM fees f JOIN applications a ON a.id = f.application_id
             WHERE f.received + f.tolerance < f.due AND a.status NOT IN ('rejected', 'revoked', 'refund_due')
               AND NOT (f.model = 'invoice' AND f.invoice_issued_on IS NULL)
             ORDER BY a.received_on, f.application_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let app = serde_json::from_str::<Application>(&r.get::<_, String>(7)?).ok();
            Ok(OpenFeeRow {
                application_id: r.get(0)?,
                product: r.get(1)?,
                due: r.get(2)?,
                received: r.get(3)?,
                since: r.get::<_, String>(4)?.parse().unwrap_or_default(),
                invoice_due_on: r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()),
                status: r.get(6)?,
                name: app.as_ref().map(|a| a.name_kanji.clone()).unwrap_or_default(),
                company: app.and_then(|a| a.org_name).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What finance owes back: overpaid and duplicate credits, and the refunds decided for
    /// applications (refund_due, pro rata on revocation) with their basis.
    pub fn refunds_due(&self) -> Result<Vec<RefundDue>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT id, CASE WHEN status = 'duplicate' THEN amount ELSE difference END, status, payer_raw, date FROM credits
             WHERE (status = 'overpaid' AND difference > 0) OR status = 'duplicate' ORDER BY date, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, yen, status, payer, date) = row?;
            out.push(RefundDue {
                id,
                amount: yen,
                why: if status == "duplicate" { "二重入金".into() } else { "過入金".into() },
                paid: None,
                basis: String::new(),
                name: payer,
                due_on: date.parse().ok(),
            });
        }
        for r in self.refunds(None)?.into_iter().filter(|r| r.refund.refund > 0) {
            let name = match &r.application.org_name {
                Some(org) => format!("{org}（{}）", r.application.name_kanji),
                None => r.application.name_kanji.clone(),
            };
            out.push(RefundDue {
                id: r.refund.application_id,
                amount: r.refund.refund,
                why: r.refund.reason,
                paid: Some(r.refund.paid),
                basis: r.refund.basis,
                name,
                due_on: Some(r.due_on),
            });
        }
        Ok(out)
    }
}

/// One line of finance's `refunds_due` sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundDue {
    /// A credit's id, or an application's.
    pub id: String,
    pub amount: i64,
    pub why: String,
    /// What was received, for an application's refund.
    pub paid: Option<i64>,
    pub basis: String,
    /// The payer as the bank wrote it, or the applicant (and company).
    pub name: String,
    pub due_on: Option<chrono::NaiveDate>,
}
