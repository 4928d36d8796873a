//! The letters without a secret: 送付のお知らせ兼受領書 for each issued certificate, 不備の
//! お知らせ for each application found deficient, 有効期限のお知らせ from `daily`. Made from
//! the run's values only, so a rerun makes the same files again; a notice that cannot be
//! laid out (a name the font lacks, an address too long for the window) goes to the staff
//! queue and the others go on.

use super::letter_pdf::Letter;
use super::routing::{post_name, Addressee};
use super::templates::fill;
use super::writer::{Envelope, LetterError, LetterKit, Prepared, WrittenLetter};
use crate::pipelines::Pipelines;
use crate::product::{PostMethod, Recipient};
use crate::record::{Application, Status};
use crate::screen::{Change, Decision};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

/// The notices of a run: those to print, and those on the staff queue. Notices are
/// gathered first and laid out and written together on all cores ([`Notices::write`]).
#[derive(Debug, Default)]
pub struct Notices {
    pending: Vec<Pending>,
    pub printed: Vec<Prepared>,
    pub queued: Vec<WrittenLetter>,
}

#[derive(Debug)]
struct Pending {
    id: String,
    kind: &'static str,
    post: PostMethod,
    to: Addressee,
    letter: Letter,
}

/// A notice written, or queued for staff.
enum Written {
    Printed(Prepared),
    Queued(WrittenLetter),
}

pub(super) fn page(
    t: &super::templates::Template,
    values: &BTreeMap<&str, String>,
    app: &Application,
    to: &Addressee,
    post: PostMethod,
    reasons: &[String],
) -> Letter {
    let paragraphs = t.filled_paragraphs(values, reasons);
    Letter {
        title: fill(&t.title, values),
        address_lines: LetterKit::address_lines(to),
        reference: format!("お申し込みコード: {}　{}", app.id, post_name(post)),
        paragraphs,
        secret_label: None,
        secret: None,
        footer_lines: t.footer.iter().map(|p| fill(p, values)).collect(),
    }
}

impl Notices {
    pub(super) fn add(&mut self, env: Envelope, letter: Letter) {
        let to = env.to.clone();
        self.pending.push(Pending { id: env.id.to_string(), kind: env.kind, post: env.post, to, letter });
    }

    /// Lays out and writes every gathered notice, on all cores, in the order gathered; one
    /// that cannot be laid out is queued for staff. A file that cannot be written is an error
    /// of the run (notices are written after every commit: nothing is lost, the rerun writes
    /// them).
    pub fn write(&mut self, kit: &LetterKit, out_b: &Path) -> Result<()> {
        self.lay_out(kit, out_b, true)
    }

    /// As [`Notices::write`], but the letters go into the print files only (no PDF per
    /// letter; the manifest names each one's print file and page): `daily`'s notices.
    pub fn write_print_only(&mut self, kit: &LetterKit, out_b: &Path) -> Result<()> {
        self.lay_out(kit, out_b, false)
    }

    fn lay_out(&mut self, kit: &LetterKit, out_b: &Path, own_files: bool) -> Result<()> {
        use rayon::prelude::*;
        let pending = std::mem::take(&mut self.pending);
        let written: Vec<Result<Written>> = pending
            .into_par_iter()
            .map(|p| {
                let env = Envelope { id: &p.id, kind: p.kind, post: p.post, to: &p.to };
                match kit.check(&p.letter) {
                    Ok(pages) if !own_files => Ok(Written::Printed(kit.prepared(env, p.letter, pages))),
                    Ok(_) => match kit.write(out_b, env, p.letter, false) {
                        Ok(w) => Ok(Written::Printed(w)),
                        Err(LetterError::Layout(why)) => anyhow::bail!("{} letter for {}: {why}", p.kind, p.id),
                        Err(LetterError::Unwritable { file, cause }) => {
                            Err(cause.context(format!("cannot write {file}")))
                        }
                    },
                    Err(why) => Ok(Written::Queued(kit.write_queued(out_b, env, p.letter, &why)?)),
                }
            })
            .collect();
        for w in written {
            match w? {
                Written::Printed(p) => self.printed.push(p),
                Written::Queued(q) => self.queued.push(q),
            }
        }
        Ok(())
    }
}

