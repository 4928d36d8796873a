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
use crate::pipelines::Pipelines;
use crate::product::{PaymentModel, Product};
use crate::record::Application;
use chrono::NaiveDate;
use model::{Credit, FeeWrite, MatchDecision, MatchStatus, OpenFee, PaymentsWrite, StatementWrite};
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use crate::intake::InputFile as StatementFile;

/// What the stage did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct PaymentsReport {
    pub counts: model::PaymentCounts,
    pub by_status: BTreeMap<String, usize>,
    /// Files refused whole, with why.
    pub refused: Vec<String>,
    /// Files imported before (same bytes).
    pub already_imported: Vec<String>,
    /// Rows or decisions that could not be used, with where.
    pub problems: Vec<String>,
    /// Every record of every statement file and what became of it, for `rows.csv`.
    pub accounts: StatementAccounts,
}

/// Every record of every statement file and what became of it (for `rows.csv`).
#[derive(Debug, Clone, Default)]
pub struct StatementAccounts {
    /// (file, row or record, kind, id, outcome, detail) for every record read.
    pub records: Vec<(String, usize, String, String, String, String)>,
    /// Files refused whole or imported before, with why.
    pub files: Vec<(String, String, String)>,
}

/// The company an application pays for: its corporate number, else its organisation's
/// name key. Volume pricing and combined payments group by it.
pub fn company_of(app: &Application) -> Option<String> {
    app.corporate_number
        .clone()
        .or_else(|| app.org_kana.as_deref().or(app.org_name.as_deref()).map(payer_name::name_key))
        .filter(|c| !c.is_empty())
}

/// What the ledger knew about money when the run began: everything the stage reads, so it
/// reads nothing back while it works.
#[derive(Debug, Clone, Default)]
pub struct PaymentsPrior {
    /// Ids of every credit ever imported (a re-import adds nothing).
    pub known_credits: HashSet<String>,
    /// SHA-256 of every statement file imported.
    pub seen_statements: HashSet<String>,
    /// Credits still unmatched or ambiguous, tried again on every run.
    pub undecided: Vec<Credit>,
    /// Any credit by id, for finance's decisions on credits of earlier days.
    pub credits: BTreeMap<String, Credit>,
    pub open: Vec<OpenFee>,
    pub paid: Vec<matching::PaidFee>,
    pub aliases: Vec<(String, String)>,
    /// Stored applications with no fee yet (they predate fees, or their fee failed).
    pub without_fee: Vec<Application>,
    /// (product, company) → valid certificates the company holds (volume pricing).
    pub company_cards: BTreeMap<(String, String), u32>,
    /// Applications whose fee was received, with the day.
    pub paid_on: BTreeMap<String, NaiveDate>,
}

/// Proof of what payments allow: an application of a before-issue product is cleared when
/// its fee was received; an invoiced one always (the invoice follows the issue). Only the
/// payments stage makes one.
#[derive(Debug, Clone)]
pub struct Clearance {
    paid: BTreeMap<String, NaiveDate>,
}

impl Clearance {
    pub fn clears(&self, app: &Application, product: &Product) -> bool {
        match product.payment.model {
            PaymentModel::Invoice => true,
            PaymentModel::BeforeIssue => self.paid.contains_key(&app.id),
        }
    }

    /// Adds what the ledger recorded as newly paid in this run.
    pub fn with_paid(mut self, newly: &[(String, NaiveDate)]) -> Clearance {
        for (id, on) in newly {
            self.paid.entry(id.clone()).or_insert(*on);
        }
        self
    }
}

