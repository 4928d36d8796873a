//! One day's run, stage by stage: rules → intake → prior state → screening → (payments →
//! issuance → letters, in later stages) → ledger → reports.
//!
//! Each stage is a function over the previous stage's records; this module only wires
//! them and does the I/O at the ends. `check` runs the same stages with a read-only ledger
//! and writes nothing.

use crate::archive;
use crate::intake::{self, Batch};
use crate::ledger::{ApplicationWrite, Ledger, RejectedWrite, RunWrite, StoredDocument};
use crate::pipelines::{self, Pipelines};
use crate::record::Owner;
use crate::report::{self, summary::Summary};
use crate::screen::{self, Change, Decision, Prior};
use anyhow::{Context, Result};
use chrono::{NaiveDate, Timelike};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Decide and record.
    Run,
    /// Decide only: no ledger writes, no files.
    Check,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub batch_dir: PathBuf,
    pub state_dir: PathBuf,
    pub out_dir: PathBuf,
    pub pipelines_dir: PathBuf,
    pub as_of: NaiveDate,
    pub mode: Mode,
    /// How long to wait for another run holding the state folder.
    pub lock_wait: Duration,
}

/// What a run decided, for the caller to print.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    pub decisions: Vec<Decision>,
    /// Where the day's files went (`None` for `check`).
    pub out_dir: Option<PathBuf>,
    /// Certificates issued in this run, with their secrets for the letter stage.
    pub issue: crate::issue::IssueReport,
}

/// Loads what the ledger knows about the applications and envelopes the batch touches.
pub fn load_prior(ledger: Option<&Ledger>, batch: &Batch, pipelines: &Pipelines, as_of: NaiveDate) -> Result<Prior> {
    let Some(ledger) = ledger else { return Ok(Prior::default()) };
    let (mut ids, envelopes) = screen::referenced(batch);
    ids.extend(ledger.application_ids_in_envelopes(&envelopes)?);
    // Deficient ones that may have run out of time for documents; screening applies each
    // product's own period.
    let shortest = pipelines.products.values().map(|p| p.screening.documents_overdue_months).min().unwrap_or(0);
    if let Some(notice_by) = as_of.checked_sub_months(chrono::Months::new(shortest)) {
        ids.extend(ledger.deficient_noticed_by(notice_by)?);
    }
    let applications = ledger.applications(&ids)?;
    let mut owners: BTreeSet<Owner> = ids.iter().cloned().map(Owner::Application).collect();
    owners.extend(envelopes.into_iter().map(Owner::Envelope));
    owners.extend(applications.values().map(|s| Owner::Envelope(s.application.envelope_id.clone())));
    let documents = ledger.documents(&owners)?;
    Ok(Prior { applications, documents })
}

/// Copies every usable scan of today's documents into the archive, masking My Numbers,
/// and notes each copy's hash. A scan showing a My Number without a usable mask region is
/// not stored at all.
pub fn archive_documents(state: &Path, scans_root: &Path, docs: &mut [StoredDocument]) -> Result<()> {
    use rayon::prelude::*;
    let bar = crate::progress::bar(docs.len() as u64, "archive");
    let stored: Vec<Result<Option<String>>> = docs
        .par_iter()
        .map(|d| {
            bar.inc(1);
            let doc = &d.document;
            if d.scan_status != "ok" || (doc.has_my_number && doc.mask_region.is_none()) {
                return Ok(None);
            }
            let mask = if doc.has_my_number { doc.mask_region } else { None };
            archive::archive_scan(state, scans_root, &doc.file, mask).map(Some)
        })
        .collect();
    bar.finish_and_clear();
    for (d, s) in docs.iter_mut().zip(stored) {
        d.archive_sha256 = s?;
    }
    Ok(())
}

/// The moment of issue: the run's day (`--as-of`) at the current time of day in Japan, so
/// a replayed day issues as of that day and a normal run as of now.
pub fn issue_moment(as_of: NaiveDate) -> chrono::DateTime<chrono::FixedOffset> {
    use chrono::TimeZone;
    let now = chrono::Utc::now().with_timezone(&crate::jpdate::jst());
    let t = now.time().with_nanosecond(0).unwrap_or(now.time());
    crate::jpdate::jst().from_local_datetime(&as_of.and_time(t)).single().expect("JST has no gaps")
}

