//! The records payments pass along: bank credits, fees due, and what matching decided.

pub use crate::bank::statement::Credit;
use crate::payments::fees::Fee;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

    /// As finance's workbook names it.
    pub fn japanese(self) -> &'static str {
        match self {
            MatchStatus::Matched => "消込済み",
            MatchStatus::Partial => "一部入金（不足）",
            MatchStatus::Overpaid => "過入金（返金または充当）",
            MatchStatus::Duplicate => "二重入金（返金）",
            MatchStatus::Ambiguous => "該当候補が複数（判断が必要）",
            MatchStatus::Unmatched => "該当なし（判断が必要）",
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

/// A fee to record for an application seen for the first time.
#[derive(Debug, Clone)]
pub struct FeeWrite {
    pub application_id: String,
    pub product: String,
    pub company: Option<String>,
    pub fee: Fee,
    pub tolerance: i64,
    pub model: String,
}

/// A statement file and its credits.
#[derive(Debug, Clone)]
pub struct StatementWrite {
    pub sha256: String,
    pub file: String,
    pub format: String,
    pub credits: Vec<Credit>,
}

/// What a payments stage records, all in one transaction.
#[derive(Debug, Clone, Default)]
pub struct PaymentsWrite {
    pub fees: Vec<FeeWrite>,
    pub statements: Vec<StatementWrite>,
    pub decisions: Vec<(MatchDecision, bool)>,
    pub aliases: Vec<(String, String)>,
}

/// What recording changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentCounts {
    pub new_statements: usize,
    pub new_credits: usize,
    pub repeated_credits: usize,
    pub decided: usize,
    pub newly_paid: usize,
    /// Applications whose fee this recording completed, with the day the money came.
    pub paid: Vec<(String, NaiveDate)>,
}
