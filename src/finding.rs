//! Per-item findings: what was wrong, where, and how much it matters.
//!
//! A finding is data, not an error: it names the rule (a contract reason code with an
//! optional detail), the place the value came from, and a Japanese message that staff can
//! paste into a deficiency notice. Fatal problems (unreadable rules, ledger busy) are
//! `anyhow` errors that go up to `main` instead.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a value came from, numbered as a spreadsheet shows it (rows from 1) and with
/// columns named by their header text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub sheet: Option<String>,
    pub row: Option<usize>,
    pub column: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location { file: file.into(), ..Location::default() }
    }

    /// The same place, narrowed to one column.
    pub fn with_column(&self, column: impl Into<String>) -> Self {
        Location { column: Some(column.into()), ..self.clone() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ", sheet {sheet}")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        Ok(())
    }
}

/// How a finding weighs on the application's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Staff act (e.g. substitute a character); the application goes on.
    Warning,
    /// Something is missing or unusable; the application waits for later batches.
    Deficient,
    /// The row cannot be an application at all.
    Reject,
}

/// The reason codes of the batch contract, section 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    MissingDocument,
    StaleDocument,
    FutureDatedDocument,
    ApplicationFormExpired,
    ScanMissing,
    ScanUnreadable,
    InvalidCorporateNumber,
    RomajiMismatch,
    NonJisCharacter,
    MyNumberMaskMissing,
    InvalidField,
    UnknownValue,
    DuplicateApplication,
    DocumentsOverdue,
    InvalidCsr,
    CsrNameMismatch,
    WeakKey,
    InvalidDomain,
    /// `renewal_of` names no certificate of this person (and company), or of another product.
    InvalidRenewal,
    // Holds: an accepted application that waits for staff at issue (not screening codes;
    // the contract is silent on them, the README names them).
    LetterUnprintable,
    LetterUnwritable,
    CertificateUnbuildable,
    CsrUnavailable,
    OutputUnwritable,
    IssueFailed,
}

