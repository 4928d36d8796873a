//! What reaches people, product by product, read with tools we did not write: Python's
//! `email` for the mails, `pdftotext` for the letters and invoices, openpyxl for finance's
//! workbook, pkilint and OpenSSL for the Web certificate a mail carries.
//!
//! Sample day 1 runs, the card station makes its cards, and the day runs again (as the
//! morning after would, so finance's workbook lists the station's invoices too).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DAY: &str = "2026-11-19";

fn sample_day(root: &Path) -> PathBuf {
    run(root, &samples().join(DAY), d(2026, 11, 19));
    personalise(root, DAY);
    run(root, &samples().join(DAY), d(2026, 11, 19));
    root.join("out").join(DAY)
}

/// A mail as Python read it: subject, addressee, body, attachments (name, text).
type Parsed = (String, String, String, Vec<(String, String)>);

/// Every mail of a folder, parsed by Python, by file name.
fn mails(dir: &Path) -> BTreeMap<String, Parsed> {
    let py = r#"
import sys, json, email, email.policy, pathlib
out = {}
for p in sorted(pathlib.Path(sys.argv[1]).glob('*.eml')):
    m = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
    assert not m.defects, (p, m.defects)
    body = m.get_body(('plain',)).get_content()
    atts = [(a.get_filename(), a.get_content().decode() if isinstance(a.get_content(), bytes) else a.get_content())
            for a in m.iter_attachments()]
    out[p.name] = [str(m['Subject']), m['To'].addresses[0].addr_spec, body, atts]
print(json.dumps(out, ensure_ascii=False))
"#;
    let o = Command::new("python3").args(["-c", py, dir.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, m)| {
            let atts = m[3]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (a[0].as_str().unwrap().to_string(), a[1].as_str().unwrap().to_string()))
                .collect();
            let text = |i: usize| m[i].as_str().unwrap().to_string();
            (k.clone(), (text(0), text(1), text(2), atts))
        })
        .collect()
}

