//! Online-banking CSV exports, described by bank profiles (`banks/*.toml`) rather than
//! code, because banks rename columns and add preamble lines without notice and finance
//! must be able to follow them without a release.
//!
//! A profile names the header cells that identify its export and the columns to read.
//! Any column name may list alternatives as `a|b` (SMBC's old `年月日` and newer
//! `お取引日` are one profile, so a credit keeps its identity whichever header the export
//! had). Header names are compared after full-width → ASCII and with spaces removed.
//!
//! Encoding: a UTF-8 BOM, or bytes that are valid UTF-8, mean UTF-8; anything else is
//! read as Shift_JIS (CP932). The profile's `encoding` is what the bank writes, but a
//! spreadsheet re-save changes it, and Japanese Shift_JIS text is practically never valid
//! UTF-8, so the bytes decide.
//!
//! Identity (de-duplication across re-imports and overlapping re-exports): with a stable
//! id column `profile|account|id:ID`; otherwise `profile|account|date|amount|raw
//! description|balance`. Two equal payments on one day differ by their balance; where an
//! export has no balance, a repeat within one file gets `#2`, `#3`.

use crate::bank::model::Credit;
use crate::bank::model::{yen_for_backslash, Statement, StatementError};
use crate::text::to_ascii;
use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// How far into a file the header line is looked for when the profile does not fix it.
const HEADER_SEARCH_LINES: usize = 50;

/// One bank's CSV export layout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankProfile {
    /// What `--bank` takes and what credits carry as `source_format` (`smbc`, `yucho`…).
    pub id: String,
    pub name: String,
    /// `shift_jis` (also `cp932`) or `utf-8`: what the bank writes.
    pub encoding: String,
    /// Lines before the header when the bank always writes the same number; `None`
    /// finds the header line by its names within the first 50 lines.
    #[serde(default)]
    pub preamble_lines: Option<usize>,
    /// Header cells that identify this export (all must be present, any order).
    pub header: Vec<String>,
    /// The date column; or `date_columns` = [year, month, day] for split dates.
    #[serde(default)]
    pub date_column: Option<String>,
    #[serde(default)]
    pub date_columns: Option<Vec<String>>,
    /// chrono formats (`%Y/%m/%d`, `%Y%m%d`, `%Y年%m月%d日`…) or `era` for 令和/平成 dates
    /// (`令和8年11月20日`, `R8.11.20`), tried in order. Split dates are joined with `/`.
    pub date_formats: Vec<String>,
    /// The column holding the amount received.
    pub credit_column: String,
    /// Where one amount column serves both directions (MUFG BizSTATION): the column
    /// saying which, and the values that mean a credit.
    #[serde(default)]
    pub direction_column: Option<String>,
    #[serde(default)]
    pub credit_values: Vec<String>,
    /// The column holding the payer's name (often inside a description).
    pub payer_column: String,
    /// Prefixes the bank writes before the name (`振込`, `ﾌﾘｺﾐ`), stripped with the
    /// spaces or `*` after them; the longest that matches goes.
    #[serde(default)]
    pub payer_prefixes: Vec<String>,
    #[serde(default)]
    pub payer_code_column: Option<String>,
    #[serde(default)]
    pub edi_column: Option<String>,
    /// A transaction id column, and whether it survives a re-export (ゆうちょ renumbers
    /// its 入出金明細ID per export: not stable, so not used for identity).
    #[serde(default)]
    pub id_column: Option<String>,
    #[serde(default)]
    pub id_is_stable: bool,
    #[serde(default)]
    pub balance_column: Option<String>,
    /// The account this export is for (exports seldom say so in their rows).
    #[serde(default)]
    pub account: Option<String>,
}

/// Reads every `*.toml` directly under `dir`, sorted by file name. One bad profile fails
/// the load, naming the file: a silently missing bank would leave its credits unread.
pub fn load_profiles(dir: &Path) -> Result<Vec<BankProfile>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot list bank profiles: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut profiles: Vec<BankProfile> = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{shown}: {e}"))?;
        let profile = parse_profile(&text, &shown)?;
        if let Some(other) = profiles.iter().find(|p| p.id == profile.id) {
            return Err(format!("{shown}: profile id \"{}\" is already used by \"{}\"", profile.id, other.name));
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

/// Parses and checks one profile; `file` names it in messages.
pub fn parse_profile(text: &str, file: &str) -> Result<BankProfile, String> {
    let p: BankProfile = crate::pipelines::parse_toml(file, text)?;
    let bad = |why: String| Err(format!("{file}: {why}"));
    if p.id.trim().is_empty() || p.id == crate::bank::model::ZENGIN_FORMAT {
        return bad(format!("id \"{}\" cannot name a bank profile", p.id));
    }
    if !matches!(p.encoding.to_ascii_lowercase().as_str(), "shift_jis" | "cp932" | "utf-8") {
        return bad(format!("encoding \"{}\" is not shift_jis, cp932 or utf-8", p.encoding));
    }
    if p.header.is_empty() {
        return bad("header lists no cell to recognise the export by".into());
    }
    match (&p.date_column, &p.date_columns) {
        (Some(_), None) => {}
        (None, Some(cols)) if cols.len() == 3 => {}
        (None, Some(_)) => return bad("date_columns must name year, month and day".into()),
        _ => return bad("give either date_column or date_columns".into()),
    }
    if p.date_formats.is_empty() {
        return bad("date_formats is empty".into());
    }
    for f in &p.date_formats {
        if f != "era" && StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
            return bad(format!("date format \"{f}\" is not a chrono format"));
        }
    }
    if p.direction_column.is_some() && p.credit_values.is_empty() {
        return bad("direction_column needs credit_values".into());
    }
    Ok(p)
}

