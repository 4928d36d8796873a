//! The audit log as a hash chain (contract section 6, "The audit log").
//!
//! Every row of the `audit` table holds the SHA-256 of the row before it, and its own
//! hash covers its fields and that link. A trigger computes both as each row is inserted,
//! so no writer anywhere in the code can forget; `audit verify` recomputes the chain in
//! the ledger and in `STATE/audit.log` and names the first entry that does not fit.

use anyhow::{Context, Result};
use rusqlite::functions::FunctionFlags;
use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The SQL function the chaining trigger calls; registered on every writing connection.
pub const HASH_FUNCTION: &str = "certbatch_audit_hash";

/// One entry as the ledger and `audit.log` both hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub application_id: String,
    pub serial: String,
    pub detail: String,
    pub prev: String,
    pub hash: String,
}

/// The hash of an entry: SHA-256 over its fields and the previous entry's hash, encoded
/// as a JSON array so no choice of separator can make two entries collide.
pub fn entry_hash(
    prev: &str,
    id: i64,
    at: &str,
    event: &str,
    application_id: &str,
    serial: &str,
    detail: &str,
) -> String {
    let canonical = serde_json::json!([id, at, event, application_id, serial, detail, prev]).to_string();
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes [`entry_hash`] callable from SQL, for the trigger of schema step 9.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        HASH_FUNCTION,
        7,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text = |i: usize| -> rusqlite::Result<String> { Ok(ctx.get::<Option<String>>(i)?.unwrap_or_default()) };
            Ok(entry_hash(&text(0)?, ctx.get::<i64>(1)?, &text(2)?, &text(3)?, &text(4)?, &text(5)?, &text(6)?))
        },
    )
}

/// Chains the rows written before the chain existed (schema step 9), oldest first.
pub fn seal_unchained(tx: &Transaction) -> Result<usize> {
    let rows: Vec<Entry> = read_entries(tx, "WHERE hash IS NULL")?;
    let mut prev: String = tx.query_row(
        "SELECT COALESCE((SELECT hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1), '')",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = tx.prepare("UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE id = ?3")?;
    for e in &rows {
        let hash = entry_hash(&prev, e.id, &e.at, &e.event, &e.application_id, &e.serial, &e.detail);
        stmt.execute(params![prev, hash, e.id])?;
        prev = hash;
    }
    Ok(rows.len())
}

/// The ledger's entries in order (`filter` is a WHERE clause or empty).
pub fn read_entries(conn: &Connection, filter: &str) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, at, event, COALESCE(application_id, ''), COALESCE(serial, ''), detail,
                COALESCE(prev_hash, ''), COALESCE(hash, '') FROM audit {filter} ORDER BY id"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(Entry {
            id: r.get(0)?,
            at: r.get(1)?,
            event: r.get(2)?,
            application_id: r.get(3)?,
            serial: r.get(4)?,
            detail: r.get(5)?,
            prev: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Where a chain stops holding, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The entry's id (its position when the id itself cannot be read).
    pub id: i64,
    pub what: String,
}

/// Recomputes a chain from its first entry; `Err` names the first entry that does not fit:
/// altered (its hash no longer covers its fields), or out of place (its link does not name
/// the entry before it: one was removed, inserted or moved).
pub fn verify_chain(entries: &[Entry]) -> Result<usize, Break> {
    let mut prev = String::new();
    let mut last_id = 0;
    let mut n = 0;
    for (i, e) in entries.iter().enumerate() {
        if e.id <= last_id {
            return Err(Break { id: e.id, what: format!("out of order (after entry {last_id})") });
        }
        if e.prev != prev && e.id > last_id + 1 {
            // Ids have no gaps (entries are never deleted; SQLite reuses no rowid here).
            let missing = last_id + 1;
            let what = if entries[i..].iter().any(|later| later.id == missing) {
                format!("out of place: it comes after entry {}", e.id)
            } else {
                match e.id - missing {
                    0 => unreachable!("e.id > last_id + 1"),
                    1 => "missing: it was removed".to_string(),
                    n => format!("missing: it and the {} entries after it were removed", n - 1),
                }
            };
            return Err(Break { id: missing, what });
        }
        if e.prev != prev {
            return Err(Break {
                id: e.id,
                what: format!(
                    "its link does not name the entry before it ({last_id}): an entry was removed, inserted or moved"
                ),
            });
        }
        if e.hash != entry_hash(&e.prev, e.id, &e.at, &e.event, &e.application_id, &e.serial, &e.detail) {
            return Err(Break { id: e.id, what: "altered: its hash no longer matches its contents".into() });
        }
        prev = e.hash.clone();
        last_id = e.id;
        n += 1;
    }
    Ok(n)
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub entries: usize,
    pub head: String,
    /// The first problem, as one line naming where (`ledger` or `audit.log`) and which entry.
    pub problem: Option<String>,
}

