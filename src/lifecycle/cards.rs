//! `certbatch cards personalise`: the card station (contract section 7).
//!
//! `run` queues each paid or invoiced application of a token product (AOSign's IC card,
//! CECSIGN's eToken) as a personalisation job. The station takes the blank tokens present
//! and personalises one pending job on each, in order:
//!
//! 1. claim: one transaction records the token (by its own serial), the label it will carry
//!    (a new card number, or the application id) and the certificate's reserved serial;
//! 2. the token is initialised with its own SO PIN (derived from the card-station key and
//!    its serial, stored nowhere) and a fresh user PIN, and the key pair is made on it;
//! 3. the certificate is signed for that key, written to the token beside it, read back;
//! 4. the PIN letter is written (the PIN's only copy);
//! 5. one transaction records the card personalised and the certificate issued.
//!
//! A failure of one token wipes it and leaves its job pending with the reason; the token is
//! spoiled (never taken again). A station stopped between 1 and 5 leaves a claimed token:
//! the next start wipes it (finishing it would need the PIN, which exists only in a letter
//! that may not have been written), voids its serial, deletes its files and puts the job
//! back. A claimed token that is not present is reported and its job waits, so a job never
//! has two live cards. The state folder is held for the whole session.

use crate::config::Config;
use crate::issue::ca_source::{self, SigningCa};
use crate::issue::key_file::SecretKey;
use crate::issue::secrets::Pin;
use crate::issue::{self, SignError};
use crate::ledger::cards::{CardJob, CardRow, Claim, ClaimAsk};
use crate::ledger::Ledger;
use crate::letters::writer::Prepared;
use crate::product::{CardLabel, Product};
use crate::record::Application;
use crate::token::{self, card, TokenRef};
use anyhow::{anyhow, Context, Result};
use chrono::NaiveDate;
use cryptoki::context::Pkcs11;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

/// The environment variable holding the stock's transport SO PIN.
pub const BLANK_SO_PIN_ENV: &str = "CERTBATCH_BLANK_SO_PIN";
/// A token is blank when its label starts with this (contract section 7).
pub const DEFAULT_BLANK_PREFIX: &str = "BLANK";
/// What a wiped token is relabelled with, so staff take it out of the stock.
const SPOILED_LABEL: &str = "SPOILED";

/// What the command was asked.
#[derive(Debug, Clone)]
pub struct StationOptions {
    pub pipelines_dir: PathBuf,
    pub state_dir: PathBuf,
    pub out_dir: PathBuf,
    pub as_of: NaiveDate,
    pub lock_wait: Duration,
    /// Overrides every product's `[cards] module`.
    pub module: Option<PathBuf>,
    pub blank_prefix: String,
    /// At most this many cards this session.
    pub limit: Option<usize>,
}

/// What a session did.
#[derive(Debug, Default)]
pub struct StationReport {
    /// `OUT/cards-<day>/`.
    pub out_dir: PathBuf,
    pub personalised: Vec<CardRow>,
    /// Jobs whose token failed this session: (application, why). The job is pending again.
    pub failed: Vec<(String, String)>,
    /// Jobs not made this session and no token used: (application, why).
    pub waiting: Vec<(String, String)>,
    /// Tokens a stopped session had claimed, wiped now: (application, token serial).
    pub recovered: Vec<(String, String)>,
    /// Claimed tokens left claimed (not present, or they cannot be wiped): (application,
    /// why). Each job waits for its token.
    pub stranded: Vec<(String, String)>,
    /// Jobs still waiting after the session.
    pub pending: usize,
    /// The blank label each card of this session had before (application → label).
    pub blank_labels: BTreeMap<String, String>,
    /// Why the session stopped before its jobs were done (the stock refuses the SO PIN).
    pub stopped: Option<String>,
    pub blanks_left: usize,
}

