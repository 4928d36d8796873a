//! Payments: bank credits matched to the fees applications owe, for finance.
//!
//! Takes the statements in `BATCH_DIR/transfers/` (or given to `transfers import`), a
//! finance decisions file if any, and what the ledger holds; gives one decision per credit
//! and marks applications paid. Every stored application gets its fee the first time it is
//! seen. A statement imported twice, or a re-export overlapping an earlier one, adds no
//! credit (credits are keyed by their bank identity); a file that fails its own checks
//! (a Zengin trailer) is refused whole and named. Unmatched and ambiguous credits are tried
//! again on every run; a person's decision settles a credit and teaches its payer name.

pub mod fees;
pub mod matching;
pub mod model;
pub mod payer_name;

use crate::bank::csv_profiles::BankProfile;
use crate::ledger::payments::{FeeWrite, PaymentCounts, PaymentsWrite, StatementWrite};
use crate::ledger::Ledger;
use crate::pipelines::Pipelines;
use crate::product::PaymentModel;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use model::{Credit, MatchDecision, MatchStatus};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::intake::InputFile as StatementFile;

/// What the stage did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct PaymentsReport {
    pub counts: PaymentCounts,
    pub by_status: BTreeMap<String, usize>,
    /// Files refused whole, with why.
    pub refused: Vec<String>,
    /// Files imported before (same bytes).
    pub already_imported: Vec<String>,
    /// Rows or decisions that could not be used, with where.
    pub problems: Vec<String>,
}

/// The company an application pays for: its corporate number, else its organisation's
/// name key. Volume pricing and combined payments group by it.
pub fn company_of(app: &crate::record::Application) -> Option<String> {
    app.corporate_number
        .clone()
        .or_else(|| app.org_kana.as_deref().or(app.org_name.as_deref()).map(payer_name::name_key))
        .filter(|c| !c.is_empty())
}

