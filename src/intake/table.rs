//! Raw tables: the cells of one sheet or CSV file, with their spreadsheet row numbers.
//!
//! Takes an xlsx workbook (calamine) or CSV bytes (csv + encoding_rs) and gives rows of
//! [`Cell`]s; nothing is interpreted yet. CSV text is decoded line by line, UTF-8 where a
//! line is valid UTF-8 and Shift_JIS (CP932) otherwise, so a file with mixed encodings is
//! still read whole and the odd lines are named in a [`TableNote`].

use crate::textfile::{csv_records, decode};
use chrono::NaiveDate;
use std::path::Path;

/// One cell as the source holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// A formula error such as `#REF!`.
    Error(String),
}

impl Cell {
    /// The cell as text, for messages and for fields that are text anyway.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based, as the spreadsheet or a text editor shows it.
    pub number: usize,
    pub cells: Vec<Cell>,
}

/// A sheet or a CSV file, not yet split into header and data.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub sheet: Option<String>,
    /// Every row that holds at least one cell, in order (blank ones included: the header
    /// finder and the row accounting decide what blank means).
    pub rows: Vec<Row>,
    pub notes: Vec<TableNote>,
    /// Rows that could not be read at all, with why (a CSV record with a stray quote).
    pub unreadable_rows: Vec<(usize, String)>,
}

/// Something about the whole table worth telling staff (mixed encodings, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNote {
    pub row: Option<usize>,
    pub message: String,
}

/// Why a table could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: not an xlsx workbook ({reason}); save it from the spreadsheet program as .xlsx or as CSV")]
    NotXlsx { file: String, reason: String },
    #[error("{file}: {reason}")]
    TooLarge { file: String, reason: String },
    #[error("{file}: {reason}")]
    Encoding { file: String, reason: String },
}

/// Largest applications file read (a day of 100,000 applications is about 20 MB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest inflated size of one part of a workbook, and of all parts together: a small
/// zip may claim gigabytes (a zip bomb); it is refused before anything is inflated for use.
pub const MAX_XLSX_PART_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_XLSX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
/// Cells kept per sheet and the widest column read. A sheet is read as a stream of its
/// cells, so memory follows what the sheet holds, not the range it claims (one cell at
/// XFD1048576 is one cell, not a 17-billion-cell grid).
pub const MAX_CELLS: usize = 5_000_000;
pub const MAX_COLUMNS: u32 = 256;

/// Reads a file whole, refusing one larger than [`MAX_FILE_BYTES`] before reading it.
pub fn read_capped(path: &Path, shown: &str) -> Result<Vec<u8>, TableError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| TableError::Io { file: shown.into(), source })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| TableError::Io { file: shown.into(), source })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(TableError::TooLarge {
            file: shown.into(),
            reason: format!("is larger than {} MiB; split the day into several folders", MAX_FILE_BYTES >> 20),
        });
    }
    Ok(bytes)
}

/// Inflates every part of the zip into nothing, counting, so a bomb is refused before
/// calamine inflates anything for real (declared sizes can lie, so they are not trusted).
fn check_zip_bounds(bytes: &[u8], shown: &str) -> Result<(), TableError> {
    use std::io::Read;
    let not_xlsx = |reason: String| TableError::NotXlsx { file: shown.into(), reason };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| not_xlsx(e.to_string()))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| not_xlsx(e.to_string()))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let inflated = std::io::copy(&mut (&mut part).take(MAX_XLSX_PART_BYTES + 1), &mut std::io::sink())
            .map_err(|e| not_xlsx(format!("{name}: {e}")))?;
        total += inflated;
        if inflated > MAX_XLSX_PART_BYTES || total > MAX_XLSX_TOTAL_BYTES {
            return Err(TableError::TooLarge {
                file: shown.into(),
                reason: format!(
                    "inflates to more than {} MiB (part {name}); it is not a day's applications (a zip bomb?)",
                    if inflated > MAX_XLSX_PART_BYTES { MAX_XLSX_PART_BYTES } else { MAX_XLSX_TOTAL_BYTES } >> 20
                ),
            });
        }
    }
    Ok(())
}

/// An opened workbook, checked against zip bombs.
pub struct Workbook {
    book: calamine::Xlsx<std::io::Cursor<Vec<u8>>>,
    shown: String,
}

