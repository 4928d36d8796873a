//! The emails of a run, as `.eml` files in `OUT/<batch>/mail/`: review results (accepted,
//! or the deficiency notice on the day of the first review notice), worded per product by
//! `pipelines/letters/<product>/mail_*.toml`; for download products the download URL; for
//! products whose certificate travels by email, the issue mail carrying it and its chain.
//! No email carries a PIN or a password.
//!
//! Each mail is dated by what it is about (the batch's first run for review results, the
//! certificate's notBefore for its download URL) and its Message-ID derives from its
//! contents, so a rerun writes the same bytes and a mail sender never sends one twice.

use super::templates::fill;
use super::writer::LetterKit;
use crate::mail::{download_url_mail, Attachment, Sender};
use crate::pipelines::Pipelines;
use crate::product::Product;
use crate::record::{Application, Status};
use crate::screen::{Change, Decision};
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// `pipelines/letters/mail.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub from_name: String,
    pub from_address: String,
    pub domain: String,
    /// With `{serial}`.
    pub download_url: String,
}

impl MailConfig {
    pub fn load(pipelines_dir: &Path) -> Result<MailConfig> {
        crate::pipelines::read_toml(&pipelines_dir.join("letters/mail.toml"))
    }

    pub fn sender(&self) -> Sender {
        Sender { name: self.from_name.clone(), address: self.from_address.clone(), domain: self.domain.clone() }
    }
}

/// Review-result mails, worded by each product's `mail_accepted` and `mail_deficiency`
/// templates: `accepted` for applications accepted in this run, the deficiency notice for
/// those whose first review notice is today. `moment` is the batch's first run.
pub fn review_mails(
    out_b: &Path,
    cfg: &MailConfig,
    kit: &LetterKit,
    pipelines: &Pipelines,
    decisions: &[Decision],
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<usize> {
    use rayon::prelude::*;
    let written: Vec<Result<bool>> =
        decisions.par_iter().map(|d| review_mail(out_b, cfg, kit, pipelines, d, as_of, moment)).collect();
    let mut n = 0;
    for w in written {
        n += usize::from(w?);
    }
    Ok(n)
}

/// The values every product mail may quote about its application and product.
fn product_values(kit: &LetterKit, product: &Product, app: &Application) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::from([
        ("name", app.name_kanji.clone()),
        ("application_id", app.id.clone()),
        ("product_name", product.name_ja.clone()),
        ("ca_name", kit.ca_name().to_string()),
        ("overdue_months", product.screening.documents_overdue_months.to_string()),
        ("term", super::invoices::term_name(&app.term)),
    ]);
    if let Some(days) = product.notices.download_valid_days {
        v.insert("download_days", days.to_string());
    }
    v
}

