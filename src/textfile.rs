//! Text files from outside: the one decoder (UTF-8 or Shift_JIS, line by line) and the one
//! CSV record reader, shared by the applications tables and the bank exports.
//!
//! Lines may end in CRLF (Excel on Windows), LF or CR alone (old Mac exports); a UTF-8 BOM
//! may lead. Records are numbered as a spreadsheet shows them: the header is row 1, a
//! blank line is a row of its own, and a quoted cell that spans lines stays in one row.
//! (The csv crate's own line positions count CRLF files twice and CR files not at all, so
//! they are not used.)

/// Why a file cannot be read as text at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct DecodeError {
    pub file: String,
    pub reason: String,
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

/// Splits after each line terminator (`\r\n`, `\n` or a lone `\r`), keeping it.
pub fn lines_with_ends(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match rest.iter().position(|b| matches!(b, b'\n' | b'\r')) {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => i + 2,
            Some(i) => i + 1,
            None => rest.len(),
        };
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// Decodes line by line. Valid UTF-8 with non-ASCII bytes is practically never meant as
/// Shift_JIS, so each line is UTF-8 when it validates and CP932 otherwise. Splitting
/// Shift_JIS bytes at CR and LF is safe: neither byte occurs inside a two-byte character.
pub fn decode(bytes: &[u8], shown: &str) -> Result<Decoded, DecodeError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DecodeError {
            file: shown.into(),
            reason: "is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or as CSV (Shift_JIS)".into(),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut utf8_lines = Vec::new();
    let mut sjis_lines = Vec::new();
    let mut bad_lines = Vec::new();
    for (i, line) in lines_with_ends(bytes).enumerate() {
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

/// One CSV record and the spreadsheet row it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based, as a spreadsheet opening the file shows it.
    pub row: usize,
    pub cells: Vec<String>,
}

/// Every record of a CSV text, and the rows that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub records: Vec<Record>,
    /// Blank rows (a spreadsheet shows them; they hold nothing).
    pub blank_rows: Vec<usize>,
    /// (row, why).
    pub errors: Vec<(usize, String)>,
}

/// Line terminators in `s`, a CRLF pair counting once.
fn terminators(s: &[u8]) -> usize {
    lines_with_ends(s).filter(|l| l.ends_with(b"\n") || l.ends_with(b"\r")).count()
}

/// Reads the CSV records of `text`; `limit` stops after that many records (a header
/// search). Cells are kept as written (no trimming): callers decide what blank means.
pub fn csv_records(text: &str, limit: Option<usize>) -> Records {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut out = Records::default();
    let mut record = csv::ByteRecord::new();
    let mut row = 0usize;
    // Where the previous record ended: the reader stops after the first byte of a CRLF.
    let mut prev_end = 0usize;
    loop {
        if limit.is_some_and(|l| out.records.len() >= l) {
            break;
        }
        let result = reader.read_byte_record(&mut record);
        if matches!(result, Ok(false)) {
            break;
        }
        // The record's first byte: past the rest of the previous CRLF and any blank lines,
        // each of which is a row of its own.
        let mut start = prev_end;
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let mut gap = &bytes[prev_end.min(start)..start];
        if prev_end > 0 && bytes[prev_end - 1] == b'\r' {
            gap = gap.strip_prefix(b"\n").unwrap_or(gap);
        }
        let blank = terminators(gap);
        out.blank_rows.extend((1..=blank).map(|k| row + k));
        row += blank + 1;
        prev_end = reader.position().byte() as usize;
        match result {
            Ok(_) => {
                let cells = record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
                out.records.push(Record { row, cells });
            }
            Err(e) => out.errors.push((row, format!("unreadable CSV record: {e}"))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_ending_gives_the_same_rows() {
        let cases = [
            ("lf", "a,b\n1,2\n3,4\n"),
            ("crlf", "a,b\r\n1,2\r\n3,4\r\n"),
            ("cr", "a,b\r1,2\r3,4\r"),
            ("no final break", "a,b\r\n1,2\r\n3,4"),
            ("mixed", "a,b\r\n1,2\n3,4\r"),
        ];
        for (name, text) in cases {
            let r = csv_records(text, None);
            let got: Vec<(usize, Vec<String>)> = r.records.into_iter().map(|r| (r.row, r.cells)).collect();
            let want: Vec<(usize, Vec<String>)> = vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["1".into(), "2".into()]),
                (3, vec!["3".into(), "4".into()]),
            ];
            assert_eq!(got, want, "{name}");
            assert!(r.blank_rows.is_empty() && r.errors.is_empty(), "{name}");
        }
    }

    #[test]
    fn blank_lines_are_rows_and_quoted_breaks_are_not() {
        let text = "a,b\r\n\r\n1,\"two\r\nlines\"\r\n\r\n\r\n3,4\r\n";
        let r = csv_records(text, None);
        let rows: Vec<usize> = r.records.iter().map(|r| r.row).collect();
        assert_eq!(rows, [1, 3, 6]);
        assert_eq!(r.blank_rows, [2, 4, 5]);
        assert_eq!(r.records[1].cells[1], "two\r\nlines");
    }

    #[test]
    fn decodes_utf8_with_and_without_bom_and_sjis_with_any_line_end() {
        for end in ["\n", "\r\n", "\r"] {
            let text = format!("申込コード,氏名{end}A1,山田{end}");
            let sjis = encoding_rs::SHIFT_JIS.encode(&text).0.into_owned();
            let cases: &[(&str, Vec<u8>, &str)] = &[
                ("utf8", text.as_bytes().to_vec(), "UTF-8"),
                ("utf8 bom", [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(), "UTF-8"),
                ("sjis", sjis, "Shift_JIS"),
            ];
            for (name, bytes, enc) in cases {
                let d = decode(bytes, "x.csv").unwrap();
                assert_eq!(d.encoding, *enc, "{name} {end:?}");
                assert_eq!(d.text, text, "{name} {end:?}");
                assert!(d.odd_lines.is_empty() && d.bad_lines.is_empty(), "{name} {end:?}");
            }
        }
    }

    #[test]
    fn mixed_encodings_are_read_line_by_line_and_named() {
        let mut bytes = encoding_rs::SHIFT_JIS.encode("申込コード,氏名\r\nA1,山田\r\nA2,佐藤\r\n").0.into_owned();
        bytes.extend_from_slice("A3,鈴木\r\n".as_bytes());
        let d = decode(&bytes, "x.csv").unwrap();
        assert_eq!(d.encoding, "Shift_JIS");
        assert_eq!(d.odd_lines, vec![4]);
        assert!(d.text.contains("山田") && d.text.contains("鈴木"));
    }

    #[test]
    fn undecodable_bytes_are_marked_and_utf16_is_refused() {
        let d = decode(b"a,b\n\x81\x20x,y\n", "x.csv").unwrap();
        assert_eq!(d.bad_lines, vec![2]);
        assert!(d.text.contains('\u{FFFD}'));
        let err = decode(&[0xFF, 0xFE, b'a', 0], "x.csv").unwrap_err().to_string();
        assert!(err.contains("UTF-16"), "{err}");
    }

    #[test]
    fn a_limit_stops_early() {
        let r = csv_records("a\nb\nc\n", Some(2));
        assert_eq!(r.records.len(), 2);
    }
}
