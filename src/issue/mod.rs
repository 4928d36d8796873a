//! Issuance: key pairs, certificates and PKCS#12 files, in parallel, exactly once.
//!
//! Takes the accepted applications the ledger holds (paid, or of an invoiced product) and
//! gives certificates. The order is what makes "exactly once" hold through a `kill -9` at
//! any point:
//!
//! 1. reservations a killed run left are voided and their files removed (no file without
//!    its record);
//! 2. a random serial is reserved for each application in one transaction (the database
//!    allows one live certificate per application);
//! 3. keys, certificates and PKCS#12 files are made on all cores;
//! 4. files are written atomically (secret-bearing ones 0600);
//! 5. one transaction marks them issued (no record without its files).
//!
//! The PIN and download password exist only in memory, in [`Secrets`], handed to the
//! letter stage; the ledger keeps only a salted slow hash of the download password.

pub mod ca;
pub mod ca_source;
pub mod pfx;
pub mod secrets;
pub mod validity;

use crate::jpdate::iso;
use crate::ledger::issuance::{IssuedRecord, Reservation};
use crate::ledger::Ledger;
use crate::pipelines::Pipelines;
use crate::product::{CertKind, PaymentModel, Product};
use crate::record::{hex, Application};
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use rayon::prelude::*;
use secrets::{DownloadPassword, Pin};
use std::path::{Path, PathBuf};

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

/// One certificate issued in this run.
#[derive(Debug)]
pub struct Issued {
    pub application_id: String,
    pub serial: String,
    pub subject: String,
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    pub cert_file: PathBuf,
    pub p12_file: Option<PathBuf>,
    pub download_expires: Option<DateTime<FixedOffset>>,
    /// Absent for TLS certificates, whose key the customer holds.
    pub secrets: Option<Secrets>,
    /// The secret letters written for it.
    pub letters: Vec<crate::letters::writer::WrittenLetter>,
}

/// What the stage did.
#[derive(Debug, Default)]
pub struct IssueReport {
    pub issued: Vec<Issued>,
    /// Accepted applications of before-issue products whose fee has not arrived.
    pub awaiting_payment: Vec<String>,
    /// Applications that could not be issued this run, with the reason; they stay accepted.
    pub problems: Vec<(String, String)>,
    /// Reservations of a killed run that were voided.
    pub recovered: usize,
    pub demo_ca: bool,
}

/// Where and when this run issues.
#[derive(Debug, Clone)]
pub struct IssueContext<'a> {
    pub pipelines: &'a Pipelines,
    pub pipelines_dir: &'a Path,
    pub state_dir: &'a Path,
    /// `OUT/<batch>`.
    pub out_dir: &'a Path,
    pub batch: &'a str,
    /// The moment of issue (the run's day at the current time of day).
    pub now: DateTime<FixedOffset>,
    /// Who signs the letters (`pipelines/letters/mail.toml`'s `from_name`): one name on
    /// every letter and mail, not the CA certificate's distinguished name.
    pub sender: &'a str,
}

/// Proof that an application may be issued: screened `accepted`, and paid or invoiced.
/// Only [`eligible`] makes one.
#[derive(Debug, Clone)]
pub struct IssueTicket {
    app: Application,
    _private: (),
}

/// Splits accepted applications into those that may be issued now and those waiting for
/// their fee (seed 001 §6: G-ID is issued after payment; invoiced products at once).
pub fn eligible(
    pipelines: &Pipelines,
    accepted: Vec<(Application, Option<NaiveDate>)>,
) -> (Vec<IssueTicket>, Vec<String>) {
    let mut tickets = Vec::new();
    let mut waiting = Vec::new();
    for (app, paid_on) in accepted {
        let Some(product) = pipelines.product(&app.product) else { continue };
        match (product.payment.model, paid_on) {
            (PaymentModel::Invoice, _) | (PaymentModel::BeforeIssue, Some(_)) => {
                tickets.push(IssueTicket { app, _private: () })
            }
            (PaymentModel::BeforeIssue, None) => waiting.push(app.id),
        }
    }
    (tickets, waiting)
}

/// A serial of 127 random bits: 16 bytes, top bit clear and next bit set, so it is
/// positive, always 16 bytes long, and far above the 64 bits CA/B Forum asks for.
pub fn random_serial() -> Result<Vec<u8>> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    Ok(bytes.to_vec())
}

struct Job<'a> {
    ticket: IssueTicket,
    product: &'a Product,
    serial: Vec<u8>,
    csr_key: Option<spki::SubjectPublicKeyInfoOwned>,
}

