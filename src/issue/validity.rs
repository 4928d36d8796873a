//! Certificate validity by the product's rule, in Japan time.
//!
//! G-ID (seed 001 §12.1): from issue to the day before the same date N years and 1 month
//! later, 23:59:59 JST; where that date does not exist in the final month the period ends
//! on the month's last day (Civil Code art. 143 para. 2). AOSign: the same without the
//! month, plus the term's extra days. TLS certificates are further capped by the CA/Browser
//! Forum's maximum validity in force on the issue date (SC081v3).

use crate::jpdate::{add_months, jst};
use crate::product::{parse_iso, Product, Term};
use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone};

/// The last day of a period of `months` calendar months starting on `start`.
pub fn period_end(start: NaiveDate, months: u32) -> NaiveDate {
    let same = add_months(start, months);
    if same.day() == start.day() {
        same - Days::new(1)
    } else {
        // The corresponding day does not exist: the period ends on the month's last day.
        same
    }
}

/// `(not_before, not_after)` for a certificate issued at `issued_at` under `term`.
pub fn validity(
    product: &Product,
    term: &Term,
    issued_at: DateTime<FixedOffset>,
) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
    let start = issued_at.with_timezone(&jst());
    let months = term.years * 12 + product.validity.extra_months;
    let last_day = period_end(start.date_naive(), months) + Days::new(u64::from(term.extra_days));
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time");
    let mut not_after = jst().from_local_datetime(&last_day.and_time(end_of_day)).single().expect("JST has no gaps");
    // The cap in force on the issue date: notBefore through notAfter inclusive at most N days.
    let cap = product
        .validity
        .max_days
        .iter()
        .rfind(|m| parse_iso("", &m.from).is_ok_and(|from| from <= start.date_naive()))
        .map(|m| m.days);
    if let Some(days) = cap {
        let capped = start + chrono::Duration::days(i64::from(days)) - chrono::Duration::seconds(1);
        not_after = not_after.min(capped);
    }
    (start, not_after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{d, pipelines};

    fn at(y: i32, m: u32, day: u32, h: u32, mi: u32) -> DateTime<FixedOffset> {
        jst().with_ymd_and_hms(y, m, day, h, mi, 0).unwrap()
    }

    #[test]
    fn period_ends_follow_the_civil_code() {
        let cases = [
            ("seed 001 2-year", d(2024, 5, 10), 25, d(2026, 6, 9)),
            ("seed 001 3-year", d(2024, 5, 10), 37, d(2027, 6, 9)),
            ("jan 31, no feb 31", d(2027, 1, 31), 25, d(2029, 2, 28)),
            ("mar 31, no apr 31", d(2027, 3, 31), 25, d(2029, 4, 30)),
            ("mar 30", d(2027, 3, 30), 25, d(2029, 4, 29)),
            ("leap day", d(2028, 2, 29), 24, d(2030, 2, 28)),
            ("aosign 1y", d(2026, 11, 21), 12, d(2027, 11, 20)),
        ];
        for (name, start, months, want) in cases {
            assert_eq!(period_end(start, months), want, "{name}");
        }
    }

    #[test]
    fn product_rules_give_the_seed_examples() {
        let p = pipelines();
        let cases: &[(&str, &str, DateTime<FixedOffset>, &str)] = &[
            ("gid-download", "2y", at(2024, 5, 10, 10, 30), "2026-06-09T23:59:59+09:00"),
            ("gid-download", "3y", at(2024, 5, 10, 10, 30), "2027-06-09T23:59:59+09:00"),
            ("gid-media", "2y", at(2027, 1, 31, 9, 0), "2029-02-28T23:59:59+09:00"),
            ("gid-download", "2y", at(2027, 3, 31, 9, 0), "2029-04-30T23:59:59+09:00"),
            ("gid-download", "2y", at(2027, 3, 30, 9, 0), "2029-04-29T23:59:59+09:00"),
            ("aosign-g2", "1y+30d", at(2026, 11, 21, 9, 0), "2027-12-20T23:59:59+09:00"),
            ("aosign-g2", "5y", at(2026, 11, 21, 9, 0), "2031-11-20T23:59:59+09:00"),
            // The Forum's 200 and 100 days, one under as the BRs recommend.
            ("passport-web", "1y", at(2026, 11, 21, 9, 0), "2027-06-08T08:59:59+09:00"),
            ("passport-web", "1y", at(2026, 3, 14, 9, 0), "2027-03-13T23:59:59+09:00"),
            ("passport-web", "1y", at(2027, 3, 15, 9, 0), "2027-06-22T08:59:59+09:00"),
        ];
        for (product, term, issued, want) in cases {
            let prod = p.product(product).unwrap();
            let (nb, na) = validity(prod, prod.term(term).unwrap(), *issued);
            assert_eq!(nb, *issued, "{product} {term}");
            assert_eq!(na.to_rfc3339(), *want, "{product} {term} from {issued}");
        }
    }
}
