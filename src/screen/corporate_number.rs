//! 法人番号 (corporate number) check digit, National Tax Agency rule.
//!
//! A corporate number is 13 digits: a check digit followed by the 12-digit
//! base number. With P(n) the n-th base digit counted from the rightmost
//! (n = 1..=12) and Q(n) = 1 for odd n, 2 for even n:
//! check = 9 - (Σ P(n)·Q(n) mod 9), so it is always 1..=9.
//! Verified against 4011001040781 (seed 000), 7000012050002 (国税庁),
//! 2000012010019 (内閣府), 7000020010006 (北海道), 8000020130001 (東京都),
//! 1180301018771 (トヨタ自動車).
//!
//! Mod 9 cannot see a 0↔9 swap in a base digit (the sum moves by 9 or 18),
//! so such typos pass; every other single-digit change is caught.

use std::fmt;

/// Why a string is not a valid corporate number. Format problems and a
/// wrong check digit are separate so the reviewer knows whether the field
/// was mistyped or merely a digit is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorporateNumberError {
    /// A character other than an ASCII or full-width digit (hyphens and
    /// inner spaces included); `position` counts chars after trimming.
    NotDigit { ch: char, position: usize },
    /// All digits, but not 13 of them.
    WrongLength { digits: usize },
    /// 13 digits whose first digit does not match the other 12.
    WrongCheckDigit { expected: u8, found: u8 },
}

impl fmt::Display for CorporateNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDigit { ch, position } => {
                write!(f, "corporate number has non-digit {ch:?} at position {position}")
            }
            Self::WrongLength { digits } => {
                write!(f, "corporate number has {digits} digits, expected 13")
            }
            Self::WrongCheckDigit { expected, found } => {
                write!(f, "corporate number check digit is {found}, expected {expected}")
            }
        }
    }
}

impl std::error::Error for CorporateNumberError {}

/// Value of an ASCII or full-width (U+FF10..=U+FF19) digit, since forms
/// typed in Japanese input mode give full-width digits.
fn digit_value(c: char) -> Option<u8> {
    crate::text::ascii_char(c).to_digit(10).and_then(|d| u8::try_from(d).ok())
}

/// Check digit for a 12-digit base number (most significant digit first).
fn check_digit(base: &[u8]) -> u8 {
    let sum: u32 = base.iter().rev().enumerate().map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 1 } else { 2 }).sum();
    // sum % 9 is 0..=8, so the result is 1..=9 and fits in u8.
    9 - (sum % 9) as u8
}

