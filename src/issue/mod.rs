//! Issuance: key pairs, certificates and PKCS#12 files, in parallel, exactly once.
//!
//! Takes [`Screened`] applications that payments cleared ([`eligible`] makes the only
//! [`IssueTicket`]s) and gives [`Signed`] certificates, whose secrets the letter stage
//! writes before anything is recorded. The steps, as the run drives them:
//!
//! 1. [`prepare`]: validity fixed and every name and extension checked without signing;
//!    a ticket that cannot be made waits on a [`Hold`] and costs no key;
//! 2. serials reserved, one transaction (the database allows one live certificate per
//!    application), each taking a pooled key where its product allows and the pool has one;
//! 3. [`sign`]: keys (pooled or made now), certificates, PKCS#12 and the certificate
//!    files, on all cores;
//! 4. on the same core, the letter stage writes each certificate's secret letters (a PIN
//!    exists only in its letter);
//! 5. one transaction marks them issued (no record without its files and letters).
//!
//! A kill between 2 and 5 leaves reservations the next run voids, deleting every file of the
//! attempt. A failure of one certificate (its letter, its file) voids that one and holds its
//! application; only a failure of the run itself (disk full, CA unusable) stops the run.

pub mod ca;
pub mod ca_source;
pub mod crl;
pub mod key_file;
pub mod key_pool;
pub mod pfx;
pub mod secrets;
pub mod validity;

use crate::jpdate::iso;
use crate::ledger::issuance::IssuedRecord;
use crate::payments::Clearance;
use crate::pipelines::Pipelines;
use crate::product::{CertKind, Product};
use crate::record::{hex, Application};
use crate::screen::Screened;
use crate::status::Hold;
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use secrets::{DownloadPassword, Pin};
use std::path::Path;

/// The secrets of one certificate, for its letters only.
pub struct Secrets {
    pub pin: Pin,
    pub download_password: Option<DownloadPassword>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named, so a new one cannot slip out unredacted.
        let Secrets { pin, download_password } = self;
        f.debug_struct("Secrets").field("pin", pin).field("download_password", download_password).finish()
    }
}

/// Proof that an application may be issued: screened `accepted`, and paid or invoiced.
/// Only [`eligible`] makes one.
#[derive(Debug, Clone)]
pub struct IssueTicket {
    screened: Screened,
    _private: (),
}

impl IssueTicket {
    pub fn application(&self) -> &Application {
        self.screened.application()
    }
}

/// Splits screened applications into those payments cleared for issue and those waiting
/// for their fee (seed 001 §6: G-ID is issued after payment; invoiced products at once).
pub fn eligible(pipelines: &Pipelines, ready: Vec<Screened>, clearance: &Clearance) -> (Vec<IssueTicket>, Vec<String>) {
    let mut tickets = Vec::new();
    let mut waiting = Vec::new();
    for screened in ready {
        let app = screened.application();
        let Some(product) = pipelines.product(&app.product) else { continue };
        if clearance.clears(app, product) {
            tickets.push(IssueTicket { screened, _private: () });
        } else {
            waiting.push(app.id.clone());
        }
    }
    (tickets, waiting)
}

/// The ticket of an application queued for its card: `run` made the job from a ticket of
/// [`eligible`], and the job record stands for it at the card station.
pub fn card_ticket(app: Application, job: &crate::ledger::cards::CardJob) -> IssueTicket {
    IssueTicket { screened: Screened::queued_for_card(app, job), _private: () }
}

/// A serial of 127 random bits: 16 bytes, top bit clear and next bit set, so it is
/// positive, always 16 bytes long, and far above the 64 bits CA/B Forum asks for.
pub fn random_serial() -> Result<Vec<u8>> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    Ok(bytes.to_vec())
}

/// What letters quote about a certificate, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub download_expires: Option<String>,
    /// The card number a card product's token carries (its PIN letter quotes it).
    pub card_number: Option<String>,
}

/// A ticket checked and ready to sign.
pub struct Job<'a> {
    ticket: IssueTicket,
    pub product: &'a Product,
    serial: Vec<u8>,
    csr_key: Option<spki::SubjectPublicKeyInfoOwned>,
    not_before: DateTime<FixedOffset>,
    not_after: DateTime<FixedOffset>,
    /// Whether the product's delivery has a download-password letter.
    pub wants_password: bool,
    /// The pooled key its reservation took, if any.
    pool_key: Option<crate::ledger::key_pool::PooledKey>,
}

