//! The committed sample days, run as staff would run them: every deliberate problem of
//! `examples/gen_samples.rs` comes out as its reason, and nothing else does.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

/// Every row of `screening.csv` that is not a plain `accepted` or `issued` (rows that carry
/// a warning are listed too).
fn not_plain(root: &Path, batch: &str) -> BTreeMap<String, String> {
    screening(root, batch)
        .into_iter()
        .filter(|r| !matches!(r.1.as_str(), "accepted" | "issued") || !r.2.is_empty())
        .map(|r| (r.0, format!("{} {}", r.1, r.2)))
        .collect()
}

/// Every row of a half-filled sheet's row that staff never typed.
const HALF_FILLED: &str = "rejected invalid_field:term;invalid_field:applied_on;invalid_field:received_on;invalid_field:name_romaji;invalid_field:birth_date;invalid_field:postal_code;invalid_field:address;invalid_field:email";

const DAY1: &[(&str, &str)] = &[
    ("AO-20261119-032", "deficient romaji_mismatch"),
    ("AO-20261119-034", "deficient my_number_mask_missing"),
    ("AO-20261119-036", "rejected invalid_field:email"),
    // 𠮷 is outside JIS levels 1-2 (a warning) and outside the letter font: it waits.
    ("AO-20261119-047", "accepted non_jis_character:name_kanji;letter_unprintable:pin"),
    ("CE-20261119-038", "rejected invalid_field:applied_on"),
    ("CE-20261119-041", "deficient scan_missing:ENV-1119-28/CE-20261119-041/application_form.pdf"),
    ("GC-20261119-028", "rejected unknown_value:product"),
    ("GD-20261119-002", "deficient romaji_mismatch"),
    ("GD-20261119-004", "deficient missing_document:seal_certificate"),
    ("GD-20261119-007", "deficient stale_document:seal_certificate"),
    ("GD-20261119-013", "deficient missing_document:affiliation_certificate"),
    ("GD-20261119-015", "deficient scan_unreadable:ENV-1119-12/GD-20261119-015/seal_certificate.jpg"),
    ("GD-20261119-017", "rejected unknown_value:cert_type"),
    ("GM-20261119-019", "deficient missing_document:transfer_slip"),
    ("GM-20261119-021", "deficient application_form_expired"),
    ("GM-20261119-026", "accepted non_jis_character:name_kanji"),
    ("GM-20261119-027", "deficient future_dated_document:residence_certificate"),
    ("GM-20261119-049", HALF_FILLED),
    ("PW-20261119-043", "deficient weak_key"),
    ("PW-20261119-044", "deficient invalid_corporate_number"),
    ("PW-20261119-045", "deficient csr_name_mismatch"),
];

const DAY2: &[(&str, &str)] = &[
    ("AG-20261120-031", "rejected unknown_value:product"),
    ("AO-20261120-026", "deficient invalid_corporate_number"),
    ("AO-20261120-029", "rejected unknown_value:cert_type"),
    ("AO-20261120-030", "deficient my_number_mask_missing"),
    ("AO-20261120-045", HALF_FILLED),
    ("CE-20261120-034", "deficient missing_document:residence_certificate"),
    ("CE-20261120-036", "rejected invalid_field:email"),
    ("GD-20261119-001", "rejected duplicate_application"),
    ("GD-20261120-002", "deficient romaji_mismatch"),
    ("GD-20261120-004", "deficient stale_document:seal_certificate"),
    ("GD-20261120-011", "rejected invalid_field:birth_date"),
    ("GD-20261120-012", "deficient future_dated_document:seal_certificate"),
    ("GD-20261120-046", "deficient invalid_renewal:unknown_serial"),
    ("GM-20261120-015", "deficient application_form_expired"),
    ("GM-20261120-017", "deficient scan_missing:box1/ENV-1120-16/GM-20261120-017/02_seal_certificate.jpg"),
    ("GM-20261120-021", "deficient scan_unreadable:box1/ENV-1120-18/GM-20261120-021/02_seal_certificate.jpg"),
    ("GM-20261120-022", "deficient romaji_mismatch"),
    ("GM-20261120-023", "accepted non_jis_character:org_representative"),
    ("PW-20261120-037", "deficient invalid_csr"),
    ("PW-20261120-039", "deficient missing_document:corporate_registry"),
    ("PW-20261120-040", "deficient invalid_domain:portal.intranet.local"),
];

