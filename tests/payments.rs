//! Payments end to end: statements dropped in the day's folder pay G-ID applications,
//! which are then issued the same day; re-imports add nothing; finance's files open in a
//! spreadsheet library we did not write.

mod common;
use common::*;

use certbatch::ledger::Ledger;
use std::path::Path;

fn day(root: &Path) -> Day {
    let mut day = Day::new(root, "2026-11-19");
    day.clean("G1", "E1").clean("G2", "E2").clean("G3", "E3").clean("G4", "E4");
    let names = [
        ("山田 太郎", "ヤマダ タロウ", "YAMADA TARO"),
        ("佐藤 京子", "サトウ キョウコ", "SATO KYOKO"),
        ("服部 修", "ハットリ オサム", "HATTORI OSAMU"),
        ("本間 一郎", "ホンマ イチロウ", "HOMMA ICHIRO"),
    ];
    for (i, (kanji, kana, romaji)) in names.iter().enumerate() {
        day.apps[i].insert("name_kanji", s(kanji));
        day.apps[i].insert("name_kana", s(kana));
        day.apps[i].insert("name_romaji", s(romaji));
    }
    day.write_xlsx(true);
    day
}

/// An SMBC export in Shift_JIS, as the bank writes it: half-width kana, no small kana.
fn smbc(rows: &[(&str, i64, &str, i64)]) -> Vec<u8> {
    let mut text = String::from("年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n");
    for (date, amount, payer, balance) in rows {
        text.push_str(&format!("{date},,{amount},振込 {payer},{balance},\r\n"));
    }
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

#[test]
fn credits_pay_applications_which_are_issued_the_same_day() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    // 2y G-ID download: 17,500 + 10% tax = 19,250. The payer bears the bank fee.
    std::fs::write(
        day.dir.join("transfers/smbc-1119.csv"),
        smbc(&[
            ("2026/11/18", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ", 100_000), // a day before its application arrived
            ("2026/11/19", 19_250, "ｻﾄｳ ｷﾖｳｺ", 119_250), // small kana folded
            ("2026/11/19", 18_810, "ﾊﾂﾄﾘ ｵｻﾑ", 138_060), // short by a transfer fee
            ("2026/11/19", 20_000, "ﾎﾝﾏ ｲﾁﾛｳ", 158_060), // overpaid
            ("2026/11/19", 5_000, "ｽｽﾞｷ ｼﾞﾛｳ", 163_060),  // nobody
        ]),
    )
    .unwrap();
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let mut r = csv::Reader::from_path(tmp.path().join("out/2026-11-19/payments.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["transaction_id", "date", "amount", "payer_name", "status", "application_ids", "expected", "difference"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let by_payer = |p: &str| rows.iter().find(|r| r[3].contains(p)).unwrap_or_else(|| panic!("{p}: {rows:?}")).clone();
    let cases = [
        ("ﾔﾏﾀﾞ", "matched", "G1", "0"),
        ("ｷﾖｳｺ", "matched", "G2", "0"),
        ("ﾊﾂﾄﾘ", "partial", "G3", "-440"),
        ("ﾎﾝﾏ", "overpaid", "G4", "750"),
        ("ｽｽﾞｷ", "unmatched", "", "5000"),
    ];
    for (payer, status, apps, diff) in cases {
        let r = by_payer(payer);
        assert_eq!((&r[4], &r[5], &r[7]), (status, apps, diff), "{payer}");
    }
    // Paid ones are issued at once; the short one waits.
    let issued: Vec<&str> = out.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["G1", "G2", "G4"]);
    assert_eq!(out.issue.awaiting_payment, ["G3"]);

    // The same statement again, and an overlapping re-export, add nothing.
    std::fs::write(
        day.dir.join("transfers/smbc-1119-again.csv"),
        smbc(&[("2026/11/19", 19_250, "ｻﾄｳ ｷﾖｳｺ", 119_250), ("2026/11/20", 440, "ﾊﾂﾄﾘ ｵｻﾑ", 163_500)]),
    )
    .unwrap();
    let again = run(tmp.path(), &day.dir, d(2026, 11, 20));
    let p = again.summary.this_run.clone().unwrap();
    assert_eq!((p.new_credits, p.repeated_credits), (1, 1), "only the 440 yen row is new");
    assert_eq!(p.already_imported.len(), 1);
    // The rest of G3's fee arrived: it is paid and issued.
    assert_eq!(again.issue.issued.iter().map(|i| i.application_id.as_str()).collect::<Vec<_>>(), ["G3"]);

    // Finance settles the unknown payer by hand; the decision is remembered as an alias.
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let unknown = ledger.all_payments().unwrap().into_iter().find(|p| p.status.as_str() == "unmatched").unwrap();
    drop(ledger);
    let mut later = Day::new(tmp.path(), "2026-11-21");
    later.clean("G5", "E5");
    later.apps[0].insert("name_kana", s("スズキ ハナコ"));
    later.apps[0].insert("name_romaji", s("SUZUKI HANAKO"));
    later.apps[0].insert("term", s("3y"));
    later.write_csv(false, "utf8");
    std::fs::write(
        later.dir.join("payment_decisions.csv"),
        format!("transaction_id,application_ids\n{},G5\n", unknown.transaction_id),
    )
    .unwrap();
    run(tmp.path(), &later.dir, d(2026, 11, 21));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let settled =
        ledger.all_payments().unwrap().into_iter().find(|p| p.transaction_id == unknown.transaction_id).unwrap();
    assert_eq!((settled.status.as_str(), settled.application_ids.as_str()), ("matched", "G5"));
    assert_eq!(ledger.payer_aliases().unwrap().len(), 1);
}

#[test]
fn transfers_import_refuses_a_bad_file_whole_and_reads_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, smbc(&[("2026/11/20", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ", 19_250)])).unwrap();
    let bad = tmp.path().join("unknown.csv");
    std::fs::write(&bad, "Datum,Betrag,Name\n2026-11-20,1,x\n").unwrap();
    let state = tmp.path().join("state");
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = cli(&[
        "--state",
        state.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2026-11-20",
        "transfers",
        "import",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("payment note") && stdout.contains("Datum"), "{stdout}");
    assert!(stdout.contains("credits        1 new"), "{stdout}");
    let rows = std::fs::read_to_string(out.join("transfers-2026-11-20/payments.csv")).unwrap();
    assert!(rows.contains(",matched,G1,"), "{rows}");
    // Importing the same file again adds nothing.
    let (_, stdout, _) = cli(&[
        "--state",
        state.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2026-11-20",
        "transfers",
        "import",
        good.to_str().unwrap(),
    ]);
    assert!(stdout.contains("imported before") && stdout.contains("credits        0 new"), "{stdout}");
    // A second statement the same day adds to the day's payments.csv; the first stays.
    let second = tmp.path().join("second.csv");
    std::fs::write(&second, smbc(&[("2026/11/20", 5_000, "ｽｽﾞｷ ﾊﾅｺ", 5_000)])).unwrap();
    let root = tmp.path();
    cli_ok(root, "2026-11-20", &["transfers", "import", second.to_str().unwrap()]);
    let rows = std::fs::read_to_string(out.join("transfers-2026-11-20/payments.csv")).unwrap();
    assert!(rows.contains(",matched,G1,") && rows.contains("ｽｽﾞｷ ﾊﾅｺ,unmatched,,,5000"), "{rows}");
    // Finance's decisions alone, without a statement, are a command, not a usage error.
    let decisions = tmp.path().join("decisions.csv");
    std::fs::write(&decisions, "transaction_id,application_ids\n").unwrap();
    cli_ok(root, "2026-11-20", &["transfers", "import", "--decisions", decisions.to_str().unwrap()]);
}

#[test]
fn the_reconciliation_workbook_opens_in_openpyxl_with_numbers_dates_and_filters() {
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(
        day.dir.join("transfers/s.csv"),
        smbc(&[("2026/11/19", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ", 1), ("2026/11/19", 1_000, "=HYPERLINK(1)", 2)]),
    )
    .unwrap();
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let book = tmp.path().join("out/2026-11-19/reconciliation.xlsx");
    let script = r#"
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
assert wb.sheetnames == ["matched", "needs_attention", "open_fees", "refunds_due", "invoices"], wb.sheetnames
m = wb["matched"]
assert [c.value for c in m[1]][:5] == ["取引ID", "入金日", "入金額", "振込依頼人名", "状況"], [c.value for c in m[1]]
assert m.freeze_panes == "A2" and m.auto_filter.ref, (m.freeze_panes, m.auto_filter.ref)
row = [c.value for c in m[2]]
assert isinstance(row[1], datetime.datetime) and row[2] == 19250, row
att = wb["needs_attention"]
names = [r[3].value for r in att.iter_rows(min_row=2)]
assert "'=HYPERLINK(1)" in names, names  # defused as the README promises
assert all(r[3].data_type == "s" for r in att.iter_rows(min_row=2)), "payer names are strings, never formulas"
# An unmatched credit expected nothing: a blank cell, not 0; its status in Japanese.
unmatched = [r for r in att.iter_rows(min_row=2) if r[3].value == "'=HYPERLINK(1)"][0]
assert unmatched[6].value is None and unmatched[4].value == "該当なし（判断が必要）", [c.value for c in unmatched]
o = wb["open_fees"]
assert o.max_row == 4 and isinstance(o["F2"].value, (int, float)), o.max_row
assert o["B1"].value == "申込者" and o["B2"].value, "the applicant is named"
print("ok")
"#;
    let out = std::process::Command::new("python3").args(["-c", script, book.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(tmp.path().join("out/2026-11-19/payments.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK(1)"), "defused in the CSV: {csv}");
}

#[test]
fn finances_workbook_after_both_sample_days_and_an_import_puts_each_case_in_its_sheet() {
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    run(root, &samples().join("2026-11-19"), d(2026, 11, 19));
    run(root, &samples().join("2026-11-20"), d(2026, 11, 20));
    // ﾎﾝﾏ ﾕｳｺ paid 440 yen short on day 1 (GD-20261119-008); the rest arrives now.
    let rest = root.join("rest.csv");
    std::fs::write(&rest, smbc_statement(&[("2026/11/21".into(), 440, "ﾎﾝﾏ ﾕｳｺ".into())])).unwrap();
    cli_ok(root, "2026-11-21", &["transfers", "import", rest.to_str().unwrap()]);
    let script = r#"
import sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
assert wb.sheetnames == ["matched", "needs_attention", "open_fees", "refunds_due", "invoices"], wb.sheetnames
for ws in wb.worksheets:
    head = [c.value for c in ws[1]]
    assert all(h and not h.isascii() for h in head), (ws.title, head)  # Japanese headers
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title
m, att, o = wb["matched"], wb["needs_attention"], wb["open_fees"]
honma = [r for r in m.iter_rows(min_row=2, values_only=True) if r[3] and "ﾎﾝﾏ" in r[3]]
assert len(honma) == 2 and any("後日の入金で完済" in r[4] for r in honma), honma
assert not any(r[3] and "ﾎﾝﾏ" in r[3] for r in att.iter_rows(min_row=2, values_only=True))
for r in m.iter_rows(min_row=2, values_only=True):
    assert isinstance(r[1], datetime.datetime) and isinstance(r[2], int), r
for r in att.iter_rows(min_row=2, values_only=True):
    assert isinstance(r[2], int) and (r[6] is None) == (r[4].startswith(("該当なし", "二重入金"))), r
ids = [r[0] for r in o.iter_rows(min_row=2, values_only=True)]
assert "GD-20261119-008" not in ids, ids
statuses = {r[4] for r in o.iter_rows(min_row=2, values_only=True)}
assert "返金対象" not in statuses, statuses
assert all(r[1] for r in o.iter_rows(min_row=2, values_only=True)), "every open fee names its applicant"
inv = list(wb["invoices"].iter_rows(min_row=2, values_only=True))
assert inv and [r[0] for r in inv] == ["DEMO-INV-%06d" % (i + 1) for i in range(len(inv))], inv
print("ok")
"#;
    let book = root.join("out/transfers-2026-11-21/reconciliation.xlsx");
    let out = std::process::Command::new("python3").args(["-c", script, book.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
