//! Letters: the PIN and download-password letters, mail-merged into print-ready PDFs.

pub mod letter_pdf;
pub mod mails;
pub mod notices;
pub mod routing;
pub mod templates;
pub mod writer;

use anyhow::{bail, Result};
use std::path::Path;

/// `certbatch letters purge BATCH`: once the mailroom confirms printing, deletes every
/// letter PDF of the batch (they hold PINs and passwords), keeping the manifests, which
/// hold none. Returns the number of files deleted.
pub fn purge(out_dir: &Path, batch: &str) -> Result<usize> {
    if batch.is_empty() || batch.contains(['/', '\\']) || batch == "." || batch == ".." {
        bail!("{batch:?} is not a batch name");
    }
    let dir = out_dir.join(batch).join("letters");
    if !dir.is_dir() {
        bail!("no letters for batch {batch} in {}", dir.display());
    }
    let mut removed = 0;
    for e in walkdir::WalkDir::new(&dir).follow_links(false) {
        let e = e?;
        if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "pdf") {
            std::fs::remove_file(e.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_removes_letters_and_keeps_manifests() {
        let tmp = tempfile::tempdir().unwrap();
        let letters = tmp.path().join("B/letters");
        std::fs::create_dir_all(letters.join("pin")).unwrap();
        std::fs::write(letters.join("pin/A1.pdf"), "x").unwrap();
        std::fs::write(letters.join("print-pin-run3.pdf"), "x").unwrap();
        std::fs::write(letters.join("manifest-run3.csv"), "x").unwrap();
        assert_eq!(super::purge(tmp.path(), "B").unwrap(), 2);
        assert!(letters.join("manifest-run3.csv").exists() && !letters.join("pin/A1.pdf").exists());
        assert!(super::purge(tmp.path(), "../etc").is_err());
    }
}
