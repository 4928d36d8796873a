//! A product's rules as data: what `pipelines/<product>.toml` holds.
//!
//! Every table is deserialised with `deny_unknown_fields`, so a misspelt key is an error
//! that names the file and key, and [`Product::validate`] checks the cross references
//! (documents named by a type exist, every fee group has a price for every term, …) once at
//! start, before a batch is touched. Nothing here is a default a CA should rely on: each
//! product states its own rules.

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Must equal the file name without `.toml`; the value of the `product` column.
    pub id: String,
    pub name: String,
    pub name_ja: String,
    /// Which seeds the rules come from, for the reader of the file.
    pub sources: Vec<String>,
    pub terms: Vec<Term>,
    pub documents: BTreeMap<String, DocumentRule>,
    pub cert_types: BTreeMap<String, CertType>,
    #[serde(default)]
    pub conditional: Vec<Conditional>,
    pub screening: Screening,
    pub fees: Vec<FeeTable>,
    pub payment: Payment,
    pub validity: Validity,
    pub delivery: Delivery,
    pub notices: Notices,
    /// What is refunded, when (contract section 6, "Refunds").
    #[serde(default)]
    pub refunds: Refunds,
    pub profile: CertProfile,
    /// Token products (contract section 7): the key is born on a card or eToken at the card
    /// station, never in software.
    #[serde(default)]
    pub cards: Option<Cards>,
}

/// How the card station personalises a token product's cards (`certbatch cards personalise`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cards {
    /// The PKCS#11 module of the station's card readers (the command's `--module` overrides).
    pub module: std::path::PathBuf,
    /// What a personalised token is labelled with: a new card number for every card
    /// (`card_number`), or the application id (`application_id`).
    pub label: CardLabel,
    /// `card_number`: the issuer's leading digits; a sequence and a Luhn check digit follow.
    #[serde(default)]
    pub card_number_prefix: String,
    /// `card_number`: how many digits a card number has in all.
    #[serde(default = "default_card_digits")]
    pub card_number_digits: usize,
    /// The user PIN printed in the applicant's letter: this many digits (a card's PIN pad).
    pub pin_digits: usize,
    /// How each card's own security-officer PIN is kept: `derived`, an HMAC of the card's
    /// serial under the card-station key kept with the CA's keys, so it is stored nowhere
    /// and can be derived again to unblock or wipe the card.
    pub so_pin: SoPinKeeping,
}