impl StationReport {
    /// What the command prints: never a PIN.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "certbatch cards personalise");
        for (id, token) in &self.recovered {
            let _ =
                writeln!(o, "  wiped          token {token} (claimed for {id} by a stopped session); {id} waits again");
        }
        for (id, why) in &self.stranded {
            let _ = writeln!(o, "  not wiped      {id}: {}; {id} waits for it", crate::text::for_display(why));
        }
        for r in &self.personalised {
            let blank = self.blank_labels.get(&r.application_id).map_or("a blank token", String::as_str);
            let _ = writeln!(
                o,
                "  personalised   {} on {blank}: now labelled {}, serial {}",
                r.application_id, r.token_label, r.serial
            );
        }
        for (id, why) in &self.waiting {
            let _ = writeln!(o, "  waits          {id}: {}", crate::text::for_display(why));
        }
        for (id, why) in &self.failed {
            let _ = writeln!(
                o,
                "  failed         {id}: {} ({id} waits for another token, next session)",
                crate::text::for_display(why)
            );
        }
        if let Some(why) = &self.stopped {
            let _ = writeln!(o, "  stopped        {}", crate::text::for_display(why));
        }
        let _ = writeln!(
            o,
            "  cards          {} personalised, {} failed, {} jobs pending, {} blank tokens left",
            self.personalised.len(),
            self.failed.len(),
            self.pending,
            self.blanks_left
        );
        let _ = writeln!(o, "  written        {}", self.out_dir.display());
        o
    }
}

/// The PIN of a card's security officer, derived from the card-station key and the
/// token's serial: stored nowhere, derived again to unblock or wipe the card.
pub fn derived_so_pin(key: &SecretKey, token_serial: &str) -> Zeroizing<String> {
    use hmac::{KeyInit, Mac};
    let mut pin = Zeroizing::new(String::with_capacity(16));
    let mut counter = 0u32;
    while pin.len() < 16 {
        let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key.expose_secret())
            .expect("HMAC takes a 32-byte key");
        mac.update(b"certbatch card SO PIN v1\0");
        mac.update(token_serial.as_bytes());
        mac.update(&counter.to_be_bytes());
        // Bytes below 250 map evenly onto the ten digits.
        for b in mac.finalize().into_bytes().iter().filter(|b| **b < 250) {
            if pin.len() < 16 {
                pin.push(char::from(b'0' + b % 10));
            }
        }
        counter += 1;
    }
    pin
}

/// The station's output folder for `day`, relative to `--out`.
pub fn day_folder(day: NaiveDate) -> String {
    format!("cards-{day}")
}

/// Everything one session holds.
struct Station<'a> {
    config: &'a Config,
    ca: SigningCa,
    card_key: SecretKey,
    transport: Zeroizing<String>,
    opts: &'a StationOptions,
    out_rel: String,
    out_day: PathBuf,
}

/// Why one job's card was not made.
enum CardError {
    /// The token refused to be initialised: nothing was written to it.
    Refused(anyhow::Error),
    /// This token or this job: wipe the token, the job waits.
    One(anyhow::Error),
    /// The run itself (ledger, disk): stop after wiping.
    Run(anyhow::Error),
}

impl From<SignError> for CardError {
    fn from(e: SignError) -> Self {
        match e {
            SignError::One(h) => CardError::One(anyhow!("{}: {}", h.code, h.detail)),
            SignError::Run(e) => CardError::Run(e),
        }
    }
}

impl<'a> Station<'a> {
    /// The card readers' module for a product (`--module` overrides), loaded once a process.
    fn module_for(&self, product: &Product) -> Result<(PathBuf, Pkcs11)> {
        let path = match (&self.opts.module, &product.cards) {
            (Some(m), _) => m.clone(),
            (None, Some(c)) => c.module.clone(),
            (None, None) => anyhow::bail!("{} is not a card product", product.id),
        };
        let m = token::module(&path)?;
        Ok((path, m))
    }

    /// Wipes a token with its own SO PIN or the transport one.
    fn wipe(&self, m: &Pkcs11, t: &TokenRef) -> Result<()> {
        let so = derived_so_pin(&self.card_key, &t.serial);
        let label: String = format!("{SPOILED_LABEL}-{}", t.serial).chars().take(32).collect();
        card::wipe(m, t.slot, &[so.as_str(), self.transport.as_str()], &label)
    }

