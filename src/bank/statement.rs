//! A bank statement as payment matching receives it, whatever the file was: Zengin
//! fixed-length records or a bank's CSV export described by a profile.
//!
//! Error policy: a statement whose own totals do not agree, or whose layout cannot be
//! read at all, is refused whole ([`StatementError`]): importing half of a truncated file
//! would lose credits silently. A single CSV row that cannot be read is a line in
//! [`Statement::problems`] and the rest of the file goes on, because CSV exports carry no
//! totals that would make the other rows doubtful.

use crate::bank::csv_profiles::{self, BankProfile};
use crate::bank::zengin;
use crate::payments::model::Credit;

/// What one statement file gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    /// `zengin-01`, `zengin-03` (`zengin-01+03` when a file mixes both) or the profile id.
    pub format: String,
    /// Incoming transfers, in file order, cancellations and corrections already applied.
    pub credits: Vec<Credit>,
    /// What was not imported or needs a person, each naming `file:line` or `file:record N`.
    pub problems: Vec<String>,
    /// Credits removed because the bank cancelled them (振込入金通知 取消区分 1).
    pub cancelled: usize,
    /// Credits reversed or adjusted by correction records (入出金取引明細 取引区分 19).
    pub corrected: usize,
    /// Rows or records that are not credits (withdrawals, fees, empty credit cells).
    pub debits_skipped: usize,
    /// Every row (CSV) or record (Zengin) of the file and what it is: `header`,
    /// `preamble`, `blank`, `data`, `trailer`, `end`; with [`Statement::origin_of`] the
    /// account of every record names what became of it.
    pub records: Vec<(usize, &'static str)>,
}

impl Statement {
    /// How credits and problems name a row or record of `file`: `file:12` for a CSV row,
    /// `file:record 3` for a Zengin record.
    pub fn origin_of(&self, file: &str, row: usize) -> String {
        if self.format.starts_with(crate::bank::zengin::FORMAT_NAME) {
            format!("{file}:record {row}")
        } else {
            format!("{file}:{row}")
        }
    }
}

/// Why a file was refused whole. Every message names the file and, where there is one,
/// the record or line, so finance can tell the bank exactly what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("{file}: not a statement any bank profile recognises (Zengin or CSV); header line found: {header}")]
    Unrecognised { file: String, header: String },
    #[error("{file}: there is no bank profile named \"{name}\" (known: {known})")]
    UnknownProfile { file: String, name: String, known: String },
    #[error("{file}: the header line of bank profile \"{profile}\" was not found; first line: {found}")]
    HeaderNotFound { file: String, profile: String, found: String },
    #[error("{file}: line {line}: the header has no column \"{column}\", which bank profile \"{profile}\" needs")]
    MissingColumn { file: String, line: usize, profile: String, column: String },
    #[error("{file}: this Zengin file is EBCDIC (コード区分 1), which is not supported; ask the bank for the JIS (Shift_JIS) version")]
    Ebcdic { file: String },
    #[error("{file}: record {record}: {reason}; the whole file is refused")]
    Record { file: String, record: usize, reason: String },
    #[error(
        "{file}: record {record}: the trailer of group {group} (account {account}) gives {what} {expected} \
         but the data records add up to {found}; the whole file is refused"
    )]
    Trailer { file: String, record: usize, group: usize, account: String, what: String, expected: i64, found: i64 },
}

/// Reads one statement file. `forced` is a profile id from `--bank NAME` (or `zengin`);
/// without it the file says what it is: a Zengin header record, else a CSV header line
/// that matches a profile.
pub fn read_statement(
    bytes: &[u8],
    file: &str,
    profiles: &[BankProfile],
    forced: Option<&str>,
) -> Result<Statement, StatementError> {
    if let Some(name) = forced {
        if name == zengin::FORMAT_NAME {
            return zengin::parse_zengin(bytes, file);
        }
        let profile = profiles.iter().find(|p| p.id == name).ok_or_else(|| StatementError::UnknownProfile {
            file: file.to_string(),
            name: name.to_string(),
            known: known_names(profiles),
        })?;
        return csv_profiles::parse_csv(bytes, file, profile);
    }
    if zengin::looks_like_zengin(bytes) {
        return zengin::parse_zengin(bytes, file);
    }
    match csv_profiles::detect(bytes, profiles) {
        Some(profile) => csv_profiles::parse_csv(bytes, file, profile),
        None => Err(StatementError::Unrecognised { file: file.to_string(), header: csv_profiles::header_guess(bytes) }),
    }
}

