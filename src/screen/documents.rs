//! Required documents and their freshness, as the product's rules say.
//!
//! Takes one application, its product and every document received for it so far (its
//! own and its envelope's), and gives a finding for each requirement no usable document
//! meets. A document is usable when its scan decoded, its My Number (if any) can be masked,
//! it is not dated after it arrived, and it arrived within its window: `arrived <= issued
//! + N calendar months`, clamped at month end (Civil Code arts. 140, 143; domain-rules §2).

use crate::finding::{Code, Finding, Location};
use crate::jpdate::add_months;
use crate::product::{DocumentScope, Product, Requirement};
use crate::record::{Application, Owner};
use chrono::NaiveDate;

/// A document as screening sees it: the row, the day it arrived, and its scan.
#[derive(Debug, Clone)]
pub struct ReceivedDocument {
    pub owner: Owner,
    pub doc_type: String,
    pub issued_on: NaiveDate,
    pub arrived_on: NaiveDate,
    pub file: String,
    /// SHA-256 of the file as received (the archive keeps an unmasked file under it).
    pub sha256: Option<String>,
    pub scan_status: String,
    /// A CSR's names and key, when the file is one.
    pub csr: Option<crate::csr::CsrInfo>,
    /// Why the scan could not be used, when it was checked in this run.
    pub scan_detail: Option<String>,
    pub has_my_number: bool,
    pub has_mask: bool,
    pub source: Location,
}

/// Why one document cannot serve.
fn unusable(doc: &ReceivedDocument, product: &Product) -> Option<Finding> {
    let name = product.documents.get(&doc.doc_type).map_or(doc.doc_type.as_str(), |d| d.name_ja.as_str());
    let at = doc.source.clone();
    match doc.scan_status.as_str() {
        "ok" => {}
        "my_number_pdf" => {
            return Some(
                Finding::new(
                    Code::MyNumberMaskMissing,
                    None,
                    format!("{name}（{}）は個人番号が記載されたPDFのため、マスクできません。画像（JPEG・PNG・TIFF）で再スキャンしてください", doc.file),
                )
                .at(at),
            )
        }
        "mask_outside" => {
            return Some(
                Finding::new(Code::InvalidField, Some("mask_region"), format!("{name}（{}）のマスク範囲が画像の外にあります", doc.file))
                    .at(at.with_column("mask_region"))
                    .with_severity(crate::finding::Severity::Deficient),
            )
        }
        "missing" => {
            return Some(
                Finding::new(
                    Code::ScanMissing,
                    Some(&doc.file),
                    format!("{name}のスキャン「{}」がありません", doc.file),
                )
                .at(at),
            )
        }
        _ => {
            let why = doc.scan_detail.as_deref().map(|w| format!("（{w}）")).unwrap_or_default();
            return Some(
                Finding::new(
                    Code::ScanUnreadable,
                    Some(&doc.file),
                    format!("{name}のスキャン「{}」を読み取れません{why}。再スキャンしてください", doc.file),
                )
                .at(at),
            );
        }
    }
    if doc.issued_on > doc.arrived_on {
        return Some(
            Finding::new(
                Code::FutureDatedDocument,
                Some(&doc.doc_type),
                format!(
                    "{name}の発行日{}が到着日{}より後になっています（記入誤りの可能性）",
                    doc.issued_on, doc.arrived_on
                ),
            )
            .at(at),
        );
    }
    let rule = product.documents.get(&doc.doc_type)?;
    let fresh_through = add_months(doc.issued_on, rule.window_months);
    if doc.arrived_on > fresh_through {
        let code = if doc.doc_type == product.screening.form_document {
            Code::ApplicationFormExpired
        } else {
            Code::StaleDocument
        };
        let detail = (code == Code::StaleDocument).then_some(doc.doc_type.as_str());
        return Some(
            Finding::new(
                code,
                detail,
                format!(
                    "{name}（発行日{}）は有効期間{}か月を過ぎています（{}まで有効、到着{}）。発行から{}か月以内のものを送付してください",
                    doc.issued_on, rule.window_months, fresh_through, doc.arrived_on, rule.window_months
                ),
            )
            .at(at),
        );
    }
    if doc.has_my_number && !doc.has_mask {
        return Some(
            Finding::new(
                Code::MyNumberMaskMissing,
                None,
                format!("{name}に個人番号が記載されていますがマスク範囲がありません。マスク範囲を記入してください"),
            )
            .at(at),
        );
    }
    None
}