struct Made {
    cert_der: Vec<u8>,
    p12: Option<Vec<u8>>,
    subject: String,
    not_before: DateTime<FixedOffset>,
    not_after: DateTime<FixedOffset>,
    secrets: Option<Secrets>,
}

fn certifies(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

/// The certificate's contents for this application, from the product's profile.
fn end_entity(
    job: &Job,
    ca: &ca_source::SigningCa,
    spki: spki::SubjectPublicKeyInfoOwned,
    not_before: DateTime<FixedOffset>,
    not_after: DateTime<FixedOffset>,
) -> ca::EndEntity {
    let app = &job.ticket.app;
    let profile = &job.product.profile;
    let type_certifies = job.product.cert_types.get(&app.cert_type).map(|t| t.certify.clone()).unwrap_or_default();
    let tls = profile.kind == CertKind::TlsServer;
    ca::EndEntity {
        serial: job.serial.clone(),
        not_before,
        not_after,
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
        policy_oid: profile.policy_oid.clone(),
        crl_url: ca.crl_url.clone(),
        aia_url: ca.aia_url.clone(),
    }
}

fn make(job: &Job, ca: &ca_source::SigningCa, now: DateTime<FixedOffset>) -> Result<Made> {
    let app = &job.ticket.app;
    let term = job.product.term(&app.term).with_context(|| format!("term {} is not offered", app.term))?;
    let (not_before, not_after) = validity::validity(job.product, term, now);
    let profile = &job.product.profile;
    let (key, spki) = match &job.csr_key {
        Some(spki) => (None, spki.clone()),
        None => {
            let key = pfx::generate_key(profile.key_bits)?;
            let spki = spki::SubjectPublicKeyInfoOwned::from_key(&key.to_public_key())
                .context("cannot encode the public key")?;
            (Some(key), spki)
        }
    };
    let cert_der = ca.ca.issue(&end_entity(job, ca, spki, not_before, not_after))?;
    let subject = {
        use der::Decode;
        x509_cert::Certificate::from_der(&cert_der)?.tbs_certificate().subject().to_string()
    };
    let (p12, secrets) = match key {
        None => (None, None),
        Some(key) => {
            let pin = Pin::generate()?;
            let wants_password = job.product.delivery.without_proxy.contains_key("download_password")
                || job.product.delivery.with_proxy.contains_key("download_password");
            let download_password = if wants_password { Some(DownloadPassword::generate()?) } else { None };
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
            )?;
            (Some(p12), Some(Secrets { pin, download_password }))
        }
    };
    Ok(Made { cert_der, p12, subject, not_before, not_after, secrets })
}

/// A certificate made and written, ready to be recorded.
struct Ready {
    made: Made,
    cert_pem: String,
    cert_file: PathBuf,
    p12_file: Option<PathBuf>,
    download_password_hash: Option<String>,
    download_expires: Option<DateTime<FixedOffset>>,
    letters: Vec<crate::letters::writer::Prepared>,
}

/// A write that failed: it stops the run (disk full, folder not writable), unlike a
/// problem with one application.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
struct WriteFailed(anyhow::Error);

/// Writes `cert.pem`, (0600) `cert.p12` and the secret letters, and hashes the download
/// password.
fn write_files(
    out_dir: &Path,
    app: &Application,
    product: &Product,
    serial: &str,
    letters: Option<&crate::letters::writer::LetterWriter>,
    made: Made,
) -> Result<Ready> {
    let id = &app.id;
    let dir = out_dir.join("certs").join(id);
    let cert_file = dir.join("cert.pem");
    let cert_pem = pem(&made.cert_der);
    crate::fsio::write_atomic(&cert_file, cert_pem.as_bytes(), false)
        .map_err(|e| anyhow::Error::new(WriteFailed(e)))?;
    let p12_file = match &made.p12 {
        Some(bytes) => {
            let f = dir.join("cert.p12");
            crate::fsio::write_atomic(&f, bytes, true).map_err(|e| anyhow::Error::new(WriteFailed(e)))?;
            Some(f)
        }
        None => None,
    };
    let password = made.secrets.as_ref().and_then(|s| s.download_password.as_ref());
    let download_expires = match (password, product.notices.download_valid_days) {
        (Some(_), Some(days)) => Some(made.not_before + chrono::Duration::days(i64::from(days))),
        _ => None,
    };
    let download_password_hash = password.map(secrets::hash_download_password).transpose()?;
    let prepared = match (letters, &made.secrets) {
        (Some(writer), Some(s)) => {
            let facts = crate::letters::writer::CertFacts {
                serial: serial.to_string(),
                not_before: crate::jpdate::to_era_string(made.not_before.date_naive()),
                not_after: format!("{} 23:59:59", crate::jpdate::to_era_string(made.not_after.date_naive())),
                download_expires: download_expires.map(|d| crate::jpdate::to_era_string(d.date_naive())),
            };
            writer
                .write(out_dir, app, product, &facts, &s.pin, s.download_password.as_ref())
                .map_err(|e| anyhow::Error::new(WriteFailed(e)))?
        }
        _ => Vec::new(),
    };
    Ok(Ready { made, cert_pem, cert_file, p12_file, download_password_hash, download_expires, letters: prepared })
}