/// Fees for applications that have none yet. AOSign counts the company's valid cards in
/// the ledger plus the cards of this set.
fn new_fees(
    ledger: &Ledger,
    pipelines: &Pipelines,
    as_of: NaiveDate,
    problems: &mut Vec<String>,
) -> Result<Vec<FeeWrite>> {
    let apps = ledger.applications_without_fee()?;
    let mut buying: BTreeMap<(String, String), u32> = BTreeMap::new();
    for a in &apps {
        if let Some(c) = company_of(a) {
            *buying.entry((a.product.clone(), c)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for app in apps {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let company = company_of(&app);
        let cards = match &company {
            Some(c) => {
                ledger.company_valid_certificates(&app.product, c, as_of)? + buying[&(app.product.clone(), c.clone())]
            }
            None => 1,
        };
        match fees::fee_for(&app, product, cards) {
            Ok(fee) => out.push(FeeWrite {
                application_id: app.id.clone(),
                product: app.product.clone(),
                company,
                fee,
                tolerance: i64::from(product.payment.tolerance_yen),
                model: match product.payment.model {
                    PaymentModel::BeforeIssue => "before_issue".into(),
                    PaymentModel::Invoice => "invoice".into(),
                },
            }),
            Err(e) => problems.push(format!("{}: {}", app.id, e.0)),
        }
    }
    Ok(out)
}

/// Reads `transaction_id,application_ids[,note]` rows finance filled in.
fn manual_decisions(
    ledger: &Ledger,
    file: &StatementFile,
    new_credits: &BTreeMap<String, Credit>,
    problems: &mut Vec<String>,
) -> Result<Vec<(MatchDecision, Credit)>> {
    let text = crate::textfile::decode(&file.bytes, &file.shown)?.text;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let Ok(rec) = rec else {
            problems.push(format!("{}, line {line}: unreadable row", file.shown));
            continue;
        };
        let id = rec.get(0).unwrap_or_default().trim().to_string();
        let apps: Vec<String> = rec
            .get(1)
            .unwrap_or_default()
            .split([' ', ';', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if id.is_empty() || apps.is_empty() {
            continue;
        }
        let credit = match new_credits.get(&id) {
            Some(c) => c.clone(),
            None => match ledger.credit(&id)? {
                Some((c, _)) => c,
                None => {
                    problems.push(format!("{}, line {line}: no credit {id}", file.shown));
                    continue;
                }
            },
        };
        out.push((
            MatchDecision {
                credit_id: id,
                status: MatchStatus::Matched,
                application_ids: apps,
                expected: credit.amount,
                difference: 0,
                reason: format!("decided by finance ({}, line {line})", file.shown),
            },
            credit,
        ));
    }
    Ok(out)
}

/// What one payments stage works on.
#[derive(Debug, Clone, Copy)]
pub struct PaymentsInput<'a> {
    pub pipelines: &'a Pipelines,
    pub profiles: &'a [BankProfile],
    /// `--bank NAME`: read every file with this profile.
    pub forced_bank: Option<&'a str>,
    pub statements: &'a [StatementFile],
    /// Finance's filled-in decisions CSV, if any.
    pub decisions: Option<&'a StatementFile>,
    pub as_of: NaiveDate,
}

/// Imports, matches and records, in one ledger transaction.
pub fn payments_stage(ledger: &mut Ledger, run_id: i64, input: PaymentsInput) -> Result<PaymentsReport> {
    use sha2::Digest;
    let PaymentsInput { pipelines, profiles, forced_bank, statements, decisions, as_of } = input;
    let mut report = PaymentsReport::default();
    let mut write =
        PaymentsWrite { fees: new_fees(ledger, pipelines, as_of, &mut report.problems)?, ..Default::default() };

    let mut new_credits: BTreeMap<String, Credit> = BTreeMap::new();
    for f in statements {
        let sha = crate::record::hex(&sha2::Sha256::digest(&f.bytes));
        if ledger.statement_seen(&sha)? {
            report.already_imported.push(f.shown.clone());
            continue;
        }
        match crate::bank::statement::read_statement(&f.bytes, &f.shown, profiles, forced_bank) {
            Ok(st) => {
                report.problems.extend(st.problems.iter().cloned());
                for c in &st.credits {
                    if ledger.credit(&c.id)?.is_none() {
                        new_credits.entry(c.id.clone()).or_insert_with(|| c.clone());
                    }
                }
                write.statements.push(StatementWrite {
                    sha256: sha,
                    file: f.shown.clone(),
                    format: st.format.clone(),
                    credits: st.credits,
                });
            }
            Err(e) => report.refused.push(format!("{e}")),
        }
    }

    // A person's decisions first; each teaches the payer's name.
    let mut decided: BTreeSet<String> = BTreeSet::new();
    if let Some(file) = decisions {
        for (d, credit) in manual_decisions(ledger, file, &new_credits, &mut report.problems)? {
            let key = payer_name::payer_key(&credit.payer_raw).key;
            for app in &d.application_ids {
                write.aliases.push((key.clone(), app.clone()));
            }
            decided.insert(d.credit_id.clone());
            write.decisions.push((d, true));
        }
    }

    // Then everything undecided, oldest first, against what is still open.
    let mut credits: Vec<Credit> = ledger.undecided_credits()?;
    credits.extend(new_credits.into_values());
    credits.retain(|c| !decided.contains(&c.id));
    credits.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let mut open = ledger.open_fees()?;
    // Fees recorded by this very stage are open too.
    for f in &write.fees {
        if let Some(app) = ledger.applications(&BTreeSet::from([f.application_id.clone()]))?.remove(&f.application_id) {
            let a = app.application;
            open.push(model::OpenFee {
                application_id: a.id.clone(),
                envelope_id: a.envelope_id.clone(),
                company: f.company.clone(),
                names: [Some(a.name_kana.clone()), a.payer_name.clone(), a.org_kana.clone()]
                    .into_iter()
                    .flatten()
                    .collect(),
                due: f.fee.total,
                received: 0,
                tolerance: f.tolerance,
                received_on: a.received_on,
            });
        }
    }
    let paid: Vec<matching::PaidFee> = ledger
        .paid_fees()?
        .into_iter()
        .map(|p| matching::PaidFee {
            names: [
                Some(p.application.name_kana.clone()),
                p.application.payer_name.clone(),
                p.application.org_kana.clone(),
            ]
            .into_iter()
            .flatten()
            .collect(),
            application_id: p.application.id,
            company: p.company,
            due: p.due,
        })
        .collect();
    let mut aliases_list = ledger.payer_aliases()?;
    aliases_list.extend(write.aliases.iter().cloned());
    let aliases = matching::Aliases::from_pairs(aliases_list);
    for d in matching::match_credits(&credits, &open, &paid, &aliases) {
        write.decisions.push((d, false));
    }
    for (d, _) in &write.decisions {
        *report.by_status.entry(d.status.as_str().to_string()).or_default() += 1;
    }
    report.counts = ledger.record_payments(run_id, &write).context("cannot record payments")?;
    Ok(report)
}
