//! One day's run, stage by stage, each a function over the previous stage's values:
//!
//! ```text
//! Config::load ─ intake ─> Batch ─ screen ─> Screening (Decision, Screened)
//!                                              │ ledger records decisions
//!                  payments::reconcile ─> PaymentsWrite, Clearance
//!                                              │ ledger records credits, fees, paid
//!   issue::eligible ─> IssueTicket ─ prepare ─> Job ─ sign ─> Signed (secrets)
//!                 letters::secret::write(Signed) ─> letters; ledger records issued
//!   letters::notices, mails, reports ─> OUT/<batch>/
//! ```
//!
//! The ledger records each stage's result and gives what earlier days decided (loaded
//! once, before screening); it is never the channel between this run's stages. A failure
//! that concerns one application holds that application and the run goes on; only a
//! failure of the run itself (configuration, ledger, disk) stops it, and the next run
//! recovers ([`crate::recovery`]). `check` runs the same screening with a read-only
//! ledger and writes nothing.

use crate::archive;
use crate::config::Config;
use crate::intake::{self, Batch};
use crate::issue::{self, ca_source, SignError, Signed};
use crate::ledger::issuance::{IssuedRow, Reservation};
use crate::ledger::{ApplicationWrite, Ledger, RejectedWrite, RunWrite, StoredDocument};
use crate::letters::notices::{IssuedNotice, Notices};
use crate::letters::writer::{Prepared, WrittenLetter};
use crate::payments::{Clearance, PaymentsInput};
use crate::record::{Application, Owner, Status};
use crate::report::{self, summary::Summary};
use crate::screen::{self, Change, Decision, Prior, Screened};
use crate::status::Hold;
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, Timelike};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
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

/// A certificate issued in this run (no secret: those went into its letters).
#[derive(Debug, Clone)]
pub struct IssuedCert {
    pub application_id: String,
    pub serial: String,
    pub subject: String,
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    /// Under `OUT/<batch>/`.
    pub cert_file: PathBuf,
    pub p12_file: Option<PathBuf>,
    pub download_expires: Option<DateTime<FixedOffset>>,
    /// The secret letters written for it.
    pub letters: Vec<WrittenLetter>,
    /// The same letters' files, as paths.
    pub letter_files: Vec<(&'static str, PathBuf)>,
}

/// What issuance did in a run.
#[derive(Debug, Default)]
pub struct IssueReport {
    pub issued: Vec<IssuedCert>,
    /// Accepted applications of before-issue products whose fee has not arrived.
    pub awaiting_payment: Vec<String>,
    /// Accepted applications of token products, queued for the card station.
    pub awaiting_card: Vec<String>,
    /// Of those, how many this run queued.
    pub cards_queued: usize,
    /// The ledger's run that reserved and issued this run's certificates (its print files
    /// and manifest are `*-run<N>`), when there were any.
    pub issue_run: Option<i64>,
    /// Accepted applications waiting for staff, with why.
    pub holds: Vec<Hold>,
    /// Reservations of a killed run that were voided.
    pub recovered: usize,
    pub demo_ca: bool,
    /// How long the issue stage took, from its checks to its commit (for the benchmark).
    pub stage_time: Duration,
    /// The CPU time spent making keys on the spot (all cores added up; pooled keys cost
    /// none): what "at the key-generation bound" is measured against.
    pub keygen_time: Duration,
    /// Keys taken from the key pool, and keys made on the spot for a product that would
    /// have taken one because the pool (filled at some time) had none left.
    pub pool_taken: usize,
    pub pool_dry: usize,
}

/// What a run decided, for the caller to print.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    pub decisions: Vec<Decision>,
    /// Where the day's files went (`None` for `check`).
    pub out_dir: Option<PathBuf>,
    pub issue: IssueReport,
    /// What became of the rows of the batch's `revocations.csv` and `receipts.csv`.
    pub requests: Vec<crate::lifecycle::requests::Answer>,
}

