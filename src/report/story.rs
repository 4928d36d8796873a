//! `certbatch status ID`: one application's story as staff read it, from the ledger
//! ([`crate::ledger::story`]) and the files written for it under `--out` (letters, mails,
//! certificates). Never a secret: letters are named, not opened.

use crate::ledger::story::Story;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The story as text.
pub fn render(s: &Story, files: &[PathBuf]) -> String {
    let mut o = String::new();
    for (k, v) in &s.application {
        if !v.is_empty() {
            let _ = writeln!(o, "{k:<14} {}", place(v));
        }
    }
    let section = |o: &mut String, title: &str, n: usize| {
        let _ = writeln!(o, "\n{title} ({n})");
    };
    section(&mut o, "documents", s.documents.len());
    for [t, file, issued, arrived, scan, batch, source] in &s.documents {
        let _ = writeln!(
            o,
            "  {t:<24} issued {issued}, arrived {arrived}, scan {scan}: {file} ({batch}; {})",
            place(source)
        );
    }
    section(&mut o, "payments", s.payments.len());
    for [credit, date, amount, payer, status, allocated] in &s.payments {
        let _ = writeln!(
            o,
            "  {date} credit {credit} {amount} yen from {payer}: {status}, {allocated} yen to this application"
        );
    }
    section(&mut o, "certificates", s.certificates.len());
    for [serial, state, nb, na, file, dir] in &s.certificates {
        let _ = writeln!(o, "  {serial} {state} {nb} .. {na} {dir}/{file}");
    }
    if let Some([n, issued, due, total, received]) = &s.invoice {
        let _ = writeln!(o, "\ninvoice        {n} issued {issued}, due {due}, {total} yen, {received} received");
    }
    for [number, token, state] in &s.cards {
        let _ = writeln!(o, "card           {number} on token {token}: {state}");
    }
    if let Some([on, method]) = &s.receipt {
        let _ = writeln!(o, "receipt        {on} ({method})");
    }
    if let Some([reason, effective, at]) = &s.revocation {
        let _ = writeln!(
            o,
            "revocation     {reason}, effective {effective}{}",
            if at.is_empty() { String::new() } else { format!(", revoked {at}") }
        );
    }
    section(&mut o, "letters, mails and files", files.len());
    for f in files {
        let _ = writeln!(o, "  {}", f.display());
    }
    section(&mut o, "events", s.events.len());
    for [at, event, detail] in &s.events {
        let _ = writeln!(o, "  {at} {event}: {}", crate::text::for_display(detail));
    }
    o
}

/// A stored source location (JSON) as staff write it: `applications.xlsx, sheet …, row 14`.
fn place(v: &str) -> String {
    serde_json::from_str::<crate::finding::Location>(v).map_or_else(|_| v.to_string(), |l| l.to_string())
}

/// The files written for `id` under `out`: in the folders of the batches and days it
/// appears in, every file named after it (`<id>.pdf`, `<id>-review.eml`, `certs/<id>/…`).
pub fn files_of(out: &Path, id: &str, folders: &[String]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for folder in folders {
        let dir = out.join(folder);
        for e in walkdir::WalkDir::new(&dir).follow_links(false).into_iter().filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy();
            let stem = name.split('.').next().unwrap_or_default();
            let mine =
                stem == id || stem.starts_with(&format!("{id}-")) || e.path().parent().is_some_and(|p| p.ends_with(id));
            if e.file_type().is_file() && mine {
                found.push(e.path().strip_prefix(out).unwrap_or(e.path()).to_path_buf());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_names_files_and_never_opens_them() {
        let tmp = tempfile::tempdir().unwrap();
        for f in ["B/mail/A1-review.eml", "B/letters/pin/A1.pdf", "B/certs/A1/cert.pem", "B/letters/pin/A10.pdf"] {
            let p = tmp.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "12345678").unwrap();
        }
        let files = files_of(tmp.path(), "A1", &["B".into()]);
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["B/certs/A1/cert.pem", "B/letters/pin/A1.pdf", "B/mail/A1-review.eml"]);
        let s =
            Story { application: vec![("application", "A1".into()), ("status", "issued".into())], ..Story::default() };
        let text = render(&s, &files);
        assert!(text.contains("status         issued") && text.contains("B/letters/pin/A1.pdf"), "{text}");
        assert!(!text.contains("12345678"), "a letter is named, never read");
    }
}