fn expected(rows: &[(&str, &str)]) -> BTreeMap<String, String> {
    rows.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Day 1's G-ID applications the SMBC export of 2026-11-19 pays in full (one overpaid).
const PAID_DAY1: &[&str] = &[
    "GD-20261119-003",
    "GD-20261119-005",
    "GD-20261119-012",
    "GD-20261119-016",
    "GM-20261119-018",
    "GM-20261119-020",
    "GM-20261119-022",
];

/// Day 1's G-ID applications the Zengin notice of 2026-11-20 pays.
const PAID_DAY2: &[&str] =
    &["GD-20261119-006", "GD-20261119-009", "GD-20261119-014", "GM-20261119-023", "GM-20261119-024", "GM-20261119-025"];

/// Each credit of `2026-11-19/transfers/smbc-20261119.csv` (payer, amount, status,
/// application_ids, difference); the debit row (お引出し) gives none.
const PAYMENTS_DAY1: &[(&str, &str, &str, &str, &str)] = &[
    ("ｵｵﾉ ﾀﾂﾔ", "28875", "matched", "GD-20261119-003", "0"),
    ("ｵｵﾀ ｻﾄｼ", "19250", "matched", "GD-20261119-005", "0"),
    ("ﾎﾝﾏ ﾕｳｺ", "28435", "partial", "GD-20261119-008", "-440"),
    ("ｽｽﾞｷ ｷﾖｳｺ", "23550", "overpaid", "GM-20261119-018", "1000"),
    ("GD20261119016 ﾏﾂﾀﾞ ﾖｳｺ", "19250", "matched", "GD-20261119-016", "0"),
    ("ｶ)ﾐﾗｲｾﾂｹｲ", "26400", "matched", "GD-20261119-012", "0"),
    ("ｵｶﾀﾞ ｲﾁﾛｳ", "31350", "matched", "GM-20261119-020", "0"),
    ("ﾀｹﾀﾞ ｷﾖｳｺ", "22550", "matched", "GM-20261119-022", "0"),
    ("ﾔﾏｸﾞﾁ ﾄｼｵ", "15400", "unmatched", "", "15400"),
];

/// Each credit of `2026-11-20/transfers/zengin-20261120.txt`, plus day 1's unmatched credit
/// tried again; the cancelled transfer (照会番号 000006, for GD-20261119-011) gives none.
const PAYMENTS_DAY2: &[(&str, &str, &str, &str, &str)] = &[
    ("ｲﾄｳ ｼﾕﾝｽｹ", "28875", "matched", "GD-20261119-006", "0"),
    ("ｺﾞﾄｳ ﾕｳｷ", "19250", "matched", "GD-20261119-009", "0"),
    ("ｴﾂﾁﾕｳ ｻｵﾘ", "19250", "matched", "GD-20261119-014", "0"),
    ("ﾎｸﾄﾌﾞﾂｻﾝ(ｶ", "74140", "matched", "GM-20261119-023 GM-20261119-024 GM-20261119-025", "0"),
    ("ｵｶﾀﾞ ｲﾁﾛｳ", "31350", "duplicate", "GM-20261119-020", "31350"),
    ("ﾔﾏｸﾞﾁ ﾄｼｵ", "15400", "unmatched", "", "15400"),
];

type PaymentRows = BTreeMap<String, (String, String, String, String, String)>;

/// `payments.csv` of a batch as payer name → (transaction id, amount, status,
/// application_ids, difference); every payer appears once in a sample day.
fn payments(root: &Path, batch: &str) -> PaymentRows {
    let mut r = csv::Reader::from_path(root.join("out").join(batch).join("payments.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["transaction_id", "date", "amount", "payer_name", "status", "application_ids", "expected", "difference"]
    );
    let mut rows = PaymentRows::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row = (rec[0].to_string(), rec[2].to_string(), rec[4].to_string(), rec[5].to_string(), rec[7].to_string());
        assert!(rows.insert(rec[3].to_string(), row).is_none(), "one credit per payer in {batch}: {}", &rec[3]);
    }
    rows
}

/// The (amount, status, application_ids, difference) of each payer.
fn statuses(rows: &PaymentRows) -> BTreeMap<&str, (&str, &str, &str, &str)> {
    rows.iter().map(|(p, r)| (p.as_str(), (r.1.as_str(), r.2.as_str(), r.3.as_str(), r.4.as_str()))).collect()
}

fn want_statuses<'a>(
    rows: &[(&'a str, &'a str, &'a str, &'a str, &'a str)],
) -> BTreeMap<&'a str, (&'a str, &'a str, &'a str, &'a str)> {
    rows.iter().map(|&(p, a, s, ids, diff)| (p, (a, s, ids, diff))).collect()
}

/// The G-ID applications a run issued, sorted.
fn gid_issued(out: &certbatch::run::Outcome) -> Vec<&str> {
    let mut ids: Vec<&str> =
        out.issue.issued.iter().map(|i| i.application_id.as_str()).filter(|id| id.starts_with('G')).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn the_sample_days_give_exactly_their_deliberate_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let day1 = run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    assert_eq!(not_plain(tmp.path(), "2026-11-19"), expected(DAY1));
    assert_eq!(day1.summary.unlisted_scans, ["ENV-1119-03/GD-20261119-003/residence_certificate_back.jpg"]);
    assert_eq!(day1.summary.applications, 49);
    // A row typed twice is read once, and said so.
    assert!(
        day1.summary.notes.iter().any(|n| n.contains("row 50: repeats application GD-20261119-048")),
        "{:?}",
        day1.summary.notes
    );
    // The name the letter font lacks waits on the staff queue; the long address is issued.
    let queue = std::fs::read_to_string(tmp.path().join("out/2026-11-19/staff-queue.csv")).unwrap();
    assert!(
        queue.lines().any(|l| l.starts_with("AO-20261119-047,") && l.contains("letter_unprintable:pin")),
        "{queue}"
    );
    // Invoiced products go ahead on the day (cards to the card station: they stay accepted
    // until it makes them); G-ID waits for its fee.
    let rows = screening(tmp.path(), "2026-11-19");
    for (id, status) in [
        ("AO-20261119-029", "accepted"),
        ("CE-20261119-037", "accepted"),
        ("PW-20261119-042", "issued"),
        ("AO-20261119-046", "accepted"),
        ("GD-20261119-001", "accepted"),
    ] {
        assert_eq!(row_of(&rows, id).0, status, "{id}");
    }
    // Day 1's SMBC export pays about half of the accepted G-ID applications: exactly those
    // are issued the same run; the one short by a transfer fee waits.
    let paid1 = payments(tmp.path(), "2026-11-19");
    assert_eq!(statuses(&paid1), want_statuses(PAYMENTS_DAY1));
    assert!(paid1.values().all(|r| r.0.starts_with("smbc|")), "{paid1:?}");
    assert_eq!(gid_issued(&day1), PAID_DAY1);
    for id in PAID_DAY1 {
        assert_eq!(row_of(&rows, id).0, "issued", "{id} is paid");
    }
    for id in ["GD-20261119-008", "GD-20261119-006", "GM-20261119-023"] {
        assert_eq!(row_of(&rows, id).0, "accepted", "{id} is not paid yet");
    }
    assert!(day1.issue.awaiting_payment.iter().any(|id| id == "GD-20261119-008"), "the partial payment waits");

    // The card station makes day 1's cards before day 2 (whose revocations and receipts
    // name two of them).
    personalise(tmp.path(), "2026-11-19");
    let day2 = run(tmp.path(), &samples().join("2026-11-20"), d(2026, 11, 20));
    let want = expected(DAY2);
    // Two day-1 applications are completed by documents that arrived on day 2.
    let rows = screening(tmp.path(), "2026-11-20");
    for id in ["GD-20261119-004", "GM-20261119-019"] {
        assert_eq!(row_of(&rows, id).0, "accepted", "{id} completed on day 2");
    }
    assert_eq!(not_plain(tmp.path(), "2026-11-20"), want);
    // Every certificate the batch issued is in its screening.csv, the day-1 ones paid by
    // day 2's transfers too, and the report counts them alike.
    let issued = std::fs::read_to_string(tmp.path().join("out/2026-11-20/issued.csv")).unwrap();
    for id in issued.lines().skip(1).map(|l| l.split(',').next().unwrap()) {
        assert_eq!(row_of(&rows, id).0, "issued", "{id} in day 2's screening.csv");
    }
    let report = std::fs::read_to_string(tmp.path().join("out/2026-11-20/report.txt")).unwrap();
    let n = issued.lines().count() - 1;
    assert!(report.contains(&format!("issued {n}")) && report.contains(&format!("{n} certificates under")), "{report}");
    assert!(day2.summary.unlisted_scans.contains(&"box2/unsorted/IMG_0042.jpg".to_string()));
    // Day 2's receipts.csv and revocations.csv: two receipts for day 1's certificates and a
    // lost PIN; the CRL of the day lists that card.
    let requests = std::fs::read_to_string(tmp.path().join("out/2026-11-20/requests.csv")).unwrap();
    for (row, id, status) in [
        ("2026-11-20/receipts.csv row 2", "GD-20261119-003", "recorded"),
        ("2026-11-20/receipts.csv row 3", "AO-20261119-029", "recorded"),
        ("2026-11-20/revocations.csv row 2", "AO-20261119-030", "revoked"),
    ] {
        assert!(
            requests.lines().any(|l| l.starts_with(row) && l.contains(&format!(",{id},{status},"))),
            "{row}: {requests}"
        );
    }
    assert!(tmp.path().join("out/publish/issuing-ca.crl").exists());
    let revoked = std::fs::read_to_string(tmp.path().join("out/daily-2026-11-20/revocations.csv")).unwrap();
    assert!(revoked.contains("AO-20261119-030,key_compromise,subscriber,2026-11-20"), "{revoked}");
    // Day 2 corrects day 1's 𠮷田 to 吉田 (訂正): the stored contents are replaced, the
    // letter's hold lifts and the card is queued for the station; its changes.csv changes one
    // email and refuses a new address (it is in the certificate).
    assert_eq!(row_of(&rows, "AO-20261119-047"), ("accepted".into(), String::new(), String::new()));
    assert!(day2.issue.awaiting_card.iter().any(|id| id == "AO-20261119-047"));
    let corrected = day2.decisions.iter().find(|d| d.application_id == "AO-20261119-047").unwrap();
    assert_eq!(corrected.application.as_ref().unwrap().name_kanji, "吉田 一郎");
    for (row, status) in [
        ("2026-11-20/changes.csv row 2", "GD-20261119-003,changed,"),
        ("2026-11-20/changes.csv row 3", "AO-20261119-029,refused,revoke_and_reapply"),
    ] {
        assert!(requests.lines().any(|l| l.starts_with(row) && l.contains(status)), "{row}: {requests}");
    }
    assert!(tmp.path().join("out/2026-11-20/mail/GD-20261119-003-change.eml").exists());

    // Day 2's Zengin notice pays more of day 1's G-ID applications, which are issued that
    // run; a second payment is a duplicate, and the cancelled transfer pays nothing.
    let paid2 = payments(tmp.path(), "2026-11-20");
    assert_eq!(statuses(&paid2), want_statuses(PAYMENTS_DAY2));
    for (payer, row) in &paid2 {
        if payer == "ﾔﾏｸﾞﾁ ﾄｼｵ" {
            assert_eq!(row.0, paid1[payer].0, "day 1's unmatched credit, tried again");
        } else {
            assert!(row.0.starts_with("zengin-01|0009-123-1-1621000|2026-11-20|"), "{payer}: {}", row.0);
        }
    }
    assert_eq!(gid_issued(&day2), PAID_DAY2);
    let issued_csv = std::fs::read_to_string(tmp.path().join("out/2026-11-20/issued.csv")).unwrap();
    for id in PAID_DAY2 {
        assert!(issued_csv.lines().any(|l| l.starts_with(&format!("{id},"))), "{id} in issued.csv: {issued_csv}");
    }
    for id in ["GD-20261119-001", "GD-20261119-008", "GD-20261119-010", "GD-20261119-011", "GM-20261119-026"] {
        assert!(day2.issue.awaiting_payment.iter().any(|a| a == id), "{id} still awaits its fee");
    }

    // Three months after the first notices, day 1's still-deficient applications are
    // refunded on the next run.
    let later = run(tmp.path(), &samples().join("2026-11-20"), d(2027, 2, 20));
    let refunds: Vec<&String> = later
        .decisions
        .iter()
        .filter(|d| d.status == certbatch::record::Status::RefundDue)
        .map(|d| &d.application_id)
        .collect();
    assert!(refunds.iter().any(|id| *id == "GD-20261119-007"), "{refunds:?}");
    assert!(later
        .decisions
        .iter()
        .all(|d| d.status != certbatch::record::Status::RefundDue || d.reasons().ends_with("documents_overdue")));
}

#[test]
fn every_screening_reason_code_appears_in_the_samples() {
    let mut seen = std::collections::BTreeSet::new();
    for (_, r) in DAY1.iter().chain(DAY2) {
        for reason in r.split_once(' ').unwrap().1.split(';') {
            seen.insert(reason.split(':').next().unwrap().to_string());
        }
    }
    seen.insert("documents_overdue".into()); // shown by the later run above
    use certbatch::finding::Code;
    for code in Code::ALL.iter().filter(|c| !Code::HOLDS.contains(c)) {
        assert!(seen.contains(code.as_str()), "{code} appears in a sample day");
    }
}

#[test]
fn every_pin_letter_of_a_sample_day_opens_its_pkcs12_and_the_cards_have_theirs() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let day = run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    let with_keys: Vec<_> = day.issue.issued.iter().filter(|i| i.p12_file.is_some()).collect();
    assert!(with_keys.len() >= 7, "{}", with_keys.len());
    // The cards' PIN letters, written by the card station: the long address wraps at the
    // spaces typed, so the building keeps its line.
    personalise(tmp.path(), "2026-11-19");
    let letter = tmp.path().join("out/cards-2026-11-19/letters/pin/AO-20261119-046.pdf");
    let text =
        std::process::Command::new("pdftotext").args(["-layout", letter.to_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(text.lines().any(|l| l.trim() == "グランドパレスセントラルタワー東棟"), "{text}");
    assert_eq!(secret_in_letter(&letter).len(), 8, "a card's PIN: 8 digits");
    for i in with_keys {
        let letter = i
            .letter_files
            .iter()
            .find(|l| l.0 == "pin")
            .unwrap_or_else(|| panic!("{}: a PIN letter", i.application_id));
        let text = std::process::Command::new("pdftotext")
            .args(["-layout", letter.1.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout).to_string();
        assert!(text.contains(&i.application_id), "{}: {text}", i.application_id);
        // The PIN stands alone on its line, in the box under its label.
        let pin = secret_in_letter(&letter.1);
        let pin = pin.as_str();
        assert_eq!(pin.len(), 12, "{}: {pin:?}", i.application_id);
        let out = std::process::Command::new("openssl")
            .args([
                "pkcs12",
                "-info",
                "-noout",
                "-in",
                i.p12_file.as_ref().unwrap().to_str().unwrap(),
                "-passin",
                "env:PIN",
            ])
            .env("PIN", pin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: the PIN from its letter opens its PKCS#12: {}",
            i.application_id,
            String::from_utf8_lossy(&out.stderr)
        );
        // And the certificate inside is the one issued to this application.
        let cert = std::process::Command::new("openssl")
            .args([
                "pkcs12",
                "-in",
                i.p12_file.as_ref().unwrap().to_str().unwrap(),
                "-passin",
                "env:PIN",
                "-nokeys",
                "-clcerts",
            ])
            .env("PIN", pin)
            .output()
            .unwrap();
        let serial = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-serial"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&cert.stdout)?;
                c.wait_with_output()
            })
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&serial.stdout).trim().trim_start_matches("serial=").to_lowercase(),
            i.serial,
            "{}",
            i.application_id
        );
    }
}

