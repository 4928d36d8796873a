//! What a statement file gives, whichever reader read it: its credits, what it could not
//! import, and every record it held. The readers (`zengin`, `csv_profiles`) make these;
//! `statement` picks the reader; nothing here reads a file.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The format name of Zengin files (`zengin-01`, `zengin-03`…).
pub const ZENGIN_FORMAT: &str = "zengin";

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
        if self.format.starts_with(ZENGIN_FORMAT) {
            format!("{file}:record {row}")
        } else {
            format!("{file}:{row}")
        }
    }
}

/// One incoming transfer as the bank reported it. Only credits become `Credit`s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Stable identity for de-duplication across re-imports: Zengin (account, 勘定日,
    /// 照会番号); CSV with an id column (bank, account, id); otherwise (bank, account, date,
    /// amount, raw name, balance).
    pub id: String,
    /// Which statement format or bank profile it came from (`zengin-01`, `smbc`, …).
    pub source_format: String,
    pub account: String,
    pub date: NaiveDate,
    /// Yen, positive.
    pub amount: i64,
    /// The payer name exactly as the bank wrote it (half-width kana), for display.
    pub payer_raw: String,
    /// 振込依頼人コード when the bank gives one.
    pub payer_code: Option<String>,
    /// EDI information when given.
    pub edi: Option<String>,
    /// `file:line` (or `file:record N`) for messages.
    pub origin: String,
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

/// Shift_JIS byte 0x5C is ¥ in bank text (JIS X 0201), but decoders give `\`; payer names
/// may contain ¥ and never a backslash, so `\` is always ¥ there.
pub(crate) fn yen_for_backslash(s: &str) -> String {
    s.replace('\\', "¥")
}
