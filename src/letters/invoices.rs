//! 請求書（適格請求書）: the qualified invoice of each invoiced certificate, as a letter
//! (`letters/invoice/<id>.pdf`, in the notices' print file and manifest), addressed and
//! posted as the product's `[delivery]` routes its `invoice` (AOSign: with the card to the
//! user; Web and CECSIGN: to the company).
//!
//! The number is the ledger's (taken with the certificate, without gaps); the amounts are
//! the fee recorded then; the issuer is `pipelines/letters/invoicing.toml`. Everything comes from
//! the ledger, so a rerun prints the same invoice.

use super::notices::Notices;
use super::routing::Addressee;
use super::writer::{Envelope, LetterKit};
use crate::ledger::payments::InvoiceRow;
use crate::pipelines::Pipelines;
use crate::product::{PostMethod, Product, Recipient, TaxMode};
use crate::record::Application;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// `pipelines/letters/invoicing.toml`: who issues the invoices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoicing {
    pub issuer_name: String,
    /// `T` and a 13-digit corporate number (適格請求書発行事業者登録番号).
    pub registration_number: String,
    pub address: String,
    pub phone: String,
    pub number_prefix: String,
    pub number_digits: usize,
    /// Where invoices are paid: the bank, branch, account and holder, as printed.
    pub bank_account: String,
}

impl Invoicing {
    pub fn load(pipelines_dir: &Path) -> Result<Invoicing> {
        let path = pipelines_dir.join("letters/invoicing.toml");
        let i: Invoicing = crate::pipelines::read_toml(&path)?;
        i.check().with_context(|| format!("{}", path.display()))?;
        Ok(i)
    }

    fn check(&self) -> Result<()> {
        let Some(number) = self.registration_number.strip_prefix('T') else {
            bail!("registration_number {:?} must be T and 13 digits", self.registration_number);
        };
        if let Err(e) = crate::screen::corporate_number::check_corporate_number(number) {
            bail!("registration_number {:?}: {e}", self.registration_number);
        }
        if self.issuer_name.trim().is_empty() || !(1..=12).contains(&self.number_digits) {
            bail!("issuer_name must be given and number_digits be 1 to 12");
        }
        Ok(())
    }

    /// `DEMO-INV-000001`.
    pub fn number(&self, n: i64) -> String {
        format!("{}{:0width$}", self.number_prefix, n, width = self.number_digits)
    }
}

/// The amounts an invoice states, per its one tax rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amounts {
    /// Item lines: (name, quantity, amount as the table lists it).
    pub items: Vec<(String, u32, i64)>,
    pub rate_percent: u32,
    pub tax_mode: TaxMode,
    /// Consumption tax of the rate: added (excluded prices) or contained (included), rounded
    /// down once per invoice and rate, as the qualified-invoice rules require.
    pub tax: i64,
    pub total: i64,
}

/// What `row` bills, in the terms of the fee table the application was priced by.
pub fn amounts(row: &InvoiceRow, app: &Application, product: &Product) -> Result<Amounts> {
    let table = product.fees_on(app.applied_on).with_context(|| format!("{}: no fee table", product.id))?;
    let type_name = product.cert_types.get(&app.cert_type).map_or(app.cert_type.as_str(), |t| t.name_ja.as_str());
    let mut items = vec![(format!("{} {}（{}）", product.name_ja, type_name, term_name(&app.term)), 1, row.price)];
    if row.extras > 0 {
        items.push(("ICカードリーダー".to_string(), app.card_readers, row.extras));
    }
    let rate = i64::from(table.tax_rate_percent);
    let tax = match table.tax {
        TaxMode::Excluded => row.tax,
        TaxMode::Included => row.total * rate / (100 + rate),
    };
    Ok(Amounts { items, rate_percent: table.tax_rate_percent, tax_mode: table.tax, tax, total: row.total })
}

/// "1y" as the invoice and the mails write it: 1年, 1年と30日.
pub fn term_name(term: &str) -> String {
    let t = term.trim();
    let (years, rest) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    match (years.parse::<u32>(), rest) {
        (Ok(y), "y") => format!("{y}年"),
        (Ok(y), "y+30d") => format!("{y}年と30日"),
        _ => t.to_string(),
    }
}

/// Whom the invoice goes to and by which post, as the product routes `invoice`.
fn route(app: &Application, product: &Product) -> Option<(Addressee, PostMethod)> {
    let routes = if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
    let r = routes.get("invoice")?;
    // The payer, never a proxy: a proxy receives goods, not bills.
    let to = if r.to == Recipient::Proxy { Recipient::Applicant } else { r.to };
    Some((super::notices::addressee(app, to), r.post))
}

/// Whom an application's invoice is addressed to, as it prints (finance's list says the same).
pub fn addressee_name(app: &Application, product: &Product) -> String {
    route(app, product).map_or_else(|| app.name_kanji.clone(), |(to, _)| to.name)
}

/// An invoice and what it bills for.
pub struct Invoice<'a> {
    pub row: &'a InvoiceRow,
    pub application: &'a Application,
    pub serial: &'a str,
}

