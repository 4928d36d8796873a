//! Refunds (contract section 6), with amounts computed by hand: AOSign pro rata on
//! revocation, two cards of one request under 1,000 yen together, G-ID refund_due paid and
//! unpaid, nothing after issue for G-ID and Web; each once through reruns and skipped days;
//! refunds.csv, finance's refunds_due sheet, and the 返金のお知らせ by letter and mail.

mod common;
use common::*;
use std::path::Path;

fn smbc(rows: &[(&str, i64, &str)]) -> Vec<u8> {
    let mut text = String::from("年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n");
    for (i, (date, amount, payer)) in rows.iter().enumerate() {
        text.push_str(&format!("{date},,{amount},振込 {payer},{},\r\n", 100_000 * (i + 1)));
    }
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

fn refunds_csv(root: &Path, day: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(root.join(format!("out/daily-{day}/refunds.csv"))).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["application_id", "serial", "reason", "paid", "refund", "basis"]
    );
    r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect()
}

fn person(row: &mut Row, kana: &str, romaji: &str) {
    row.insert("name_kana", s(kana));
    row.insert("name_romaji", s(romaji));
}

/// Day 1: three AOSign cards (A1 alone for 株式会社テスト; A2 and A3 for セコム), G-ID G1 and
/// G2 deficient (G1 paid, G2 not), G-ID G3 paid and issued; every issued card's receipt in.
fn day_one(root: &Path) {
    let mut day = Day::new(root, "2026-11-19");
    day.aosign("A1", "E1").company_docs("E1");
    for (k, v) in [("corporate_number", "1010401089234"), ("org_name", "株式会社テスト"), ("org_kana", "テスト")]
    {
        day.apps[0].insert(k, s(v));
    }
    day.aosign("A2", "E2").aosign("A3", "E2").company_docs("E2");
    for i in [1, 2] {
        day.apps[i].insert("org_kana", s("セコム"));
    }
    person(&mut day.apps[2], "すずき はなこ", "SUZUKI HANAKO");
    day.clean("G1", "E4").clean("G2", "E5").clean("G3", "E6");
    person(&mut day.apps[4], "さとう はなこ", "SATO HANAKO");
    person(&mut day.apps[5], "すずき じろう", "SUZUKI JIRO");
    // G1 and G2 lack their residence certificates: deficient.
    day.docs.retain(|r| {
        let id = match r.get("application_id") {
            Some(V::S(x)) => x.clone(),
            _ => String::new(),
        };
        !(matches!(id.as_str(), "G1" | "G2")
            && matches!(r.get("doc_type"), Some(V::S(t)) if t == "residence_certificate"))
    });
    day.write_csv(false, "utf8");
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    // One card 16,500; two cards of one company 15,950 each (seed 003's ladder); G-ID 2y 19,250.
    std::fs::write(
        day.dir.join("transfers/smbc.csv"),
        smbc(&[
            ("2026/11/19", 16_500, "ｶ)ﾃｽﾄ"),
            ("2026/11/19", 31_900, "ｾｺﾑ(ｶ"),
            ("2026/11/19", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("2026/11/19", 19_250, "ｽｽﾞｷ ｼﾞﾛｳ"),
        ]),
    )
    .unwrap();
    let out = run(root, &day.dir, d(2026, 11, 19));
    let issued: Vec<&str> = out.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["G3"], "{:?}", out.decisions);
    assert_eq!(out.issue.awaiting_card, ["A1", "A2", "A3"]);
    assert!(personalise(root, "2026-11-19").contains("3 personalised"));
    let receipts = root.join("receipts.csv");
    std::fs::write(
        &receipts,
        "application_id,received_on\nA1,2026-11-25\nA2,2026-11-25\nA3,2026-11-25\nG3,2026-11-25\n",
    )
    .unwrap();
    cli_ok(root, "2026-11-25", &["receipts", "import", receipts.to_str().unwrap()]);
}

