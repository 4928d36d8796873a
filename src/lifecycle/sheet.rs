//! The small CSV files of section 6 (`revocations.csv`, `receipts.csv`): read with the one
//! decoder and record reader, headers in English or Japanese, rows numbered as a spreadsheet
//! shows them, so every problem names its file and row.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One data row: column key → cell (trimmed), with its row number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    pub row: usize,
    pub cells: BTreeMap<&'static str, String>,
}

impl SheetRow {
    /// The cell, `None` when blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.cells.get(key).map(String::as_str).filter(|s| !s.is_empty())
    }
}

/// Reads `path` with `columns` as (English key, Japanese header). A header cell that is
/// neither is an error naming it (a misspelt column would otherwise be ignored silently);
/// blank rows are skipped.
pub fn read(path: &Path, columns: &[(&'static str, &'static str)]) -> Result<Vec<SheetRow>> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
    let decoded = crate::textfile::decode(&bytes, &shown)?;
    let records = crate::textfile::csv_records(&decoded.text, None);
    if let Some((row, why)) = records.errors.first() {
        bail!("{shown}, row {row}: {why}");
    }
    let mut it = records.records.into_iter();
    let Some(header) = it.next() else { return Ok(Vec::new()) };
    let mut keys = Vec::new();
    for (i, h) in header.cells.iter().enumerate() {
        let h = crate::text::fold(h.trim());
        match columns.iter().find(|(en, ja)| *en == h || crate::text::fold(ja) == h) {
            Some((en, _)) => keys.push(Some(*en)),
            None if h.is_empty() => keys.push(None),
            None => bail!(
                "{shown}, row {}, column {}: unknown column {h:?}; the columns are {}",
                header.row,
                i + 1,
                columns.iter().map(|(en, ja)| format!("{en} ({ja})")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
    Ok(it
        .filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        .map(|r| SheetRow {
            row: r.row,
            cells: keys.iter().zip(&r.cells).filter_map(|(k, v)| Some(((*k)?, one_line(v)))).collect(),
        })
        .collect())
}

/// A cell as one line (a line break typed in a cell becomes a space; other control
/// characters are shown, so the value fails its check with a readable message).
fn one_line(v: &str) -> String {
    crate::text::single_line(v.trim()).unwrap_or_else(|_| crate::text::for_display(v.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_or_english_headers_shift_jis_and_crlf_rows_numbered_as_a_spreadsheet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let text = "シリアル番号,reason\r\nab01,no_receipt\r\n\r\n ,\r\nAB:02,その他\r\n";
        std::fs::write(&path, encoding_rs::SHIFT_JIS.encode(text).0).unwrap();
        let rows = read(&path, &[("serial", "シリアル番号"), ("reason", "失効理由")]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].row, rows[0].get("serial")), (2, Some("ab01")));
        assert_eq!((rows[1].row, rows[1].get("reason")), (5, Some("その他")));
        std::fs::write(&path, "serial,reasons\n").unwrap();
        let err = read(&path, &[("serial", "シリアル番号"), ("reason", "失効理由")]).unwrap_err().to_string();
        assert!(err.contains("row 1, column 2: unknown column \"reasons\""), "{err}");
    }
}
