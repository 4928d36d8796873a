//! Text as it comes from outside: one width folder, one control-character rule, one way to
//! show a value safely on a terminal, and one way to make it inert in a spreadsheet.
//!
//! Every stage that reads a cell, a header, a date, a bank field or a term uses these, so
//! `２０２６／１１／２０`, `ＡＢＣ` and `１２３－４５６７` read the same everywhere.

/// Full-width ASCII (`！`…`～`) to ASCII and the ideographic space to a space; everything
/// else is kept. Kana and kanji are untouched (half-width kana are not widened here: bank
/// names keep them, and the matcher has its own key).
pub fn to_ascii(s: &str) -> String {
    s.chars().map(ascii_char).collect()
}

/// One character of [`to_ascii`].
pub fn ascii_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    }
}

/// [`to_ascii`], and every dash of [`is_dash`] as `-`: for values that are ASCII by
/// nature (postal codes, phone numbers, emails, corporate numbers, dates, terms).
pub fn fold(s: &str) -> String {
    s.chars().map(|c| if is_dash(c) { '-' } else { ascii_char(c) }).collect()
}

/// Hyphens, minus signs and long-vowel marks that people type where `-` is meant (postal
/// codes, phone numbers, dates, addresses' block numbers).
pub fn is_dash(c: char) -> bool {
    matches!(c, '-' | 'ー' | 'ｰ' | '−' | '‐' | '‑' | '–' | '—' | '―' | '－' | '﹣')
}

/// A control character in a cell: what it was and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlChar {
    pub ch: char,
    /// 0-based char index in the cell.
    pub position: usize,
}

impl std::fmt::Display for ControlChar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "control character U+{:04X} at position {}", self.ch as u32, self.position + 1)
    }
}

/// A cell as a single line of text. Line breaks typed in a cell (Excel's Alt+Enter, a CR
/// LF pair from a CSV) and tabs become one space each run, because they are layout, not
/// content: `山田\n太郎` is `山田 太郎`. Any other control character (C0, DEL, C1, the
/// line and paragraph separators) cannot be printed, mailed or certified and is refused.
pub fn single_line(s: &str) -> Result<String, ControlChar> {
    let mut out = String::with_capacity(s.len());
    let mut in_break = false;
    for (position, ch) in s.chars().enumerate() {
        match ch {
            '\r' | '\n' | '\t' => {
                if !in_break {
                    out.push(' ');
                }
                in_break = true;
            }
            c if is_control(c) => return Err(ControlChar { ch: c, position }),
            c => {
                in_break = false;
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// C0, DEL, C1 and the Unicode line/paragraph separators.
pub fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A value from outside as it may be shown on a terminal or in a report: control
/// characters (which could move the cursor or clear the screen) are written as `\u{..}`.
pub fn for_display(s: &str) -> String {
    if !s.chars().any(is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if is_control(c) { format!("\\u{{{:04x}}}", c as u32) } else { c.to_string() }).collect()
}

/// An amount of yen with thousands separators: `19,250`, `-1,000`.
pub fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::from(if amount < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Makes text from outside inert in a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or
/// CR gets a `'` in front (OWASP's advice for CSV injection). Used for every CSV cell and
/// every xlsx string cell that came from outside.
pub fn defuse(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(0), "0");
        assert_eq!(yen(999), "999");
        assert_eq!(yen(19_250), "19,250");
        assert_eq!(yen(-1_000), "-1,000");
        assert_eq!(yen(1_234_567), "1,234,567");
    }

    #[test]
    fn full_width_ascii_folds_and_the_rest_stays() {
        let cases = [
            ("２０２６／１１／２０", "2026/11/20"),
            ("ＡＢＣ＠ｅｘａｍｐｌｅ．ｊｐ", "ABC@example.jp"),
            ("東京都\u{3000}港区", "東京都 港区"),
            ("ｱｲｳ", "ｱｲｳ"),
        ];
        for (raw, want) in cases {
            assert_eq!(to_ascii(raw), want, "{raw}");
        }
    }

    #[test]
    fn fold_gives_ascii_with_plain_dashes() {
        assert_eq!(fold("〒１２３ー４５６７"), "〒123-4567");
        assert_eq!(fold("０３−１２３４‐５６７８"), "03-1234-5678");
    }

    #[test]
    fn line_breaks_become_spaces_and_other_controls_are_refused() {
        let cases: &[(&str, &str, Result<&str, char>)] = &[
            ("alt+enter", "山田\n太郎", Ok("山田 太郎")),
            ("crlf", "東京都\r\n港区", Ok("東京都 港区")),
            ("tab", "a\tb", Ok("a b")),
            ("plain", "山田 太郎", Ok("山田 太郎")),
            ("bell", "山田\u{7}", Err('\u{7}')),
            ("escape", "\u{1b}[2J", Err('\u{1b}')),
            ("c1", "a\u{85}b", Err('\u{85}')),
            ("line separator", "a\u{2028}b", Err('\u{2028}')),
        ];
        for (name, raw, want) in cases {
            let got = single_line(raw);
            match want {
                Ok(s) => assert_eq!(got.as_deref(), Ok(*s), "{name}"),
                Err(c) => assert_eq!(got.map_err(|e| e.ch), Err(*c), "{name}"),
            }
        }
    }

    #[test]
    fn display_escapes_controls_only() {
        assert_eq!(for_display("ﾔﾏﾀﾞ\u{1b}[2J"), "ﾔﾏﾀﾞ\\u{001b}[2J");
        assert_eq!(for_display("ﾔﾏﾀﾞ ﾀﾛｳ"), "ﾔﾏﾀﾞ ﾀﾛｳ");
    }

    #[test]
    fn formulas_are_defused() {
        let cases = [
            ("=1+1", "'=1+1"),
            ("+81", "'+81"),
            ("-x", "'-x"),
            ("@SUM", "'@SUM"),
            ("\tx", "'\tx"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("ﾔﾏﾀﾞ", "ﾔﾏﾀﾞ"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(defuse(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn dashes_people_type() {
        for c in ['-', 'ー', '−', '‐', '－', '―'] {
            assert!(is_dash(c), "{c}");
        }
        assert!(!is_dash('一'), "the kanji one is not a dash");
    }
}
