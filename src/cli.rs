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
    /// Ledger, CA material and audit log.
    #[arg(long, global = true, default_value = "output/state", value_name = "DIR")]
    pub state: PathBuf,
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
    /// The certification authority.
    Ca {
        #[command(subcommand)]
        action: CaAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum TransfersAction {
    /// Imports statements (Zengin or bank CSV) and matches every open credit again.
    Import {
        /// Statement files.
        #[arg(required = true)]
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
pub enum LettersAction {
    /// Deletes a batch's PIN and password letters and their print files once the mailroom
    /// confirms printing; the deletion is recorded in the audit log and the manifests.
    Purge {
        /// The batch folder name under --out (e.g. 2026-11-19).
        batch: String,
    },
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
pub fn dispatch(cli: Cli) -> Result<()> {
    let as_of = cli.as_of.unwrap_or_else(crate::jpdate::today_jst);
    match cli.command {
        Command::Run { batch_dir } => batch(cli.state, cli.out, cli.pipelines, as_of, cli.wait, batch_dir, Mode::Run),
        Command::Check { batch_dir } => {
            batch(cli.state, cli.out, cli.pipelines, as_of, cli.wait, batch_dir, Mode::Check)
        }
        Command::Transfers { action: TransfersAction::Import { files, bank, decisions } } => {
            let opts = Options {
                batch_dir: PathBuf::new(),
                state_dir: cli.state,
                out_dir: cli.out,
                pipelines_dir: cli.pipelines,
                as_of,
                mode: Mode::Run,
                lock_wait: Duration::from_secs(cli.wait),
            };
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
            let opts = Options {
                batch_dir: PathBuf::new(),
                state_dir: cli.state,
                out_dir: cli.out,
                pipelines_dir: cli.pipelines,
                as_of,
                mode: Mode::Run,
                lock_wait: Duration::from_secs(cli.wait),
            };
            let r = run::daily(&opts)?;
            println!("certbatch daily (as of {as_of})");
            println!("  expiry notices {} ({})", r.expiry_notices.len(), r.expiry_notices.join(" "));
            println!("  written        {}", r.out_dir.display());
            Ok(())
        }
        Command::Letters { action: LettersAction::Purge { batch } } => {
            let mut ledger = crate::ledger::Ledger::open(&cli.state, Duration::from_secs(cli.wait))?;
            let purged = crate::letters::purge(&cli.out, &batch)?;
            let files: Vec<(String, String)> = purged.iter().map(|p| (p.file.clone(), p.sha256.clone())).collect();
            ledger.record_purge(&batch, &files)?;
            crate::recovery::export_audit(&mut ledger, &cli.state)?;
            println!(
                "deleted {} letter files holding a PIN or password of batch {batch} (notices and manifests kept; recorded in audit.log)",
                purged.len()
            );
            Ok(())
        }
        Command::Release { ids } => {
            let mut ledger = crate::ledger::Ledger::open(&cli.state, Duration::from_secs(cli.wait))?;
            for id in &ids {
                if ledger.release(id, "certbatch release")? {
                    println!("released {id}: the next run tries to issue it");
                } else {
                    println!("{id}: no hold to release");
                }
            }
            crate::recovery::export_audit(&mut ledger, &cli.state)?;
            Ok(())
        }
        Command::Ca { action: CaAction::Init } => {
            // Hold the state folder so no run issues while the CA is being made.
            let _lock = crate::ledger::Ledger::open(&cli.state, Duration::from_secs(cli.wait))?;
            let ca = crate::issue::ca_source::init_demo(&cli.state, crate::run::issue_moment(as_of))?;
            println!(
                "made a DEMO CA (not for production) in {}",
                cli.state.join(crate::issue::ca_source::DEMO_DIR).display()
            );
            println!("  issuing CA  {}", ca.subject());
            println!("  valid until {}", ca.not_after());
            Ok(())
        }
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
        println!("  written        {}", dir.display());
    }
    Ok(())
}
