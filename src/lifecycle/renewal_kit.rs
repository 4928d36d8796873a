//! Renewal kits (contract section 6, `renewals/<corporate_number or application_id>.xlsx`):
//! for every company (or person) whose expiry notices went out today, a workbook with an
//! `applications` sheet pre-filled from the stored applications, `renewal_of` set and the
//! dates and ids blank, and an empty `documents` sheet: staff check it, send it to the
//! company, and it comes back as an ordinary batch (renewal is a new application with the
//! same documents, domain-rules §6).

use crate::intake::columns::{APPLICATIONS, DOCUMENTS};
use crate::ledger::lifecycle::CertRow;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Columns a renewal leaves for the company or staff to fill: a new id and envelope, the
/// dates of the new form, card readers bought anew, a new CSR, the correction mark.
const BLANK: &[&str] =
    &["application_id", "envelope_id", "applied_on", "received_on", "card_readers", "csr_file", "corrects"];

/// Whose kit a certificate goes in: its company's corporate number, else its application.
pub fn kit_key(c: &CertRow) -> String {
    c.application.corporate_number.clone().unwrap_or_else(|| c.application.id.clone())
}

/// The kits of the day's expiring certificates, by key, each in serial order.
pub fn group(certs: &[&CertRow]) -> BTreeMap<String, Vec<CertRow>> {
    let mut kits: BTreeMap<String, Vec<CertRow>> = BTreeMap::new();
    for c in certs {
        kits.entry(kit_key(c)).or_default().push((*c).clone());
    }
    for v in kits.values_mut() {
        v.sort_by(|a, b| a.serial.cmp(&b.serial));
    }
    kits
}

/// The value a renewal row starts with for `key`.
fn prefilled(c: &CertRow, key: &str) -> Option<String> {
    let a = &c.application;
    match key {
        k if BLANK.contains(&k) => None,
        "product" => Some(a.product.clone()),
        "cert_type" => Some(a.cert_type.clone()),
        "term" => Some(a.term.clone()),
        "renewal_of" => Some(c.serial.clone()),
        k => a.field(k),
    }
}

/// Writes one kit: Japanese headers, as staff and companies read them.
pub fn write_kit(
    dir: &Path,
    key: &str,
    certs: &[CertRow],
    moment: chrono::DateTime<chrono::FixedOffset>,
) -> Result<PathBuf> {
    use crate::report::finance::{book_made_at, date_cell, header};
    let mut book = book_made_at(moment)?;
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name("applications")?;
    let names: Vec<&str> = APPLICATIONS.iter().map(|c| c.ja).collect();
    header(sheet, &names)?;
    for (i, c) in certs.iter().enumerate() {
        let row = i as u32 + 1;
        for (j, col) in APPLICATIONS.iter().enumerate() {
            let j = j as u16;
            if col.key == "birth_date" {
                sheet.write_datetime_with_format(row, j, date_cell(c.application.birth_date)?, &date_fmt)?;
            } else if let Some(v) = prefilled(c, col.key) {
                // Text cells throughout: a corporate number or phone stays as written.
                sheet.write_string_with_format(row, j, &v, &text)?;
            }
        }
    }
    sheet.autofit();
    let docs = book.add_worksheet();
    docs.set_name("documents")?;
    let names: Vec<&str> = DOCUMENTS.iter().map(|c| c.ja).collect();
    header(docs, &names)?;
    let path = dir.join("renewals").join(format!("{}.xlsx", file_name(key)));
    crate::fsio::write_output(&path, &book.save_to_buffer()?, false)?;
    Ok(path)
}

/// A key as a file name (corporate numbers and application ids are already safe; this
/// keeps it so whatever a product's rules allow).
pub fn file_name(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, d};

    fn cert(id: &str, serial: &str, company: Option<&str>) -> CertRow {
        let mut application = testkit::application(id);
        application.corporate_number = company.map(String::from);
        CertRow { serial: serial.into(), application, issued_on: d(2026, 11, 19), not_after: d(2028, 12, 18) }
    }

    #[test]
    fn one_kit_per_company_or_person_with_renewal_of_set_and_dates_blank() {
        let certs =
            [cert("A2", "0b", Some("4011001040781")), cert("A1", "0a", Some("4011001040781")), cert("G1", "0c", None)];
        let refs: Vec<&CertRow> = certs.iter().collect();
        let kits = group(&refs);
        assert_eq!(kits.keys().collect::<Vec<_>>(), ["4011001040781", "G1"]);
        assert_eq!(kits["4011001040781"].iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(), ["0a", "0b"]);
        let c = &certs[1];
        assert_eq!(prefilled(c, "renewal_of").as_deref(), Some("0a"));
        assert_eq!(prefilled(c, "application_id"), None);
        assert_eq!(prefilled(c, "received_on"), None);
        assert_eq!(prefilled(c, "name_kanji"), Some(c.application.name_kanji.clone()));
        assert_eq!(prefilled(c, "term").as_deref(), Some("2y"));
        let dir = tempfile::tempdir().unwrap();
        let moment = crate::run::issue_moment(d(2028, 10, 19));
        let path = write_kit(dir.path(), "4011001040781", &kits["4011001040781"], moment).unwrap();
        let again = std::fs::read(&path).unwrap();
        write_kit(dir.path(), "4011001040781", &kits["4011001040781"], moment).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), again, "the same bytes on a rerun");
        assert_eq!(file_name("a/b"), "a_b");
    }
}
