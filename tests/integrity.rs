//! The defects of issue 14, each as staff would meet it: one application's trouble stays
//! that application's; a stranger's row changes nothing stored; a kill leaves nothing
//! behind that the rerun does not put right; the state folder is private; links, control
//! characters and oversized sheets are answered, never followed or fatal.

mod common;

use certbatch::ledger::Ledger;
use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn set(day: &mut Day, id: &str, key: &'static str, value: &str) {
    let row = day.apps.iter_mut().find(|r| matches!(r.get("application_id"), Some(V::S(a)) if a == id)).unwrap();
    row.insert(key, s(value));
}

fn snapshot(out: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(out).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn open_p12(p12: &Path, pin: &str) -> bool {
    Command::new("openssl")
        .args(["pkcs12", "-info", "-noout", "-in", p12.to_str().unwrap(), "-passin", "env:PIN"])
        .env("PIN", pin)
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn one_application_that_cannot_be_lettered_never_stops_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    for (i, id) in ["A1", "A2", "A3", "A4", "A5", "A6"].into_iter().enumerate() {
        day.paid(id, 201 + i);
    }
    // A3: a long address wraps inside the envelope window and is issued.
    set(
        &mut day,
        "A3",
        "address",
        "東京都千代田区丸の内一丁目二番三号　サンプル丸の内ビルディング　北館二十三階二三〇一号室",
    );
    // A4: an address no window can take; A5: a name the letter font lacks.
    set(&mut day, "A4", "address", &"東京都千代田区丸の内一丁目".repeat(20));
    set(&mut day, "A5", "name_kanji", "𠮷田 一郎");
    // D1: a deficient application whose notice lists many reasons; D2: one whose name
    // the font lacks.
    day.apps.push(app("D1", "E1"));
    day.apps.push(app("D2", "E2"));
    set(&mut day, "D2", "name_kanji", "𠮷野 花子");
    // (Thirty stale documents: the applicant's to cure. Missing scans would be staff work,
    // which no notice lists.)
    for i in 0..30 {
        let file = format!("D1/stale-{i}.png");
        write_scan(&day.dir.join("scans").join(&file), ScanKind::Png, &file);
        let mut r = Row::new();
        r.insert("application_id", s("D1"));
        r.insert("doc_type", s(["seal_certificate", "residence_certificate", "transfer_slip"][i % 3]));
        r.insert("issued_on", V::Date(d(2026, 1, 1 + i as u32 % 28)));
        r.insert("file", s(&file));
        day.docs.push(r);
    }
    day.write_xlsx(true);
    // A6: its PIN letter's path is taken by a folder.
    std::fs::create_dir_all(tmp.path().join("out/2026-11-19/letters/pin/A6.pdf")).unwrap();

    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let issued: Vec<&str> = out.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["A1", "A2", "A3"], "the clean ones are issued");
    for i in &out.issue.issued {
        assert!(open_p12(i.p12_file.as_ref().unwrap(), &pin_of(i)), "{}: its PIN opens its PKCS#12", i.application_id);
    }
    let held: BTreeMap<&str, &str> =
        out.issue.holds.iter().map(|h| (h.application_id.as_str(), h.code.as_str())).collect();
    assert_eq!(
        held,
        BTreeMap::from([
            // G-ID certifies the address: one no certificate can hold is found first.
            ("A4", "certificate_unbuildable"),
            ("A5", "letter_unprintable:pin"),
            ("A6", "letter_unwritable:pin")
        ])
    );
    let queue = std::fs::read_to_string(tmp.path().join("out/2026-11-19/staff-queue.csv")).unwrap();
    for id in ["A4", "A5", "A6", "D2"] {
        assert!(queue.lines().any(|l| l.starts_with(&format!("{id},"))), "{id} on the staff queue: {queue}");
    }
    assert!(queue.contains("U+20BB7"), "the character is named: {queue}");
    let rows = screening(tmp.path(), "2026-11-19");
    for id in ["A4", "A5", "A6"] {
        let (status, reasons, _) = row_of(&rows, id);
        assert_eq!(status, "accepted", "{id} waits");
        assert!(reasons.contains(if id == "A4" { "certificate_unbuildable" } else { "letter_" }), "{id}: {reasons}");
    }
    // The long notice goes on to a second page and is printed; the one the font cannot
    // print is queued with 〓 for staff to write in.
    let manifest = std::fs::read_to_string(tmp.path().join("out/2026-11-19/letters/manifest-notices.csv")).unwrap();
    let d1 = manifest.lines().find(|l| l.starts_with("D1-deficiency")).unwrap();
    assert!(d1.ends_with(",print") && !d1.contains(",1,letters"), "D1's notice takes more than one page: {d1}");
    assert!(manifest.lines().any(|l| l.starts_with("D2-deficiency") && l.contains("staff queue")), "{manifest}");
    assert!(tmp.path().join("out/2026-11-19/letters/queue/deficiency/D2.pdf").is_file());
    // No serial was spent on the held ones.
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.issuance_counts().unwrap(), BTreeMap::from([("issued".to_string(), 3)]));
    drop(ledger);

    // Two more runs change nothing: no file, no status, no serial.
    let files = snapshot(&tmp.path().join("out"));
    for _ in 0..2 {
        let again = run(tmp.path(), &day.dir, d(2026, 11, 19));
        assert!(again.issue.issued.is_empty());
        assert_eq!(again.issue.holds.len(), 3);
    }
    assert_eq!(snapshot(&tmp.path().join("out")), files, "two more runs change no file");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.issuance_counts().unwrap(), BTreeMap::from([("issued".to_string(), 3)]));
    drop(ledger);

    // Staff free the folder: the next run issues A6, and only A6.
    std::fs::remove_dir(tmp.path().join("out/2026-11-19/letters/pin/A6.pdf")).unwrap();
    let freed = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert_eq!(freed.issue.issued.iter().map(|i| i.application_id.as_str()).collect::<Vec<_>>(), ["A6"]);
}

