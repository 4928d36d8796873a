//! The contract's columns and their English and Japanese headers.
//!
//! Takes a table's rows, finds the header row (the first of the top rows in which at least
//! three cells name known columns, so a title line above the header is tolerated) and maps
//! each header cell to a column key. Unknown headers are kept out of decisions and reported
//! once; a required column that is absent stops the table with a message naming both
//! spellings the contract allows.

use super::table::{Cell, Table};
use std::collections::BTreeMap;

/// One column of the contract.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub ja: &'static str,
    /// Must be present as a column (values may still be empty where the rules allow).
    pub required: bool,
}

const fn col(key: &'static str, ja: &'static str, required: bool) -> Column {
    Column { key, ja, required }
}

/// The applications sheet, batch contract section 2.
pub const APPLICATIONS: &[Column] = &[
    col("application_id", "申込コード", true),
    col("envelope_id", "封筒番号", true),
    col("product", "商品", true),
    col("cert_type", "証明書種別", true),
    col("term", "有効期間", true),
    col("applied_on", "申込書作成日", true),
    col("received_on", "到着日", true),
    col("name_kanji", "氏名", true),
    col("name_kana", "ふりがな", true),
    col("name_romaji", "氏名ローマ字", true),
    col("former_name", "旧姓", false),
    col("birth_date", "生年月日", true),
    col("postal_code", "郵便番号", true),
    col("address", "住所", true),
    col("email", "メールアドレス", true),
    col("phone", "電話番号", false),
    col("corporate_number", "法人番号", false),
    col("org_name", "組織名", false),
    col("org_kana", "組織名フリガナ", false),
    col("org_representative", "組織代表者氏名", false),
    col("org_address", "組織所在地", false),
    col("delegation", "代理権内容", false),
    col("proxy_name", "代理受取人氏名", false),
    col("proxy_postal_code", "代理受取人郵便番号", false),
    col("proxy_address", "代理受取人住所", false),
    col("payer_name", "振込名義", false),
    col("renewal_of", "更新元シリアル", false),
    col("card_readers", "カードリーダー台数", false),
    col("domains", "ドメイン", false),
    col("csr_file", "CSRファイル", false),
    col("corrects", "訂正", false),
];

/// The documents sheet, batch contract section 2.
pub const DOCUMENTS: &[Column] = &[
    col("application_id", "申込コード", false),
    col("envelope_id", "封筒番号", false),
    col("doc_type", "書類種別", true),
    col("issued_on", "発行日", true),
    col("received_on", "到着日", false),
    col("file", "ファイル", true),
    col("has_my_number", "個人番号記載", false),
    col("mask_region", "マスク範囲", false),
];

/// Headers compared without case, spaces, full-width forms or a trailing `*`.
fn header_key(s: &str) -> String {
    crate::text::to_ascii(s)
        .chars()
        .filter_map(|c| match c {
            ' ' | '*' | '\u{FEFF}' => None,
            '-' => Some('_'),
            c => Some(c),
        })
        .collect::<String>()
        .to_lowercase()
}

/// Where each known column sits in a table, and what else the header holds.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// 1-based row number of the header.
    pub header_row: usize,
    /// Column key → (cell index, header text as written).
    pub index: BTreeMap<&'static str, (usize, String)>,
    /// Headers that name no contract column, as written.
    pub unknown: Vec<String>,
    /// Columns named twice: the first one is used.
    pub repeated: Vec<String>,
    pub width: usize,
}

impl HeaderMap {
    pub fn get(&self, key: &str) -> Option<&(usize, String)> {
        self.index.get(key)
    }
}

/// Why no usable header was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    Empty,
    NoHeaderRow { first_row: String },
    MissingColumns { header_row: usize, missing: Vec<String>, found: Vec<String> },
}

