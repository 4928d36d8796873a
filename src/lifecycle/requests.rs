//! Revocation requests and receipts from staff (`certbatch revoke`, `certbatch receipts
//! import`): each read, decided against the ledger, and, unless it is a dry run, recorded
//! in one transaction; then the CRL and the day's files (`OUT/daily-<day>/`) follow, as
//! after `daily`.

use super::changes::{self, ChangeRequest};
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

/// `requests.csv` of a batch: what became of each row of its `revocations.csv` and
/// `receipts.csv`.
pub fn write_answers(dir: &Path, answers: &[Answer]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["source", "serial", "application_id", "status", "message"])?;
    for a in answers {
        w.write_record([
            crate::text::defuse(&a.source),
            a.serial.clone(),
            a.application_id.clone(),
            a.status.clone(),
            crate::text::defuse(&crate::text::for_display(&a.message)),
        ])?;
    }
    crate::fsio::write_output(&dir.join("requests.csv"), &w.into_inner()?, false)
}

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

fn answer_of(source: &str, cert: Option<&revocation::CertFacts>, status: &str, message: String) -> Answer {
    Answer {
        source: source.to_string(),
        serial: cert.map(|c| c.serial.clone()).unwrap_or_default(),
        application_id: cert.map(|c| c.application_id.clone()).unwrap_or_default(),
        status: status.to_string(),
        message,
    }
}

fn refused((source, message): Unreadable) -> Answer {
    Answer { source, serial: String::new(), application_id: String::new(), status: "refused".into(), message }
}

/// Reads `revocations.csv`; each row a request, or why it is not one.
pub fn read_revocations(path: &Path) -> Result<Vec<Result<Request, Unreadable>>> {
    read_rows(path, &path.display().to_string(), revocation::COLUMNS, revocation::request_from_row)
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
            out.extend(read_rows(f, &file, receipts::COLUMNS, receipts::receipt_from_row)?);
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
    if dry_run {
        let ledger = Ledger::open_read_only(&opts.state_dir)?;
        let mut w = DayWrite::default();
        let answers = decide_all(ledger.as_ref(), requests, receipts_in, opts.as_of, "", None, &mut w)?;
        return Ok((answers, None));
    }
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    crate::recovery::recover(&mut ledger, &opts.out_dir, &opts.state_dir)?;
    let ca = crate::issue::ca_source::open(&config.ca, &opts.state_dir, crate::run::issue_moment(opts.as_of), true)?;
    let done = apply_open(&mut ledger, &config, &ca.ca, opts, requests, receipts_in, None)?;
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    Ok(done)
}

/// Decides, records and follows up requests and receipts with the ledger and CA already
/// open (a `run` whose batch folder holds `revocations.csv` or `receipts.csv`). `replay`:
/// the day a batch first ran, so its rows, read again, answer as they did then.
pub fn apply_open(
    ledger: &mut Ledger,
    config: &Config,
    ca: &crate::issue::ca::Ca,
    opts: &Options,
    requests: Vec<Result<Request, Unreadable>>,
    receipts_in: Vec<Result<Receipt, Unreadable>>,
    replay: Option<NaiveDate>,
) -> Result<(Vec<Answer>, Option<DailyReport>)> {
    let today = opts.as_of;
    let name = daily::day_folder(today);
    let moment = crate::run::issue_moment(today);
    let mut w = DayWrite::default();
    let answers = decide_all(Some(ledger), requests, receipts_in, today, &crate::jpdate::iso(moment), replay, &mut w)?;
    if w.revocations.is_empty() && w.receipts.is_empty() {
        return Ok((answers, None));
    }
    // The day's folder keeps the moment of its first run (its mails' dates).
    let day_moment = daily::day_moment(ledger, &name, today)?;
    ledger.record(
        &crate::run::run_write(&name, "revoke", today, day_moment, crate::jpdate::now_iso()),
        &[],
        &[],
        &[],
    )?;
    ledger.record_day(today, &w)?;
    let report = daily::finish_day(ledger, config, ca, opts, today, day_moment)?;
    Ok((answers, Some(report)))
}