impl Workbook {
    /// Opens a workbook from its bytes.
    pub fn from_bytes(bytes: Vec<u8>, shown: &str) -> Result<Workbook, TableError> {
        check_zip_bounds(&bytes, shown)?;
        use calamine::Reader;
        let book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| TableError::NotXlsx { file: shown.into(), reason: e.to_string() })?;
        Ok(Workbook { book, shown: shown.into() })
    }

    pub fn open(path: &Path, shown: &str) -> Result<Workbook, TableError> {
        Workbook::from_bytes(read_capped(path, shown)?, shown)
    }

    pub fn sheet_names(&self) -> Vec<String> {
        use calamine::Reader;
        self.book.sheet_names()
    }

    /// Reads the first sheet whose name is one of `names` (compared without case), as a
    /// stream of cells. `Ok(None)` when the workbook has no such sheet.
    pub fn sheet(&mut self, names: &[&str]) -> Result<Option<Table>, TableError> {
        let Some(sheet) =
            self.sheet_names().into_iter().find(|s| names.iter().any(|n| s.trim().eq_ignore_ascii_case(n)))
        else {
            return Ok(None);
        };
        let shown = self.shown.clone();
        let bad = |e: calamine::XlsxError| TableError::NotXlsx { file: shown.clone(), reason: e.to_string() };
        let mut reader = self.book.worksheet_cells_reader(&sheet).map_err(bad)?;
        let mut grid: std::collections::BTreeMap<u32, Vec<(u32, Cell)>> = std::collections::BTreeMap::new();
        let mut cells = 0usize;
        let mut wide: Option<(u32, u32)> = None;
        while let Some(cell) = reader.next_cell().map_err(bad)? {
            let (row, col) = cell.get_position();
            let value = cell_from_xlsx(cell.get_value());
            if col >= MAX_COLUMNS {
                if value != Cell::Empty && wide.is_none() {
                    wide = Some((row, col));
                }
                continue;
            }
            cells += 1;
            if cells > MAX_CELLS {
                return Err(TableError::TooLarge {
                    file: shown.clone(),
                    reason: format!(
                        "sheet {sheet} holds more than {MAX_CELLS} cells; split the day into several folders"
                    ),
                });
            }
            grid.entry(row).or_default().push((col, value));
        }
        let mut notes = Vec::new();
        if let Some((row, col)) = wide {
            notes.push(TableNote {
                row: Some(row as usize + 1),
                message: format!(
                    "cells beyond column {} (first at column {}) are not read: no contract column is that far right",
                    MAX_COLUMNS,
                    col + 1
                ),
            });
        }
        let rows = grid
            .into_iter()
            .map(|(row, mut cells)| {
                cells.sort_by_key(|(c, _)| *c);
                let width = cells.last().map_or(0, |(c, _)| *c as usize + 1);
                let mut out = vec![Cell::Empty; width];
                for (c, v) in cells {
                    out[c as usize] = v;
                }
                Row { number: row as usize + 1, cells: out }
            })
            .collect();
        Ok(Some(Table { file: shown, sheet: Some(sheet), rows, notes, unreadable_rows: Vec::new() }))
    }
}

fn cell_from_xlsx(d: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef;
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(t) if !dt.is_duration() => Cell::Date(t.date()),
            _ => Cell::Number(dt.as_f64()),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Reads a CSV file into a table; the header is not interpreted here. Rows are numbered as
/// a spreadsheet shows them, whatever the line endings.
pub fn read_csv(path: &Path, shown: &str) -> Result<Table, TableError> {
    read_csv_bytes(&read_capped(path, shown)?, shown)
}

/// [`read_csv`] on bytes already read.
pub fn read_csv_bytes(bytes: &[u8], shown: &str) -> Result<Table, TableError> {
    let decoded = decode(bytes, shown).map_err(|e| TableError::Encoding { file: e.file, reason: e.reason })?;
    let mut notes = Vec::new();
    if !decoded.odd_lines.is_empty() {
        notes.push(TableNote {
            row: decoded.odd_lines.first().copied(),
            message: format!(
                "mixed encodings: the file is {} but lines {} are in the other encoding; each line was read in its own, check them",
                decoded.encoding,
                list_lines(&decoded.odd_lines)
            ),
        });
    }
    if !decoded.bad_lines.is_empty() {
        notes.push(TableNote {
            row: decoded.bad_lines.first().copied(),
            message: format!(
                "lines {} are neither UTF-8 nor Shift_JIS; unreadable characters are marked on their rows",
                list_lines(&decoded.bad_lines)
            ),
        });
    }
    let records = csv_records(&decoded.text, None);
    for (row, why) in &records.errors {
        notes.push(TableNote { row: Some(*row), message: why.clone() });
    }
    let rows = records
        .records
        .into_iter()
        .map(|r| Row {
            number: r.row,
            cells: r.cells.into_iter().map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s) }).collect(),
        })
        .collect();
    Ok(Table { file: shown.into(), sheet: None, rows, notes, unreadable_rows: records.errors })
}

fn list_lines(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(|l| l.to_string()).collect();
    let more = if lines.len() > 10 { format!(" and {} more", lines.len() - 10) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_display_as_typed() {
        assert_eq!(Cell::Number(1621000.0).display(), "1621000");
        assert_eq!(Cell::Number(1.5).display(), "1.5");
        assert!(Cell::Text("  ".into()).is_blank());
    }
}