    /// Every file of a claim's attempt (certificate, letters).
    fn remove_attempt(&self, claim: &Claim) -> Result<()> {
        let out_b = self.opts.out_dir.join(&claim.out_dir);
        crate::recovery::remove(&crate::recovery::attempt_files(&out_b, &claim.application_id))?;
        Ok(())
    }

    /// Steps 2 to 4 for one claimed token; the PIN letters written.
    fn make_card(
        &self,
        m: &Pkcs11,
        t: &TokenRef,
        job: &issue::Job,
        claim: &Claim,
        cards: &crate::product::Cards,
    ) -> Result<(issue::Signed, Vec<Prepared>), CardError> {
        let one = CardError::One;
        let so_pin = derived_so_pin(&self.card_key, &t.serial);
        let pin = Pin::digits(cards.pin_digits).map_err(CardError::Run)?;
        card::relabel(m, t.slot, &self.transport, &claim.label).map_err(CardError::Refused)?;
        card::set_pins(m, t.slot, &self.transport, &so_pin, pin.expose_secret()).map_err(one)?;
        crate::faults::point("card-after-init");
        let id = job.serial_bytes().to_vec();
        let spki = card::generate_key(m, t.slot, pin.expose_secret(), job.product.profile.key_bits, &id, &claim.label)
            .map_err(one)?;
        let user_pin = Zeroizing::new(pin.expose_secret().to_string());
        let signed = issue::certify_card(job, &self.ca, &self.out_day, spki, pin, claim.card_number.clone())?;
        card::store_certificate(m, t.slot, &user_pin, &id, &claim.label, &signed.cert_der).map_err(one)?;
        crate::faults::point("card-after-write");
        // What is recorded is what the card holds.
        let stored = card::stored_certificate(m, t.slot, &user_pin, &id).map_err(one)?;
        if stored.as_deref() != Some(signed.cert_der.as_slice()) {
            return Err(one(anyhow!("the certificate read back from the token differs from the one written")));
        }
        let letters = crate::letters::secret::write(&self.config.letters, &self.out_day, &signed, job.product)?;
        crate::faults::point("card-after-letter");
        Ok((signed, letters))
    }
}