/// The profile whose header line the file has (after any preamble); when several match,
/// the one naming the most header cells, being the most specific.
pub fn detect<'p>(bytes: &[u8], profiles: &'p [BankProfile]) -> Option<&'p BankProfile> {
    let text = decode(bytes);
    let rows = rows(&text, Some(HEADER_SEARCH_LINES));
    for row in &rows.rows {
        let best = profiles
            .iter()
            .filter(|p| header_matches(p, row))
            .max_by_key(|p| (p.header.len(), std::cmp::Reverse(p.id.clone())));
        if best.is_some() {
            return best;
        }
    }
    None
}

/// The line to show when no profile recognised a file: the first line with several
/// cells (a header is), else the first non-blank one.
pub fn header_guess(bytes: &[u8]) -> String {
    let text = decode(bytes);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(HEADER_SEARCH_LINES).collect();
    let line = lines.iter().find(|l| l.matches(',').count() >= 2).or(lines.first()).copied().unwrap_or("(empty file)");
    let shown: String = line.chars().take(160).collect();
    if shown.len() < line.len() {
        format!("{shown}…")
    } else {
        shown
    }
}

/// Reads a CSV export with `profile`. Rows that cannot be read become problems naming
/// `file:line`; the rest are read.
pub fn parse_csv(bytes: &[u8], file: &str, profile: &BankProfile) -> Result<Statement, StatementError> {
    let text = decode(bytes);
    let all = rows(&text, None);
    let header_at =
        all.rows.iter().take(HEADER_SEARCH_LINES).position(|row| header_matches(profile, row)).ok_or_else(|| {
            StatementError::HeaderNotFound {
                file: file.to_string(),
                profile: profile.id.clone(),
                found: header_guess(bytes),
            }
        })?;
    let header = &all.rows[header_at];
    let columns = Columns::find(profile, header).map_err(|column| StatementError::MissingColumn {
        file: file.to_string(),
        line: header.line,
        profile: profile.id.clone(),
        column,
    })?;
    let mut statement = Statement { format: profile.id.clone(), ..Statement::default() };
    statement.problems.extend(all.errors.iter().map(|(line, e)| format!("{file}:{line}: {e}")));
    for (i, row) in all.rows.iter().enumerate() {
        let blank = row.cells.iter().all(|c| c.trim().is_empty());
        let kind = match i.cmp(&header_at) {
            std::cmp::Ordering::Less => "preamble",
            std::cmp::Ordering::Equal => "header",
            std::cmp::Ordering::Greater if blank => "blank",
            std::cmp::Ordering::Greater => "data",
        };
        statement.records.push((row.line, kind));
    }
    statement.records.extend(all.blank_rows.iter().map(|r| (*r, "blank")));
    statement.records.extend(all.errors.iter().map(|(r, _)| (*r, "data")));
    statement.records.sort();
    let account = profile.account.clone().unwrap_or_default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &all.rows[header_at + 1..] {
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match read_row(profile, &columns, row) {
            Ok(RowOutcome::NotCredit) => statement.debits_skipped += 1,
            Ok(RowOutcome::Credit(r)) => {
                let base = match &r.stable_id {
                    Some(id) => format!("{}|{account}|id:{id}", profile.id),
                    None => format!("{}|{account}|{}|{}|{}|{}", profile.id, r.date, r.amount, r.description, r.balance),
                };
                let n = seen.entry(base.clone()).or_insert(0);
                *n += 1;
                let id = if *n == 1 { base } else { format!("{base}#{n}") };
                statement.credits.push(Credit {
                    id,
                    source_format: profile.id.clone(),
                    account: account.clone(),
                    date: r.date,
                    amount: r.amount,
                    payer_raw: r.payer,
                    payer_code: r.payer_code,
                    edi: r.edi,
                    origin: format!("{file}:{}", row.line),
                });
            }
            Err(reason) => statement.problems.push(format!("{file}:{}: {reason}", row.line)),
        }
    }
    Ok(statement)
}