/// Whether `doc` may serve `app` for a document of `scope`: applicant documents only by
/// their own application id; envelope documents also through the application's envelope;
/// company documents through any envelope of the same company (the caller hands only
/// those, see [`company_envelopes`]).
fn serves(doc: &ReceivedDocument, app: &Application, scope: DocumentScope) -> bool {
    match (&doc.owner, scope) {
        (Owner::Application(id), _) => *id == app.id,
        (Owner::Envelope(env), DocumentScope::Envelope) => *env == app.envelope_id,
        (Owner::Envelope(_), DocumentScope::Company) => true,
        (Owner::Envelope(_), DocumentScope::Applicant) => false,
    }
}

/// The envelopes of each company (by corporate number) among `apps`: where a company's
/// documents sent once may be found for any of its applications.
pub fn company_envelopes<'a>(
    apps: impl Iterator<Item = &'a Application>,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for a in apps {
        if let Some(n) = &a.corporate_number {
            out.entry(n.clone()).or_default().insert(a.envelope_id.clone());
        }
    }
    out
}

/// The requirements that apply: the type's own plus the conditional ones whose column is
/// filled.
pub fn requirements(app: &Application, product: &Product) -> Vec<Requirement> {
    let mut reqs = product.cert_types.get(&app.cert_type).map(|t| t.requires.clone()).unwrap_or_default();
    for cond in &product.conditional {
        if app.field(&cond.when_field).is_some() {
            reqs.extend(cond.requires.iter().cloned().map(Requirement::One));
        }
    }
    reqs
}