fn applicant(app: &Application) -> Addressee {
    Addressee { name: app.name_kanji.clone(), postal_code: app.postal_code.clone(), address: app.address.clone() }
}

/// Who a routed item reaches: the proxy, the company (the applicant where none is
/// registered), or the applicant.
pub(super) fn addressee(app: &Application, to: Recipient) -> Addressee {
    match to {
        Recipient::Proxy => Addressee {
            name: app.proxy_name.clone().unwrap_or_default(),
            postal_code: app.proxy_postal_code.clone().unwrap_or_default(),
            address: app.proxy_address.clone().unwrap_or_default(),
        },
        Recipient::Company => company(app).unwrap_or_else(|| applicant(app)),
        Recipient::Applicant => applicant(app),
    }
}

/// 不備のお知らせ for the run's deficient applications (new, or screened again), on the
/// day of their first review notice or whenever screened anew.
pub fn deficiency_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    decisions: &[Decision],
    as_of: NaiveDate,
    notices: &mut Notices,
) -> Result<()> {
    for d in decisions.iter().filter(|d| d.status == Status::Deficient) {
        let (Some(app), Some(notice)) = (&d.application, d.first_notice_on) else { continue };
        // Screened anew, or its first notice is today (a rerun of the same day makes the
        // same letter again).
        if !(matches!(d.change, Change::New | Change::Corrected | Change::Rescreened) || notice == as_of) {
            continue;
        }
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = kit.templates().get(&app.product, "deficiency").context("no deficiency template")?;
        let deadline = crate::jpdate::add_months(notice, product.screening.documents_overdue_months);
        let values = BTreeMap::from([
            ("name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("deadline", crate::jpdate::to_era_string(deadline)),
            ("ca_name", kit.ca_name().to_string()),
        ]);
        // Staff work (a scan to find or mask) is the staff queue's, never the applicant's.
        let reasons: Vec<String> =
            d.findings.iter().filter(|f| f.is_for_applicant()).map(|f| f.message.clone()).collect();
        if reasons.is_empty() {
            continue;
        }
        let to = applicant(app);
        let letter = page(t, &values, app, &to, PostMethod::Registered, &reasons);
        let env = Envelope { id: &app.id, kind: "deficiency", post: PostMethod::Registered, to: &to };
        notices.add(env, letter);
    }
    Ok(())
}

/// 有効期限のお知らせ for certificates whose expiry notice is due: (application, serial,
/// issue day, notAfter day), to the applicant by ordinary post. The serial is what a
/// renewal writes in `renewal_of`.
pub fn expiry_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    due: &[(Application, String, NaiveDate, NaiveDate)],
    notices: &mut Notices,
) -> Result<()> {
    for (app, serial, issued_on, end) in due {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = kit.templates().get(&app.product, "expiry").context("no expiry template")?;
        let values = BTreeMap::from([
            ("name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("serial", serial.clone()),
            ("issue_date", issued_on.format("%Y年%m月%d日").to_string()),
            ("not_after", format!("{} 23:59:59", end.format("%Y年%m月%d日"))),
            ("ca_name", kit.ca_name().to_string()),
        ]);
        let to = applicant(app);
        let letter = page(t, &values, app, &to, PostMethod::Ordinary, &[]);
        let env = Envelope { id: &app.id, kind: "expiry", post: PostMethod::Ordinary, to: &to };
        notices.add(env, letter);
    }
    Ok(())
}

/// A revocation that took effect, as its 失効通知書 quotes it.
#[derive(Debug, Clone)]
pub struct RevocationNotice {
    pub application: Application,
    pub serial: String,
    pub issued_on: NaiveDate,
    pub not_after: NaiveDate,
    /// "2026年12月21日 10:00" (JST).
    pub revoked_at: String,
    pub reason: String,
}

/// The values a post-issue notice fills in, for letter and mail alike.
pub fn revocation_values(
    kit: &LetterKit,
    product_name: &str,
    n: &RevocationNotice,
    addressee: &str,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("addressee", addressee.to_string()),
        ("name", n.application.name_kanji.clone()),
        ("application_id", n.application.id.clone()),
        ("product_name", product_name.to_string()),
        ("serial", n.serial.clone()),
        ("issue_date", n.issued_on.format("%Y年%m月%d日").to_string()),
        ("not_after", format!("{} 23:59:59", n.not_after.format("%Y年%m月%d日"))),
        ("revoked_at", n.revoked_at.clone()),
        ("reason", n.reason.clone()),
        ("ca_name", kit.ca_name().to_string()),
    ])
}