/// `certbatch transfers import FILE...`: finance's own schedule. Imports the statements
/// (a file seen before adds nothing), applies a decisions file if given, matches again
/// every credit still open, and writes `OUT/transfers-<day>/payments.csv` and
/// `reconciliation.xlsx`. Applications it marks paid are issued by the next `run`.
pub fn import_transfers(
    opts: &Options,
    files: &[PathBuf],
    bank: Option<&str>,
    decisions: Option<&Path>,
) -> Result<(crate::payments::PaymentsReport, PathBuf)> {
    let pipelines = pipelines::load(&opts.pipelines_dir)?;
    let mut statements = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        statements.push(crate::payments::StatementFile { shown: f.display().to_string(), bytes });
    }
    let decisions = match decisions {
        Some(p) => Some(crate::payments::StatementFile {
            shown: p.display().to_string(),
            bytes: std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        }),
        None => None,
    };
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let name = format!("transfers-{}", opts.as_of);
    let now = crate::jpdate::now_iso();
    let run = RunWrite {
        batch: name.clone(),
        command: "transfers import".into(),
        as_of: opts.as_of,
        started_at: now.clone(),
        finished_at: now,
        rows_read: 0,
        applications: 0,
        documents: 0,
        scans: 0,
        summary: "{}".into(),
    };
    let counts = ledger.record(&run, &[], &[], &[])?;
    let out_dir = opts.out_dir.join(&name);
    let pay = reconcile(
        &mut ledger,
        counts.run_id,
        &pipelines,
        &opts.pipelines_dir,
        bank,
        &statements,
        decisions.as_ref(),
        opts.as_of,
        &out_dir,
    )?;
    Ok((pay, out_dir))
}

/// The letters without a secret: deficiency notices for the run's deficient applications
/// and receipt forms for every certificate issued under this batch, with their print
/// files and manifest (named by batch, so a rerun rewrites the same ones).
#[allow(clippy::too_many_arguments)]
fn write_notices(
    ledger: &Ledger,
    pipelines_dir: &Path,
    pipelines: &Pipelines,
    mail: &crate::letters::mails::MailConfig,
    out_dir: &Path,
    decisions: &[Decision],
    issued: &[crate::ledger::issuance::IssuedRow],
    as_of: NaiveDate,
) -> Result<()> {
    use crate::letters::notices::{deficiency_letters, receipt_letters};
    let writer = crate::letters::writer::LetterWriter::load(
        pipelines_dir,
        pipelines.products.keys().cloned(),
        mail.from_name.clone(),
    )?;
    let mut letters = deficiency_letters(out_dir, pipelines, &writer, decisions, as_of)?;
    let ids = issued.iter().map(|r| r.application_id.clone()).collect();
    let apps = ledger.applications(&ids)?;
    let receipts: Vec<(crate::record::Application, String, NaiveDate, String)> = issued
        .iter()
        .filter_map(|r| {
            let app = apps.get(&r.application_id)?.application.clone();
            let day: NaiveDate = r.not_before.get(..10)?.parse().ok()?;
            let end: NaiveDate = r.not_after.get(..10)?.parse().ok()?;
            Some((app, r.serial.clone(), day, format!("{} 23:59:59", crate::jpdate::to_era_string(end))))
        })
        .collect();
    letters.extend(receipt_letters(out_dir, pipelines, &writer, &receipts)?);
    if !letters.is_empty() {
        let refs: Vec<&crate::letters::writer::Prepared> = letters.iter().collect();
        writer.print_files(out_dir, "notices", &refs)?;
    }
    Ok(())
}

/// What `daily` did.
#[derive(Debug, Default)]
pub struct DailyReport {
    pub expiry_notices: Vec<String>,
    pub out_dir: PathBuf,
}

/// `certbatch daily`: the cron job. Sends each due expiry notice (letter and email) once
/// per certificate, into `OUT/daily-<day>/`, and records it; a rerun of the same day writes
/// the same files and records nothing new.
pub fn daily(opts: &Options) -> Result<DailyReport> {
    let pipelines = pipelines::load(&opts.pipelines_dir)?;
    let mail = crate::letters::mails::MailConfig::load(&opts.pipelines_dir)?;
    let writer = crate::letters::writer::LetterWriter::load(
        &opts.pipelines_dir,
        pipelines.products.keys().cloned(),
        mail.from_name.clone(),
    )?;
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let out_dir = opts.out_dir.join(format!("daily-{}", opts.as_of));
    let now = issue_moment(opts.as_of);
    let mut due = Vec::new();
    let mut marks = Vec::new();
    for (app, serial, not_before, not_after) in ledger.valid_certificates(opts.as_of)? {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let (Some(Ok(start)), Some(Ok(end))) =
            (not_before.get(..10).map(str::parse::<NaiveDate>), not_after.get(..10).map(str::parse::<NaiveDate>))
        else {
            continue;
        };
        let sent = ledger.notices_sent(&serial, "expiry")?;
        let sent_today = ledger.notices_sent_on(&serial, "expiry", opts.as_of)?;
        let offsets = &product.notices.expiry_days_before;
        let to_mark = crate::lifecycle::due_expiry_notice(end, offsets, &sent, opts.as_of);
        if to_mark.is_none() && !sent_today {
            continue;
        }
        for o in to_mark.unwrap_or_default() {
            marks.push((serial.clone(), "expiry".to_string(), i64::from(o)));
        }
        due.push((app, start, end));
    }
    let mut report = DailyReport { out_dir: out_dir.clone(), ..Default::default() };
    let letters = crate::letters::notices::expiry_letters(&out_dir, &pipelines, &writer, &due)?;
    if !letters.is_empty() {
        let refs: Vec<&crate::letters::writer::Prepared> = letters.iter().collect();
        writer.print_files(&out_dir, "expiry", &refs)?;
    }
    for (app, start, end) in &due {
        let eml = crate::mail::expiry_notice_mail(
            &crate::mail::Sender {
                name: mail.from_name.clone(),
                address: mail.from_address.clone(),
                domain: mail.domain.clone(),
            },
            &app.name_kanji,
            &app.email,
            &app.id,
            &start.format("%Y年%m月%d日").to_string(),
            &format!("{} 23:59:59", end.format("%Y年%m月%d日")),
            now,
        )?;
        crate::fsio::write_atomic(&out_dir.join("mail").join(format!("{}-expiry.eml", app.id)), &eml, false)?;
        report.expiry_notices.push(app.id.clone());
    }
    crate::faults::point("daily-before-record");
    ledger.record_notices(&marks, opts.as_of)?;
    Ok(report)
}

