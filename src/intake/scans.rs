//! The scans folder: which files are there, which rows name them, and whether they decode.
//!
//! Takes the `scans/` folder and the paths the rows list; gives, per listed path, its
//! SHA-256 and what it is (image size or PDF page count), or why it cannot be used. Links
//! are never followed, a listed path may not leave `scans/`, and images are decoded under
//! limits so a small file claiming a huge picture is refused before any memory is spent.
//! Files nobody listed are returned too, so the run summary can name them.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Component, Path};

/// Largest image side accepted: an A3 page at 1200 dpi is about 14,000 pixels.
pub const MAX_SIDE: u32 = 15_000;
/// Largest decoded image buffer accepted.
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// Largest scan file read: an A3 colour page at 600 dpi is under 100 MiB even as TIFF.
pub const MAX_SCAN_BYTES: u64 = 128 * 1024 * 1024;
/// Bytes of files and decoded pixels held at once by all threads together, so memory is
/// bounded by this, not by the number of cores times the per-image limit.
pub const DECODE_BUDGET: u64 = 1024 * 1024 * 1024;
/// File extensions the contract names for scans; CSRs (`.csr`, `.pem`, `.der`) are listed
/// by `csr_file` and only read, not decoded as images.
pub const SCAN_EXTENSIONS: &[&str] = &["pdf", "jpg", "jpeg", "png", "tif", "tiff"];

/// What a listed file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    Image {
        sha256: String,
        width: u32,
        height: u32,
        format: &'static str,
    },
    Pdf {
        sha256: String,
        pages: u32,
    },
    /// A PKCS#10 request, parsed and its signature checked (or why not).
    Csr {
        sha256: String,
        parsed: Result<Box<crate::csr::CsrInfo>, String>,
    },
    /// Read but not decoded: only its hash is known here.
    Other {
        sha256: String,
    },
    Missing,
    /// The path names a link or leaves `scans/`.
    Refused(String),
    Unreadable(String),
}

impl ScanOutcome {
    pub fn sha256(&self) -> Option<&str> {
        match self {
            ScanOutcome::Image { sha256, .. }
            | ScanOutcome::Pdf { sha256, .. }
            | ScanOutcome::Csr { sha256, .. }
            | ScanOutcome::Other { sha256 } => Some(sha256),
            _ => None,
        }
    }

    /// Why the file cannot be used, in words.
    pub fn problem(&self) -> Option<String> {
        match self {
            ScanOutcome::Refused(why) | ScanOutcome::Unreadable(why) => Some(why.clone()),
            ScanOutcome::Csr { parsed: Err(why), .. } => Some(why.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> &'static str {
        match self {
            ScanOutcome::Image { .. } | ScanOutcome::Pdf { .. } | ScanOutcome::Other { .. } => "ok",
            ScanOutcome::Csr { parsed, .. } => {
                if parsed.is_ok() {
                    "ok"
                } else {
                    "invalid_csr"
                }
            }
            ScanOutcome::Missing => "missing",
            ScanOutcome::Refused(_) => "refused",
            ScanOutcome::Unreadable(_) => "unreadable",
        }
    }
}

/// Checks a path as written in a row and gives it in the form `a/b.jpg`, relative to
/// `scans/`. Back-slashes are read as separators (paths typed on Windows) and a leading
/// `scans/` is dropped. Absolute paths and `..` are refused: a row may not name a file
/// outside the batch.
pub fn normalise_listed_path(raw: &str) -> Result<String, String> {
    let s = raw.trim().replace('\\', "/");
    if s.is_empty() {
        return Err("空のパスです".into());
    }
    if s.starts_with('/') || s.as_bytes().get(1) == Some(&b':') {
        return Err("絶対パスは使えません。scans/ の中の相対パスで記入してください".into());
    }
    let mut parts = Vec::new();
    for part in s.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err("「..」で scans/ の外を指すことはできません".into()),
            p => parts.push(p),
        }
    }
    if parts.first() == Some(&"scans") && parts.len() > 1 {
        parts.remove(0);
    }
    if parts.is_empty() {
        return Err("ファイル名がありません".into());
    }
    Ok(parts.join("/"))
}

/// What is on disk under `scans/`.
#[derive(Debug, Clone, Default)]
pub struct ScanTree {
    /// Regular files, as `a/b.jpg`.
    pub files: BTreeSet<String>,
    /// Symbolic links (not followed), as `a/b.jpg`.
    pub links: Vec<String>,
    /// Entries that could not be read, with the reason.
    pub errors: Vec<String>,
}

/// Walks `scans/` without following links. A missing folder is an empty tree.
pub fn walk(root: &Path) -> ScanTree {
    let mut tree = ScanTree::default();
    if std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
        tree.links.push(String::new());
        return tree;
    }
    if !root.is_dir() {
        return tree;
    }
    for entry in walkdir::WalkDir::new(root).follow_links(false).follow_root_links(false).sort_by_file_name() {
        match entry {
            Ok(e) => {
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                if e.path_is_symlink() {
                    tree.links.push(rel);
                } else if e.file_type().is_file() {
                    tree.files.insert(rel);
                }
            }
            Err(err) => tree.errors.push(err.to_string()),
        }
    }
    tree
}

