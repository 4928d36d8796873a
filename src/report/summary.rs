//! The day's summary: counts a person checks at a glance, and every batch-level note.

use crate::intake::{Batch, BatchNote};
use crate::ledger::RecordCounts;
use crate::screen::{Change, Decision};
use crate::text::for_display;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub batch: String,
    pub command: String,
    pub as_of: String,
    pub rows_read: usize,
    pub applications: usize,
    pub by_status: BTreeMap<String, usize>,
    pub new_applications: usize,
    pub unchanged_applications: usize,
    pub rescreened_applications: usize,
    pub documents: usize,
    pub scans_listed: usize,
    pub scans_by_status: BTreeMap<String, usize>,
    pub unlisted_scans: Vec<String>,
    pub problems_by_code: BTreeMap<String, usize>,
    pub notes: Vec<String>,
    /// What the ledger recorded (absent for `check`).
    pub recorded: Option<Recorded>,
    pub issued: usize,
    pub awaiting_payment: usize,
    pub issue_problems: Vec<String>,
    pub recovered_reservations: usize,
    pub demo_ca: bool,
    pub payments: Option<Payments>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Payments {
    pub new_credits: usize,
    pub repeated_credits: usize,
    pub decided_by_status: BTreeMap<String, usize>,
    pub newly_paid: usize,
    pub refused_files: Vec<String>,
    pub already_imported: Vec<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Recorded {
    pub run_id: i64,
    pub new_applications: usize,
    pub changed_statuses: usize,
    pub new_documents: usize,
    pub changed_documents: usize,
}

impl Summary {
    pub fn new(
        batch: &Batch,
        command: &str,
        as_of: chrono::NaiveDate,
        decisions: &[Decision],
        notes: &[BatchNote],
    ) -> Summary {
        let mut s = Summary {
            batch: batch.name.clone(),
            command: command.into(),
            as_of: as_of.to_string(),
            rows_read: batch.rows_read,
            applications: decisions.len(),
            documents: batch.documents.len(),
            scans_listed: batch.scans.len(),
            unlisted_scans: batch.unlisted_scans.clone(),
            ..Summary::default()
        };
        for d in decisions {
            *s.by_status.entry(d.status.to_string()).or_default() += 1;
            match d.change {
                Change::New => s.new_applications += 1,
                Change::Same => s.unchanged_applications += 1,
                Change::Rescreened => s.rescreened_applications += 1,
                Change::Duplicate | Change::NotAnApplication => {}
            }
            for f in &d.findings {
                *s.problems_by_code.entry(f.code.to_string()).or_default() += 1;
            }
        }
        for scan in batch.scans.values() {
            *s.scans_by_status.entry(scan.status().to_string()).or_default() += 1;
        }
        s.notes =
            batch.notes.iter().chain(notes).map(|n| for_display(&format!("{}: {}", n.location, n.message))).collect();
        s.unlisted_scans = s.unlisted_scans.iter().map(|f| for_display(f)).collect();
        s
    }

    pub fn with_recorded(mut self, c: &RecordCounts) -> Summary {
        self.recorded = Some(Recorded {
            run_id: c.run_id,
            new_applications: c.new_applications,
            changed_statuses: c.changed_statuses,
            new_documents: c.new_documents,
            changed_documents: c.changed_documents,
        });
        self
    }

    /// Counts statuses again after a later stage changed them (issuance).
    pub fn recount_statuses(&mut self, decisions: &[Decision]) {
        self.by_status.clear();
        for d in decisions {
            *self.by_status.entry(d.status.to_string()).or_default() += 1;
        }
    }

    pub fn with_payments(mut self, p: &crate::payments::PaymentsReport) -> Summary {
        self.payments = Some(Payments {
            new_credits: p.counts.new_credits,
            repeated_credits: p.counts.repeated_credits,
            decided_by_status: p.by_status.clone(),
            newly_paid: p.counts.newly_paid,
            refused_files: p.refused.iter().map(|x| for_display(x)).collect(),
            already_imported: p.already_imported.iter().map(|x| for_display(x)).collect(),
            problems: p.problems.iter().map(|x| for_display(x)).collect(),
        });
        self
    }

    pub fn with_issue(mut self, r: &crate::issue::IssueReport) -> Summary {
        self.issued = r.issued.len();
        self.awaiting_payment = r.awaiting_payment.len();
        self.issue_problems = r.problems.iter().map(|(id, why)| format!("{id}: {why}")).collect();
        self.recovered_reservations = r.recovered;
        self.demo_ca = r.demo_ca;
        self
    }

    /// The summary as a person reads it on a terminal.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let counts =
            |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(o, "certbatch {} {} (as of {})", self.command, self.batch, self.as_of);
        let _ = writeln!(o, "  rows read      {}", self.rows_read);
        let _ = writeln!(
            o,
            "  applications   {} ({}) — new {}, unchanged {}, rescreened {}",
            self.applications,
            counts(&self.by_status),
            self.new_applications,
            self.unchanged_applications,
            self.rescreened_applications
        );
        let _ = writeln!(o, "  documents      {}", self.documents);
        let _ = writeln!(
            o,
            "  scans          {} listed ({}), {} not listed by any row",
            self.scans_listed,
            counts(&self.scans_by_status),
            self.unlisted_scans.len()
        );
        if !self.problems_by_code.is_empty() {
            let _ = writeln!(o, "  problems       {}", counts(&self.problems_by_code));
        }
        match &self.recorded {
            Some(r) => {
                let _ = writeln!(
                    o,
                    "  recorded       run {}: {} new applications, {} status changes, {} new documents, {} corrected documents",
                    r.run_id, r.new_applications, r.changed_statuses, r.new_documents, r.changed_documents
                );
            }
            None => {
                let _ = writeln!(o, "  recorded       nothing (check)");
            }
        }
        if let Some(p) = &self.payments {
            let _ = writeln!(
                o,
                "  payments       {} new credits ({} seen before): {}; {} applications paid",
                p.new_credits,
                p.repeated_credits,
                if p.decided_by_status.is_empty() { "none to match".to_string() } else { counts(&p.decided_by_status) },
                p.newly_paid
            );
            for f in &p.refused_files {
                let _ = writeln!(o, "  refused file   {f}");
            }
            for f in &p.already_imported {
                let _ = writeln!(o, "  imported before {f}");
            }
            for f in &p.problems {
                let _ = writeln!(o, "  payment note   {f}");
            }
        }
        if self.recorded.is_some() {
            let _ = writeln!(
                o,
                "  issued         {} certificates{}, {} accepted awaiting payment{}",
                self.issued,
                if self.demo_ca { " by the DEMO CA (not for production)" } else { "" },
                self.awaiting_payment,
                if self.recovered_reservations > 0 {
                    format!(", {} reservations of an interrupted run voided", self.recovered_reservations)
                } else {
                    String::new()
                }
            );
        }
        for p in &self.issue_problems {
            let _ = writeln!(o, "  not issued     {p}");
        }
        for f in &self.unlisted_scans {
            let _ = writeln!(o, "  unlisted scan  scans/{f}");
        }
        for n in &self.notes {
            let _ = writeln!(o, "  note           {n}");
        }
        o
    }
}
