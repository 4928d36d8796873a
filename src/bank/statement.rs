//! A bank statement as payment matching receives it, whatever the file was: Zengin
//! fixed-length records or a bank's CSV export described by a profile.
//!
//! Error policy: a statement whose own totals do not agree, or whose layout cannot be
//! read at all, is refused whole ([`StatementError`]): importing half of a truncated file
//! would lose credits silently. A single CSV row that cannot be read is a line in
//! [`Statement::problems`] and the rest of the file goes on, because CSV exports carry no
//! totals that would make the other rows doubtful.

use crate::bank::csv_profiles::{self, BankProfile};
pub use crate::bank::model::{Credit, Statement, StatementError};
use crate::bank::zengin;

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
