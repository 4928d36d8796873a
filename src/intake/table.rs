//! Raw tables: the cells of one sheet or CSV file, with their spreadsheet row numbers.
//!
//! Takes an xlsx workbook (calamine) or CSV bytes (csv + encoding_rs) and gives rows of
//! [`Cell`]s; nothing is interpreted yet. CSV text is decoded line by line, UTF-8 where a
//! line is valid UTF-8 and Shift_JIS (CP932) otherwise, so a file with mixed encodings is
//! still read whole and the odd lines are named in a [`TableNote`].

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
    pub rows: Vec<Row>,
    pub notes: Vec<TableNote>,
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
    #[error("{file}: no sheet named {wanted:?} (sheets found: {found})")]
    NoSheet { file: String, wanted: String, found: String },
    #[error("{file}: {reason}")]
    Encoding { file: String, reason: String },
}

/// Opens an xlsx workbook and reads the first sheet whose name is one of `names`
/// (compared without case). `Ok(None)` when the workbook has no such sheet.
pub fn read_xlsx_sheet(path: &Path, shown: &str, names: &[&str]) -> Result<Option<Table>, TableError> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(path).map_err(|e: calamine::XlsxError| match e {
        calamine::XlsxError::Io(source) => TableError::Io { file: shown.into(), source },
        other => TableError::NotXlsx { file: shown.into(), reason: other.to_string() },
    })?;
    let sheet_names = book.sheet_names();
    let Some(sheet) = sheet_names.iter().find(|s| names.iter().any(|n| s.trim().eq_ignore_ascii_case(n))).cloned()
    else {
        return Ok(None);
    };
    let range =
        book.worksheet_range(&sheet).map_err(|e| TableError::NotXlsx { file: shown.into(), reason: e.to_string() })?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut out = vec![Cell::Empty; first_col];
            out.extend(cells.iter().map(cell_from_xlsx));
            Row { number: first_row + i + 1, cells: out }
        })
        .collect();
    Ok(Some(Table { file: shown.into(), sheet: Some(sheet), rows, notes: Vec::new() }))
}

/// The sheet names of a workbook, for messages.
pub fn xlsx_sheet_names(path: &Path) -> Vec<String> {
    use calamine::{open_workbook, Reader, Xlsx};
    open_workbook::<Xlsx<_>, _>(path).map(|b| b.sheet_names()).unwrap_or_default()
}

fn cell_from_xlsx(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if !dt.is_duration() => Cell::Date(t.date()),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// Text decoded from bytes that may be UTF-8 (with or without BOM) or Shift_JIS (CP932).
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// The encoding most lines were in: `UTF-8` or `Shift_JIS`.
    pub encoding: &'static str,
    /// Lines (1-based) not in the main encoding.
    pub odd_lines: Vec<usize>,
    /// Lines that are neither; they hold U+FFFD where bytes could not be read.
    pub bad_lines: Vec<usize>,
}

/// Decodes line by line. Valid UTF-8 with non-ASCII bytes is practically never meant as
/// Shift_JIS, so each line is UTF-8 when it validates and CP932 otherwise.
pub fn decode_text(bytes: &[u8], shown: &str) -> Result<Decoded, TableError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(TableError::Encoding {
            file: shown.into(),
            reason: "is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or as CSV (Shift_JIS)".into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut utf8_lines = Vec::new();
    let mut sjis_lines = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        if line.is_ascii() {
            text.push_str(std::str::from_utf8(line).expect("ASCII is UTF-8"));
        } else if let Ok(s) = std::str::from_utf8(line) {
            utf8_lines.push(i + 1);
            text.push_str(s);
        } else {
            let (s, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(line);
            if had_errors {
                bad_lines.push(i + 1);
            } else {
                sjis_lines.push(i + 1);
            }
            text.push_str(&s);
        }
    }
    let (encoding, odd_lines) =
        if sjis_lines.len() > utf8_lines.len() { ("Shift_JIS", utf8_lines) } else { ("UTF-8", sjis_lines) };
    Ok(Decoded { text, encoding, odd_lines, bad_lines })
}

/// Reads a CSV file into a table; the header is not interpreted here.
pub fn read_csv(path: &Path, shown: &str) -> Result<Table, TableError> {
    let bytes = std::fs::read(path).map_err(|source| TableError::Io { file: shown.into(), source })?;
    let decoded = decode_text(&bytes, shown)?;
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
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(decoded.text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(rec) => {
                let number = rec.position().map_or(rows.len() + 1, |p| p.line() as usize);
                let cells = rec
                    .iter()
                    .map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) })
                    .collect();
                rows.push(Row { number, cells });
            }
            Err(e) => notes.push(TableNote {
                row: e.position().map(|p| p.line() as usize),
                message: format!("a record could not be read: {e}"),
            }),
        }
    }
    Ok(Table { file: shown.into(), sheet: None, rows, notes })
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
    fn decodes_utf8_with_and_without_bom_and_sjis() {
        let sjis = encoding_rs::SHIFT_JIS.encode("申込コード,氏名\nA1,山田\n").0.into_owned();
        let cases: &[(&str, Vec<u8>, &str)] = &[
            ("utf8", "申込コード\n".as_bytes().to_vec(), "UTF-8"),
            ("utf8 bom", [b"\xEF\xBB\xBF".as_slice(), "申込コード\n".as_bytes()].concat(), "UTF-8"),
            ("sjis", sjis, "Shift_JIS"),
        ];
        for (name, bytes, enc) in cases {
            let d = decode_text(bytes, "x.csv").unwrap();
            assert_eq!(d.encoding, *enc, "{name}");
            assert!(d.text.starts_with("申込コード"), "{name}: {:?}", d.text);
            assert!(d.odd_lines.is_empty() && d.bad_lines.is_empty(), "{name}");
        }
    }

    #[test]
    fn mixed_encodings_are_read_line_by_line_and_named() {
        let mut bytes = encoding_rs::SHIFT_JIS.encode("申込コード,氏名\nA1,山田\nA2,佐藤\n").0.into_owned();
        bytes.extend_from_slice("A3,鈴木\n".as_bytes());
        let d = decode_text(&bytes, "x.csv").unwrap();
        assert_eq!(d.encoding, "Shift_JIS");
        assert_eq!(d.odd_lines, vec![4]);
        assert!(d.text.contains("山田") && d.text.contains("鈴木"));
    }

    #[test]
    fn undecodable_bytes_are_marked() {
        let d = decode_text(b"a,b\n\x81\x20x,y\n", "x.csv").unwrap();
        assert_eq!(d.bad_lines, vec![2]);
        assert!(d.text.contains('\u{FFFD}'));
    }

    #[test]
    fn utf16_is_refused_with_advice() {
        let err = decode_text(&[0xFF, 0xFE, b'a', 0], "x.csv").unwrap_err().to_string();
        assert!(err.contains("UTF-16"), "{err}");
    }

    #[test]
    fn cells_display_as_typed() {
        assert_eq!(Cell::Number(1621000.0).display(), "1621000");
        assert_eq!(Cell::Number(1.5).display(), "1.5");
        assert!(Cell::Text("  ".into()).is_blank());
    }
}
