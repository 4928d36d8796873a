//! The records payments pass along: bank credits, fees due, and what matching decided.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

/// A fee an application owes (or an invoice), as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFee {
    pub application_id: String,
    pub envelope_id: String,
    /// Groups applications of one company (corporate number, else the normalised
    /// organisation name), so one credit may pay several of them.
    pub company: Option<String>,
    /// Names the payer may use, as written on the form (kana): the applicant's reading,
    /// `payer_name`, the organisation's reading. Normalised by matching, not here.
    pub names: Vec<String>,
    /// Yen due in total, tax included.
    pub due: i64,
    /// Yen already received for it.
    pub received: i64,
    /// A credit short by at most this many yen still settles it.
    pub tolerance: i64,
    /// The day its application arrived (credits may precede it by a few days).
    pub received_on: NaiveDate,
}

/// How a credit ended (batch contract section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Matched,
    Partial,
    Overpaid,
    Duplicate,
    Ambiguous,
    Unmatched,
}

impl MatchStatus {
    pub const ALL: &'static [MatchStatus] = &[
        MatchStatus::Matched,
        MatchStatus::Partial,
        MatchStatus::Overpaid,
        MatchStatus::Duplicate,
        MatchStatus::Ambiguous,
        MatchStatus::Unmatched,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Partial => "partial",
            MatchStatus::Overpaid => "overpaid",
            MatchStatus::Duplicate => "duplicate",
            MatchStatus::Ambiguous => "ambiguous",
            MatchStatus::Unmatched => "unmatched",
        }
    }
}

impl std::str::FromStr for MatchStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MatchStatus::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown payment status {s:?}"))
    }
}

impl std::fmt::Display for MatchStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What matching decided for one credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchDecision {
    pub credit_id: String,
    pub status: MatchStatus,
    /// The applications it pays (several for a combined company payment); for
    /// `ambiguous`, the candidates.
    pub application_ids: Vec<String>,
    /// Yen the credit was expected to be (what the applications still owed).
    pub expected: i64,
    /// amount − expected.
    pub difference: i64,
    /// Why, in a sentence finance can act on (English).
    pub reason: String,
}