/// Verifies the ledger's chain, the log's chain, and that the log holds exactly the
/// ledger's entries up to the last one exported (a removed last line or last row shows
/// here, since no link follows it).
pub fn verify(ledger: &[Entry], log: &Path, exported: i64) -> Result<Verdict> {
    let head = ledger.last().map(|e| e.hash.clone()).unwrap_or_default();
    let verdict = |problem: Option<String>| Verdict { entries: ledger.len(), head: head.clone(), problem };
    if let Err(b) = verify_chain(ledger) {
        return Ok(verdict(Some(format!("ledger audit table, entry {}: {}", b.id, b.what))));
    }
    let (lines, unreadable) = read_log(log)?;
    if let Some(line) = unreadable {
        return Ok(verdict(Some(format!("{} line {line}: not an audit entry", log.display()))));
    }
    if let Err(b) = verify_chain(&lines) {
        return Ok(verdict(Some(format!("{}, entry {}: {}", log.display(), b.id, b.what))));
    }
    let by_id: std::collections::HashMap<i64, &Entry> = ledger.iter().map(|e| (e.id, e)).collect();
    for l in &lines {
        match by_id.get(&l.id) {
            None => {
                return Ok(verdict(Some(format!(
                    "ledger audit table, entry {}: in {} but missing from the ledger",
                    l.id,
                    log.display()
                ))))
            }
            Some(e) if *e != l => {
                return Ok(verdict(Some(format!("entry {}: the ledger and {} differ", l.id, log.display()))));
            }
            Some(_) => {}
        }
    }
    let logged = lines.len();
    let expected = ledger.iter().filter(|e| e.id <= exported).count();
    if logged < expected {
        let first_missing = ledger.iter().filter(|e| e.id <= exported).nth(logged).map(|e| e.id).unwrap_or(0);
        return Ok(verdict(Some(format!(
            "{}, entry {first_missing}: exported but missing from the log (its last lines were removed)",
            log.display()
        ))));
    }
    Ok(verdict(None))
}

/// The log's entries, and the number of the first line that is not one.
fn read_log(path: &Path) -> Result<(Vec<Entry>, Option<usize>)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(_) => return Ok((entries, Some(i + 1))),
        }
    }
    Ok((entries, None))
}

/// A log written before the chain existed cannot be verified: schema step 9 asks for it
/// to be kept beside as `audit.log.unchained`, and the next export writes the whole chain
/// anew. The request is a row in `meta`, removed only after the move, so a crash between
/// the two repeats the move (there is then no log to move) and never loses the old one.
pub fn restart_log(conn: &Connection, state: &Path) -> Result<()> {
    use rusqlite::OptionalExtension;
    let asked: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'audit_log_restart'", [], |r| r.get(0)).optional()?;
    if asked.is_none() {
        return Ok(());
    }
    let log = state.join(LOG_FILE);
    let kept = state.join(format!("{LOG_FILE}.unchained"));
    if log.exists() && !kept.exists() {
        std::fs::rename(&log, &kept).with_context(|| format!("cannot move {} aside", log.display()))?;
    }
    conn.execute("DELETE FROM meta WHERE key = 'audit_log_restart'", [])?;
    Ok(())
}

/// The log's file name in the state folder.
pub const LOG_FILE: &str = "audit.log";

/// The id of the newest entry copied to the log.
pub fn exported(conn: &Connection) -> Result<i64> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = 'audit_exported'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Whether the log's last line is the ledger's entry of that id (`None` when the log is
/// empty or absent): a cheap look before appending, so a damaged log is noticed at once
/// rather than at the next `audit verify`. Reads only the file's tail.
pub fn log_tail_matches(conn: &Connection, log: &Path) -> Result<Option<bool>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = match std::fs::File::open(log) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", log.display())),
    };
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    let Some(last) = text.lines().rev().find(|l| !l.trim().is_empty()) else { return Ok(None) };
    let Ok(entry) = serde_json::from_str::<Entry>(last) else { return Ok(Some(false)) };
    let stored = read_entries(conn, &format!("WHERE id = {}", entry.id))?;
    Ok(Some(stored.first() == Some(&entry)))
}

/// One line of `audit.log`.
pub fn log_line(e: &Entry) -> String {
    serde_json::to_string(e).expect("an entry is plain strings and numbers")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = String::new();
        (1..=n)
            .map(|id| {
                let detail = format!("detail {id}");
                let hash = entry_hash(&prev, id, "2026-12-03T09:00:00+09:00", "stored", "A-1", "", &detail);
                let e = Entry {
                    id,
                    at: "2026-12-03T09:00:00+09:00".into(),
                    event: "stored".into(),
                    application_id: "A-1".into(),
                    serial: String::new(),
                    detail,
                    prev: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_edit_a_removal_and_a_swap_are_each_named() {
        let mut edited = chain(5);
        edited[2].detail = "other".into();
        assert_eq!(verify_chain(&edited).unwrap_err().id, 3);

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(verify_chain(&removed).unwrap_err(), Break { id: 2, what: "missing: it was removed".into() });

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert_eq!(
            verify_chain(&swapped).unwrap_err(),
            Break { id: 2, what: "out of place: it comes after entry 3".into() }
        );
    }

    #[test]
    fn the_hash_depends_on_every_field() {
        let base = entry_hash("p", 1, "a", "b", "c", "d", "e");
        for other in [
            entry_hash("q", 1, "a", "b", "c", "d", "e"),
            entry_hash("p", 2, "a", "b", "c", "d", "e"),
            entry_hash("p", 1, "a", "b", "c", "d", "f"),
            entry_hash("p", 1, "a", "bc", "", "d", "e"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn a_log_missing_its_last_lines_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let entries = chain(4);
        let log = dir.path().join("audit.log");
        let lines: Vec<String> = entries[..3].iter().map(log_line).collect();
        std::fs::write(&log, lines.join("\n") + "\n").unwrap();
        let v = verify(&entries, &log, 4).unwrap();
        assert!(v.problem.unwrap().contains("entry 4"));
        let v = verify(&entries, &log, 3).unwrap();
        assert_eq!(v.problem, None);
    }
}