impl Code {
    /// The hold codes, which issuance gives, not screening.
    pub const HOLDS: &'static [Code] = &[
        Code::LetterUnprintable,
        Code::LetterUnwritable,
        Code::CertificateUnbuildable,
        Code::CsrUnavailable,
        Code::OutputUnwritable,
        Code::IssueFailed,
    ];

    pub const ALL: &'static [Code] = &[
        Code::MissingDocument,
        Code::StaleDocument,
        Code::FutureDatedDocument,
        Code::ApplicationFormExpired,
        Code::ScanMissing,
        Code::ScanUnreadable,
        Code::InvalidCorporateNumber,
        Code::RomajiMismatch,
        Code::NonJisCharacter,
        Code::MyNumberMaskMissing,
        Code::InvalidField,
        Code::UnknownValue,
        Code::DuplicateApplication,
        Code::DocumentsOverdue,
        Code::InvalidCsr,
        Code::CsrNameMismatch,
        Code::WeakKey,
        Code::InvalidDomain,
        Code::InvalidRenewal,
        Code::LetterUnprintable,
        Code::LetterUnwritable,
        Code::CertificateUnbuildable,
        Code::CsrUnavailable,
        Code::OutputUnwritable,
        Code::IssueFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingDocument => "missing_document",
            Code::StaleDocument => "stale_document",
            Code::FutureDatedDocument => "future_dated_document",
            Code::ApplicationFormExpired => "application_form_expired",
            Code::ScanMissing => "scan_missing",
            Code::ScanUnreadable => "scan_unreadable",
            Code::InvalidCorporateNumber => "invalid_corporate_number",
            Code::RomajiMismatch => "romaji_mismatch",
            Code::NonJisCharacter => "non_jis_character",
            Code::MyNumberMaskMissing => "my_number_mask_missing",
            Code::InvalidField => "invalid_field",
            Code::UnknownValue => "unknown_value",
            Code::DuplicateApplication => "duplicate_application",
            Code::DocumentsOverdue => "documents_overdue",
            Code::InvalidCsr => "invalid_csr",
            Code::CsrNameMismatch => "csr_name_mismatch",
            Code::WeakKey => "weak_key",
            Code::InvalidDomain => "invalid_domain",
            Code::InvalidRenewal => "invalid_renewal",
            Code::LetterUnprintable => "letter_unprintable",
            Code::LetterUnwritable => "letter_unwritable",
            Code::CertificateUnbuildable => "certificate_unbuildable",
            Code::CsrUnavailable => "csr_unavailable",
            Code::OutputUnwritable => "output_unwritable",
            Code::IssueFailed => "issue_failed",
        }
    }

    /// The CA's own work, not the applicant's: a scan staff lost or could not read, a My
    /// Number staff did not mask. It goes to the staff queue and never into a notice to the
    /// applicant (nor starts the refund clock, which runs from the first notice sent).
    pub fn is_staff_work(self) -> bool {
        matches!(self, Code::ScanMissing | Code::ScanUnreadable | Code::MyNumberMaskMissing)
    }

    /// The weight a finding of this code has when found on the application's own row.
    pub fn default_severity(self) -> Severity {
        match self {
            Code::InvalidField | Code::UnknownValue | Code::DuplicateApplication => Severity::Reject,
            Code::NonJisCharacter => Severity::Warning,
            c if Code::HOLDS.contains(&c) => Severity::Warning,
            _ => Severity::Deficient,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a rule found about one application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub detail: Option<String>,
    pub severity: Severity,
    pub location: Option<Location>,
    /// Japanese, for staff and for the applicant's deficiency notice.
    pub message: String,
}

impl Finding {
    pub fn new(code: Code, detail: Option<&str>, message: impl Into<String>) -> Self {
        Finding {
            code,
            detail: detail.map(str::to_owned),
            severity: code.default_severity(),
            location: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// `code` or `code:detail`, as the contract writes reasons.
    /// A deficiency the applicant is told about and must cure (not a warning, not staff work).
    pub fn is_for_applicant(&self) -> bool {
        self.severity != Severity::Warning && !self.code.is_staff_work()
    }

    pub fn reason(&self) -> String {
        match &self.detail {
            Some(d) => format!("{}:{d}", self.code),
            None => self.code.to_string(),
        }
    }

    /// The message with its location, as one line for a CSV cell or a terminal.
    pub fn message_with_location(&self) -> String {
        match &self.location {
            Some(loc) => format!("{} ({loc})", self.message),
            None => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_reads_like_a_spreadsheet_reference() {
        let loc = Location {
            file: "applications.xlsx".into(),
            sheet: Some("applications".into()),
            row: Some(14),
            column: Some("生年月日".into()),
        };
        assert_eq!(loc.to_string(), "applications.xlsx, sheet applications, row 14, column 生年月日");
        assert_eq!(Location::file("a.csv").to_string(), "a.csv");
    }

    #[test]
    fn reason_joins_code_and_detail() {
        let f = Finding::new(Code::StaleDocument, Some("seal_certificate"), "古い");
        assert_eq!(f.reason(), "stale_document:seal_certificate");
        assert_eq!(Finding::new(Code::RomajiMismatch, None, "x").reason(), "romaji_mismatch");
    }

    #[test]
    fn severities_follow_the_contract() {
        assert_eq!(Code::UnknownValue.default_severity(), Severity::Reject);
        assert_eq!(Code::NonJisCharacter.default_severity(), Severity::Warning);
        assert_eq!(Code::MissingDocument.default_severity(), Severity::Deficient);
        assert!(Severity::Reject > Severity::Deficient && Severity::Deficient > Severity::Warning);
    }

    #[test]
    fn scans_and_masks_are_staff_work_and_never_the_applicants() {
        let staff: Vec<&str> = Code::ALL.iter().filter(|c| c.is_staff_work()).map(|c| c.as_str()).collect();
        assert_eq!(staff, ["scan_missing", "scan_unreadable", "my_number_mask_missing"]);
        assert!(!Finding::new(Code::ScanMissing, Some("a.pdf"), "x").is_for_applicant());
        assert!(Finding::new(Code::StaleDocument, Some("seal_certificate"), "x").is_for_applicant());
        assert!(!Finding::new(Code::NonJisCharacter, Some("name_kanji"), "x").is_for_applicant(), "a warning");
    }

    #[test]
    fn every_code_has_a_distinct_name() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }
}