/// Latin words of four letters or more that are not names the applicant knows (the CA's,
/// a product's, a file attached, a URL, their own romaji): what would be English text in a
/// Japanese notice.
fn english_in(text: &str) -> Vec<String> {
    const KNOWN: &[&str] = &[
        "certbatch",
        "DEMO",
        "SECOM",
        "Passport",
        "AOSign",
        "CECSIGN",
        "eToken",
        "certificate",
        "chain",
        "https",
        "download",
        "certificates",
        "example",
        "PKCS",
    ];
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.contains("https://")) {
        // Domain names and addresses are the applicant's own (www.example.co.jp).
        let runs = line.split(|c: char| !(c.is_ascii_alphanumeric() || ".-@_".contains(c)));
        // So are codes with digits in them (a serial, 5e5a4bab…; a card number).
        let words = runs
            .filter(|r| !r.contains(['.', '@']))
            .flat_map(|r| r.split(|c: char| !c.is_ascii_alphanumeric()))
            .filter(|w| !w.chars().any(|c| c.is_ascii_digit()));
        for word in words {
            // Capitals are romaji names and codes the applicant wrote (HATTORI MAKOTO).
            let romaji = word.chars().all(|c| c.is_ascii_uppercase());
            if word.len() >= 4 && !romaji && !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// Nothing internal: no path of ours, no scan, no staff instruction, no 8-digit secret.
fn assert_plain(name: &str, text: &str) {
    for internal in ["scans/", "certs/", "letters/", ".pdf", "マスク範囲", "再スキャン", "/tmp/", "staff"] {
        assert!(!text.contains(internal), "{name}: {internal:?} in\n{text}");
    }
    assert!(english_in(text).is_empty(), "{name}: English {:?} in\n{text}", english_in(text));
}

#[test]
fn each_product_speaks_for_itself_by_mail_and_letter() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let out = sample_day(tmp.path());
    let mails = mails(&out.join("mail"));
    let rows = screening(tmp.path(), DAY);
    // The sample days' ids name their product.
    let product_of = |id: &str| match &id[..2] {
        "GD" => "gid-download",
        "GM" => "gid-media",
        "PW" => "passport-web",
        "AO" => "aosign-g2",
        _ => "cecsign",
    };
    let apps: BTreeMap<String, (String, String)> =
        rows.iter().map(|(id, status, _, _)| (id.clone(), (product_of(id).to_string(), status.clone()))).collect();

    // Every mail: Japanese, nothing internal, addressed to its applicant.
    for (file, (subject, _to, body, _)) in &mails {
        assert_plain(file, &format!("{subject}\n{body}"));
    }
    // What an accepted applicant of each product is told comes next.
    let accepted = |product: &str| {
        let id = apps
            .iter()
            .find(|(id, (p, s))| p == product && s == "issued" && mails.contains_key(&format!("{id}-review.eml")))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("an issued {product} application with a review mail"));
        mails[&format!("{id}-review.eml")].2.clone()
    };
    for (product, must, must_not) in [
        // Issued the day they were accepted, having paid: no payment guidance.
        (
            "gid-download",
            &["ダウンロードURL", "30日間", "郵送", "発行いたしました"][..],
            &["ICカード", "eToken", "請求書", "お支払い方法"][..],
        ),
        (
            "gid-media",
            &["CD-R", "本人限定受取郵便", "簡易書留", "発行いたしました"][..],
            &["ダウンロードURL", "請求書", "お支払い方法"][..],
        ),
        ("passport-web", &["サーバ証明書", "請求書", "メールに添付"][..], &["PIN", "郵送にてお届け", "返金"][..]),
    ] {
        let body = accepted(product);
        for m in must {
            assert!(body.contains(m), "{product}: {m:?} missing in\n{body}");
        }
        for m in must_not {
            assert!(!body.contains(m), "{product}: {m:?} in\n{body}");
        }
    }
    // AOSign's invoice travels with the card; CECSIGN's eToken costs nothing here.
    for (product, medium, invoice) in [("aosign-g2", "ICカード", true), ("cecsign", "eToken", false)] {
        let (id, _) =
            apps.iter().find(|(id, (p, _))| p == product && mails.contains_key(&format!("{id}-review.eml"))).unwrap();
        let body = &mails[&format!("{id}-review.eml")].2;
        if body.contains("受理") {
            assert!(body.contains(medium) && !body.contains("ダウンロード"), "{product}: {body}");
            assert_eq!(body.contains("請求書"), invoice, "{product}: {body}");
        }
    }
    // Invoiced products never promise a refund of what was never paid.
    for (file, (_, _, body, _)) in mails.iter().filter(|(f, _)| !f.starts_with('G')) {
        assert!(!body.contains("返金"), "{file}: {body}");
    }
    // Staff work reaches no applicant: the scan lost or unreadable, the My Number unmasked.
    let queue = std::fs::read_to_string(out.join("staff-queue.csv")).unwrap();
    for id in ["GD-20261119-015", "AO-20261119-034", "CE-20261119-041"] {
        assert!(queue.contains(&format!("{id},scan (staff work),")), "{id}: {queue}");
        assert!(!mails.contains_key(&format!("{id}-review.eml")), "{id}: no mail");
        assert!(!out.join("letters/deficiency").join(format!("{id}.pdf")).exists(), "{id}: no letter");
    }
    ensure_python("openpyxl", "openpyxl");
    let o = Command::new("python3")
        .args(["-c", "import openpyxl,sys; ws=openpyxl.load_workbook(sys.argv[1])['スタッフ作業']; print(ws.auto_filter.ref, ws.max_row)"])
        .arg(out.join("staff-queue.xlsx"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("A1:E"), "{}", String::from_utf8_lossy(&o.stderr));

    // The Web certificate travels by mail with its chain, and is a clean OV certificate.
    let (subject, to, body, atts) = &mails["PW-20261119-042-issued.eml"];
    assert_eq!(subject, "サーバ証明書発行のお知らせ");
    assert_eq!(to, "s.kikkawa@himawari-fudosan.co.jp");
    assert!(body.contains("199日間") && body.contains("ご契約期間は1年") && body.contains("無償で再発行"), "{body}");
    let names: Vec<&str> = atts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["certificate.pem", "chain.pem"]);
    let cert = tmp.path().join("mailed.pem");
    std::fs::write(&cert, &atts[0].1).unwrap();
    std::fs::write(tmp.path().join("chain.pem"), &atts[1].1).unwrap();
    let root = tmp.path().join("state/ca/DEMO-root.crt.pem");
    let v = Command::new("openssl")
        .args(["verify", "-CAfile", root.to_str().unwrap(), "-untrusted"])
        .arg(tmp.path().join("chain.pem"))
        .arg(&cert)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    ensure_python("pkilint", "pkilint");
    let lint = Command::new("lint_cabf_serverauth_cert")
        .args(["lint", "-t", "OV-FINAL-CERTIFICATE", "-s", "WARNING"])
        .arg(&cert)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout).to_string() + &String::from_utf8_lossy(&lint.stderr);
    assert!(lint.status.success() && said.trim().is_empty(), "{said}");
    let subject = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus_space", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&subject.stdout).trim(),
        "subject=C=JP, ST=北海道, L=札幌市, O=有限会社ひまわり不動産"
    );

    // Every notice letter of the day: Japanese, nothing internal; each print file holds one
    // post method, as its name and the manifest say.
    for kind in ["receipt", "deficiency", "invoice"] {
        assert_plain(kind, &pdf_texts(&out.join("letters").join(kind)));
    }
    let manifest = std::fs::read_to_string(out.join("letters/manifest-notices.csv")).unwrap();
    for line in manifest.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (post, file) = (cells[2], cells[6]);
        let slug = match post {
            "本人限定受取郵便（基本型）" => "restricted",
            "簡易書留" => "registered",
            _ => "ordinary",
        };
        if let Some(print) = file.strip_prefix("letters/print-") {
            assert!(print.starts_with(&format!("{}-{slug}-", cells[1])), "{line}");
        }
    }
    // The CD-Rs of the day, each with its PKCS#12 and its envelope.
    let media = std::fs::read_to_string(out.join("letters/manifest-media.csv")).unwrap();
    assert!(media.lines().skip(1).any(|l| l.contains(",電子証明書を格納したCD-R,certs/GM-")), "{media}");

    // The card products' letters: each medium by its own name, the invoice in the envelope.
    let cards = tmp.path().join("out").join(format!("cards-{DAY}"));
    let raw = pdf_texts(&cards.join("letters/receipt"));
    let receipts: String = raw.split_whitespace().collect();
    assert!(receipts.contains("ICカード") && receipts.contains("「請求書（適格請求書）」"), "{receipts}");
    assert!(!receipts.contains("ICカード（eToken）"), "each product its own medium");
    assert_plain("card letters", &raw);
    let cards_manifest = std::fs::read_to_string(cards.join("manifest.csv")).unwrap();
    let ao: Vec<&str> = cards_manifest.lines().filter(|l| l.starts_with("AO-20261119-029-")).collect();
    assert!(
        ao.iter().all(|l| l.starts_with("AO-20261119-029-1,") && l.ends_with(",本人限定受取郵便（基本型）")),
        "{ao:?}"
    );
    let items: Vec<&str> = ao.iter().map(|l| l.split(',').nth(4).unwrap()).collect();
    assert_eq!(
        items,
        ["ICカード", "PIN（暗証番号）について", "送付のお知らせ兼受領書", "請求書（適格請求書）"],
        "seed 003: one envelope"
    );
}