/// The `revocations.csv` and `receipts.csv` of a batch folder, if there: (requests,
/// receipts), their sources named `<batch>/<file> row N`.
#[allow(clippy::type_complexity)]
pub fn from_batch(dir: &Path, batch: &str) -> (Vec<Result<Request, Unreadable>>, Vec<Result<Receipt, Unreadable>>) {
    let take = |name: &str| dir.join(name).is_file().then(|| (dir.join(name), format!("{batch}/{name}")));
    // A file that cannot be read at all (a misspelt column) is one refused answer naming it:
    // the batch's applications are recorded by then and the run goes on.
    let requests = match take("revocations.csv") {
        Some((path, shown)) => read_rows(&path, &shown, revocation::COLUMNS, revocation::request_from_row)
            .unwrap_or_else(|e| unreadable_file(shown, e)),
        None => Vec::new(),
    };
    let receipts_out = match take("receipts.csv") {
        Some((path, shown)) => read_rows(&path, &shown, receipts::COLUMNS, receipts::receipt_from_row)
            .unwrap_or_else(|e| unreadable_file(shown, e)),
        None => Vec::new(),
    };
    (requests, receipts_out)
}

/// The `changes.csv` of a batch folder, if there, each row a change or why it is not one.
pub fn changes_from_batch(dir: &Path, batch: &str) -> Vec<Result<ChangeRequest, Unreadable>> {
    let path = dir.join("changes.csv");
    if !path.is_file() {
        return Vec::new();
    }
    let shown = format!("{batch}/changes.csv");
    read_rows(&path, &shown, changes::COLUMNS, changes::change_from_row).unwrap_or_else(|e| unreadable_file(shown, e))
}

/// Decides a batch's changes and applies those that change something, in one transaction;
/// a row applied when its batch first ran answers as it did and is not applied again.
pub fn apply_changes(
    ledger: &mut Ledger,
    batch: &str,
    requests: Vec<Result<ChangeRequest, Unreadable>>,
) -> Result<Vec<Answer>> {
    let mut answers = Vec::new();
    let mut apply = Vec::new();
    // Rows before this one in the file: a field changed twice reads the first change.
    let mut pending: std::collections::BTreeMap<(String, String), Option<String>> = Default::default();
    for r in requests {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                answers.push(refused(e));
                continue;
            }
        };
        let mut facts = ledger.change_facts(&r.target, &r.field)?;
        if let Some(f) = facts.as_mut() {
            if let Some(v) = pending.get(&(f.serial.clone(), r.field.clone())) {
                f.current = v.clone();
            }
        }
        let (serial, application_id) =
            facts.as_ref().map(|f| (f.serial.clone(), f.application_id.clone())).unwrap_or_default();
        let answer = |status: &str, message: String| Answer {
            source: r.source.clone(),
            serial: serial.clone(),
            application_id: application_id.clone(),
            status: status.to_string(),
            message,
        };
        if ledger.change_source_known(&r.source)? {
            answers.push(answer("changed", changes::changed_message(&r)));
            continue;
        }
        let (outcome, message) = changes::decide(&r, facts.as_ref());
        answers.push(answer(outcome.status(), message));
        if let changes::ChangeOutcome::Changed { new, .. } = outcome {
            pending.insert((serial.clone(), r.field.clone()), new.clone());
            apply.push((r, serial, new));
        }
    }
    if !apply.is_empty() {
        ledger.record_changes(batch, &apply)?;
    }
    Ok(answers)
}

fn unreadable_file<T>(shown: String, e: anyhow::Error) -> Vec<Result<T, Unreadable>> {
    vec![Err((shown, format!("{e:#}")))]
}

