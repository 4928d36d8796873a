//! After issue (batch contract section 6): what the cron job does each day ([`daily`]),
//! revocation requests ([`revocation`]), receipts ([`receipts`]) and when each is due
//! ([`schedule`]). Expiry notices go once per certificate and offset, also when the job
//! missed some days (domain-rules §6).

pub mod cards;
pub mod changes;
pub mod daily;
pub mod key_fill;
pub mod purge;
pub mod receipts;
pub mod refunds;
pub mod renewal_kit;
pub mod requests;
pub mod retention;
pub mod revocation;
pub mod schedule;
pub mod sheet;

use chrono::NaiveDate;

/// The expiry notice due on `on` for a certificate ending on `end`, given the product's
/// offsets (days before expiry) and those already sent: `Some(offsets to mark sent)` when
/// one notice should go out now. After missed days only one notice goes, and every offset
/// it covers is marked, so the applicant never gets two at once.
pub fn due_expiry_notice(end: NaiveDate, offsets: &[u32], sent: &[i64], on: NaiveDate) -> Option<Vec<u32>> {
    if on > end {
        return None;
    }
    let due: Vec<u32> = offsets.iter().copied().filter(|o| end - chrono::Days::new(u64::from(*o)) <= on).collect();
    if due.iter().all(|o| sent.contains(&i64::from(*o))) {
        return None;
    }
    Some(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    #[test]
    fn each_notice_goes_once_even_after_missed_days() {
        let end = d(2027, 1, 31);
        let gid = [45, 30];
        type Case<'a> = (&'a str, NaiveDate, &'a [i64], Option<Vec<u32>>);
        let cases: &[Case] = &[
            ("too early", d(2026, 12, 16), &[], None),
            ("45 days before", d(2026, 12, 17), &[], Some(vec![45])),
            ("already sent", d(2026, 12, 20), &[45], None),
            ("30 days before", d(2027, 1, 1), &[45], Some(vec![45, 30])),
            ("both sent", d(2027, 1, 10), &[45, 30], None),
            ("missed days: one notice covers both", d(2027, 1, 5), &[], Some(vec![45, 30])),
            ("expired", d(2027, 2, 1), &[], None),
        ];
        for (name, on, sent, want) in cases {
            assert_eq!(due_expiry_notice(end, &gid, sent, *on), *want, "{name}");
        }
    }
}
