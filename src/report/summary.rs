//! The day's summary: counts a person checks at a glance, and every batch-level note.
//!
//! `report.txt` and `report.json` describe the batch as it stands after the run (its
//! applications by status, its payments, the certificates issued under it), so a rerun
//! writes them byte for byte again. What this particular run changed (new applications,
//! what it recorded, credits it imported, certificates it issued, a killed run it
//! recovered) is printed on stdout only: [`Summary::render_run`].

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
    pub documents: usize,
    pub scans_listed: usize,
    pub scans_by_status: BTreeMap<String, usize>,
    pub unlisted_scans: Vec<String>,
    pub problems_by_code: BTreeMap<String, usize>,
    pub notes: Vec<String>,
    /// Certificates issued under this batch, by any of its runs.
    pub issued: usize,
    pub awaiting_payment: usize,
    /// Accepted applications of token products waiting for the card station.
    #[serde(default)]
    pub awaiting_card: usize,
    /// Applications waiting for staff (`staff-queue.csv`), each with why.
    pub held: Vec<String>,
    pub demo_ca: bool,
    /// This batch's credits by status, as `payments.csv` lists them.
    pub payments_by_status: BTreeMap<String, usize>,
    pub payment_notes: Vec<String>,
    /// What this run changed: printed, never written to the report files.
    #[serde(skip)]
    pub this_run: Option<ThisRun>,
}

/// Issuance's counts, for [`Summary::with_issue`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IssueCounts {
    pub issued_in_batch: usize,
    pub issued_now: usize,
    /// The ledger run that issued them (its print files are `*-run<N>`).
    pub issue_run: Option<i64>,
    pub awaiting_payment: usize,
    pub awaiting_card: usize,
    pub recovered: usize,
    pub demo_ca: bool,
}