impl Job<'_> {
    pub fn application(&self) -> &Application {
        self.ticket.application()
    }

    pub fn serial(&self) -> String {
        hex(&self.serial)
    }

    /// Whether the CA makes the key (and so a PIN); the TLS product certifies the
    /// customer's key and has no secret.
    pub fn has_secrets(&self) -> bool {
        self.csr_key.is_none()
    }

    /// The facts its letters will quote (the serial as reserved, or a placeholder of the
    /// same length before that).
    pub fn facts(&self) -> CertFacts {
        facts(&self.serial(), self.not_before, self.not_after, self.download_expires())
    }

    fn download_expires(&self) -> Option<DateTime<FixedOffset>> {
        match (self.wants_password, self.product.notices.download_valid_days) {
            (true, Some(days)) => Some(self.not_before + chrono::Duration::days(i64::from(days))),
            _ => None,
        }
    }

    /// What to ask the key pool for when its serial is reserved: only for a product that
    /// takes pooled keys, with a CA that has a pool key-encryption key.
    pub fn pool_ask(&self, ca: &ca_source::SigningCa) -> Option<crate::ledger::key_pool::PoolAsk> {
        let kek = ca.pool_kek.as_ref()?;
        (self.product.profile.key_pool && self.has_secrets()).then(|| crate::ledger::key_pool::PoolAsk {
            bits: u32::try_from(self.product.profile.key_bits).unwrap_or(u32::MAX),
            kek_id: kek.id(),
        })
    }

    /// The pooled key the reservation took for this job.
    pub fn take_pool_key(&mut self, key: Option<crate::ledger::key_pool::PooledKey>) {
        self.pool_key = key;
    }

    /// Whether the key is born on a card or token at the card station (never in software).
    pub fn on_token(&self) -> bool {
        self.product.cards.is_some()
    }

    /// The serial as bytes: the CKA_ID that ties a card's key to its certificate.
    pub fn serial_bytes(&self) -> &[u8] {
        &self.serial
    }

    /// Gives the job its serial; `taken` says whether a serial was ever used.
    pub fn assign_serial(&mut self, taken: &mut dyn FnMut(&str) -> Result<bool>) -> Result<()> {
        loop {
            let serial = random_serial()?;
            if !taken(&hex(&serial))? {
                self.serial = serial;
                return Ok(());
            }
        }
    }
}

fn facts(
    serial: &str,
    not_before: DateTime<FixedOffset>,
    not_after: DateTime<FixedOffset>,
    download_expires: Option<DateTime<FixedOffset>>,
) -> CertFacts {
    CertFacts {
        serial: serial.to_string(),
        not_before: crate::jpdate::to_era_string(not_before.date_naive()),
        not_after: format!("{} 23:59:59", crate::jpdate::to_era_string(not_after.date_naive())),
        download_expires: download_expires.map(|d| crate::jpdate::to_era_string(d.date_naive())),
        card_number: None,
    }
}

/// Checks a ticket: its validity from `now`, its certificate's names and extensions as the
/// CA would build them, and (TLS) the CSR's key from the archive. Nothing is signed and no
/// key is made; a ticket that fails waits on a hold, looked at again on the next run.
pub fn prepare<'a>(
    ticket: IssueTicket,
    pipelines: &'a Pipelines,
    ca: &ca_source::SigningCa,
    state: &Path,
    now: DateTime<FixedOffset>,
) -> Result<Job<'a>, Hold> {
    let app = ticket.application();
    let hold = |code: &str, detail: String| Hold::check(&app.id, code, detail);
    let product =
        pipelines.product(&app.product).ok_or_else(|| hold("certificate_unbuildable", "unknown product".into()))?;
    let term = product
        .term(&app.term)
        .ok_or_else(|| hold("certificate_unbuildable", format!("term {} is not offered", app.term)))?;
    let (not_before, not_after) = validity::validity(product, term, now);
    let csr_key = if product.profile.kind == CertKind::TlsServer {
        match csr_key(state, &ticket) {
            Ok(k) => Some(k),
            Err(e) => return Err(hold("csr_unavailable", format!("{e:#}"))),
        }
    } else {
        None
    };
    let wants_password = product.delivery.without_proxy.contains_key("download_password")
        || product.delivery.with_proxy.contains_key("download_password");
    let job =
        Job { ticket, product, serial: vec![0x40; 16], csr_key, not_before, not_after, wants_password, pool_key: None };
    let stand_in = job.csr_key.clone().unwrap_or_else(|| ca.ca.public_key());
    ca.ca
        .check(&end_entity(&job, ca, stand_in))
        .map_err(|e| Hold::check(&job.application().id, "certificate_unbuildable", format!("{e:#}")))?;
    Ok(job)
}