/// The company as an addressee: its name and representative at `org_address` (the contract
/// has no postal code for the organisation, so its notice carries none).
pub fn company(app: &Application) -> Option<Addressee> {
    let org = app.org_name.clone()?;
    let name = match &app.org_representative {
        Some(rep) => format!("{org}　{rep}"),
        None => org,
    };
    Some(Addressee { name, postal_code: String::new(), address: app.org_address.clone().unwrap_or_default() })
}

/// 失効通知書 for each revocation, to the applicant and, where the product says so, to the
/// company (seed 003 §4), by ordinary post.
pub fn revocation_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    revoked: &[RevocationNotice],
    notices: &mut Notices,
) -> Result<()> {
    use crate::product::NoticeTo;
    for n in revoked {
        let app = &n.application;
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = kit.templates().get(&app.product, "revocation").context("no revocation template")?;
        for to in &product.notices.revocation_notice_to {
            let (kind, addressee) = match to {
                NoticeTo::Applicant => ("revocation", applicant(app)),
                NoticeTo::Company => match company(app) {
                    Some(c) => ("revocation-company", c),
                    None => continue,
                },
            };
            let values = revocation_values(kit, &product.name_ja, n, &addressee.name);
            let letter = page(t, &values, app, &addressee, PostMethod::Ordinary, &[]);
            notices.add(Envelope { id: &app.id, kind, post: PostMethod::Ordinary, to: &addressee }, letter);
        }
    }
    Ok(())
}

/// The words of a 返金のお知らせ for one refund, addressed to `addressee`.
pub fn refund_values(
    kit: &LetterKit,
    product_name: &str,
    r: &crate::ledger::refunds::RefundRow,
    addressee: &str,
) -> BTreeMap<&'static str, String> {
    let reason = match r.refund.reason.as_str() {
        "documents_overdue" => "書類が揃わないまま期限を過ぎたため、お申し込みを終了しました".to_string(),
        code => match code.parse::<crate::lifecycle::revocation::Reason>() {
            Ok(reason) => format!("電子証明書の失効（{}）に伴い、残りの有効期間分を返金します", reason.japanese()),
            Err(_) => code.to_string(),
        },
    };
    let yen = |n: i64| crate::text::yen(n);
    BTreeMap::from([
        ("addressee", addressee.to_string()),
        ("name", r.application.name_kanji.clone()),
        ("application_id", r.application.id.clone()),
        ("product_name", product_name.to_string()),
        ("serial", r.refund.serial.clone()),
        ("reason", reason),
        ("paid", yen(r.refund.paid)),
        ("refund", yen(r.refund.refund)),
        ("basis", r.refund.basis.clone()),
        ("ca_name", kit.ca_name().to_string()),
    ])
}

