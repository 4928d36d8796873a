//! Intake: the day's folder read into records, nothing decided yet.
//!
//! Takes `BATCH_DIR` and gives a [`Batch`]: every applications and documents row read into
//! its typed record or into findings that name file, sheet, row and column; every listed
//! scan hashed and decoded; every scan nobody listed, every unknown column and every
//! encoding oddity as a note for the run summary. Only a folder that cannot be read at all
//! (missing, empty, no applications table, a header that is not the contract's) stops the
//! run, before anything is recorded.

pub mod columns;
pub mod fields;
pub mod scans;
pub mod table;

use crate::finding::Location;
use crate::pipelines::Pipelines;
use anyhow::{bail, Result};
use columns::{describe, map_header, HeaderError, APPLICATIONS, DOCUMENTS};
use fields::{read_application, read_document, ReadApplication, ReadDocument};
use scans::ScanOutcome;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use table::Table;

/// Something about the batch as a whole, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchNote {
    pub location: Location,
    pub message: String,
}

/// A file from the batch folder (or the command line), read whole: a bank statement or
/// finance's decisions.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path as shown in messages (`transfers/smbc.csv`).
    pub shown: String,
    pub bytes: Vec<u8>,
}

/// What a table row that is not data was, for the account of every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Header,
    /// Text above the header (a title line such as 「申込一覧 2026-11-20」).
    Title,
    /// A row whose cells are all empty.
    Blank,
    /// A CSV record that could not be read.
    Unreadable,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Header => "header",
            RowKind::Title => "title",
            RowKind::Blank => "blank",
            RowKind::Unreadable => "unreadable",
        }
    }
}

/// The rows of one table that are not applications or documents, so that every row of
/// every input is accounted for in the outputs.
#[derive(Debug, Clone)]
pub struct OtherRows {
    pub file: String,
    pub sheet: Option<String>,
    /// (row, kind, what it held or why it could not be read).
    pub rows: Vec<(usize, RowKind, String)>,
}

/// One day's folder, read.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The folder name: outputs go to `OUT/<name>/`.
    pub name: String,
    pub dir: PathBuf,
    /// Data rows read from both tables (blank rows are not counted).
    pub rows_read: usize,
    pub applications: Vec<ReadApplication>,
    pub documents: Vec<ReadDocument>,
    /// Listed path → what the file is.
    pub scans: BTreeMap<String, ScanOutcome>,
    /// Every file and link under `scans/`, as found.
    pub scan_tree: scans::ScanTree,
    /// Files under `scans/` that no row lists.
    pub unlisted_scans: Vec<String>,
    /// Bank statements under `transfers/`, in path order.
    pub statements: Vec<InputFile>,
    /// Finance's `payment_decisions.csv`, if present.
    pub decisions: Option<InputFile>,
    /// Header, title, blank and unreadable rows of each table.
    pub other_rows: Vec<OtherRows>,
    pub notes: Vec<BatchNote>,
}

const APPLICATION_SHEETS: &[&str] = &["applications", "申込", "申込書"];
const DOCUMENT_SHEETS: &[&str] = &["documents", "書類"];

