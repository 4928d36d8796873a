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
    /// Files under `scans/` that no row lists.
    pub unlisted_scans: Vec<String>,
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

    let mut rows_read = 0;
    let applications = match &apps_table {
        Some(t) => data_rows(t, APPLICATIONS, &mut notes)?
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
        Some(t) => data_rows(t, DOCUMENTS, &mut notes)?
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
        notes.push(BatchNote {
            location: Location::file(format!("scans/{link}")),
            message: "symbolic link in scans/ ignored (links are not followed)".into(),
        });
    }
    for e in &tree.errors {
        notes.push(BatchNote { location: Location::file("scans/"), message: format!("cannot read: {e}") });
    }
    let unlisted_scans: Vec<String> = tree.files.iter().filter(|f| !listed.contains(*f)).cloned().collect();
    Ok(Batch { name, dir: dir.to_path_buf(), rows_read, applications, documents, scans, unlisted_scans, notes })
}

fn read_tables(dir: &Path) -> Result<(Option<Table>, Option<Table>, Vec<BatchNote>)> {
    let mut notes = Vec::new();
    let xlsx = dir.join("applications.xlsx");
    let apps_csv = dir.join("applications.csv");
    let docs_csv = dir.join("documents.csv");
    if xlsx.exists() && apps_csv.exists() {
        bail!(
            "{}: both applications.xlsx and applications.csv are present; keep one so no row is read twice or missed",
            dir.display()
        );
    }
    if xlsx.exists() {
        let apps = table::read_xlsx_sheet(&xlsx, "applications.xlsx", APPLICATION_SHEETS)?;
        let Some(apps) = apps else {
            bail!(
                "applications.xlsx: no sheet named \"applications\" (sheets found: {})",
                table::xlsx_sheet_names(&xlsx).join(", ")
            );
        };
        let docs = table::read_xlsx_sheet(&xlsx, "applications.xlsx", DOCUMENT_SHEETS)?;
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
    let empty = std::fs::read_dir(dir)?.next().is_none();
    if empty {
        bail!(
            "batch folder {} is empty: expected applications.xlsx or applications.csv and documents.csv",
            dir.display()
        );
    }
    if docs_csv.exists() {
        // A day on which only late documents arrived.
        notes.push(BatchNote {
            location: Location::file("applications.csv"),
            message: "absent: only documents were read".into(),
        });
        return Ok((None, Some(table::read_csv(&docs_csv, "documents.csv")?), notes));
    }
    if dir.join("transfers").is_dir() {
        notes.push(BatchNote {
            location: Location::file("transfers/"),
            message: "only bank statements in this folder".into(),
        });
        return Ok((None, None, notes));
    }
    bail!("batch folder {} has no applications.xlsx and no applications.csv", dir.display());
}

/// The data rows of a table (after its header, blank ones skipped), or `None` for a
/// table with no rows at all. A header that cannot be mapped stops the run.
fn data_rows<'t>(
    t: &'t Table,
    columns: &'static [columns::Column],
    notes: &mut Vec<BatchNote>,
) -> Result<Option<(columns::HeaderMap, Vec<&'t table::Row>)>> {
    let place = Location { file: t.file.clone(), sheet: t.sheet.clone(), row: None, column: None };
    for n in &t.notes {
        notes.push(BatchNote { location: Location { row: n.row, ..place.clone() }, message: n.message.clone() });
    }
    let header = match map_header(t, columns) {
        Ok(h) => h,
        Err(HeaderError::Empty) => {
            notes.push(BatchNote { location: place, message: "is empty: no rows read".into() });
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
    let rows: Vec<&table::Row> =
        t.rows.iter().filter(|r| r.number > header.header_row && r.cells.iter().any(|c| !c.is_blank())).collect();
    if rows.is_empty() {
        notes.push(BatchNote { location: place, message: "has a header but no rows".into() });
    }
    Ok(Some((header, rows)))
}
