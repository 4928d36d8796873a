//! When a certificate is due for something after issue (domain-rules section 6). Pure:
//! dates in, the one action due out, so `daily` after skipped days does each action once
//! and a second run on one day finds nothing new.

use chrono::{Days, NaiveDate};

/// The receipt rules of a product (`[notices]` in its pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceiptRules {
    /// Days after issue without a receipt before the reminder and the call list.
    pub reminder_days: Option<u32>,
    /// Days after issue without a receipt before the certificate is revoked (`no_receipt`).
    pub revoke_days: Option<u32>,
}

impl ReceiptRules {
    /// The fewest days after which something is due; `None` when the product has no rule.
    pub fn first_days(self) -> Option<u32> {
        match (self.reminder_days, self.revoke_days) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What is due for a certificate with no receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptDue {
    /// The reminder mail and the call list, from `due_on`.
    Reminder { due_on: NaiveDate },
    /// Revocation for no receipt, from `due_on`.
    Revoke { due_on: NaiveDate },
}

/// Days count from the issue day: issued 2026-11-21 → reminder from 2026-12-05 (14 days),
/// revocation from 2026-12-21 (30 days). When both are due at once (days were skipped) only
/// the revocation goes: a reminder for a certificate revoked the same day helps nobody.
pub fn receipt_due(issued_on: NaiveDate, rules: ReceiptRules, reminded: bool, today: NaiveDate) -> Option<ReceiptDue> {
    let from = |days: u32| issued_on.checked_add_days(Days::new(u64::from(days)));
    if let Some(due_on) = rules.revoke_days.and_then(from).filter(|d| *d <= today) {
        return Some(ReceiptDue::Revoke { due_on });
    }
    match rules.reminder_days.and_then(from) {
        Some(due_on) if due_on <= today && !reminded => Some(ReceiptDue::Reminder { due_on }),
        _ => None,
    }
}

/// Days since issue, for the call list.
pub fn days_since(issued_on: NaiveDate, today: NaiveDate) -> i64 {
    (today - issued_on).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    const GID: ReceiptRules = ReceiptRules { reminder_days: Some(14), revoke_days: Some(30) };

    #[test]
    fn the_domain_rules_example_reminds_on_day_14_and_revokes_on_day_30() {
        let issued = d(2026, 11, 21);
        assert_eq!(receipt_due(issued, GID, false, d(2026, 12, 4)), None);
        assert_eq!(
            receipt_due(issued, GID, false, d(2026, 12, 5)),
            Some(ReceiptDue::Reminder { due_on: d(2026, 12, 5) })
        );
        assert_eq!(receipt_due(issued, GID, true, d(2026, 12, 6)), None, "one reminder");
        assert_eq!(receipt_due(issued, GID, true, d(2026, 12, 20)), None);
        assert_eq!(
            receipt_due(issued, GID, true, d(2026, 12, 21)),
            Some(ReceiptDue::Revoke { due_on: d(2026, 12, 21) })
        );
        // Skipped days: only the revocation.
        assert_eq!(
            receipt_due(issued, GID, false, d(2027, 1, 9)),
            Some(ReceiptDue::Revoke { due_on: d(2026, 12, 21) })
        );
        let aosign = ReceiptRules { reminder_days: None, revoke_days: Some(30) };
        assert_eq!(receipt_due(issued, aosign, false, d(2026, 12, 5)), None);
        assert_eq!(aosign.first_days(), Some(30));
        assert_eq!(ReceiptRules::default().first_days(), None);
        assert_eq!(days_since(issued, d(2026, 12, 5)), 14);
    }
}
