//! Payment matching: which open fees each bank credit pays (batch contract §4 statuses).
//!
//! Rules, in order: (a) an application id written in the payer name, payer code or EDI;
//! (b) a payer-name alias a person confirmed; (c) payer name (or company) + amount;
//! (d) ties between different payers are `ambiguous`, never guessed; (e) a name that only
//! fits fees already paid is a `duplicate`; (f) anything else is `unmatched`.
//! Everything is looked up through hash indexes built once, so the cost grows with the
//! number of credits and fees, not with their product.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};

use super::model::{Credit, MatchDecision, MatchStatus, OpenFee};
use super::payer_name::{compact, normalise_reference, payer_key, reference_tokens};

/// A transfer may be dated up to this many days before its application arrived: applicants
/// often pay first and post the form afterwards (domain rules §3: G-ID is paid before issue),
/// and the post plus the scanning queue rarely take more than a month. Earlier than that, a
/// same-named credit more likely belongs to someone else.
pub const EARLY_CREDIT_DAYS: i64 = 30;

/// At most this many fees of one payer are searched for a subset that sums to a credit
/// (2^12 = 4,096 combinations): enough for a company's batch, bounded for a large one.
pub const MAX_SUBSET_FEES: usize = 12;

/// An application that is already paid in full, so that a further credit for it is
/// recognised as a `duplicate` rather than left `unmatched`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidFee {
    pub application_id: String,
    /// Names the payer may use (kana), as on [`OpenFee::names`].
    pub names: Vec<String>,
    pub company: Option<String>,
    /// Yen it was due, for the reason text.
    pub due: i64,
}

/// Payer names a person confirmed: payer key → application ids or company keys. Learned
/// from manual decisions, because the same payer keeps paying under a name the applications
/// never show (a parent company, an accountant, a spouse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    map: HashMap<String, Vec<String>>,
}

impl From<Vec<(String, String)>> for Aliases {
    /// Same as [`Aliases::from_pairs`], for `let aliases: Aliases = stored.into()`.
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self::from_pairs(pairs)
    }
}

impl Aliases {
    /// No aliases yet: every payer must be recognised by reference or name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads stored pairs (payer name or key, target). Payer names are normalised here, so
    /// raw bank spellings and stored keys both work.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut aliases = Self::new();
        for (payer, target) in pairs {
            aliases.learn(&payer, &target);
        }
        aliases
    }

    /// Records that credits from `payer` pay `target` (an application id or a company).
    pub fn learn(&mut self, payer: &str, target: &str) {
        let key = index_key(payer);
        let target = target.trim();
        if key.is_empty() || target.is_empty() {
            return;
        }
        let targets = self.map.entry(key).or_default();
        if !targets.iter().any(|t| t == target) {
            targets.push(target.to_string());
        }
    }

    /// Records a manual match of a credit to a fee: the company when the fee has one (so the
    /// payer's next payment for another of its applications matches too), else the
    /// application itself.
    pub fn learn_manual(&mut self, payer_raw: &str, fee: &OpenFee) {
        match fee.company.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(company) => self.learn(payer_raw, company),
            None => self.learn(payer_raw, &fee.application_id),
        }
    }

    /// The targets confirmed for a payer name (raw or key).
    pub fn targets(&self, payer: &str) -> &[String] {
        self.map.get(&index_key(payer)).map_or(&[], Vec::as_slice)
    }

    /// The pairs to store, sorted so that saved files diff cleanly.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> =
            self.map.iter().flat_map(|(k, ts)| ts.iter().map(move |t| (k.clone(), t.clone()))).collect();
        pairs.sort();
        pairs
    }

    /// How many (payer, target) pairs are known.
    pub fn len(&self) -> usize {
        self.map.values().map(Vec::len).sum()
    }

    /// Whether nothing has been learned yet.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The key names, companies and aliases are indexed under: the compact payer key, or for a
/// value that is only a number (a corporate number, a payer number) that number.
fn index_key(value: &str) -> String {
    let pk = payer_key(value);
    let key = compact(&pk.key);
    if key.is_empty() {
        pk.tokens.concat()
    } else {
        key
    }
}

/// A company's identity for grouping: its key with the legal form kept, so 有限会社ミドリ and
/// 株式会社ミドリ stay two payers while ミドリ(カ) and 株式会社ミドリ are one.
fn company_id(value: &str) -> String {
    let pk = payer_key(value);
    let key = compact(&pk.key);
    let key = if key.is_empty() { pk.tokens.concat() } else { key };
    match pk.legal_form {
        Some(form) if !key.is_empty() => format!("{form} {key}"),
        _ => key,
    }
}

/// Matches credits to open fees; one decision per credit, in the order given. Credits are
/// settled in date order and a fee a credit settled is closed for later credits.
pub fn match_credits(credits: &[Credit], open: &[OpenFee], paid: &[PaidFee], aliases: &Aliases) -> Vec<MatchDecision> {
    let mut matcher = Matcher::new(open, paid, aliases);
    let mut order: Vec<usize> = (0..credits.len()).collect();
    order.sort_by_key(|&i| (credits[i].date, i));
    let mut decisions: Vec<Option<MatchDecision>> = vec![None; credits.len()];
    for i in order {
        decisions[i] = Some(matcher.decide(&credits[i]));
    }
    decisions.into_iter().flatten().collect()
}

/// A fee as matching tracks it through the run.
struct Fee<'a> {
    src: &'a OpenFee,
    remaining: i64,
    open: bool,
    /// Payer identity: fees of one company, or else of one envelope, are one payer's, and a
    /// tie inside one payer is settled oldest first instead of being called ambiguous.
    payer: u32,
    /// [`company_id`] of the fee's company.
    company: Option<String>,
    /// The company's name key (legal form left out), matched against payer names.
    company_key: Option<String>,
    keys: Vec<String>,
    legal_forms: Vec<String>,
}

#[derive(Clone, Copy)]
enum Ref {
    /// Index into `Matcher::fees` (open, or settled earlier in this run).
    Fee(usize),
    /// Index into the `paid` slice.
    Paid(usize),
}

/// What one rule decided, before it is applied to the fees and turned into a decision.
struct Plan {
    status: MatchStatus,
    /// Fees it settles or pays towards (matched, overpaid, partial) or the candidates.
    fees: Vec<usize>,
    /// Already-paid applications (duplicate).
    paid_ids: Vec<String>,
    expected: i64,
    reason: String,
}

/// One way a credit could be explained: these fees, owing `expected` together.
#[derive(Clone)]
struct Fit {
    fees: Vec<usize>,
    expected: i64,
    what: String,
}

