//! Retention (contract section 6): `purge` deletes archived scans 10 years after the
//! certificate's notAfter, or after an application closed without one; a scan that also
//! serves an open application stays; the hashes and the deletion stay in the audit log;
//! `--dry-run` changes nothing and a second purge adds nothing.

mod common;
use common::*;
use std::path::Path;

/// The archived files of an application's documents: (doc_type, sha256, file exists).
fn archived(root: &Path, owner: &str) -> Vec<(String, String, bool)> {
    let conn = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let mut stmt = conn
        .prepare("SELECT doc_type, archive_sha256 FROM documents WHERE owner_id = ?1 AND archive_sha256 IS NOT NULL ORDER BY doc_type")
        .unwrap();
    let rows: Vec<(String, String)> =
        stmt.query_map([owner], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    rows.into_iter()
        .map(|(t, sha)| {
            let dir = root.join("state/archive").join(&sha[..2]);
            let exists = std::fs::read_dir(&dir)
                .map(|mut e| e.any(|f| f.unwrap().file_name().to_string_lossy().starts_with(&sha)))
                .unwrap_or(false);
            (t, sha, exists)
        })
        .collect()
}

fn purge_count(root: &Path) -> usize {
    std::fs::read_to_string(root.join("state/audit.log")).unwrap().matches("\"event\":\"purge\"").count()
}

#[test]
fn scans_go_ten_years_after_their_record_ends_and_not_before() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut day = Day::new(root, "2026-11-19");
    // G1 issued (paid); G2 deficient, later refund_due; G4 accepted and never paid (open);
    // A1 an AOSign card with its company's documents.
    day.clean("G1", "E1").clean("G2", "E2").clean("G4", "E4").aosign("A1", "E3").company_docs("E3");
    day.docs.retain(|r| {
        !(matches!(r.get("application_id"), Some(V::S(x)) if x == "G2")
            && matches!(r.get("doc_type"), Some(V::S(t)) if t == "residence_certificate"))
    });
    // G4's seal certificate scan is byte for byte G2's: one archived file serves both.
    std::fs::copy(day.dir.join("scans/G2/seal_certificate.png"), day.dir.join("scans/G4/seal_certificate.png"))
        .unwrap();
    day.write_csv(false, "utf8");
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(
        day.dir.join("transfers/smbc.csv"),
        encode(
            "年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n2026/11/19,,19250,振込 ﾔﾏﾀﾞ ﾀﾛｳ,19250,\r\n",
            "sjis",
        ),
    )
    .unwrap();
    // Only G1 pays (G2 and G4 share G1's name in the builder: give them others).
    let out = {
        let text = std::fs::read_to_string(day.dir.join("applications.csv")).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        for l in lines.iter_mut().skip(1) {
            if l.starts_with("G2,") {
                *l = l.replace("やまだ たろう", "さとう はなこ").replace("YAMADA TARO", "SATO HANAKO");
            }
            if l.starts_with("G4,") {
                *l = l.replace("やまだ たろう", "すずき じろう").replace("YAMADA TARO", "SUZUKI JIRO");
            }
        }
        std::fs::write(day.dir.join("applications.csv"), lines.join("\n") + "\n").unwrap();
        run(root, &day.dir, d(2026, 11, 19))
    };
    let issued: Vec<&str> = out.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["G1"]);
    assert!(personalise(root, "2026-11-19").contains("1 personalised"), "A1's card");
    let empty = Day::new(root, "2027-02-20");
    empty.write_csv(false, "utf8");
    run(root, &empty.dir, d(2027, 2, 20));
    let status = screening(root, "2027-02-20");
    assert_eq!(row_of(&status, "G2").0, "refund_due");

    // G2 closed 2027-02-20: kept through 2037-02-20.
    cli_ok(root, "2037-02-20", &["purge"]);
    assert!(archived(root, "G2").iter().all(|(_, _, exists)| *exists));
    let dry = cli_ok(root, "2037-02-21", &["purge", "--dry-run"]);
    assert!(dry.contains("2 archived scans past retention would be deleted"), "{dry}");
    assert!(archived(root, "G2").iter().all(|(_, _, exists)| *exists), "a dry run deletes nothing");
    assert_eq!(purge_count(root), 0);

    let done = cli_ok(root, "2037-02-21", &["purge"]);
    assert!(done.contains("2 archived scans past retention purged"), "{done}");
    // G2's application form went; its seal certificate serves open G4 and stays.
    let g2 = archived(root, "G2");
    assert!(g2.iter().any(|(t, _, e)| t == "application_form" && !e));
    assert!(g2.iter().any(|(t, _, e)| t == "transfer_slip" && !e));
    assert!(g2.iter().any(|(t, _, e)| t == "seal_certificate" && *e));
    // The hash stays in the ledger and the deletion in the audit log.
    let log = std::fs::read_to_string(root.join("state/audit.log")).unwrap();
    let form = g2.iter().find(|(t, _, _)| t == "application_form").unwrap();
    assert!(log.contains(&form.1), "the purged scan's hash is in the audit log");
    let purged = purge_count(root);
    assert!(purged >= 2, "{log}");
    assert!(archived(root, "G1").iter().all(|(_, _, e)| *e), "G1's certificate is valid until 2028-11-18");

    // Again the same day: nothing new, and the day's list stays whole.
    let listing = root.join("out/purge-2037-02-21/purged.csv");
    let list = std::fs::read_to_string(&listing).unwrap();
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.lines().skip(1).all(|l| l.contains(",G2,1,2037-02-20,2037-02-21")), "{list}");
    cli_ok(root, "2037-02-21", &["purge"]);
    assert_eq!(purge_count(root), purged);
    assert_eq!(std::fs::read_to_string(&listing).unwrap(), list);

    // 2038-11-19: ten years after A1's notAfter (1y+30d: 2027-12-18), with its company's
    // documents; G1 (2y and a month: 2028-12-18) waits a month more; G4 is still open.
    cli_ok(root, "2038-11-19", &["purge"]);
    assert!(archived(root, "A1").iter().all(|(_, _, e)| !e));
    assert!(archived(root, "E3").iter().all(|(_, _, e)| !e), "company documents go with the envelope's last card");
    assert!(archived(root, "G1").iter().all(|(_, _, e)| *e));
    cli_ok(root, "2038-12-19", &["purge"]);
    assert!(archived(root, "G1").iter().all(|(_, _, e)| !e));
    assert!(archived(root, "G4").iter().all(|(_, _, e)| *e));
    assert!(archived(root, "G2").iter().any(|(t, _, e)| t == "seal_certificate" && *e), "shared with open G4");
    let (code, out, _) = cli(&["--state", root.join("state").to_str().unwrap(), "audit", "verify"]);
    assert_eq!(code, 0, "{out}");
}