/// Resolves `rel` under `root`, refusing any component that is a link.
fn open_inside(root: &Path, rel: &str) -> Result<std::path::PathBuf, ScanOutcome> {
    if std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(ScanOutcome::Refused("scans/ itself is a symbolic link; links are not followed".into()));
    }
    let mut path = root.to_path_buf();
    for comp in Path::new(rel).components() {
        let Component::Normal(part) = comp else {
            return Err(ScanOutcome::Refused("path leaves scans/".into()));
        };
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ScanOutcome::Refused(format!(
                    "{} is a symbolic link; links are not followed",
                    path.display()
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ScanOutcome::Missing),
            Err(e) => return Err(ScanOutcome::Unreadable(e.to_string())),
        }
    }
    Ok(path)
}

/// Reads, hashes and decodes one listed file, holding its share of [`DECODE_BUDGET`]
/// while it does.
pub fn check_one(root: &Path, rel: &str) -> ScanOutcome {
    let path = match open_inside(root, rel) {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return ScanOutcome::Unreadable("not a regular file".into()),
        Err(e) => return ScanOutcome::Unreadable(e.to_string()),
    };
    if meta.len() > MAX_SCAN_BYTES {
        return ScanOutcome::Unreadable(format!(
            "the file is {} MiB, more than the {} MiB a scan may be; scan it again at a lower resolution",
            meta.len() >> 20,
            MAX_SCAN_BYTES >> 20
        ));
    }
    let ext = rel.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    // What decoding will hold besides the file: the pixels of an image (from its header),
    // a few times the file for a PDF's objects.
    let extra = if SCAN_EXTENSIONS.contains(&ext.as_str()) && ext != "pdf" {
        decoded_size(&path).unwrap_or(0)
    } else {
        meta.len().saturating_mul(4)
    };
    let _held = budget().hold(meta.len().saturating_add(extra));
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => return ScanOutcome::Unreadable(e.to_string()),
    };
    let sha256 = crate::record::hex(&Sha256::digest(&bytes));
    if bytes.starts_with(b"%PDF") {
        return match pdf_pages(&bytes) {
            Ok(pages) => ScanOutcome::Pdf { sha256, pages },
            Err(e) => ScanOutcome::Unreadable(e),
        };
    }
    if crate::csr::is_csr(&bytes) {
        return ScanOutcome::Csr {
            sha256,
            parsed: crate::csr::parse_csr(&bytes).map(Box::new).map_err(|e| e.to_string()),
        };
    }
    if !SCAN_EXTENSIONS.contains(&ext.as_str()) {
        return ScanOutcome::Other { sha256 };
    }
    match decode_image(&bytes) {
        Ok((width, height, format)) => ScanOutcome::Image { sha256, width, height, format },
        Err(e) => ScanOutcome::Unreadable(e),
    }
}

/// The decoded size an image's header announces (under [`limits`]), read without
/// decoding; `None` when the header cannot be read (decoding will then fail quickly).
pub fn decoded_size(path: &Path) -> Option<u64> {
    use image::ImageDecoder;
    let file = std::fs::File::open(path).ok()?;
    let mut reader = image::ImageReader::new(std::io::BufReader::new(file)).with_guessed_format().ok()?;
    reader.limits(limits());
    let decoder = reader.into_decoder().ok()?;
    Some(decoder.total_bytes().min(MAX_ALLOC))
}

/// A shared allowance of bytes: a thread holds its file's share while it reads and
/// decodes, and waits when the others hold too much. A share larger than the whole budget
/// is cut to the budget, so every file is read in the end, alone if need be.
pub struct Budget {
    capacity: u64,
    used: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

/// Bytes held from a [`Budget`], given back when dropped.
pub struct Held<'b> {
    budget: &'b Budget,
    bytes: u64,
}

impl Budget {
    pub const fn new(capacity: u64) -> Budget {
        Budget { capacity, used: std::sync::Mutex::new(0), freed: std::sync::Condvar::new() }
    }

    pub fn hold(&self, bytes: u64) -> Held<'_> {
        let bytes = bytes.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + bytes > self.capacity {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += bytes;
        Held { budget: self, bytes }
    }

