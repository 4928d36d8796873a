//! The CSR of a TLS server certificate application (SECOM Passport for Web, seed 004):
//! it must parse and verify, carry a strong enough key, and name exactly the domains
//! applied for, each of which a public TLS certificate may carry (CA/Browser Forum BRs).
//!
//! Takes the application and its documents (the CSR is one, from `csr_file` or a later
//! `csr` documents row; the latest usable one counts); gives findings.

use super::documents::ReceivedDocument;
use crate::csr::{check_key, check_public_dns_name, names_match};
use crate::finding::{Code, Finding};
use crate::product::{CertKind, Product};
use crate::record::Application;

/// EC curves a customer key may use.
pub const CURVES: &[&str] = &["P-256", "P-384"];

/// Every CSR and domain finding of `app` (nothing for products whose keys the CA makes).
pub fn check_csr(app: &Application, product: &Product, docs: &[ReceivedDocument]) -> Vec<Finding> {
    if product.profile.kind != CertKind::TlsServer {
        return Vec::new();
    }
    let mut out: Vec<Finding> = app
        .domains
        .iter()
        .filter_map(|name| {
            check_public_dns_name(name).err().map(|why| {
                Finding::new(
                    Code::InvalidDomain,
                    Some(name),
                    format!("ドメイン「{name}」は公開TLS証明書に記載できません（{}）", domain_why(&why)),
                )
                .at(app.source.with_column("domains"))
            })
        })
        .collect();
    let mut csrs: Vec<&ReceivedDocument> = docs.iter().filter(|d| d.doc_type == "csr").collect();
    csrs.sort_by_key(|d| d.arrived_on);
    let Some(latest) = csrs.iter().rev().find(|d| d.csr.is_some()).or(csrs.last()) else {
        // No csr_file at all: the required-field check reports it.
        return out;
    };
    let at = latest.source.clone();
    let Some(info) = &latest.csr else {
        let f = match latest.scan_status.as_str() {
            "missing" => Finding::new(
                Code::ScanMissing,
                Some(&latest.file),
                format!("CSRファイル「{}」がありません", latest.file),
            ),
            // The parser's own words stay in the scan's detail for staff; the applicant reads
            // what to do.
            _ => Finding::new(
                Code::InvalidCsr,
                None,
                // The file's own name, as the applicant sent it: the folder is the CA's.
                format!(
                    "お送りいただいたCSR「{}」を読み取れないか、署名を検証できません。CSRを作り直して送付してください",
                    latest.file.rsplit('/').next().unwrap_or(&latest.file)
                ),
            ),
        };
        out.push(f.at(at));
        return out;
    };
    if check_key(&info.key, product.profile.min_csr_rsa_bits, CURVES).is_err() {
        out.push(
            Finding::new(
                Code::WeakKey,
                None,
                format!(
                    "CSRの鍵（{}）は使えません。RSA {}ビット以上かECDSA P-256/P-384の鍵で作り直してください",
                    key_ja(&info.key),
                    product.profile.min_csr_rsa_bits
                ),
            )
            .at(at.clone()),
        );
    }
    if names_match(info, &app.domains).is_err() {
        let mut names: Vec<&str> = info.dns_names.iter().map(String::as_str).collect();
        names.extend(info.other_names.iter().map(String::as_str));
        if names.is_empty() {
            names.extend(info.common_name.as_deref());
        }
        out.push(
            Finding::new(
                Code::CsrNameMismatch,
                None,
                format!(
                    "CSRに記載された名前（{}）が、申込書のドメイン（{}）と一致しません。申込書のドメインどおりのCSRを作り直して送付してください",
                    names.join("、"),
                    app.domains.join("、")
                ),
            )
            .at(at),
        );
    }
    out
}

/// A CSR's key as the applicant's notice names it.
fn key_ja(key: &crate::csr::KeyInfo) -> String {
    match key {
        crate::csr::KeyInfo::Rsa { bits } => format!("RSA {bits}ビット"),
        crate::csr::KeyInfo::Ec { curve } => format!("ECDSA {curve}"),
        crate::csr::KeyInfo::Other { algorithm } => format!("アルゴリズム {algorithm}"),
    }
}

/// Why a name cannot be in a public certificate, in the applicant's words.
fn domain_why(english: &str) -> &'static str {
    let e = english.to_ascii_lowercase();
    if e.contains("public suffix") {
        "公開サフィックスそのものか、その直下へのワイルドカードです"
    } else if e.contains("ip address") {
        "IPアドレスは記載できません"
    } else if e.contains("wildcard") {
        "ワイルドカードの位置が正しくありません"
    } else if e.contains("internal") || e.contains("reserved") || e.contains("tld") || e.contains("suffix") {
        "インターネット上で登録されたドメイン名ではありません"
    } else {
        "ドメイン名として正しくありません"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{CsrInfo, KeyInfo};
    use crate::record::Owner;
    use crate::testkit::{application, pipelines};

    fn csr_doc(info: Option<CsrInfo>, status: &str) -> ReceivedDocument {
        ReceivedDocument {
            sha256: None,
            owner: Owner::Application("A1".into()),
            doc_type: "csr".into(),
            issued_on: crate::testkit::d(2026, 11, 19),
            arrived_on: crate::testkit::d(2026, 11, 19),
            file: "a/request.csr".into(),
            scan_status: status.into(),
            csr: info,
            scan_detail: Some("signature does not verify".into()),
            has_my_number: false,
            has_mask: false,
            source: crate::finding::Location::file("applications.csv"),
        }
    }

    fn info(bits: usize, names: &[&str]) -> CsrInfo {
        CsrInfo {
            common_name: names.first().map(|s| s.to_string()),
            dns_names: names.iter().map(|s| s.to_string()).collect(),
            other_names: vec![],
            key: KeyInfo::Rsa { bits },
        }
    }

    #[test]
    fn each_csr_problem_has_its_reason() {
        let p = pipelines();
        let web = p.product("passport-web").unwrap();
        let mut app = application("A1");
        app.product = "passport-web".into();
        app.domains = vec!["www.example.co.jp".into(), "example.co.jp".into()];
        let good = info(2048, &["www.example.co.jp", "example.co.jp"]);
        let cases: &[(&str, Vec<ReceivedDocument>, &[&str])] = &[
            ("good", vec![csr_doc(Some(good.clone()), "ok")], &[]),
            ("bad signature", vec![csr_doc(None, "invalid_csr")], &["invalid_csr"]),
            ("missing file", vec![csr_doc(None, "missing")], &["scan_missing:a/request.csr"]),
            ("weak key", vec![csr_doc(Some(info(1024, &["www.example.co.jp", "example.co.jp"])), "ok")], &["weak_key"]),
            ("names differ", vec![csr_doc(Some(info(2048, &["www.example.co.jp"])), "ok")], &["csr_name_mismatch"]),
            ("a later good csr wins", vec![csr_doc(None, "invalid_csr"), csr_doc(Some(good), "ok")], &[]),
        ];
        for (name, docs, want) in cases {
            let got: Vec<String> = check_csr(&app, web, docs).iter().map(Finding::reason).collect();
            assert_eq!(got, *want, "{name}");
        }
        app.domains = vec!["intranet.local".into()];
        let got: Vec<String> = check_csr(&app, web, &[]).iter().map(Finding::reason).collect();
        assert_eq!(got, ["invalid_domain:intranet.local"]);
    }

    #[test]
    fn signing_products_have_no_csr() {
        let p = pipelines();
        assert!(check_csr(&application("A1"), p.product("gid-download").unwrap(), &[csr_doc(None, "invalid_csr")])
            .is_empty());
    }
}
