//! The letters without a secret: 送付のお知らせ兼受領書 for each issued certificate, and
//! 不備のお知らせ for each application found deficient in this run. Written from what the
//! ledger and the run's decisions hold, so a rerun makes the same files again.

use super::letter_pdf::Letter;
use super::routing::post_name;
use super::templates::fill;
use super::writer::{LetterWriter, Prepared, WrittenLetter};
use crate::pipelines::Pipelines;
use crate::product::{PostMethod, Recipient};
use crate::record::{Application, Status};
use crate::screen::{Change, Decision};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::Path;

fn page(
    t: &super::templates::Template,
    values: &BTreeMap<&str, String>,
    app: &Application,
    to: &(String, String, String),
    post: PostMethod,
    reasons: &[String],
) -> Letter {
    let paragraphs = t
        .paragraphs
        .iter()
        .flat_map(|p| {
            if p.trim() == "{reasons}" {
                reasons.iter().map(|r| format!("・{r}")).collect()
            } else {
                vec![fill(p, values)]
            }
        })
        .collect();
    Letter {
        title: fill(&t.title, values),
        address_lines: vec![format!("〒{}", to.1), to.2.clone(), format!("{} 様", to.0)],
        reference: format!("お申し込みコード: {}　{}", app.id, post_name(post)),
        paragraphs,
        secret_label: None,
        secret: None,
        footer_lines: t.footer.iter().map(|p| fill(p, values)).collect(),
    }
}

fn write(
    out_dir: &Path,
    kind: &'static str,
    app: &Application,
    post: PostMethod,
    to: &(String, String, String),
    letter: Letter,
    writer: &LetterWriter,
) -> Result<Prepared> {
    let font = writer.font();
    let text = [letter.address_lines.join("\n"), letter.paragraphs.join("\n")].join("\n");
    let missing = font.missing_chars(&text);
    let folder =
        if missing.is_empty() { out_dir.join("letters").join(kind) } else { out_dir.join("letters/queue").join(kind) };
    let file = folder.join(format!("{}.pdf", app.id));
    crate::fsio::write_atomic(&file, &writer.render(std::slice::from_ref(&letter))?, false)?;
    Ok(Prepared {
        written: WrittenLetter {
            application_id: app.id.clone(),
            kind,
            post: post_name(post),
            addressee: to.0.clone(),
            postal_code: to.1.clone(),
            file,
            pages: 1,
            missing,
        },
        page: letter,
    })
}

fn applicant(app: &Application) -> (String, String, String) {
    (app.name_kanji.clone(), app.postal_code.clone(), app.address.clone())
}

/// 不備のお知らせ for the run's deficient applications (new, or screened again).
pub fn deficiency_letters(
    out_dir: &Path,
    pipelines: &Pipelines,
    writer: &LetterWriter,
    decisions: &[Decision],
    as_of: NaiveDate,
) -> Result<Vec<Prepared>> {
    let mut out = Vec::new();
    for d in decisions.iter().filter(|d| d.status == Status::Deficient) {
        let (Some(app), Some(notice)) = (&d.application, d.first_notice_on) else { continue };
        // Screened anew, or its first notice is today (a rerun of the same day makes the
        // same letter again).
        if !(matches!(d.change, Change::New | Change::Rescreened) || notice == as_of) {
            continue;
        }
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = writer.templates().get(&app.product, "deficiency").context("no deficiency template")?;
        let deadline = crate::jpdate::add_months(notice, product.screening.documents_overdue_months);
        let values = BTreeMap::from([
            ("name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("deadline", crate::jpdate::to_era_string(deadline)),
            ("ca_name", writer.ca_name().to_string()),
        ]);
        let reasons: Vec<String> = d
            .findings
            .iter()
            .filter(|f| f.severity != crate::finding::Severity::Warning)
            .map(|f| f.message.clone())
            .collect();
        let to = applicant(app);
        out.push(write(
            out_dir,
            "deficiency",
            app,
            PostMethod::Registered,
            &to,
            page(t, &values, app, &to, PostMethod::Registered, &reasons),
            writer,
        )?);
    }
    Ok(out)
}

/// 有効期限のお知らせ for certificates whose expiry notice is due: (application, issue
/// day, notAfter day), to the applicant by ordinary post.
pub fn expiry_letters(
    out_dir: &Path,
    pipelines: &Pipelines,
    writer: &LetterWriter,
    due: &[(Application, NaiveDate, NaiveDate)],
) -> Result<Vec<Prepared>> {
    let mut out = Vec::new();
    for (app, issued_on, end) in due {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let t = writer.templates().get(&app.product, "expiry").context("no expiry template")?;
        let values = BTreeMap::from([
            ("name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("issue_date", issued_on.format("%Y年%m月%d日").to_string()),
            ("not_after", format!("{} 23:59:59", end.format("%Y年%m月%d日"))),
            ("ca_name", writer.ca_name().to_string()),
        ]);
        let to = applicant(app);
        out.push(write(
            out_dir,
            "expiry",
            app,
            PostMethod::Ordinary,
            &to,
            page(t, &values, app, &to, PostMethod::Ordinary, &[]),
            writer,
        )?);
    }
    Ok(out)
}

/// 送付のお知らせ兼受領書 for issued certificates: (application, serial, issue day,
/// notAfter text). Routed like the product's `notice` item.
pub fn receipt_letters(
    out_dir: &Path,
    pipelines: &Pipelines,
    writer: &LetterWriter,
    issued: &[(Application, String, NaiveDate, String)],
) -> Result<Vec<Prepared>> {
    let mut out = Vec::new();
    for (app, serial, issued_on, not_after) in issued {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let routes =
            if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
        let Some(route) = routes.get("notice") else { continue };
        if route.post == PostMethod::Email {
            continue;
        }
        let to = match route.to {
            Recipient::Proxy => (
                app.proxy_name.clone().unwrap_or_default(),
                app.proxy_postal_code.clone().unwrap_or_default(),
                app.proxy_address.clone().unwrap_or_default(),
            ),
            _ => applicant(app),
        };
        let enclosures: Vec<&str> = routes
            .keys()
            .filter_map(|k| match k.as_str() {
                "pin" => Some("PINコード送付のお知らせ"),
                "download_password" => Some("パスワード送付のお知らせ"),
                "media" => Some("電子証明書を格納したCD-R"),
                "card" => Some("ICカード（eToken）"),
                _ => None,
            })
            .collect();
        let days = product.notices.receipt_revoke_days.unwrap_or(30);
        let values = BTreeMap::from([
            ("name", to.0.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("contract_number", serial.chars().take(12).collect::<String>().to_uppercase()),
            ("issue_date", crate::jpdate::to_era_string(*issued_on)),
            ("not_after", not_after.clone()),
            ("receipt_deadline", crate::jpdate::to_era_string(*issued_on + chrono::Days::new(u64::from(days)))),
            ("enclosures", enclosures.join("、")),
            ("ca_name", writer.ca_name().to_string()),
        ]);
        let t = writer.templates().get(&app.product, "receipt").context("no receipt template")?;
        out.push(write(out_dir, "receipt", app, route.post, &to, page(t, &values, app, &to, route.post, &[]), writer)?);
    }
    Ok(out)
}
