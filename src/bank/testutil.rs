//! Builders for test statement files: Shift_JIS bytes placed at exact byte positions,
//! the way banks write them, so the parsers are tested on bytes and not on Rust strings.

use crate::bank::csv_profiles::{load_profiles, BankProfile};
use encoding_rs::SHIFT_JIS;
use std::path::Path;

/// `s` in Shift_JIS; panics on a character Shift_JIS cannot hold.
pub fn sjis(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(s);
    assert!(!unmappable, "{s:?} is not Shift_JIS");
    bytes.into_owned()
}

/// A 200-byte Zengin record, spaces until fields are put in.
pub struct Rec(Vec<u8>);

impl Rec {
    pub fn new(kind: u8) -> Self {
        let mut bytes = vec![b' '; 200];
        bytes[0] = kind;
        Rec(bytes)
    }

    /// Raw bytes at 1-based `start`, left-aligned and space-padded to `width`.
    pub fn bytes(mut self, start: usize, width: usize, b: &[u8]) -> Self {
        assert!(b.len() <= width, "{} bytes do not fit in {width} at {start}", b.len());
        let field = &mut self.0[start - 1..start - 1 + width];
        field.fill(b' ');
        field[..b.len()].copy_from_slice(b);
        self
    }

    /// Text, encoded to Shift_JIS first and padded by bytes.
    pub fn text(self, start: usize, width: usize, s: &str) -> Self {
        self.bytes(start, width, &sjis(s))
    }

    /// A number, right-aligned and zero-padded.
    pub fn num(self, start: usize, width: usize, n: u64) -> Self {
        let s = format!("{n:0width$}");
        assert_eq!(s.len(), width, "{n} does not fit in {width} digits");
        self.bytes(start, width, s.as_bytes())
    }

    /// ASCII exactly as given (codes, era dates).
    pub fn raw(self, start: usize, s: &str) -> Self {
        self.bytes(start, s.len(), s.as_bytes())
    }

    pub fn done(self) -> Vec<u8> {
        assert_eq!(self.0.len(), 200);
        self.0
    }
}

/// Records joined, each followed by `sep` (`b"\r\n"`, `b"\n"` or `b""`).
pub fn file(records: &[Vec<u8>], sep: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(r);
        out.extend_from_slice(sep);
    }
    out
}

/// CSV lines in Shift_JIS, CR LF after each (what the banks' exports use).
pub fn sjis_csv(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend(sjis(l));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The profiles shipped in `banks/`.
pub fn shipped_profiles() -> Vec<BankProfile> {
    load_profiles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/banks")).unwrap()
}
