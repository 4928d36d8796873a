//! Revocation requests and receipts from staff (`certbatch revoke`, `certbatch receipts
//! import`): each read, decided against the ledger, and, unless it is a dry run, recorded
//! in one transaction; then the CRL and the day's files (`OUT/daily-<day>/`) follow, as
//! after `daily`.

use super::daily::{self, DailyReport};
use super::receipts::{self, Receipt};
use super::revocation::{self, Outcome, Request, Target};
use crate::config::Config;
use crate::ledger::lifecycle::{ActionRow, DayWrite, RevocationRow};
use crate::ledger::Ledger;
use crate::run::Options;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What became of one request or receipt, for stdout and the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub source: String,
    pub serial: String,
    pub application_id: String,
    pub status: String,
    pub message: String,
}

/// A request that could not even be read: refused with its reason.
pub type Unreadable = (String, String);

fn refused((source, message): Unreadable) -> Answer {
    Answer { source, serial: String::new(), application_id: String::new(), status: "refused".into(), message }
}

/// Reads `revocations.csv`; each row a request, or why it is not one.
pub fn read_revocations(path: &Path) -> Result<Vec<Result<Request, Unreadable>>> {
    let file = path.display().to_string();
    let rows = super::sheet::read(path, revocation::COLUMNS)?;
    Ok(rows
        .iter()
        .map(|r| revocation::request_from_row(r, &file).map_err(|why| (format!("{file} row {}", r.row), why)))
        .collect())
}

/// Decides and (unless `dry_run`) records revocation requests; a certificate named twice
/// is revoked once.
pub fn revoke(
    opts: &Options,
    requests: Vec<Result<Request, Unreadable>>,
    dry_run: bool,
) -> Result<(Vec<Answer>, Option<DailyReport>)> {
    apply(opts, requests, Vec::new(), dry_run)
}

/// Reads receipt files: CSV (`receipts.csv` columns) or `.eml` receipt mails, each checked
/// against the certificate it is signed with.
pub fn read_receipts(
    ledger: Option<&Ledger>,
    files: &[PathBuf],
    today: NaiveDate,
) -> Result<Vec<Result<Receipt, Unreadable>>> {
    let mut out = Vec::new();
    for f in files {
        let file = f.display().to_string();
        let is_mail = f.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"));
        if !is_mail {
            let rows = super::sheet::read(f, receipts::COLUMNS)?;
            out.extend(
                rows.iter().map(|r| {
                    receipts::receipt_from_row(r, &file).map_err(|why| (format!("{file} row {}", r.row), why))
                }),
            );
            continue;
        }
        let raw = std::fs::read(f).with_context(|| format!("cannot read {file}"))?;
        let cert = |serial: &str| ledger.and_then(|l| l.cert_der(serial).ok().flatten());
        out.push(match receipts::verify_signed_mail(&raw, cert) {
            Ok(m) => Ok(Receipt {
                target: Target::Serial(m.serial),
                received_on: m.sent_on.unwrap_or(today).min(today),
                method: receipts::Method::SignedMail,
                source: file,
            }),
            Err(why) => Err((file, why)),
        });
    }
    Ok(out)
}

/// `certbatch receipts import FILE...`.
pub fn import_receipts(opts: &Options, files: &[PathBuf]) -> Result<(Vec<Answer>, Option<DailyReport>)> {
    let read = {
        let ledger = Ledger::open_read_only(&opts.state_dir)?;
        read_receipts(ledger.as_ref(), files, opts.as_of)?
    };
    apply(opts, Vec::new(), read, false)
}

fn apply(
    opts: &Options,
    requests: Vec<Result<Request, Unreadable>>,
    receipts_in: Vec<Result<Receipt, Unreadable>>,
    dry_run: bool,
) -> Result<(Vec<Answer>, Option<DailyReport>)> {
    let config = Config::load(&opts.pipelines_dir)?;
    let today = opts.as_of;
    let name = daily::day_folder(today);
    if dry_run {
        let ledger = Ledger::open_read_only(&opts.state_dir)?;
        let mut w = DayWrite::default();
        let answers = decide_all(ledger.as_ref(), requests, receipts_in, today, "", &mut w)?;
        return Ok((answers, None));
    }
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    crate::recovery::recover(&mut ledger, &opts.out_dir, &opts.state_dir)?;
    let moment = crate::run::issue_moment(today);
    let ca = crate::issue::ca_source::open(&config.ca, &opts.state_dir, moment, true)?;
    let mut w = DayWrite::default();
    let answers = decide_all(Some(&ledger), requests, receipts_in, today, &crate::jpdate::iso(moment), &mut w)?;
    if w.revocations.is_empty() && w.receipts.is_empty() {
        return Ok((answers, None));
    }
    // The day's folder keeps the moment of its first run (its mails' dates).
    let day_moment = daily::day_moment(&ledger, &name, today)?;
    ledger.record(
        &crate::run::run_write(&name, "revoke", today, day_moment, crate::jpdate::now_iso()),
        &[],
        &[],
        &[],
    )?;
    ledger.record_day(today, &w)?;
    let report = daily::finish_day(&mut ledger, &config, &ca.ca, opts, today, day_moment)?;
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    Ok((answers, Some(report)))
}

