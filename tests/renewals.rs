//! Renewals (contract section 6): `renewal_of` checked against the ledger, the renewed
//! certificate marked (no more expiry notices, valid to its own end), renewal kits written
//! by `daily`, and a company's renewals of many cards sent back as one batch: screened, paid by one
//! transfer at the ladder price for the count, queued in one run and made at the card station.

mod common;
use common::*;
use std::path::Path;

fn smbc(rows: &[(&str, i64, &str)]) -> Vec<u8> {
    let mut text = String::from("年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n");
    for (i, (date, amount, payer)) in rows.iter().enumerate() {
        text.push_str(&format!("{date},,{amount},振込 {payer},{},\r\n", 10_000_000 * (i + 1)));
    }
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

fn sql<T: rusqlite::types::FromSql>(root: &Path, q: &str) -> T {
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    conn.query_row(q, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_companys_renewals_of_many_cards_come_back_as_one_batch() {
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Past the ladder's last step (10 or more), with each card made at the card station.
    const N: usize = 60;

    // 2026-11-19: セコム buys N cards (ladder: 10 or more, 11,550 each) and pays at once.
    let mut day = Day::new(root, "2026-11-19");
    for i in 1..=N {
        day.aosign(&format!("C-{i:03}"), "E1");
        let row = day.apps.last_mut().unwrap();
        row.insert("org_kana", s("セコム"));
        row.insert("name_kanji", s(&format!("社員 {i}")));
        row.insert("name_kana", s("しゃいん いち"));
        row.insert("name_romaji", s("SHAIN ICHI"));
    }
    day.company_docs("E1");
    day.write_xlsx(false);
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(day.dir.join("transfers/smbc.csv"), smbc(&[("2026/11/20", 11_550 * N as i64, "ｾｺﾑ(ｶ")])).unwrap();
    let first = run(root, &day.dir, d(2026, 11, 19));
    assert_eq!(first.issue.awaiting_card.len(), N);
    assert!(personalise(root, "2026-11-19").contains(&format!("{N} personalised")));
    let receipts = root.join("receipts.csv");
    let mut text = String::from("application_id,received_on\n");
    for i in 1..=N {
        text.push_str(&format!("C-{i:03},2026-11-26\n"));
    }
    std::fs::write(&receipts, text).unwrap();
    cli_ok(root, "2026-11-26", &["receipts", "import", receipts.to_str().unwrap()]);

    // Two months before the end (2027-12-18): the renewal guides and one kit for the company.
    let line = cli_ok(root, "2027-10-19", &["daily"]);
    assert!(line.contains(&format!("expiry notices {N}")) && line.contains("renewal kits 1"), "{line}");
    let kit = root.join("out/daily-2027-10-19/renewals/4011001040781.xlsx");
    assert!(kit.exists());

    // The company fills the kit in with openpyxl (ids, dates, documents) and sends it back;
    // one more row names a セコム card's serial for someone of another company.
    let back = Day::new(root, "2027-11-01");
    let script = r#"
import sys, datetime, openpyxl
kit, out = sys.argv[1], sys.argv[2]
wb = openpyxl.load_workbook(kit)
ws = wb["applications"]
head = [c.value for c in ws[1]]
col = {h: i for i, h in enumerate(head)}
rows = list(ws.iter_rows(min_row=2))
assert len(rows) == int(sys.argv[3]), len(rows)
for r in rows:
    assert r[col["更新元シリアル"]].value, "renewal_of is set"
    assert r[col["申込コード"]].value is None and r[col["到着日"]].value is None, "ids and dates are blank"
    assert r[col["氏名"]].value.startswith("社員"), r[col["氏名"]].value
    assert isinstance(r[col["生年月日"]].value, datetime.datetime)
docs = wb["documents"]
dcol = {c.value: i for i, c in enumerate(docs[1])}
def doc(app, env, kind):
    row = [None] * len(dcol)
    row[dcol["申込コード"]] = app
    row[dcol["封筒番号"]] = env
    row[dcol["書類種別"]] = kind
    row[dcol["発行日"]] = datetime.datetime(2027, 10, 20)
    row[dcol["ファイル"]] = f"{app or env}/{kind}.png"
    docs.append(row)
for i, r in enumerate(rows, 1):
    r[col["申込コード"]].value = f"R-{i:03}"
    r[col["封筒番号"]].value = "R-E1"
    r[col["申込書作成日"]].value = datetime.datetime(2027, 10, 25)
    r[col["到着日"]].value = datetime.datetime(2027, 11, 1)
    for kind in ["application_form", "seal_certificate", "residence_certificate"]:
        doc(f"R-{i:03}", None, kind)
for kind in ["corporate_registry", "corporate_seal_certificate"]:
    doc(None, "R-E1", kind)
other = [c.value for c in rows[0]]
other[col["申込コード"]] = "R-X"
other[col["封筒番号"]] = "R-E2"
other[col["氏名"]] = "他社 太郎"
other[col["ふりがな"]] = "たしゃ たろう"
other[col["氏名ローマ字"]] = "TASHA TARO"
other[col["法人番号"]] = "1010401089234"
other[col["組織名"]] = "株式会社テスト"
other[col["組織名フリガナ"]] = "テスト"
ws.append(other)
for kind in ["application_form", "seal_certificate", "residence_certificate"]:
    doc("R-X", None, kind)
for kind in ["corporate_registry", "corporate_seal_certificate"]:
    doc(None, "R-E2", kind)
wb.save(out)
print("ok")
"#;
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            script,
            kit.to_str().unwrap(),
            back.dir.join("applications.xlsx").to_str().unwrap(),
            &N.to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut owners: Vec<String> = (1..=N).map(|i| format!("R-{i:03}")).collect();
    owners.push("R-X".into());
    for o in &owners {
        for kind in ["application_form", "seal_certificate", "residence_certificate"] {
            write_scan(&back.dir.join(format!("scans/{o}/{kind}.png")), ScanKind::Png, &format!("{o}{kind}"));
        }
    }
    for env in ["R-E1", "R-E2"] {
        for kind in ["corporate_registry", "corporate_seal_certificate"] {
            write_scan(&back.dir.join(format!("scans/{env}/{kind}.png")), ScanKind::Png, &format!("{env}{kind}"));
        }
    }
    // One transfer for the N: the company holds N valid cards and buys N, so the
    // ladder's last step again.
    std::fs::create_dir_all(back.dir.join("transfers")).unwrap();
    std::fs::write(back.dir.join("transfers/smbc.csv"), smbc(&[("2027/11/01", 11_550 * N as i64, "ｾｺﾑ(ｶ")])).unwrap();

    let renewed = run(root, &back.dir, d(2027, 11, 1));
    let rows = screening(root, "2027-11-01");
    assert_eq!(rows.iter().filter(|r| r.1 == "accepted").count(), N, "{:?}", &rows[..3]);
    let (status, reasons, _) = row_of(&rows, "R-X");
    assert_eq!((status.as_str(), reasons.as_str()), ("deficient", "invalid_renewal:other_person"));
    assert_eq!(renewed.issue.awaiting_card.len(), N);
    assert!(personalise(root, "2027-11-01").contains(&format!("{N} personalised")));
    // A new card starts afresh: 2027-11-01 + 1 year + 30 days, never the old card's time.
    let fresh: i64 = sql(
        root,
        "SELECT COUNT(*) FROM issuances WHERE application_id LIKE 'R-%' AND state = 'issued'
           AND substr(not_after, 1, 10) = '2028-11-30'",
    );
    assert_eq!(fresh as usize, N);
    // One credit paid the N invoices.
    let mut pay = csv::Reader::from_path(root.join("out/2027-11-01/payments.csv")).unwrap();
    let credits: Vec<csv::StringRecord> = pay.records().map(Result::unwrap).collect();
    assert_eq!(credits.len(), 1);
    assert_eq!(&credits[0][4], "matched");
    assert_eq!(credits[0][5].split(' ').count(), N);
    let unpaid: i64 = sql(
        root,
        "SELECT COUNT(*) FROM fees WHERE application_id LIKE 'R-%' AND application_id <> 'R-X' AND received < due",
    );
    assert_eq!(unpaid, 0);
    // Every old card is marked renewed and stays valid; its PIN letters went out anew.
    let marked: i64 = sql(root, "SELECT COUNT(*) FROM issuances WHERE application_id LIKE 'C-%' AND renewed_by IS NOT NULL AND revoked_on IS NULL");
    assert_eq!(marked as usize, N);
    for i in 1..=N {
        let letter = root.join(format!("out/cards-2027-11-01/letters/pin/R-{i:03}.pdf"));
        assert!(letter.exists(), "{}", letter.display());
    }
    let log = std::fs::read_to_string(root.join("state/audit.log")).unwrap();
    assert_eq!(log.matches("\"event\":\"renewed\"").count(), N);
}

#[test]
fn a_renewed_certificate_gets_no_more_expiry_notices() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // G-ID 2y (+1 month): 2026-11-19 .. 2028-12-18; notices 45 and 30 days before.
    let mut day = Day::new(root, "2026-11-19");
    day.clean("G1", "E1").clean("G2", "E2");
    day.apps[1].insert("name_kanji", s("鈴木 次郎"));
    day.apps[1].insert("name_kana", s("すずき じろう"));
    day.apps[1].insert("name_romaji", s("SUZUKI JIRO"));
    day.write_csv(false, "utf8");
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(
        day.dir.join("transfers/smbc.csv"),
        smbc(&[("2026/11/19", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ"), ("2026/11/19", 19_250, "ｽｽﾞｷ ｼﾞﾛｳ")]),
    )
    .unwrap();
    let first = run(root, &day.dir, d(2026, 11, 19));
    let serial = |id: &str| first.issue.issued.iter().find(|i| i.application_id == id).unwrap().serial.clone();
    let receipts = root.join("receipts.csv");
    std::fs::write(&receipts, "application_id,received_on\nG1,2026-11-26\nG2,2026-11-26\n").unwrap();
    cli_ok(root, "2026-11-26", &["receipts", "import", receipts.to_str().unwrap()]);
    let line = cli_ok(root, "2028-11-03", &["daily"]);
    assert!(line.contains("expiry notices 2"), "{line}");

    // G1 renews as N1 (its serial typed in capitals); N2, 佐藤 花子, names 鈴木 次郎's serial.
    let mut back = Day::new(root, "2028-11-10");
    back.clean("N1", "E9");
    back.apps[0].insert("renewal_of", s(&serial("G1").to_uppercase()));
    back.clean("N2", "E8");
    back.apps[1].insert("renewal_of", s(&serial("G2")));
    back.apps[1].insert("name_kanji", s("佐藤 花子"));
    back.apps[1].insert("name_kana", s("さとう はなこ"));
    back.apps[1].insert("name_romaji", s("SATO HANAKO"));
    for r in back.apps.iter_mut() {
        r.insert("applied_on", V::Date(d(2028, 11, 5)));
        r.insert("received_on", V::Date(d(2028, 11, 10)));
    }
    for r in back.docs.iter_mut() {
        r.insert("issued_on", V::Date(d(2028, 11, 1)));
    }
    back.write_csv(false, "utf8");
    std::fs::create_dir_all(back.dir.join("transfers")).unwrap();
    std::fs::write(back.dir.join("transfers/smbc.csv"), smbc(&[("2028/11/10", 19_250, "ﾔﾏﾀﾞ ﾀﾛｳ")])).unwrap();
    run(root, &back.dir, d(2028, 11, 10));
    let rows = screening(root, "2028-11-10");
    assert_eq!(row_of(&rows, "N1").0, "issued", "{rows:?}");
    assert_eq!(row_of(&rows, "N2").1, "invalid_renewal:other_person");

    // 30 days before the end: G2 is told again, G1 (renewed) is not.
    let line = cli_ok(root, "2028-11-18", &["daily"]);
    assert!(line.contains("expiry notices 1 (G2)"), "{line}");
}