/// The bytes as text, by the one decoder (UTF-8 or Shift_JIS, line by line); a file that
/// is not text at all (UTF-16) reads as nothing, so no profile recognises it.
fn decode(bytes: &[u8]) -> String {
    crate::textfile::decode(bytes, "").map(|d| d.text).unwrap_or_default()
}

/// A CSV record and the row it is, as a spreadsheet numbers it.
struct Row {
    line: usize,
    cells: Vec<String>,
}

struct Rows {
    rows: Vec<Row>,
    blank_rows: Vec<usize>,
    errors: Vec<(usize, String)>,
}

/// Every record of the text; `limit` stops early (header search).
fn rows(text: &str, limit: Option<usize>) -> Rows {
    let r = crate::textfile::csv_records(text, limit);
    Rows {
        rows: r.records.into_iter().map(|r| Row { line: r.row, cells: r.cells }).collect(),
        blank_rows: r.blank_rows,
        errors: r.errors,
    }
}

/// A header name for comparison: full-width → ASCII, no spaces, no BOM.
fn norm_name(s: &str) -> String {
    to_ascii(s).chars().filter(|c| !c.is_whitespace() && *c != '\u{FEFF}').collect()
}

fn header_matches(profile: &BankProfile, row: &Row) -> bool {
    let cells: Vec<String> = row.cells.iter().map(|c| norm_name(c)).collect();
    profile.header.iter().all(|spec| column_index(&cells, spec).is_some())
        && profile.preamble_lines.is_none_or(|n| row.line == n + 1)
}

/// The index of the column `spec` names (`a|b` = either), in normalised header cells.
fn column_index(cells: &[String], spec: &str) -> Option<usize> {
    spec.split('|').find_map(|alt| {
        let alt = norm_name(alt);
        cells.iter().position(|c| *c == alt)
    })
}

/// Column indexes of one export's header.
struct Columns {
    date: Vec<usize>,
    credit: usize,
    direction: Option<usize>,
    payer: usize,
    payer_code: Option<usize>,
    edi: Option<usize>,
    id: Option<usize>,
    balance: Option<usize>,
}

impl Columns {
    /// Required columns must exist (the error is the missing name); optional ones are
    /// used when the export has them (`generic`'s `id` is optional).
    fn find(p: &BankProfile, header: &Row) -> Result<Self, String> {
        let cells: Vec<String> = header.cells.iter().map(|c| norm_name(c)).collect();
        let need = |spec: &String| column_index(&cells, spec).ok_or_else(|| spec.clone());
        let want = |spec: &Option<String>| spec.as_ref().and_then(|s| column_index(&cells, s));
        let date = match (&p.date_column, &p.date_columns) {
            (Some(c), _) => vec![need(c)?],
            (None, Some(cs)) => cs.iter().map(need).collect::<Result<_, _>>()?,
            (None, None) => return Err("date_column".into()),
        };
        let direction = match &p.direction_column {
            Some(c) => Some(need(c)?),
            None => None,
        };
        Ok(Columns {
            date,
            credit: need(&p.credit_column)?,
            direction,
            payer: need(&p.payer_column)?,
            payer_code: want(&p.payer_code_column),
            edi: want(&p.edi_column),
            id: if p.id_is_stable { want(&p.id_column) } else { None },
            balance: want(&p.balance_column),
        })
    }
}

enum RowOutcome {
    NotCredit,
    Credit(CreditRow),
}

struct CreditRow {
    date: NaiveDate,
    amount: i64,
    payer: String,
    /// The payer cell as written (prefix included, `\` as ¥), for identity.
    description: String,
    balance: String,
    stable_id: Option<String>,
    payer_code: Option<String>,
    edi: Option<String>,
}