/// Runs the payments stage and writes finance's files into `out_dir`.
#[allow(clippy::too_many_arguments)]
pub fn reconcile(
    ledger: &mut Ledger,
    run_id: i64,
    pipelines: &Pipelines,
    pipelines_dir: &Path,
    forced_bank: Option<&str>,
    statements: &[crate::payments::StatementFile],
    decisions: Option<&crate::payments::StatementFile>,
    as_of: NaiveDate,
    out_dir: &Path,
) -> Result<crate::payments::PaymentsReport> {
    // Without `banks/` only Zengin files can be read; that is a choice, not an error.
    let banks = pipelines_dir.join("banks");
    let profiles = if banks.is_dir() {
        crate::bank::csv_profiles::load_profiles(&banks).map_err(anyhow::Error::msg)?
    } else {
        Vec::new()
    };
    let input =
        crate::payments::PaymentsInput { pipelines, profiles: &profiles, forced_bank, statements, decisions, as_of };
    let pay = crate::payments::payments_stage(ledger, run_id, input)?;
    crate::report::finance::write_payments_csv(out_dir, &ledger.payments_of_run(run_id)?)?;
    crate::report::finance::write_reconciliation(
        out_dir,
        &ledger.all_payments()?,
        &ledger.open_fee_rows()?,
        &ledger.refunds_due()?,
        as_of,
    )?;
    Ok(pay)
}

/// Invoiced products get their invoice when issued: the issue day and the due day by
/// the product's rule. Idempotent, so a run killed after issuing catches up next time.
pub fn record_invoices(ledger: &mut Ledger, pipelines: &Pipelines) -> Result<()> {
    for (app, product, issued) in ledger.issued_without_invoice()? {
        let Some(rule) = pipelines.product(&product).and_then(|p| p.payment.due) else { continue };
        ledger.set_invoice(&app, issued, crate::payments::fees::invoice_due(rule, issued))?;
    }
    Ok(())
}

/// Today's decisions with `issued` for those issued in this run.
fn with_issued_status(mut decisions: Vec<Decision>, issue: &crate::issue::IssueReport) -> Vec<Decision> {
    for d in &mut decisions {
        if issue.issued.iter().any(|i| i.application_id == d.application_id) {
            d.status = crate::record::Status::Issued;
        }
    }
    decisions
}