/// Reads the folder. Fails only when the folder as a whole cannot be read.
pub fn read_batch(dir: &Path, pipelines: &Pipelines) -> Result<Batch> {
    if !dir.is_dir() {
        bail!("batch folder {} does not exist or is not a folder", dir.display());
    }
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "batch".into());
    let (apps_table, docs_table, mut notes) = read_tables(dir)?;
    let mut other_rows = Vec::new();

    let mut rows_read = 0;
    let applications = match &apps_table {
        Some(t) => data_rows(t, APPLICATIONS, &mut notes, &mut other_rows)?
            .map(|(h, rows)| {
                rows.iter()
                    .map(|r| {
                        rows_read += 1;
                        read_application(t, &h, r, pipelines)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let documents: Vec<ReadDocument> = match &docs_table {
        Some(t) => data_rows(t, DOCUMENTS, &mut notes, &mut other_rows)?
            .map(|(h, rows)| {
                rows.iter()
                    .map(|r| {
                        rows_read += 1;
                        read_document(t, &h, r)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    for d in &documents {
        if d.owner.is_none() {
            notes.push(BatchNote {
                location: d.source.clone(),
                message: "document row names neither application_id nor envelope_id; it serves nobody".into(),
            });
        }
    }

    let scans_root = dir.join("scans");
    let listed: BTreeSet<String> = documents
        .iter()
        .filter_map(|d| d.document.as_ref().map(|doc| doc.file.clone()))
        .chain(applications.iter().filter_map(|a| a.application.as_ref().and_then(|a| a.csr_file.clone())))
        .collect();
    let tree = scans::walk(&scans_root);
    let bar = crate::progress::bar(listed.len() as u64, "scans");
    let scans = scans::check_all(&scans_root, &listed, &|| bar.inc(1));
    bar.finish_and_clear();
    for link in &tree.links {
        let (location, message) = if link.is_empty() {
            ("scans/".to_string(), "is itself a symbolic link: nothing under it is read (links are not followed)")
        } else {
            (format!("scans/{link}"), "symbolic link in scans/ ignored (links are not followed)")
        };
        notes.push(BatchNote { location: Location::file(location), message: message.into() });
    }
    for e in &tree.errors {
        notes.push(BatchNote { location: Location::file("scans/"), message: format!("cannot read: {e}") });
    }
    let unlisted_scans: Vec<String> = tree.files.iter().filter(|f| !listed.contains(*f)).cloned().collect();
    let statements = read_transfers(&dir.join("transfers"), &mut notes)?;
    let decisions_path = dir.join("payment_decisions.csv");
    refuse_link(&decisions_path, "payment_decisions.csv")?;
    let decisions = if decisions_path.is_file() {
        Some(InputFile {
            shown: "payment_decisions.csv".into(),
            bytes: table::read_capped(&decisions_path, "payment_decisions.csv")?,
        })
    } else {
        None
    };
    Ok(Batch {
        name,
        dir: dir.to_path_buf(),
        rows_read,
        applications,
        documents,
        scans,
        scan_tree: tree,
        unlisted_scans,
        statements,
        decisions,
        other_rows,
        notes,
    })
}

/// Every file under `transfers/` (any depth, in path order), without following links: a
/// link is named in the notes and not read.
pub fn read_transfers(dir: &Path, notes: &mut Vec<BatchNote>) -> Result<Vec<InputFile>> {
    let mut out = Vec::new();
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        notes.push(BatchNote {
            location: Location::file("transfers/"),
            message: "is itself a symbolic link: no statement is read (links are not followed)".into(),
        });
        return Ok(out);
    }
    if !dir.is_dir() {
        return Ok(out);
    }
    let base = dir.parent().unwrap_or(dir);
    for entry in walkdir::WalkDir::new(dir).follow_links(false).follow_root_links(false).sort_by_file_name() {
        let entry = entry?;
        let shown = entry.path().strip_prefix(base).unwrap_or(entry.path()).display().to_string();
        if entry.path_is_symlink() {
            notes.push(BatchNote {
                location: Location::file(shown),
                message: "symbolic link in transfers/ ignored (links are not followed)".into(),
            });
        } else if entry.file_type().is_file() {
            let bytes = table::read_capped(entry.path(), &shown)?;
            out.push(InputFile { shown, bytes });
        }
    }
    Ok(out)
}

/// Refuses a path in the batch folder that is a symbolic link: links are never followed
/// (a `scans -> /` link would otherwise walk the whole machine).
pub fn refuse_link(path: &Path, shown: &str) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!("{shown} is a symbolic link; links are not followed: copy the file into the batch folder");
    }
    Ok(())
}

fn read_tables(dir: &Path) -> Result<(Option<Table>, Option<Table>, Vec<BatchNote>)> {
    let mut notes = Vec::new();
    let xlsx = dir.join("applications.xlsx");
    let apps_csv = dir.join("applications.csv");
    let docs_csv = dir.join("documents.csv");
    for (path, shown) in [(&xlsx, "applications.xlsx"), (&apps_csv, "applications.csv"), (&docs_csv, "documents.csv")] {
        refuse_link(path, shown)?;
    }
    if xlsx.exists() && apps_csv.exists() {
        bail!(
            "{}: both applications.xlsx and applications.csv are present; keep one so no row is read twice or missed",
            dir.display()
        );
    }
    if xlsx.exists() {
        let mut book = table::Workbook::open(&xlsx, "applications.xlsx")?;
        let Some(apps) = book.sheet(APPLICATION_SHEETS)? else {
            bail!(
                "applications.xlsx: no sheet named \"applications\" (sheets found: {})",
                book.sheet_names().join(", ")
            );
        };
        let docs = book.sheet(DOCUMENT_SHEETS)?;
        if docs.is_none() {
            notes.push(BatchNote {
                location: Location::file("applications.xlsx"),
                message: "no sheet named \"documents\": no documents were read".into(),
            });
        }
        if docs_csv.exists() {
            bail!("{}: documents are both in applications.xlsx and documents.csv; keep one", dir.display());
        }
        return Ok((Some(apps), docs, notes));
    }
    if apps_csv.exists() {
        let apps = table::read_csv(&apps_csv, "applications.csv")?;
        let docs = if docs_csv.exists() {
            Some(table::read_csv(&docs_csv, "documents.csv")?)
        } else {
            notes.push(BatchNote {
                location: Location::file("documents.csv"),
                message: "absent: no documents were read".into(),
            });
            None
        };
        return Ok((Some(apps), docs, notes));
    }
    if docs_csv.exists() {
        // A day on which only late documents arrived.
        notes.push(BatchNote {
            location: Location::file("applications.csv"),
            message: "absent: only documents were read".into(),
        });
        return Ok((None, Some(table::read_csv(&docs_csv, "documents.csv")?), notes));
    }
    // A day with nothing but statements, or nothing at all: an ordinary quiet day.
    let what = if dir.join("transfers").is_dir() {
        "only bank statements in this folder"
    } else {
        "nothing to read in this folder"
    };
    notes.push(BatchNote { location: Location::file("applications.csv"), message: format!("absent: {what}") });
    Ok((None, None, notes))
}

/// The data rows of a table (after its header, blank ones skipped), or `None` for a
/// table with no rows at all. A header that cannot be mapped stops the run. Every other
/// row (header, title above it, blank, unreadable) goes to `other`.
fn data_rows<'t>(
    t: &'t Table,
    columns: &'static [columns::Column],
    notes: &mut Vec<BatchNote>,
    other: &mut Vec<OtherRows>,
) -> Result<Option<(columns::HeaderMap, Vec<&'t table::Row>)>> {
    let place = Location { file: t.file.clone(), sheet: t.sheet.clone(), row: None, column: None };
    for n in &t.notes {
        notes.push(BatchNote { location: Location { row: n.row, ..place.clone() }, message: n.message.clone() });
    }
    let mut rows_of = OtherRows { file: t.file.clone(), sheet: t.sheet.clone(), rows: Vec::new() };
    for (row, why) in &t.unreadable_rows {
        rows_of.rows.push((*row, RowKind::Unreadable, why.clone()));
    }
    let header = match map_header(t, columns) {
        Ok(h) => h,
        Err(HeaderError::Empty) => {
            notes.push(BatchNote { location: place, message: "is empty: no rows read".into() });
            other.push(rows_of);
            return Ok(None);
        }
        Err(e) => bail!("{}", describe(&e, t)),
    };
    if !header.unknown.is_empty() {
        notes.push(BatchNote {
            location: Location { row: Some(header.header_row), ..place.clone() },
            message: format!("columns not in the contract, kept out of decisions: {}", header.unknown.join(", ")),
        });
    }
    if !header.repeated.is_empty() {
        notes.push(BatchNote {
            location: Location { row: Some(header.header_row), ..place.clone() },
            message: format!("columns named twice, only the first is read: {}", header.repeated.join(", ")),
        });
    }
    let mut rows: Vec<&table::Row> = Vec::new();
    for r in &t.rows {
        let blank = r.cells.iter().all(|c| c.is_blank());
        let shown = || crate::text::for_display(&r.cells.iter().map(|c| c.display()).collect::<Vec<_>>().join(","));
        if r.number == header.header_row {
            rows_of.rows.push((r.number, RowKind::Header, String::new()));
        } else if blank {
            rows_of.rows.push((r.number, RowKind::Blank, String::new()));
        } else if r.number < header.header_row {
            rows_of.rows.push((r.number, RowKind::Title, shown()));
        } else {
            rows.push(r);
        }
    }
    rows_of.rows.sort_by_key(|(row, _, _)| *row);
    other.push(rows_of);
    if rows.is_empty() {
        notes.push(BatchNote { location: place, message: "has a header but no rows".into() });
    }
    Ok(Some((header, rows)))
}