enum Choice {
    One(Fit),
    Tie(Vec<Fit>),
}

/// What the credit says about its payer, computed once per credit.
struct Payer {
    key: String,
    display: String,
    legal_form: Option<String>,
    date: NaiveDate,
    amount: i64,
}

struct Matcher<'a> {
    /// Sorted oldest first (received_on, application id): a lower index is an older fee.
    fees: Vec<Fee<'a>>,
    paid: &'a [PaidFee],
    aliases: &'a Aliases,
    by_key: HashMap<String, Vec<usize>>,
    by_company: HashMap<String, Vec<usize>>,
    by_envelope: HashMap<&'a str, Vec<usize>>,
    by_ref: HashMap<String, Ref>,
    paid_by_key: HashMap<String, Vec<Ref>>,
}

impl<'a> Matcher<'a> {
    fn new(open: &'a [OpenFee], paid: &'a [PaidFee], aliases: &'a Aliases) -> Self {
        let mut sorted: Vec<&OpenFee> = open.iter().collect();
        sorted.sort_by(|a, b| (a.received_on, &a.application_id).cmp(&(b.received_on, &b.application_id)));
        let mut m = Matcher {
            fees: Vec::with_capacity(sorted.len()),
            paid,
            aliases,
            by_key: HashMap::with_capacity(sorted.len() * 2),
            by_company: HashMap::new(),
            by_envelope: HashMap::with_capacity(sorted.len()),
            by_ref: HashMap::with_capacity(sorted.len() + paid.len()),
            paid_by_key: HashMap::with_capacity(paid.len() * 2),
        };
        for (p, fee) in paid.iter().enumerate() {
            m.by_ref.insert(normalise_reference(&fee.application_id), Ref::Paid(p));
            let keys = fee.names.iter().chain(fee.company.iter()).map(|n| index_key(n));
            for key in dedup_keys(keys) {
                m.paid_by_key.entry(key).or_default().push(Ref::Paid(p));
            }
        }
        let mut payers: HashMap<String, u32> = HashMap::new();
        for (i, src) in sorted.into_iter().enumerate() {
            let company = src.company.as_deref().map(company_id).filter(|c| !c.is_empty());
            let company_key = src.company.as_deref().map(index_key).filter(|c| !c.is_empty());
            let payer_name = match &company {
                Some(c) => format!("c:{c}"),
                None => format!("e:{}", src.envelope_id),
            };
            let next = payers.len() as u32;
            let payer = *payers.entry(payer_name).or_insert(next);
            let mut keys = Vec::new();
            let mut legal_forms = Vec::new();
            for name in src.names.iter().chain(src.company.iter()) {
                let pk = payer_key(name);
                let key = compact(&pk.key);
                if !key.is_empty() && !keys.contains(&key) {
                    keys.push(key);
                }
                if let Some(form) = pk.legal_form {
                    if !legal_forms.contains(&form) {
                        legal_forms.push(form);
                    }
                }
            }
            let remaining = src.due - src.received;
            let open = remaining > 0;
            m.by_ref.insert(normalise_reference(&src.application_id), Ref::Fee(i));
            m.by_envelope.entry(src.envelope_id.as_str()).or_default().push(i);
            if let Some(c) = &company {
                m.by_company.entry(c.clone()).or_default().push(i);
            }
            let index_keys: Vec<String> = keys.iter().cloned().chain(company_key.iter().cloned()).collect();
            for key in dedup_keys(index_keys.into_iter()) {
                if open {
                    m.by_key.entry(key).or_default().push(i);
                } else {
                    // Nothing left to pay: it can only be paid twice.
                    m.paid_by_key.entry(key).or_default().push(Ref::Fee(i));
                }
            }
            m.fees.push(Fee { src, remaining: remaining.max(0), open, payer, company, company_key, keys, legal_forms });
        }
        m
    }

    fn decide(&mut self, credit: &Credit) -> MatchDecision {
        let plan = self.plan(credit);
        let amount = credit.amount;
        match plan.status {
            MatchStatus::Matched | MatchStatus::Overpaid => {
                for &f in &plan.fees {
                    self.close(f);
                }
            }
            MatchStatus::Partial => {
                if let Some(&f) = plan.fees.first() {
                    self.fees[f].remaining -= amount;
                }
            }
            MatchStatus::Duplicate | MatchStatus::Ambiguous | MatchStatus::Unmatched => {}
        }
        let mut application_ids: Vec<String> =
            plan.fees.iter().map(|&f| self.fees[f].src.application_id.clone()).collect();
        application_ids.extend(plan.paid_ids);
        MatchDecision {
            credit_id: credit.id.clone(),
            status: plan.status,
            application_ids,
            expected: plan.expected,
            difference: amount - plan.expected,
            reason: plan.reason,
        }
    }

    /// Marks a fee paid in full: no longer a candidate, and a later credit for it is a
    /// duplicate.
    fn close(&mut self, f: usize) {
        let fee = &mut self.fees[f];
        fee.open = false;
        fee.remaining = 0;
        let keys: Vec<String> = fee.keys.iter().cloned().chain(fee.company_key.iter().cloned()).collect();
        for key in dedup_keys(keys.into_iter()) {
            self.paid_by_key.entry(key).or_default().push(Ref::Fee(f));
        }
    }