/// What one run changed, for the operator watching it.
#[derive(Debug, Clone, Default)]
pub struct ThisRun {
    pub new_applications: usize,
    pub unchanged_applications: usize,
    pub rescreened_applications: usize,
    pub corrected_applications: usize,
    pub recorded: Option<RecordCounts>,
    pub new_credits: usize,
    pub repeated_credits: usize,
    pub newly_paid: usize,
    pub already_imported: Vec<String>,
    pub issued: usize,
    pub issue_run: Option<i64>,
    pub recovered_reservations: usize,
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
            unlisted_scans: batch.unlisted_scans.iter().map(|f| for_display(f)).collect(),
            ..Summary::default()
        };
        let mut run = ThisRun::default();
        for d in decisions {
            *s.by_status.entry(d.status.to_string()).or_default() += 1;
            match d.change {
                Change::New => run.new_applications += 1,
                Change::Same => run.unchanged_applications += 1,
                Change::Rescreened => run.rescreened_applications += 1,
                Change::Corrected => run.corrected_applications += 1,
                Change::Duplicate | Change::NotAnApplication | Change::Carried => {}
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
        s.this_run = Some(run);
        s
    }

    fn run(&mut self) -> &mut ThisRun {
        self.this_run.get_or_insert_with(ThisRun::default)
    }

    pub fn with_recorded(mut self, c: &RecordCounts) -> Summary {
        self.run().recorded = Some(*c);
        self
    }

    /// Counts statuses again after a later stage changed them (issuance), and the findings
    /// holds added.
    pub fn recount_statuses(&mut self, decisions: &[Decision]) {
        self.applications = decisions.len();
        self.by_status.clear();
        self.problems_by_code.clear();
        for d in decisions {
            *self.by_status.entry(d.status.to_string()).or_default() += 1;
            for f in &d.findings {
                *self.problems_by_code.entry(f.code.to_string()).or_default() += 1;
            }
        }
    }

    /// What this run's payments stage did, and what it could not read.
    pub fn with_payments(mut self, p: &crate::payments::PaymentsReport) -> Summary {
        let run = self.run();
        run.new_credits = p.counts.new_credits;
        run.repeated_credits = p.counts.repeated_credits;
        run.newly_paid = p.counts.newly_paid;
        run.already_imported = p.already_imported.iter().map(|x| for_display(x)).collect();
        self.payment_notes = p.refused.iter().chain(&p.problems).map(|x| for_display(x)).collect();
        self
    }

    /// The batch's credits by status (its `payments.csv`).
    pub fn with_batch_payments(mut self, rows: &[crate::ledger::payments::PaymentRow]) -> Summary {
        self.payments_by_status.clear();
        for r in rows {
            *self.payments_by_status.entry(r.status.to_string()).or_default() += 1;
        }
        self
    }

    /// What issuance left: certificates under the batch, applications awaiting their fee
    /// or held for staff, and what this run issued and recovered.
    pub fn with_issue(mut self, i: IssueCounts, holds: &[crate::status::Hold]) -> Summary {
        self.issued = i.issued_in_batch;
        self.awaiting_payment = i.awaiting_payment;
        self.awaiting_card = i.awaiting_card;
        self.held =
            holds.iter().map(|h| for_display(&format!("{}: {}: {}", h.application_id, h.code, h.detail))).collect();
        self.held.sort();
        self.demo_ca = i.demo_ca;
        let run = self.run();
        run.issued = i.issued_now;
        run.issue_run = i.issue_run;
        run.recovered_reservations = i.recovered;
        self
    }

    /// The summary of the batch, as `report.txt` holds it.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let counts =
            |m: &BTreeMap<String, usize>| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(o, "certbatch {} {} (as of {})", self.command, self.batch, self.as_of);
        let _ = writeln!(o, "  rows read      {}", self.rows_read);
        let _ = writeln!(o, "  applications   {} ({})", self.applications, counts(&self.by_status));
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
        if self.command != "check" {
            let _ = writeln!(
                o,
                "  payments       {}",
                if self.payments_by_status.is_empty() {
                    "no credits".to_string()
                } else {
                    counts(&self.payments_by_status)
                }
            );
            let _ = writeln!(
                o,
                "  issued         {} certificates under this batch{}, {} accepted awaiting payment",
                self.issued,
                if self.demo_ca { " by the DEMO CA (not for production)" } else { "" },
                self.awaiting_payment,
            );
            if self.awaiting_card > 0 {
                let _ = writeln!(
                    o,
                    "  cards          {} accepted awaiting their card: run `certbatch cards personalise` at the card station",
                    self.awaiting_card
                );
            }
        }
        for p in &self.payment_notes {
            let _ = writeln!(o, "  payment note   {p}");
        }
        for h in &self.held {
            let _ = writeln!(o, "  held           {h}");
        }
        if !self.held.is_empty() {
            let _ =
                writeln!(o, "  staff queue    {} applications wait for staff: see staff-queue.csv", self.held.len());
        }
        for f in &self.unlisted_scans {
            let _ = writeln!(o, "  unlisted scan  scans/{f}");
        }
        for n in &self.notes {
            let _ = writeln!(o, "  note           {n}");
        }
        o
    }

    /// What this run changed, for stdout.
    pub fn render_run(&self) -> String {
        let mut o = String::new();
        let Some(r) = &self.this_run else { return o };
        let _ = writeln!(
            o,
            "  this run       new {}, unchanged {}, rescreened {}, corrected {}",
            r.new_applications, r.unchanged_applications, r.rescreened_applications, r.corrected_applications
        );
        match &r.recorded {
            Some(c) => {
                let _ = writeln!(
                    o,
                    "  recorded       run {}: {} new applications, {} status changes, {} new documents, {} corrected documents",
                    c.run_id, c.new_applications, c.changed_statuses, c.new_documents, c.changed_documents
                );
                let _ = writeln!(
                    o,
                    "  credits        {} new ({} seen before); {} applications paid; {} certificates issued{}{}",
                    r.new_credits,
                    r.repeated_credits,
                    r.newly_paid,
                    r.issued,
                    match r.issue_run {
                        Some(n) if r.issued > 0 => format!(" in run {n} (print files and manifest *-run{n})"),
                        _ => String::new(),
                    },
                    if r.recovered_reservations > 0 {
                        format!("; {} reservations of an interrupted run voided", r.recovered_reservations)
                    } else {
                        String::new()
                    }
                );
            }
            None => {
                let _ = writeln!(o, "  recorded       nothing (check)");
            }
        }
        for f in &r.already_imported {
            let _ = writeln!(o, "  imported before {f}");
        }
        o
    }
}