/// Each invoice row joined to its application and the certificate it bills for.
pub fn with_certificates<'a>(
    rows: &'a [InvoiceRow],
    issued: &'a [crate::ledger::issuance::IssuedRow],
    apps: &'a BTreeMap<String, Application>,
) -> Vec<Invoice<'a>> {
    rows.iter()
        .filter_map(|row| {
            let serial = issued.iter().find(|i| i.application_id == row.application_id)?.serial.as_str();
            Some(Invoice { row, application: apps.get(&row.application_id)?, serial })
        })
        .collect()
}

/// The invoices as letters, added to `notices`. An invoice of nothing (a free token) is not
/// printed; its number stays on finance's list.
pub fn invoice_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    issuer: &Invoicing,
    invoices: &[Invoice],
    notices: &mut Notices,
) -> Result<()> {
    for inv in invoices {
        let app = inv.application;
        let Some(product) = pipelines.product(&app.product) else { continue };
        let Some((to, post)) = route(app, product) else { continue };
        if inv.row.total == 0 || post == PostMethod::Email {
            continue;
        }
        let a = amounts(inv.row, app, product)?;
        let t = kit.templates().get(&app.product, "invoice").context("no invoice template")?;
        // 御中 for a company alone; 様 once a person is named (its representative, or the user).
        let company_alone = app.org_name.as_deref() == Some(to.name.as_str());
        let honorific = if company_alone { "御中" } else { "様" };
        let tax_lines = match a.tax_mode {
            TaxMode::Excluded => format!(
                "{rate}%対象: {sub}円（税抜）\n消費税（{rate}%）: {tax}円",
                rate = a.rate_percent,
                sub = crate::text::yen(a.total - a.tax),
                tax = crate::text::yen(a.tax)
            ),
            TaxMode::Included => format!(
                "{rate}%対象: {total}円（税込）\nうち消費税（{rate}%）: {tax}円",
                rate = a.rate_percent,
                total = crate::text::yen(a.total),
                tax = crate::text::yen(a.tax)
            ),
        };
        let basis = if a.tax_mode == TaxMode::Excluded { "税抜" } else { "税込" };
        let items: Vec<String> = a
            .items
            .iter()
            .map(|(name, n, amount)| {
                format!("{name}　数量 {n}　金額 {}円（{basis}・{}%対象）", crate::text::yen(*amount), a.rate_percent)
            })
            .collect();
        let day = |s: &str| s.parse().map(crate::jpdate::to_era_string).unwrap_or_else(|_| s.to_string());
        let values = BTreeMap::from([
            ("addressee", format!("{} {honorific}", to.name)),
            ("name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("serial", inv.serial.to_string()),
            ("invoice_number", issuer.number(inv.row.number)),
            ("issue_date", day(&inv.row.issued_on)),
            ("due_date", day(&inv.row.due_on)),
            ("total", crate::text::yen(a.total)),
            ("tax_lines", tax_lines),
            ("payee", issuer.bank_account.clone()),
            ("issuer", format!("{}（{}　電話 {}）", issuer.issuer_name, issuer.address, issuer.phone)),
            ("registration_number", issuer.registration_number.clone()),
            ("ca_name", kit.ca_name().to_string()),
        ]);
        let letter = super::notices::page(t, &values, app, &to, post, &items);
        notices.add(Envelope { id: &app.id, kind: "invoice", post, to: &to }, letter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{application, pipelines};

    fn row(price: i64, tax: i64, extras: i64) -> InvoiceRow {
        InvoiceRow {
            number: 7,
            application_id: "A1".into(),
            product: String::new(),
            issued_on: "2026-11-19".into(),
            due_on: "2027-01-31".into(),
            price,
            tax,
            extras,
            total: price + tax + extras,
            received: 0,
            status: "issued".into(),
        }
    }

    #[test]
    fn tax_is_added_to_excluded_prices_and_found_inside_included_ones() {
        let p = pipelines();
        let mut web = application("W1");
        web.product = "passport-web".into();
        web.cert_type = "server".into();
        web.term = "1y".into();
        let a = amounts(&row(60_000, 6_000, 0), &web, p.product("passport-web").unwrap()).unwrap();
        assert_eq!((a.tax, a.total, a.rate_percent), (6_000, 66_000, 10));
        assert_eq!(a.items.len(), 1);
        let mut ao = application("A1");
        ao.product = "aosign-g2".into();
        ao.cert_type = "card".into();
        ao.term = "1y+30d".into();
        ao.card_readers = 1;
        let a = amounts(&row(16_500, 0, 9_900), &ao, p.product("aosign-g2").unwrap()).unwrap();
        // 26,400 × 10/110 = 2,400, once for the invoice, not per line.
        assert_eq!((a.tax, a.total, a.tax_mode), (2_400, 26_400, TaxMode::Included));
        assert_eq!(a.items[1], ("ICカードリーダー".to_string(), 1, 9_900));
        assert!(a.items[0].0.contains("1年と30日"), "{:?}", a.items);
    }

    #[test]
    fn the_issuer_needs_a_registration_number_with_its_check_digit() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        let i = Invoicing::load(&dir).unwrap();
        assert_eq!(i.number(12), "DEMO-INV-000012");
        let bad = Invoicing { registration_number: "T9000000000001".into(), ..i.clone() };
        assert!(bad.check().is_err());
        let bad = Invoicing { registration_number: "9000000000000".into(), ..i };
        assert!(bad.check().is_err());
    }
}