#[test]
fn every_refund_by_hand_once() {
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    day_one(root);

    // G-ID nothing after issue: G3 revoked, no refund listed.
    cli_ok(root, "2027-01-10", &["revoke", "G3", "--reason", "cessation_of_operation"]);
    assert!(refunds_csv(root, "2027-01-10").is_empty());

    // G1, G2: still deficient 3 months after the first notice (2026-11-19): an empty day's
    // run makes them refund_due; G1 gets its 19,250 back, G2 paid nothing.
    let empty = Day::new(root, "2027-02-20");
    empty.write_csv(false, "utf8");
    run(root, &empty.dir, d(2027, 2, 20));
    cli_ok(root, "2027-02-20", &["daily"]);
    let rows = refunds_csv(root, "2027-02-20");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][..5], ["G1", "", "documents_overdue", "19250", "19250"]);
    assert_eq!(rows[1][..5], ["G2", "", "documents_overdue", "0", "0"]);
    assert!(rows[1][5].contains("入金なし"), "{rows:?}");
    let day_files = std::fs::read(root.join("out/daily-2027-02-20/refunds.csv")).unwrap();
    cli_ok(root, "2027-02-20", &["daily"]);
    assert_eq!(
        std::fs::read(root.join("out/daily-2027-02-20/refunds.csv")).unwrap(),
        day_files,
        "a rerun writes the same"
    );
    let g1_mail = mail_text(&root.join("out/daily-2027-02-20/mail/G1-refund.eml"));
    assert!(g1_mail.contains("返金額: 19,250 円") && g1_mail.contains("山田 太郎 様"), "{g1_mail}");
    assert!(!root.join("out/daily-2027-02-20/mail/G2-refund.eml").exists(), "nothing to refund, nobody told");

    // AOSign, a partial year: A1 valid 2026-11-19 .. 2027-12-18 (394 days), revoked
    // 2027-05-19 with 213 days left: floor(16,500 × 213 / 394) = floor(8,920.05) = 8,920.
    cli_ok(root, "2027-05-19", &["revoke", "A1", "--reason", "affiliation_changed"]);
    let rows = refunds_csv(root, "2027-05-19");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][2..5], ["affiliation_changed", "16500", "8920"]);
    assert!(rows[0][5].contains("16,500 円 × 残存 213 日 / 有効期間 394 日 = 8,920 円"), "{rows:?}");
    // The notice goes to the company that paid, by letter and mail.
    let letters = pdf_texts(&root.join("out/daily-2027-05-19/letters"));
    assert!(letters.contains("返金のお知らせ") && letters.contains("株式会社テスト"), "{letters}");
    assert!(letters.contains("8,920"), "{letters}");
    assert!(letters.contains("カードリーダー"), "AOSign's letter says goods are not refunded: {letters}");
    assert!(
        !root.join("out/daily-2027-05-19/mail/A1-refund.eml").exists(),
        "the employee's mailbox is not the company's: a company refund goes by letter"
    );

    // Two cards of one request, 9 days left each: floor(15,950 × 9 / 394) = 364, 728 together:
    // under 1,000 yen, nothing.
    let file = root.join("revocations.csv");
    std::fs::write(
        &file,
        "application_id,reason,requested_on,requested_by\nA2,cessation_of_operation,2027-12-09,organization\n\
         A3,cessation_of_operation,2027-12-09,organization\n",
    )
    .unwrap();
    cli_ok(root, "2027-12-09", &["revoke", "--file", file.to_str().unwrap()]);
    let rows = refunds_csv(root, "2027-12-09");
    assert_eq!(rows.iter().map(|r| (r[0].as_str(), r[4].as_str())).collect::<Vec<_>>(), [("A2", "0"), ("A3", "0")]);
    assert!(rows[0][5].contains("合計 728 円が 1,000 円未満"), "{rows:?}");
    assert!(!root.join("out/daily-2027-12-09/mail/A2-refund.eml").exists());

    // Skipped days and reruns: every decision stays as it was, each made once.
    cli_ok(root, "2027-12-20", &["daily"]);
    assert!(refunds_csv(root, "2027-12-20").is_empty());
    cli_ok(root, "2027-05-19", &["revoke", "A1", "--reason", "affiliation_changed"]);
    assert_eq!(refunds_csv(root, "2027-05-19").len(), 1);
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM refunds", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 6, "A1 A2 A3 G1 G2 G3, once each");
    let audited: i64 = conn.query_row("SELECT COUNT(*) FROM audit WHERE event = 'refund'", [], |r| r.get(0)).unwrap();
    assert_eq!(audited, 6);

    // Finance's workbook lists what is owed, with its basis, as numbers and dates.
    let last = Day::new(root, "2027-12-21");
    last.write_csv(false, "utf8");
    run(root, &last.dir, d(2027, 12, 21));
    let script = r#"
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["refunds_due"]
head = [c.value for c in ws[1]]
assert head == ["申込番号または取引ID", "返金額", "理由", "入金額", "計算の根拠", "返金先", "返金期日"], head
rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
assert set(rows) == {"A1", "G1"}, list(rows)
a1 = rows["A1"]
assert a1[1].value == 8920 and a1[3].value == 16500 and a1[2].value == "失効（affiliation_changed）による残存期間分の返金", [c.value for c in a1]
assert "213" in a1[4].value and "株式会社テスト" in a1[5].value, [c.value for c in a1]
assert isinstance(a1[6].value, datetime.datetime) and a1[6].value.date() == datetime.date(2027, 5, 19)
assert rows["G1"][1].value == 19250
print("ok")
"#;
    let book = root.join("out/2027-12-21/reconciliation.xlsx");
    let out = std::process::Command::new("python3").args(["-c", script, book.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn web_refunds_nothing_by_its_rules() {
    use certbatch::lifecycle::refunds::{decide, Candidate, Cause};
    let config =
        certbatch::config::Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")).unwrap();
    let web = Candidate {
        application_id: "W1".into(),
        serial: "0A".into(),
        product: "passport-web".into(),
        paid: 55_000,
        company: "4011001040781".into(),
        cause: Cause::Revoked {
            reason: "cessation_of_operation".into(),
            requested_on: d(2027, 1, 5),
            revoked_on: d(2027, 1, 5),
            not_before: d(2026, 11, 19),
            not_after: d(2027, 12, 18),
        },
    };
    let overdue = Candidate { cause: Cause::DocumentsOverdue, application_id: "W2".into(), ..web.clone() };
    let out = decide(&[web, overdue], |p| config.pipelines.product(p).map(|p| &p.refunds));
    assert!(out.iter().all(|r| r.refund == 0 && !r.listed), "{out:?}");
}
