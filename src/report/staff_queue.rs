//! What waits for staff after a run: `staff-queue.csv` (the contract's English columns, for
//! scripts) and `staff-queue.xlsx` (the same rows with Japanese headers and filters, for
//! the people who work through them).
//!
//! Three kinds of work: applications held before or during issue, notices that could not
//! go into the print file, and screening findings that are the CA's own work (a listed scan
//! missing or unreadable, a My Number not masked). The last never reach the applicant.

use super::finance::{book_made_at, header};
use crate::screen::Decision;
use crate::text::defuse as csv_safe;
use anyhow::Result;
use chrono::{DateTime, FixedOffset};
use std::path::Path;

/// One line of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffItem {
    pub application_id: String,
    pub kind: Kind,
    /// A contract reason code (`scan_missing:fig.png`, `letter_unprintable:pin`).
    pub reason: String,
    /// What staff should know or do, Japanese where certbatch wrote it.
    pub detail: String,
    /// Where it was found (a sheet and cell, or a letter's file).
    pub file: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Held; lifts itself when the cause is gone.
    Hold,
    /// Held after signing failed; `certbatch release` once fixed.
    StickyHold,
    /// A notice not printed (its letter could not be laid out).
    Letter(&'static str),
    /// A scan to find, rescan or mask: the CA's own work.
    ScanWork,
}

impl Kind {
    fn english(self) -> String {
        match self {
            Kind::Hold => "hold (checked every run)".into(),
            Kind::StickyHold => "hold (release by hand)".into(),
            Kind::Letter(k) => format!("{k} letter"),
            Kind::ScanWork => "scan (staff work)".into(),
        }
    }

    fn japanese(self) -> String {
        match self {
            Kind::Hold => "保留（毎回自動で確認）".into(),
            Kind::StickyHold => "保留（certbatch release で解除）".into(),
            Kind::Letter(k) => format!("印刷できない通知（{k}）"),
            Kind::ScanWork => "スキャン作業（申込者には通知しない）".into(),
        }
    }
}

/// The queue, in this order: holds, unprinted notices, scan work.
pub fn items(
    holds: &[crate::status::Hold],
    queued: &[crate::letters::writer::WrittenLetter],
    decisions: &[Decision],
) -> Vec<StaffItem> {
    let mut out = Vec::new();
    for h in holds {
        out.push(StaffItem {
            application_id: h.application_id.clone(),
            kind: if h.sticky { Kind::StickyHold } else { Kind::Hold },
            reason: h.code.clone(),
            detail: crate::text::for_display(&h.detail),
            file: String::new(),
        });
    }
    for l in queued {
        out.push(StaffItem {
            application_id: l.application_id.clone(),
            kind: Kind::Letter(l.kind),
            reason: "letter_queued".into(),
            detail: l.queued.clone().unwrap_or_default(),
            file: l.file.clone(),
        });
    }
    for d in decisions.iter().filter(|d| d.status == crate::record::Status::Deficient) {
        for f in d.findings.iter().filter(|f| f.code.is_staff_work()) {
            out.push(StaffItem {
                application_id: d.application_id.clone(),
                kind: Kind::ScanWork,
                reason: f.reason(),
                detail: f.message.clone(),
                file: f.location.as_ref().map(ToString::to_string).unwrap_or_default(),
            });
        }
    }
    out
}

/// Writes `staff-queue.csv` and `staff-queue.xlsx` into `dir`.
pub fn write(dir: &Path, items: &[StaffItem], moment: DateTime<FixedOffset>) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["application_id", "kind", "reason", "detail", "file"])?;
    for i in items {
        w.write_record([
            csv_safe(&i.application_id),
            i.kind.english(),
            csv_safe(&i.reason),
            csv_safe(&i.detail),
            csv_safe(&i.file),
        ])?;
    }
    crate::fsio::write_output(&dir.join("staff-queue.csv"), &w.into_inner()?, false)?;

    let mut book = book_made_at(moment)?;
    let sheet = book.add_worksheet();
    sheet.set_name("スタッフ作業")?;
    let cols = ["申込番号", "種別", "理由コード", "内容", "場所"];
    header(sheet, &cols)?;
    for (n, i) in items.iter().enumerate() {
        let row = n as u32 + 1;
        for (c, text) in [&i.application_id, &i.kind.japanese(), &i.reason, &i.detail, &i.file].iter().enumerate() {
            sheet.write_string(row, c as u16, csv_safe(text))?;
        }
    }
    sheet.autofilter(0, 0, items.len().max(1) as u32, (cols.len() - 1) as u16)?;
    sheet.autofit();
    crate::fsio::write_output(&dir.join("staff-queue.xlsx"), &book.save_to_buffer()?, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding, Location};
    use crate::testkit::application;

    fn deficient(findings: Vec<Finding>) -> Decision {
        let app = application("A1");
        Decision {
            application_id: app.id.clone(),
            envelope_id: app.envelope_id.clone(),
            product: app.product.clone(),
            status: crate::record::Status::Deficient,
            findings,
            change: crate::screen::Change::New,
            source: app.source.clone(),
            application: Some(app),
            first_notice_on: None,
        }
    }

    #[test]
    fn scan_work_is_queued_and_the_applicants_own_deficiencies_are_not() {
        let at = Location::file("applications.csv").with_column("file");
        let d = deficient(vec![
            Finding::new(Code::ScanMissing, Some("a.pdf"), "スキャン「a.pdf」がありません").at(at),
            Finding::new(Code::StaleDocument, Some("seal_certificate"), "古い"),
            Finding::new(Code::MyNumberMaskMissing, None, "マスク範囲がありません"),
        ]);
        let got = items(&[], &[], &[d]);
        let reasons: Vec<&str> = got.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(reasons, ["scan_missing:a.pdf", "my_number_mask_missing"]);
        assert!(got.iter().all(|i| i.kind == Kind::ScanWork && i.application_id == "A1"));
        assert!(got[0].file.starts_with("applications.csv"), "{}", got[0].file);
    }

    #[test]
    fn the_workbook_has_japanese_headers_and_the_csv_the_contracts() {
        let tmp = tempfile::tempdir().unwrap();
        let d = deficient(vec![Finding::new(Code::ScanUnreadable, Some("b.png"), "読めません")]);
        let moment = DateTime::parse_from_rfc3339("2026-11-19T09:00:00+09:00").unwrap();
        write(tmp.path(), &items(&[], &[], &[d]), moment).unwrap();
        let csv = std::fs::read_to_string(tmp.path().join("staff-queue.csv")).unwrap();
        assert!(csv.starts_with("application_id,kind,reason,detail,file\n"), "{csv}");
        assert!(csv.contains("A1,scan (staff work),scan_unreadable:b.png,読めません,"), "{csv}");
        let xlsx = std::fs::read(tmp.path().join("staff-queue.xlsx")).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a zip");
    }
}
