//! What a killed run left behind, put right before the next run does anything else.
//!
//! A run can be killed at any point (`kill -9`, a power cut). The ledger's transactions
//! leave it as before or after each step, so what is left to mend is on disk:
//!
//! - reservations whose certificates were never recorded: every file of that attempt is
//!   deleted (certificate files, secret letters, the run's print files and manifest, all
//!   found under `OUT/<batch>/` from paths the ledger keeps relative to `--out`), then the
//!   serial is voided. A PIN that belonged to no live certificate is gone with its letter.
//! - temporary files (`.tmp-*`) an interrupted atomic write left, in the output and state
//!   folders; the lock guarantees no other run is writing them.
//! - `audit.log` caught up with the ledger's audit table.
//!
//! Outputs that follow from what was committed (letters, mails, reports) are written again
//! by the run itself, identically, so nothing a killed run committed to is lost.

use crate::ledger::issuance::Reservation;
use crate::ledger::Ledger;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    pub voided: usize,
    pub files_removed: usize,
    pub temp_files_removed: usize,
}

/// The files one issuance attempt for `id` may have written under `out_b`, the batch's
/// output folder: its certificate files and secret letters (queued or not).
pub fn attempt_files(out_b: &Path, id: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let certs = out_b.join("certs").join(id);
    if let Ok(entries) = std::fs::read_dir(&certs) {
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
    }
    for kind in crate::letters::routing::SECRET_LETTERS {
        files.push(out_b.join("letters").join(kind).join(format!("{id}.pdf")));
        files.push(out_b.join("letters/queue").join(kind).join(format!("{id}.pdf")));
    }
    files.retain(|p| p.is_file());
    files
}

/// The print files and manifest of the run `run_id` under `out_b`.
fn run_files(out_b: &Path, run_id: i64) -> Result<Vec<PathBuf>> {
    let letters = out_b.join("letters");
    let mut files = Vec::new();
    if !letters.is_dir() {
        return Ok(files);
    }
    let whole = format!("-run{run_id}.pdf");
    let part = format!("-run{run_id}-part");
    for entry in std::fs::read_dir(&letters)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if (name.starts_with("print-") && (name.ends_with(&whole) || name.contains(&part)))
            || name == format!("manifest-run{run_id}.csv")
        {
            files.push(path);
        }
    }
    Ok(files)
}

/// Deletes `files`, counting them.
pub fn remove(files: &[PathBuf]) -> Result<usize> {
    for f in files {
        std::fs::remove_file(f).with_context(|| format!("cannot remove {}", f.display()))?;
    }
    Ok(files.len())
}

/// Every file of the reservations a killed run left, then the reservations voided.
fn void_leftovers(ledger: &mut Ledger, out: &Path, left: &[Reservation]) -> Result<usize> {
    let mut removed = 0;
    for r in left {
        let out_b = out.join(&r.batch);
        removed += remove(&attempt_files(&out_b, &r.application_id))?;
        removed += remove(&run_files(&out_b, r.reserved_run)?)?;
    }
    let reasons: Vec<(String, String)> = left
        .iter()
        .map(|r| (r.serial.clone(), "the run that reserved it was interrupted before recording its files".to_string()))
        .collect();
    ledger.void(&reasons)?;
    Ok(removed)
}

/// `.tmp-*` files under `dir`, which only an interrupted atomic write leaves.
fn sweep_temp(dir: &Path) -> Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut n = 0;
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let Ok(entry) = entry else { continue };
        let temp = entry.file_name().to_string_lossy().starts_with(".tmp-");
        if temp && entry.file_type().is_file() {
            std::fs::remove_file(entry.path()).with_context(|| format!("cannot remove {}", entry.path().display()))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Mends what an interrupted run left; the caller holds the state folder's lock.
pub fn recover(ledger: &mut Ledger, out: &Path, state: &Path) -> Result<Recovered> {
    let left = ledger.open_reservations()?;
    let files_removed = void_leftovers(ledger, out, &left)?;
    let temp_files_removed = sweep_temp(out)? + sweep_temp(state)?;
    export_audit(ledger, state)?;
    Ok(Recovered { voided: left.len(), files_removed, temp_files_removed })
}

/// Appends the audit entries not yet in `STATE/audit.log` (one JSON object a line with
/// its chain link and hash, see [`crate::ledger::audit`]; synced;
/// the file is the owner's alone, 0600). The ledger's `audit` table is the record; the file
/// its readable copy, caught up at the start and end of every run, even after a crash
/// between the two.
pub fn export_audit(ledger: &mut Ledger, state: &Path) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let lines = ledger.audit_since_export()?;
    if lines.is_empty() {
        return Ok(());
    }
    let path = state.join(crate::ledger::audit::LOG_FILE);
    if ledger.audit_log_tail_matches(&path)? == Some(false) {
        eprintln!(
            "certbatch: warning: {} does not end with the ledger's entry of the same id: it was changed outside certbatch; run `certbatch audit verify`",
            path.display()
        );
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    crate::fsio::set_mode(&path, 0o600)?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    f.sync_all()?;
    ledger.mark_audit_exported()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_are_swept_and_others_kept() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("B/letters/pin")).unwrap();
        std::fs::write(tmp.path().join("B/letters/pin/.tmp-abc"), "PIN").unwrap();
        std::fs::write(tmp.path().join("B/letters/pin/A1.pdf"), "x").unwrap();
        assert_eq!(sweep_temp(tmp.path()).unwrap(), 1);
        assert!(tmp.path().join("B/letters/pin/A1.pdf").exists());
        assert_eq!(sweep_temp(&tmp.path().join("absent")).unwrap(), 0);
    }

    #[test]
    fn an_attempt_is_its_certificate_files_and_secret_letters() {
        let tmp = tempfile::tempdir().unwrap();
        for f in ["certs/A1/cert.pem", "certs/A1/cert.p12", "letters/pin/A1.pdf", "letters/receipt/A1.pdf"] {
            std::fs::create_dir_all(tmp.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(tmp.path().join(f), "x").unwrap();
        }
        let mut files: Vec<String> = attempt_files(tmp.path(), "A1")
            .iter()
            .map(|p| p.strip_prefix(tmp.path()).unwrap().display().to_string())
            .collect();
        files.sort();
        assert_eq!(files, ["certs/A1/cert.p12", "certs/A1/cert.pem", "letters/pin/A1.pdf"]);
    }
}
