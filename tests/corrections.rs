//! Corrections before issue (contract section 2, `corrects`): a row marked 訂正 replaces
//! the stored contents of an application not yet issued and is screened again; an issued
//! one is refused; reruns of either day change nothing.

mod common;
use common::*;

fn stored(root: &std::path::Path, id: &str) -> (String, String) {
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    conn.query_row("SELECT status, data FROM applications WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
}

#[test]
fn a_correction_replaces_an_open_application_and_is_refused_once_issued() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Day 1: A1's romaji is mistyped (deficient); A2 is an AOSign card, made the same day.
    let mut day1 = Day::new(root, "2026-11-19");
    day1.clean("A1", "E1");
    day1.apps[0].insert("name_romaji", s("YAMADA TAROU"));
    day1.aosign("A2", "E2").company_docs("E2");
    day1.write_csv(false, "utf8");
    run(root, &day1.dir, d(2026, 11, 19));
    let rows = screening(root, "2026-11-19");
    assert_eq!(row_of(&rows, "A1").0, "deficient");
    assert!(row_of(&rows, "A1").1.contains("romaji_mismatch"));
    assert_eq!(row_of(&rows, "A2").0, "accepted", "its card is made at the card station");
    personalise(root, "2026-11-19");
    let a2_before = stored(root, "A2");

    // Day 2 (Japanese headers, xlsx): A1 corrected, A2 "corrected" after issue, A3 sent
    // again with other contents and no 訂正 mark.
    let mut day2 = Day::new(root, "2026-11-20");
    let mut a1 = app("A1", "E1");
    a1.insert("corrects", s("はい"));
    let mut a2 = day1.apps[1].clone();
    a2.insert("address", s("東京都港区芝公園4-2-8"));
    a2.insert("corrects", s("有"));
    day2.apps.push(a1);
    day2.apps.push(a2);
    day2.write_xlsx(true);
    run(root, &day2.dir, d(2026, 11, 20));
    let rows = screening(root, "2026-11-20");
    assert_eq!(row_of(&rows, "A1").0, "accepted", "{rows:?}");
    let (status, reasons, messages) = row_of(&rows, "A2");
    assert_eq!(status, "rejected");
    assert_eq!(reasons, "duplicate_application:issued");
    assert!(messages.contains("発行済み"), "{messages}");
    let (a1_status, a1_data) = stored(root, "A1");
    assert_eq!(a1_status, "accepted");
    assert!(a1_data.contains("YAMADA TARO\""), "{a1_data}");
    assert_eq!(stored(root, "A2"), a2_before, "an issued application is never changed");
    // The correction is audited with both contents' hashes.
    let log = std::fs::read_to_string(root.join("state/audit.log")).unwrap();
    assert_eq!(log.matches("\"event\":\"corrected\"").count(), 1, "{log}");

    // Reruns: day 2 again, then day 1 again (its row is the superseded one). Nothing changes.
    let screening2 = std::fs::read(root.join("out/2026-11-20/screening.csv")).unwrap();
    run(root, &day2.dir, d(2026, 11, 20));
    assert_eq!(std::fs::read(root.join("out/2026-11-20/screening.csv")).unwrap(), screening2);
    run(root, &day1.dir, d(2026, 11, 21));
    let rows = screening(root, "2026-11-19");
    assert_eq!(row_of(&rows, "A1").0, "accepted", "the corrected contents stand: {rows:?}");
    assert_eq!(stored(root, "A1").1, a1_data);
    let log = std::fs::read_to_string(root.join("state/audit.log")).unwrap();
    assert_eq!(log.matches("\"event\":\"corrected\"").count(), 1);
    // Day 3 corrects A1 back to its first contents (a correction too); running day 2 again
    // then finds its correction made before and changes nothing.
    let mut day3 = Day::new(root, "2026-11-22");
    let mut back = day1.apps[0].clone();
    back.insert("corrects", s("yes"));
    day3.apps.push(back);
    day3.write_csv(false, "utf8");
    run(root, &day3.dir, d(2026, 11, 22));
    assert_eq!(row_of(&screening(root, "2026-11-22"), "A1").0, "deficient");
    let reverted = stored(root, "A1");
    run(root, &day2.dir, d(2026, 11, 22));
    assert_eq!(stored(root, "A1"), reverted, "a correcting batch run again corrects nothing again");
    let log = std::fs::read_to_string(root.join("state/audit.log")).unwrap();
    assert_eq!(log.matches("\"event\":\"corrected\"").count(), 2);
    let (code, out, _) = cli(&["--state", root.join("state").to_str().unwrap(), "audit", "verify"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn without_the_mark_other_contents_are_a_duplicate_and_a_bad_mark_is_an_invalid_field() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut day1 = Day::new(root, "2026-11-19");
    day1.clean("A1", "E1");
    day1.write_csv(false, "utf8");
    run(root, &day1.dir, d(2026, 11, 19));
    let before = stored(root, "A1");

    let mut day2 = Day::new(root, "2026-11-20");
    let mut a1 = app("A1", "E1");
    a1.insert("email", s("other@example.jp"));
    let mut b1 = app("B1", "E9");
    b1.insert("corrects", s("たぶん"));
    day2.apps.push(a1);
    day2.apps.push(b1);
    day2.write_csv(true, "sjis");
    run(root, &day2.dir, d(2026, 11, 20));
    let rows = screening(root, "2026-11-20");
    assert_eq!(row_of(&rows, "A1").1, "duplicate_application");
    assert_eq!(stored(root, "A1"), before);
    assert_eq!(row_of(&rows, "B1").1, "invalid_field:corrects");
}