fn read_row(p: &BankProfile, c: &Columns, row: &Row) -> Result<RowOutcome, String> {
    let cell = |i: usize| row.cells.get(i).map(|s| s.trim()).unwrap_or("");
    if let Some(d) = c.direction {
        let value = norm_name(cell(d));
        if !p.credit_values.iter().any(|v| norm_name(v) == value) {
            return Ok(RowOutcome::NotCredit);
        }
    }
    let amount = match parse_amount(cell(c.credit)) {
        Ok(None) | Ok(Some(0)) => return Ok(RowOutcome::NotCredit),
        Ok(Some(n)) if n < 0 => {
            return Err(format!("a negative amount {n} in the credit column (a correction?) was not imported"))
        }
        Ok(Some(n)) => n,
        Err(e) => return Err(e),
    };
    let raw_date = c.date.iter().map(|&i| cell(i)).collect::<Vec<_>>().join("/");
    let date =
        parse_date(&raw_date, &p.date_formats).ok_or_else(|| format!("the date \"{raw_date}\" cannot be read"))?;
    let description = yen_for_backslash(cell(c.payer));
    let payer = strip_prefix(&description, &p.payer_prefixes);
    let balance = c.balance.map_or_else(
        || "-".to_string(),
        |i| match parse_amount(cell(i)) {
            Ok(Some(n)) => n.to_string(),
            _ => cell(i).to_string(),
        },
    );
    let optional = |i: Option<usize>| i.map(|i| cell(i).to_string()).filter(|s| !s.is_empty());
    // A row without an id (a hand-made list) falls back to the date-amount-name identity.
    let stable_id = optional(c.id);
    Ok(RowOutcome::Credit(CreditRow {
        date,
        amount,
        payer,
        description,
        balance,
        stable_id,
        payer_code: optional(c.payer_code),
        edi: optional(c.edi).map(|s| yen_for_backslash(&s)),
    }))
}

/// The name after the longest matching prefix and the separators that follow it.
fn strip_prefix(description: &str, prefixes: &[String]) -> String {
    let mut sorted: Vec<&String> = prefixes.iter().collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    let trimmed = description.trim_matches([' ', '\u{3000}']);
    let rest = sorted.iter().find_map(|p| trimmed.strip_prefix(p.as_str())).unwrap_or(trimmed);
    rest.trim_matches([' ', '\u{3000}', '*', '＊']).to_string()
}

/// An amount as exports write it: `11,000`, `¥11,000`, `\11,000` (Shift_JIS ¥),
/// `１１，０００円`, `-500` or `▲500`; `Ok(None)` when empty.
pub(crate) fn parse_amount(raw: &str) -> Result<Option<i64>, String> {
    let ascii = to_ascii(raw);
    let mut s: String = ascii.chars().filter(|c| !matches!(c, ',' | '¥' | '￥' | '\\' | '円' | ' ' | '+')).collect();
    if s.is_empty() || s == "-" {
        return Ok(None);
    }
    let negative = s.starts_with(['-', '▲', '△', '−']);
    if negative {
        s = s.chars().skip(1).collect();
    }
    // Spreadsheet re-saves turn 11000 into 11000.0 or 11000.00.
    if let Some((whole, fraction)) = s.split_once('.') {
        if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') {
            s = whole.to_string();
        }
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the amount \"{raw}\" cannot be read"));
    }
    let n: i64 = s.parse().map_err(|_| format!("the amount \"{raw}\" is too large"))?;
    Ok(Some(if negative { -n } else { n }))
}

/// A date by the profile's formats, full-width digits allowed; a time after the date is
/// ignored.
pub(crate) fn parse_date(raw: &str, formats: &[String]) -> Option<NaiveDate> {
    let s = to_ascii(raw.trim());
    let date_only = s.split_whitespace().next().unwrap_or("");
    [s.as_str(), date_only].iter().find_map(|candidate| {
        formats.iter().find_map(|f| {
            if f == "era" {
                parse_era(candidate)
            } else {
                NaiveDate::parse_from_str(candidate, f).ok()
            }
        })
    })
}