fn decide_all(
    ledger: Option<&Ledger>,
    requests: Vec<Result<Request, Unreadable>>,
    receipts_in: Vec<Result<Receipt, Unreadable>>,
    today: NaiveDate,
    at: &str,
    w: &mut DayWrite,
) -> Result<Vec<Answer>> {
    let facts = |t: &Target| -> Result<_> {
        Ok(match ledger {
            Some(l) => l.cert_facts(t)?,
            None => None,
        })
    };
    let mut answers = Vec::new();
    let mut named: BTreeSet<String> = BTreeSet::new();
    for r in requests {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                answers.push(refused(e));
                continue;
            }
        };
        let cert = facts(&r.target)?;
        let mut d = revocation::decide(r, cert, today);
        if let Some(c) = &d.cert {
            if d.outcome.records() && !named.insert(c.serial.clone()) {
                d.outcome = Outcome::AlreadyRevoked;
                d.message = format!("{} is named twice; revoked once", c.serial);
            }
        }
        if d.outcome.records() {
            let c = d.cert.as_ref().expect("a recorded request names a certificate");
            let effective_on = d.request.effective_on.unwrap_or(today).max(today);
            let now = d.outcome == Outcome::Revoked;
            w.revocations.push(RevocationRow {
                serial: c.serial.clone(),
                application_id: c.application_id.clone(),
                reason: d.request.reason,
                requested_by: d.request.requested_by,
                requested_on: d.request.requested_on,
                invalidity_date: d.request.invalidity_date,
                effective_on,
                revoked_at: now.then(|| at.to_string()),
                source: d.request.source.clone(),
            });
            if now {
                w.actions.push(ActionRow {
                    application_id: c.application_id.clone(),
                    serial: c.serial.clone(),
                    action: "revoked".into(),
                    detail: format!(
                        "{} (requested {} by {})",
                        d.request.reason,
                        d.request.requested_on,
                        d.request.requested_by.as_str()
                    ),
                    due_on: effective_on,
                });
            }
        }
        answers.push(Answer {
            source: d.request.source.clone(),
            serial: d.cert.as_ref().map(|c| c.serial.clone()).unwrap_or_default(),
            application_id: d.cert.as_ref().map(|c| c.application_id.clone()).unwrap_or_default(),
            status: d.outcome.as_str().into(),
            message: d.message,
        });
    }
    let mut received: BTreeSet<String> = BTreeSet::new();
    for r in receipts_in {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                answers.push(refused(e));
                continue;
            }
        };
        let cert = facts(&r.target)?;
        let had = match (&cert, ledger) {
            (Some(c), Some(l)) => l.receipt_of(&c.serial)?,
            _ => None,
        };
        let (mut outcome, mut message) = receipts::decide(&r, cert.as_ref(), had, today);
        if let Some(c) = &cert {
            if outcome == receipts::Outcome::Recorded && !received.insert(c.serial.clone()) {
                outcome = receipts::Outcome::AlreadyRecorded;
                message = format!("{} has a receipt in this import already; nothing changes", c.serial);
            }
            if outcome == receipts::Outcome::Recorded {
                w.receipts.push((c.serial.clone(), r.received_on, r.method.as_str().to_string(), r.source.clone()));
            }
        }
        answers.push(Answer {
            source: r.source.clone(),
            serial: cert.as_ref().map(|c| c.serial.clone()).unwrap_or_default(),
            application_id: cert.as_ref().map(|c| c.application_id.clone()).unwrap_or_default(),
            status: outcome.as_str().into(),
            message,
        });
    }
    Ok(answers)
}