    fn plan(&self, credit: &Credit) -> Plan {
        if credit.amount <= 0 {
            return unmatched("the amount is not a positive number of yen".to_string());
        }
        let pk = payer_key(&credit.payer_raw);
        let payer = Payer {
            key: compact(&pk.key),
            display: pk.key.clone(),
            legal_form: pk.legal_form.clone(),
            date: credit.date,
            amount: credit.amount,
        };
        let mut tokens = pk.tokens.clone();
        for field in credit.payer_code.iter().chain(credit.edi.iter()) {
            for t in reference_tokens(field) {
                if !tokens.contains(&t) {
                    tokens.push(t);
                }
            }
        }

        // (a) an application id the payer wrote.
        if let Some(plan) = self.by_reference(&tokens, &payer) {
            return plan;
        }

        // (b) a confirmed alias.
        let alias_key = if payer.key.is_empty() { tokens.concat() } else { payer.key.clone() };
        let mut paid_hits: Vec<Ref> = Vec::new();
        if !alias_key.is_empty() {
            let targets = self.aliases.targets_by_key(&alias_key);
            if !targets.is_empty() {
                let mut cands = Vec::new();
                for target in targets {
                    self.resolve_alias(target, &payer, &mut cands, &mut paid_hits);
                }
                cands.sort_unstable();
                cands.dedup();
                if !cands.is_empty() {
                    let basis =
                        format!("payer '{}' is a confirmed alias of {}, covering", payer.display, targets.join(", "));
                    return self.fit(&cands, &payer, &basis);
                }
            }
        }

        // (c) name + amount.
        let mut late: Vec<usize> = Vec::new();
        if !payer.key.is_empty() {
            let mut cands = Vec::new();
            for &f in self.by_key.get(&payer.key).map_or(&[][..], Vec::as_slice) {
                if !self.fees[f].open {
                    continue;
                }
                if self.in_window(f, payer.date) {
                    cands.push(f);
                } else {
                    late.push(f);
                }
            }
            cands.sort_unstable();
            cands.dedup();
            if !cands.is_empty() {
                let basis = format!("payer name '{}' matches", payer.display);
                return self.fit(&cands, &payer, &basis);
            }
            paid_hits.extend(self.paid_by_key.get(&payer.key).map_or(&[][..], Vec::as_slice).iter().copied());
        }

        // (e) only fees already paid.
        if late.is_empty() && !paid_hits.is_empty() {
            return self.duplicate(&paid_hits, &payer, &format!("payer name '{}'", payer.display));
        }

        // (f) nothing.
        if !late.is_empty() {
            let ids = self.ids(&late);
            return unmatched(format!(
                "payer name '{}' matches {ids}, but the transfer is dated more than {EARLY_CREDIT_DAYS} days \
                     before that application arrived; check it by hand",
                payer.display
            ));
        }
        let why = if payer.key.is_empty() {
            "the payer name is empty once reference numbers are taken out, and no reference names an application"
                .to_string()
        } else {
            format!(
                "no open or paid application has the payer name '{}' and no reference or alias applies",
                payer.display
            )
        };
        unmatched(why)
    }

    /// Rule (a): application ids among the reference tokens.
    fn by_reference(&self, tokens: &[String], payer: &Payer) -> Option<Plan> {
        let mut hits = Vec::new();
        let mut paid = Vec::new();
        for t in tokens {
            match self.by_ref.get(t) {
                Some(Ref::Fee(f)) if self.fees[*f].open => hits.push(*f),
                Some(r) => paid.push(*r),
                None => {}
            }
        }
        hits.sort_unstable();
        hits.dedup();
        if hits.is_empty() {
            return if paid.is_empty() {
                None
            } else {
                Some(self.duplicate(&paid, payer, "the reference in the transfer"))
            };
        }
        let ids = self.ids(&hits);
        let mut basis = format!("the transfer quotes {ids}");
        if !payer.key.is_empty() && !hits.iter().any(|&f| self.fees[f].keys.contains(&payer.key)) {
            basis.push_str(&format!(" (payer name '{}' is not a name on the application)", payer.display));
        }
        let owed = self.owed(&hits);
        let amount = payer.amount;
        if owed == amount {
            return Some(settled(hits, owed, format!("{basis}; the amount equals the {} still due", yen(owed))));
        }
        // The payer quoted one application of an envelope but paid for all of it.
        let mut envelope: Vec<usize> =
            hits.iter().flat_map(|&f| self.envelope_open(f, None)).collect::<HashSet<_>>().into_iter().collect();
        envelope.sort_unstable();
        let envelope_owed = self.owed(&envelope);
        if envelope.len() > hits.len() && envelope_owed == amount {
            let reason = format!(
                "{basis}; the amount equals the {} the {} applications of its envelope still owe together",
                yen(envelope_owed),
                envelope.len()
            );
            return Some(settled(envelope, envelope_owed, reason));
        }
        let tolerance = hits.iter().map(|&f| self.fees[f].src.tolerance).max().unwrap_or(0);
        if owed > amount && owed - amount <= tolerance {
            let reason = format!(
                "{basis}; short by {}, within the {} tolerance (transfer fee deducted)",
                yen(owed - amount),
                yen(tolerance)
            );
            return Some(settled(hits, owed, reason));
        }
        if amount > owed {
            let reason = format!(
                "{basis}; paid {} against {} due: {} to refund or apply",
                yen(amount),
                yen(owed),
                yen(amount - owed)
            );
            return Some(Plan { status: MatchStatus::Overpaid, fees: hits, paid_ids: vec![], expected: owed, reason });
        }
        if hits.len() == 1 {
            let reason =
                format!("{basis}; paid {} of {} due, {} still owed", yen(amount), yen(owed), yen(owed - amount));
            return Some(Plan { status: MatchStatus::Partial, fees: hits, paid_ids: vec![], expected: owed, reason });
        }
        let reason = format!(
            "{basis}, but pays {} of the {} they owe together; which of them it pays is for a person to decide",
            yen(amount),
            yen(owed)
        );
        Some(Plan { status: MatchStatus::Ambiguous, fees: hits, paid_ids: vec![], expected: owed, reason })
    }

    /// An alias target: an application id, else a company.
    fn resolve_alias(&self, target: &str, payer: &Payer, cands: &mut Vec<usize>, paid: &mut Vec<Ref>) {
        let reference = normalise_reference(target);
        if !reference.is_empty() {
            match self.by_ref.get(&reference) {
                Some(Ref::Fee(f)) if self.fees[*f].open => {
                    cands.push(*f);
                    return;
                }
                Some(r) => {
                    paid.push(*r);
                    return;
                }
                None => {}
            }
        }
        let company = index_key(target);
        let members = self.by_company.get(&company_id(target)).or_else(|| self.by_key.get(&company));
        let mut any_open = false;
        for &f in members.map_or(&[][..], Vec::as_slice) {
            if self.fees[f].open && self.in_window(f, payer.date) {
                cands.push(f);
                any_open = true;
            }
        }
        if !any_open {
            paid.extend(self.paid_by_key.get(&company).map_or(&[][..], Vec::as_slice).iter().copied());
        }
    }