    /// Bytes held now (for tests).
    pub fn in_use(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// The process's decoding budget, shared by intake and the archive's masking.
pub fn budget() -> &'static Budget {
    static BUDGET: Budget = Budget::new(DECODE_BUDGET);
    &BUDGET
}

/// Decoding limits that stop decompression bombs.
pub fn limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// Decodes a whole image (a truncated file fails here, not later) under [`limits`].
pub fn decode_image(bytes: &[u8]) -> Result<(u32, u32, &'static str), String> {
    let reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let format = match reader.format() {
        Some(image::ImageFormat::Jpeg) => "jpeg",
        Some(image::ImageFormat::Png) => "png",
        Some(image::ImageFormat::Tiff) => "tiff",
        Some(other) => return Err(format!("{other:?} is not a scan format (JPEG, PNG, TIFF, PDF)")),
        None => return Err("not a JPEG, PNG, TIFF or PDF file".into()),
    };
    // The JPEG decoder pads a cut-off file with grey instead of failing; a scan that lost
    // its end lost part of the page, so insist on the end-of-image marker.
    if format == "jpeg" && !has_jpeg_end(bytes) {
        return Err("truncated JPEG (no end-of-image marker): the file was cut off; copy or scan it again".into());
    }
    let mut reader = reader;
    reader.limits(limits());
    let img = reader.decode().map_err(|e| e.to_string())?;
    Ok((img.width(), img.height(), format))
}

/// Whether a JPEG ends with its EOI marker (FF D9), allowing the padding some scanners
/// append after it.
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|b| !matches!(b, 0x00 | 0x0A | 0x0D | 0x20)).map_or(0, |p| p + 1);
    end >= 2 && bytes[end - 2..end] == [0xFF, 0xD9]
}

/// Page count of a PDF; a file whose structure lopdf cannot read, or that has no pages, is
/// unreadable.
pub fn pdf_pages(bytes: &[u8]) -> Result<u32, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| format!("PDF cannot be read: {e}"))?;
    let pages = doc.get_pages().len() as u32;
    if pages == 0 {
        return Err("PDF has no pages".into());
    }
    Ok(pages)
}

/// Checks every listed path, in parallel; the map is keyed by the normalised path.
pub fn check_all(root: &Path, listed: &BTreeSet<String>, on_done: &(dyn Fn() + Sync)) -> BTreeMap<String, ScanOutcome> {
    listed
        .par_iter()
        .map(|rel| {
            let outcome = check_one(root, rel);
            on_done();
            (rel.clone(), outcome)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_paths_stay_inside_scans() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("a/b.jpg", Ok("a/b.jpg")),
            ("scans/a/b.jpg", Ok("a/b.jpg")),
            ("a\\b.jpg", Ok("a/b.jpg")),
            ("./a//b.jpg", Ok("a/b.jpg")),
            ("../../etc/passwd", Err(())),
            ("a/../../b.jpg", Err(())),
            ("/etc/passwd", Err(())),
            ("C:\\scans\\a.jpg", Err(())),
            ("", Err(())),
        ];
        for (raw, want) in cases {
            let got = normalise_listed_path(raw);
            match want {
                Ok(p) => assert_eq!(got.as_deref(), Ok(*p), "{raw}"),
                Err(()) => assert!(got.is_err(), "{raw} should be refused, got {got:?}"),
            }
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::GrayImage::new(w, h).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn images_decode_and_truncated_ones_do_not() {
        assert_eq!(decode_image(&png(4, 3)), Ok((4, 3, "png")));
        let mut jpeg = Vec::new();
        image::GrayImage::from_fn(64, 64, |x, y| image::Luma([(x * y) as u8]))
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        assert!(decode_image(&jpeg).is_ok());
        assert!(decode_image(&jpeg[..jpeg.len() / 2]).is_err());
        assert!(decode_image(b"hello").is_err());
    }

    #[test]
    fn the_budget_bounds_what_threads_hold_together() {
        let b = std::sync::Arc::new(Budget::new(100));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (b, peak) = (b.clone(), peak.clone());
                s.spawn(move || {
                    let _h = b.hold(30 + i * 20);
                    peak.fetch_max(b.in_use(), std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                });
            }
        });
        assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 100);
        assert_eq!(b.in_use(), 0, "every share is given back");
    }

    #[test]
    fn a_scans_folder_that_is_a_link_is_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("scans")).unwrap();
        let tree = walk(&dir.path().join("scans"));
        assert!(tree.files.is_empty());
        assert_eq!(tree.links, vec![String::new()]);
        assert!(matches!(check_one(&dir.path().join("scans"), "passwd"), ScanOutcome::Refused(_)));
    }

    #[test]
    fn walk_lists_files_and_links_without_following() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x.png"), png(2, 2)).unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
        let tree = walk(dir.path());
        assert_eq!(tree.files.iter().collect::<Vec<_>>(), vec!["a/x.png"]);
        assert_eq!(tree.links, vec!["etc"]);
        assert!(matches!(check_one(dir.path(), "etc/passwd"), ScanOutcome::Refused(_)));
        assert_eq!(check_one(dir.path(), "a/none.png"), ScanOutcome::Missing);
        assert!(matches!(check_one(dir.path(), "a/x.png"), ScanOutcome::Image { width: 2, .. }));
    }
}