fn default_card_digits() -> usize {
    16
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardLabel {
    CardNumber,
    ApplicationId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoPinKeeping {
    Derived,
}

/// A product's refund rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refunds {
    /// An application that ends `refund_due` gets back what was received for it.
    #[serde(default = "yes")]
    pub before_issue: bool,
    /// What a revocation refunds.
    #[serde(default)]
    pub on_revocation: RefundOnRevocation,
    /// The cards of one request refund nothing when together they come to less.
    #[serde(default)]
    pub minimum_total_yen: u32,
    /// Who gets the 返金のお知らせ: the applicant, or the company that paid the invoice.
    #[serde(default = "applicant")]
    pub notice_to: NoticeTo,
}

impl Default for Refunds {
    fn default() -> Self {
        Refunds {
            before_issue: true,
            on_revocation: RefundOnRevocation::None,
            minimum_total_yen: 0,
            notice_to: NoticeTo::Applicant,
        }
    }
}

fn applicant() -> NoticeTo {
    NoticeTo::Applicant
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundOnRevocation {
    /// Nothing once issued (G-ID, seed 000; Web, seed 004).
    #[default]
    None,
    /// `floor(paid × remaining_days / total_days)` per card (AOSign, seed 003 §4.1).
    ProRata,
}

/// What the certificates of a product contain (domain-rules §4; RFC 5280).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertProfile {
    /// `signing`: a person's signing certificate, key made by the CA; `tls_server`: the
    /// customer's CSR key, names from `domains`.
    pub kind: CertKind,
    /// RSA modulus size of keys the CA makes (2048, 3072 or 4096).
    #[serde(default = "default_key_bits")]
    pub key_bits: usize,
    /// The smallest customer key accepted in a CSR.
    #[serde(default = "default_key_bits")]
    pub min_csr_rsa_bits: usize,
    /// The product's certificate policy OID (dotted).
    pub policy_oid: String,
    /// The CA/Browser Forum's reserved policy OID for the validation done (BR 7.1.6.1:
    /// `2.23.140.1.2.2` for organisation validated), placed before `policy_oid`.
    #[serde(default)]
    pub reserved_policy_oid: Option<String>,
    /// Put the applicant's email in subjectAltName.
    #[serde(default)]
    pub email_in_san: bool,
    /// Data the certificate certifies: `name_kanji`, `address`, `birth_date` of the person;
    /// `org_locality`, the prefecture and city of `org_address` (an OV subject's ST and L).
    #[serde(default)]
    pub certify: Vec<String>,
    /// `modern` (PBES2 AES-256, HMAC-SHA256) or `legacy` (3DES, SHA-1 MAC) for Windows
    /// Server 2016 and older and some macOS versions.
    #[serde(default)]
    pub pkcs12: Pkcs12Profile,
    /// PBKDF2 iterations protecting the key in the PKCS#12 (and its MAC).
    #[serde(default = "default_p12_iterations")]
    pub pkcs12_iterations: u32,
    /// Take the key from the key pool (`certbatch keys fill`) when it has one: only for a
    /// key the CA makes in software and delivers as PKCS#12 (`download`, `media`), never
    /// for a key born on a card or token, nor a customer's CSR.
    #[serde(default)]
    pub key_pool: bool,
}

fn default_key_bits() -> usize {
    2048
}

fn default_p12_iterations() -> u32 {
    2048
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    Signing,
    TlsServer,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pkcs12Profile {
    #[default]
    Modern,
    Legacy,
}

/// One offered validity term, e.g. `2y` or `1y+30d`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub code: String,
    pub years: u32,
    #[serde(default)]
    pub extra_days: u32,
    /// Other spellings staff type (`2年`, `2`), read as this term.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A document type this product knows, with its freshness window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentRule {
    pub name_ja: String,
    /// Freshness window counted in calendar months from the issue date to the day the CA
    /// received it (3 for public documents; 12 for the form itself).
    pub window_months: u32,
    /// `applicant` documents belong to one application; `envelope` ones (company
    /// documents) serve every application of the same envelope.
    #[serde(default)]
    pub scope: DocumentScope,
    /// True for documents that may show a My Number and must be masked before storage.
    #[serde(default)]
    pub may_show_my_number: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentScope {
    #[default]
    Applicant,
    /// Sent once per envelope for its applicants (seeds 001, 003).
    Envelope,
    /// Sent once per company: serves every application with the same corporate number in
    /// any envelope of the batch (seed 002: 「複数サービスを申し込む場合でも提出は1枚」).
    Company,
}

/// A certificate type: its required documents and fields, and its fee group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertType {
    pub name_ja: String,
    pub requires: Vec<Requirement>,
    /// Columns that must be filled for this type beyond the contract's always-required ones.
    #[serde(default)]
    pub required_fields: Vec<String>,
    pub fee_group: String,
    /// Organisation data this type certifies: `org_name`, `corporate_number`, `delegation`.
    #[serde(default)]
    pub certify: Vec<String>,
}

/// A required document, or one of several acceptable alternatives.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Requirement {
    One(String),
    AnyOf {
        /// The name reported in `missing_document:<name>` when none is present.
        name: String,
        any_of: Vec<String>,
    },
}

impl Requirement {
    pub fn name(&self) -> &str {
        match self {
            Requirement::One(code) => code,
            Requirement::AnyOf { name, .. } => name,
        }
    }

    pub fn options(&self) -> &[String] {
        match self {
            Requirement::One(code) => std::slice::from_ref(code),
            Requirement::AnyOf { any_of, .. } => any_of,
        }
    }
}