#[test]
fn a_strangers_row_under_a_stored_id_changes_nothing_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day1 = Day::new(tmp.path(), "2026-11-19");
    day1.apps.push(app("X1", "E1"));
    day1.doc(("X1", ""), "application_form", d(2026, 11, 10));
    day1.write_csv(false, "utf8");
    run(tmp.path(), &day1.dir, d(2026, 11, 19));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let ids = std::collections::BTreeSet::from(["X1".to_string()]);
    let before = ledger.applications(&ids).unwrap()["X1"].clone();
    let docs_before = ledger.table_counts().unwrap()["documents"];
    drop(ledger);

    // Another person's row under the same id, with that person's documents.
    let mut day2 = Day::new(tmp.path(), "2026-11-20");
    day2.clean("X1", "E7");
    set(&mut day2, "X1", "name_kanji", "鈴木 花子");
    set(&mut day2, "X1", "name_kana", "すずき はなこ");
    set(&mut day2, "X1", "name_romaji", "SUZUKI HANAKO");
    day2.write_csv(false, "utf8");
    let out = run(tmp.path(), &day2.dir, d(2026, 11, 20));
    // Day 2's row that repeats a stored id with other contents stays a rejected row.
    let rows = screening(tmp.path(), "2026-11-20");
    assert_eq!(rows.len(), 1, "only the stranger's row is decided: the stored one is not screened again: {rows:?}");
    assert_eq!(row_of(&rows, "X1").1, "duplicate_application");
    assert!(out.decisions.iter().all(|d| d.change != certbatch::screen::Change::Rescreened));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let after = ledger.applications(&ids).unwrap()["X1"].clone();
    assert_eq!(after.application, before.application, "the stored application is exactly as it was");
    assert_eq!((after.status, after.reasons.clone()), (before.status, before.reasons.clone()));
    assert_eq!(ledger.table_counts().unwrap()["documents"], docs_before, "the stranger's documents are not X1's");
    assert!(!tmp.path().join("out/2026-11-20/mail/X1-review.eml").exists(), "X1's applicant is not mailed again");
    let accounts = std::fs::read_to_string(tmp.path().join("out/2026-11-20/rows.csv")).unwrap();
    assert_eq!(accounts.matches("kept_with_rejected_row").count(), 4, "{accounts}");
}