/// Fees for applications that have none: today's new ones and any stored without one.
/// AOSign counts the company's valid cards plus the cards of this set.
fn new_fees(
    apps: &[&Application],
    prior: &PaymentsPrior,
    pipelines: &Pipelines,
    problems: &mut Vec<String>,
) -> Vec<(FeeWrite, OpenFee)> {
    let mut buying: BTreeMap<(String, String), u32> = BTreeMap::new();
    for a in apps {
        if let Some(c) = company_of(a) {
            *buying.entry((a.product.clone(), c)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for app in apps {
        let Some(product) = pipelines.product(&app.product) else { continue };
        let company = company_of(app);
        let cards = match &company {
            Some(c) => {
                let key = (app.product.clone(), c.clone());
                prior.company_cards.get(&key).copied().unwrap_or(0) + buying[&key]
            }
            None => 1,
        };
        match fees::fee_for(app, product, cards) {
            Ok(fee) => {
                let tolerance = i64::from(product.payment.tolerance_yen);
                let write = FeeWrite {
                    application_id: app.id.clone(),
                    product: app.product.clone(),
                    company: company.clone(),
                    fee,
                    tolerance,
                    model: match product.payment.model {
                        PaymentModel::BeforeIssue => "before_issue".into(),
                        PaymentModel::Invoice => "invoice".into(),
                    },
                };
                let open = OpenFee {
                    application_id: app.id.clone(),
                    envelope_id: app.envelope_id.clone(),
                    company,
                    names: payer_names(app),
                    due: fee.total,
                    received: 0,
                    tolerance,
                    received_on: app.received_on,
                };
                out.push((write, open));
            }
            Err(e) => problems.push(format!("{}: {}", app.id, e.0)),
        }
    }
    out
}

/// Names a payer may use for an application, as written on its form (kana).
pub fn payer_names(app: &Application) -> Vec<String> {
    [Some(app.name_kana.clone()), app.payer_name.clone(), app.org_kana.clone()].into_iter().flatten().collect()
}

/// Reads `transaction_id,application_ids[,note]` rows finance filled in.
fn manual_decisions(
    file: &StatementFile,
    credits: &dyn Fn(&str) -> Option<Credit>,
    problems: &mut Vec<String>,
) -> Vec<(MatchDecision, Credit)> {
    let text = match crate::textfile::decode(&file.bytes, &file.shown) {
        Ok(d) => d.text,
        Err(e) => {
            problems.push(e.to_string());
            return Vec::new();
        }
    };
    let records = crate::textfile::csv_records(&text, None);
    let mut out = Vec::new();
    for (row, why) in records.errors {
        problems.push(format!("{}, row {row}: {why}", file.shown));
    }
    for rec in records.records.iter().skip(1) {
        let line = rec.row;
        let id = rec.cells.first().map(|c| c.trim().to_string()).unwrap_or_default();
        let apps: Vec<String> = rec
            .cells
            .get(1)
            .map(String::as_str)
            .unwrap_or_default()
            .split([' ', ';', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if id.is_empty() || apps.is_empty() {
            continue;
        }
        let Some(credit) = credits(&id) else {
            problems.push(format!("{}, row {line}: no credit {id}", file.shown));
            continue;
        };
        out.push((
            MatchDecision {
                credit_id: id,
                status: MatchStatus::Matched,
                application_ids: apps,
                expected: credit.amount,
                difference: 0,
                reason: format!("decided by finance ({}, row {line})", file.shown),
            },
            credit,
        ));
    }
    out
}

/// What one payments stage works on: files from outside, the applications stored for the
/// first time this run, and what the ledger knew when the run began.
#[derive(Debug, Clone, Copy)]
pub struct PaymentsInput<'a> {
    pub pipelines: &'a Pipelines,
    pub profiles: &'a [BankProfile],
    /// `--bank NAME`: read every file with this profile.
    pub forced_bank: Option<&'a str>,
    pub statements: &'a [StatementFile],
    /// Finance's filled-in decisions CSV, if any.
    pub decisions: Option<&'a StatementFile>,
    /// Applications stored for the first time by this run (they get their fee now).
    pub new_applications: &'a [&'a Application],
    pub prior: &'a PaymentsPrior,
}

/// Reads the statements, prices new applications, and decides every open credit. Pure: the
/// ledger records the result ([`crate::ledger::Ledger::record_payments`]).
pub fn reconcile(input: PaymentsInput) -> (PaymentsWrite, PaymentsReport) {
    use sha2::Digest;
    let PaymentsInput { pipelines, profiles, forced_bank, statements, decisions, new_applications, prior } = input;
    let mut report = PaymentsReport::default();
    let mut pricing: Vec<&Application> = new_applications.to_vec();
    pricing.extend(prior.without_fee.iter().filter(|a| !new_applications.iter().any(|n| n.id == a.id)));
    let fees = new_fees(&pricing, prior, pipelines, &mut report.problems);
    let mut write = PaymentsWrite { fees: fees.iter().map(|(w, _)| w.clone()).collect(), ..Default::default() };

    let mut new_credits: BTreeMap<String, Credit> = BTreeMap::new();
    let mut seen_now: BTreeSet<String> = BTreeSet::new();
    for f in statements {
        let sha = crate::record::hex(&sha2::Sha256::digest(&f.bytes));
        let seen = prior.seen_statements.contains(&sha) || !seen_now.insert(sha.clone());
        match crate::bank::statement::read_statement(&f.bytes, &f.shown, profiles, forced_bank) {
            // Read again only to account for its records: a rerun lists them as the first
            // run did, and nothing is imported twice.
            Ok(st) if seen => {
                account_records(&f.shown, &st, &mut report.accounts);
                report.already_imported.push(f.shown.clone());
            }
            Ok(st) => {
                report.problems.extend(st.problems.iter().cloned());
                account_records(&f.shown, &st, &mut report.accounts);
                for c in &st.credits {
                    if !prior.known_credits.contains(&c.id) {
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
            Err(e) => {
                report.accounts.files.push((f.shown.clone(), "refused".into(), e.to_string()));
                report.refused.push(format!("{e}"));
            }
        }
    }

    // A person's decisions first; each teaches the payer's name.
    let mut decided: BTreeSet<String> = BTreeSet::new();
    if let Some(file) = decisions {
        let lookup = |id: &str| new_credits.get(id).or_else(|| prior.credits.get(id)).cloned();
        for (d, credit) in manual_decisions(file, &lookup, &mut report.problems) {
            let key = payer_name::payer_key(&credit.payer_raw).key;
            for app in &d.application_ids {
                write.aliases.push((key.clone(), app.clone()));
            }
            decided.insert(d.credit_id.clone());
            write.decisions.push((d, true));
        }
    }

    // Then everything undecided, oldest first, against what is still open.
    let mut credits: Vec<Credit> = prior.undecided.clone();
    credits.extend(new_credits.into_values());
    credits.retain(|c| !decided.contains(&c.id));
    credits.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let mut open = prior.open.clone();
    open.extend(fees.into_iter().map(|(_, o)| o));
    let mut aliases_list = prior.aliases.clone();
    aliases_list.extend(write.aliases.iter().cloned());
    let aliases = matching::Aliases::from_pairs(aliases_list);
    for d in matching::match_credits(&credits, &open, &prior.paid, &aliases) {
        write.decisions.push((d, false));
    }
    for (d, _) in &write.decisions {
        *report.by_status.entry(d.status.as_str().to_string()).or_default() += 1;
    }
    (write, report)
}

/// Each record of a read statement and what it became: a credit (new, or imported before),
/// a row that is no credit (a withdrawal, a fee, a cancelled or corrected transfer), a
/// problem (named in the report), or the file's structure (header, trailer).
fn account_records(file: &str, st: &crate::bank::statement::Statement, out: &mut StatementAccounts) {
    let mut credits: BTreeMap<String, Vec<&Credit>> = BTreeMap::new();
    for c in &st.credits {
        credits.entry(c.origin.clone()).or_default().push(c);
    }
    for (row, kind) in &st.records {
        let origin = st.origin_of(file, *row);
        let problem = st.problems.iter().find(|p| p.strip_prefix(origin.as_str()).is_some_and(|r| r.starts_with(':')));
        let mut push = |kind: &str, id: &str, outcome: &str, detail: String| {
            out.records.push((file.to_string(), *row, kind.to_string(), id.to_string(), outcome.to_string(), detail));
        };
        match (*kind, credits.get(&origin)) {
            ("data", Some(cs)) => {
                for c in cs {
                    push("credit", &c.id, "credit", format!("{} yen from {} (payments.csv)", c.amount, c.payer_raw));
                }
            }
            ("data", None) => match problem {
                Some(p) => push("statement_row", "", "not_imported", p.clone()),
                None => push(
                    "statement_row",
                    "",
                    "not_a_credit",
                    "a withdrawal, fee, or a transfer cancelled or corrected".into(),
                ),
            },
            (other, _) => push(other, "", "not_data", String::new()),
        }
    }
}

/// What payments clear before this run decides anything: the fees received so far.
pub fn clearance(prior: &PaymentsPrior) -> Clearance {
    Clearance { paid: prior.paid_on.clone() }
}