/// Documents and fields required only when a column is filled (former name → family
/// register; proxy receiver → the proxy's seal certificate and address).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditional {
    pub when_field: String,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub required_fields: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// The application form's own window (seed 001 §4.2: 1 year).
    pub form_document: String,
    /// Fields whose characters go into the certificate and must be JIS X 0208 level 1/2.
    pub jis_fields: Vec<String>,
    /// Months after the first review notice after which a still-deficient application is
    /// refunded (seed 001 §4.4).
    pub documents_overdue_months: u32,
    /// Whether `name_romaji` must be the passport Hepburn of `name_kana`.
    #[serde(default = "yes")]
    pub check_romaji: bool,
}

fn yes() -> bool {
    true
}

/// Prices in force from a date. `prices[group][term]` is either a flat price or a volume
/// ladder indexed by the company's card count (the last step applies to "or more").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeTable {
    pub effective_from: String,
    pub tax: TaxMode,
    pub tax_rate_percent: u32,
    pub prices: BTreeMap<String, BTreeMap<String, Price>>,
    /// Extra items sold with the certificate (`card_reader`), tax as the table says.
    #[serde(default)]
    pub extras: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    Included,
    Excluded,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Price {
    Flat(u32),
    Volume(Vec<u32>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub model: PaymentModel,
    /// When an invoice falls due, for invoiced products.
    #[serde(default)]
    pub due: Option<DueRule>,
    /// A short credit within this many yen still counts as paid (the payer bears the
    /// transfer fee, seed 001, so the default is 0).
    #[serde(default)]
    pub tolerance_yen: u32,
    pub payee: String,
    /// What `daily` does once an invoice is past due and unpaid: put it on finance's overdue
    /// list and wait for a person (`wait`, the default), or also revoke (`revoke`, reason
    /// `non_payment`).
    #[serde(default)]
    pub on_overdue: OverdueAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverdueAction {
    #[default]
    Wait,
    Revoke,
}

/// Who a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeTo {
    Applicant,
    /// The organisation, at `org_address`, for the attention of its representative.
    Company,
}

fn default_revocation_to() -> Vec<NoticeTo> {
    vec![NoticeTo::Applicant]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentModel {
    BeforeIssue,
    Invoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueRule {
    DaysAfterIssue(u32),
    EndOfNextMonth,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// The certificate ends the day before the same date `years` years and `extra_months`
    /// months after issue, at 23:59:59 JST, plus the term's `extra_days`.
    pub extra_months: u32,
    /// Caps on the validity in days from a date on (CA/Browser Forum SC081 for TLS).
    #[serde(default)]
    pub max_days: Vec<MaxDays>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxDays {
    pub from: String,
    pub days: u32,
}

/// Who receives what, by which post. Keys are the items sent (`pin`, `download_password`,
/// `media`, `card`, `notice`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub method: DeliveryMethod,
    pub without_proxy: BTreeMap<String, Route>,
    pub with_proxy: BTreeMap<String, Route>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// PKCS#12 downloaded by the applicant.
    Download,
    /// PKCS#12 on a CD-R.
    Media,
    /// Key on an IC card.
    IcCard,
    /// Key on an eToken.
    Etoken,
    /// The customer sends a CSR; only the certificate goes back.
    Csr,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub to: Recipient,
    pub post: PostMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Applicant,
    Proxy,
    Company,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostMethod {
    /// 本人限定受取郵便: only the addressee can collect it.
    Restricted,
    /// 簡易書留.
    Registered,
    /// 普通郵便, for notices without a secret.
    Ordinary,
    Email,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    pub expiry_days_before: Vec<u32>,
    pub receipt_reminder_days: Option<u32>,
    pub receipt_revoke_days: Option<u32>,
    pub download_valid_days: Option<u32>,
    /// Who gets the 失効通知書 (default: the applicant).
    #[serde(default = "default_revocation_to")]
    pub revocation_notice_to: Vec<NoticeTo>,
}

impl Notices {
    pub fn receipt_rules(&self) -> crate::lifecycle::schedule::ReceiptRules {
        crate::lifecycle::schedule::ReceiptRules {
            reminder_days: self.receipt_reminder_days,
            revoke_days: self.receipt_revoke_days,
        }
    }
}

/// The columns of the applications sheet a product may name in its rules.
pub const APPLICATION_FIELDS: &[&str] = &[
    "name_kanji",
    "name_kana",
    "name_romaji",
    "former_name",
    "birth_date",
    "postal_code",
    "address",
    "email",
    "phone",
    "corporate_number",
    "org_name",
    "org_kana",
    "org_representative",
    "org_address",
    "delegation",
    "proxy_name",
    "proxy_postal_code",
    "proxy_address",
    "payer_name",
    "renewal_of",
    "card_readers",
    "domains",
    "csr_file",
];

const DELIVERY_ITEMS: &[&str] = &["pin", "download_password", "media", "card", "notice", "certificate", "invoice"];

/// One problem with a product file, naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub key: String,
    pub reason: String,
}

fn err(key: impl Into<String>, reason: impl Into<String>) -> RuleError {
    RuleError { key: key.into(), reason: reason.into() }
}

pub fn parse_iso(key: &str, s: &str) -> Result<NaiveDate, RuleError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| err(key, format!("expected a date YYYY-MM-DD, found {s:?}")))
}

impl Product {
    /// Checks the cross references a deserialiser cannot; every problem is returned.
    pub fn validate(&self) -> Vec<RuleError> {
        let mut errors = Vec::new();
        if self.terms.is_empty() {
            errors.push(err("terms", "at least one term is required"));
        }
        let mut spellings = std::collections::BTreeSet::new();
        for (i, t) in self.terms.iter().enumerate() {
            for s in std::iter::once(&t.code).chain(&t.aliases) {
                if !spellings.insert(s.clone()) {
                    errors.push(err(format!("terms[{i}]"), format!("{s:?} is spelt by two terms")));
                }
            }
        }
        if !self.documents.contains_key(&self.screening.form_document) {
            errors.push(err("screening.form_document", format!("unknown document {:?}", self.screening.form_document)));
        }
        for f in &self.screening.jis_fields {
            if !APPLICATION_FIELDS.contains(&f.as_str()) {
                errors.push(err("screening.jis_fields", format!("unknown column {f:?}")));
            }
        }
        if self.cert_types.is_empty() {
            errors.push(err("cert_types", "at least one certificate type is required"));
        }
        for (name, ct) in &self.cert_types {
            for (i, req) in ct.requires.iter().enumerate() {
                if req.options().is_empty() {
                    errors.push(err(format!("cert_types.{name}.requires[{i}]"), "any_of is empty"));
                }
                for doc in req.options() {
                    if !self.documents.contains_key(doc) {
                        errors
                            .push(err(format!("cert_types.{name}.requires[{i}]"), format!("unknown document {doc:?}")));
                    }
                }
            }
            for f in &ct.required_fields {
                if !APPLICATION_FIELDS.contains(&f.as_str()) {
                    errors.push(err(format!("cert_types.{name}.required_fields"), format!("unknown column {f:?}")));
                }
            }
        }
        for (i, c) in self.conditional.iter().enumerate() {
            if !APPLICATION_FIELDS.contains(&c.when_field.as_str()) {
                errors.push(err(format!("conditional[{i}].when_field"), format!("unknown column {:?}", c.when_field)));
            }
            for doc in &c.requires {
                if !self.documents.contains_key(doc) {
                    errors.push(err(format!("conditional[{i}].requires"), format!("unknown document {doc:?}")));
                }
            }
            for f in &c.required_fields {
                if !APPLICATION_FIELDS.contains(&f.as_str()) {
                    errors.push(err(format!("conditional[{i}].required_fields"), format!("unknown column {f:?}")));
                }
            }
        }
        self.validate_fees(&mut errors);
        if self.profile.key_pool && !matches!(self.delivery.method, DeliveryMethod::Download | DeliveryMethod::Media) {
            errors.push(err(
                "profile.key_pool",
                "only a product delivering a PKCS#12 (download or media) may take pooled keys: a card's or token's \
                 key is born on it, and a CSR's key is the customer's",
            ));
        }
        let token = matches!(self.delivery.method, DeliveryMethod::IcCard | DeliveryMethod::Etoken);
        if token != self.cards.is_some() {
            errors.push(err(
                "cards",
                "an ic_card or etoken product needs a [cards] section (its keys are born on the card at the \
                 card station), and no other product may have one",
            ));
        }
        if let Some(c) = &self.cards {
            let sequence = c.card_number_digits.saturating_sub(c.card_number_prefix.len() + 1);
            if c.label == CardLabel::CardNumber
                && (!c.card_number_prefix.bytes().all(|b| b.is_ascii_digit()) || !(6..=16).contains(&sequence))
            {
                errors.push(err(
                    "cards.card_number_prefix",
                    "a card number is digits: the prefix, then 6 to 16 digits of sequence and a check digit",
                ));
            }
            // PKCS#11 2.40 tokens take PINs of 4 to 16 characters on most cards.
            if !(6..=16).contains(&c.pin_digits) {
                errors.push(err("cards.pin_digits", "a card PIN has 6 to 16 digits"));
            }
        }
        if !matches!(self.profile.key_bits, 2048 | 3072 | 4096) {
            errors.push(err("profile.key_bits", "must be 2048, 3072 or 4096"));
        }
        let oids = [
            ("profile.policy_oid", Some(&self.profile.policy_oid)),
            ("profile.reserved_policy_oid", self.profile.reserved_policy_oid.as_ref()),
        ];
        for (field, oid) in oids {
            if let Some(oid) = oid.filter(|o| o.parse::<const_oid::ObjectIdentifier>().is_err()) {
                errors.push(err(field, format!("{oid:?} is not a dotted OID")));
            }
        }
        for f in &self.profile.certify {
            if !["name_kanji", "address", "birth_date", "org_locality"].contains(&f.as_str()) {
                errors.push(err("profile.certify", format!("unknown item {f:?}")));
            }
        }
        // The prefecture and city come from the organisation's address, which must be asked.
        let locality = self.profile.certify.iter().any(|f| f == "org_locality");
        if locality && self.cert_types.values().any(|t| !t.required_fields.iter().any(|f| f == "org_address")) {
            errors.push(err("profile.certify", "org_locality needs org_address among every type's required_fields"));
        }
        for (name, ct) in &self.cert_types {
            for f in &ct.certify {
                if !["org_name", "corporate_number", "delegation"].contains(&f.as_str()) {
                    errors.push(err(format!("cert_types.{name}.certify"), format!("unknown item {f:?}")));
                }
            }
        }
        if self.payment.model == PaymentModel::Invoice && self.payment.due.is_none() {
            errors.push(err("payment.due", "an invoiced product needs a due rule"));
        }
        for (i, m) in self.validity.max_days.iter().enumerate() {
            if let Err(e) = parse_iso(&format!("validity.max_days[{i}].from"), &m.from) {
                errors.push(e);
            }
        }
        for (table, routes) in [
            ("delivery.without_proxy", &self.delivery.without_proxy),
            ("delivery.with_proxy", &self.delivery.with_proxy),
        ] {
            for item in routes.keys() {
                if !DELIVERY_ITEMS.contains(&item.as_str()) {
                    errors.push(err(
                        format!("{table}.{item}"),
                        format!("unknown item; expected one of {DELIVERY_ITEMS:?}"),
                    ));
                }
            }
            if table == "delivery.without_proxy" {
                for r in routes.values() {
                    if r.to == Recipient::Proxy {
                        errors.push(err(table, "nothing can go to a proxy when there is none"));
                    }
                }
            }
        }
        // The PIN and the download password never travel together (seed 001 §4.5).
        for (table, routes) in [
            ("delivery.without_proxy", &self.delivery.without_proxy),
            ("delivery.with_proxy", &self.delivery.with_proxy),
        ] {
            if let (Some(p), Some(d)) = (routes.get("pin"), routes.get("download_password")) {
                if p.post == PostMethod::Email || d.post == PostMethod::Email {
                    errors.push(err(table, "a PIN or download password may not be sent by email"));
                }
            }
        }
        errors
    }

    fn validate_fees(&self, errors: &mut Vec<RuleError>) {
        if self.fees.is_empty() {
            errors.push(err("fees", "at least one fee table is required"));
        }
        let groups: std::collections::BTreeSet<&str> = self.cert_types.values().map(|c| c.fee_group.as_str()).collect();
        let mut last: Option<NaiveDate> = None;
        for (i, table) in self.fees.iter().enumerate() {
            let key = format!("fees[{i}]");
            match parse_iso(&format!("{key}.effective_from"), &table.effective_from) {
                Ok(d) => {
                    if last.is_some_and(|l| d <= l) {
                        errors.push(err(format!("{key}.effective_from"), "fee tables must be in date order"));
                    }
                    last = Some(d);
                }
                Err(e) => errors.push(e),
            }
            if table.tax_rate_percent > 100 {
                errors.push(err(format!("{key}.tax_rate_percent"), "must be 0..=100"));
            }
            for group in &groups {
                let Some(prices) = table.prices.get(*group) else {
                    errors.push(err(format!("{key}.prices"), format!("no prices for fee group {group:?}")));
                    continue;
                };
                for term in &self.terms {
                    match prices.get(&term.code) {
                        None => errors
                            .push(err(format!("{key}.prices.{group}"), format!("no price for term {:?}", term.code))),
                        Some(Price::Volume(v)) if v.is_empty() => {
                            errors.push(err(format!("{key}.prices.{group}.{}", term.code), "an empty volume ladder"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }

    /// Finds a term by its code or an alias after normalising what staff typed
    /// (`2年` → `2y`, full-width digits, `＋`, `日`).
    pub fn term(&self, raw: &str) -> Option<&Term> {
        let norm = normalise_term(raw);
        self.terms
            .iter()
            .find(|t| normalise_term(&t.code) == norm || t.aliases.iter().any(|a| normalise_term(a) == norm))
    }

    /// The fee table in force on `date` (the form's date), if any.
    pub fn fees_on(&self, date: NaiveDate) -> Option<&FeeTable> {
        self.fees.iter().rev().find(|t| parse_iso("", &t.effective_from).is_ok_and(|from| from <= date))
    }
}

/// `２年` → `2y`, `1年+30日` → `1y+30d`, `2` → `2y`, `3Y` → `3y`.
pub fn normalise_term(raw: &str) -> String {
    let mut s: String = crate::text::to_ascii(raw.trim())
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '年' => 'y',
            '日' => 'd',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
        s.push('y');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_spellings_normalise() {
        let cases =
            [("2年", "2y"), ("2", "2y"), ("３年", "3y"), ("1年＋30日", "1y+30d"), (" 5Y ", "5y"), ("1y+30d", "1y+30d")];
        for (raw, want) in cases {
            assert_eq!(normalise_term(raw), want, "{raw}");
        }
    }

    #[test]
    fn requirement_names_and_options() {
        let one = Requirement::One("seal_certificate".into());
        assert_eq!(one.name(), "seal_certificate");
        assert_eq!(one.options(), ["seal_certificate".to_string()]);
        let any = Requirement::AnyOf { name: "business_proof".into(), any_of: vec!["a".into(), "b".into()] };
        assert_eq!(any.name(), "business_proof");
        assert_eq!(any.options().len(), 2);
    }

    #[test]
    fn only_pkcs12_products_take_pooled_keys() {
        let p = crate::testkit::pipelines();
        let pooled: Vec<&str> =
            p.products.values().filter(|x| x.profile.key_pool).map(|x| x.id.as_str()).collect::<Vec<_>>();
        assert_eq!(pooled, ["gid-download", "gid-media"]);
        let mut card = p.product("aosign-g2").unwrap().clone();
        assert!(card.validate().is_empty());
        card.profile.key_pool = true;
        assert!(card.validate().iter().any(|e| e.key == "profile.key_pool"), "{:?}", card.validate());
    }
}