#[test]
fn a_row_that_is_not_an_application_leaves_its_id_free() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day1 = Day::new(tmp.path(), "2026-11-19");
    day1.clean("R1", "E1");
    set(&mut day1, "R1", "name_kana", "=PHONETIC(B2)");
    day1.write_csv(false, "utf8");
    run(tmp.path(), &day1.dir, d(2026, 11, 19));
    assert_eq!(row_of(&screening(tmp.path(), "2026-11-19"), "R1").0, "rejected");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert!(ledger.statuses().unwrap().is_empty(), "a rejected row is not stored as an application");
    drop(ledger);
    // The corrected row comes the next day under the same id: it is a new application.
    let mut day2 = Day::new(tmp.path(), "2026-11-20");
    day2.clean("R1", "E1");
    day2.write_csv(false, "utf8");
    run(tmp.path(), &day2.dir, d(2026, 11, 20));
    assert_eq!(row_of(&screening(tmp.path(), "2026-11-20"), "R1").0, "accepted");
}

#[test]
fn a_line_break_typed_in_a_cell_is_a_space_and_a_control_character_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    day.paid("C1", 211).paid("C2", 212).paid("C3", 213);
    set(&mut day, "C1", "name_kanji", "山田\n太郎");
    set(&mut day, "C2", "address", "東京都千代田区\r\n千代田1-1");
    set(&mut day, "C3", "name_kanji", "山田\u{7}太郎");
    day.write_xlsx(true);
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let issued: Vec<&str> = out.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["C1", "C2"], "line breaks are layout, not content");
    let (status, reasons, messages) = row_of(&screening(tmp.path(), "2026-11-19"), "C3");
    assert_eq!((status.as_str(), reasons.as_str()), ("rejected", "invalid_field:name_kanji"));
    assert!(messages.contains("U+0007"), "{messages}");
    // A later day runs as usual.
    let mut next = Day::new(tmp.path(), "2026-11-20");
    next.paid("C4", 214);
    next.write_xlsx(true);
    assert_eq!(run(tmp.path(), &next.dir, d(2026, 11, 20)).issue.issued.len(), 1);
}

#[test]
fn a_scans_folder_that_is_a_link_is_never_walked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    day.clean("L1", "E1");
    day.write_csv(false, "utf8");
    std::fs::remove_dir_all(day.dir.join("scans")).unwrap();
    std::os::unix::fs::symlink("/", day.dir.join("scans")).unwrap();
    let t = std::time::Instant::now();
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert!(t.elapsed().as_secs() < 30, "the machine was not walked");
    assert!(
        out.summary.notes.iter().any(|n| n.contains("scans/") && n.contains("symbolic link")),
        "{:?}",
        out.summary.notes
    );
    let (status, reasons, _) = row_of(&screening(tmp.path(), "2026-11-19"), "L1");
    assert_eq!(status, "deficient", "{reasons}");
    assert!(!tmp.path().join("state/archive").exists(), "nothing outside the batch is archived");
    let report = std::fs::metadata(tmp.path().join("out/2026-11-19/report.txt")).unwrap().len();
    assert!(report < 20_000, "report of {report} bytes");
}