/// Loads what the ledger knows about the applications and envelopes the batch touches,
/// and the accepted applications still waiting to be issued.
pub fn load_prior(
    ledger: Option<&Ledger>,
    batch: &Batch,
    pipelines: &crate::pipelines::Pipelines,
    as_of: NaiveDate,
) -> Result<Prior> {
    let Some(ledger) = ledger else { return Ok(Prior::default()) };
    let (mut ids, envelopes) = screen::referenced(batch);
    ids.extend(ledger.application_ids_in_envelopes(&envelopes)?);
    // Deficient ones that may have run out of time for documents; screening applies each
    // product's own period.
    let shortest = pipelines.products.values().map(|p| p.screening.documents_overdue_months).min().unwrap_or(0);
    if let Some(notice_by) = as_of.checked_sub_months(chrono::Months::new(shortest)) {
        ids.extend(ledger.deficient_noticed_by(notice_by)?);
    }
    let awaiting_issue = ledger.awaiting_issue()?;
    ids.extend(awaiting_issue.iter().cloned());
    let applications = ledger.applications(&ids)?;
    let mut owners: BTreeSet<Owner> = ids.iter().cloned().map(Owner::Application).collect();
    owners.extend(envelopes.into_iter().map(Owner::Envelope));
    owners.extend(applications.values().map(|s| Owner::Envelope(s.application.envelope_id.clone())));
    let documents = ledger.documents(&owners)?;
    let batch_first_day = ledger.batch_moment(&batch.name)?.map(|m| m.date_naive());
    let serials: BTreeSet<String> = batch
        .applications
        .iter()
        .filter_map(|r| r.application.as_ref())
        .chain(applications.values().map(|s| &s.application))
        .filter_map(|a| a.renewal_of.clone())
        .collect();
    let renewed = ledger.renewed_certs(&serials)?;
    Ok(Prior { applications, documents, awaiting_issue, batch_first_day, renewed })
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
pub fn issue_moment(as_of: NaiveDate) -> DateTime<FixedOffset> {
    use chrono::TimeZone;
    let now = chrono::Utc::now().with_timezone(&crate::jpdate::jst());
    let t = now.time().with_nanosecond(0).unwrap_or(now.time());
    crate::jpdate::jst().from_local_datetime(&as_of.and_time(t)).single().expect("JST has no gaps")
}

pub(crate) fn run_write(
    batch: &str,
    command: &str,
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
    started_at: String,
) -> RunWrite {
    RunWrite {
        batch: batch.to_string(),
        moment: crate::jpdate::iso(moment),
        command: command.into(),
        as_of,
        started_at,
        finished_at: crate::jpdate::now_iso(),
        rows_read: 0,
        applications: 0,
        documents: 0,
        scans: 0,
        summary: "{}".into(),
    }
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
    let config = Config::load(&opts.pipelines_dir)?;
    let read = |p: &Path| -> Result<intake::InputFile> {
        Ok(intake::InputFile {
            shown: p.display().to_string(),
            bytes: intake::table::read_capped(p, &p.display().to_string())?,
        })
    };
    let statements = files.iter().map(|f| read(f)).collect::<Result<Vec<_>>>()?;
    let decisions = decisions.map(read).transpose()?;
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    crate::recovery::recover(&mut ledger, &opts.out_dir, &opts.state_dir)?;
    let name = format!("transfers-{}", opts.as_of);
    let moment = ledger.batch_moment(&name)?.unwrap_or_else(|| issue_moment(opts.as_of));
    let counts = ledger.record(
        &run_write(&name, "transfers import", opts.as_of, moment, crate::jpdate::now_iso()),
        &[],
        &[],
        &[],
    )?;
    let prior = ledger.payments_prior(opts.as_of)?;
    let (write, mut report) = crate::payments::reconcile(PaymentsInput {
        pipelines: &config.pipelines,
        profiles: &config.banks,
        forced_bank: bank,
        statements: &statements,
        decisions: decisions.as_ref(),
        new_applications: &[],
        prior: &prior,
    });
    report.counts = ledger.record_payments(counts.run_id, &name, &write).context("cannot record payments")?;
    let out_dir = opts.out_dir.join(&name);
    finance_files(&ledger, &config, &name, &out_dir, opts.as_of, moment)?;
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    Ok((report, out_dir))
}

/// `payments.csv` of a batch and the reconciliation workbook as the ledger now stands.
fn finance_files(
    ledger: &Ledger,
    config: &Config,
    batch: &str,
    out_b: &Path,
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<()> {
    crate::report::finance::write_payments_csv(out_b, &ledger.payments_of_batch(batch)?)?;
    // Every invoice with what it states, for the workbook's invoices sheet.
    let rows = ledger.invoices()?;
    let apps = ledger.applications(&rows.iter().map(|r| r.application_id.clone()).collect())?;
    let mut invoices = Vec::new();
    for r in rows {
        let Some(app) = apps.get(&r.application_id) else { continue };
        let Some(product) = config.pipelines.product(&r.product) else { continue };
        let amounts = crate::letters::invoices::amounts(&r, &app.application, product)?;
        invoices.push(crate::report::finance::InvoiceLine {
            number: config.invoicing.number(r.number),
            addressee: crate::letters::invoices::addressee_name(&app.application, product),
            row: r,
            amounts,
        });
    }
    crate::report::finance::write_reconciliation(
        out_b,
        &ledger.all_payments()?,
        &ledger.open_fee_rows()?,
        &ledger.refunds_due()?,
        &invoices,
        as_of,
        moment,
    )
}

/// The stored form of today's decisions: applications to record, rows that are not.
fn writes(screening: &screen::Screening, prior: &Prior, batch: &str) -> (Vec<ApplicationWrite>, Vec<RejectedWrite>) {
    let applications = screening
        .decisions
        .iter()
        .filter(|d| !matches!(d.change, Change::Duplicate | Change::NotAnApplication))
        .filter_map(|d| {
            let app = d.application.clone()?;
            Some(ApplicationWrite {
                corrects: d.change == Change::Corrected,
                content_hash: app.content_hash(),
                batch: prior.applications.get(&app.id).map_or_else(|| batch.to_string(), |s| s.batch.clone()),
                application: app,
                status: d.status,
                reasons: d.reasons(),
                first_notice_on: d.first_notice_on,
            })
        })
        .collect();
    let rejected = screening
        .decisions
        .iter()
        .filter(|d| matches!(d.change, Change::Duplicate | Change::NotAnApplication))
        .map(|d| RejectedWrite { source: d.source.clone(), raw_id: d.application_id.clone(), reasons: d.reasons() })
        .collect();
    (applications, rejected)
}

/// Issuance and the secret letters, exactly once: holds for what cannot be made, serials
/// reserved, certificates signed, letters written, then one transaction records them.
#[allow(clippy::too_many_arguments)]
fn issue_stage(
    ledger: &mut Ledger,
    config: &Config,
    ca: &ca_source::SigningCa,
    state: &Path,
    out_b: &Path,
    batch: &str,
    ready: Vec<Screened>,
    clearance: &Clearance,
    now: DateTime<FixedOffset>,
) -> Result<IssueReport> {
    let mut report = IssueReport::default();
    let (tickets, waiting) = issue::eligible(&config.pipelines, ready, clearance);
    report.awaiting_payment = waiting;
    // A hold from a failure while signing stays until staff release it.
    let sticky: BTreeSet<String> = ledger.holds()?.into_iter().filter(|h| h.sticky).map(|h| h.application_id).collect();
    let (tickets, stuck): (Vec<_>, Vec<_>) = tickets.into_iter().partition(|t| !sticky.contains(&t.application().id));
    report
        .holds
        .extend(ledger.holds()?.into_iter().filter(|h| stuck.iter().any(|t| t.application().id == h.application_id)));
    if tickets.is_empty() {
        return Ok(report);
    }
    let mut timings = crate::timings::Timings::start();
    // 1. Checks before anything is signed: the certificate's contents, its letters (on all
    // cores: each lays out its letters, which on a big day is seconds of work).
    let probes = crate::fsio::Probes::default();
    let checked: Vec<Result<issue::Job, Hold>> = tickets
        .into_par_iter()
        .map(|ticket| {
            let job = issue::prepare(ticket, &config.pipelines, ca, state, now)?;
            let app = job.application();
            // A card's files are the card station's, in its own folder.
            let probes = (!job.on_token()).then_some(&probes);
            if let Err(why) = probes.map_or(Ok(()), |p| p.writable(out_b, &format!("certs/{}/cert.pem", app.id))) {
                return Err(Hold::check(&app.id, "output_unwritable", why));
            }
            if job.has_secrets() {
                crate::letters::secret::preflight(
                    &config.letters,
                    out_b,
                    probes,
                    app,
                    job.product,
                    &job.facts(),
                    job.wants_password,
                )?;
            }
            Ok(job)
        })
        .collect();
    let mut jobs = Vec::new();
    let mut holds = Vec::new();
    for c in checked {
        match c {
            Ok(job) => jobs.push(job),
            Err(h) => holds.push(h),
        }
    }
    let cleared: Vec<String> = jobs.iter().map(|j| j.application().id.clone()).collect();
    ledger.record_holds(&holds, &cleared)?;
    report.holds.extend(holds);
    timings.mark("issue: checks");
    // A token product's key is born on its card: the card station issues it (contract §7).
    let (cards, mut jobs): (Vec<_>, Vec<_>) = jobs.into_iter().partition(|j| j.on_token());
    if !cards.is_empty() {
        let queue: Vec<(String, String)> =
            cards.iter().map(|j| (j.application().id.clone(), j.product.id.clone())).collect();
        report.cards_queued = ledger.queue_card_jobs(batch, &queue)?;
        report.awaiting_card = queue.into_iter().map(|(id, _)| id).collect();
    }
    if jobs.is_empty() {
        return Ok(report);
    }

    // 2. Serials, reserved in one transaction.
    for job in &mut jobs {
        job.assign_serial(&mut |s| ledger.serial_exists(s))?;
    }
    let reservations: Vec<Reservation> = jobs
        .iter()
        .map(|j| Reservation {
            application_id: j.application().id.clone(),
            serial: j.serial(),
            batch: batch.to_string(),
            reserved_run: 0,
        })
        .collect();
    let asks: Vec<_> = jobs.iter().map(|j| j.pool_ask(ca)).collect();
    let (run_id, pooled) = ledger.reserve(batch, &reservations, &asks)?;
    report.issue_run = Some(run_id);
    // A key made on the spot counts as the pool running dry only where a pool was ever
    // filled: a CA that does not use the pool is not told about it.
    let pool_kept = ledger.pool_in_use()?;
    for ((job, key), ask) in jobs.iter_mut().zip(pooled).zip(&asks) {
        match (&key, ask) {
            (Some(_), _) => report.pool_taken += 1,
            (None, Some(_)) if pool_kept => report.pool_dry += 1,
            _ => {}
        }
        job.take_pool_key(key);
    }
    crate::faults::point("issue-after-reserve");
    timings.mark("issue: reserve");

    // 3. Keys, certificates, files; 4. the secret letters. A failure of one voids it.
    let lettered = issue::sign(&jobs, ca, out_b, |job, s| {
        crate::letters::secret::write(&config.letters, out_b, &s, job.product).map(|letters| (s, letters))
    });
    let mut done: Vec<(Signed, Vec<Prepared>)> = Vec::new();
    let mut voided: Vec<(String, String)> = Vec::new();
    let mut failed: Vec<Hold> = Vec::new();
    for (job, lettered) in jobs.iter().zip(lettered) {
        match lettered {
            Ok(pair) => done.push(pair),
            Err(SignError::Run(e)) => return Err(e),
            Err(SignError::One(h)) => {
                crate::recovery::remove(&crate::recovery::attempt_files(out_b, &job.application().id))?;
                voided.push((job.serial(), format!("not issued: {}: {}", h.code, h.detail)));
                failed.push(h);
            }
        }
        crate::faults::point("issue-after-files");
    }
    timings.mark("issue: sign, letters");
    report.keygen_time = done.iter().map(|(s, _)| s.keygen).sum();
    timings.note("issue: key generation CPU", report.keygen_time);
    let prepared: Vec<&Prepared> = done.iter().flat_map(|(_, l)| l).collect();
    if !prepared.is_empty() {
        config.letters.print_files(out_b, &format!("run{run_id}"), &prepared, &[])?;
    }
    crate::faults::point("issue-after-letters");
    timings.mark("issue: print files");

    // 5. Every file of the run durable at once (one syncfs), then one transaction records
    // them; the secrets are dropped (zeroized) after it.
    if !done.is_empty() {
        crate::fsio::sync_filesystem(out_b)?;
    }
    timings.mark("issue: syncfs");
    ledger.void(&voided)?;
    ledger.record_holds(&failed, &[])?;
    report.holds.extend(failed);
    let records: Vec<_> = done
        .iter()
        .map(|(s, _)| {
            let mut r = s.record();
            let product = config.pipelines.product(&s.product_id);
            if let Some(rule) = product.and_then(|p| p.payment.due) {
                let day = s.not_before.date_naive();
                r.invoice = Some((day, crate::payments::fees::invoice_due(rule, day)));
            }
            r
        })
        .collect();
    ledger.complete(run_id, &records)?;
    crate::faults::point("issue-after-commit");
    timings.mark("issue: commit");
    report.issued = done
        .into_iter()
        .map(|(s, letters)| IssuedCert {
            application_id: s.application.id.clone(),
            serial: s.serial.clone(),
            subject: s.subject.clone(),
            not_before: s.not_before,
            not_after: s.not_after,
            cert_file: out_b.join(&s.cert_file),
            p12_file: s.p12_file.as_ref().map(|f| out_b.join(f)),
            download_expires: s.download_expires,
            letter_files: letters.iter().map(|p| (p.written.kind, out_b.join(&p.written.file))).collect(),
            letters: letters.into_iter().map(|p| p.written).collect(),
        })
        .collect();
    Ok(report)
}

/// The certificates of a batch as its notices, mails and `issued.csv` quote them: the
/// ones earlier runs of the batch issued and this run's.
struct BatchIssued {
    rows: Vec<IssuedRow>,
    apps: BTreeMap<String, Application>,
}

impl BatchIssued {
    fn notices(&self) -> Vec<IssuedNotice> {
        self.rows
            .iter()
            .filter_map(|r| {
                let app = self.apps.get(&r.application_id)?.clone();
                let day: NaiveDate = r.not_before.get(..10)?.parse().ok()?;
                let end: NaiveDate = r.not_after.get(..10)?.parse().ok()?;
                Some(IssuedNotice {
                    application: app,
                    serial: r.serial.clone(),
                    issued_on: day,
                    not_after: format!("{} 23:59:59", crate::jpdate::to_era_string(end)),
                })
            })
            .collect()
    }

    /// The certificates that travel by email (the product routes `certificate` by email),
    /// read back from the files issuance wrote.
    fn mailed_certificates(
        &self,
        pipelines: &crate::pipelines::Pipelines,
        out_b: &Path,
    ) -> Result<Vec<crate::letters::mails::MailedCertificate>> {
        let mut out = Vec::new();
        for r in &self.rows {
            let Some(app) = self.apps.get(&r.application_id) else { continue };
            let Some(product) = pipelines.product(&app.product) else { continue };
            if !crate::letters::mails::mails_certificate(product, app) {
                continue;
            }
            let path = out_b.join(&r.cert_file);
            let cert_pem = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            out.push(crate::letters::mails::MailedCertificate {
                application: app.clone(),
                serial: r.serial.clone(),
                not_before: DateTime::parse_from_rfc3339(&r.not_before)?,
                not_after: DateTime::parse_from_rfc3339(&r.not_after)?,
                cert_pem,
            });
        }
        Ok(out)
    }

    /// The batch's invoices with what they bill for.
    fn invoices<'a>(
        &'a self,
        rows: &'a [crate::ledger::payments::InvoiceRow],
    ) -> Vec<crate::letters::invoices::Invoice<'a>> {
        crate::letters::invoices::with_certificates(rows, &self.rows, &self.apps)
    }

    fn download_links(&self) -> Vec<crate::letters::mails::DownloadLink> {
        self.rows
            .iter()
            .filter_map(|r| {
                let expires = DateTime::parse_from_rfc3339(&r.download_expires).ok()?;
                Some(crate::letters::mails::DownloadLink {
                    application: self.apps.get(&r.application_id)?.clone(),
                    serial: r.serial.clone(),
                    not_before: DateTime::parse_from_rfc3339(&r.not_before).ok()?,
                    expires,
                })
            })
            .collect()
    }
}

