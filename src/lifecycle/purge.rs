//! `certbatch purge [--dry-run]`: deletes the archived scans the retention rule no longer
//! lets the CA keep ([`super::retention`]). The decision is recorded (documents marked,
//! each file's SHA-256 and deletion in the audit log) before any file goes, so a purge
//! killed half-way finishes on the next one and nothing is deleted unrecorded.

use super::retention::{expired, Expired};
use crate::ledger::Ledger;
use crate::run::Options;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What a purge found and did.
#[derive(Debug, Clone, Default)]
pub struct PurgeReport {
    pub files: Vec<(Expired, Vec<PathBuf>)>,
    pub deleted: usize,
    pub dry_run: bool,
    pub listing: Option<PathBuf>,
}

impl PurgeReport {
    pub fn line(&self) -> String {
        let scans = self.files.iter().filter(|(e, _)| e.purged_on.is_none()).count();
        if self.dry_run {
            format!(
                "certbatch purge (dry run): {scans} archived scans past retention would be deleted; nothing changed"
            )
        } else {
            format!(
                "certbatch purge: {scans} archived scans past retention purged ({} files deleted; hashes kept in audit.log){}",
                self.deleted,
                self.listing.as_ref().map(|p| format!(" -> {}", p.display())).unwrap_or_default()
            )
        }
    }
}

/// The archived copies of a file (its name is its hash; the extension is the scan's).
fn archived_files(state: &Path, sha256: &str) -> Result<Vec<PathBuf>> {
    let dir = state.join(crate::archive::ARCHIVE_DIR).join(sha256.get(..2).unwrap_or("__"));
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    let prefix = format!("{sha256}.");
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// `certbatch purge`.
pub fn purge(opts: &Options, dry_run: bool) -> Result<PurgeReport> {
    let today = opts.as_of;
    if dry_run {
        let Some(ledger) = Ledger::open_read_only(&opts.state_dir)? else {
            return Ok(PurgeReport { dry_run, ..Default::default() });
        };
        let due = expired(&ledger.archived_documents()?, today);
        let files = due
            .into_iter()
            .filter(|e| e.purged_on.is_none())
            .map(|e| Ok((archived_files(&opts.state_dir, &e.sha256)?, e)))
            .map(|r: Result<_>| r.map(|(f, e)| (e, f)))
            .collect::<Result<Vec<_>>>()?;
        return Ok(PurgeReport { files, dry_run, ..Default::default() });
    }
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let due = expired(&ledger.archived_documents()?, today);
    ledger.record_scan_purge(today, &due)?;
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    let mut report = PurgeReport::default();
    for e in due {
        let files = archived_files(&opts.state_dir, &e.sha256)?;
        // Purged by an earlier run that finished: nothing to say about it again.
        if e.purged_on.is_some() && files.is_empty() {
            continue;
        }
        for f in &files {
            std::fs::remove_file(f).with_context(|| format!("cannot delete {}", f.display()))?;
            report.deleted += 1;
        }
        report.files.push((e, files));
    }
    crate::fsio::sync_filesystem(&opts.state_dir)?;
    // The day's list, from the ledger: everything purged today, also when purge ran twice.
    let today_list: Vec<Expired> =
        expired(&ledger.archived_documents()?, today).into_iter().filter(|e| e.purged_on == Some(today)).collect();
    let dir = opts.out_dir.join(format!("purge-{today}"));
    crate::fsio::create_dirs(&dir, false)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["sha256", "owners", "documents", "retain_until", "purged_on"])?;
    for e in &today_list {
        w.write_record([
            e.sha256.clone(),
            e.owners.join(" "),
            e.documents.len().to_string(),
            e.retain_until.to_string(),
            today.to_string(),
        ])?;
    }
    let listing = dir.join("purged.csv");
    crate::fsio::write_output(&listing, &w.into_inner()?, false)?;
    report.listing = Some(listing);
    Ok(report)
}