    /// Rules (c) and (d): which of the candidate fees (oldest first) the amount fits.
    fn fit(&self, cands: &[usize], payer: &Payer, basis: &str) -> Plan {
        let amount = payer.amount;
        // One fee owing exactly the amount.
        let exact: Vec<Fit> = cands
            .iter()
            .filter(|&&f| self.fees[f].remaining == amount)
            .map(|&f| Fit { fees: vec![f], expected: amount, what: String::new() })
            .collect();
        if let Some(plan) = self.settle_choice(exact, payer, basis, "the amount equals the fee still due") {
            return plan;
        }

        // One credit for several fees of one payer: the whole envelope, the whole company,
        // then the oldest subset that sums exactly.
        let payers = self.payer_groups(cands);
        let mut envelopes = Vec::new();
        let mut companies = Vec::new();
        let mut subsets = Vec::new();
        for group in &payers {
            let mut seen_envelopes: Vec<&str> = Vec::new();
            for &f in group {
                let env = self.fees[f].src.envelope_id.as_str();
                if seen_envelopes.contains(&env) {
                    continue;
                }
                seen_envelopes.push(env);
                let members = self.envelope_open(f, Some(payer.date));
                if members.len() >= 2 {
                    let expected = self.owed(&members);
                    envelopes.push(Fit { what: format!("the whole envelope {env}"), fees: members, expected });
                }
            }
            if let Some(company) = &self.fees[group[0]].company {
                let members = self.company_open(company, payer.date);
                if members.len() >= 2 {
                    let expected = self.owed(&members);
                    companies.push(Fit {
                        what: format!("all open fees of company {company}"),
                        fees: members,
                        expected,
                    });
                }
            }
            let pool = self.pool(group, payer.date);
            if pool.len() >= 2 {
                let items: Vec<(usize, i64)> =
                    pool.iter().take(MAX_SUBSET_FEES).map(|&f| (f, self.fees[f].remaining)).collect();
                if let Some(fees) = subset_sum(&items, amount) {
                    subsets.push(Fit {
                        what: "the oldest of one payer's fees that add up".to_string(),
                        fees,
                        expected: amount,
                    });
                }
            }
        }
        for (fits, how) in [(&envelopes, "envelope"), (&companies, "company")] {
            let exact: Vec<Fit> = fits.iter().filter(|fit| fit.expected == amount).cloned().collect();
            let note = format!("one transfer pays every open application of the {how} together");
            if let Some(plan) = self.settle_choice(exact, payer, basis, &note) {
                return plan;
            }
        }
        if let Some(plan) =
            self.settle_choice(subsets, payer, basis, "one transfer pays several applications whose fees add up to it")
        {
            return plan;
        }

        // Short by no more than the tolerance: the payer's bank deducted its fee.
        let short_single: Vec<Fit> = cands
            .iter()
            .filter(|&&f| {
                let fee = &self.fees[f];
                fee.remaining > amount && fee.remaining - amount <= fee.src.tolerance
            })
            .map(|&f| Fit { fees: vec![f], expected: self.fees[f].remaining, what: String::new() })
            .collect();
        if let Some(plan) = self.settle_choice(short_single, payer, basis, "short by no more than the tolerance") {
            return plan;
        }
        let short_whole: Vec<Fit> = envelopes
            .iter()
            .chain(companies.iter())
            .filter(|fit| {
                let tolerance = fit.fees.iter().map(|&f| self.fees[f].src.tolerance).max().unwrap_or(0);
                fit.expected > amount && fit.expected - amount <= tolerance
            })
            .cloned()
            .collect();
        if let Some(plan) =
            self.settle_choice(short_whole, payer, basis, "pays them together, short by no more than the tolerance")
        {
            return plan;
        }

        // Nothing fits exactly: partial or overpaid, but only when one payer is concerned.
        let mut groups = payers;
        if groups.len() > 1 {
            if let Some(form) = &payer.legal_form {
                let agreeing: Vec<Vec<usize>> = groups
                    .iter()
                    .filter(|g| g.iter().any(|&f| self.fees[f].legal_forms.contains(form)))
                    .cloned()
                    .collect();
                if agreeing.len() == 1 {
                    groups = agreeing;
                }
            }
        }
        if groups.len() > 1 {
            let reason = format!(
                "{basis} {} of different payers, and the {} fits none of them exactly; a person must choose",
                self.ids(cands),
                yen(amount)
            );
            return Plan {
                status: MatchStatus::Ambiguous,
                fees: cands.to_vec(),
                paid_ids: vec![],
                expected: 0,
                reason,
            };
        }
        let group = groups.into_iter().next().unwrap_or_default();
        let total = self.owed(&group);
        let early = self.early_note(&group, payer.date);
        if amount > total {
            let reason = format!(
                "{basis} {}{early}; paid {} against {} due: {} to refund or apply",
                self.ids(&group),
                yen(amount),
                yen(total),
                yen(amount - total)
            );
            return Plan { status: MatchStatus::Overpaid, fees: group, paid_ids: vec![], expected: total, reason };
        }
        if let Some(&f) = group.iter().find(|&&f| self.fees[f].remaining > amount) {
            let due = self.fees[f].remaining;
            let others = if group.len() > 1 { " (the oldest of this payer's fees that owes more)" } else { "" };
            let reason = format!(
                "{basis} {}{others}{}; paid {} of {} due, {} still owed",
                self.ids(&[f]),
                self.early_note(&[f], payer.date),
                yen(amount),
                yen(due),
                yen(due - amount)
            );
            return Plan { status: MatchStatus::Partial, fees: vec![f], paid_ids: vec![], expected: due, reason };
        }
        let reason = format!(
            "{basis} {}: the {} is more than any one of their fees but less than all {} together, and no set of \
             them adds up to it; a person must say which it pays",
            self.ids(&group),
            yen(amount),
            yen(total)
        );
        Plan { status: MatchStatus::Ambiguous, fees: group, paid_ids: vec![], expected: 0, reason }
    }

    /// Turns equally good fits into a `matched` plan when they are one payer's (the oldest
    /// first, as receivables services do) or when only one agrees on the legal form;
    /// otherwise `ambiguous`. `None` when there is no fit at this level.
    fn settle_choice(&self, fits: Vec<Fit>, payer: &Payer, basis: &str, how: &str) -> Option<Plan> {
        match self.choose(fits, payer)? {
            Choice::One(fit) => {
                let short = fit.expected - payer.amount;
                let amounts = if short > 0 {
                    format!("; {} against {} due, {} short", yen(payer.amount), yen(fit.expected), yen(short))
                } else {
                    format!(" ({})", yen(fit.expected))
                };
                let what = if fit.what.is_empty() { String::new() } else { format!(" ({})", fit.what) };
                let reason = format!(
                    "{basis} {}{what}; {how}{amounts}{}{}",
                    self.ids(&fit.fees),
                    self.early_note(&fit.fees, payer.date),
                    self.form_note(&fit.fees, payer)
                );
                Some(settled(fit.fees, fit.expected, reason))
            }
            Choice::Tie(fits) => {
                let expected = if fits.iter().all(|f| f.expected == fits[0].expected) { fits[0].expected } else { 0 };
                let mut fees: Vec<usize> = fits.iter().flat_map(|f| f.fees.iter().copied()).collect();
                fees.sort_unstable();
                fees.dedup();
                let reason = format!(
                    "{basis} {} of different payers that fit equally well ({how}); a person must choose",
                    self.ids(&fees)
                );
                Some(Plan { status: MatchStatus::Ambiguous, fees, paid_ids: vec![], expected, reason })
            }
        }
    }