/// Checks a 法人番号. Accepts ASCII or full-width digits and ignores
/// surrounding whitespace; the 13 digits must be written without hyphens
/// or inner spaces.
pub fn check_corporate_number(s: &str) -> Result<(), CorporateNumberError> {
    let mut digits = Vec::with_capacity(13);
    for (position, ch) in s.trim().chars().enumerate() {
        match digit_value(ch) {
            Some(d) => digits.push(d),
            None => return Err(CorporateNumberError::NotDigit { ch, position }),
        }
    }
    if digits.len() != 13 {
        return Err(CorporateNumberError::WrongLength { digits: digits.len() });
    }
    let expected = check_digit(&digits[1..]);
    let found = digits[0];
    if found == expected {
        Ok(())
    } else {
        Err(CorporateNumberError::WrongCheckDigit { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_000: &str = "4011001040781";

    #[test]
    fn check_table() {
        use CorporateNumberError as E;
        let cases: &[(&str, &str, Result<(), CorporateNumberError>)] = &[
            ("seed 000", SEED_000, Ok(())),
            ("国税庁", "7000012050002", Ok(())),
            ("内閣府", "2000012010019", Ok(())),
            ("北海道", "7000020010006", Ok(())),
            ("東京都", "8000020130001", Ok(())),
            ("トヨタ自動車", "1180301018771", Ok(())),
            ("full-width digits", "４０１１００１０４０７８１", Ok(())),
            ("mixed widths", "４011001040781", Ok(())),
            ("surrounding spaces trimmed", " 4011001040781\u{3000}", Ok(())),
            ("北海道 with check digit 1 (wrong)", "1000020010006", Err(E::WrongCheckDigit { expected: 7, found: 1 })),
            ("check digit 0 never valid", "0011001040781", Err(E::WrongCheckDigit { expected: 4, found: 0 })),
            ("adjacent swap of base digits", "4011001040718", Err(E::WrongCheckDigit { expected: 2, found: 4 })),
            ("empty", "", Err(E::WrongLength { digits: 0 })),
            ("12 digits", "011001040781", Err(E::WrongLength { digits: 12 })),
            ("14 digits", "40110010407810", Err(E::WrongLength { digits: 14 })),
            ("hyphenated", "4-0110-0104-0781", Err(E::NotDigit { ch: '-', position: 1 })),
            ("inner space", "4011 001040781", Err(E::NotDigit { ch: ' ', position: 4 })),
            ("letter", "401100104078l", Err(E::NotDigit { ch: 'l', position: 12 })),
            ("non-digit reported before length", "40X", Err(E::NotDigit { ch: 'X', position: 2 })),
            ("Arabic-Indic digit is not accepted", "٤011001040781", Err(E::NotDigit { ch: '٤', position: 0 })),
        ];
        for (name, input, expected) in cases {
            assert_eq!(check_corporate_number(input), *expected, "case {name}");
        }
    }

    /// Every single-digit change of the seed number: all are rejected
    /// except a 0↔9 swap in a base digit, which mod 9 cannot detect.
    #[test]
    fn every_single_digit_change() {
        let original: Vec<u8> = SEED_000.bytes().map(|b| b - b'0').collect();
        let mut rejected = 0;
        let mut undetected = Vec::new();
        for position in 0..13 {
            for digit in 0..=9u8 {
                if digit == original[position] {
                    continue;
                }
                let mut changed = original.clone();
                changed[position] = digit;
                let text: String = changed.iter().map(|d| char::from(b'0' + d)).collect();
                let result = check_corporate_number(&text);
                let blind_spot = position > 0 && matches!((original[position], digit), (0, 9) | (9, 0));
                if blind_spot {
                    assert_eq!(result, Ok(()), "case 0/9 swap {text}");
                    undetected.push(text);
                } else {
                    assert!(
                        matches!(result, Err(CorporateNumberError::WrongCheckDigit { .. })),
                        "case {text} (position {position}, digit {digit}): {result:?}"
                    );
                    rejected += 1;
                }
            }
        }
        // The seed's base 011001040781 has five zeros and no nine.
        assert_eq!(undetected.len(), 5, "case undetected: {undetected:?}");
        assert_eq!(rejected, 13 * 9 - 5, "case rejected count");
    }

    #[test]
    fn check_digit_is_one_to_nine() {
        let cases: &[(&str, [u8; 12], u8)] = &[
            ("all zeros", [0; 12], 9),
            ("all nines", [9; 12], 9),
            ("sum 8", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8], 1),
            ("weight 2 on second digit", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 7),
        ];
        for (name, base, expected) in cases {
            assert_eq!(check_digit(base), *expected, "case {name}");
        }
    }

    #[test]
    fn display_table() {
        let cases: &[(&str, CorporateNumberError, &str)] = &[
            (
                "not digit",
                CorporateNumberError::NotDigit { ch: '-', position: 1 },
                "corporate number has non-digit '-' at position 1",
            ),
            ("length", CorporateNumberError::WrongLength { digits: 12 }, "corporate number has 12 digits, expected 13"),
            (
                "check digit",
                CorporateNumberError::WrongCheckDigit { expected: 4, found: 5 },
                "corporate number check digit is 5, expected 4",
            ),
        ];
        for (name, error, expected) in cases {
            assert_eq!(error.to_string(), *expected, "case {name}");
        }
    }
}
