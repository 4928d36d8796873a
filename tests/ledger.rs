//! The ledger remembers once: a second run adds nothing, a run killed mid-way leaves the
//! ledger as before it, and two runs never interleave on one state folder.

mod common;
use common::*;

use certbatch::ledger::Ledger;
use std::process::Command;

fn day_with_problems(root: &std::path::Path) -> Day {
    let mut day = Day::new(root, "2026-11-19");
    for i in 1..=12 {
        day.clean(&format!("A{i:02}"), &format!("E{i:02}"));
    }
    day.apps[3].insert("email", s("broken"));
    day.docs.retain(|r| {
        !(matches!(r.get("application_id"), Some(V::S(a)) if a == "A05")
            && matches!(r.get("doc_type"), Some(V::S(t)) if t == "seal_certificate"))
    });
    day.write_xlsx(true);
    day
}

#[test]
fn the_second_run_on_a_folder_records_nothing_new() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day_with_problems(tmp.path());
    let first = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let first_csv = std::fs::read(tmp.path().join("out/2026-11-19/screening.csv")).unwrap();
    let r1 = first.summary.this_run.clone().unwrap().recorded.unwrap();
    assert_eq!((r1.new_applications, r1.new_documents), (11, 47));
    let second = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let r2 = second.summary.this_run.clone().unwrap().recorded.unwrap();
    assert_eq!((r2.new_applications, r2.changed_statuses, r2.new_documents, r2.changed_documents), (0, 0, 0, 0));
    assert_eq!(second.summary.this_run.as_ref().unwrap().unchanged_applications, 11);
    assert_eq!(std::fs::read(tmp.path().join("out/2026-11-19/screening.csv")).unwrap(), first_csv);
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let counts = ledger.table_counts().unwrap();
    assert_eq!((counts["applications"], counts["documents"], counts["rejected_rows"], counts["runs"]), (11, 47, 1, 2));
}

fn run_binary(root: &std::path::Path, batch: &std::path::Path, fail_at: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certbatch"));
    cmd.args(["--state", root.join("state").to_str().unwrap(), "--out", root.join("out").to_str().unwrap()]);
    cmd.args([
        "--pipelines",
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"),
        "--as-of",
        "2026-11-19",
        "run",
        batch.to_str().unwrap(),
    ]);
    if let Some(point) = fail_at {
        cmd.env("CERTBATCH_FAIL_AT", point);
    }
    cmd.output().unwrap()
}

#[test]
fn a_run_killed_at_any_point_leaves_the_ledger_whole_and_a_rerun_completes_it() {
    let clean = tempfile::tempdir().unwrap();
    let day = day_with_problems(clean.path());
    assert!(run_binary(clean.path(), &day.dir, None).status.success());
    let want = Ledger::open_read_only(&clean.path().join("state")).unwrap().unwrap().statuses().unwrap();
    let want_csv = std::fs::read(clean.path().join("out/2026-11-19/screening.csv")).unwrap();

    for point in ["after-intake", "ledger-mid-write", "ledger-before-commit", "after-ledger"] {
        let tmp = tempfile::tempdir().unwrap();
        let day = day_with_problems(tmp.path());
        let killed = run_binary(tmp.path(), &day.dir, Some(point));
        assert!(!killed.status.success(), "{point}: the injected failure aborts");
        if let Some(ledger) = Ledger::open_read_only(&tmp.path().join("state")).unwrap() {
            assert_eq!(ledger.integrity_check().unwrap(), "ok", "{point}");
            let counts = ledger.table_counts().unwrap();
            let committed = point == "after-ledger";
            assert_eq!(counts["applications"], if committed { 11 } else { 0 }, "{point}: all or nothing");
            assert_eq!(counts["runs"], i64::from(committed), "{point}");
        }
        let again = run_binary(tmp.path(), &day.dir, None);
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));
        let got = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap().statuses().unwrap();
        assert_eq!(got, want, "{point}: as if it ran once");
        assert_eq!(std::fs::read(tmp.path().join("out/2026-11-19/screening.csv")).unwrap(), want_csv, "{point}");
    }
}

#[test]
fn a_second_run_on_a_busy_state_folder_waits_then_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day_with_problems(tmp.path());
    let _holder = Ledger::open(&tmp.path().join("state"), std::time::Duration::ZERO).unwrap();
    let started = std::time::Instant::now();
    let (code, _, stderr) = cli(&[
        "--state",
        tmp.path().join("state").to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
        "--wait",
        "1",
        "run",
        day.dir.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "it waited");
    assert!(stderr.contains("in use by another certbatch run") && stderr.contains("gave up after 1 s"), "{stderr}");
    assert!(!tmp.path().join("out/2026-11-19").exists(), "nothing written");
}
