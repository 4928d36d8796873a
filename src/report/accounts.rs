//! `rows.csv`: where every physical record of every input went.
//!
//! The contract's first promise is that nothing is dropped silently: each row of the
//! applications and documents tables (header, title lines and blank rows included), each
//! file under `scans/` and each record of each bank statement is one line here, with what
//! became of it. A reader that did not write certbatch can count the inputs and find each
//! one here (`tests/accounts.rs` does, with Python's `csv` and openpyxl).
//!
//! Columns: `file,sheet,row,kind,id,outcome,detail`.

use crate::intake::Batch;
use crate::payments::StatementAccounts;
use crate::screen::{Change, Decision};
use crate::text::{defuse, for_display};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// One line of `rows.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Account {
    pub file: String,
    pub sheet: String,
    /// The row (tables, CSV statements) or record (Zengin) number; 0 for a whole file.
    pub row: usize,
    pub kind: String,
    pub id: String,
    pub outcome: String,
    pub detail: String,
}

/// Every input record of the batch and its fate.
impl Account {
    /// The header row of a CSV file (row 1): not data, read for its column names.
    pub fn header(file: &str) -> Account {
        Account {
            file: file.to_string(),
            sheet: String::new(),
            row: 1,
            kind: "header".into(),
            id: String::new(),
            outcome: "not_data".into(),
            detail: String::new(),
        }
    }

    /// A row of a batch's `revocations.csv` or `receipts.csv` and what became of it.
    pub fn of_request(a: &crate::lifecycle::requests::Answer) -> Account {
        let (file, row) = match a.source.rsplit_once(" row ") {
            Some((f, r)) => (f, r.parse().unwrap_or(0)),
            None => (a.source.as_str(), 0),
        };
        let file = file.split_once('/').map_or(file, |(_, f)| f);
        let kind = if file.starts_with("receipts") { "receipt" } else { "revocation_request" };
        Account {
            file: file.to_string(),
            sheet: String::new(),
            row,
            kind: kind.into(),
            id: if a.application_id.is_empty() { a.serial.clone() } else { a.application_id.clone() },
            outcome: a.status.clone(),
            detail: a.message.clone(),
        }
    }
}

pub fn accounts(
    batch: &Batch,
    decisions: &[Decision],
    held_documents: &[(crate::finding::Location, String)],
    statements: &StatementAccounts,
) -> Vec<Account> {
    let mut out = Vec::new();
    let key = |l: &crate::finding::Location| (l.file.clone(), l.sheet.clone().unwrap_or_default(), l.row.unwrap_or(0));
    let by_source: BTreeMap<(String, String, usize), &Decision> = decisions
        .iter()
        .filter(|d| !matches!(d.change, Change::Rescreened | Change::Carried))
        .map(|d| (key(&d.source), d))
        .collect();
    for a in &batch.applications {
        let (file, sheet, row) = key(&a.source);
        let (id, outcome, detail) = match by_source.get(&(file.clone(), sheet.clone(), row)) {
            Some(d) => (d.application_id.clone(), d.status.to_string(), d.reasons()),
            None => {
                (a.raw_id.clone(), "read_once".to_string(), "repeats an earlier row of the same application".into())
            }
        };
        out.push(Account { file, sheet, row, kind: "application".into(), id, outcome, detail });
    }
    let held: BTreeMap<(String, String, usize), &String> =
        held_documents.iter().map(|(l, why)| (key(l), why)).collect();
    for d in &batch.documents {
        let (file, sheet, row) = key(&d.source);
        let id = d.owner.as_ref().map(|o| o.id().to_string()).unwrap_or_default();
        let reasons: Vec<String> = d.findings.iter().map(|f| f.reason()).collect();
        let (outcome, detail) = if let Some(why) = held.get(&(file.clone(), sheet.clone(), row)) {
            ("kept_with_rejected_row".to_string(), (*why).clone())
        } else {
            match (&d.owner, &d.document) {
                (None, _) => ("serves_nobody".into(), "names neither application_id nor envelope_id".into()),
                (Some(_), None) => ("unreadable".into(), reasons.join(";")),
                (Some(_), Some(doc)) => ("recorded".into(), doc.doc_type.clone()),
            }
        };
        out.push(Account { file, sheet, row, kind: "document".into(), id, outcome, detail });
    }
    for t in &batch.other_rows {
        for (row, kind, what) in &t.rows {
            out.push(Account {
                file: t.file.clone(),
                sheet: t.sheet.clone().unwrap_or_default(),
                row: *row,
                kind: kind.as_str().into(),
                id: String::new(),
                outcome: "not_data".into(),
                detail: what.clone(),
            });
        }
    }
    for f in &batch.scan_tree.files {
        let (outcome, detail) = match batch.scans.get(f) {
            Some(s) => ("listed".to_string(), s.status().to_string()),
            None => ("unlisted".to_string(), "no documents row names it".to_string()),
        };
        out.push(Account {
            file: format!("scans/{f}"),
            sheet: String::new(),
            row: 0,
            kind: "scan".into(),
            id: String::new(),
            outcome,
            detail,
        });
    }
    for l in &batch.scan_tree.links {
        out.push(Account {
            file: format!("scans/{l}"),
            sheet: String::new(),
            row: 0,
            kind: "link".into(),
            id: String::new(),
            outcome: "not_followed".into(),
            detail: "links are not followed".into(),
        });
    }
    for (file, outcome, detail) in &statements.files {
        out.push(Account {
            file: file.clone(),
            sheet: String::new(),
            row: 0,
            kind: "statement".into(),
            id: String::new(),
            outcome: outcome.clone(),
            detail: detail.clone(),
        });
    }
    for (file, row, kind, id, outcome, detail) in &statements.records {
        out.push(Account {
            file: file.clone(),
            sheet: String::new(),
            row: *row,
            kind: kind.clone(),
            id: id.clone(),
            outcome: outcome.clone(),
            detail: detail.clone(),
        });
    }
    if let Some(d) = &batch.decisions {
        out.push(Account {
            file: d.shown.clone(),
            sheet: String::new(),
            row: 0,
            kind: "decisions".into(),
            id: String::new(),
            outcome: "read".into(),
            detail: String::new(),
        });
    }
    out.sort();
    out
}

/// Writes `rows.csv` into the batch's output folder.
pub fn write(dir: &Path, accounts: &[Account]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["file", "sheet", "row", "kind", "id", "outcome", "detail"])?;
    for a in accounts {
        w.write_record([
            defuse(&for_display(&a.file)),
            defuse(&a.sheet),
            a.row.to_string(),
            a.kind.clone(),
            defuse(&for_display(&a.id)),
            a.outcome.clone(),
            defuse(&for_display(&a.detail)),
        ])?;
    }
    crate::fsio::write_output(&dir.join("rows.csv"), &w.into_inner()?, false)
}