/// The invoice PDFs of a folder: application id → text.
fn invoice_texts(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            let o = Command::new("pdftotext").args(["-layout", p.to_str().unwrap(), "-"]).output().unwrap();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .collect()
}

#[test]
fn invoices_are_qualified_numbered_without_gaps_and_match_the_workbook() {
    ensure_poppler();
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let out = sample_day(tmp.path());
    let mut pdfs = invoice_texts(&out.join("letters/invoice"));
    pdfs.extend(invoice_texts(&tmp.path().join("out").join(format!("cards-{DAY}/letters/invoice"))));
    assert!(pdfs.keys().any(|k| k.starts_with("PW")) && pdfs.keys().any(|k| k.starts_with("AO")), "{:?}", pdfs.keys());

    let py = r#"
import sys, json, openpyxl, datetime
ws = openpyxl.load_workbook(sys.argv[1])['invoices']
rows = list(ws.iter_rows(values_only=True))
out = []
for r in rows[1:]:
    assert isinstance(r[1], datetime.datetime) and isinstance(r[10], datetime.datetime), r
    assert all(isinstance(x, (int, float)) for x in (r[6], r[7], r[8], r[9], r[11])), r
    assert r[5] in ("税抜", "税込") and r[7] == 0.1, r
    out.append([r[0], r[2], int(r[6]), int(r[8]), int(r[9])])
print(json.dumps(out, ensure_ascii=False))
"#;
    let o = Command::new("python3").args(["-c", py]).arg(out.join("reconciliation.xlsx")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sheet: Vec<(String, String, i64, i64, i64)> = serde_json::from_slice(&o.stdout).unwrap();
    // Numbered 1, 2, 3... without a gap, each application once.
    for (i, (number, ..)) in sheet.iter().enumerate() {
        assert_eq!(number, &format!("DEMO-INV-{:06}", i + 1), "{sheet:?}");
    }
    for (number, id, taxable, tax, total) in &sheet {
        if *total == 0 {
            assert!(!pdfs.contains_key(id), "{id}: an invoice of nothing is not printed");
            continue;
        }
        let text = pdfs.get(id).unwrap_or_else(|| panic!("{id}: no invoice PDF"));
        let flat: String = text.split_whitespace().collect();
        for item in [
            "請求書（適格請求書）".to_string(),
            format!("請求書番号:{number}"),
            "登録番号:T9000000000000".to_string(),
            "発行日:令和8年11月19日".to_string(),
            format!("ご請求金額（税込）:{}円", certbatch::text::yen(*total)),
            format!("10%対象:{}円", certbatch::text::yen(*taxable)),
            format!("消費税（10%）:{}円", certbatch::text::yen(*tax)),
            "お支払期限".to_string(),
            id.clone(),
        ] {
            assert!(flat.contains(&item), "{id}: {item:?} missing in\n{text}");
        }
        assert!(flat.contains("御中") || flat.contains("様"), "{id}: an addressee");
        assert_plain(id, text);
    }
    assert_eq!(sheet.iter().filter(|r| r.4 > 0).count(), pdfs.len(), "one PDF per invoice of something");

    // `certbatch status ID` tells one application's whole story, naming its files.
    let story = cli_ok(tmp.path(), DAY, &["status", "PW-20261119-042"]);
    for want in [
        "status         issued",
        "row            applications.xlsx, sheet applications, row 43",
        "corporate_registry",
        "invoice        DEMO-INV-000001 issued 2026-11-19, due 2026-12-31, 66000 yen",
        "2026-11-19/mail/PW-20261119-042-issued.eml",
        "2026-11-19/letters/invoice/PW-20261119-042.pdf",
        " issued: ",
    ] {
        assert!(story.contains(want), "{want:?} in\n{story}");
    }
    let (code, _, err) =
        cli(&args(tmp.path(), DAY, &["status", "XX-1"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(code == 1 && err.contains("XX-1: no such application"), "{code} {err}");

    // A rerun prints the same invoices, byte for byte.
    let before = std::fs::read(out.join("letters/print-invoice-ordinary-notices.pdf")).unwrap();
    run(tmp.path(), &samples().join(DAY), d(2026, 11, 19));
    assert_eq!(std::fs::read(out.join("letters/print-invoice-ordinary-notices.pdf")).unwrap(), before);
}