/// `letters/manifest-media.csv`: the CD-Rs to burn and post for the batch's media
/// certificates, each with the envelopes of its PIN letter and notice (none: no file).
fn write_media_manifest(config: &Config, out_b: &Path, issued: &BatchIssued) -> Result<()> {
    let parcels: Vec<crate::letters::mailroom::Parcel> = issued
        .rows
        .iter()
        .filter_map(|r| {
            let app = issued.apps.get(&r.application_id)?;
            let product = config.pipelines.product(&app.product)?;
            (product.delivery.method == crate::product::DeliveryMethod::Media).then(|| {
                crate::letters::mailroom::Parcel {
                    application: app,
                    card_number: String::new(),
                    token_label: String::new(),
                    medium_file: r.p12_file.clone(),
                }
            })
        })
        .collect();
    if parcels.is_empty() {
        return Ok(());
    }
    let csv = crate::letters::mailroom::manifest(config, &parcels, &BTreeSet::new())?;
    crate::fsio::write_output(&out_b.join("letters/manifest-media.csv"), &csv, false)
}

/// The CA certificates a server presents with its own: the issuing CA and any
/// intermediates, not the root (which the client already trusts), as PEM.
fn chain_pem(ca: &crate::issue::ca::Ca) -> Result<Vec<u8>> {
    let below_root = &ca.chain_der[..ca.chain_der.len().saturating_sub(1).max(1)];
    let mut out = Vec::new();
    for der in below_root {
        out.extend(der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)?.into_bytes());
    }
    Ok(out)
}

