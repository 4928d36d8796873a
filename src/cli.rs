//! The command line of the batch contract, section 1.

use crate::run::{self, Mode, Options};
use anyhow::Result;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "certbatch", version, about = "Daily back-office pipeline of a Japanese certification authority")]
pub struct Cli {
    /// Ledger, CA material and audit log (default: OUT/state, beside the outputs it vouches for).
    #[arg(long, global = true, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Where the day's files go (OUT/<batch>/…).
    #[arg(long, global = true, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Product rules, bank profiles and letter templates.
    #[arg(long, global = true, default_value = "pipelines", value_name = "DIR")]
    pub pipelines: PathBuf,
    /// "Today" in Japan (default: today in JST), so a run can be replayed. Any date form
    /// of the contract: 2026-11-20, 令和8年11月20日, R8.11.20.
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_as_of)]
    pub as_of: Option<NaiveDate>,
    /// Seconds to wait for another run that holds the state folder before refusing.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    pub wait: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daily job: ingest, screen, record, report. Safe to run again on the same folder.
    Run { batch_dir: PathBuf },
    /// Everything `run` would decide, changing nothing.
    Check { batch_dir: PathBuf },
    /// The cron job: expiry notices (each once per certificate, also after missed days).
    Daily,
    /// Bank statements, on finance's own schedule.
    Transfers {
        #[command(subcommand)]
        action: TransfersAction,
    },
    /// The letters of a batch.
    Letters {
        #[command(subcommand)]
        action: LettersAction,
    },
    /// Lifts the hold of applications that failed while being issued, once staff fixed the
    /// cause (staff-queue.csv says which and why); the next run issues them.
    Release {
        /// Application ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Revokes a certificate (by serial or application id), or every request of a
    /// revocations.csv (--file); --dry-run shows what would happen and changes nothing.
    Revoke {
        /// A serial (hex; case, `:` and spaces ignored) or an application id.
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        target: Option<String>,
        /// key_compromise, affiliation_changed, superseded, cessation_of_operation,
        /// privilege_withdrawn, no_receipt, non_payment, delivery_failed, ca_compromise,
        /// unspecified (or the Japanese words of the contract).
        #[arg(long, required_unless_present = "file")]
        reason: Option<String>,
        /// subscriber, organization, third_party or ca.
        #[arg(long, default_value = "subscriber")]
        requested_by: String,
        /// The day the request was made (default: --as-of).
        #[arg(long, value_parser = parse_as_of)]
        requested_on: Option<NaiveDate>,
        /// When the key was or may have been compromised.
        #[arg(long, value_parser = parse_as_of)]
        invalidity_date: Option<NaiveDate>,
        /// A later day the revocation takes effect (default: at once).
        #[arg(long, value_parser = parse_as_of)]
        effective_on: Option<NaiveDate>,
        /// A revocations.csv of many requests.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Returned receipts: receipts.csv files, or receipt mails (.eml) signed with the
    /// issued certificate.
    Receipts {
        #[command(subcommand)]
        action: ReceiptsAction,
    },
    /// Deletes the archived scans past retention (10 years after notAfter, or after an
    /// application closed without a certificate); their hashes and the deletion stay in
    /// the audit log. --dry-run lists them and changes nothing.
    Purge {
        #[arg(long)]
        dry_run: bool,
    },
    /// The audit log: `audit verify` recomputes its hash chain in the ledger and in
    /// STATE/audit.log and names the first entry altered, removed or reordered.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// One application's whole story: its row, documents, decisions, payments, certificate,
    /// invoice, card, receipt, revocation, and the letters and mails written for it.
    Status { application_id: String },
    /// The certification authority.
    Ca {
        #[command(subcommand)]
        action: CaAction,
    },
    /// The key pool: key pairs made ahead of time for products that take them.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// The card station: IC cards and eTokens personalised through PKCS#11.
    Cards {
        #[command(subcommand)]
        action: CardsAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum CardsAction {
    /// Personalises the pending jobs of card products on the blank tokens present, one job
    /// per token, in order; the stock's transport SO PIN comes from CERTBATCH_BLANK_SO_PIN.
    /// Writes OUT/cards-<day>/ (cards.csv, manifest.csv, letters). Starting it again after
    /// a stop wipes any token left half-made.
    Personalise {
        /// The PKCS#11 module of the card readers (default: each product's `[cards] module`).
        #[arg(long, value_name = "PATH")]
        module: Option<PathBuf>,
        /// A blank token's label starts with this.
        #[arg(long, default_value = crate::lifecycle::cards::DEFAULT_BLANK_PREFIX, value_name = "PREFIX")]
        blank_prefix: String,
        /// At most this many cards this session.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Makes key pairs until the pool holds --count ready ones (run it in idle hours; a
    /// second fill to the same count makes nothing). Only products with `key_pool = true`
    /// (G-ID download and media) take pooled keys.
    Fill {
        /// Ready keys the pool should hold.
        #[arg(long)]
        count: usize,
        /// RSA modulus size: 2048, 3072 or 4096 (the products' key_bits).
        #[arg(long, default_value_t = 2048)]
        bits: usize,
    },
    /// Keys in the pool by size, key-encryption key and state.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum TransfersAction {
    /// Imports statements (Zengin or bank CSV) and matches every open credit again; with
    /// `--decisions` alone, applies finance's decisions to the credits already imported.
    Import {
        /// Statement files (none when only `--decisions` is given).
        #[arg(required_unless_present = "decisions")]
        files: Vec<PathBuf>,
        /// Read the files with this bank profile (pipelines/banks/<NAME>.toml, or `zengin`).
        #[arg(long, value_name = "NAME")]
        bank: Option<String>,
        /// Finance's decisions: CSV `transaction_id,application_ids`.
        #[arg(long, value_name = "FILE")]
        decisions: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsAction {
    /// Records receipts (a second receipt for a certificate changes nothing).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LettersAction {
    /// Deletes a batch's PIN and password letters and their print files once the mailroom
    /// confirms printing; the deletion is recorded in the audit log and the manifests.
    Purge {
        /// The batch folder name under --out (e.g. 2026-11-19).
        batch: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Checks the chain end to end; exits 1 naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum CaAction {
    /// Makes a demo CA (root and issuing CA, keys encrypted at rest) in the state folder.
    Init,
}

fn parse_as_of(s: &str) -> Result<NaiveDate, String> {
    crate::jpdate::parse_date(s).map_err(|e| e.to_string())
}

/// Runs the parsed command; the error is the one line `main` prints.
pub fn dispatch(mut cli: Cli) -> Result<()> {
    let as_of = cli.as_of.unwrap_or_else(crate::jpdate::today_jst);
    let state = cli.state.take().unwrap_or_else(|| cli.out.join("state"));
    match cli.command {
        Command::Run { batch_dir } => {
            batch(state.clone(), cli.out, cli.pipelines, as_of, cli.wait, batch_dir, Mode::Run)
        }
        Command::Check { batch_dir } => {
            batch(state.clone(), cli.out, cli.pipelines, as_of, cli.wait, batch_dir, Mode::Check)
        }
        Command::Transfers { action: TransfersAction::Import { files, bank, decisions } } => {
            let opts = lifecycle_options(state, cli.out, cli.pipelines, as_of, cli.wait);
            let (pay, dir) = run::import_transfers(&opts, &files, bank.as_deref(), decisions.as_deref())?;
            println!("certbatch transfers import (as of {as_of})");
            let by_status: Vec<String> = pay.by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "  credits        {} new ({} seen before); decided: {}; {} applications paid",
                pay.counts.new_credits,
                pay.counts.repeated_credits,
                if by_status.is_empty() { "none".to_string() } else { by_status.join(", ") },
                pay.counts.newly_paid
            );
            for f in &pay.already_imported {
                println!("  imported before {}", crate::text::for_display(f));
            }
            for n in pay.refused.iter().chain(&pay.problems) {
                println!("  payment note   {}", crate::text::for_display(n));
            }
            println!("  written        {}", dir.display());
            Ok(())
        }
        Command::Daily => {
            let opts = lifecycle_options(state, cli.out, cli.pipelines, as_of, cli.wait);
            let r = crate::lifecycle::daily::daily(&opts)?;
            println!("{}", r.line());
            Ok(())
        }
        Command::Revoke {
            target,
            reason,
            requested_by,
            requested_on,
            invalidity_date,
            effective_on,
            file,
            dry_run,
        } => {
            let opts = lifecycle_options(state.clone(), cli.out, cli.pipelines, as_of, cli.wait);
            let requests = match (file, target, reason) {
                (Some(f), _, _) => crate::lifecycle::requests::read_revocations(&f)?,
                (None, Some(t), Some(r)) => {
                    use crate::lifecycle::revocation::{Reason, Request, RequestedBy, Target};
                    let reason: Reason = r.parse().map_err(anyhow::Error::msg)?;
                    let by: RequestedBy = requested_by.parse().map_err(anyhow::Error::msg)?;
                    vec![Ok(Request {
                        target: Target::Either(t),
                        reason,
                        requested_by: by,
                        requested_on: requested_on.unwrap_or(as_of),
                        invalidity_date,
                        effective_on,
                        source: "revoke".into(),
                    })]
                }
                _ => anyhow::bail!("name a certificate and --reason, or --file revocations.csv"),
            };
            let (answers, day) = crate::lifecycle::requests::revoke(&opts, requests, dry_run)?;
            print_answers(&answers, dry_run);
            if let Some(day) = day {
                println!("{}", day.line());
            }
            Ok(())
        }
        Command::Receipts { action: ReceiptsAction::Import { files } } => {
            let opts = lifecycle_options(state.clone(), cli.out, cli.pipelines, as_of, cli.wait);
            let (answers, day) = crate::lifecycle::requests::import_receipts(&opts, &files)?;
            print_answers(&answers, false);
            if let Some(day) = day {
                println!("{}", day.line());
            }
            Ok(())
        }
        Command::Letters { action: LettersAction::Purge { batch } } => {
            let mut ledger = crate::ledger::Ledger::open(&state, Duration::from_secs(cli.wait))?;
            let purged = crate::letters::purge(&cli.out, &batch)?;
            let files: Vec<(String, String)> = purged.iter().map(|p| (p.file.clone(), p.sha256.clone())).collect();
            ledger.record_purge(&batch, &files)?;
            crate::recovery::export_audit(&mut ledger, &state)?;
            println!(
                "deleted {} letter files holding a PIN or password of batch {batch} (notices and manifests kept; recorded in audit.log)",
                purged.len()
            );
            Ok(())
        }
        Command::Release { ids } => {
            let mut ledger = crate::ledger::Ledger::open(&state, Duration::from_secs(cli.wait))?;
            let holds = ledger.holds()?;
            for id in &ids {
                // A hold found before signing is checked again on every run: releasing it
                // would change nothing, so say what does.
                if let Some(h) = holds.iter().find(|h| &h.application_id == id && !h.sticky) {
                    println!(
                        "{id}: its hold ({}: {}) is checked on every run and lifts itself once the cause is fixed; nothing released",
                        h.code,
                        crate::text::for_display(&h.detail)
                    );
                    continue;
                }
                if ledger.release(id, "certbatch release")? {
                    println!("released {id}: the next run tries to issue it");
                } else {
                    println!("{id}: no hold to release");
                }
            }
            crate::recovery::export_audit(&mut ledger, &state)?;
            Ok(())
        }
        Command::Purge { dry_run } => {
            let opts = lifecycle_options(state, cli.out, cli.pipelines, as_of, cli.wait);
            let r = crate::lifecycle::purge::purge(&opts, dry_run)?;
            for (e, files) in &r.files {
                let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
                println!(
                    "{}\t{}\tretention ended {}\t{}\t{}",
                    e.sha256,
                    e.owners.join(" "),
                    e.retain_until,
                    if dry_run { "would be deleted" } else { "deleted" },
                    if shown.is_empty() { "(no file left)".to_string() } else { shown.join(" ") }
                );
            }
            println!("{}", r.line());
            Ok(())
        }
        Command::Status { application_id } => {
            let Some(ledger) = crate::ledger::Ledger::open_read_only(&state)? else {
                anyhow::bail!("no ledger in {}: nothing has been run there", state.display());
            };
            let Some(mut story) = ledger.story(&application_id)? else {
                anyhow::bail!("{application_id}: no such application in the ledger of {}", state.display());
            };
            // The invoice's number as printed on it.
            let invoicing = crate::letters::invoices::Invoicing::load(&cli.pipelines)?;
            if let Some(inv) = story.invoice.as_mut() {
                inv[0] = inv[0].parse().map_or_else(|_| inv[0].clone(), |n| invoicing.number(n));
            }
            // The folders it appears in: its batch, the folders of its certificates, the
            // days after issue and the card station's days (found by name).
            let mut folders: Vec<String> = story
                .application
                .iter()
                .filter(|(k, _)| *k == "batch")
                .map(|(_, v)| v.clone())
                .chain(story.certificates.iter().map(|c| c[5].clone()))
                .collect();
            if let Ok(entries) = std::fs::read_dir(&cli.out) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with("daily-") || name.starts_with("cards-") || name.starts_with("transfers-") {
                        folders.push(name);
                    }
                }
            }
            folders.sort();
            folders.dedup();
            let files = crate::report::story::files_of(&cli.out, &application_id, &folders);
            print!("{}", crate::report::story::render(&story, &files));
            Ok(())
        }
        Command::Audit { action: AuditAction::Verify } => {
            use crate::ledger::audit;
            let Some(ledger) = crate::ledger::Ledger::open_read_only(&state)? else {
                anyhow::bail!("no ledger in {}: nothing to verify", state.display());
            };
            let (entries, exported) = ledger.audit_entries()?;
            let log = state.join(audit::LOG_FILE);
            let v = audit::verify(&entries, &log, exported)?;
            match v.problem {
                None => {
                    println!(
                        "audit log verified: {} entries, ledger and {} agree; chain head {}",
                        v.entries,
                        log.display(),
                        v.head
                    );
                    Ok(())
                }
                Some(p) => anyhow::bail!("audit chain broken: {p}"),
            }
        }
        Command::Keys { action: KeysAction::Fill { count, bits } } => {
            let opts = lifecycle_options(state, cli.out, cli.pipelines, as_of, cli.wait);
            println!("{}", crate::lifecycle::key_fill::fill(&opts, count, bits)?.line());
            Ok(())
        }
        Command::Cards { action: CardsAction::Personalise { module, blank_prefix, limit } } => {
            let opts = crate::lifecycle::cards::StationOptions {
                pipelines_dir: cli.pipelines,
                state_dir: state,
                out_dir: cli.out,
                as_of,
                lock_wait: Duration::from_secs(cli.wait),
                module,
                blank_prefix,
                limit,
            };
            let r = crate::lifecycle::cards::personalise(&opts)?;
            print!("{}", r.render());
            match r.stopped {
                Some(why) => anyhow::bail!("the card station stopped: {why}"),
                None => Ok(()),
            }
        }
        Command::Keys { action: KeysAction::Status } => {
            let opts = lifecycle_options(state, cli.out, cli.pipelines, as_of, cli.wait);
            let (counts, kek) = crate::lifecycle::key_fill::status(&opts)?;
            println!("key pool in {}", opts.state_dir.display());
            match &kek {
                Some(id) => println!("key-encryption key in use: {id}"),
                None => println!(
                    "no key-encryption key yet: the demo CA makes one on the first `keys fill` or run; a real CA names \
                     pool_key_file in {}",
                    opts.pipelines_dir.join(crate::issue::ca_source::CA_CONFIG).display()
                ),
            }
            if counts.is_empty() {
                println!("no keys in the pool");
            }
            for c in &counts {
                let note = if kek.as_ref() != Some(&c.kek_id) && c.state == "ready" {
                    "  (another KEK: never taken)"
                } else {
                    ""
                };
                println!("RSA-{}	kek {}	{}	{}{note}", c.bits, c.kek_id, c.state, c.count);
            }
            Ok(())
        }
        Command::Ca { action: CaAction::Init } => {
            // Hold the state folder so no run issues while the CA is being made.
            let _lock = crate::ledger::Ledger::open(&state, Duration::from_secs(cli.wait))?;
            let ca = crate::issue::ca_source::init_demo(&state, crate::run::issue_moment(as_of))?;
            println!(
                "made a DEMO CA (not for production) in {}",
                state.join(crate::issue::ca_source::DEMO_DIR).display()
            );
            println!("  issuing CA  {}", ca.subject());
            println!("  valid until {}", ca.not_after());
            Ok(())
        }
    }
}

/// The options of a command that reads no batch folder.
fn lifecycle_options(state: PathBuf, out: PathBuf, pipelines: PathBuf, as_of: NaiveDate, wait: u64) -> Options {
    Options {
        batch_dir: PathBuf::new(),
        state_dir: state,
        out_dir: out,
        pipelines_dir: pipelines,
        as_of,
        mode: Mode::Run,
        lock_wait: Duration::from_secs(wait),
    }
}

/// One line per request or receipt: where it came from, what it names, how it ended.
fn print_answers(answers: &[crate::lifecycle::requests::Answer], dry_run: bool) {
    let mark = if dry_run { "  (dry run: nothing changed)" } else { "" };
    for a in answers {
        let what = if a.serial.is_empty() { String::from("-") } else { format!("{} {}", a.serial, a.application_id) };
        println!(
            "{}\t{}\t{}\t{}{mark}",
            crate::text::for_display(&a.source),
            what,
            a.status,
            crate::text::for_display(&a.message)
        );
    }
}

fn batch(
    state: PathBuf,
    out: PathBuf,
    pipelines: PathBuf,
    as_of: NaiveDate,
    wait: u64,
    batch_dir: PathBuf,
    mode: Mode,
) -> Result<()> {
    let opts = Options {
        batch_dir,
        state_dir: state,
        out_dir: out,
        pipelines_dir: pipelines,
        as_of,
        mode,
        lock_wait: Duration::from_secs(wait),
    };
    let outcome = run::run_batch(&opts)?;
    print!("{}{}", outcome.summary.render(), outcome.summary.render_run());
    if mode == Mode::Check {
        // `check` shows every decision, since it writes no screening.csv.
        for d in &outcome.decisions {
            println!("{}\t{}\t{}", d.application_id, d.status, d.reasons());
            for f in &d.findings {
                println!("    {}: {}", f.reason(), f.message_with_location());
            }
        }
    } else if let Some(dir) = &outcome.out_dir {
        if !outcome.requests.is_empty() {
            let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
            for a in &outcome.requests {
                *by.entry(a.status.as_str()).or_default() += 1;
            }
            let counts: Vec<String> = by.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "  after issue    {} rows of revocations.csv/receipts.csv/changes.csv: {} (see requests.csv)",
                outcome.requests.len(),
                counts.join(", ")
            );
        }
        let issue = &outcome.issue;
        if issue.pool_taken + issue.pool_dry > 0 {
            println!(
                "  key pool       {} keys taken from the pool, {} made on the spot{}",
                issue.pool_taken,
                issue.pool_dry,
                if issue.pool_dry > 0 { " (the pool ran dry: `keys fill` a larger count)" } else { "" }
            );
        }
        println!("  written        {}", dir.display());
    }
    Ok(())
}
