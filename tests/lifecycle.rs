//! The cron job: expiry notices go out once per certificate, by letter and email.

mod common;
use common::*;

fn aosign_day(root: &std::path::Path) -> Day {
    let mut day = Day::new(root, "2026-11-19");
    day.aosign("A1", "E1").company_docs("E1");
    day.write_csv(false, "utf8");
    day
}

fn daily(root: &std::path::Path, as_of: &str) -> String {
    let (code, out, err) = cli(&[
        "--state",
        root.join("state").to_str().unwrap(),
        "--out",
        root.join("out").to_str().unwrap(),
        "--as-of",
        as_of,
        "daily",
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn an_expiry_notice_goes_once_by_letter_and_email() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let day = aosign_day(tmp.path());
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert_eq!(out.issue.awaiting_card, ["A1"]);
    assert!(personalise(tmp.path(), "2026-11-19").contains("1 personalised"));
    // The receipt came back, so the card is not revoked 30 days after issue.
    let receipts = tmp.path().join("receipts.csv");
    std::fs::write(&receipts, "application_id,received_on\nA1,2026-11-25\n").unwrap();
    let (code, _, err) = cli(&[
        "--state",
        tmp.path().join("state").to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
        "--as-of",
        "2026-11-26",
        "receipts",
        "import",
        receipts.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // 1y+30d from 2026-11-19 ends 2027-12-18; AOSign's renewal guide goes ~2 months
    // (60 days) before: from 2027-10-19.
    assert!(daily(tmp.path(), "2027-10-18").contains("expiry notices 0,"));
    let first = daily(tmp.path(), "2027-10-25");
    assert!(first.contains("expiry notices 1 (A1)"), "{first}");
    let dir = tmp.path().join("out/daily-2027-10-25");
    let letter = std::process::Command::new("pdftotext")
        .args(["-layout", dir.join("letters/print-expiry-ordinary-daily.pdf").to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text: String = String::from_utf8_lossy(&letter.stdout).split_whitespace().collect();
    assert!(
        text.contains("有効期限のお知らせ") && text.contains("2027年12月18日23:59:59") && text.contains("A1"),
        "{text}"
    );
    // The manifest says where the letter is printed (daily's notices have no file each).
    let manifest = std::fs::read_to_string(dir.join("letters/manifest-daily.csv")).unwrap();
    assert!(
        manifest.contains("A1-expiry,expiry,普通郵便")
            && manifest.contains("letters/print-expiry-ordinary-daily.pdf#page=1"),
        "{manifest}"
    );
    let eml = std::fs::read(dir.join("mail/A1-expiry.eml")).unwrap();
    let script = "import sys,email,email.policy\nm=email.message_from_bytes(open(sys.argv[1],'rb').read(),policy=email.policy.default)\nb=m.get_content()\nassert '2027年12月18日 23:59:59' in b and 'A1' in b, b\nprint(m['Subject'])";
    std::fs::write(tmp.path().join("a.eml"), &eml).unwrap();
    let py = std::process::Command::new("python3")
        .args(["-c", script, tmp.path().join("a.eml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    // A rerun of the same day writes the same notice again and records nothing new; later
    // days send nothing.
    let again = daily(tmp.path(), "2027-10-25");
    assert!(again.contains("expiry notices 1 (A1)"), "{again}");
    assert!(daily(tmp.path(), "2027-11-30").contains("expiry notices 0,"));
    assert!(daily(tmp.path(), "2027-12-19").contains("expiry notices 0,"), "expired certificates get none");
}

#[test]
fn a_certificate_that_expired_while_cron_was_away_is_not_revoked_or_called() {
    let tmp = tempfile::tempdir().unwrap();
    let day = aosign_day(tmp.path());
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    // No receipt ever came, and daily first runs long after the card's end (2027-12-18).
    let line = daily(tmp.path(), "2029-01-10");
    assert!(line.contains("revoked 0") && line.contains("call list 0"), "{line}");
    let refunds = std::fs::read_to_string(tmp.path().join("out/daily-2029-01-10/refunds.csv")).unwrap();
    assert_eq!(refunds.lines().count(), 1, "{refunds}");
}