#[test]
fn the_state_folder_and_the_ledger_are_the_owners_alone_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    day.paid("P1", 221);
    day.write_csv(false, "utf8");
    let state = tmp.path().join("state");
    let out = tmp.path().join("out");
    let cmd = format!(
        "umask 000 && exec {} --state {} --out {} --pipelines {} --as-of 2026-11-19 run {}",
        env!("CARGO_BIN_EXE_certbatch"),
        state.display(),
        out.display(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"),
        day.dir.display()
    );
    let o = Command::new("sh").args(["-c", &cmd]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    for f in ["ledger.sqlite3", "audit.log", "certbatch.lock"] {
        assert_eq!(mode(&state.join(f)), 0o600, "{f}");
    }
    for f in ["ledger.sqlite3-wal", "ledger.sqlite3-shm"] {
        if state.join(f).exists() {
            assert_eq!(mode(&state.join(f)), 0o600, "{f}");
        }
    }
    for e in walkdir::WalkDir::new(&out).into_iter().map(Result::unwrap) {
        let m = mode(e.path());
        assert_eq!(m & 0o002, 0, "{} is world-writable ({m:o})", e.path().display());
    }
    assert_eq!(mode(&out.join("2026-11-19/letters/pin/P1.pdf")), 0o600);
    // `check` reads the ledger and leaves the state folder exactly as it was.
    let before: Vec<String> =
        std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    let (code, _, err) =
        cli(&["--state", state.to_str().unwrap(), "--as-of", "2026-11-19", "check", day.dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let after: Vec<String> =
        std::fs::read_dir(&state).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(after, before, "check adds no file (no WAL) to the state folder");
}

fn run_at(cwd: &Path, out: &str, state: &Path, batch: &Path, fail_at: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certbatch"));
    cmd.current_dir(cwd).args([
        "--state",
        state.to_str().unwrap(),
        "--out",
        out,
        "--pipelines",
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"),
        "--as-of",
        "2026-11-19",
        "run",
        batch.to_str().unwrap(),
    ]);
    if let Some(p) = fail_at {
        cmd.env("CERTBATCH_FAIL_AT", p);
    }
    cmd.output().unwrap()
}

/// Files under `dir` whose name starts with `.tmp-`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[test]
fn a_rerun_after_a_kill_from_another_folder_finishes_the_day_and_leaves_no_trace() {
    for point in ["issue-after-files", "issue-after-letters", "issue-after-commit"] {
        let tmp = tempfile::tempdir().unwrap();
        let mut day = Day::new(tmp.path(), "2026-11-19");
        day.paid("K1", 231).paid("K2", 232);
        day.write_csv(false, "utf8");
        let state = tmp.path().join("state");
        let a = tmp.path().join("a");
        let b = tmp.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        // Killed in folder a with a relative --out; a stray temp file as a torn write leaves.
        let killed = run_at(&a, "out/big", &state, &day.dir, Some(point));
        assert!(!killed.status.success(), "{point}");
        let out = a.join("out/big/2026-11-19");
        std::fs::write(out.join("certs/.tmp-torn"), "PIN").unwrap();
        // Rerun from folder b, naming the same output folder another way, and a decoy
        // folder b/out/big/2026-11-19 that recovery must not touch.
        std::fs::create_dir_all(b.join("out/big/2026-11-19/certs/K1")).unwrap();
        std::fs::write(b.join("out/big/2026-11-19/certs/K1/cert.pem"), "not ours").unwrap();
        let again = run_at(&b, "../a/out/big", &state, &day.dir, None);
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));
        assert!(b.join("out/big/2026-11-19/certs/K1/cert.pem").exists(), "{point}: nothing outside --out is touched");
        assert!(temp_files(tmp.path()).is_empty(), "{point}: {:?}", temp_files(tmp.path()));
        // Exactly the issued certificates' PIN letters and one print file of PIN letters.
        let ledger = Ledger::open_read_only(&state).unwrap().unwrap();
        let rows = ledger.issued_in_batch("2026-11-19").unwrap();
        assert_eq!(rows.len(), 2, "{point}");
        drop(ledger);
        let pins: Vec<_> = std::fs::read_dir(out.join("letters/pin")).unwrap().collect();
        assert_eq!(pins.len(), 2, "{point}");
        let prints: Vec<String> = std::fs::read_dir(out.join("letters"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("print-pin") || (n.starts_with("manifest-run")))
            .collect();
        assert_eq!(prints.len(), 2, "{point}: one print file and one manifest, none of the killed run's: {prints:?}");
        for r in &rows {
            let p12 = out.join(r.p12_file.as_str());
            let pin = secret_in_letter(&out.join(format!("letters/pin/{}.pdf", r.application_id)));
            assert!(open_p12(&p12, &pin), "{point}: the PIN in the letter opens {}", r.application_id);
        }
        // What the killed run committed to is finished: the audit log holds the issuances.
        let audit = std::fs::read_to_string(state.join("audit.log")).unwrap();
        assert_eq!(audit.matches("\"event\":\"issued\"").count(), 2, "{point}");
    }
}

#[test]
fn a_sole_proprietor_may_send_any_business_proof_under_the_contracts_code() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    day.clean("S1", "E1");
    set(&mut day, "S1", "cert_type", "sole_proprietor");
    set(&mut day, "S1", "org_name", "山田商店");
    day.doc(("S1", ""), "business_proof", d(2026, 6, 1));
    day.write_csv(false, "utf8");
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let (status, reasons, _) = row_of(&screening(tmp.path(), "2026-11-19"), "S1");
    assert_eq!(status, "accepted", "{reasons}");
}

#[test]
fn letters_purge_deletes_only_secrets_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2026-11-19");
    day.paid("Q1", 241);
    day.apps.push(app("Q2", "E2"));
    day.write_csv(false, "utf8");
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let state = tmp.path().join("state");
    let out = tmp.path().join("out");
    let (code, stdout, err) =
        cli(&["--state", state.to_str().unwrap(), "--out", out.to_str().unwrap(), "letters", "purge", "2026-11-19"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("deleted 4 letter files"), "the PIN and password letters and their print files: {stdout}");
    let letters = out.join("2026-11-19/letters");
    assert!(!letters.join("pin/Q1.pdf").exists());
    assert!(letters.join("receipt/Q1.pdf").exists() && letters.join("deficiency/Q2.pdf").exists(), "notices stay");
    let manifest = std::fs::read_dir(&letters)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("manifest-run"))
        .unwrap();
    assert!(std::fs::read_to_string(manifest).unwrap().contains(",purged"));
    let audit = std::fs::read_to_string(state.join("audit.log")).unwrap();
    assert_eq!(audit.matches("letter_purged").count(), 4, "{audit}");
}