/// Who a refund notice goes to: whoever paid, as the product says.
pub fn refund_addressee(pipelines: &Pipelines, app: &Application) -> Addressee {
    use crate::product::NoticeTo;
    match pipelines.product(&app.product).map(|p| p.refunds.notice_to) {
        Some(NoticeTo::Company) => company(app).unwrap_or_else(|| applicant(app)),
        _ => applicant(app),
    }
}

/// 返金のお知らせ for refunds of more than nothing, by ordinary post.
pub fn refund_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    refunds: &[crate::ledger::refunds::RefundRow],
    notices: &mut Notices,
) -> Result<()> {
    for r in refunds.iter().filter(|r| r.refund.refund > 0) {
        let app = &r.application;
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = kit.templates().get(&app.product, "refund").context("no refund template")?;
        let to = refund_addressee(pipelines, app);
        let values = refund_values(kit, &product.name_ja, r, &to.name);
        let letter = page(t, &values, app, &to, PostMethod::Ordinary, &[]);
        notices.add(Envelope { id: &app.id, kind: "refund", post: PostMethod::Ordinary, to: &to }, letter);
    }
    Ok(())
}

/// A certificate issued under a batch, as its notices and mails quote it.
#[derive(Debug, Clone)]
pub struct IssuedNotice {
    pub application: Application,
    pub serial: String,
    pub issued_on: NaiveDate,
    /// notAfter, as letters print it.
    pub not_after: String,
}

/// 送付のお知らせ兼受領書 for issued certificates, routed like the product's `notice` item.
pub fn receipt_letters(
    pipelines: &Pipelines,
    kit: &LetterKit,
    issued: &[IssuedNotice],
    notices: &mut Notices,
) -> Result<()> {
    for i in issued {
        let app = &i.application;
        let Some(product) = pipelines.product(&app.product) else { continue };
        let routes =
            if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
        let Some(route) = routes.get("notice") else { continue };
        if route.post == PostMethod::Email {
            continue;
        }
        let to = addressee(app, route.to);
        // What travels in this notice's envelope and what apart, each named as its letter
        // is titled (the product's own template) or as the medium it is.
        let t = kit.templates().get(&app.product, "receipt").context("no receipt template")?;
        let (mut enclosed, mut apart) = (Vec::new(), Vec::new());
        for (item, r) in routes.iter().filter(|(k, _)| k.as_str() != "notice") {
            let name = match item.as_str() {
                "pin" | "download_password" => match kit.templates().get(&app.product, item) {
                    Some(letter) => format!("「{}」", letter.title),
                    None => continue,
                },
                "media" | "card" => super::mailroom::medium_name(product.delivery.method).to_string(),
                "invoice" => match kit.templates().get(&app.product, item) {
                    Some(letter) => format!("「{}」", letter.title),
                    None => continue,
                },
                _ => continue,
            };
            if r.to == route.to && r.post == route.post {
                enclosed.push(name);
            } else {
                apart.push(name);
            }
        }
        let list = |template: &str, items: &[String]| {
            if items.is_empty() {
                String::new()
            } else {
                fill(template, &BTreeMap::from([("items", items.join("、"))]))
            }
        };
        let enclosures = [list(&t.enclosed_with, &enclosed), list(&t.sent_apart, &apart)].concat();
        let days = product.notices.receipt_revoke_days.unwrap_or(30);
        let values = BTreeMap::from([
            ("name", to.name.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("contract_number", i.serial.chars().take(12).collect::<String>().to_uppercase()),
            ("issue_date", crate::jpdate::to_era_string(i.issued_on)),
            ("not_after", i.not_after.clone()),
            ("receipt_deadline", crate::jpdate::to_era_string(i.issued_on + chrono::Days::new(u64::from(days)))),
            ("enclosures", enclosures),
            ("ca_name", kit.ca_name().to_string()),
        ]);
        let letter = page(t, &values, app, &to, route.post, &[]);
        let env = Envelope { id: &app.id, kind: "receipt", post: route.post, to: &to };
        notices.add(env, letter);
    }
    Ok(())
}
