//! JIS X 0208 (levels 1 and 2) membership for names and addresses.
//!
//! The CA replaces characters outside JIS X 0208 levels 1/2 (seeds 000, 003),
//! so membership comes from the real JIS X 0208 table as shipped in
//! `encoding_rs` (the WHATWG `jis0208` index), not from Unicode ranges.
//!
//! That index is Microsoft's CP932 view of JIS X 0208, which has two
//! consequences, both decided here:
//!
//! * Vendor additions in the same index are rejected by row: NEC row 13
//!   (①, ㈱, ㍉ …) and the NEC-selected IBM extensions in rows 89–92
//!   (髙, 﨑, ⅰ …). Only rows 1–8 (non-kanji), 16–47 (level 1) and 48–84
//!   (level 2) count.
//! * Seven cells have two Unicode mappings, JIS's (Unicode's JIS0208.TXT, what a Mac
//!   or a Unix tool types) and Microsoft's (what the encoder knows): row 1 cell 33 is
//!   U+301C WAVE DASH or U+FF5E FULLWIDTH TILDE, and likewise U+2016/U+2225,
//!   U+2014/U+2015, U+00A2/U+FFE0, U+00A3/U+FFE1, U+00AC/U+FFE2, U+2212/U+FF0D.
//!   Both forms are the same JIS X 0208 character, so both are accepted: the JIS
//!   form is looked up as its Microsoft twin.

use encoding_rs::{EncoderResult, EUC_JP};

/// EUC-JP bytes of `c` when it is a two-byte JIS X 0208 code (both bytes in
/// 0xA1..=0xFE), whatever the row; `None` for ASCII, half-width katakana
/// (0x8E prefix), U+00A5/U+203E (single bytes) and unmappable characters.
fn euc_jp_pair(c: char) -> Option<(u8, u8)> {
    let c = microsoft_twin(c);
    let mut encoder = EUC_JP.new_encoder();
    let mut utf8 = [0u8; 4];
    let src = c.encode_utf8(&mut utf8);
    let mut out = [0u8; 8];
    let (result, _read, written) = encoder.encode_from_utf8_without_replacement(src, &mut out, true);
    if !matches!(result, EncoderResult::InputEmpty) || written != 2 {
        return None;
    }
    let (lead, trail) = (out[0], out[1]);
    let is_gr = |b: u8| (0xA1..=0xFE).contains(&b);
    (is_gr(lead) && is_gr(trail)).then_some((lead, trail))
}

/// The Microsoft mapping of a JIS X 0208 cell whose JIS mapping differs.
fn microsoft_twin(c: char) -> char {
    match c {
        '\u{301C}' => '\u{FF5E}',
        '\u{2016}' => '\u{2225}',
        '\u{2014}' => '\u{2015}',
        '\u{00A2}' => '\u{FFE0}',
        '\u{00A3}' => '\u{FFE1}',
        '\u{00AC}' => '\u{FFE2}',
        '\u{2212}' => '\u{FF0D}',
        c => c,
    }
}

/// True for a row of standard JIS X 0208:1997 (rows 9–15 and 85–94 are
/// empty in the standard; the encoder fills 13 and 89–92 with vendor
/// characters).
fn is_standard_row(row: u8) -> bool {
    (1..=8).contains(&row) || (16..=84).contains(&row)
}

/// Whether `c` is a JIS X 0208 level 1/2 character (including the non-kanji
/// rows 1–8: kana, punctuation, Greek, Cyrillic, full-width alphanumerics).
pub fn is_jis_x0208(c: char) -> bool {
    euc_jp_pair(c).is_some_and(|(lead, _)| is_standard_row(lead - 0xA0))
}

/// Whether `c` may appear in certificate data without the CA replacing it:
/// JIS X 0208 or printable ASCII (U+0020..=U+007E, i.e. JIS X 0201 Roman,
/// as in addresses like "1-2-3"). Half-width katakana are *not* accepted:
/// the CA writes kana full-width. Control characters are not accepted.
pub fn is_certificate_safe(c: char) -> bool {
    (' '..='~').contains(&c) || is_jis_x0208(c)
}

/// The first character outside JIS X 0208, with its index counted in chars
/// (not bytes), so that a reviewer can point at it.
pub fn first_non_jis(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|&(_, c)| !is_jis_x0208(c))
}

