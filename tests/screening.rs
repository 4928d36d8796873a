//! Screening across products, envelopes and days, checked through `screening.csv` and the
//! ledger; masking checked with a decoder we did not write (Python Pillow).

mod common;
use common::*;

use certbatch::ledger::Ledger;
use certbatch::record::Status;
use certbatch::screen::documents::requirements;

/// The required-documents table of domain-rules.md §2 (G-ID) and seeds 002/003/004, as
/// requirement names in the order the rules list them.
const TABLE: &[(&str, &str, &[&str])] = &[
    ("gid-download", "basic", &["application_form", "seal_certificate", "residence_certificate", "transfer_slip"]),
    ("gid-download", "individual", &["application_form", "seal_certificate", "residence_certificate", "transfer_slip"]),
    (
        "gid-download",
        "sole_proprietor",
        &["application_form", "seal_certificate", "residence_certificate", "transfer_slip", "business_proof"],
    ),
    (
        "gid-download",
        "org_representative",
        &[
            "application_form",
            "seal_certificate",
            "residence_certificate",
            "transfer_slip",
            "corporate_registry",
            "corporate_seal_certificate",
        ],
    ),
    (
        "gid-download",
        "org_employee",
        &[
            "application_form",
            "seal_certificate",
            "residence_certificate",
            "transfer_slip",
            "corporate_registry",
            "corporate_seal_certificate",
            "affiliation_certificate",
        ],
    ),
    (
        "gid-download",
        "org_employee_delegation",
        &[
            "application_form",
            "seal_certificate",
            "residence_certificate",
            "transfer_slip",
            "corporate_registry",
            "corporate_seal_certificate",
            "delegation_certificate",
        ],
    ),
    (
        "gid-download",
        "gyoseishoshi",
        &["application_form", "seal_certificate", "residence_certificate", "transfer_slip"],
    ),
    (
        "aosign-g2",
        "employee",
        &[
            "application_form",
            "residence_certificate",
            "seal_certificate",
            "corporate_seal_certificate",
            "corporate_registry",
        ],
    ),
    (
        "aosign-g2",
        "representative",
        &[
            "application_form",
            "residence_certificate",
            "seal_certificate",
            "corporate_seal_certificate",
            "corporate_registry",
        ],
    ),
    (
        "aosign-g2",
        "sole_enterprise",
        &["application_form", "residence_certificate", "seal_certificate", "business_proof"],
    ),
    (
        "cecsign",
        "employee",
        &[
            "application_form",
            "residence_certificate",
            "seal_certificate",
            "corporate_registry",
            "corporate_seal_certificate",
        ],
    ),
    ("passport-web", "server", &["application_form", "corporate_registry"]),
];

fn pipelines() -> certbatch::pipelines::Pipelines {
    certbatch::pipelines::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"))).unwrap()
}

fn application(product: &str, cert_type: &str) -> certbatch::record::Application {
    let mut a: certbatch::record::Application = serde_json::from_value(serde_json::json!({
        "id": "A1", "envelope_id": "E1", "product": product, "cert_type": cert_type, "term": "2y",
        "applied_on": "2026-11-10", "received_on": "2026-11-19", "name_kanji": "山田太郎", "name_kana": "ヤマダ タロウ",
        "name_romaji": "YAMADA TARO", "former_name": null, "birth_date": "1980-01-01", "postal_code": "100-0001",
        "address": "東京都", "email": "a@example.jp", "phone": null, "corporate_number": null, "org_name": null,
        "org_kana": null, "org_representative": null, "org_address": null, "delegation": null, "proxy_name": null,
        "proxy_postal_code": null, "proxy_address": null, "payer_name": null, "renewal_of": null, "card_readers": 0,
        "domains": [], "csr_file": null
    }))
    .unwrap();
    a.product = product.into();
    a
}