/// Personalises pending jobs on the blank tokens present (see the module notes).
pub fn personalise(opts: &StationOptions) -> Result<StationReport> {
    let config = Config::load(&opts.pipelines_dir)?;
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let now = crate::run::issue_moment(opts.as_of);
    let ca = ca_source::open(&config.ca, &opts.state_dir, now, true)?;
    let card_key = ca_source::card_key(&config.ca, &opts.state_dir)?;
    let transport = Zeroizing::new(
        std::env::var(BLANK_SO_PIN_ENV)
            .map_err(|_| anyhow!("set {BLANK_SO_PIN_ENV} to the blank stock's transport SO PIN"))?,
    );
    crate::recovery::recover(&mut ledger, &opts.out_dir, &opts.state_dir)?;
    let out_rel = day_folder(opts.as_of);
    let out_day = opts.out_dir.join(&out_rel);
    let st = Station { config: &config, ca, card_key, transport, opts, out_rel, out_day };
    let mut report = StationReport { out_dir: st.out_day.clone(), ..Default::default() };

    // What a stopped session left: wipe each claimed token that is present.
    let claims = ledger.open_card_claims()?;
    for claim in claims {
        let product_id = ledger.card_job_product(&claim.application_id)?;
        let product = config.pipelines.product(&product_id).with_context(|| format!("unknown product {product_id}"))?;
        let (_, m) = st.module_for(product)?;
        let present = token::tokens(&m)?.into_iter().find(|t| t.serial == claim.token_serial);
        match present {
            Some(t) => {
                st.remove_attempt(&claim)?;
                match st.wipe(&m, &t) {
                    Ok(()) => {
                        ledger.card_spoiled(&claim, "the station stopped before recording the card; token wiped")?;
                        report.recovered.push((claim.application_id.clone(), claim.token_serial.clone()));
                    }
                    Err(e) => report.stranded.push((
                        claim.application_id.clone(),
                        format!("token {}, claimed by a stopped session, cannot be wiped: {e:#}", t.serial),
                    )),
                }
            }
            None => report.stranded.push((
                claim.application_id.clone(),
                format!(
                    "token {}, claimed by a stopped session, is not present: insert it so it can be wiped",
                    claim.token_serial
                ),
            )),
        }
    }

    // Blank tokens never claimed before, on the module of every card product.
    let mut blanks: BTreeMap<PathBuf, Vec<TokenRef>> = BTreeMap::new();
    for product in config.pipelines.products.values().filter(|p| p.cards.is_some()) {
        let (path, m) = st.module_for(product)?;
        if blanks.contains_key(&path) {
            continue;
        }
        let mut found = Vec::new();
        for t in token::tokens(&m)? {
            if t.label.starts_with(&opts.blank_prefix) && !ledger.token_known(&t.serial)? {
                found.push(t);
            }
        }
        // Taken in label order (BLANK-01 first), so staff know which card comes next.
        found.sort_by(|a, b| b.label.cmp(&a.label));
        blanks.insert(path, found);
    }
    let jobs = ledger.pending_card_jobs()?;
    // Holds do not change during a session: read once, not per card.
    let held: BTreeMap<String, crate::status::Hold> =
        ledger.holds()?.into_iter().map(|h| (h.application_id.clone(), h)).collect();
    let mut done_now: Vec<(issue::Signed, Vec<Prepared>)> = Vec::new();
    let limit = opts.limit.unwrap_or(usize::MAX);
    for job in jobs.iter().take(limit) {
        let product =
            config.pipelines.product(&job.product).with_context(|| format!("unknown product {}", job.product))?;
        let Some(cards) = &product.cards else { continue };
        let (path, m) = st.module_for(product)?;
        let stock = blanks.entry(path).or_default();
        let mut taken_label = stock.last().map(|t| t.label.clone());
        match personalise_job(&st, &mut ledger, &m, stock, job, product, cards, &held)? {
            JobOutcome::Done(signed, letters) => {
                report.blank_labels.insert(signed.application.id.clone(), taken_label.take().unwrap_or_default());
                done_now.push((*signed, letters))
            }
            JobOutcome::Stop(why) => {
                report.stopped = Some(why);
                break;
            }
            JobOutcome::Waits(why) => report.waiting.push((job.application_id.clone(), why)),
            JobOutcome::Failed(why) => report.failed.push((job.application_id.clone(), why)),
            JobOutcome::Stranded(why) => report.stranded.push((job.application_id.clone(), why)),
        }
    }
    report.blanks_left = blanks.values().map(Vec::len).sum();

    // The day's files, from the ledger: a rerun writes them again identically.
    let prepared: Vec<&Prepared> = done_now.iter().flat_map(|(_, l)| l).collect();
    if !prepared.is_empty() {
        let first = done_now.first().map(|(s, _)| s.serial.clone()).unwrap_or_default();
        let run = ledger.reserved_run(&first)?.unwrap_or(0);
        config.letters.print_files(&st.out_day, &format!("run{run}"), &prepared, &[])?;
    }
    write_day_files(&config, &ledger, &st.out_day, &st.out_rel)?;
    let rows = ledger.cards_of_day(&st.out_rel)?;
    let now_ids: BTreeSet<&str> = done_now.iter().map(|(s, _)| s.application.id.as_str()).collect();
    report.personalised = rows
        .iter()
        .filter(|r| r.status == "personalised" && now_ids.contains(r.application_id.as_str()))
        .cloned()
        .collect();
    report.pending = ledger.pending_card_jobs()?.len();
    crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
    Ok(report)
}

/// What became of one job.
enum JobOutcome {
    Done(Box<issue::Signed>, Vec<Prepared>),
    /// Not made, and no token used: it waits (no blank token, not accepted now, held).
    Waits(String),
    /// Its token failed and was wiped; the job waits for another.
    Failed(String),
    /// Its token failed and could not be wiped: left claimed, the job waits for it.
    Stranded(String),
    /// The blank stock refuses the transport SO PIN: the session stops, no token changed.
    Stop(String),
}