/// The review mail of one decision, if it gets one.
#[allow(clippy::too_many_arguments)]
fn review_mail(
    out_b: &Path,
    cfg: &MailConfig,
    kit: &LetterKit,
    pipelines: &Pipelines,
    d: &Decision,
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<bool> {
    let Some(app) = &d.application else { return Ok(false) };
    let Some(product) = pipelines.product(&app.product) else { return Ok(false) };
    let first_notice_today = d.first_notice_on == Some(as_of);
    let (kind, reasons) = match d.status {
        Status::Accepted if matches!(d.change, Change::New | Change::Corrected | Change::Rescreened) => {
            ("mail_accepted", Vec::new())
        }
        // Paid already and issued in the same run: no payment guidance, only delivery.
        Status::Issued if matches!(d.change, Change::New | Change::Corrected | Change::Rescreened) => {
            ("mail_accepted_issued", Vec::new())
        }
        // The first notice is set only with a reason for the applicant (staff work is not).
        Status::Deficient if first_notice_today => {
            let reasons: Vec<String> =
                d.findings.iter().filter(|f| f.is_for_applicant()).map(|f| f.message.clone()).collect();
            ("mail_deficiency", reasons)
        }
        _ => return Ok(false),
    };
    if kind == "mail_deficiency" && reasons.is_empty() {
        return Ok(false);
    }
    let t = kit.templates().get(&app.product, kind).with_context(|| format!("no {kind} template"))?;
    let mut values = product_values(kit, product, app);
    if let Some(notice) = d.first_notice_on {
        let deadline = crate::jpdate::add_months(notice, product.screening.documents_overdue_months);
        values.insert("deadline", crate::jpdate::to_era_string(deadline));
    }
    let eml = worded(cfg, t, app, &values, &reasons, Vec::new(), moment)?;
    crate::fsio::write_output(&out_b.join("mail").join(format!("{}-review.eml", app.id)), &eml, false)?;
    Ok(true)
}

/// The mail of template `t` to the applicant, filled with `values` (and `reasons`).
fn worded(
    cfg: &MailConfig,
    t: &super::templates::Template,
    app: &Application,
    values: &BTreeMap<&str, String>,
    reasons: &[String],
    attachments: Vec<Attachment>,
    date: DateTime<FixedOffset>,
) -> Result<Vec<u8>> {
    crate::mail::worded_mail(
        &cfg.sender(),
        &app.name_kanji,
        &app.email,
        &app.id,
        &fill(&t.title, values),
        &t.filled_paragraphs(values, reasons),
        &t.footer.iter().map(|f| fill(f, values)).collect::<Vec<_>>(),
        attachments,
        date,
    )
}

/// A certificate that travels by email (a server certificate made from the customer's CSR).
#[derive(Debug, Clone)]
pub struct MailedCertificate {
    pub application: Application,
    pub serial: String,
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    pub cert_pem: Vec<u8>,
}

/// Whether `product` sends the certificate itself by email (`certificate` routed `email`).
pub fn mails_certificate(product: &Product, app: &Application) -> bool {
    let routes = if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
    routes.get("certificate").is_some_and(|r| r.post == crate::product::PostMethod::Email)
}

/// The issue mails, `<id>-issued.eml`: the product's `mail_issued` wording, with the
/// certificate (`certificate.pem`) and the CA certificates up to, not including, the root
/// (`chain.pem`) attached. Dated at each certificate's notBefore.
pub fn issued_mails(
    out_b: &Path,
    cfg: &MailConfig,
    kit: &LetterKit,
    pipelines: &Pipelines,
    chain_pem: &[u8],
    certs: &[MailedCertificate],
) -> Result<usize> {
    for c in certs {
        let app = &c.application;
        let product = pipelines.product(&app.product).with_context(|| format!("no product {}", app.product))?;
        let t = kit.templates().get(&app.product, "mail_issued").context("no mail_issued template")?;
        let mut values = product_values(kit, product, app);
        values.insert("serial", c.serial.clone());
        values.insert("not_before", japanese_moment(c.not_before));
        values.insert("not_after", japanese_moment(c.not_after));
        // Inclusive of both ends, as a validity period is (RFC 5280 §4.1.2.5).
        let days = (c.not_after - c.not_before).num_seconds().div_euclid(86_400) + 1;
        values.insert("valid_days", days.to_string());
        let pem = |name: &str, bytes: &[u8]| Attachment {
            file_name: name.into(),
            content_type: "application/x-pem-file".into(),
            bytes: bytes.to_vec(),
        };
        let attachments = vec![pem("certificate.pem", &c.cert_pem), pem("chain.pem", chain_pem)];
        let eml = worded(cfg, t, app, &values, &[], attachments, c.not_before)?;
        crate::fsio::write_output(&out_b.join("mail").join(format!("{}-issued.eml", app.id)), &eml, false)?;
    }
    Ok(certs.len())
}

/// "2026年11月19日 10:00" in the moment's own offset (JST).
fn japanese_moment(t: DateTime<FixedOffset>) -> String {
    format!("{} {}", crate::jpdate::to_era_string(t.date_naive()), t.format("%H:%M:%S"))
}

/// One certificate with a download link, as its mail quotes it.
#[derive(Debug, Clone)]
pub struct DownloadLink {
    pub application: Application,
    pub serial: String,
    pub not_before: DateTime<FixedOffset>,
    pub expires: DateTime<FixedOffset>,
}

/// Download-URL mails, dated at each certificate's issue.
pub fn download_mails(out_b: &Path, cfg: &MailConfig, links: &[DownloadLink]) -> Result<usize> {
    for l in links {
        let app = &l.application;
        let url = cfg.download_url.replace("{serial}", &l.serial);
        let expires = format!("{} {}", crate::jpdate::to_era_string(l.expires.date_naive()), l.expires.format("%H:%M"));
        let eml = download_url_mail(&cfg.sender(), &app.name_kanji, &app.email, &app.id, &url, &expires, l.not_before)?;
        crate::fsio::write_output(&out_b.join("mail").join(format!("{}-download.eml", app.id)), &eml, false)?;
    }
    Ok(links.len())
}