fn known_names(profiles: &[BankProfile]) -> String {
    let mut names: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
    names.push(zengin::FORMAT_NAME);
    names.join(", ")
}

/// Shift_JIS byte 0x5C is ¥ in bank text (JIS X 0201), but decoders give `\`; payer names
/// may contain ¥ and never a backslash, so `\` is always ¥ there.
pub(crate) fn yen_for_backslash(s: &str) -> String {
    s.replace('\\', "¥")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::testutil::{file, shipped_profiles, sjis_csv, Rec};

    /// A one-transfer 振込入金通知 dated R08-11-20.
    fn zengin_file(sep: &[u8]) -> Vec<u8> {
        let header = Rec::new(b'1').raw(2, "01").raw(4, "0").raw(5, "081120").raw(23, "0009").raw(42, "123");
        let header = header.raw(60, "1").num(61, 7, 1_234_567).done();
        let data = Rec::new(b'2').num(2, 6, 1).raw(8, "081120").raw(14, "081120").num(20, 10, 11_000);
        let data = data.num(30, 10, 0).num(40, 10, 0).text(50, 48, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ").raw(128, "0").done();
        let trailer = Rec::new(b'8').num(2, 6, 1).num(8, 12, 11_000).num(20, 6, 0).num(26, 12, 0).done();
        file(&[header, data, trailer, Rec::new(b'9').done()], sep)
    }

    fn mizuho_file() -> Vec<u8> {
        sjis_csv(&[
            "\"照会口座\",\"本店 普通 1234567\"",
            "日付,お引出金額,お預入金額,お取引内容,残高",
            "2026.11.19,,\"44,000\",振込 ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ,\"1,044,000\"",
        ])
    }

    #[test]
    fn recognises_each_format_from_the_file() {
        let profiles = shipped_profiles();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("Zengin with CR LF", zengin_file(b"\r\n"), "zengin-01"),
            ("Zengin without breaks", zengin_file(b""), "zengin-01"),
            ("Zengin LF only", zengin_file(b"\n"), "zengin-01"),
            ("Mizuho CSV", mizuho_file(), "mizuho"),
            ("generic CSV", b"date,amount,payer_name\n2026-11-20,100,X\n".to_vec(), "generic"),
        ];
        for (case, bytes, format) in cases {
            let s = read_statement(&bytes, "f", &profiles, None).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(s.format, format, "{case}");
            assert_eq!(s.credits.len(), 1, "{case}");
        }
    }

    #[test]
    fn a_file_nobody_recognises_is_refused_with_its_header() {
        let profiles = shipped_profiles();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "unknown bank",
                sjis_csv(&["\"明細\"", "取引年月日,入金額,出金額,摘要", "2026/11/20,100,,X"]),
                "取引年月日,入金額,出金額,摘要",
            ),
            ("empty", Vec::new(), "(empty file)"),
            ("one short line", b"hello".to_vec(), "hello"),
        ];
        for (case, bytes, header) in cases {
            let err = read_statement(&bytes, "t/x.csv", &profiles, None).unwrap_err();
            assert_eq!(err, StatementError::Unrecognised { file: "t/x.csv".into(), header: header.into() }, "{case}");
            assert!(err.to_string().starts_with("t/x.csv: not a statement"), "{case}");
        }
    }

    #[test]
    fn forced_profile() {
        let profiles = shipped_profiles();
        let s = read_statement(&mizuho_file(), "m.csv", &profiles, Some("mizuho")).unwrap();
        assert_eq!(s.credits[0].payer_raw, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        let s = read_statement(&zengin_file(b""), "z.txt", &profiles, Some("zengin")).unwrap();
        assert_eq!(s.format, "zengin-01");

        let err = read_statement(&mizuho_file(), "m.csv", &profiles, Some("smbc")).unwrap_err();
        assert!(matches!(&err, StatementError::HeaderNotFound { profile, .. } if profile == "smbc"), "{err}");
        let err = read_statement(&mizuho_file(), "m.csv", &profiles, Some("resona")).unwrap_err();
        assert!(
            err.to_string().starts_with("m.csv: there is no bank profile named \"resona\" (known: generic,"),
            "{err}"
        );
    }
}