/// One job on the next token of `stock`; `Err` when the run itself failed.
#[allow(clippy::too_many_arguments)]
fn personalise_job(
    st: &Station,
    ledger: &mut Ledger,
    m: &Pkcs11,
    stock: &mut Vec<TokenRef>,
    job: &CardJob,
    product: &Product,
    cards: &crate::product::Cards,
    held: &BTreeMap<String, crate::status::Hold>,
) -> Result<JobOutcome> {
    let waits = |ledger: &mut Ledger, why: String| -> Result<JobOutcome> {
        ledger.card_job_failed(&job.application_id, &why)?;
        Ok(JobOutcome::Waits(why))
    };
    let ids = BTreeSet::from([job.application_id.clone()]);
    let Some(stored) = ledger.applications(&ids)?.remove(&job.application_id) else {
        anyhow::bail!("the ledger has a card job for {} but no such application", job.application_id);
    };
    // Queued while accepted; a correction since may have made it deficient, or staff may
    // have stopped it. It waits, and is made once it is accepted again.
    if stored.status != crate::record::Status::Accepted {
        return waits(
            ledger,
            format!("the application is {} now: no card is made unless it is accepted", stored.status),
        );
    }
    if let Some(hold) = held.get(&job.application_id) {
        return waits(ledger, format!("held for staff: {}: {}", hold.code, hold.detail));
    }
    let app: Application = stored.application;
    let now = crate::run::issue_moment(st.opts.as_of);
    let mut issue_job =
        match issue::prepare(issue::card_ticket(app, job), &st.config.pipelines, &st.ca, &st.opts.state_dir, now) {
            Ok(j) => j,
            Err(hold) => return waits(ledger, format!("{}: {}", hold.code, hold.detail)),
        };
    issue_job.assign_serial(&mut |s| ledger.serial_exists(s))?;
    let Some(t) = stock.pop() else { return waits(ledger, "no blank token was left".into()) };
    let t = &t;
    // Checked before the token is claimed: a wrong CERTBATCH_BLANK_SO_PIN, or a token of
    // another stock, stops the session with every token as it was. Trying the next token
    // would spend an SO PIN try on each (a card locks after a few).
    if let Err(e) = card::check_so_pin(m, t.slot, &st.transport) {
        let why = format!(
            "token {} (serial {}): {e:#}: check CERTBATCH_BLANK_SO_PIN, or take this token out of the stock; \
             no other token was tried and none was changed",
            t.label, t.serial
        );
        ledger.card_job_failed(&job.application_id, &why)?;
        return Ok(JobOutcome::Stop(why));
    }
    let numbered = match cards.label {
        CardLabel::CardNumber => Some((cards.card_number_prefix.as_str(), cards.card_number_digits)),
        CardLabel::ApplicationId => None,
    };
    let ask = ClaimAsk {
        application_id: &job.application_id,
        token_serial: &t.serial,
        out_dir: &st.out_rel,
        card_number: numbered,
    };
    let claim = ledger.claim_card(&ask, &issue_job.serial())?;
    crate::faults::point("card-after-claim");
    match st.make_card(m, t, &issue_job, &claim, cards) {
        Ok((signed, letters)) => {
            crate::fsio::sync_filesystem(&st.out_day)?;
            let mut record = signed.record();
            if let Some(rule) = product.payment.due {
                let day = signed.not_before.date_naive();
                record.invoice = Some((day, crate::payments::fees::invoice_due(rule, day)));
            }
            ledger.card_personalised(&claim, &record)?;
            crate::faults::point("card-after-record");
            Ok(JobOutcome::Done(Box::new(signed), letters))
        }
        Err(e) => {
            let (why, fatal, touched) = match e {
                CardError::Refused(e) => (format!("{e:#}; the token was left as it was"), None, false),
                CardError::One(e) => (format!("{e:#}; the token was wiped"), None, true),
                CardError::Run(e) => (format!("{e:#}; the token was wiped"), Some(e), true),
            };
            // The attempt's files go whatever happens: this card is never delivered.
            st.remove_attempt(&claim)?;
            let wiped = if touched { st.wipe(m, t) } else { Ok(()) };
            let outcome = match wiped {
                Ok(()) => {
                    ledger.card_spoiled(&claim, &why)?;
                    JobOutcome::Failed(why)
                }
                // Left claimed: the next start tries again, and the job waits for it, so it
                // never has two live cards.
                Err(w) => JobOutcome::Stranded(format!("{why}; then it could not be wiped: {w:#}")),
            };
            match fatal {
                Some(e) => Err(e),
                None => Ok(outcome),
            }
        }
    }
}