#[test]
fn every_type_of_every_product_requires_the_documents_of_the_table() {
    let p = pipelines();
    let mut covered = 0;
    for (product_id, product) in &p.products {
        for cert_type in product.cert_types.keys() {
            // The media series needs what the download series needs (seed 001 lists documents
            // by certificate type, not by series).
            let row = if product_id == "gid-media" { "gid-download" } else { product_id.as_str() };
            let want = TABLE
                .iter()
                .find(|(p, t, _)| *p == row && t == cert_type)
                .unwrap_or_else(|| panic!("{product_id}/{cert_type} is in the table"))
                .2;
            let got: Vec<String> = requirements(&application(product_id, cert_type), product)
                .iter()
                .map(|r| r.name().to_string())
                .collect();
            assert_eq!(got, want, "{product_id}/{cert_type}");
            covered += 1;
        }
    }
    assert_eq!(covered, TABLE.len() + 6, "every row, the G-ID ones for both series (media has no 行政書士 type)");
    // Conditional documents.
    let gid = p.product("gid-download").unwrap();
    let mut a = application("gid-download", "basic");
    a.former_name = Some("佐藤".into());
    a.proxy_name = Some("代理 花子".into());
    let names: Vec<String> = requirements(&a, gid).iter().map(|r| r.name().to_string()).collect();
    assert!(names.ends_with(&["family_register".to_string(), "proxy_seal_certificate".to_string()]), "{names:?}");
}

#[test]
fn each_missing_document_is_named_and_every_reason_is_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "day");
    day.clean("A1", "E1");
    day.docs.retain(|r| !matches!(r.get("doc_type"), Some(V::S(t)) if t == "seal_certificate" || t == "transfer_slip"));
    day.apps[0].insert("name_romaji", s("YAMADA TAROU"));
    day.write_csv(false, "utf8");
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let (status, reasons, messages) = row_of(&screening(tmp.path(), "day"), "A1");
    assert_eq!(status, "deficient");
    assert_eq!(reasons, "romaji_mismatch;missing_document:seal_certificate;missing_document:transfer_slip");
    assert!(messages.contains("YAMADA TARO") && messages.contains("印鑑登録証明書が届いていません"), "{messages}");
}

#[test]
fn company_documents_serve_their_envelope_and_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "day");
    for (id, env) in [("A1", "E1"), ("A2", "E1"), ("A3", "E2")] {
        day.clean(id, env);
        let last = day.apps.last_mut().unwrap();
        last.insert("cert_type", s("org_representative"));
        last.insert("corporate_number", s("4011001040781"));
        last.insert("org_name", s("セコム株式会社"));
        last.insert("org_representative", s("セコム 一郎"));
        last.insert("org_address", s("東京都渋谷区神宮前1-5-1"));
    }
    day.doc(("", "E1"), "corporate_registry", d(2026, 11, 1));
    day.doc(("", "E1"), "corporate_seal_certificate", d(2026, 11, 1));
    day.write_xlsx(true);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    assert_eq!(row_of(&rows, "A1").0, "accepted");
    assert_eq!(row_of(&rows, "A2").0, "accepted");
    assert_eq!(
        row_of(&rows, "A3").1,
        "missing_document:corporate_registry;missing_document:corporate_seal_certificate"
    );
}

#[test]
fn a_document_sent_later_completes_the_application_on_its_own_arrival_day() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day1 = Day::new(tmp.path(), "2026-11-19");
    day1.clean("A1", "E1").clean("A2", "E2");
    day1.docs.retain(|r| {
        !(matches!(r.get("application_id"), Some(V::S(a)) if a == "A1")
            && matches!(r.get("doc_type"), Some(V::S(t)) if t == "seal_certificate"))
    });
    day1.write_xlsx(true);
    run(tmp.path(), &day1.dir, d(2026, 11, 19));
    assert_eq!(row_of(&screening(tmp.path(), "2026-11-19"), "A1").1, "missing_document:seal_certificate");

    // Day 2 brings only documents: A1's seal certificate, issued 2026-08-20. Counted from
    // A1's own arrival (11-19) it would be fresh; counted from its arrival on 11-21 it is
    // stale. A fresh one follows on day 3.
    let mut day2 = Day::new(tmp.path(), "2026-11-21");
    day2.doc(("A1", ""), "seal_certificate", d(2026, 8, 20)).insert("received_on", V::Date(d(2026, 11, 21)));
    day2.write_csv(true, "sjis");
    std::fs::remove_file(day2.dir.join("applications.csv")).unwrap();
    let out2 = run(tmp.path(), &day2.dir, d(2026, 11, 21));
    assert_eq!(out2.summary.this_run.as_ref().unwrap().rescreened_applications, 1);
    let (status, reasons, _) = row_of(&screening(tmp.path(), "2026-11-21"), "A1");
    assert_eq!((status.as_str(), reasons.as_str()), ("deficient", "stale_document:seal_certificate"));

    let mut day3 = Day::new(tmp.path(), "2026-11-24");
    day3.doc(("A1", ""), "seal_certificate", d(2026, 11, 20)).insert("received_on", V::Date(d(2026, 11, 24)));
    day3.write_csv(false, "utf8");
    std::fs::remove_file(day3.dir.join("applications.csv")).unwrap();
    run(tmp.path(), &day3.dir, d(2026, 11, 24));
    assert_eq!(row_of(&screening(tmp.path(), "2026-11-24"), "A1").0, "accepted");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.table_counts().unwrap()["applications"], 2, "not duplicated");
    assert_eq!(ledger.statuses().unwrap()["A1"].0, Status::Accepted);
}