/// The payments stage over a batch's statements and today's new applications.
fn reconcile_batch(
    config: &Config,
    batch: &Batch,
    decisions: &[Decision],
    prior: &crate::payments::PaymentsPrior,
) -> (crate::payments::model::PaymentsWrite, crate::payments::PaymentsReport) {
    let new_apps: Vec<&Application> = decisions
        .iter()
        .filter(|d| matches!(d.change, Change::New | Change::Corrected))
        .filter_map(|d| d.application.as_ref())
        .collect();
    crate::payments::reconcile(PaymentsInput {
        pipelines: &config.pipelines,
        profiles: &config.banks,
        forced_bank: None,
        statements: &batch.statements,
        decisions: batch.decisions.as_ref(),
        new_applications: &new_apps,
        prior,
    })
}

/// What `check` shows of payments and issuance: the batch's credits matched as `run` would
/// match them, and which accepted applications that would pay for and issue (`issued`), wait
/// for payment, or go to the card station. Nothing is recorded and no key is made.
fn preview_payments_and_issue(
    config: &Config,
    ledger: Option<&Ledger>,
    batch: &Batch,
    screening: &mut screen::Screening,
    summary: &mut Summary,
    opts: &Options,
) -> Result<IssueReport> {
    let pay_prior = match ledger {
        Some(l) => l.payments_prior(opts.as_of)?,
        None => crate::payments::PaymentsPrior::default(),
    };
    let (write, pay) = reconcile_batch(config, batch, &screening.decisions, &pay_prior);
    *summary = std::mem::take(summary).with_payments(&pay);
    // The batch's credits as run would list them: those its statements bring and the open
    // ones it decides again, as decided (a new credit no rule places stays unmatched).
    let mut brought: BTreeSet<&str> =
        write.statements.iter().flat_map(|s| s.credits.iter().map(|c| c.id.as_str())).collect();
    brought.extend(write.decisions.iter().map(|(d, _)| d.credit_id.as_str()));
    for id in &brought {
        let status = write.decisions.iter().find(|(d, _)| d.credit_id == *id).map(|(d, _)| d.status);
        let status = status.unwrap_or(crate::payments::model::MatchStatus::Unmatched);
        *summary.payments_by_status.entry(status.to_string()).or_default() += 1;
    }
    // A matched credit pays its applications in full.
    let paid: Vec<(String, NaiveDate)> = write
        .decisions
        .iter()
        .filter(|(d, _)| d.status == crate::payments::model::MatchStatus::Matched)
        .flat_map(|(d, _)| d.application_ids.iter().map(|id| (id.clone(), opts.as_of)))
        .collect();
    let clearance = crate::payments::clearance(&pay_prior).with_paid(&paid);
    let (tickets, waiting) = issue::eligible(&config.pipelines, std::mem::take(&mut screening.ready), &clearance);
    let mut report = IssueReport { awaiting_payment: waiting, ..IssueReport::default() };
    let mut would_issue = BTreeMap::new();
    for t in &tickets {
        let app = t.application();
        match config.pipelines.product(&app.product) {
            Some(p) if p.cards.is_some() => report.awaiting_card.push(app.id.clone()),
            Some(_) => {
                would_issue.insert(app.id.clone(), app.clone());
            }
            None => {}
        }
    }
    for d in screening.decisions.iter_mut().filter(|d| would_issue.contains_key(&d.application_id)) {
        d.status = Status::Issued;
    }
    // Earlier days' applications this batch's credits would pay, listed as run lists them.
    let decided: BTreeSet<String> = screening.decisions.iter().map(|d| d.application_id.clone()).collect();
    for app in would_issue.values().filter(|a| !decided.contains(&a.id)) {
        screening.decisions.push(screen::carried(app));
    }
    summary.recount_statuses(&screening.decisions);
    let counts = report::summary::IssueCounts {
        issued_in_batch: would_issue.len(),
        awaiting_payment: report.awaiting_payment.len(),
        awaiting_card: report.awaiting_card.len(),
        ..Default::default()
    };
    *summary = std::mem::take(summary).with_issue(counts, &[]);
    Ok(report)
}