/// `cards.csv`, the mailroom's `manifest.csv` and the issue notices of the day's cards.
fn write_day_files(config: &Config, ledger: &Ledger, out_day: &Path, out_rel: &str) -> Result<()> {
    let rows = ledger.cards_of_day(out_rel)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["application_id", "serial", "card_number", "token_label", "status", "reason"])?;
    for r in &rows {
        w.write_record([
            crate::text::defuse(&r.application_id),
            r.serial.clone(),
            r.card_number.clone(),
            crate::text::defuse(&r.token_label),
            r.status.clone(),
            crate::text::defuse(&r.reason),
        ])?;
    }
    crate::fsio::write_output(&out_day.join("cards.csv"), &w.into_inner()?, false)?;

    let issued = ledger.issued_in_batch(out_rel)?;
    let ids: BTreeSet<String> = issued.iter().map(|r| r.application_id.clone()).collect();
    let apps: BTreeMap<String, Application> =
        ledger.applications(&ids)?.into_iter().map(|(id, s)| (id, s.application)).collect();
    let notices: Vec<crate::letters::notices::IssuedNotice> = issued
        .iter()
        .filter_map(|r| {
            let end: NaiveDate = r.not_after.get(..10)?.parse().ok()?;
            Some(crate::letters::notices::IssuedNotice {
                application: apps.get(&r.application_id)?.clone(),
                serial: r.serial.clone(),
                issued_on: r.not_before.get(..10)?.parse().ok()?,
                not_after: format!("{} 23:59:59", crate::jpdate::to_era_string(end)),
            })
        })
        .collect();
    let mut letters = crate::letters::notices::Notices::default();
    crate::letters::notices::receipt_letters(&config.pipelines, &config.letters, &notices, &mut letters)?;
    let invoices = ledger.invoices_of(&ids)?;
    crate::letters::invoices::invoice_letters(
        &config.pipelines,
        &config.letters,
        &config.invoicing,
        &crate::letters::invoices::with_certificates(&invoices, &issued, &apps),
        &mut letters,
    )?;
    letters.write(&config.letters, out_day)?;
    let printed: Vec<&Prepared> = letters.printed.iter().collect();
    if !printed.is_empty() || !letters.queued.is_empty() {
        config.letters.print_files(out_day, "notices", &printed, &letters.queued)?;
    }
    let personalised: Vec<&CardRow> = rows.iter().filter(|r| r.status == "personalised").collect();
    // The invoices printed (an invoice of nothing is not), for their place in an envelope.
    let invoiced: BTreeSet<String> =
        invoices.iter().filter(|i| i.total > 0).map(|i| i.application_id.clone()).collect();
    let items: Vec<crate::letters::mailroom::Parcel> = personalised
        .iter()
        .filter_map(|r| {
            Some(crate::letters::mailroom::Parcel {
                application: apps.get(&r.application_id)?,
                card_number: r.card_number.clone(),
                token_label: r.token_label.clone(),
                medium_file: String::new(),
            })
        })
        .collect();
    let manifest = crate::letters::mailroom::manifest(config, &items, &invoiced)?;
    crate::fsio::write_output(&out_day.join("manifest.csv"), &manifest, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cards_so_pin_is_sixteen_digits_fixed_by_the_key_and_the_serial() {
        let key = SecretKey::generate().unwrap();
        let a = derived_so_pin(&key, "e597a740a8fa559e");
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(a, derived_so_pin(&key, "e597a740a8fa559e"));
        assert_ne!(a, derived_so_pin(&key, "e597a740a8fa559f"));
        assert_ne!(a, derived_so_pin(&SecretKey::generate().unwrap(), "e597a740a8fa559e"));
    }
}