    fn choose(&self, fits: Vec<Fit>, payer: &Payer) -> Option<Choice> {
        let first = fits.first()?;
        let payer_of = |fit: &Fit| self.fees[fit.fees[0]].payer;
        let one_payer = |fits: &[Fit]| fits.iter().all(|f| payer_of(f) == payer_of(&fits[0]));
        if one_payer(&fits) {
            return Some(Choice::One(first.clone()));
        }
        if let Some(form) = &payer.legal_form {
            let agreeing: Vec<Fit> = fits
                .iter()
                .filter(|fit| fit.fees.iter().any(|&f| self.fees[f].legal_forms.contains(form)))
                .cloned()
                .collect();
            if !agreeing.is_empty() && one_payer(&agreeing) {
                return Some(Choice::One(agreeing[0].clone()));
            }
        }
        Some(Choice::Tie(fits))
    }

    fn duplicate(&self, hits: &[Ref], payer: &Payer, via: &str) -> Plan {
        let mut ids: Vec<String> = Vec::new();
        let mut dues: Vec<i64> = Vec::new();
        for r in hits {
            let (id, due) = match *r {
                Ref::Fee(f) => (&self.fees[f].src.application_id, self.fees[f].src.due),
                Ref::Paid(p) => (&self.paid[p].application_id, self.paid[p].due),
            };
            if !ids.contains(id) {
                ids.push(id.clone());
                dues.push(due);
            }
        }
        let same = if dues.contains(&payer.amount) {
            format!(", and {} is what one of them cost", yen(payer.amount))
        } else {
            String::new()
        };
        let reason = format!(
            "{via} points only to applications already paid in full ({}){same}: a second payment, to refund or apply",
            ids.join(", ")
        );
        Plan { status: MatchStatus::Duplicate, fees: vec![], paid_ids: ids, expected: 0, reason }
    }

    fn in_window(&self, f: usize, date: NaiveDate) -> bool {
        date + Duration::days(EARLY_CREDIT_DAYS) >= self.fees[f].src.received_on
    }

    /// Open fees of the envelope of fee `f` (within the date window when a date is given).
    fn envelope_open(&self, f: usize, date: Option<NaiveDate>) -> Vec<usize> {
        let env = self.fees[f].src.envelope_id.as_str();
        self.by_envelope
            .get(env)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|&g| self.fees[g].open && date.is_none_or(|d| self.in_window(g, d)))
            .collect()
    }

    fn company_open(&self, company: &str, date: NaiveDate) -> Vec<usize> {
        self.by_company
            .get(company)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|&g| self.fees[g].open && self.in_window(g, date))
            .collect()
    }

    /// Everything one payer owes that a combined transfer could cover: the candidates, their
    /// envelopes and their company, oldest first.
    fn pool(&self, group: &[usize], date: NaiveDate) -> Vec<usize> {
        let mut pool: Vec<usize> = group.to_vec();
        for &f in group {
            pool.extend(self.envelope_open(f, Some(date)));
        }
        if let Some(company) = &self.fees[group[0]].company {
            pool.extend(self.company_open(company, date));
        }
        pool.sort_unstable();
        pool.dedup();
        pool
    }

    /// Candidates split by payer, each oldest first, payers in order of their oldest fee.
    fn payer_groups(&self, cands: &[usize]) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &f in cands {
            match groups.iter_mut().find(|g| self.fees[g[0]].payer == self.fees[f].payer) {
                Some(g) => g.push(f),
                None => groups.push(vec![f]),
            }
        }
        groups
    }

    fn owed(&self, fees: &[usize]) -> i64 {
        fees.iter().map(|&f| self.fees[f].remaining).sum()
    }

    fn ids(&self, fees: &[usize]) -> String {
        let ids: Vec<&str> = fees.iter().map(|&f| self.fees[f].src.application_id.as_str()).collect();
        match ids.len() {
            0 => "no application".to_string(),
            1 => format!("application {}", ids[0]),
            _ => format!("applications {}", ids.join(", ")),
        }
    }

    /// Says so when the bank name's legal form differs from every one on the applications:
    /// a keying slip more often than another payer, so it does not block the match.
    fn form_note(&self, fees: &[usize], payer: &Payer) -> String {
        let Some(form) = &payer.legal_form else { return String::new() };
        let forms: Vec<&str> = fees.iter().flat_map(|&f| self.fees[f].legal_forms.iter().map(String::as_str)).collect();
        if forms.is_empty() || forms.contains(&form.as_str()) {
            return String::new();
        }
        format!("; note: the bank name says {form}, the application {}", forms[0])
    }

    /// Says so when the transfer precedes the application's arrival (allowed within
    /// [`EARLY_CREDIT_DAYS`]).
    fn early_note(&self, fees: &[usize], date: NaiveDate) -> String {
        let latest = fees.iter().map(|&f| self.fees[f].src.received_on).max();
        match latest {
            Some(arrived) if arrived > date => {
                let days = (arrived - date).num_days();
                let unit = if days == 1 { "day" } else { "days" };
                format!("; the transfer is dated {days} {unit} before the application arrived")
            }
            _ => String::new(),
        }
    }
}

impl Aliases {
    fn targets_by_key(&self, key: &str) -> &[String] {
        self.map.get(key).map_or(&[], Vec::as_slice)
    }
}

fn settled(fees: Vec<usize>, expected: i64, reason: String) -> Plan {
    Plan { status: MatchStatus::Matched, fees, paid_ids: vec![], expected, reason }
}

fn unmatched(reason: String) -> Plan {
    Plan { status: MatchStatus::Unmatched, fees: vec![], paid_ids: vec![], expected: 0, reason }
}