fn lookup(columns: &'static [Column], text: &str) -> Option<&'static Column> {
    let k = header_key(text);
    if k.is_empty() {
        return None;
    }
    columns.iter().find(|c| header_key(c.key) == k || header_key(c.ja) == k)
}

/// Finds the header among the first rows of `table` and maps it.
pub fn map_header(table: &Table, columns: &'static [Column]) -> Result<HeaderMap, HeaderError> {
    let first = table.rows.iter().find(|r| r.cells.iter().any(|c| !c.is_blank()));
    let Some(first) = first else {
        return Err(HeaderError::Empty);
    };
    let candidate =
        table.rows.iter().take(10).find(|r| {
            r.cells.iter().filter(|c| matches!(c, Cell::Text(t) if lookup(columns, t).is_some())).count() >= 3
        });
    let Some(row) = candidate else {
        return Err(HeaderError::NoHeaderRow {
            first_row: first.cells.iter().map(Cell::display).collect::<Vec<_>>().join(", "),
        });
    };
    let mut index = BTreeMap::new();
    let mut unknown = Vec::new();
    let mut repeated = Vec::new();
    for (i, cell) in row.cells.iter().enumerate() {
        let text = cell.display().trim().to_string();
        if text.is_empty() {
            continue;
        }
        match lookup(columns, &text) {
            Some(c) if index.contains_key(c.key) => repeated.push(text),
            Some(c) => {
                index.insert(c.key, (i, text));
            }
            None => unknown.push(text),
        }
    }
    let missing: Vec<String> = columns
        .iter()
        .filter(|c| c.required && !index.contains_key(c.key))
        .map(|c| format!("{} ({})", c.key, c.ja))
        .collect();
    if !missing.is_empty() {
        return Err(HeaderError::MissingColumns {
            header_row: row.number,
            missing,
            found: row.cells.iter().map(Cell::display).filter(|s| !s.is_empty()).collect(),
        });
    }
    let width = row.cells.iter().rposition(|c| !c.is_blank()).map_or(0, |p| p + 1);
    Ok(HeaderMap { header_row: row.number, index, unknown, repeated, width })
}

/// The header error as one sentence naming the place.
pub fn describe(err: &HeaderError, table: &Table) -> String {
    let place = match &table.sheet {
        Some(s) => format!("{}, sheet {s}", table.file),
        None => table.file.clone(),
    };
    match err {
        HeaderError::Empty => format!("{place}: is empty (no header, no rows)"),
        HeaderError::NoHeaderRow { first_row } => format!(
            "{place}: no header row in English or Japanese of the batch contract among the first 10 rows (first row: {first_row})"
        ),
        HeaderError::MissingColumns { header_row, missing, found } => format!(
            "{place}, row {header_row}: required columns missing: {}; headers found: {}",
            missing.join(", "),
            found.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::table::Row;

    fn table(rows: Vec<Vec<&str>>) -> Table {
        Table {
            file: "a.csv".into(),
            sheet: None,
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| Row { number: i + 1, cells: r.into_iter().map(|s| Cell::Text(s.into())).collect() })
                .collect(),
            notes: vec![],
            unreadable_rows: vec![],
        }
    }

    #[test]
    fn english_japanese_and_mixed_headers_map() {
        let cases: &[(&str, Vec<&str>)] = &[
            ("english", vec!["doc_type", "issued_on", "file", "application_id"]),
            ("japanese", vec!["書類種別", "発行日", "ファイル", "申込コード"]),
            ("mixed and spaced", vec!["書類種別", " Issued_On ", "ファイル", "ＡＰＰＬＩＣＡＴＩＯＮ＿ＩＤ"]),
        ];
        for (name, header) in cases {
            let m = map_header(&table(vec![header.clone(), vec!["x"]]), DOCUMENTS).unwrap();
            assert_eq!(m.get("doc_type").map(|x| x.0), Some(0), "{name}");
            assert_eq!(m.get("application_id").map(|x| x.0), Some(3), "{name}");
        }
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let m =
            map_header(&table(vec![vec!["書類一覧 2026-11-20"], vec!["書類種別", "発行日", "ファイル"]]), DOCUMENTS)
                .unwrap();
        assert_eq!(m.header_row, 2);
    }

    #[test]
    fn unknown_and_repeated_headers_are_reported() {
        let m =
            map_header(&table(vec![vec!["書類種別", "発行日", "ファイル", "備考", "doc_type"]]), DOCUMENTS).unwrap();
        assert_eq!(m.unknown, vec!["備考"]);
        assert_eq!(m.repeated, vec!["doc_type"]);
    }

    #[test]
    fn a_header_in_no_known_language_is_refused() {
        let t = table(vec![vec!["Antragsnummer", "Datum", "Datei"]]);
        let err = map_header(&t, DOCUMENTS).unwrap_err();
        assert!(matches!(err, HeaderError::NoHeaderRow { .. }));
        assert!(describe(&err, &t).contains("Antragsnummer"));
    }

    #[test]
    fn a_missing_required_column_names_both_spellings() {
        let t = table(vec![vec!["書類種別", "発行日", "申込コード"]]);
        let err = map_header(&t, DOCUMENTS).unwrap_err();
        assert!(describe(&err, &t).contains("file (ファイル)"), "{}", describe(&err, &t));
    }

    #[test]
    fn an_empty_table_is_refused() {
        assert_eq!(map_header(&table(vec![]), DOCUMENTS).unwrap_err(), HeaderError::Empty);
    }
}
