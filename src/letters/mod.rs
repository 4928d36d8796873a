//! Letters: the secret letters of issued certificates (PIN, download password), the
//! notices without a secret, their print files and manifests, and the mails.
//!
//! Takes the run's values (signed certificates with their secrets, decisions, issued
//! certificates) and gives PDFs under `OUT/<batch>/letters/` and `.eml` files under
//! `OUT/<batch>/mail/`. A letter that cannot be made concerns its application only: a
//! secret letter holds it before anything is signed ([`secret::preflight`]); a notice goes
//! to the staff queue. Issuance never renders a page; this stage never signs.

pub mod dehint;
pub mod invoices;
pub mod letter_pdf;
pub mod mailroom;
pub mod mails;
pub mod notices;
pub mod routing;
pub mod secret;
pub mod templates;
pub mod writer;

pub use mails::MailConfig;

use anyhow::{bail, Context, Result};
use std::path::Path;

/// A letter file `purge` deleted: its path under the batch folder and its SHA-256, for the
/// audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    pub file: String,
    pub sha256: String,
}

/// Whether a file under `letters/` holds a secret: a PIN or password letter, queued or
/// not, or a print file of them.
fn holds_secret(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    routing::SECRET_LETTERS.iter().any(|kind| {
        rel.starts_with(&format!("letters/{kind}/"))
            || rel.starts_with(&format!("letters/queue/{kind}/"))
            || name.starts_with(&format!("print-{kind}-"))
    }) && rel.ends_with(".pdf")
}

/// `certbatch letters purge BATCH`: once the mailroom confirms printing, deletes the
/// batch's letters that hold a PIN or password (and their print files), marks their
/// manifest rows `purged`, and returns what it deleted for the audit log. Notices and
/// manifests stay: they hold no secret and staff still need them.
pub fn purge(out_dir: &Path, batch: &str) -> Result<Vec<Purged>> {
    use sha2::{Digest, Sha256};
    if batch.is_empty() || batch.contains(['/', '\\']) || batch == "." || batch == ".." {
        bail!("{batch:?} is not a batch name");
    }
    let out_b = out_dir.join(batch);
    let dir = out_b.join("letters");
    if !dir.is_dir() {
        bail!("no letters for batch {batch} in {}", dir.display());
    }
    let mut purged = Vec::new();
    for e in walkdir::WalkDir::new(&dir).follow_links(false).sort_by_file_name() {
        let e = e?;
        let rel = e.path().strip_prefix(&out_b).unwrap_or(e.path()).to_string_lossy().replace('\\', "/");
        if e.file_type().is_file() && holds_secret(&rel) {
            let bytes = std::fs::read(e.path()).with_context(|| format!("cannot read {}", e.path().display()))?;
            std::fs::remove_file(e.path()).with_context(|| format!("cannot delete {}", e.path().display()))?;
            purged.push(Purged { file: rel, sha256: crate::record::hex(&Sha256::digest(&bytes)) });
        }
    }
    // The manifests say which letters are gone.
    for e in std::fs::read_dir(&dir)? {
        let path = e?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !(name.starts_with("manifest-") && name.ends_with(".csv")) {
            continue;
        }
        let text = std::fs::read(&path)?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_slice());
        let mut w = csv::Writer::from_writer(Vec::new());
        for (i, rec) in reader.records().enumerate() {
            let mut rec: Vec<String> = rec?.iter().map(str::to_string).collect();
            if i > 0 && rec.len() == 8 && purged.iter().any(|p| p.file == rec[6]) {
                rec[7] = "purged".into();
            }
            w.write_record(&rec)?;
        }
        crate::fsio::write_output(&path, &w.into_inner()?, false)?;
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_removes_secret_letters_only_and_marks_the_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let letters = tmp.path().join("B/letters");
        for f in ["pin/A1.pdf", "download_password/A1.pdf", "receipt/A1.pdf", "deficiency/A2.pdf", "queue/pin/A3.pdf"] {
            std::fs::create_dir_all(letters.join(f).parent().unwrap()).unwrap();
            std::fs::write(letters.join(f), "x").unwrap();
        }
        for f in ["print-pin-run3.pdf", "print-receipt-notices.pdf", "print-download_password-run3-part01.pdf"] {
            std::fs::write(letters.join(f), "x").unwrap();
        }
        std::fs::write(
            letters.join("manifest-run3.csv"),
            "letter_id,kind,post_method,addressee,postal_code,pages,file,status\n\
             A1-pin,pin,x,y,100-0001,1,letters/pin/A1.pdf,print\n",
        )
        .unwrap();
        let purged = super::purge(tmp.path(), "B").unwrap();
        let files: Vec<&str> = purged.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "letters/download_password/A1.pdf",
                "letters/pin/A1.pdf",
                "letters/print-download_password-run3-part01.pdf",
                "letters/print-pin-run3.pdf",
                "letters/queue/pin/A3.pdf"
            ]
        );
        assert!(letters.join("receipt/A1.pdf").exists() && letters.join("deficiency/A2.pdf").exists());
        assert!(letters.join("print-receipt-notices.pdf").exists());
        let manifest = std::fs::read_to_string(letters.join("manifest-run3.csv")).unwrap();
        assert!(manifest.contains("letters/pin/A1.pdf,purged"), "{manifest}");
        assert!(super::purge(tmp.path(), "../etc").is_err());
    }
}