#[test]
fn deficiency_notices_and_receipt_forms_are_printed_once() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let day = run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    let letters = tmp.path().join("out/2026-11-19/letters");
    let pdftext = |p: &Path| {
        let out = std::process::Command::new("pdftotext").args(["-layout", p.to_str().unwrap(), "-"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // A deficiency notice for each deficient application with something the applicant must
    // cure, naming its reasons; a refund only where the fee is paid before issue. A scan
    // staff lost or must mask is staff work: no notice, on the staff queue instead.
    let queue = std::fs::read_to_string(tmp.path().join("out/2026-11-19/staff-queue.csv")).unwrap();
    for d in day.decisions.iter().filter(|d| d.status == certbatch::record::Status::Deficient) {
        let file = letters.join("deficiency").join(format!("{}.pdf", d.application_id));
        if !d.findings.iter().any(|f| f.is_for_applicant()) {
            assert!(!file.exists(), "{}: staff work sends the applicant nothing", d.application_id);
            assert!(
                queue.contains(&format!("{},scan (staff work),", d.application_id)),
                "{}: {queue}",
                d.application_id
            );
            continue;
        }
        let text = pdftext(&file);
        assert!(text.contains("不備のお知らせ") && text.contains(&d.application_id), "{}: {text}", d.application_id);
        let paid_before = d.application_id.starts_with('G');
        assert_eq!(text.contains("返金"), paid_before, "{}: a refund only of what was paid: {text}", d.application_id);
        assert!(
            !text.contains("マスク範囲") && !text.contains("スキャン"),
            "{}: no staff work: {text}",
            d.application_id
        );
    }
    // A receipt form for each certificate issued with a paper notice (not the Web product's
    // email-only delivery), with its receipt deadline 30 days after issue.
    for i in day.issue.issued.iter().filter(|i| !i.application_id.starts_with("PW")) {
        let text: String =
            pdftext(&letters.join("receipt").join(format!("{}.pdf", i.application_id))).split_whitespace().collect();
        assert!(
            text.contains("送付のお知らせ兼受領書") && text.contains("令和8年12月19日"),
            "{}: {text}",
            i.application_id
        );
    }
    // A rerun of the day prints nothing new: the same notices, no new secret letters.
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&letters)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    let again = run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    assert!(again.issue.issued.is_empty());
    let mut after: Vec<(String, Vec<u8>)> = std::fs::read_dir(&letters)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    let mut before = before;
    before.sort();
    after.sort();
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} is printed again unchanged", b.0);
    }
}