/// Every missing, stale or unusable required document of `app`.
pub fn check_documents(app: &Application, product: &Product, docs: &[ReceivedDocument]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for req in requirements(app, product) {
        let candidates: Vec<&ReceivedDocument> = docs
            .iter()
            .filter(|d| req.options().contains(&d.doc_type))
            .filter(|d| {
                serves(d, app, product.documents.get(&d.doc_type).map_or(DocumentScope::Applicant, |r| r.scope))
            })
            .collect();
        if candidates.is_empty() {
            let name = product.documents.get(req.name()).map_or_else(
                || {
                    req.options()
                        .iter()
                        .filter_map(|o| product.documents.get(o))
                        .map(|d| d.name_ja.as_str())
                        .collect::<Vec<_>>()
                        .join("・")
                },
                |d| d.name_ja.clone(),
            );
            findings.push(Finding::new(Code::MissingDocument, Some(req.name()), format!("{name}が届いていません")));
            continue;
        }
        let problems: Vec<Finding> =
            candidates.iter().map(|d| unusable(d, product)).collect::<Option<Vec<_>>>().unwrap_or_default();
        // Every candidate has a problem: report each once, so staff see all of them.
        for p in problems {
            if !findings.contains(&p) {
                findings.push(p);
            }
        }
    }
    // The form date itself (applied_on) against its window and the arrival.
    if let Some(form) = product.documents.get(&product.screening.form_document) {
        let through = add_months(app.applied_on, form.window_months);
        if app.received_on > through {
            let f = Finding::new(
                Code::ApplicationFormExpired,
                None,
                format!(
                    "申込書の作成日{}から{}か月を過ぎて到着しました（{}まで有効）。新しい申込書を送付してください",
                    app.applied_on, form.window_months, through
                ),
            )
            .at(app.source.with_column("applied_on"));
            if !findings.iter().any(|x| x.code == Code::ApplicationFormExpired) {
                findings.push(f);
            }
        } else if app.applied_on > app.received_on {
            findings.push(
                Finding::new(
                    Code::FutureDatedDocument,
                    Some(&product.screening.form_document),
                    format!("申込書の作成日{}が到着日{}より後になっています", app.applied_on, app.received_on),
                )
                .at(app.source.with_column("applied_on")),
            );
        }
    }
    // A CSR is judged by the CSR checks, not as a paper document.
    for doc in docs.iter().filter(|d| d.doc_type != "csr" && !product.documents.contains_key(&d.doc_type)) {
        if matches!(&doc.owner, Owner::Application(id) if *id == app.id) {
            let known: Vec<&str> = product.documents.keys().map(String::as_str).collect();
            findings.push(
                Finding::new(
                    Code::UnknownValue,
                    Some("doc_type"),
                    format!("書類種別「{}」は{}にありません（{}）", doc.doc_type, product.name_ja, known.join("、")),
                )
                .at(doc.source.with_column("doc_type"))
                .with_severity(crate::finding::Severity::Deficient),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn product() -> Product {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/gid-download.toml");
        crate::pipelines::load_product(&path).unwrap()
    }

    fn doc(doc_type: &str, issued: NaiveDate, arrived: NaiveDate) -> ReceivedDocument {
        ReceivedDocument {
            sha256: None,
            owner: Owner::Application("A1".into()),
            doc_type: doc_type.into(),
            issued_on: issued,
            arrived_on: arrived,
            file: format!("{doc_type}.jpg"),
            scan_status: "ok".into(),
            csr: None,
            scan_detail: None,
            has_my_number: false,
            has_mask: false,
            source: Location::file("documents.csv"),
        }
    }

    #[test]
    fn freshness_follows_the_examples_of_domain_rules() {
        let p = product();
        let cases: &[(&str, NaiveDate, NaiveDate, bool)] = &[
            ("fresh on the last day", d(2026, 8, 21), d(2026, 11, 21), true),
            ("stale the day after", d(2026, 8, 21), d(2026, 11, 22), false),
            ("nov 30 through feb 28", d(2026, 11, 30), d(2027, 2, 28), true),
            ("nov 30 stale on mar 1", d(2026, 11, 30), d(2027, 3, 1), false),
            ("leap year through feb 29", d(2027, 11, 30), d(2028, 2, 29), true),
            ("aug 31 through nov 30", d(2026, 8, 31), d(2026, 11, 30), true),
            ("aug 31 stale on dec 1", d(2026, 8, 31), d(2026, 12, 1), false),
            ("same day", d(2026, 11, 20), d(2026, 11, 20), true),
        ];
        for (name, issued, arrived, fresh) in cases {
            let f = unusable(&doc("seal_certificate", *issued, *arrived), &p);
            assert_eq!(f.is_none(), *fresh, "{name}: {f:?}");
            if !fresh {
                assert_eq!(f.unwrap().reason(), "stale_document:seal_certificate", "{name}");
            }
        }
    }

    #[test]
    fn a_document_dated_after_arrival_is_a_keying_error() {
        let f = unusable(&doc("seal_certificate", d(2026, 11, 21), d(2026, 11, 20)), &product()).unwrap();
        assert_eq!(f.reason(), "future_dated_document:seal_certificate");
    }

    #[test]
    fn scan_problems_come_first() {
        let mut x = doc("seal_certificate", d(2026, 11, 1), d(2026, 11, 20));
        x.scan_status = "missing".into();
        assert_eq!(unusable(&x, &product()).unwrap().reason(), "scan_missing:seal_certificate.jpg");
        x.scan_status = "unreadable".into();
        assert_eq!(unusable(&x, &product()).unwrap().reason(), "scan_unreadable:seal_certificate.jpg");
    }

    #[test]
    fn my_number_without_mask_is_unusable() {
        let mut x = doc("residence_certificate", d(2026, 11, 1), d(2026, 11, 20));
        x.has_my_number = true;
        assert_eq!(unusable(&x, &product()).unwrap().reason(), "my_number_mask_missing");
        x.has_mask = true;
        assert!(unusable(&x, &product()).is_none());
    }
}