fn dedup_keys(keys: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keys {
        if !k.is_empty() && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The first subset (at least two fees, oldest fees preferred) whose amounts add up to
/// `target`; depth-first, taking each older fee before leaving it out.
fn subset_sum(items: &[(usize, i64)], target: i64) -> Option<Vec<usize>> {
    fn go(items: &[(usize, i64)], i: usize, left: i64, chosen: &mut Vec<usize>) -> bool {
        if left == 0 && chosen.len() >= 2 {
            return true;
        }
        if i == items.len() || left <= 0 {
            return false;
        }
        let (f, amount) = items[i];
        if amount <= left {
            chosen.push(f);
            if go(items, i + 1, left - amount, chosen) {
                return true;
            }
            chosen.pop();
        }
        go(items, i + 1, left, chosen)
    }
    let mut chosen = Vec::new();
    go(items, 0, target, &mut chosen).then_some(chosen)
}

/// `19,250 yen`.
fn yen(amount: i64) -> String {
    format!("{} yen", crate::text::yen(amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchStatus::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("a valid November day")
    }

    struct F {
        id: &'static str,
        envelope: &'static str,
        company: Option<&'static str>,
        names: &'static [&'static str],
        due: i64,
        tolerance: i64,
        arrived: u32,
    }

    fn fee(id: &'static str, names: &'static [&'static str], due: i64) -> F {
        F { id, envelope: id, company: None, names, due, tolerance: 0, arrived: 10 }
    }

    impl F {
        fn envelope(mut self, e: &'static str) -> Self {
            self.envelope = e;
            self
        }
        fn company(mut self, c: &'static str) -> Self {
            self.company = Some(c);
            self
        }
        fn tolerance(mut self, t: i64) -> Self {
            self.tolerance = t;
            self
        }
        fn arrived(mut self, d: u32) -> Self {
            self.arrived = d;
            self
        }
        fn build(&self) -> OpenFee {
            OpenFee {
                application_id: self.id.to_string(),
                envelope_id: self.envelope.to_string(),
                company: self.company.map(str::to_string),
                names: self.names.iter().map(|s| s.to_string()).collect(),
                due: self.due,
                received: 0,
                tolerance: self.tolerance,
                received_on: day(self.arrived),
            }
        }
    }

    struct C {
        raw: &'static str,
        amount: i64,
        date: NaiveDate,
        edi: Option<&'static str>,
    }

    fn credit(raw: &'static str, amount: i64, d: u32) -> C {
        C { raw, amount, date: day(d), edi: None }
    }

    fn build_credits(cs: &[C]) -> Vec<Credit> {
        cs.iter()
            .enumerate()
            .map(|(i, c)| Credit {
                id: format!("c{i}"),
                source_format: "zengin-01".to_string(),
                account: "1621000".to_string(),
                date: c.date,
                amount: c.amount,
                payer_raw: c.raw.to_string(),
                payer_code: None,
                edi: c.edi.map(str::to_string),
                origin: format!("test:{i}"),
            })
            .collect()
    }

    fn paid(id: &str, names: &[&str], due: i64) -> PaidFee {
        PaidFee {
            application_id: id.to_string(),
            names: names.iter().map(|s| s.to_string()).collect(),
            company: None,
            due,
        }
    }

    struct Case {
        name: &'static str,
        fees: Vec<F>,
        paid: Vec<PaidFee>,
        aliases: Vec<(&'static str, &'static str)>,
        credits: Vec<C>,
        /// Per credit, in input order: status, application ids, difference.
        want: Vec<(MatchStatus, &'static [&'static str], i64)>,
    }

    fn case(
        name: &'static str,
        fees: Vec<F>,
        credits: Vec<C>,
        want: Vec<(MatchStatus, &'static [&'static str], i64)>,
    ) -> Case {
        Case { name, fees, paid: vec![], aliases: vec![], credits, want }
    }

    const TARO: &[&str] = &["ヤマダ タロウ"];
    const SECOM: &[&str] = &["スズキ イチロウ", "カブシキガイシャセコム"];
    const MIRAI: &[&str] = &["ミライショウジ カブシキガイシャ"];

    fn run(case: &Case) {
        let open: Vec<OpenFee> = case.fees.iter().map(F::build).collect();
        let aliases = Aliases::from_pairs(case.aliases.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect());
        let credits = build_credits(&case.credits);
        let got = match_credits(&credits, &open, &case.paid, &aliases);
        assert_eq!(got.len(), case.want.len(), "{}: one decision per credit", case.name);
        for (i, (d, (status, ids, difference))) in got.iter().zip(&case.want).enumerate() {
            let detail = format!(
                "{} credit {i} ({}): {:?} {:?} — {}",
                case.name, case.credits[i].raw, d.status, d.application_ids, d.reason
            );
            assert_eq!(d.credit_id, format!("c{i}"), "{detail}: credit order kept");
            assert_eq!(d.status, *status, "{detail}: status");
            assert_eq!(d.application_ids, *ids, "{detail}: application ids");
            assert_eq!(d.difference, *difference, "{detail}: difference");
            assert_eq!(d.difference, credits[i].amount - d.expected, "{detail}: difference = amount - expected");
            assert!(!d.reason.is_empty(), "{detail}: a reason is given");
        }
    }

    #[test]
    fn match_table() {
        let cases = vec![
            case(
                "code prefix in the name picks one of two same-named applications",
                vec![fee("GD-20261119-001", TARO, 19_250), fee("GD-20261119-002", TARO, 19_250)],
                vec![credit("GD20261119001 ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 20)],
                vec![(Matched, &["GD-20261119-001"], 0)],
            ),
            case(
                "hyphenated code glued to the name",
                vec![fee("GD-20261119-001", TARO, 19_250), fee("GD-20261119-002", TARO, 19_250)],
                vec![credit("GD-20261119-002ﾔﾏﾀﾞ", 19_250, 20)],
                vec![(Matched, &["GD-20261119-002"], 0)],
            ),
            Case {
                name: "application id in the EDI field",
                fees: vec![fee("GD-20261119-001", TARO, 19_250), fee("GD-20261119-002", TARO, 19_250)],
                paid: vec![],
                aliases: vec![],
                credits: vec![C { edi: Some("gd-20261119-002"), ..credit("ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 20) }],
                want: vec![(Matched, &["GD-20261119-002"], 0)],
            },
            case(
                "code quoting one application of an envelope paying all of it",
                vec![
                    fee("GD-1001", TARO, 19_250).envelope("E1"),
                    fee("GD-1002", &["ヤマダ ハナコ"], 28_875).envelope("E1"),
                ],
                vec![credit("GD1001 ﾔﾏﾀﾞ", 48_125, 20)],
                vec![(Matched, &["GD-1001", "GD-1002"], 0)],
            ),
            case(
                "前株 ｶ)ｾｺﾑ",
                vec![fee("A1", SECOM, 19_250).company("セコム")],
                vec![credit("ｶ)ｾｺﾑ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "後株 ｾｺﾑ(ｶ",
                vec![fee("A1", SECOM, 19_250).company("セコム")],
                vec![credit("ｾｺﾑ(ｶ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "中株 ｾｺﾑ(ｶ)ﾎﾝｼﾔ",
                vec![fee("A1", SECOM, 19_250).company("セコム")],
                vec![credit("ｾｺﾑ(ｶ)ﾎﾝｼﾔ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "spelled-out legal form ｶﾌﾞｼｷｶﾞｲｼﾔｾｺﾑ against 株式会社セコム as company",
                vec![fee("A1", &["スズキ イチロウ"], 19_250).company("株式会社セコム")],
                vec![credit("ｶﾌﾞｼｷｶﾞｲｼﾔｾｺﾑ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "small kana: application キョウコ, bank ｷﾖｳｺ",
                vec![fee("A1", &["スズキ キョウコ"], 19_250)],
                vec![credit("ｽｽﾞｷ ｷﾖｳｺ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "hiragana reading and a bank name without the space",
                vec![fee("A1", &["やまだ　たろう"], 19_250)],
                vec![credit("ﾔﾏﾀﾞﾀﾛｳ", 19_250, 20)],
                vec![(Matched, &["A1"], 0)],
            ),
            case(
                "long vowels: ｻﾄ- keys as サト (= サトー), ｻﾄｳ as サトウ",
                vec![fee("A1", &["サトー ケン"], 19_250), fee("A2", &["サトウ ケン"], 28_875)],
                vec![credit("ｻﾄ- ｹﾝ", 19_250, 20), credit("ｻﾄｳ ｹﾝ", 28_875, 20), credit("ｻﾄ- ｹﾝ", 28_875, 21)],
                vec![(Matched, &["A1"], 0), (Matched, &["A2"], 0), (Duplicate, &["A1"], 28_875)],
            ),
            case(
                "one credit for three applications of one envelope",
                vec![
                    fee("B1", &["タナカ イチロウ", "ミライショウジ カブシキガイシャ"], 19_250)
                        .envelope("E9")
                        .arrived(9),
                    fee("B2", &["タナカ ジロウ", "ミライショウジ カブシキガイシャ"], 28_875).envelope("E9"),
                    fee("B3", &["タナカ サブロウ", "ミライショウジ カブシキガイシャ"], 26_400).envelope("E9"),
                ],
                vec![credit("ﾐﾗｲｼﾖｳｼﾞ(ｶ", 74_525, 20)],
                vec![(Matched, &["B1", "B2", "B3"], 0)],
            ),
            case(
                "one applicant's name paying the whole envelope",
                vec![
                    fee("B1", &["タナカ イチロウ"], 19_250).envelope("E9"),
                    fee("B2", &["タナカ ジロウ"], 28_875).envelope("E9"),
                ],
                vec![credit("ﾀﾅｶ ｲﾁﾛｳ", 48_125, 20)],
                vec![(Matched, &["B1", "B2"], 0)],
            ),
            case(
                "a subset of a company's fees, oldest first",
                vec![
                    fee("K1", MIRAI, 19_250).company("ミライ商事").arrived(1),
                    fee("K2", MIRAI, 28_875).company("ミライ商事").arrived(2),
                    fee("K3", MIRAI, 26_400).company("ミライ商事").arrived(3),
                    fee("K4", MIRAI, 19_250).company("ミライ商事").arrived(4),
                ],
                vec![credit("ｶ)ﾐﾗｲｼﾖｳｼﾞ", 45_650, 20)],
                vec![(Matched, &["K1", "K3"], 0)],
            ),
            case(
                "a company's identical fees: one credit settles the oldest",
                vec![
                    fee("K2", MIRAI, 19_250).company("ミライ商事").envelope("E2").arrived(5),
                    fee("K1", MIRAI, 19_250).company("ミライ商事").envelope("E1").arrived(3),
                ],
                vec![credit("ｶ)ﾐﾗｲｼﾖｳｼﾞ", 19_250, 20), credit("ｶ)ﾐﾗｲｼﾖｳｼﾞ", 19_250, 21)],
                vec![(Matched, &["K1"], 0), (Matched, &["K2"], 0)],
            ),
            case(
                "short by the bank fee, no tolerance: partial",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 18_810, 20)],
                vec![(Partial, &["A1"], -440)],
            ),
            case(
                "short by the bank fee within tolerance: matched",
                vec![fee("A1", TARO, 19_250).tolerance(880)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 18_810, 20)],
                vec![(Matched, &["A1"], -440)],
            ),
            case(
                "a partial payment, then the rest",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 10_000, 20), credit("ﾔﾏﾀﾞ ﾀﾛｳ", 9_250, 22)],
                vec![(Partial, &["A1"], -9_250), (Matched, &["A1"], 0)],
            ),
            case(
                "an overpayment",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 20_000, 20)],
                vec![(Overpaid, &["A1"], 750)],
            ),
            Case {
                name: "a second payment for an application paid before this run",
                fees: vec![],
                paid: vec![paid("GD-0009", &["タナカ ハナコ"], 19_250)],
                aliases: vec![],
                credits: vec![credit("ﾀﾅｶ ﾊﾅｺ", 19_250, 20)],
                want: vec![(Duplicate, &["GD-0009"], 19_250)],
            },
            case(
                "the same fee paid twice in one run, listed out of date order",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 25), credit("ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 20)],
                vec![(Duplicate, &["A1"], 19_250), (Matched, &["A1"], 0)],
            ),
            case(
                "a paid application's code quoted again",
                vec![fee("GD-1001", TARO, 19_250)],
                vec![credit("GD1001 ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 20), credit("GD1001 ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 21)],
                vec![(Matched, &["GD-1001"], 0), (Duplicate, &["GD-1001"], 19_250)],
            ),
            case(
                "two applicants with the same kana and amount",
                vec![fee("W1", &["ワタナベ ケンジ"], 19_250), fee("W2", &["ワタナベ ケンジ"], 19_250)],
                vec![credit("ﾜﾀﾅﾍﾞ ｹﾝｼﾞ", 19_250, 20)],
                vec![(Ambiguous, &["W1", "W2"], 0)],
            ),
            case(
                "two applicants with the same kana, a short credit",
                vec![fee("W1", &["ワタナベ ケンジ"], 19_250), fee("W2", &["ワタナベ ケンジ"], 28_875)],
                vec![credit("ﾜﾀﾅﾍﾞ ｹﾝｼﾞ", 10_000, 20)],
                vec![(Ambiguous, &["W1", "W2"], 10_000)],
            ),
            case(
                "same kana, different amounts: the amount decides",
                vec![fee("W1", &["ワタナベ ケンジ"], 19_250), fee("W2", &["ワタナベ ケンジ"], 28_875)],
                vec![credit("ﾜﾀﾅﾍﾞ ｹﾝｼﾞ", 28_875, 20)],
                vec![(Matched, &["W2"], 0)],
            ),
            case(
                "different legal forms: the agreeing one wins a tie, none blocks",
                vec![
                    fee("M1", &["ユウゲンガイシャミドリ"], 19_250).company("有限会社ミドリ"),
                    fee("M2", &["ミドリ(カ)"], 19_250).company("株式会社ミドリ"),
                    fee("M3", &["ユウゲンガイシャアオバ"], 19_250).company("有限会社アオバ"),
                ],
                vec![credit("ｶ)ﾐﾄﾞﾘ", 19_250, 20), credit("ｶ)ｱｵﾊﾞ", 19_250, 20)],
                vec![(Matched, &["M2"], 0), (Matched, &["M3"], 0)],
            ),
            case(
                "different legal forms, bank name without one: ambiguous",
                vec![
                    fee("M1", &["ユウゲンガイシャミドリ"], 19_250).company("有限会社ミドリ"),
                    fee("M2", &["ミドリ(カ)"], 19_250).company("株式会社ミドリ"),
                ],
                vec![credit("ﾐﾄﾞﾘ", 19_250, 20)],
                vec![(Ambiguous, &["M1", "M2"], 0)],
            ),
            case(
                "a credit a day before its application arrived",
                vec![fee("A1", TARO, 19_250).arrived(20)],
                vec![credit("ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 19)],
                vec![(Matched, &["A1"], 0)],
            ),
            Case {
                name: "a credit far more than 30 days before its application",
                fees: vec![fee("A1", TARO, 19_250).arrived(30)],
                paid: vec![],
                aliases: vec![],
                credits: vec![C {
                    date: NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"),
                    ..credit("ﾔﾏﾀﾞ ﾀﾛｳ", 19_250, 1)
                }],
                want: vec![(Unmatched, &[], 19_250)],
            },
            case(
                "an unknown payer",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("ｺﾊﾞﾔｼ ｼﾞﾛｳ", 19_250, 20)],
                vec![(Unmatched, &[], 19_250)],
            ),
            case(
                "an empty payer name",
                vec![fee("A1", TARO, 19_250)],
                vec![credit("", 19_250, 20)],
                vec![(Unmatched, &[], 19_250)],
            ),
            Case {
                name: "a stored alias to a company",
                fees: vec![fee("K1", MIRAI, 19_250).company("ミライ商事")],
                paid: vec![],
                aliases: vec![("ｶ)ﾔﾏﾄｹｲﾘ", "ミライ商事")],
                credits: vec![credit("ﾔﾏﾄｹｲﾘ(ｶ", 19_250, 20)],
                want: vec![(Matched, &["K1"], 0)],
            },
            Case {
                name: "a stored alias to an application id",
                fees: vec![fee("GD-1001", TARO, 19_250), fee("GD-1002", TARO, 19_250)],
                paid: vec![],
                aliases: vec![("ﾔﾏﾀﾞ ｼﾞﾛｳ", "GD-1002")],
                credits: vec![credit("ﾔﾏﾀﾞ ｼﾞﾛｳ", 19_250, 20)],
                want: vec![(Matched, &["GD-1002"], 0)],
            },
        ];
        for case in &cases {
            run(case);
        }
    }

    #[test]
    fn alias_learned_from_a_manual_decision() {
        let name = "alias learned from a manual decision";
        let batch1 = vec![fee("K1", MIRAI, 19_250).company("ミライ商事").build()];
        let accountant = "ﾔﾏﾄｹｲﾘ(ｶ";
        let credits = build_credits(&[credit(accountant, 19_250, 20)]);
        let mut aliases = Aliases::new();
        let first = match_credits(&credits, &batch1, &[], &aliases);
        assert_eq!(first[0].status, Unmatched, "{name}: unknown before a person decides");

        // Finance decides the credit pays K1; the matcher learns the payer → the company.
        aliases.learn_manual(&credits[0].payer_raw, &batch1[0]);
        assert_eq!(aliases.to_pairs(), vec![("ヤマトケイリ".to_string(), "ミライ商事".to_string())], "{name}: stored");
        let reloaded = Aliases::from_pairs(aliases.to_pairs());
        assert_eq!(reloaded, aliases, "{name}: pairs round-trip");

        // The next batch: another application of the same company, paid by the accountant.
        let batch2 = vec![fee("K2", MIRAI, 28_875).company("ミライ商事").build()];
        let paid_before = vec![PaidFee {
            application_id: "K1".to_string(),
            names: batch1[0].names.clone(),
            company: batch1[0].company.clone(),
            due: 19_250,
        }];
        let credits = build_credits(&[credit("ｶ)ﾔﾏﾄｹｲﾘ", 28_875, 27)]);
        let second = match_credits(&credits, &batch2, &paid_before, &reloaded);
        assert_eq!(second[0].status, Matched, "{name}: {}", second[0].reason);
        assert_eq!(second[0].application_ids, vec!["K2".to_string()], "{name}: the new application");
        assert!(second[0].reason.contains("alias"), "{name}: the reason says why: {}", second[0].reason);
    }

    #[test]
    fn reasons_read_plainly() {
        let open = vec![fee("A1", TARO, 19_250).tolerance(880).arrived(21).build()];
        let credits = build_credits(&[credit("ﾔﾏﾀﾞ ﾀﾛｳ", 18_810, 20)]);
        let d = &match_credits(&credits, &open, &[], &Aliases::new())[0];
        let cases = [
            ("names the payer key", "'ヤマダ タロウ'"),
            ("names the application", "application A1"),
            ("gives the shortfall", "440 yen short"),
            ("notes the early transfer", "1 day before the application arrived"),
        ];
        for (name, needle) in cases {
            assert!(d.reason.contains(needle), "{name}: {needle:?} in {:?}", d.reason);
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(yen(1_234_567), "1,234,567 yen", "thousands");
        assert_eq!(yen(-440), "-440 yen", "negative");
        assert_eq!(yen(0), "0 yen", "zero");
        let items = [(0, 19_250), (1, 28_875), (2, 26_400), (3, 19_250)];
        assert_eq!(subset_sum(&items, 45_650), Some(vec![0, 2]), "oldest subset");
        assert_eq!(subset_sum(&items, 19_250), None, "a single fee is not a subset");
        assert_eq!(subset_sum(&items, 38_500), Some(vec![0, 3]), "two equal fees");
        assert_eq!(subset_sum(&items, 1), None, "no subset");
    }
}