#[test]
fn still_deficient_three_months_after_the_notice_is_refund_due() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day1 = Day::new(tmp.path(), "day1");
    day1.clean("A1", "E1");
    day1.docs.retain(|r| !matches!(r.get("doc_type"), Some(V::S(t)) if t == "seal_certificate"));
    day1.write_csv(false, "utf8");
    run(tmp.path(), &day1.dir, d(2026, 11, 19));
    // Any later run looks at overdue applications, even with nothing for them.
    let mut later = Day::new(tmp.path(), "later");
    later.clean("B1", "F1");
    later.write_csv(false, "utf8");
    run(tmp.path(), &later.dir, d(2027, 2, 19));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.statuses().unwrap()["A1"].0, Status::Deficient, "the last day of the 3 months");
    drop(ledger);
    run(tmp.path(), &later.dir, d(2027, 2, 20));
    let rows = screening(tmp.path(), "later");
    let (status, reasons, _) = row_of(&rows, "A1");
    assert_eq!(status, "refund_due");
    assert!(reasons.ends_with("documents_overdue"), "{reasons}");
}

#[test]
fn a_duplicate_id_with_other_contents_leaves_the_first_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day1 = Day::new(tmp.path(), "day1");
    day1.clean("A1", "E1");
    day1.write_csv(false, "utf8");
    run(tmp.path(), &day1.dir, d(2026, 11, 19));
    let mut day2 = Day::new(tmp.path(), "day2");
    day2.clean("A1", "E9");
    day2.apps[0].insert("name_kanji", s("山田 次郎"));
    day2.write_csv(false, "utf8");
    run(tmp.path(), &day2.dir, d(2026, 11, 20));
    let (status, reasons, messages) = row_of(&screening(tmp.path(), "day2"), "A1");
    assert_eq!((status.as_str(), reasons.as_str()), ("rejected", "duplicate_application"));
    assert!(messages.contains("batch day1"), "{messages}");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.statuses().unwrap()["A1"].0, Status::Accepted);
}

