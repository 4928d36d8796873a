//! Registered-data changes without reissue (contract section 6, changes.csv): contact
//! details and the proxy receiver change, certificate contents are refused with
//! revoke_and_reapply, a new proxy needs that person's seal certificate, the subscriber is
//! told by mail, and a rerun changes nothing.

mod common;
use common::*;

fn registered(root: &std::path::Path, id: &str) -> serde_json::Value {
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let data: String = conn.query_row("SELECT data FROM applications WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    serde_json::from_str(&data).unwrap()
}

fn audited(root: &std::path::Path, event: &str) -> usize {
    std::fs::read_to_string(root.join("state/audit.log")).unwrap().matches(&format!("\"event\":\"{event}\"")).count()
}

#[test]
fn contact_details_change_certificate_contents_do_not_and_a_rerun_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut day1 = Day::new(root, "2026-11-19");
    day1.aosign("A1", "E1").company_docs("E1");
    day1.write_csv(false, "utf8");
    run(root, &day1.dir, d(2026, 11, 19));
    personalise(root, "2026-11-19");
    let a1_before = registered(root, "A1");

    // Day 2: the new proxy's seal certificate for A1 is not there; changes in Shift_JIS
    // with Japanese headers and field names, CRLF.
    let day2 = Day::new(root, "2026-12-01");
    day2.write_csv(false, "utf8");
    std::fs::write(
        day2.dir.join("changes.csv"),
        encode(
            "申込コード,シリアル番号,変更項目,変更後の値,申請日\r\n\
             A1,,メールアドレス,ｎｅｗ@example.jp,2026-11-30\r\n\
             A1,,phone,03-1111-2222,2026-11-30\r\n\
             A1,,住所,東京都港区芝公園4-2-8,2026-11-30\r\n\
             A1,,代理受取人氏名,代理 花子,2026-11-30\r\n\
             NO-SUCH,,email,x@example.jp,2026-11-30\r\n\
             A1,,email,new@example.jp,2026-11-30\r\n\
             A1,,payer_name,ﾀﾞﾐｰ,2026-11-30\r\n",
            "sjis",
        ),
    )
    .unwrap();
    run(root, &day2.dir, d(2026, 12, 1));
    let mut r = csv::Reader::from_path(root.join("out/2026-12-01/requests.csv")).unwrap();
    let rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    let status: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(status, ["changed", "changed", "refused", "refused", "unknown", "unchanged", "refused"], "{rows:?}");
    assert!(rows[2][4].starts_with("revoke_and_reapply"), "{rows:?}");
    assert!(rows[3][4].starts_with("missing_document:proxy_seal_certificate"), "{rows:?}");
    assert!(rows[6][4].contains("unknown field"), "{rows:?}");
    assert!(rows[0][0].ends_with("changes.csv row 2"), "{rows:?}");

    let a1 = registered(root, "A1");
    assert_eq!(a1["email"], "new@example.jp");
    assert_eq!(a1["phone"], "03-1111-2222");
    assert_eq!(a1["address"], a1_before["address"], "certificate contents never change");
    assert_eq!(audited(root, "changed"), 2);

    // The subscriber is told at the new address, and the old address too.
    let mail = mail_text(&root.join("out/2026-12-01/mail/A1-change.eml"));
    assert!(mail.contains("登録内容変更完了のご連絡") && mail.contains("new@example.jp"), "{mail}");
    assert!(mail.contains("メールアドレス: new@example.jp") && mail.contains("電話番号: 03-1111-2222"), "{mail}");
    let old = mail_text(&root.join("out/2026-12-01/mail/A1-change-old-address.eml"));
    assert!(old.contains("taro@example.jp"), "{old}");

    // A rerun: the same answers and mails, nothing applied twice.
    let requests = std::fs::read(root.join("out/2026-12-01/requests.csv")).unwrap();
    let eml = std::fs::read(root.join("out/2026-12-01/mail/A1-change.eml")).unwrap();
    run(root, &day2.dir, d(2026, 12, 1));
    assert_eq!(std::fs::read(root.join("out/2026-12-01/requests.csv")).unwrap(), requests);
    assert_eq!(std::fs::read(root.join("out/2026-12-01/mail/A1-change.eml")).unwrap(), eml);
    assert_eq!(audited(root, "changed"), 2);

    // The seal certificate arrives with the request again: the proxy changes.
    let mut day3 = Day::new(root, "2026-12-02");
    day3.doc(("A1", ""), "proxy_seal_certificate", d(2026, 11, 25));
    day3.write_csv(false, "utf8");
    std::fs::write(
        day3.dir.join("changes.csv"),
        "serial,field,new_value,requested_on\n".to_string()
            + &format!("{},proxy_name,代理 花子,2026-12-01\n", a1_serial(root)),
    )
    .unwrap();
    run(root, &day3.dir, d(2026, 12, 2));
    assert_eq!(registered(root, "A1")["proxy_name"], "代理 花子");
    let mail = mail_text(&root.join("out/2026-12-02/mail/A1-change.eml"));
    assert!(mail.contains("代理受取人氏名: 代理 花子"), "{mail}");
    let (code, out, _) = cli(&["--state", root.join("state").to_str().unwrap(), "audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    // Every row of changes.csv is accounted for.
    let accounts = std::fs::read_to_string(root.join("out/2026-12-01/rows.csv")).unwrap();
    assert_eq!(accounts.matches("changes.csv").count(), 8, "{accounts}");
}

fn a1_serial(root: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    conn.query_row("SELECT serial FROM issuances WHERE application_id = 'A1' AND state = 'issued'", [], |r| r.get(0))
        .unwrap()
}
