//! The entry points the fuzz targets (`fuzz/`, cargo fuzz with libFuzzer) and the test
//! suite's bounded run over the committed corpus (`tests/fuzz_corpus.rs`) both drive: each
//! takes arbitrary bytes through one reader of outside input, as a batch would, and must
//! return, never panic, abort or allocate without bound.
//!
//! The readers: applications tables (xlsx and CSV, with the header mapped and every row
//! read into its record), dates, Zengin files, bank CSV exports (with the shipped
//! profiles) and CSRs (parsed, signature checked, names checked).

use crate::bank::csv_profiles::BankProfile;
use crate::intake::columns::{map_header, APPLICATIONS, DOCUMENTS};
use crate::intake::fields::{read_application, read_document};
use crate::intake::table::{read_csv_bytes, Table, Workbook};
use crate::pipelines::Pipelines;
use std::sync::OnceLock;

fn pipelines() -> &'static Pipelines {
    static P: OnceLock<Pipelines> = OnceLock::new();
    P.get_or_init(|| {
        crate::pipelines::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines")))
            .expect("the shipped rules load")
    })
}

fn profiles() -> &'static [BankProfile] {
    static P: OnceLock<Vec<BankProfile>> = OnceLock::new();
    P.get_or_init(|| {
        crate::bank::csv_profiles::load_profiles(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/pipelines/banks"
        )))
        .expect("the shipped bank profiles load")
    })
}

/// Every row of a table read as applications and as documents, as intake does.
fn rows(t: &Table) {
    for columns in [APPLICATIONS, DOCUMENTS] {
        let Ok(h) = map_header(t, columns) else { continue };
        for r in t.rows.iter().filter(|r| r.number > h.header_row) {
            if std::ptr::eq(columns, APPLICATIONS) {
                let _ = read_application(t, &h, r, pipelines());
            } else {
                let _ = read_document(t, &h, r);
            }
        }
    }
}

/// An applications table: the first byte chooses CSV (even) or xlsx (odd) for the rest.
pub fn table(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else { return };
    if kind % 2 == 0 {
        if let Ok(t) = read_csv_bytes(rest, "fuzz.csv") {
            rows(&t);
        }
    } else if let Ok(mut book) = Workbook::from_bytes(rest.to_vec(), "fuzz.xlsx") {
        for names in [&["applications"][..], &["documents"][..]] {
            if let Ok(Some(t)) = book.sheet(names) {
                rows(&t);
            }
        }
    }
}

/// A date as staff type it, and as a bank export's era column writes it.
pub fn date(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let _ = crate::jpdate::parse_date(&s);
    let _ = crate::jpdate::parse_era_date(&s, crate::jpdate::ERAS);
}

/// A Zengin file (振込入金通知 / 入出金取引明細), read as of a fixed day.
pub fn zengin(data: &[u8]) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date");
    let _ = crate::bank::zengin::parse_zengin_at(data, "fuzz.txt", today);
}

/// A bank CSV export, recognised by the shipped profiles (or not).
pub fn bank_csv(data: &[u8]) {
    let _ = crate::bank::statement::read_statement(data, "fuzz.csv", profiles(), None);
}

/// A CSR: detected, parsed, its signature verified, its names checked.
pub fn csr(data: &[u8]) {
    let _ = crate::csr::is_csr(data);
    if let Ok(info) = crate::csr::parse_csr(data) {
        for name in &info.dns_names {
            let _ = crate::csr::check_public_dns_name(name);
        }
    }
    let _ = crate::csr::verified_public_key(data);
}

/// A fuzz entry point.
pub type Target = fn(&[u8]);

/// The targets by name, for the corpus runner.
pub const TARGETS: &[(&str, Target)] =
    &[("table", table), ("date", date), ("zengin", zengin), ("bank_csv", bank_csv), ("csr", csr)];

#[cfg(test)]
mod tests {
    #[test]
    fn every_target_takes_nothing_and_garbage() {
        for (name, target) in super::TARGETS {
            for input in [&b""[..], b"\x00", b"\xff\xfe\x00", b"1,2,3\n", b"PK\x03\x04"] {
                target(input);
                let _ = name;
            }
        }
    }
}