/// Runs (or checks) one batch folder.
pub fn run_batch(opts: &Options) -> Result<Outcome> {
    let started_at = crate::jpdate::now_iso();
    let pipelines = pipelines::load(&opts.pipelines_dir)?;
    // Letter templates are rules too: a wrong one stops the run before any work.
    crate::letters::templates::Templates::load_dir(
        &opts.pipelines_dir.join("letters"),
        pipelines.products.keys().cloned(),
    )?;
    let mail_config = crate::letters::mails::MailConfig::load(&opts.pipelines_dir)?;
    crate::letters::letter_pdf::Layout::load(&opts.pipelines_dir.join("letters/layout.toml"))?;
    let batch = intake::read_batch(&opts.batch_dir, &pipelines)?;
    crate::faults::point("after-intake");
    let mut ledger = match opts.mode {
        Mode::Run => Some(Ledger::open(&opts.state_dir, opts.lock_wait)?),
        Mode::Check => Ledger::open_read_only(&opts.state_dir)?,
    };
    let prior = load_prior(ledger.as_ref(), &batch, &pipelines, opts.as_of)?;
    let mut screening = screen::screen_batch(&batch, &prior, &pipelines, opts.as_of);
    let command = match opts.mode {
        Mode::Run => "run",
        Mode::Check => "check",
    };
    let mut summary = Summary::new(&batch, command, opts.as_of, &screening.decisions, &screening.notes);
    let (Mode::Run, Some(ledger)) = (opts.mode, ledger.as_mut()) else {
        return Ok(Outcome { summary, decisions: screening.decisions, out_dir: None, issue: Default::default() });
    };
    archive_documents(&opts.state_dir, &batch.dir.join("scans"), &mut screening.documents)?;
    let applications: Vec<ApplicationWrite> = screening
        .decisions
        .iter()
        .filter(|d| !matches!(d.change, Change::Duplicate | Change::NotAnApplication))
        .filter_map(|d| {
            let app = d.application.clone()?;
            Some(ApplicationWrite {
                content_hash: app.content_hash(),
                batch: if d.change == Change::New {
                    batch.name.clone()
                } else {
                    prior.applications.get(&app.id).map_or_else(|| batch.name.clone(), |s| s.batch.clone())
                },
                application: app,
                status: d.status,
                reasons: d.reasons(),
                first_notice_on: d.first_notice_on,
            })
        })
        .collect();
    let rejected: Vec<RejectedWrite> = screening
        .decisions
        .iter()
        .filter(|d| matches!(d.change, Change::Duplicate | Change::NotAnApplication))
        .map(|d| RejectedWrite { source: d.source.clone(), raw_id: d.application_id.clone(), reasons: d.reasons() })
        .collect();
    let run = RunWrite {
        batch: batch.name.clone(),
        command: command.into(),
        as_of: opts.as_of,
        started_at,
        finished_at: crate::jpdate::now_iso(),
        rows_read: batch.rows_read,
        applications: screening.decisions.len(),
        documents: batch.documents.len(),
        scans: batch.scans.len(),
        summary: serde_json::to_string(&summary)?,
    };
    let counts = ledger.record(&run, &applications, &screening.documents, &rejected)?;
    summary = summary.with_recorded(&counts);
    crate::faults::point("after-ledger");
    let out_dir = opts.out_dir.join(&batch.name);
    // Screening's files first: they stand even if issuing fails below.
    report::write_batch_reports(&out_dir, &screening.decisions, &summary)?;
    let now = issue_moment(opts.as_of);
    crate::letters::mails::review_mails(&out_dir, &mail_config, &screening.decisions, opts.as_of, now)?;

    // Payments: the day's statements and finance's decisions, before issuance, so an
    // application paid today is issued today.
    let statements = batch.statements.clone();
    let decisions = batch.decisions.clone();
    let pay = reconcile(
        ledger,
        counts.run_id,
        &pipelines,
        &opts.pipelines_dir,
        None,
        &statements,
        decisions.as_ref(),
        opts.as_of,
        &out_dir,
    )?;
    summary = summary.with_payments(&pay);

    // Issuance: everything accepted and cleared for issue, exactly once.
    let issue = crate::issue::issue_stage(
        ledger,
        &crate::issue::IssueContext {
            pipelines: &pipelines,
            pipelines_dir: &opts.pipelines_dir,
            state_dir: &opts.state_dir,
            out_dir: &out_dir,
            batch: &batch.name,
            now: issue_moment(opts.as_of),
            sender: &mail_config.from_name,
        },
    )?;
    summary = summary.with_issue(&issue);
    record_invoices(ledger, &pipelines)?;
    let issued_ids = issue.issued.iter().map(|i| i.application_id.clone()).collect();
    let issued_apps: std::collections::BTreeMap<String, crate::record::Application> =
        ledger.applications(&issued_ids)?.into_iter().map(|(id, s)| (id, s.application)).collect();
    crate::letters::mails::download_mails(&out_dir, &mail_config, &issue.issued, &issued_apps, now)?;
    // The letter stage takes the secrets here (a later capability); until then they are
    // dropped with `issue`, zeroized, and never written anywhere.
    let decisions = with_issued_status(screening.decisions, &issue);
    summary.recount_statuses(&decisions);
    report::write_batch_reports(&out_dir, &decisions, &summary)?;
    let issued_rows = ledger.issued_in_batch(&batch.name)?;
    report::write_issued_csv(&out_dir, &issued_rows)?;
    write_notices(
        ledger,
        &opts.pipelines_dir,
        &pipelines,
        &mail_config,
        &out_dir,
        &decisions,
        &issued_rows,
        opts.as_of,
    )?;
    Ok(Outcome { summary, decisions, out_dir: Some(out_dir), issue })
}
