//! Retention (contract section 6, "Retention"; seed 001 §12.2): scans and personal data are
//! kept 10 years after the certificate's notAfter, or after the application closed when it
//! never led to a certificate. Pure: the ledger's facts in, each archived file's last day
//! out. An archived file is content-addressed and may serve several documents (the same
//! company registry sent twice), so it goes only when every document it serves may go.

use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Years a record is kept after its end (seed 001 §12.2).
pub const KEEP_YEARS: u32 = 10;

/// When an application's record ends: its certificate's notAfter, the day it closed without
/// one, or `None` while it is still open (never purged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Open,
    On(NaiveDate),
}

/// One document pointing at an archived file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedDocument {
    pub id: i64,
    pub sha256: String,
    /// The application or envelope it belongs to.
    pub owner: String,
    /// The day its record ends (worked out from its owner by the ledger).
    pub end: End,
    pub purged_on: Option<NaiveDate>,
}

/// An archived file whose every document is past retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub sha256: String,
    pub documents: Vec<i64>,
    /// The applications and envelopes it served, sorted.
    pub owners: Vec<String>,
    /// The last day it had to be kept.
    pub retain_until: NaiveDate,
    /// The day it was purged (when all its documents were; its file may still need deleting
    /// after an interrupted purge).
    pub purged_on: Option<NaiveDate>,
}

/// The last day a record ending on `end` is kept.
pub fn retain_until(end: NaiveDate) -> NaiveDate {
    crate::jpdate::add_months(end, KEEP_YEARS * 12)
}

/// The archived files that may go on `today`: every document they serve ended more than
/// 10 years ago.
pub fn expired(documents: &[ArchivedDocument], today: NaiveDate) -> Vec<Expired> {
    let mut by_file: BTreeMap<&str, Vec<&ArchivedDocument>> = BTreeMap::new();
    for d in documents {
        by_file.entry(d.sha256.as_str()).or_default().push(d);
    }
    let mut out = Vec::new();
    for (sha256, docs) in by_file {
        let mut last = NaiveDate::MIN;
        let mut open = false;
        for d in &docs {
            match d.end {
                End::Open => open = true,
                End::On(end) => last = last.max(retain_until(end)),
            }
        }
        if open || today <= last {
            continue;
        }
        let mut owners: Vec<String> = docs.iter().map(|d| d.owner.clone()).collect();
        owners.sort();
        owners.dedup();
        let purged_on = docs.iter().map(|d| d.purged_on).collect::<Option<Vec<_>>>().and_then(|v| v.into_iter().max());
        out.push(Expired {
            sha256: sha256.to_string(),
            documents: docs.iter().map(|d| d.id).collect(),
            owners,
            retain_until: last,
            purged_on,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn doc(id: i64, sha: &str, end: End) -> ArchivedDocument {
        ArchivedDocument { id, sha256: sha.into(), owner: format!("A{id}"), end, purged_on: None }
    }

    #[test]
    fn ten_years_after_the_end_and_not_a_day_before() {
        assert_eq!(retain_until(d(2028, 11, 18)), d(2038, 11, 18));
        let docs = [doc(1, "a", End::On(d(2028, 11, 18)))];
        assert!(expired(&docs, d(2038, 11, 18)).is_empty());
        assert_eq!(expired(&docs, d(2038, 11, 19))[0].retain_until, d(2038, 11, 18));
    }

    #[test]
    fn a_file_serving_an_open_or_later_record_stays() {
        let docs = [
            doc(1, "shared", End::On(d(2020, 1, 1))),
            doc(2, "shared", End::Open),
            doc(3, "later", End::On(d(2020, 1, 1))),
            doc(4, "later", End::On(d(2029, 1, 1))),
            doc(5, "gone", End::On(d(2020, 1, 1))),
        ];
        let out = expired(&docs, d(2031, 1, 1));
        assert_eq!(out.iter().map(|e| e.sha256.as_str()).collect::<Vec<_>>(), ["gone"]);
        assert_eq!(out[0].documents, [5]);
    }
}