/// The accepted CSR's verified public key, read from the archive where screening put it.
fn csr_key(state: &Path, ticket: &IssueTicket) -> Result<spki::SubjectPublicKeyInfoOwned> {
    let csr = ticket.screened.csr().context("no usable CSR was accepted for this application")?;
    let bytes = std::fs::read(crate::archive::path_for(state, &csr.sha256, &csr.ext))
        .context("the archived CSR cannot be read")?;
    crate::csr::verified_public_key(&bytes).map_err(|e| anyhow::anyhow!("the archived CSR: {e}"))
}

fn certifies(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

/// The certificate's contents for this application, from the product's profile.
fn end_entity(job: &Job, ca: &ca_source::SigningCa, spki: spki::SubjectPublicKeyInfoOwned) -> ca::EndEntity {
    let app = job.application();
    let profile = &job.product.profile;
    let type_certifies = job.product.cert_types.get(&app.cert_type).map(|t| t.certify.clone()).unwrap_or_default();
    let tls = profile.kind == CertKind::TlsServer;
    ca::EndEntity {
        serial: job.serial.clone(),
        not_before: job.not_before,
        not_after: job.not_after,
        public_key: spki,
        kind: if tls { ca::CertKind::TlsServer } else { ca::CertKind::Signing },
        common_name: if tls {
            app.domains.first().cloned().unwrap_or_default()
        } else {
            app.name_romaji.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
        },
        organization: if tls || certifies(&type_certifies, "org_name") { app.org_name.clone() } else { None },
        organization_identifier: if certifies(&type_certifies, "corporate_number") {
            app.corporate_number.as_ref().map(|n| format!("NTRJP-{n}"))
        } else {
            None
        },
        email: (profile.email_in_san && !tls).then(|| app.email.clone()),
        dns_names: if tls { app.domains.clone() } else { Vec::new() },
        kanji_name: certifies(&profile.certify, "name_kanji").then(|| app.name_kanji.clone()),
        address: certifies(&profile.certify, "address").then(|| app.address.clone()),
        delegation: if certifies(&type_certifies, "delegation") { app.delegation.clone() } else { None },
        birth_date: certifies(&profile.certify, "birth_date").then_some(app.birth_date),
        locality: if certifies(&profile.certify, "org_locality") {
            app.org_address.as_deref().and_then(crate::jpaddress::locality)
        } else {
            None
        },
        policy_oids: profile.reserved_policy_oid.iter().chain([&profile.policy_oid]).cloned().collect(),
        crl_url: ca.crl_url.clone(),
        aia_url: ca.aia_url.clone(),
    }
}

/// A certificate made and its files written, with the secrets its letters need.
pub struct Signed {
    pub application: Application,
    pub product_id: String,
    pub serial: String,
    pub subject: String,
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    pub cert_der: Vec<u8>,
    /// Relative to the batch's output folder.
    pub cert_file: String,
    pub p12_file: Option<String>,
    pub download_password_hash: Option<String>,
    pub download_expires: Option<DateTime<FixedOffset>>,
    /// CPU time spent making its key here (zero for a pooled key or a CSR's).
    pub keygen: std::time::Duration,
    /// The card number of the token holding its key (card products).
    pub card_number: Option<String>,
    secrets: Option<Secrets>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("application", &self.application.id)
            .field("serial", &self.serial)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Signed {
    /// The PIN and password, for the letter stage: the only reader besides the PKCS#12.
    pub fn secrets(&self) -> Option<&Secrets> {
        self.secrets.as_ref()
    }

    pub fn facts(&self) -> CertFacts {
        CertFacts {
            card_number: self.card_number.clone(),
            ..facts(&self.serial, self.not_before, self.not_after, self.download_expires)
        }
    }

    /// What the ledger records: no secret, the download password only as its slow hash.
    pub fn record(&self) -> IssuedRecord {
        use sha2::Digest;
        IssuedRecord {
            serial: self.serial.clone(),
            subject: self.subject.clone(),
            not_before: iso(self.not_before),
            not_after: iso(self.not_after),
            cert_sha256: hex(&sha2::Sha256::digest(&self.cert_der)),
            cert_pem: pem(&self.cert_der),
            cert_file: self.cert_file.clone(),
            p12_file: self.p12_file.clone(),
            download_password_hash: self.download_password_hash.clone(),
            download_expires: self.download_expires.map(iso),
            invoice: None,
        }
    }

    /// The files this certificate wrote, relative to the batch's output folder.
    pub fn files(&self) -> Vec<String> {
        std::iter::once(self.cert_file.clone()).chain(self.p12_file.clone()).collect()
    }
}

/// Why one certificate could not be made: it concerns that application, or the run.
#[derive(Debug)]
pub enum SignError {
    /// This application only (its file could not be written, its key did not certify):
    /// it is voided and held; the others go on.
    One(Hold),
    /// The run itself (disk full, read-only file system): stop, recover on the next run.
    Run(anyhow::Error),
}

/// Whether an I/O failure is the machine's (every later write would fail too) rather than
/// one file's.
pub fn is_run_failure(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::*;
    e.chain().filter_map(|c| c.downcast_ref::<std::io::Error>()).any(|io| {
        matches!(io.kind(), StorageFull | ReadOnlyFilesystem | QuotaExceeded | OutOfMemory)
            || io.raw_os_error() == Some(28) // ENOSPC on systems that report it unmapped
    })
}

/// Keys, certificates and PKCS#12 files on all cores, each written (atomically; the
/// PKCS#12 0600) under `out_b` (the batch's output folder) as it is made, then handed to
/// `then` on the same core (the run writes its secret letters there), so writing overlaps
/// the other cores' key generation instead of following it one certificate at a time.
pub fn sign<T: Send>(
    jobs: &[Job],
    ca: &ca_source::SigningCa,
    out_b: &Path,
    then: impl Fn(&Job, Signed) -> Result<T, SignError> + Sync,
) -> Vec<Result<T, SignError>> {
    let bar = crate::progress::bar(jobs.len() as u64, "issue");
    let out = jobs
        .par_iter()
        .map(|job| {
            let r = make(job, ca, out_b).and_then(|s| then(job, s));
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    out
}

fn make(job: &Job, ca: &ca_source::SigningCa, out_b: &Path) -> Result<Signed, SignError> {
    let app = job.application();
    let one = |code: &str, e: anyhow::Error| one_failure(app, code, e);
    let profile = &job.product.profile;
    let mut keygen = std::time::Duration::ZERO;
    let (key, spki) = match &job.csr_key {
        Some(spki) => (None, spki.clone()),
        None => {
            let (key, made_in) = key_for(job, ca).map_err(|e| one("issue_failed", e))?;
            keygen = made_in;
            let spki = spki::SubjectPublicKeyInfoOwned::from_key(&key.to_public_key())
                .map_err(|e| one("issue_failed", anyhow::anyhow!("cannot encode the public key: {e}")))?;
            (Some(key), spki)
        }
    };
    let (cert_der, subject, cert_file) = certificate(job, ca, out_b, spki)?;
    let dir = format!("certs/{}", app.id);
    let (p12_file, secrets) = match key {
        None => (None, None),
        Some(key) => {
            let pin = Pin::generate().map_err(SignError::Run)?;
            let download_password =
                if job.wants_password { Some(DownloadPassword::generate().map_err(SignError::Run)?) } else { None };
            let friendly = format!("{} ({})", app.name_romaji.to_uppercase(), app.id);
            let pkcs12_profile = match profile.pkcs12 {
                crate::product::Pkcs12Profile::Modern => pfx::Pkcs12Profile::Modern,
                crate::product::Pkcs12Profile::Legacy => pfx::Pkcs12Profile::Legacy,
            };
            let p12 = pfx::build_pkcs12(
                &key,
                &cert_der,
                &ca.ca.chain_der,
                &friendly,
                pin.expose_secret(),
                pkcs12_profile,
                profile.pkcs12_iterations,
            )
            .map_err(|e| one("issue_failed", e))?;
            let p12_file = format!("{dir}/cert.p12");
            crate::fsio::write_output(&out_b.join(&p12_file), &p12, true).map_err(|e| one("output_unwritable", e))?;
            (Some(p12_file), Some(Secrets { pin, download_password }))
        }
    };
    let password = secrets.as_ref().and_then(|s| s.download_password.as_ref());
    let download_password_hash = password
        .map(|p| secrets::hash_download_password(p, ca.password_key.as_ref()))
        .transpose()
        .map_err(|e| one("issue_failed", e))?;
    Ok(Signed {
        p12_file,
        download_password_hash,
        download_expires: job.download_expires(),
        keygen,
        ..signed(job, cert_der, subject, cert_file, secrets)
    })
}

/// Why one certificate failed: its application's hold, or the run's failure.
fn one_failure(app: &Application, code: &str, e: anyhow::Error) -> SignError {
    if is_run_failure(&e) {
        SignError::Run(e)
    } else {
        SignError::One(Hold::sticky(&app.id, code, format!("{e:#}")))
    }
}

/// Signs the job's certificate for `spki` and writes `certs/<id>/cert.pem` under `out_b`:
/// its DER, subject and file.
fn certificate(
    job: &Job,
    ca: &ca_source::SigningCa,
    out_b: &Path,
    spki: spki::SubjectPublicKeyInfoOwned,
) -> Result<(Vec<u8>, String, String), SignError> {
    let app = job.application();
    let cert_der = ca.ca.issue(&end_entity(job, ca, spki)).map_err(|e| one_failure(app, "issue_failed", e))?;
    let subject = {
        use der::Decode;
        x509_cert::Certificate::from_der(&cert_der)
            .map_err(|e| one_failure(app, "issue_failed", e.into()))?
            .tbs_certificate()
            .subject()
            .clone()
    };
    let subject = ca::subject_text(&subject);
    let cert_file = format!("certs/{}/cert.pem", app.id);
    crate::fsio::write_output(&out_b.join(&cert_file), pem(&cert_der).as_bytes(), false)
        .map_err(|e| one_failure(app, "output_unwritable", e))?;
    Ok((cert_der, subject, cert_file))
}

/// The certificate of a key born on a card: signed for the card's public key, its file
/// written under `out_b`, with the card's PIN for its letter (no PKCS#12: the key never
/// leaves the card).
pub fn certify_card(
    job: &Job,
    ca: &ca_source::SigningCa,
    out_b: &Path,
    spki: spki::SubjectPublicKeyInfoOwned,
    pin: Pin,
    card_number: Option<String>,
) -> Result<Signed, SignError> {
    let (cert_der, subject, cert_file) = certificate(job, ca, out_b, spki)?;
    let secrets = Some(Secrets { pin, download_password: None });
    Ok(Signed { card_number, ..signed(job, cert_der, subject, cert_file, secrets) })
}

/// A signed certificate with no PKCS#12, password, key-generation time or card: what the
/// callers add to.
fn signed(job: &Job, cert_der: Vec<u8>, subject: String, cert_file: String, secrets: Option<Secrets>) -> Signed {
    Signed {
        application: job.application().clone(),
        product_id: job.product.id.clone(),
        serial: job.serial(),
        subject,
        not_before: job.not_before,
        not_after: job.not_after,
        cert_der,
        cert_file,
        p12_file: None,
        download_password_hash: None,
        download_expires: None,
        keygen: std::time::Duration::ZERO,
        card_number: None,
        secrets,
    }
}

/// The job's key: the pooled one its reservation took, or one made now. A pooled key that
/// does not open fails this certificate (its attempt is voided and the key destroyed),
/// never falls back to a fresh key under the pooled key's record.
/// With the time spent making it (zero for a pooled key).
fn key_for(job: &Job, ca: &ca_source::SigningCa) -> Result<(rsa::RsaPrivateKey, std::time::Duration)> {
    match (&job.pool_key, ca.pool_kek.as_ref()) {
        (Some(pooled), Some(kek)) => key_pool::unseal(kek, &pooled.key)
            .map(|k| (k, std::time::Duration::ZERO))
            .with_context(|| format!("pooled key {}", pooled.id)),
        (Some(pooled), None) => anyhow::bail!("pooled key {} was taken but the CA has no pool key", pooled.id),
        (None, _) => {
            let started = std::time::Instant::now();
            pfx::generate_key(job.product.profile.key_bits).map(|k| (k, started.elapsed()))
        }
    }
}

pub fn pem(der: &[u8]) -> String {
    use der::pem::{encode_string, LineEnding};
    encode_string("CERTIFICATE", LineEnding::LF, der).expect("PEM encoding of bytes cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{application, pipelines};

    #[test]
    fn serials_are_positive_sixteen_bytes_and_random() {
        let a = random_serial().unwrap();
        let b = random_serial().unwrap();
        assert_eq!(a.len(), 16);
        assert!(a[0] & 0x80 == 0 && a[0] & 0x40 != 0);
        assert_ne!(a, b);
    }

    #[test]
    fn before_issue_products_wait_for_payment() {
        let p = pipelines();
        let gid = application("G1");
        let mut ao = application("A1");
        ao.product = "aosign-g2".into();
        let paid = application("G2");
        let clearance = crate::payments::clearance(&Default::default())
            .with_paid(&[("G2".to_string(), crate::testkit::d(2026, 11, 20))]);
        let ready = [gid, ao, paid].into_iter().map(Screened::vouched).collect();
        let (tickets, waiting) = eligible(&p, ready, &clearance);
        let ids: Vec<&str> = tickets.iter().map(|t| t.application().id.as_str()).collect();
        assert_eq!(ids, ["A1", "G2"]);
        assert_eq!(waiting, ["G1"]);
    }
}
