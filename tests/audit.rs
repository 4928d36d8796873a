//! The audit log is a hash chain: `audit verify` passes an untouched log and names the
//! first entry that was edited, removed or moved, in `audit.log` and in the ledger's table.

mod common;
use common::*;
use std::path::Path;

/// A state folder with a varied log: applications stored, paid, reserved, issued, revoked.
fn state_with_history(root: &Path) {
    let mut day = Day::new(root, "2026-11-19");
    day.clean("A1", "E1").clean("A2", "E2").aosign("A3", "E3").company_docs("E3");
    day.write_csv(false, "utf8");
    run(root, &day.dir, d(2026, 11, 19));
    personalise(root, "2026-11-19");
    let (code, _, err) = cli(&[
        "--state",
        root.join("state").to_str().unwrap(),
        "--out",
        root.join("out").to_str().unwrap(),
        "--as-of",
        "2026-11-20",
        "revoke",
        "A3",
        "--reason",
        "key_compromise",
    ]);
    assert_eq!(code, 0, "{err}");
}

fn verify(state: &Path) -> (i32, String) {
    let (code, out, err) = cli(&["--state", state.to_str().unwrap(), "audit", "verify"]);
    (code, format!("{out}{err}"))
}

fn edit_log(state: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let path = state.join("audit.log");
    let mut lines: Vec<String> = std::fs::read_to_string(&path).unwrap().lines().map(String::from).collect();
    f(&mut lines);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Tampers with the table as someone with the sqlite3 shell would: triggers dropped first.
fn edit_table(state: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(state.join("ledger.sqlite3")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_append_only; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_chain;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn audit_verify_catches_every_edit_removal_and_swap() {
    let tmp = tempfile::tempdir().unwrap();
    state_with_history(tmp.path());
    let state = tmp.path().join("state");
    let (code, out) = verify(&state);
    assert_eq!(code, 0, "{out}");
    let total: usize = out.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(total >= 6, "{out}");
    let log = std::fs::read_to_string(state.join("audit.log")).unwrap();
    for event in ["\"stored\"", "\"reserved\"", "\"issued\"", "\"revoked\""] {
        assert!(log.contains(event), "{event} in {log}");
    }

    type Tamper = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "log line edited",
            Box::new(|s| edit_log(s, |l| l[4] = l[4].replace("\"at\":\"", "\"at\":\"1"))),
            "entry 5: altered",
        ),
        ("log line removed", Box::new(|s| edit_log(s, |l| drop(l.remove(4)))), "entry 5: missing: it was removed"),
        (
            "log lines swapped",
            Box::new(|s| edit_log(s, |l| l.swap(4, 5))),
            "entry 5: out of place: it comes after entry 6",
        ),
        ("log's last line removed", Box::new(|s| edit_log(s, |l| drop(l.pop()))), "missing from the log"),
        ("log line not json", Box::new(|s| edit_log(s, |l| l[2] = "garbage".into())), "line 3: not an audit entry"),
        (
            "table row edited",
            Box::new(|s| edit_table(s, "UPDATE audit SET detail = 'rewritten' WHERE id = 5")),
            "ledger audit table, entry 5: altered",
        ),
        (
            "table row removed",
            Box::new(|s| edit_table(s, "DELETE FROM audit WHERE id = 5")),
            "ledger audit table, entry 5: missing: it was removed",
        ),
        (
            "table rows swapped",
            Box::new(|s| {
                edit_table(
                    s,
                    "UPDATE audit SET id = -1 WHERE id = 5; UPDATE audit SET id = 5 WHERE id = 6;
                     UPDATE audit SET id = 6 WHERE id = -1;",
                )
            }),
            "ledger audit table, entry 5",
        ),
        (
            "table's last row removed",
            Box::new(|s| edit_table(s, "DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)")),
            "missing from the ledger",
        ),
        (
            "table row rehashed to fit (the log still holds the truth)",
            Box::new(|s| {
                edit_table(s, "UPDATE audit SET detail = 'rewritten' WHERE id = (SELECT MAX(id) FROM audit)");
                let conn = rusqlite::Connection::open(s.join("ledger.sqlite3")).unwrap();
                let (id, at, event, app, serial, prev): (i64, String, String, String, String, String) = conn
                    .query_row(
                        "SELECT id, at, event, COALESCE(application_id,''), COALESCE(serial,''), prev_hash
                         FROM audit ORDER BY id DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                    )
                    .unwrap();
                let h = certbatch::ledger::audit::entry_hash(&prev, id, &at, &event, &app, &serial, "rewritten");
                conn.execute("UPDATE audit SET hash = ?1 WHERE id = ?2", rusqlite::params![h, id]).unwrap();
            }),
            "the ledger and",
        ),
    ];
    for (i, (what, tamper, expected)) in cases.iter().enumerate() {
        let copy = tmp.path().join(format!("case{i}"));
        copy_dir(&state, &copy);
        tamper(&copy);
        let (code, out) = verify(&copy);
        assert_ne!(code, 0, "{what}: verify must fail: {out}");
        assert!(out.contains(expected), "{what}: expected '{expected}' in: {out}");
    }
    // Nothing above touched the original.
    assert_eq!(verify(&state).0, 0);
}

#[test]
fn the_chain_goes_on_across_runs_and_commands() {
    let tmp = tempfile::tempdir().unwrap();
    state_with_history(tmp.path());
    let state = tmp.path().join("state");
    let before = std::fs::read_to_string(state.join("audit.log")).unwrap();
    // A rerun and a daily add entries (or none) without breaking the chain or the log's past.
    run(tmp.path(), &tmp.path().join("2026-11-19"), d(2026, 11, 19));
    let (code, _, err) = cli(&[
        "--state",
        state.to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
        "--as-of",
        "2026-12-10",
        "daily",
    ]);
    assert_eq!(code, 0, "{err}");
    let after = std::fs::read_to_string(state.join("audit.log")).unwrap();
    assert!(after.starts_with(&before));
    assert_eq!(verify(&state).0, 0);
}
