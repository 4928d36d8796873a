//! Reports: `screening.csv` and the day's summary, for staff and for scripts.
//!
//! Takes the run's decisions and notes; gives files under `OUT/<batch>/` (written
//! atomically) and the text printed on stdout. Every cell that came from outside is
//! written so a spreadsheet cannot run it as a formula.

pub mod accounts;
pub mod finance;
pub mod staff_queue;
pub mod story;
pub mod summary;

use crate::screen::Decision;
use crate::text::defuse as csv_safe;
use anyhow::Result;
use std::path::Path;

/// `screening.csv`: `application_id,envelope_id,product,status,reasons,messages`, one row
/// per decision, messages in the order of the reasons, `;`-separated.
pub fn screening_csv(decisions: &[Decision]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["application_id", "envelope_id", "product", "status", "reasons", "messages"])?;
    for d in decisions {
        let messages: Vec<String> = d.findings.iter().map(|f| f.message_with_location().replace(';', "；")).collect();
        w.write_record([
            csv_safe(&d.application_id),
            csv_safe(&d.envelope_id),
            csv_safe(&d.product),
            d.status.to_string(),
            d.reasons(),
            csv_safe(&messages.join("; ")),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// `issued.csv`: `application_id,serial,subject,not_before,not_after,cert_file,p12_file,download_expires`.
pub fn write_issued_csv(dir: &Path, rows: &[crate::ledger::issuance::IssuedRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "application_id",
        "serial",
        "subject",
        "not_before",
        "not_after",
        "cert_file",
        "p12_file",
        "download_expires",
    ])?;
    for r in rows {
        w.write_record([
            csv_safe(&r.application_id),
            r.serial.clone(),
            csv_safe(&r.subject),
            r.not_before.clone(),
            r.not_after.clone(),
            csv_safe(&r.cert_file),
            csv_safe(&r.p12_file),
            r.download_expires.clone(),
        ])?;
    }
    crate::fsio::write_output(&dir.join("issued.csv"), &w.into_inner()?, false)
}

/// Writes the day's files under `out/<batch>/`.
pub fn write_batch_reports(dir: &Path, decisions: &[Decision], summary: &summary::Summary) -> Result<()> {
    crate::fsio::write_output(&dir.join("screening.csv"), &screening_csv(decisions)?, false)?;
    crate::fsio::write_output(&dir.join("report.txt"), summary.render().as_bytes(), false)?;
    crate::fsio::write_output(&dir.join("report.json"), &serde_json::to_vec_pretty(summary)?, false)?;
    Ok(())
}

/// A hold as a finding on the day's decision: the application stays `accepted` and the
/// reason says why it waits (`letter_unprintable:pin`), with what staff should do.
pub fn hold_finding(h: &crate::status::Hold) -> crate::finding::Finding {
    use crate::finding::{Code, Finding};
    let (code, detail) = h.code.split_once(':').map_or((h.code.as_str(), None), |(c, d)| (c, Some(d)));
    let code = Code::HOLDS.iter().copied().find(|c| c.as_str() == code).unwrap_or(Code::IssueFailed);
    let what = if h.sticky {
        "発行処理中に失敗したため保留しています。原因を解消したうえで certbatch release で保留を解除してください"
    } else {
        "発行前の確認で問題が見つかったため保留しています。原因が解消されれば次回の実行で発行します"
    };
    Finding::new(code, detail, format!("{what}（{}）", crate::text::for_display(&h.detail)))
}