fn pem(der: &[u8]) -> String {
    use der::pem::{encode_string, LineEnding};
    encode_string("CERTIFICATE", LineEnding::LF, der).expect("PEM encoding of bytes cannot fail")
}

/// Removes what a killed run may have left of a reservation: its certificate files, its
/// letters, and the print files and manifest of the run that reserved it.
fn remove_leftovers(r: &Reservation) -> Result<()> {
    let out = Path::new(&r.out_dir);
    let mut files: Vec<PathBuf> = Vec::new();
    let certs = out.join("certs").join(&r.application_id);
    if certs.is_dir() {
        for entry in std::fs::read_dir(&certs)? {
            files.push(entry?.path());
        }
    }
    for kind in crate::letters::routing::SECRET_LETTERS {
        files.push(out.join("letters").join(kind).join(format!("{}.pdf", r.application_id)));
        files.push(out.join("letters/queue").join(kind).join(format!("{}.pdf", r.application_id)));
    }
    // The run's print files, in one part or several.
    let letters = out.join("letters");
    if letters.is_dir() {
        let whole = format!("-run{}.pdf", r.reserved_run);
        let part = format!("-run{}-part", r.reserved_run);
        for entry in std::fs::read_dir(&letters)? {
            let path = entry?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with("print-") && (name.ends_with(&whole) || name.contains(&part)) {
                files.push(path);
            }
        }
    }
    files.push(out.join("letters").join(format!("manifest-run{}.csv", r.reserved_run)));
    for path in files.iter().filter(|p| p.is_file()) {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// The archived CSR's verified public key for a TLS application.
fn csr_key(ledger: &Ledger, state: &Path, app: &Application) -> Result<spki::SubjectPublicKeyInfoOwned> {
    let docs = ledger.documents(&std::iter::once(crate::record::Owner::Application(app.id.clone())).collect())?;
    let latest = docs
        .iter()
        .filter(|d| d.document.doc_type == "csr" && d.scan_status == "ok" && d.archive_sha256.is_some())
        .max_by_key(|d| d.arrived_on)
        .context("no usable CSR is archived for this application")?;
    let sha = latest.archive_sha256.as_deref().expect("filtered on archive_sha256");
    let ext = latest.document.file.rsplit('.').next().unwrap_or("bin").to_ascii_lowercase();
    let bytes = std::fs::read(crate::archive::path_for(state, sha, &ext)).context("the archived CSR cannot be read")?;
    crate::csr::verified_public_key(&bytes).map_err(|e| anyhow::anyhow!("the archived CSR: {e}"))
}

/// Issues every eligible application exactly once.
pub fn issue_stage(ledger: &mut Ledger, ctx: &IssueContext) -> Result<IssueReport> {
    let mut report = IssueReport::default();
    // 1. What a killed run left: files without a record are removed, the serial voided.
    let left = ledger.open_reservations()?;
    for r in &left {
        remove_leftovers(r)?;
    }
    ledger.void(
        &left
            .iter()
            .map(|r| {
                (r.serial.clone(), "the run that reserved it was interrupted before recording its files".to_string())
            })
            .collect::<Vec<_>>(),
    )?;
    report.recovered = left.len();

    let (tickets, waiting) = eligible(ctx.pipelines, ledger.awaiting_issue()?);
    report.awaiting_payment = waiting;
    if tickets.is_empty() {
        return Ok(report);
    }
    let ca = ca_source::open(ctx.pipelines_dir, ctx.state_dir, ctx.now, true)?;
    report.demo_ca = ca.ca.demo;
    let letters = crate::letters::writer::LetterWriter::load(
        ctx.pipelines_dir,
        ctx.pipelines.products.keys().cloned(),
        ctx.sender.to_string(),
    )?;

    // 2. Reserve serials.
    let mut jobs = Vec::new();
    for ticket in tickets {
        let product = ctx.pipelines.product(&ticket.app.product).expect("eligible() kept only known products");
        let csr_key = if product.profile.kind == CertKind::TlsServer {
            match csr_key(ledger, ctx.state_dir, &ticket.app) {
                Ok(k) => Some(k),
                Err(e) => {
                    report.problems.push((ticket.app.id.clone(), format!("{e:#}")));
                    continue;
                }
            }
        } else {
            None
        };
        let mut serial = random_serial()?;
        while ledger.serial_exists(&hex(&serial))? {
            serial = random_serial()?;
        }
        jobs.push(Job { ticket, product, serial, csr_key });
    }
    let out_dir = ctx.out_dir.to_string_lossy().into_owned();
    let reservations: Vec<Reservation> = jobs
        .iter()
        .map(|j| Reservation {
            application_id: j.ticket.app.id.clone(),
            serial: hex(&j.serial),
            batch: ctx.batch.to_string(),
            out_dir: out_dir.clone(),
            reserved_run: 0,
        })
        .collect();
    let run_id = ledger.reserve(ctx.batch, &reservations)?;
    crate::faults::point("issue-after-reserve");

    // 3. Keys, certificates, PKCS#12, and 4. their files (atomically), on all cores:
    // writing and syncing overlap the other cores' key generation.
    let bar = crate::progress::bar(jobs.len() as u64, "issue");
    let ready: Vec<Result<Ready>> = jobs
        .par_iter()
        .map(|job| {
            let r = make(job, &ca, ctx.now).and_then(|made| {
                write_files(ctx.out_dir, &job.ticket.app, job.product, &hex(&job.serial), Some(&letters), made)
            });
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();

    // 5. One transaction records them.
    let mut records = Vec::new();
    let mut ready_letters: Vec<Vec<crate::letters::writer::Prepared>> = Vec::new();
    let mut voided = Vec::new();
    for (job, ready) in jobs.into_iter().zip(ready) {
        let id = job.ticket.app.id.clone();
        let serial = hex(&job.serial);
        let r = match ready {
            Ok(r) => r,
            // A file that could not be written stops the run; the next run voids the
            // reservations and removes what was written.
            Err(e) if e.downcast_ref::<WriteFailed>().is_some() => return Err(e),
            Err(e) => {
                report.problems.push((id, format!("{e:#}")));
                voided.push((serial, format!("not issued: {e:#}")));
                continue;
            }
        };
        crate::faults::point("issue-after-files");
        use sha2::Digest;
        records.push(IssuedRecord {
            serial: serial.clone(),
            subject: r.made.subject.clone(),
            not_before: iso(r.made.not_before),
            not_after: iso(r.made.not_after),
            cert_sha256: hex(&sha2::Sha256::digest(&r.made.cert_der)),
            cert_pem: r.cert_pem,
            cert_file: r.cert_file.to_string_lossy().into_owned(),
            p12_file: r.p12_file.as_ref().map(|p| p.to_string_lossy().into_owned()),
            download_password_hash: r.download_password_hash,
            download_expires: r.download_expires.map(iso),
        });
        report.issued.push(Issued {
            application_id: id,
            serial,
            subject: r.made.subject,
            not_before: r.made.not_before,
            not_after: r.made.not_after,
            cert_file: r.cert_file,
            p12_file: r.p12_file,
            download_expires: r.download_expires,
            secrets: r.made.secrets,
            letters: r.letters.iter().map(|p| p.written.clone()).collect(),
        });
        ready_letters.push(r.letters);
    }
    let prepared: Vec<&crate::letters::writer::Prepared> = ready_letters.iter().flatten().collect();
    if !prepared.is_empty() {
        letters.print_files(ctx.out_dir, &format!("run{run_id}"), &prepared)?;
    }
    crate::faults::point("issue-after-letters");
    ledger.void(&voided)?;
    ledger.complete(run_id, &records)?;
    crate::faults::point("issue-after-commit");
    export_audit(ledger, ctx.state_dir)?;
    Ok(report)
}

/// Appends the audit rows not yet in `STATE/audit.log` (one JSON object a line, synced).
/// The ledger's `audit` table is the record; the file is its readable copy, caught up on
/// every run even after a crash between the two.
pub fn export_audit(ledger: &mut Ledger, state: &Path) -> Result<()> {
    use std::io::Write;
    let lines = ledger.audit_since_export()?;
    if lines.is_empty() {
        return Ok(());
    }
    let path = state.join("audit.log");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    f.sync_all()?;
    ledger.mark_audit_exported()
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
        let (tickets, waiting) =
            eligible(&p, vec![(gid, None), (ao, None), (paid, Some(crate::testkit::d(2026, 11, 20)))]);
        let ids: Vec<&str> = tickets.iter().map(|t| t.app.id.as_str()).collect();
        assert_eq!(ids, ["A1", "G2"]);
        assert_eq!(waiting, ["G1"]);
    }
}