/// Each row of a sheet as `T`, or why it is not one (named `<shown> row N`).
fn read_rows<T>(
    path: &Path,
    shown: &str,
    columns: &[(&'static str, &'static str)],
    parse: fn(&super::sheet::SheetRow, &str) -> Result<T, String>,
) -> Result<Vec<Result<T, Unreadable>>> {
    let rows = super::sheet::read(path, columns)?;
    Ok(rows.iter().map(|r| parse(r, shown).map_err(|why| (format!("{shown} row {}", r.row), why))).collect())
}

fn decide_all(
    ledger: Option<&Ledger>,
    requests: Vec<Result<Request, Unreadable>>,
    receipts_in: Vec<Result<Receipt, Unreadable>>,
    today: NaiveDate,
    at: &str,
    replay: Option<NaiveDate>,
    w: &mut DayWrite,
) -> Result<Vec<Answer>> {
    let look = Lookup { ledger, replay };
    let mut answers = decide_requests(&look, requests, today, at, w)?;
    answers.extend(decide_receipts(&look, receipts_in, today, w)?);
    Ok(answers)
}

/// What the ledger knows, for deciding requests and receipts (none in a dry run without a
/// ledger), and the first day of a batch read again.
struct Lookup<'a> {
    ledger: Option<&'a Ledger>,
    replay: Option<NaiveDate>,
}

impl Lookup<'_> {
    fn facts(&self, t: &Target) -> Result<Option<revocation::CertFacts>> {
        Ok(match self.ledger {
            Some(l) => l.cert_facts(t)?,
            None => None,
        })
    }

    /// Asks the ledger about the certificate, if both are there.
    fn about<T>(
        &self,
        cert: &Option<revocation::CertFacts>,
        ask: impl Fn(&Ledger, &str) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        match (cert, self.ledger) {
            (Some(c), Some(l)) => ask(l, &c.serial),
            _ => Ok(None),
        }
    }

    /// The batch's first day when this row (`source`) is the one the ledger already took:
    /// a batch read again answers it as that day did and records nothing.
    fn replayed(&self, stored_source: Option<String>, source: &str) -> Option<NaiveDate> {
        self.replay.filter(|_| stored_source.as_deref() == Some(source))
    }
}

fn decide_requests(
    look: &Lookup,
    requests: Vec<Result<Request, Unreadable>>,
    today: NaiveDate,
    at: &str,
    w: &mut DayWrite,
) -> Result<Vec<Answer>> {
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
        let cert = look.facts(&r.target)?;
        if let Some(first_day) = look.replayed(look.about(&cert, Ledger::revocation_source)?, &r.source) {
            let unrevoked = cert.map(|c| revocation::CertFacts { revocation: None, ..c });
            let d = revocation::decide(r, unrevoked, first_day);
            answers.push(answer_of(&d.request.source, d.cert.as_ref(), d.outcome.as_str(), d.message));
            continue;
        }
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
        answers.push(answer_of(&d.request.source, d.cert.as_ref(), d.outcome.as_str(), d.message));
    }
    Ok(answers)
}

fn decide_receipts(
    look: &Lookup,
    receipts_in: Vec<Result<Receipt, Unreadable>>,
    today: NaiveDate,
    w: &mut DayWrite,
) -> Result<Vec<Answer>> {
    let mut answers = Vec::new();
    let mut received: BTreeSet<String> = BTreeSet::new();
    for r in receipts_in {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                answers.push(refused(e));
                continue;
            }
        };
        let cert = look.facts(&r.target)?;
        if let Some(first_day) = look.replayed(look.about(&cert, Ledger::receipt_source)?, &r.source) {
            let (outcome, message) = receipts::decide(&r, cert.as_ref(), None, first_day);
            answers.push(answer_of(&r.source, cert.as_ref(), outcome.as_str(), message));
            continue;
        }
        let had = look.about(&cert, Ledger::receipt_of)?;
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
        answers.push(answer_of(&r.source, cert.as_ref(), outcome.as_str(), message));
    }
    Ok(answers)
}