/// `令和8年11月20日`, `令和元年5月1日`, `R8.11.20`, `R08/11/20`, `H31.4.30`.
fn parse_era(s: &str) -> Option<NaiveDate> {
    crate::jpdate::parse_era_date(s, crate::jpdate::RECENT_ERAS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::testutil::{shipped_profiles, sjis, sjis_csv};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn profile<'p>(profiles: &'p [BankProfile], id: &str) -> &'p BankProfile {
        profiles.iter().find(|p| p.id == id).unwrap()
    }

    fn credits(s: &Statement) -> Vec<(NaiveDate, i64, &str)> {
        s.credits.iter().map(|c| (c.date, c.amount, c.payer_raw.as_str())).collect()
    }

    #[test]
    fn shipped_profiles_load() {
        let ids: Vec<String> = shipped_profiles().into_iter().map(|p| p.id).collect();
        assert_eq!(ids, ["generic", "mizuho", "mufg-bizstation", "mufg", "smbc", "yucho"]);
    }

    #[test]
    fn bad_profiles_are_refused_naming_the_file() {
        let base = r#"
            id = "x"
            name = "X"
            encoding = "utf-8"
            header = ["a"]
            date_column = "a"
            date_formats = ["%Y-%m-%d"]
            credit_column = "b"
            payer_column = "c"
        "#;
        assert!(parse_profile(base, "x.toml").is_ok());
        let cases = [
            ("unknown field", format!("{base}\nbalance_colum = \"d\""), "unknown field"),
            ("encoding", base.replace("utf-8", "euc-jp"), "encoding"),
            ("no header", base.replace("[\"a\"]", "[]"), "header"),
            ("both date forms", format!("{base}\ndate_columns = [\"y\", \"m\", \"d\"]"), "either date_column"),
            ("bad format", base.replace("%Y-%m-%d", "%Q"), "chrono format"),
            ("direction without values", format!("{base}\ndirection_column = \"k\""), "credit_values"),
            ("reserved id", base.replace("id = \"x\"", "id = \"zengin\""), "cannot name"),
        ];
        for (case, text, want) in cases {
            let err = parse_profile(&text, "banks/x.toml").unwrap_err();
            assert!(err.starts_with("banks/x.toml") && err.contains(want), "{case}: {err}");
        }
    }

    /// Every shipped profile against an export of its bank: (case, profile, file bytes,
    /// credits, debits skipped).
    #[test]
    fn every_bank_profile_reads_its_export() {
        let profiles = shipped_profiles();
        // `\11,000`: Shift_JIS 0x5C is the yen sign in front of an amount.
        let mut smbc_old = sjis_csv(&[
            "年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ",
            "2026/11/18,,\"11,000\",ﾌﾘｺﾐ ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,\"1,011,000\",",
            "2026/11/19,\"3,300\",,ﾃｽｳﾘﾖｳ,\"1,007,700\",",
        ]);
        smbc_old.extend(sjis("2026/11/20,,\""));
        smbc_old.push(0x5C);
        smbc_old.extend(sjis("22,000\",振込　ﾔﾏﾀﾞ ﾀﾛｳ,\"1,029,700\",\r\n"));
        type Credits = Vec<(NaiveDate, i64, &'static str)>;
        let cases: Vec<(&str, &str, Vec<u8>, Credits, usize)> = vec![
            (
                "SMBC, 年月日 header",
                "smbc",
                smbc_old,
                vec![(d(2026, 11, 18), 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"), (d(2026, 11, 20), 22_000, "ﾔﾏﾀﾞ ﾀﾛｳ")],
                1,
            ),
            (
                "SMBC, お取引日 header",
                "smbc",
                sjis_csv(&[
                    "お取引日,お引出し,お預入れ,お取り扱い内容,残高,メモ",
                    "2026/11/18,,\"11,000\",ﾌﾘｺﾐ ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,\"1,011,000\",",
                ]),
                vec![(d(2026, 11, 18), 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")],
                0,
            ),
            (
                "MUFG",
                "mufg",
                sjis_csv(&[
                    "日付,摘要,摘要内容,支払い金額,預かり金額,差引残高,メモ,未資金化区分,入払区分",
                    "2026/11/20,振込１,ﾔﾏﾀﾞ ﾀﾛｳ,,\"16,500\",\"216,500\",,,入金",
                    "2026/11/20,カ－ド,,\"10,000\",,\"206,500\",,,出金",
                    "2026/11/21,振込１,ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,,\"１１，０００\",\"217,500\",,,入金",
                ]),
                vec![(d(2026, 11, 20), 16_500, "ﾔﾏﾀﾞ ﾀﾛｳ"), (d(2026, 11, 21), 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")],
                1,
            ),
            (
                "MUFG BizSTATION, with preamble and era dates",
                "mufg-bizstation",
                sjis_csv(&[
                    "\"入出金明細\"",
                    "\"照会口座\",\"新宿支店 普通 1234567\"",
                    "",
                    "取引日,入払区分,取引区分,取引金額,小切手番号,振込依頼人番号,振込依頼人名,仕向金融機関名,仕向支店名,摘要,EDI情報",
                    "令和8年11月19日,入金,振込,\"33,000\",,0001234567,ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,ﾐｽﾞﾎ,ｼﾌﾞﾔ,,INV-42",
                    "令和8年11月20日,出金,振込,\"5,000\",,,ｶ)ﾃﾞﾝﾘﾖｸ,,,,",
                    "2026/11/20,入金,振込,\"8,800\",,,ﾔﾏﾀﾞ ﾀﾛｳ,ﾐﾂｲｽﾐﾄﾓ,ﾎﾝﾃﾝ,,",
                ]),
                vec![(d(2026, 11, 19), 33_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"), (d(2026, 11, 20), 8_800, "ﾔﾏﾀﾞ ﾀﾛｳ")],
                1,
            ),
            (
                "Mizuho, with preamble",
                "mizuho",
                sjis_csv(&[
                    "\"お取引明細\"",
                    "\"照会口座\",\"本店 普通 1234567\"",
                    "\"照会期間\",\"2026年11月01日～2026年11月20日\"",
                    "",
                    "日付,お引出金額,お預入金額,お取引内容,残高",
                    "2026.11.19,,\"44,000\",振込 ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,\"1,044,000\"",
                    "2026.11.20,\"1,100\",,ﾃｽｳﾘﾖｳ,\"1,042,900\"",
                ]),
                vec![(d(2026, 11, 19), 44_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")],
                1,
            ),
            (
                "ゆうちょ, with preamble",
                "yucho",
                sjis_csv(&[
                    "\"口座番号\",\"10100-12345671\"",
                    "\"照会期間\",\"20261101\",\"20261120\"",
                    "",
                    "取引日,入出金明細ID,受入金額(円),払出金額(円),詳細1,詳細2,現在(貸付)高",
                    "20261118,1,11000,,振込,ﾔﾏﾀﾞ ﾀﾛｳ,511000",
                    "20261119,2,,2000,振替,ｶ)ﾃﾞﾝﾘﾖｸ,509000",
                ]),
                vec![(d(2026, 11, 18), 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ")],
                1,
            ),
            (
                "generic, UTF-8 with BOM",
                "generic",
                "\u{FEFF}date,amount,payer_name,id\n2026-11-20,11000,ﾔﾏﾀﾞ ﾀﾛｳ,TX-1\n2026-11-21,\"2,200\",ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,TX-2\n"
                    .as_bytes()
                    .to_vec(),
                vec![(d(2026, 11, 20), 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (d(2026, 11, 21), 2_200, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ")],
                0,
            ),
            (
                "generic, UTF-8 without BOM or id",
                "generic",
                b"date,amount,payer_name\n2026/11/20,5000,ABC SHOKAI\n".to_vec(),
                vec![(d(2026, 11, 20), 5_000, "ABC SHOKAI")],
                0,
            ),
        ];
        for (case, id, bytes, want, debits) in cases {
            let detected = detect(&bytes, &profiles).map(|p| p.id.as_str());
            assert_eq!(detected, Some(id), "{case}: detected");
            let s = parse_csv(&bytes, "bank.csv", profile(&profiles, id)).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(s.format, id, "{case}");
            assert_eq!(credits(&s), want, "{case}");
            assert_eq!(s.debits_skipped, debits, "{case}: debits");
            assert!(s.problems.is_empty(), "{case}: {:?}", s.problems);
            assert!(s.credits.iter().all(|c| c.source_format == id), "{case}");
        }
    }

    #[test]
    fn ids_origins_codes_and_edi() {
        let profiles = shipped_profiles();
        let biz = sjis_csv(&[
            "取引日,入払区分,取引区分,取引金額,小切手番号,振込依頼人番号,振込依頼人名,仕向金融機関名,仕向支店名,摘要,EDI情報",
            "2026/11/19,入金,振込,\"33,000\",,0001234567,ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,ﾐｽﾞﾎ,ｼﾌﾞﾔ,,INV-42",
        ]);
        let s = parse_csv(&biz, "t/biz.csv", profile(&profiles, "mufg-bizstation")).unwrap();
        let c = &s.credits[0];
        assert_eq!(c.id, "mufg-bizstation||2026-11-19|33000|ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ|-");
        assert_eq!(c.origin, "t/biz.csv:2");
        assert_eq!(c.payer_code.as_deref(), Some("0001234567"));
        assert_eq!(c.edi.as_deref(), Some("INV-42"));

        let generic = b"date,amount,payer_name,id\n2026-11-20,11000,X,TX-1\n".to_vec();
        let s = parse_csv(&generic, "g.csv", profile(&profiles, "generic")).unwrap();
        assert_eq!(s.credits[0].id, "generic||id:TX-1", "a stable id is the identity");
        let no_id = b"date,amount,payer_name,id\n2026-11-20,11000,X,\n".to_vec();
        let s = parse_csv(&no_id, "g.csv", profile(&profiles, "generic")).unwrap();
        assert_eq!(s.credits[0].id, "generic||2026-11-20|11000|X|-", "an empty id cell falls back");

        let mut with_account = profile(&profiles, "smbc").clone();
        with_account.account = Some("0009-123-1-1234567".into());
        let smbc = sjis_csv(&[
            "年月日,お引出し,お預入れ,お取り扱い内容,残高",
            "2026/11/18,,\"11,000\",ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ,\"1,011,000\"",
        ]);
        let s = parse_csv(&smbc, "s.csv", &with_account).unwrap();
        assert_eq!(s.credits[0].id, "smbc|0009-123-1-1234567|2026-11-18|11000|ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ|1011000");
        assert_eq!(s.credits[0].account, "0009-123-1-1234567");
    }

    #[test]
    fn unreadable_rows_are_reported_and_the_rest_is_read() {
        let profiles = shipped_profiles();
        let bytes = sjis_csv(&[
            "年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ",
            "2026/11/18,,\"11,000\",ﾔﾏﾀﾞ ﾀﾛｳ,\"1,011,000\",",
            "来週,,\"2,000\",ｽｽﾞｷ ﾊﾅｺ,\"1,013,000\",",
            "",
            "2026/11/19,,12O0,ﾀﾅｶ ｲﾁﾛｳ,\"1,014,200\",",
            "2026/11/19,,-500,ﾀﾅｶ ｲﾁﾛｳ,\"1,013,700\",",
            "2026/11/20,,\"3,000\",ｻﾄｳ ｹﾝ,\"1,016,700\",",
            ",,,,,",
        ]);
        let s = parse_csv(&bytes, "in/smbc.csv", profile(&profiles, "smbc")).unwrap();
        assert_eq!(credits(&s), vec![(d(2026, 11, 18), 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (d(2026, 11, 20), 3_000, "ｻﾄｳ ｹﾝ")]);
        assert_eq!(
            s.problems,
            vec![
                "in/smbc.csv:3: the date \"来週\" cannot be read",
                "in/smbc.csv:5: the amount \"12O0\" cannot be read",
                "in/smbc.csv:6: a negative amount -500 in the credit column (a correction?) was not imported",
            ]
        );
        assert_eq!(s.credits[1].origin, "in/smbc.csv:7", "blank lines still count");
    }

    #[test]
    fn overlapping_reexport_gives_the_same_ids() {
        let profiles = shipped_profiles();
        let smbc = profile(&profiles, "smbc");
        let first = sjis_csv(&[
            "年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ",
            "2026/11/18,,\"11,000\",ﾌﾘｺﾐ ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,\"1,011,000\",",
            "2026/11/19,,\"5,500\",ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ,\"1,016,500\",",
            "2026/11/19,,\"5,500\",ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ,\"1,022,000\",",
        ]);
        // Re-exported later with the newer header, over an overlapping period.
        let second = sjis_csv(&[
            "お取引日,お引出し,お預入れ,お取り扱い内容,残高,メモ",
            "2026/11/19,,\"5,500\",ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ,\"1,016,500\",",
            "2026/11/19,,\"5,500\",ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ,\"1,022,000\",",
            "2026/11/20,,\"7,700\",ﾌﾘｺﾐ ｽｽﾞｷ ﾊﾅｺ,\"1,029,700\",",
        ]);
        let a = parse_csv(&first, "a.csv", smbc).unwrap();
        let b = parse_csv(&second, "b.csv", smbc).unwrap();
        let ids = |s: &Statement| s.credits.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a)[1..], ids(&b)[..2], "overlapping rows keep their ids");
        assert_ne!(ids(&a)[1], ids(&a)[2], "two equal payments on one day with different balances stay two");
        assert_eq!(ids(&a), ids(&parse_csv(&first, "a.csv", smbc).unwrap()), "re-reading gives the same ids");
    }

    #[test]
    fn yucho_renumbered_ids_do_not_change_identity() {
        let profiles = shipped_profiles();
        let yucho = profile(&profiles, "yucho");
        let export = |first_id: u32| {
            sjis_csv(&[
                "取引日,入出金明細ID,受入金額(円),払出金額(円),詳細1,詳細2,現在(貸付)高",
                &format!("20261118,{first_id},11000,,振込,ﾔﾏﾀﾞ ﾀﾛｳ,511000"),
                &format!("20261118,{},11000,,振込,ﾔﾏﾀﾞ ﾀﾛｳ,522000", first_id + 1),
            ])
        };
        let a = parse_csv(&export(1), "a.csv", yucho).unwrap();
        let b = parse_csv(&export(57), "b.csv", yucho).unwrap();
        let ids = |s: &Statement| s.credits.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(ids(&a)[0], "yucho||2026-11-18|11000|ﾔﾏﾀﾞ ﾀﾛｳ|511000");
        assert_ne!(ids(&a)[0], ids(&a)[1]);
    }

    #[test]
    fn equal_rows_without_balance_stay_two() {
        let profiles = shipped_profiles();
        let bytes = b"date,amount,payer_name\n2026-11-20,1000,X\n2026-11-20,1000,X\n".to_vec();
        let s = parse_csv(&bytes, "g.csv", profile(&profiles, "generic")).unwrap();
        let ids: Vec<&str> = s.credits.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["generic||2026-11-20|1000|X|-", "generic||2026-11-20|1000|X|-#2"]);
    }

    #[test]
    fn split_dates_and_fixed_preamble() {
        let text = r#"
            id = "split"
            name = "Split"
            encoding = "shift_jis"
            preamble_lines = 1
            header = ["年", "月", "日", "入金", "内容"]
            date_columns = ["年", "月", "日"]
            date_formats = ["%Y/%m/%d", "era"]
            credit_column = "入金"
            payer_column = "内容"
            payer_prefixes = ["ﾌﾘｺﾐ"]
        "#;
        let p = parse_profile(text, "split.toml").unwrap();
        let bytes = sjis_csv(&[
            "口座 1234567",
            "年,月,日,入金,内容",
            "2026,11,20,\"1,000\",ﾌﾘｺﾐ*ﾔﾏﾀﾞ ﾀﾛｳ",
            "令和8,11,21,500,ﾌﾘｺﾐ ｽｽﾞｷ",
        ]);
        let profiles = vec![p];
        assert_eq!(detect(&bytes, &profiles).map(|p| p.id.as_str()), Some("split"));
        let s = parse_csv(&bytes, "s.csv", &profiles[0]).unwrap();
        assert_eq!(credits(&s), vec![(d(2026, 11, 20), 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (d(2026, 11, 21), 500, "ｽｽﾞｷ")]);
        let moved = sjis_csv(&["口座 1234567", "", "年,月,日,入金,内容"]);
        assert_eq!(detect(&moved, &profiles), None, "a fixed preamble is not searched past");
    }

    #[test]
    fn amounts_in_every_form() {
        let cases = [
            ("plain", "11000", Ok(Some(11_000))),
            ("commas", "1,011,000", Ok(Some(1_011_000))),
            ("yen sign", "¥11,000", Ok(Some(11_000))),
            ("full-width yen", "￥11,000", Ok(Some(11_000))),
            ("Shift_JIS 0x5C", "\\11,000", Ok(Some(11_000))),
            ("full-width digits", "１１，０００円", Ok(Some(11_000))),
            ("spreadsheet float", "11000.0", Ok(Some(11_000))),
            ("negative", "-500", Ok(Some(-500))),
            ("triangle", "▲500", Ok(Some(-500))),
            ("empty", "", Ok(None)),
            ("dash", "-", Ok(None)),
            ("letters", "12O0", Err(())),
            ("yen fraction", "100.5", Err(())),
        ];
        for (case, raw, want) in cases {
            assert_eq!(parse_amount(raw).map_err(|_| ()), want, "{case}: {raw}");
        }
    }

    #[test]
    fn dates_in_every_form() {
        let formats: Vec<String> =
            ["%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d", "era"].map(String::from).to_vec();
        let cases = [
            ("slashes", "2026/11/20", Some(d(2026, 11, 20))),
            ("short slashes", "2026/1/5", Some(d(2026, 1, 5))),
            ("dots", "2026.11.20", Some(d(2026, 11, 20))),
            ("compact", "20261120", Some(d(2026, 11, 20))),
            ("kanji", "2026年11月20日", Some(d(2026, 11, 20))),
            ("full-width", "２０２６／１１／２０", Some(d(2026, 11, 20))),
            ("with time", "2026/11/20 10:31", Some(d(2026, 11, 20))),
            ("reiwa", "令和8年11月20日", Some(d(2026, 11, 20))),
            ("reiwa gannen", "令和元年5月1日", Some(d(2019, 5, 1))),
            ("reiwa letter", "R8.11.20", Some(d(2026, 11, 20))),
            ("reiwa padded", "R08/11/20", Some(d(2026, 11, 20))),
            ("heisei", "平成31年4月30日", Some(d(2019, 4, 30))),
            ("heisei letter", "H28.5.3", Some(d(2016, 5, 3))),
            ("heisei after its end", "平成31年5月1日", None),
            ("reiwa before its start", "R1.4.30", None),
            ("words", "来週", None),
            ("feb 30", "2026/02/30", None),
        ];
        for (case, raw, want) in cases {
            assert_eq!(parse_date(raw, &formats), want, "{case}: {raw}");
        }
    }

    #[test]
    fn prefixes_are_stripped_longest_first() {
        let prefixes: Vec<String> = ["振込", "振込＊", "ﾌﾘｺﾐ"].map(String::from).to_vec();
        let cases = [
            ("kanji and space", "振込 ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("ideographic space", "振込　ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("star", "振込＊ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("kana", "ﾌﾘｺﾐ ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
            ("no prefix", "ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ];
        for (case, raw, want) in cases {
            assert_eq!(strip_prefix(raw, &prefixes), want, "{case}");
        }
    }

    #[test]
    fn header_not_found_names_the_first_line() {
        let profiles = shipped_profiles();
        let bytes = sjis_csv(&["日付,金額,名前", "2026/11/20,100,X"]);
        let err = parse_csv(&bytes, "x.csv", profile(&profiles, "mizuho")).unwrap_err();
        assert_eq!(
            err,
            StatementError::HeaderNotFound {
                file: "x.csv".into(),
                profile: "mizuho".into(),
                found: "日付,金額,名前".into()
            }
        );
    }
}
