//! Where an application and a certificate stand, and the one place that decides which
//! moves between statuses are legal.
//!
//! The ledger enforces the same rules with CHECK constraints and a trigger (schema
//! migration 7), so a bug elsewhere cannot turn an issued application back into an
//! accepted one: the write fails and the run stops instead. EJBCA's end-entity statuses
//! are the model: explicit, few, and every change audited.

use serde::{Deserialize, Serialize};

/// Where an application stands at the end of a run (batch contract section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Documents complete and the data checks pass; awaits payment or issue.
    Accepted,
    /// Something is missing; waits for later batches.
    Deficient,
    /// The row cannot be an application; never stored as one.
    Rejected,
    Issued,
    /// Deficient for too long after the first notice: the fee goes back.
    RefundDue,
    Revoked,
}

impl Status {
    pub const ALL: &'static [Status] =
        &[Status::Accepted, Status::Deficient, Status::Rejected, Status::Issued, Status::RefundDue, Status::Revoked];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Deficient => "deficient",
            Status::Rejected => "rejected",
            Status::Issued => "issued",
            Status::RefundDue => "refund_due",
            Status::Revoked => "revoked",
        }
    }

    /// Still waiting for documents or review: screening may change it.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Accepted | Status::Deficient)
    }

    /// Whether an application may move from `self` to `next`. Staying put is always legal.
    /// Screening moves only open applications; issuance moves `accepted` to `issued`;
    /// revocation moves `issued` to `revoked`; nothing ever leaves `refund_due`,
    /// `revoked` or `rejected`.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        self == next
            || matches!(
                (self, next),
                (Accepted, Deficient)
                    | (Deficient, Accepted)
                    | (Deficient, RefundDue)
                    | (Accepted, Issued)
                    | (Issued, Revoked)
            )
    }

    /// What a stored application's status becomes when screening finds `screened`: open
    /// ones follow screening, the others stay as they are (a rerun of an issued day finds the
    /// documents accepted again, and the application stays issued).
    pub fn after_screening(stored: Option<Status>, screened: Status) -> Status {
        match stored {
            Some(s) if !s.is_open() => s,
            Some(s) if s.can_become(screened) => screened,
            // Screening says `rejected` or `issued` for a stored open one: not a move
            // screening may make; it stays as it was.
            Some(s) => s,
            None => screened,
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.iter().copied().find(|st| st.as_str() == s).ok_or_else(|| format!("unknown status {s:?}"))
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate's life in the ledger: a serial is reserved before its key exists, becomes
/// issued in the transaction that records its files, or void when the attempt was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertState {
    Reserved,
    Issued,
    Void,
}

impl CertState {
    pub fn as_str(self) -> &'static str {
        match self {
            CertState::Reserved => "reserved",
            CertState::Issued => "issued",
            CertState::Void => "void",
        }
    }

    pub fn can_become(self, next: CertState) -> bool {
        matches!((self, next), (CertState::Reserved, CertState::Issued) | (CertState::Reserved, CertState::Void))
    }
}

/// Why an accepted application waits for staff instead of being issued: its letter cannot
/// be printed, its certificate cannot be built, a file of it could not be written. Holds
/// found by a check before signing are looked at again on every run and lift themselves
/// when the cause is gone (a corrected font, a freed folder); a hold from a failure while
/// signing is `sticky`: it stays until staff release it (`certbatch release ID`), so a
/// failing application is not signed again on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub application_id: String,
    /// `letter_unprintable:<kind>`, `letter_unwritable:<kind>`, `certificate_unbuildable`,
    /// `csr_unavailable`, `output_unwritable`, `issue_failed`.
    pub code: String,
    /// What happened, in English, for staff.
    pub detail: String,
    pub sticky: bool,
}

impl Hold {
    /// A hold found before signing: checked again on the next run.
    pub fn check(application_id: &str, code: &str, detail: String) -> Hold {
        Hold { application_id: application_id.into(), code: code.into(), detail, sticky: false }
    }

    /// A hold from a failure after signing began: kept until staff release it.
    pub fn sticky(application_id: &str, code: &str, detail: String) -> Hold {
        Hold { application_id: application_id.into(), code: code.into(), detail, sticky: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
        }
        assert!("pending".parse::<Status>().is_err());
    }

    #[test]
    fn only_the_lifecycle_moves_are_legal() {
        use Status::*;
        let legal = [
            (Accepted, Deficient),
            (Deficient, Accepted),
            (Deficient, RefundDue),
            (Accepted, Issued),
            (Issued, Revoked),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                let want = from == to || legal.contains(&(*from, *to));
                assert_eq!(from.can_become(*to), want, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn screening_never_moves_a_closed_application() {
        use Status::*;
        let cases = [
            ("new accepted", None, Accepted, Accepted),
            ("new deficient", None, Deficient, Deficient),
            ("completed by a document", Some(Deficient), Accepted, Accepted),
            ("ran out of time", Some(Deficient), RefundDue, RefundDue),
            ("issued stays issued on a rerun", Some(Issued), Accepted, Issued),
            ("revoked stays revoked", Some(Revoked), Accepted, Revoked),
            ("refund_due stays", Some(RefundDue), Accepted, RefundDue),
            ("stored never becomes rejected", Some(Accepted), Rejected, Accepted),
        ];
        for (name, stored, screened, want) in cases {
            assert_eq!(Status::after_screening(stored, screened), want, "{name}");
        }
    }

    #[test]
    fn certificates_leave_reserved_once() {
        use CertState::*;
        assert!(Reserved.can_become(Issued) && Reserved.can_become(Void));
        assert!(!Issued.can_become(Void) && !Void.can_become(Issued) && !Issued.can_become(Reserved));
    }
}