#[test]
fn a_sheet_claiming_a_huge_range_or_inflating_past_its_limits_is_bounded() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    // One cell at XFD1048576: the last cell a sheet can have, read as one cell.
    let mut day = Day::new(tmp.path(), "far");
    day.clean("F1", "E1");
    day.write_xlsx(false);
    let book = day.dir.join("applications.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet().set_name("applications").unwrap();
    for (c, (key, _)) in app_columns().iter().enumerate() {
        sheet.write_string(0, c as u16, *key).unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "far away").unwrap();
    wb.save(&book).unwrap();
    let t = std::time::Instant::now();
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert!(t.elapsed().as_secs() < 20);
    assert!(out.summary.notes.iter().any(|n| n.contains("beyond column")), "{:?}", out.summary.notes);

    // A zip bomb named applications.xlsx: refused in one line, before it is inflated for use.
    let bomb_dir = tmp.path().join("bomb");
    std::fs::create_dir_all(&bomb_dir).unwrap();
    let file = std::fs::File::create(bomb_dir.join("applications.xlsx")).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..1100 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    let (code, _, err) = cli(&[
        "--state",
        tmp.path().join("state").to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
        "run",
        bomb_dir.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("zip bomb") && err.lines().count() == 1, "{err}");
}

#[test]
fn a_batch_run_again_on_a_later_day_keeps_its_notices_and_its_documents_arrival() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    run(tmp.path(), &samples().join("2026-11-20"), d(2026, 11, 20));
    let day1_letters = snapshot(&tmp.path().join("out/2026-11-19/letters"));
    let day2_letters = snapshot(&tmp.path().join("out/2026-11-20/letters"));
    let arrived = |root: &Path| -> Vec<(String, String)> {
        let c = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
        let mut st = c.prepare("SELECT file, arrived_on FROM documents ORDER BY id").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
    };
    let before = arrived(tmp.path());
    // Both days again, a day later.
    run(tmp.path(), &samples().join("2026-11-20"), d(2026, 11, 21));
    run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 21));
    assert_eq!(arrived(tmp.path()), before, "what arrived with a batch arrived on its day");
    assert_eq!(snapshot(&tmp.path().join("out/2026-11-19/letters")), day1_letters, "day 1's notices as printed");
    assert_eq!(snapshot(&tmp.path().join("out/2026-11-20/letters")), day2_letters, "day 2's notices as printed");
    // Day 2's row that repeats a stored id with other contents stays a rejected row.
    let rows = screening(tmp.path(), "2026-11-20");
    let dup = rows.iter().find(|r| r.0 == "GD-20261119-001").unwrap();
    assert_eq!((dup.1.as_str(), dup.2.as_str()), ("rejected", "duplicate_application"));
}