/// Runs (or checks) one batch folder.
pub fn run_batch(opts: &Options) -> Result<Outcome> {
    let started_at = crate::jpdate::now_iso();
    let mut timings = crate::timings::Timings::start();
    let config = Config::load(&opts.pipelines_dir)?;
    timings.mark("configuration");
    let batch = intake::read_batch(&opts.batch_dir, &config.pipelines)?;
    crate::faults::point("after-intake");
    timings.mark("intake");
    let command = match opts.mode {
        Mode::Run => "run",
        Mode::Check => "check",
    };
    if opts.mode == Mode::Check {
        let ledger = Ledger::open_read_only(&opts.state_dir)?;
        let prior = load_prior(ledger.as_ref(), &batch, &config.pipelines, opts.as_of)?;
        let mut screening = screen::screen_batch(&batch, &prior, &config.pipelines, opts.as_of);
        let mut summary = Summary::new(&batch, command, opts.as_of, &screening.decisions, &screening.notes);
        // Documents as the ledger counts them: sheet rows and the CSR files rows name.
        summary.documents = screening.documents.len();
        let issue = preview_payments_and_issue(&config, ledger.as_ref(), &batch, &mut screening, &mut summary, opts)?;
        return Ok(Outcome { summary, decisions: screening.decisions, out_dir: None, issue, requests: Vec::new() });
    }

    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let now = issue_moment(opts.as_of);
    // The CA is configuration too: a key that does not open stops the run before anything
    // is recorded (the demo CA is made here on first use, under the state folder's lock).
    let ca = ca_source::open(&config.ca, &opts.state_dir, now, true)?;
    // Card products are made at the card station, which needs its key: a configuration
    // without one is found by the morning run, not by the station after the run queued them.
    if config.pipelines.products.values().any(|p| p.cards.is_some()) {
        ca_source::check_card_key(&config.ca)?;
    }
    let recovered = crate::recovery::recover(&mut ledger, &opts.out_dir, &opts.state_dir)?;
    let moment = ledger.batch_moment(&batch.name)?.unwrap_or(now);
    timings.mark("ledger, CA, recovery");
    let out_b = opts.out_dir.join(&batch.name);

    // What earlier days decided, read once.
    let prior = load_prior(Some(&ledger), &batch, &config.pipelines, opts.as_of)?;
    let pay_prior = ledger.payments_prior(opts.as_of)?;
    let earlier_issued = ledger.issued_in_batch(&batch.name)?;

    // Screening.
    let mut screening = screen::screen_batch(&batch, &prior, &config.pipelines, opts.as_of);
    let mut summary = Summary::new(&batch, command, opts.as_of, &screening.decisions, &screening.notes);
    summary.documents = screening.documents.len();
    timings.mark("screening");
    archive_documents(&opts.state_dir, &batch.dir.join("scans"), &mut screening.documents)?;
    // The archived copies are durable before the ledger records their hashes.
    if screening.documents.iter().any(|d| d.archive_sha256.is_some()) {
        crate::fsio::sync_filesystem(&opts.state_dir)?;
    }
    timings.mark("archive");
    let (applications, rejected) = writes(&screening, &prior, &batch.name);
    let mut run = run_write(&batch.name, command, opts.as_of, moment, started_at);
    run.rows_read = batch.rows_read;
    run.applications = screening.decisions.len();
    run.documents = batch.documents.len();
    run.scans = batch.scans.len();
    run.summary = serde_json::to_string(&summary)?;
    let counts = ledger.record(&run, &applications, &screening.documents, &rejected)?;
    summary = summary.with_recorded(&counts);
    crate::faults::point("after-ledger");
    timings.mark("record");
    // An application that ran out of time for documents is owed what it paid (listed by
    // `daily` in the day's refunds.csv).
    crate::lifecycle::refunds::settle(&mut ledger, &config.pipelines, opts.as_of)?;

    // Payments, before issuance, so an application paid today is issued today.
    let (pay_write, mut pay) = reconcile_batch(&config, &batch, &screening.decisions, &pay_prior);
    pay.counts = ledger.record_payments(counts.run_id, &batch.name, &pay_write).context("cannot record payments")?;
    let clearance = crate::payments::clearance(&pay_prior).with_paid(&pay.counts.paid);
    summary = summary.with_payments(&pay);
    timings.mark("payments");

    // Issuance and its letters.
    let ready = std::mem::take(&mut screening.ready);
    let stage_started = std::time::Instant::now();
    let mut issue =
        issue_stage(&mut ledger, &config, &ca, &opts.state_dir, &out_b, &batch.name, ready, &clearance, now)?;
    issue.stage_time = stage_started.elapsed();
    issue.recovered = recovered.voided;
    issue.demo_ca = config.ca.mode == ca_source::CaMode::Demo;
    timings.mark("issue");

    // The day's decisions as they end: issued, or held with why.
    let mut decisions = screening.decisions;
    let issued_now: BTreeSet<&str> = issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    // A rejected row that repeats a stored id is not that application: it keeps its own
    // outcome.
    for d in decisions.iter_mut().filter(|d| !matches!(d.change, Change::Duplicate | Change::NotAnApplication)) {
        if issued_now.contains(d.application_id.as_str()) {
            d.status = Status::Issued;
        }
        if let Some(h) = issue.holds.iter().find(|h| h.application_id == d.application_id) {
            d.findings.push(report::hold_finding(h));
        }
    }
    summary.recount_statuses(&decisions);

    // Everything issued under this batch, for its notices, mails and issued.csv.
    let mut rows = earlier_issued;
    rows.extend(
        ledger.issued_in_batch(&batch.name)?.into_iter().filter(|r| issued_now.contains(r.application_id.as_str())),
    );
    rows.sort_by(|a, b| a.application_id.cmp(&b.application_id));
    rows.dedup_by(|a, b| a.serial == b.serial);
    let ids: BTreeSet<String> = rows.iter().map(|r| r.application_id.clone()).collect();
    let mut apps: BTreeMap<String, Application> =
        ledger.applications(&ids)?.into_iter().map(|(id, s)| (id, s.application)).collect();
    for d in &decisions {
        if let (Some(app), true) = (&d.application, ids.contains(&d.application_id)) {
            apps.insert(app.id.clone(), app.clone());
        }
    }
    let batch_issued = BatchIssued { rows, apps };
    // Applications decided on earlier days that this batch issued: in its screening.csv too
    // (from the ledger's issuances, so a rerun lists them alike).
    let decided: BTreeSet<String> = decisions.iter().map(|d| d.application_id.clone()).collect();
    for r in batch_issued.rows.iter().filter(|r| !decided.contains(&r.application_id)) {
        let Some(app) = batch_issued.apps.get(&r.application_id) else { continue };
        decisions.push(screen::carried(app));
    }
    summary.recount_statuses(&decisions);
    // The cards of the batch's applications, made by the card station: in `issued.csv` and
    // the count, not in this folder's notices (the station wrote those).
    let cards_issued = ledger.issued_elsewhere_for_batch(&batch.name)?;
    let counts = report::summary::IssueCounts {
        issued_in_batch: batch_issued.rows.len() + cards_issued.len(),
        issued_now: issue.issued.len(),
        issue_run: issue.issue_run,
        awaiting_payment: issue.awaiting_payment.len(),
        awaiting_card: issue.awaiting_card.len(),
        recovered: issue.recovered,
        demo_ca: issue.demo_ca,
    };
    summary = summary.with_issue(counts, &issue.holds).with_batch_payments(&ledger.payments_of_batch(&batch.name)?);

    // Letters without a secret, mails, reports: all rewritten identically by a rerun. A
    // batch run again on a later day keeps the notices its own day printed (the mailroom may
    // have posted them; later days' changes are later days' notices).
    timings.mark("issued rows");
    let manifest = out_b.join("letters/manifest-notices.csv");
    let mut notices = Notices::default();
    // Also when a later day has run since: what it changed (a deficiency cured) is that
    // day's, and this day's notices stay as they were printed.
    if manifest.exists() && (moment.date_naive() < opts.as_of || ledger.later_day_run(moment.date_naive())?) {
        notices.queued = crate::letters::writer::queued_in_manifest(&manifest)?;
    } else {
        // The batch's notices are those of its own day, also when it is run again later.
        crate::letters::notices::deficiency_letters(
            &config.pipelines,
            &config.letters,
            &decisions,
            moment.date_naive(),
            &mut notices,
        )?;
        crate::letters::notices::receipt_letters(
            &config.pipelines,
            &config.letters,
            &batch_issued.notices(),
            &mut notices,
        )?;
        let rows = ledger.invoices_of(&batch_issued.apps.keys().cloned().collect())?;
        crate::letters::invoices::invoice_letters(
            &config.pipelines,
            &config.letters,
            &config.invoicing,
            &batch_issued.invoices(&rows),
            &mut notices,
        )?;
        notices.write(&config.letters, &out_b)?;
        write_media_manifest(&config, &out_b, &batch_issued)?;
        let printed: Vec<&Prepared> = notices.printed.iter().collect();
        config.letters.print_files(&out_b, "notices", &printed, &notices.queued)?;
    }
    timings.mark("notices");
    crate::letters::mails::review_mails(
        &out_b,
        &config.mail,
        &config.letters,
        &config.pipelines,
        &decisions,
        opts.as_of,
        moment,
    )?;
    crate::letters::mails::download_mails(&out_b, &config.mail, &batch_issued.download_links())?;
    crate::letters::mails::issued_mails(
        &out_b,
        &config.mail,
        &config.letters,
        &config.pipelines,
        &chain_pem(&ca.ca)?,
        &batch_issued.mailed_certificates(&config.pipelines, &out_b)?,
    )?;

    timings.mark("mails");
    report::write_batch_reports(&out_b, &decisions, &summary)?;
    let mut issued_rows = batch_issued.rows.clone();
    issued_rows.extend(cards_issued);
    issued_rows.sort_by(|a, b| a.application_id.cmp(&b.application_id));
    report::write_issued_csv(&out_b, &issued_rows)?;
    let staff = report::staff_queue::items(&ledger.holds()?, &notices.queued, &decisions);
    report::staff_queue::write(&out_b, &staff, moment)?;
    timings.mark("reports");
    let mut accounts = report::accounts::accounts(&batch, &decisions, &screening.held_documents, &pay.accounts);
    // The batch's revocation requests and returned receipts, as the commands would take them.
    let (requests, receipts) = crate::lifecycle::requests::from_batch(&batch.dir, &batch.name);
    let changes = crate::lifecycle::requests::changes_from_batch(&batch.dir, &batch.name);
    let mut answered = Vec::new();
    if !requests.is_empty() || !receipts.is_empty() || !changes.is_empty() {
        let (mut answers, _) = crate::lifecycle::requests::apply_open(
            &mut ledger,
            &config,
            &ca.ca,
            opts,
            requests,
            receipts,
            Some(moment.date_naive()),
        )?;
        answers.extend(crate::lifecycle::requests::apply_changes(&mut ledger, &batch.name, changes)?);
        crate::lifecycle::changes::write_mails(&out_b, &config, &ledger.changes_of_batch(&batch.name)?, moment)?;
        crate::lifecycle::requests::write_answers(&out_b, &answers)?;
        accounts.extend(answers.iter().map(report::accounts::Account::of_request));
        answered = answers;
    }
    for name in ["receipts.csv", "revocations.csv", "changes.csv"].into_iter().filter(|n| batch.dir.join(n).is_file()) {
        accounts.push(report::accounts::Account::header(name));
    }
    report::accounts::write(&out_b, &accounts)?;
    timings.mark("requests, rows.csv");
    finance_files(&ledger, &config, &batch.name, &out_b, opts.as_of, moment)?;
    timings.mark("finance");
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    timings.mark("audit log");
    Ok(Outcome { summary, decisions, out_dir: Some(out_b), issue, requests: answered })
}