/// A JPEG carrying an EXIF block with an embedded thumbnail, as phone and scanner
/// images do.
fn jpeg_with_exif_thumbnail(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([(60 + (x * 7 + y * 3) % 150) as u8]));
    let mut jpeg = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    let mut thumb = Vec::new();
    image::GrayImage::from_pixel(16, 16, image::Luma([200]))
        .write_to(&mut std::io::Cursor::new(&mut thumb), image::ImageFormat::Jpeg)
        .unwrap();
    // TIFF header, IFD0 with no entries, IFD1 pointing at the JPEG thumbnail.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 14]); // IFD0: 0 entries, next IFD at 14
    tiff.extend_from_slice(&[0, 2]);
    let thumb_offset = 14 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x02, 0x01, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&(thumb_offset as u32).to_be_bytes());
    tiff.extend_from_slice(&[0x02, 0x02, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&(thumb.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&thumb);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn a_my_number_is_burned_out_before_the_scan_is_stored() {
    ensure_python("PIL", "pillow");
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "day");
    day.clean("A1", "E1").clean("A2", "E2").clean("A3", "E3");
    let original = jpeg_with_exif_thumbnail(400, 300);
    std::fs::write(day.dir.join("scans/A1/residence.jpg"), &original).unwrap();
    std::fs::write(day.dir.join("scans/A2/residence.jpg"), &original).unwrap();
    std::fs::write(day.dir.join("scans/A3/residence.pdf"), pdf(1, "mn")).unwrap();
    for (id, file, mask) in [
        ("A1", "A1/residence.jpg", "120,80,160,40"),
        ("A2", "A2/residence.jpg", ""),
        ("A3", "A3/residence.pdf", "1,1,5,5"),
    ] {
        let r = day
            .docs
            .iter_mut()
            .find(|r| {
                matches!(r.get("application_id"), Some(V::S(a)) if a == id)
                    && matches!(r.get("doc_type"), Some(V::S(t)) if t == "residence_certificate")
            })
            .unwrap();
        r.insert("file", s(file));
        r.insert("has_my_number", s("はい"));
        r.insert("mask_region", s(mask));
    }
    day.write_xlsx(true);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    assert_eq!(row_of(&rows, "A1").0, "accepted");
    assert_eq!(row_of(&rows, "A2").1, "my_number_mask_missing");
    let (_, reasons3, messages3) = row_of(&rows, "A3");
    assert_eq!(reasons3, "my_number_mask_missing");
    assert!(messages3.contains("画像（JPEG・PNG・TIFF）で再スキャン"), "{messages3}");

    // The unmasked original is nowhere in the state folder.
    let state = tmp.path().join("state");
    let mut stored = Vec::new();
    for e in walkdir::WalkDir::new(&state).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let bytes = std::fs::read(e.path()).unwrap();
        assert!(
            bytes != original && !bytes.windows(64).any(|w| w == &original[original.len() - 64..]),
            "{} holds the original",
            e.path().display()
        );
        if e.path().extension().is_some_and(|x| x == "png") && bytes.len() > 1000 {
            stored.push(e.path().to_path_buf());
        }
    }
    // Exactly one masked residence certificate is archived (A2 and A3 are not stored).
    let masked: Vec<_> =
        stored.iter().filter(|p| image::image_dimensions(p).map(|d| d == (400, 300)).unwrap_or(false)).collect();
    assert_eq!(masked.len(), 1, "{stored:?}");
    let script = r#"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.format == "PNG", im.format
assert "exif" not in im.info and not im.getexif(), "no EXIF survives"
px = im.convert("L").load()
region = {px[x, y] for x in range(120, 280) for y in range(80, 120)}
assert region == {0}, region
outside = {px[x, y] for x in range(0, 120) for y in range(0, 80)}
assert len(outside) > 10, "the rest of the page is kept"
data = open(sys.argv[1], "rb").read()
for chunk in (b"eXIf", b"tEXt", b"iTXt", b"zTXt"):
    assert chunk not in data, chunk
print("ok")
"#;
    let out = std::process::Command::new("python3").args(["-c", script, masked[0].to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn cecsigns_company_documents_serve_every_envelope_of_the_company_and_aosigns_only_their_own() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    // C1 (E1) carries セコム's registry and seal certificate; C2 (E2) is the same company's
    // eToken application in another envelope; A3 (E3) is セコム's AOSign card, whose rules
    // want the company's documents in its own envelope; C4 (E4) is another company's.
    for (id, env, product) in
        [("C1", "E1", "cecsign"), ("C2", "E2", "cecsign"), ("A3", "E3", "aosign-g2"), ("C4", "E4", "cecsign")]
    {
        day.aosign(id, env);
        let row = day.apps.last_mut().unwrap();
        row.insert("product", s(product));
        if product == "cecsign" {
            row.insert("term", s("2y"));
        }
        if id == "C4" {
            row.insert("corporate_number", s("1010401089234"));
            row.insert("org_name", s("株式会社テスト"));
        }
    }
    day.company_docs("E1");
    day.write_xlsx(true);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "2026-11-19");
    assert_eq!(row_of(&rows, "C1").0, "accepted");
    assert_eq!(row_of(&rows, "C2").0, "accepted", "once per company: {:?}", row_of(&rows, "C2"));
    let (status, reasons, _) = row_of(&rows, "A3");
    assert_eq!(status, "deficient", "AOSign's are once per envelope");
    assert!(reasons.contains("missing_document:corporate_registry"), "{reasons}");
    let (status, reasons, _) = row_of(&rows, "C4");
    assert_eq!(status, "deficient", "another company's documents never serve");
    assert!(reasons.contains("missing_document:corporate_registry"), "{reasons}");
}