/// Like [`first_non_jis`] but with [`is_certificate_safe`], so printable
/// ASCII passes too.
pub fn first_not_certificate_safe(s: &str) -> Option<(usize, char)> {
    s.chars().enumerate().find(|&(_, c)| !is_certificate_safe(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// (case name, input, expected first offending char).
    type FindCase = (&'static str, &'static str, Option<(usize, char)>);

    #[test]
    fn membership_table() {
        let cases: &[(&str, char, bool)] = &[
            ("level 1 first 亜 (16-01)", '亜', true),
            ("level 1 last 腕 (47-51)", '腕', true),
            ("level 2 first 弌 (48-01)", '弌', true),
            ("row 84 addition 熙", '熙', true),
            ("row 84 addition 凜", '凜', true),
            ("row 84 addition 堯", '堯', true),
            ("hiragana あ", 'あ', true),
            ("hiragana ゔ is not in JIS X 0208", 'ゔ', false),
            ("katakana ヴ", 'ヴ', true),
            ("katakana ヶ", 'ヶ', true),
            ("long vowel mark ー", 'ー', true),
            ("postal mark 〒", '〒', true),
            ("ideographic space", '\u{3000}', true),
            ("full-width digit １", '１', true),
            ("full-width letter Ａ", 'Ａ', true),
            ("Greek α", 'α', true),
            ("Cyrillic Я", 'Я', true),
            ("NEC row 13 ①", '①', false),
            ("NEC row 13 ㈱", '㈱', false),
            ("NEC row 13 ㍉", '㍉', false),
            ("NEC row 13 Ⅰ (roman numeral)", 'Ⅰ', false),
            ("IBM extension 髙", '髙', false),
            ("IBM extension 﨑", '﨑', false),
            ("IBM extension ⅰ", 'ⅰ', false),
            ("IBM extension ￤", '￤', false),
            ("non-BMP 𠮷", '𠮷', false),
            ("half-width katakana ｱ", 'ｱ', false),
            ("ASCII A", 'A', false),
            ("ASCII digit", '1', false),
            ("yen sign (single byte 0x5C)", '¥', false),
            ("overline (single byte 0x7E)", '\u{203E}', false),
            ("full-width tilde U+FF5E (1-33, Microsoft mapping)", '\u{FF5E}', true),
            ("wave dash U+301C (1-33, JIS mapping)", '\u{301C}', true),
            ("parallel U+2225 accepted", '\u{2225}', true),
            ("double vertical line U+2016 (JIS mapping)", '\u{2016}', true),
            ("horizontal bar U+2015 accepted", '\u{2015}', true),
            ("em dash U+2014 (JIS mapping)", '\u{2014}', true),
            ("full-width hyphen-minus U+FF0D", '\u{FF0D}', true),
            ("minus sign U+2212 folded to U+FF0D", '\u{2212}', true),
            ("full-width not sign U+FFE2 (row 2)", '\u{FFE2}', true),
            ("not sign U+00AC (JIS mapping)", '\u{00AC}', true),
            ("Korean 가", '가', false),
            ("simplified Chinese 们", '们', false),
            ("emoji", '😀', false),
        ];
        for &(name, c, expected) in cases {
            assert_eq!(is_jis_x0208(c), expected, "case {name}");
        }
    }

    #[test]
    fn certificate_safe_table() {
        let cases: &[(&str, char, bool)] = &[
            ("ASCII letter", 'A', true),
            ("ASCII digit", '1', true),
            ("ASCII hyphen", '-', true),
            ("ASCII space", ' ', true),
            ("ASCII tilde", '~', true),
            ("DEL", '\u{7F}', false),
            ("tab", '\t', false),
            ("newline", '\n', false),
            ("NUL", '\0', false),
            ("kanji", '東', true),
            ("full-width tilde", '\u{FF5E}', true),
            ("wave dash", '\u{301C}', true),
            ("half-width katakana ｱ", 'ｱ', false),
            ("half-width katakana voiced mark ﾞ", 'ﾞ', false),
            ("yen sign", '¥', false),
            ("NEC ①", '①', false),
            ("IBM 髙", '髙', false),
            ("non-BMP 𠮷", '𠮷', false),
        ];
        for &(name, c, expected) in cases {
            assert_eq!(is_certificate_safe(c), expected, "case {name}");
        }
    }

    #[test]
    fn first_non_jis_table() {
        let cases: &[FindCase] = &[
            ("empty", "", None),
            ("all JIS", "東京都千代田区", None),
            ("IBM kanji in name", "髙橋一郎", Some((0, '髙'))),
            ("index counts chars not bytes", "山﨑太郎", Some((1, '﨑'))),
            ("non-BMP counts as one char", "𠮷田", Some((0, '𠮷'))),
            ("after non-BMP", "吉田𠮷", Some((2, '𠮷'))),
            ("ASCII is not JIS X 0208", "1丁目", Some((0, '1'))),
            ("circled digit", "㈱テスト", Some((0, '㈱'))),
            ("half-width kana", "ｻﾄｳ", Some((0, 'ｻ'))),
        ];
        for &(name, input, expected) in cases {
            assert_eq!(first_non_jis(input), expected, "case {name}");
        }
    }

    #[test]
    fn first_not_certificate_safe_table() {
        let cases: &[FindCase] = &[
            ("empty", "", None),
            ("address with ASCII", "東京都港区1-2-3 ABCビル", None),
            ("full-width address", "東京都港区１－２－３", None),
            ("IBM kanji", "東京都港区髙輪", Some((5, '髙'))),
            ("half-width kana", "ｻﾄｳ", Some((0, 'ｻ'))),
            ("wave dash", "1〜3", None),
            ("tab", "a\tb", Some((1, '\t'))),
        ];
        for &(name, input, expected) in cases {
            assert_eq!(first_not_certificate_safe(input), expected, "case {name}");
        }
    }

    /// Every code point of the BMP, checked against the size of JIS X 0208:1997.
    #[test]
    fn whole_bmp_count() {
        let mut pairs: BTreeMap<(u8, u8), Vec<char>> = BTreeMap::new();
        for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
            if is_jis_x0208(c) {
                let pair = euc_jp_pair(c);
                assert!(pair.is_some(), "U+{:04X} accepted without a pair", c as u32);
                if let Some(pair) = pair {
                    pairs.entry(pair).or_default().push(c);
                }
            }
        }
        // JIS X 0208:1997: 524 non-kanji + 2965 level 1 + 3390 level 2.
        assert_eq!(pairs.len(), 6879, "distinct EUC-JP pairs");
        let mut per_level = [0usize; 3];
        for &(lead, _) in pairs.keys() {
            let row = lead - 0xA0;
            let level = match row {
                1..=8 => 0,
                16..=47 => 1,
                _ => 2,
            };
            per_level[level] += 1;
        }
        assert_eq!(per_level, [524, 2965, 3390], "non-kanji / level 1 / level 2");

        // 6886 chars for 6879 cells: the seven cells with both a JIS and a
        // Microsoft Unicode mapping are reached by both.
        let chars: usize = pairs.values().map(Vec::len).sum();
        assert_eq!(chars, 6886, "Unicode chars accepted");
        let shared = pairs.values().filter(|v| v.len() > 1).count();
        assert_eq!(shared, 7, "cells reached by two mappings");
    }

    #[test]
    fn vendor_rows_are_what_the_encoder_would_otherwise_accept() {
        // Guards the row filter: these do reach two-byte EUC-JP codes, but
        // in NEC row 13 or the NEC-selected IBM rows 89-92.
        let cases: &[(&str, char, std::ops::RangeInclusive<u8>)] = &[
            ("① NEC row 13", '①', 13..=13),
            ("㈱ NEC row 13", '㈱', 13..=13),
            ("㍉ NEC row 13", '㍉', 13..=13),
            ("髙 IBM rows 89-92", '髙', 89..=92),
            ("﨑 IBM rows 89-92", '﨑', 89..=92),
            ("ⅰ IBM rows 89-92", 'ⅰ', 89..=92),
        ];
        for (name, c, rows) in cases {
            let row = euc_jp_pair(*c).map(|(lead, _)| lead - 0xA0);
            assert!(row.is_some_and(|r| rows.contains(&r)), "case {name}: {row:?}");
            assert!(!is_jis_x0208(*c), "case {name}");
        }
    }
}
