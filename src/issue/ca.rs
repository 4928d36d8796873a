//! The CA that signs certificates: the real issuing CA loaded from its chain and encrypted key,
//! or a DEMO hierarchy made here for trials and tests.
//!
//! The whole certificate profile (names, string types, extensions and their criticality) lives
//! in this module so that it can be checked as one against RFC 5280 with pkilint (see the
//! tests). The CA key never leaves the module except as signatures, and `Debug` hides it.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, TimeZone, Utc};
use const_oid::AssociatedOid;
use der::asn1::{Any, GeneralizedTime, Ia5String, OctetString, PrintableStringRef, SetOfVec};
use der::referenced::OwnedToRef;
use der::{Decode, Encode, Tag};
use pkcs8::pkcs5::pbes2;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::crl::{CertificateList, TbsCertList};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName, SubjectDirectoryAttributes,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;
use zeroize::Zeroizing;

const COUNTRY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// ETSI EN 319 412-1 §5.1.4 form, e.g. `NTRJP-` + the 13-digit corporate number.
const ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");
const STREET_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.9");
const STATE_OR_PROVINCE_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.8");
const LOCALITY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.7");
const DESCRIPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.13");
/// RFC 3739 §3.2.2 `id-pda-dateOfBirth`.
const DATE_OF_BIRTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.9.1");
const ANY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const CA_ISSUERS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");

const DEMO_ROOT_CERT: &str = "DEMO-root.crt.pem";
const DEMO_ISSUING_CERT: &str = "DEMO-issuing.crt.pem";
const DEMO_ROOT_KEY: &str = "DEMO-root.key.pem";
const DEMO_ISSUING_KEY: &str = "DEMO-issuing.key.pem";
const DEMO_ROOT_CN: &str = "certbatch DEMO Root CA - NOT FOR PRODUCTION";
const DEMO_ISSUING_CN: &str = "certbatch DEMO Issuing CA - NOT FOR PRODUCTION";
const DEMO_ORGANIZATION: &str = "certbatch demo";
/// Marks a CA as a demo one even when it is loaded through [`Ca::load`].
const DEMO_MARK: &str = "NOT FOR PRODUCTION";
/// The demo root signs rarely and lives long: RSA 3072.
const ROOT_KEY_BITS: usize = 3072;
/// The demo issuing CA signs every certificate: RSA 2048 (as many issuing CAs use, valid
/// under NIST SP 800-57 through 2030) keeps its signature at about a third of RSA 3072's,
/// so issuance stays dominated by subscriber key generation. A real CA brings its own key.
const ISSUING_KEY_BITS: usize = 2048;

/// RFC 5280 Appendix A upper bounds `ub-common-name` and `ub-organization-name`.
const UB_NAME: usize = 64;

/// An issuing CA able to sign end-entity certificates.
pub struct Ca {
    /// True for a DEMO hierarchy, so callers can stamp everything it signs as not real.
    pub demo: bool,
    /// The issuing CA certificate.
    pub certificate: Certificate,
    /// DER of the issuing CA, then of its issuers up to the root, for PKCS#12 chains.
    pub chain_der: Vec<Vec<u8>>,
    key: Box<dyn CaKey>,
}

/// The issuing CA's private key, wherever it is kept: a file key here, or a key on a
/// PKCS#11 token ([`crate::token::ca_key`]). [`super::ca_source`] alone decides which; the
/// rest of certbatch sees only signatures.
pub trait CaKey: Send + Sync {
    /// A sha256WithRSAEncryption (PKCS#1 v1.5) signature of `message`.
    fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>>;
}

/// A key read from a file (the demo CA's, or a real CA's encrypted PKCS#8 or PKCS#12).
struct FileKey(rsa::pkcs1v15::SigningKey<Sha256>);

impl FileKey {
    fn new(key: &RsaPrivateKey) -> FileKey {
        FileKey(rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone()))
    }
}

impl CaKey for FileKey {
    fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>> {
        use signature::{SignatureEncoding, Signer};
        Ok(self.0.try_sign(message).context("cannot sign")?.to_vec())
    }
}

/// A [`CaKey`] with its public key, as the certificate builder asks for a signer.
struct KeySigner<'a> {
    key: &'a dyn CaKey,
    public: rsa::pkcs1v15::VerifyingKey<Sha256>,
}

impl<'a> KeySigner<'a> {
    fn new(key: &'a dyn CaKey, public: &SubjectPublicKeyInfoOwned) -> Result<KeySigner<'a>> {
        let public =
            RsaPublicKey::try_from(public.owned_to_ref()).map_err(|_| anyhow!("the CA key is not an RSA key"))?;
        Ok(KeySigner { key, public: rsa::pkcs1v15::VerifyingKey::new(public) })
    }
}

impl signature::Keypair for KeySigner<'_> {
    type VerifyingKey = rsa::pkcs1v15::VerifyingKey<Sha256>;
    fn verifying_key(&self) -> Self::VerifyingKey {
        self.public.clone()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for KeySigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        use spki::SignatureAlgorithmIdentifier;
        // The identifier the rsa crate's own signer names (with its NULL parameters).
        Ok(rsa::pkcs1v15::SigningKey::<Sha256>::SIGNATURE_ALGORITHM_IDENTIFIER.into())
    }
}

impl signature::Signer<rsa::pkcs1v15::Signature> for KeySigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<rsa::pkcs1v15::Signature, signature::Error> {
        let bytes = self.key.sign_sha256(msg).map_err(|_| signature::Error::new())?;
        rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
    }
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca")
            .field("demo", &self.demo)
            .field("subject", &self.subject())
            .field("not_after", &self.not_after())
            .field("chain_len", &self.chain_der.len())
            .field("key", &"[redacted]")
            .finish()
    }
}

/// What an end-entity certificate is for; decides keyUsage, extendedKeyUsage and SAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// A signing certificate for a natural person (電子署名法 certified signatures).
    Signing,
    /// A TLS server certificate.
    TlsServer,
}

/// Everything that differs between two end-entity certificates.
#[derive(Debug, Clone)]
pub struct EndEntity {
    /// 1 to 20 bytes, positive and minimal (first byte 0x01..=0x7f); encoded exactly as given.
    pub serial: Vec<u8>,
    pub not_before: DateTime<FixedOffset>,
    pub not_after: DateTime<FixedOffset>,
    pub public_key: SubjectPublicKeyInfoOwned,
    pub kind: CertKind,
    /// Romaji name for `Signing`, the first DNS name for `TlsServer`.
    pub common_name: String,
    pub organization: Option<String>,
    /// ETSI form, e.g. `NTRJP-4011001040781`.
    pub organization_identifier: Option<String>,
    pub email: Option<String>,
    pub dns_names: Vec<String>,
    /// The registered name in kanji, as JPKI certifies it.
    pub kanji_name: Option<String>,
    pub address: Option<String>,
    /// 代理権内容: what the subject may sign for the organization.
    pub delegation: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// The organisation's prefecture and city (stateOrProvinceName, localityName), as an
    /// OV server certificate's subject has them.
    pub locality: Option<crate::jpaddress::Locality>,
    /// Certificate policies in order (dotted): a Forum reserved OID comes first.
    pub policy_oids: Vec<String>,
    pub crl_url: Option<String>,
    pub aia_url: Option<String>,
}

impl Ca {
    /// Makes a DEMO root (RSA 3072, 20 years) and issuing CA (RSA 3072, 10 years) in `dir`, with
    /// the keys encrypted at rest as PKCS#8 PBES2 under `passphrase`. Refuses to overwrite.
    pub fn init_demo(dir: &Path, passphrase: &str, now: DateTime<FixedOffset>) -> Result<Ca> {
        ensure!(!passphrase.is_empty(), "a CA key needs a passphrase");
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let paths = [DEMO_ROOT_CERT, DEMO_ISSUING_CERT, DEMO_ROOT_KEY, DEMO_ISSUING_KEY].map(|f| dir.join(f));
        if let Some(existing) = paths.iter().find(|p| p.exists()) {
            bail!("{} already exists: refusing to overwrite a CA", existing.display());
        }
        let start = now.with_timezone(&Utc);
        let years = |n: u32| {
            start.checked_add_months(Months::new(12 * n)).ok_or_else(|| anyhow!("{now} plus {n} years is out of range"))
        };

        let root_key = super::pfx::generate_key(ROOT_KEY_BITS)?;
        let root_name = name(vec![
            (COUNTRY_NAME, printable("C", "JP")?),
            (ORGANIZATION_NAME, utf8("O", DEMO_ORGANIZATION)?),
            (COMMON_NAME, printable("CN", DEMO_ROOT_CN)?),
        ])?;
        let root_spki = spki_of(&root_key)?;
        let root_profile = Profile {
            subject: root_name.clone(),
            issuer: None,
            authority_key_id: None,
            extensions: ca_extensions(None, false)?,
            subject_key_id: true,
        };
        let root_signer = FileKey::new(&root_key);
        let root = sign(
            root_profile,
            random_serial()?,
            validity(start, years(20)?)?,
            root_spki.clone(),
            &root_signer,
            &root_spki,
        )
        .context("cannot make the DEMO root certificate")?;

        let issuing_key = super::pfx::generate_key(ISSUING_KEY_BITS)?;
        let issuing_profile = Profile {
            subject: name(vec![
                (COUNTRY_NAME, printable("C", "JP")?),
                (ORGANIZATION_NAME, utf8("O", DEMO_ORGANIZATION)?),
                (COMMON_NAME, printable("CN", DEMO_ISSUING_CN)?),
            ])?,
            issuer: Some(root_name),
            authority_key_id: Some(key_identifier(&root)?),
            extensions: ca_extensions(Some(0), true)?,
            subject_key_id: true,
        };
        let issuing = sign(
            issuing_profile,
            random_serial()?,
            validity(start, years(10)?)?,
            spki_of(&issuing_key)?,
            &root_signer,
            &root_spki,
        )
        .context("cannot make the DEMO issuing CA certificate")?;

        let root_der = root.to_der()?;
        let issuing_der = issuing.to_der()?;
        let contents = [
            Zeroizing::new(pem("CERTIFICATE", &root_der)?.into_bytes()),
            Zeroizing::new(pem("CERTIFICATE", &issuing_der)?.into_bytes()),
            encrypt_key(&root_key, passphrase)?,
            encrypt_key(&issuing_key, passphrase)?,
        ];
        let modes = [0o644, 0o644, 0o600, 0o600];
        let mut written: Vec<&PathBuf> = Vec::new();
        for ((path, bytes), mode) in paths.iter().zip(&contents).zip(modes) {
            if let Err(e) = write_new(path, bytes, mode) {
                // Leave nothing half-made behind, so a retry is not refused.
                for done in written {
                    let _ = fs::remove_file(done);
                }
                return Err(e);
            }
            written.push(path);
        }
        sync_dir(dir);
        Ok(Ca {
            demo: true,
            certificate: issuing,
            chain_der: vec![issuing_der, root_der],
            key: Box::new(FileKey::new(&issuing_key)),
        })
    }

    /// Loads the DEMO hierarchy that [`Ca::init_demo`] wrote to `dir`.
    pub fn load_demo(dir: &Path, passphrase: &str) -> Result<Ca> {
        let mut chain = read_pem_certs(&dir.join(DEMO_ISSUING_CERT))?;
        chain.extend(read_pem_certs(&dir.join(DEMO_ROOT_CERT))?);
        let mut ca = Ca::from_parts(chain, &dir.join(DEMO_ISSUING_CERT), &dir.join(DEMO_ISSUING_KEY), passphrase)?;
        ca.demo = true;
        Ok(ca)
    }

    /// Loads a real CA: `chain_pem` holds the issuing CA then its issuers up to the root (PEM);
    /// `key_file` is the issuing key as encrypted PKCS#8 PEM or as PKCS#12. Unencrypted keys are
    /// refused. A CA whose name says NOT FOR PRODUCTION stays marked `demo` even here.
    pub fn load(chain_pem: &Path, key_file: &Path, passphrase: &str) -> Result<Ca> {
        let chain = read_pem_certs(chain_pem)?;
        Ca::from_parts(chain, chain_pem, key_file, passphrase)
    }

    fn from_parts(chain: Vec<Certificate>, chain_file: &Path, key_file: &Path, passphrase: &str) -> Result<Ca> {
        let certificate = check_chain(&chain, chain_file)?;
        let key = read_ca_key(key_file, passphrase)?;
        let cert_key = RsaPublicKey::try_from(certificate.tbs_certificate().subject_public_key_info().owned_to_ref())
            .map_err(|_| {
            anyhow!("the CA certificate {} does not hold an RSA key", certificate.tbs_certificate().subject())
        })?;
        ensure!(
            cert_key == key.to_public_key(),
            "the CA key {} does not belong to the certificate {}",
            key_file.display(),
            certificate.tbs_certificate().subject()
        );
        Ca::with_key(chain, chain_file, Box::new(FileKey::new(&key)))
    }

    /// The CA whose issuing certificate heads `chain` (then its issuers up to the root, as
    /// read from `chain_file`), signing with `key` wherever that is kept. The key must sign
    /// for the certificate: a test signature is checked against it before anything is issued.
    pub fn with_key(chain: Vec<Certificate>, chain_file: &Path, key: Box<dyn CaKey>) -> Result<Ca> {
        use signature::Verifier;
        let certificate = check_chain(&chain, chain_file)?.clone();
        let probe = b"certbatch: does this key sign for the CA certificate?";
        let signer = KeySigner::new(key.as_ref(), certificate.tbs_certificate().subject_public_key_info())?;
        let signature = key.sign_sha256(probe).context("the CA key cannot sign")?;
        let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice())
            .map_err(|_| anyhow!("the CA key gave a malformed signature"))?;
        signer.public.verify(probe, &signature).map_err(|_| {
            anyhow!("the CA key does not belong to the certificate {}", certificate.tbs_certificate().subject())
        })?;
        let demo = certificate.tbs_certificate().subject().to_string().contains(DEMO_MARK);
        let chain_der = chain.iter().map(|c| c.to_der()).collect::<der::Result<Vec<_>>>()?;
        Ok(Ca { demo, certificate, chain_der, key })
    }

    /// Reads a PEM file of certificates: the issuing CA first, then its issuers.
    pub fn read_chain(path: &Path) -> Result<Vec<Certificate>> {
        read_pem_certs(path)
    }

    /// The issuing CA's notAfter; nothing it signs may outlive it.
    pub fn not_after(&self) -> DateTime<Utc> {
        to_chrono(self.certificate.tbs_certificate().validity().not_after)
    }

    fn not_before(&self) -> DateTime<Utc> {
        to_chrono(self.certificate.tbs_certificate().validity().not_before)
    }

    /// The issuing CA's subject as an RFC 4514 string, for messages.
    pub fn subject(&self) -> String {
        self.certificate.tbs_certificate().subject().to_string()
    }

    /// Everything [`Ca::issue`] checks, without signing: the validity inside the CA's own,
    /// every name and extension encodable within its bounds. Issuance runs this before a
    /// serial is reserved or a key made, so a certificate that cannot be made costs nothing.
    pub fn check(&self, spec: &EndEntity) -> Result<()> {
        self.profile(spec).map(|_| ())
    }

    fn profile(&self, spec: &EndEntity) -> Result<Profile> {
        let not_before = spec.not_before.with_timezone(&Utc);
        let not_after = spec.not_after.with_timezone(&Utc);
        ensure!(
            not_before < not_after,
            "the certificate would end ({}) before it starts ({})",
            spec.not_after,
            spec.not_before
        );
        let ca_not_after = self.not_after();
        if not_after > ca_not_after {
            bail!(
                "the CA {} expires on {} before the certificate would ({})",
                self.subject(),
                ca_not_after.with_timezone(spec.not_after.offset()).to_rfc3339(),
                spec.not_after.to_rfc3339()
            );
        }
        let ca_not_before = self.not_before();
        if not_before < ca_not_before {
            bail!(
                "the CA {} is valid only from {}, after the certificate would start ({})",
                self.subject(),
                ca_not_before.with_timezone(spec.not_before.offset()).to_rfc3339(),
                spec.not_before.to_rfc3339()
            );
        }
        serial_number(&spec.serial)?;
        validity(not_before, not_after)?;
        Ok(Profile {
            subject: end_entity_subject(spec)?,
            issuer: Some(self.certificate.tbs_certificate().subject().clone()),
            authority_key_id: Some(key_identifier(&self.certificate)?),
            extensions: end_entity_extensions(spec)?,
            subject_key_id: spec.kind != CertKind::TlsServer,
        })
    }

    /// Signs an end-entity certificate (sha256WithRSAEncryption) and returns its DER.
    pub fn issue(&self, spec: &EndEntity) -> Result<Vec<u8>> {
        let profile = self.profile(spec)?;
        let serial = serial_number(&spec.serial)?;
        let validity = validity(spec.not_before.with_timezone(&Utc), spec.not_after.with_timezone(&Utc))?;
        let cert = sign(
            profile,
            serial,
            validity,
            spec.public_key.clone(),
            self.key.as_ref(),
            self.certificate.tbs_certificate().subject_public_key_info(),
        )
        .with_context(|| format!("cannot sign the certificate for {}", spec.common_name))?;
        Ok(cert.to_der()?)
    }

    /// The issuing CA's own key identifier (its subjectKeyIdentifier): what the
    /// authorityKeyIdentifier of everything it signs names.
    pub fn key_id(&self) -> Result<OctetString> {
        key_identifier(&self.certificate)
    }

    /// Signs a CRL's to-be-signed part with the issuing CA's key (sha256WithRSAEncryption),
    /// setting its signature algorithm; returns the CRL's DER.
    pub fn sign_crl(&self, mut tbs: TbsCertList) -> Result<Vec<u8>> {
        use signature::{SignatureEncoding, Signer};
        use spki::DynSignatureAlgorithmIdentifier;
        let signer = KeySigner::new(self.key.as_ref(), self.certificate.tbs_certificate().subject_public_key_info())?;
        tbs.signature = signer.signature_algorithm_identifier()?;
        let signature = signer.try_sign(&tbs.to_der()?).context("cannot sign the CRL")?;
        let crl = CertificateList {
            signature_algorithm: tbs.signature.clone(),
            tbs_cert_list: tbs,
            signature: der::asn1::BitString::from_bytes(&signature.to_vec())?,
        };
        Ok(crl.to_der()?)
    }

    /// The issuing CA's public key, a stand-in key for [`Ca::check`].
    pub fn public_key(&self) -> SubjectPublicKeyInfoOwned {
        self.certificate.tbs_certificate().subject_public_key_info().clone()
    }
}

/// Our [`BuilderProfile`]: the names and extensions are decided up front (so each failure has a
/// clear message); only the key identifiers wait for the keys the builder holds.
struct Profile {
    subject: Name,
    /// `None` for a self-signed root.
    issuer: Option<Name>,
    /// The issuer's own subjectKeyIdentifier; `None` derives it from the signing key.
    authority_key_id: Option<OctetString>,
    extensions: Vec<Extension>,
    /// False for a TLS server certificate: BR 7.1.2.7.6 makes subjectKeyIdentifier NOT
    /// RECOMMENDED there (no path building starts from a leaf).
    subject_key_id: bool,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING, as x509-cert does.
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(match &self.authority_key_id {
                Some(id) => id.clone(),
                None => SubjectKeyIdentifier::try_from(issuer_spk)?.0,
            }),
            ..Default::default()
        };
        let mut out = self.extensions.clone();
        if self.subject_key_id {
            out.push(extension(false, &ski)?);
        }
        out.push(extension(false, &aki)?);
        Ok(out)
    }
}

/// basicConstraints and keyUsage critical (RFC 5280 §4.2.1.9, §4.2.1.3); the issuing CA also
/// asserts anyPolicy so paths to any end-entity policy stay valid.
fn ca_extensions(path_len: Option<u8>, any_policy: bool) -> der::Result<Vec<Extension>> {
    let mut out = vec![
        extension(true, &BasicConstraints { ca: true, path_len_constraint: path_len })?,
        extension(true, &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
    ];
    if any_policy {
        let policies =
            CertificatePolicies(vec![PolicyInformation { policy_identifier: ANY_POLICY, policy_qualifiers: None }]);
        out.push(extension(false, &policies)?);
    }
    Ok(out)
}

/// C, ST and L, then O and organizationIdentifier when given, then CN (X.500 order, most
/// general first, as BR 7.1.4.2 lists them).
fn end_entity_subject(spec: &EndEntity) -> Result<Name> {
    let mut atvs = vec![(COUNTRY_NAME, printable("C", "JP")?)];
    if let Some(l) = &spec.locality {
        atvs.push((STATE_OR_PROVINCE_NAME, utf8("ST", bounded("ST", &l.prefecture, UB_NAME)?)?));
        atvs.push((LOCALITY_NAME, utf8("L", bounded("L", &l.city, UB_NAME)?)?));
    }
    if let Some(o) = &spec.organization {
        atvs.push((ORGANIZATION_NAME, utf8("O", bounded("O", o, UB_NAME)?)?));
    }
    if let Some(id) = &spec.organization_identifier {
        atvs.push((ORGANIZATION_IDENTIFIER, printable("organizationIdentifier", id)?));
    }
    // An organisation-validated server certificate names its domains in subjectAltName
    // only: BR 7.1.2.7.4 makes commonName NOT RECOMMENDED there.
    let ov_server = spec.kind == CertKind::TlsServer && spec.organization.is_some() && spec.locality.is_some();
    if !ov_server {
        atvs.push((COMMON_NAME, printable_or_utf8("CN", bounded("CN", &spec.common_name, UB_NAME)?)?));
    }
    name(atvs)
}

fn end_entity_extensions(spec: &EndEntity) -> Result<Vec<Extension>> {
    let mut out = Vec::new();
    // Critical as the CA/Browser Forum TLS and S/MIME profiles have it; RFC 5280 allows either.
    out.push(extension(true, &BasicConstraints { ca: false, path_len_constraint: None })?);
    let mut general_names = Vec::new();
    match spec.kind {
        CertKind::Signing => {
            ensure!(spec.dns_names.is_empty(), "a signing certificate carries no DNS names");
            out.push(extension(true, &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation))?);
            if let Some(email) = &spec.email {
                let email = Ia5String::new(email)
                    .map_err(|_| anyhow!("the e-mail address {email:?} is not ASCII; it cannot be an rfc822Name"))?;
                general_names.push(GeneralName::Rfc822Name(email));
            }
            let mut directory = Vec::new();
            if let Some(kanji) = &spec.kanji_name {
                directory.push((COMMON_NAME, utf8("kanji name", bounded("kanji name", kanji, UB_NAME)?)?));
            }
            if let Some(address) = &spec.address {
                directory.push((STREET_ADDRESS, utf8("address", bounded("address", address, 128)?)?));
            }
            if let Some(delegation) = &spec.delegation {
                directory.push((DESCRIPTION, utf8("delegation", bounded("delegation", delegation, 1024)?)?));
            }
            if !directory.is_empty() {
                general_names.push(GeneralName::DirectoryName(name(directory)?));
            }
        }
        CertKind::TlsServer => {
            ensure!(!spec.dns_names.is_empty(), "a TLS server certificate needs at least one DNS name");
            let personal = [
                ("email", spec.email.is_some()),
                ("kanji_name", spec.kanji_name.is_some()),
                ("address", spec.address.is_some()),
                ("delegation", spec.delegation.is_some()),
                ("birth_date", spec.birth_date.is_some()),
            ];
            if let Some((field, _)) = personal.iter().find(|(_, set)| *set) {
                bail!("{field} has no place in a TLS server certificate");
            }
            // digitalSignature alone, for RSA keys too: BR 7.1.2.7.11 makes keyEncipherment
            // NOT RECOMMENDED (TLS 1.3 has no RSA key transport).
            out.push(extension(true, &KeyUsage(KeyUsages::DigitalSignature.into()))?);
            out.push(extension(false, &ExtendedKeyUsage(vec![SERVER_AUTH]))?);
            for dns in &spec.dns_names {
                let ia5 =
                    Ia5String::new(dns).map_err(|_| anyhow!("the DNS name {dns:?} is not ASCII (use its A-label)"))?;
                general_names.push(GeneralName::DnsName(ia5));
            }
        }
    }
    ensure!(!spec.policy_oids.is_empty(), "a certificate needs a policy OID");
    let policies = spec
        .policy_oids
        .iter()
        .map(|oid| {
            let policy_identifier =
                ObjectIdentifier::new(oid).map_err(|e| anyhow!("the policy OID {oid:?} is not an OID: {e}"))?;
            Ok(PolicyInformation { policy_identifier, policy_qualifiers: None })
        })
        .collect::<Result<Vec<_>>>()?;
    out.push(extension(false, &CertificatePolicies(policies))?);
    if !general_names.is_empty() {
        // Non-critical: the subject is never empty (RFC 5280 §4.2.1.6).
        out.push(extension(false, &SubjectAltName(general_names))?);
    }
    if let Some(date) = spec.birth_date {
        let attribute = Attribute { oid: DATE_OF_BIRTH, values: SetOfVec::try_from(vec![birth_date(date)?])? };
        // RFC 3739 §3.2.2: MUST NOT be critical.
        out.push(extension(false, &SubjectDirectoryAttributes(vec![attribute]))?);
    }
    if let Some(url) = &spec.crl_url {
        let point = DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![uri("CRL", url)?])),
            reasons: None,
            crl_issuer: None,
        };
        out.push(extension(false, &CrlDistributionPoints(vec![point]))?);
    }
    if let Some(url) = &spec.aia_url {
        let access = AccessDescription { access_method: CA_ISSUERS, access_location: uri("AIA", url)? };
        out.push(extension(false, &AuthorityInfoAccessSyntax(vec![access]))?);
    }
    Ok(out)
}

/// RFC 3739 §3.2.2: GeneralizedTime at 12:00:00Z. Written by hand because der's `DateTime`
/// starts in 1970 and many subscribers were born before.
fn birth_date(date: NaiveDate) -> Result<Any> {
    ensure!((1..=9999).contains(&date.year()), "the birth date {date} has no 4-digit year");
    let text = format!("{:04}{:02}{:02}120000Z", date.year(), date.month(), date.day());
    Ok(Any::new(Tag::GeneralizedTime, text.into_bytes())?)
}

fn uri(what: &str, url: &str) -> Result<GeneralName> {
    let ia5 = Ia5String::new(url).map_err(|_| anyhow!("the {what} URL {url:?} is not ASCII"))?;
    Ok(GeneralName::UniformResourceIdentifier(ia5))
}

/// The extension with its criticality spelled out here rather than taken from x509-cert's
/// defaults, so the profile can be read in one place.
fn extension<T: Encode + AssociatedOid>(critical: bool, value: &T) -> der::Result<Extension> {
    Ok(Extension { extn_id: T::OID, critical, extn_value: OctetString::new(value.to_der()?)? })
}

/// The subjectKeyIdentifier a CA certificate carries (or method 1 if it has none), so that
/// authorityKeyIdentifier matches whatever method the CA's maker used.
fn key_identifier(cert: &Certificate) -> Result<OctetString> {
    let tbs = cert.tbs_certificate();
    if let Ok(Some((_, ski))) = tbs.get_extension::<SubjectKeyIdentifier>() {
        return Ok(ski.0);
    }
    Ok(SubjectKeyIdentifier::try_from(tbs.subject_public_key_info().owned_to_ref())?.0)
}

/// A subject as staff read it, most specific first (RFC 4514 order): every attribute by its
/// short name (organizationIdentifier too, which generic printers show as hex) and its text.
pub fn subject_text(name: &Name) -> String {
    let short = |oid: &ObjectIdentifier| match *oid {
        COUNTRY_NAME => "C".to_string(),
        STATE_OR_PROVINCE_NAME => "ST".to_string(),
        LOCALITY_NAME => "L".to_string(),
        ORGANIZATION_NAME => "O".to_string(),
        ORGANIZATION_IDENTIFIER => "organizationIdentifier".to_string(),
        COMMON_NAME => "CN".to_string(),
        other => other.to_string(),
    };
    // certbatch writes one attribute per RDN, so attributes reversed are RDNs reversed.
    let atvs: Vec<&AttributeTypeAndValue> = name.iter().collect();
    atvs.into_iter()
        .rev()
        .map(|atv| {
            let text = std::str::from_utf8(atv.value.value())
                .map_or_else(|_| format!("#{}", crate::record::hex(atv.value.value())), |t| t.to_string());
            format!("{}={}", short(&atv.oid), escape_rdn(&text))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// RFC 4514's escapes for the characters that would split a subject string.
fn escape_rdn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One attribute per RDN, in the order given.
fn name(atvs: Vec<(ObjectIdentifier, Any)>) -> Result<Name> {
    let rdns = atvs
        .into_iter()
        .map(|(oid, value)| RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid, value }]))
        .collect::<der::Result<Vec<_>>>()?;
    // `Name` has no public constructor from RDNs without x509-cert's "hazmat" feature.
    Ok(Name::from_der(&RdnSequence::from(rdns).to_der()?)?)
}

fn non_empty<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    ensure!(!value.trim().is_empty(), "{what} is empty");
    Ok(value)
}

fn bounded<'a>(what: &str, value: &'a str, max_chars: usize) -> Result<&'a str> {
    let chars = value.chars().count();
    ensure!(chars <= max_chars, "{what} has {chars} characters; at most {max_chars} fit (its X.520 upper bound)");
    Ok(value)
}

fn printable(what: &str, value: &str) -> Result<Any> {
    let value = non_empty(what, value)?;
    let ps = PrintableStringRef::new(value).map_err(|_| anyhow!("{what} {value:?} is not a PrintableString"))?;
    Ok(Any::encode_from(&ps)?)
}

/// PrintableString when the text allows it (romaji names usually do), else UTF8String.
fn printable_or_utf8(what: &str, value: &str) -> Result<Any> {
    match PrintableStringRef::new(non_empty(what, value)?) {
        Ok(ps) => Ok(Any::encode_from(&ps)?),
        Err(_) => utf8(what, value),
    }
}

fn utf8(what: &str, value: &str) -> Result<Any> {
    Ok(Any::new(Tag::Utf8String, non_empty(what, value)?.as_bytes())?)
}

/// Refuses what DER would silently change: a leading zero byte, or a negative number.
fn serial_number(bytes: &[u8]) -> Result<SerialNumber> {
    ensure!((1..=20).contains(&bytes.len()), "a serial number has 1 to 20 bytes, not {}", bytes.len());
    ensure!(bytes[0] & 0x80 == 0, "the serial number must be positive (its first byte below 0x80)");
    ensure!(bytes[0] != 0, "the serial number's first byte must not be zero (DER would drop it)");
    Ok(SerialNumber::new(bytes)?)
}

/// 16 random bytes, first byte in 0x40..=0x7f so the serial is positive and keeps its length.
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("the OS random source failed: {e}"))?;
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    serial_number(&bytes)
}

/// x509-cert turns these into UTCTime before 2050 and keeps GeneralizedTime from 2050 on
/// (RFC 5280 §4.1.2.5). Sub-second parts are dropped: certificates hold whole seconds.
fn validity(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Result<Validity> {
    let time = |t: DateTime<Utc>| -> Result<Time> {
        let secs = u64::try_from(t.timestamp()).map_err(|_| anyhow!("{t} is before 1970"))?;
        let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))?;
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    };
    Ok(Validity::new(time(not_before)?, time(not_after)?))
}

/// The chain's first certificate, once the chain runs from the issuing CA up to the root
/// and the first is a CA.
fn check_chain<'c>(chain: &'c [Certificate], chain_file: &Path) -> Result<&'c Certificate> {
    let Some(certificate) = chain.first() else {
        bail!("{} holds no certificate", chain_file.display());
    };
    for pair in chain.windows(2) {
        let (child, parent) = (pair[0].tbs_certificate(), pair[1].tbs_certificate());
        ensure!(
            child.issuer() == parent.subject(),
            "{}: {} is not issued by the certificate after it ({}); the file must hold the issuing CA \
             first, then its issuers up to the root",
            chain_file.display(),
            child.subject(),
            parent.subject()
        );
    }
    let is_ca =
        certificate.tbs_certificate().get_extension::<BasicConstraints>().ok().flatten().is_some_and(|(_, bc)| bc.ca);
    ensure!(is_ca, "{} is not a CA certificate (no basicConstraints cA)", certificate.tbs_certificate().subject());
    Ok(certificate)
}

fn to_chrono(t: Time) -> DateTime<Utc> {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    Utc.timestamp_opt(secs, 0).single().unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Signs with `key`, whose public key is `signer_spki` (the subject's own for a root).
fn sign(
    profile: Profile,
    serial: SerialNumber,
    validity: Validity,
    spki: SubjectPublicKeyInfoOwned,
    key: &dyn CaKey,
    signer_spki: &SubjectPublicKeyInfoOwned,
) -> Result<Certificate> {
    let builder = CertificateBuilder::new(profile, serial, validity, spki)?;
    let signer = KeySigner::new(key, signer_spki)?;
    Ok(builder.build::<_, rsa::pkcs1v15::Signature>(&signer)?)
}

fn spki_of(key: &RsaPrivateKey) -> Result<SubjectPublicKeyInfoOwned> {
    Ok(SubjectPublicKeyInfoOwned::from_key(&key.to_public_key())?)
}

/// PKCS#8 PBES2 (PBKDF2-HMAC-SHA256, 600,000 iterations, AES-256-CBC): what OpenSSL, Java
/// and pkcs8 all read, unlike scrypt.
fn encrypt_key(key: &RsaPrivateKey, passphrase: &str) -> Result<Zeroizing<Vec<u8>>> {
    let der = key.to_pkcs8_der()?;
    let info = PrivateKeyInfoRef::try_from(der.as_bytes())?;
    let params = pbes2::Parameters::generate_pbkdf2(&mut getrandom::SysRng)
        .map_err(|e| anyhow!("cannot make PBES2 parameters: {e}"))?;
    let encrypted = info.encrypt_with_params(params, passphrase).map_err(|e| anyhow!("cannot encrypt the key: {e}"))?;
    let pem = encrypted.to_pem("ENCRYPTED PRIVATE KEY", der::pem::LineEnding::LF)?;
    Ok(Zeroizing::new(pem.as_bytes().to_vec()))
}

fn read_ca_key(key_file: &Path, passphrase: &str) -> Result<RsaPrivateKey> {
    let bytes =
        Zeroizing::new(fs::read(key_file).with_context(|| format!("cannot read the CA key {}", key_file.display()))?);
    let no_decrypt = || anyhow!("the CA key {} does not decrypt with the given passphrase", key_file.display());
    let shown = key_file.display();
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let (label, der) =
            der::pem::decode_vec(&bytes).map_err(|e| anyhow!("the CA key {shown} is not valid PEM: {e}"))?;
        let der = Zeroizing::new(der);
        match label {
            "ENCRYPTED PRIVATE KEY" => {
                let info = EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
                    .map_err(|e| anyhow!("the CA key {shown} is not an encrypted PKCS#8 key: {e}"))?;
                // A wrong passphrase shows as bad padding or, rarely, as garbage that does not parse.
                let plain = info.decrypt(passphrase).map_err(|_| no_decrypt())?;
                RsaPrivateKey::from_pkcs8_der(plain.as_bytes()).map_err(|_| no_decrypt())
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" => {
                bail!("the CA key {shown} is not encrypted; keep it as an ENCRYPTED PRIVATE KEY or in a PKCS#12")
            }
            other => bail!("{shown} holds a {other}, not a private key"),
        }
    } else {
        use p12_keystore::error::Error as P12Error;
        let store = p12_keystore::KeyStore::from_pkcs12(&bytes, passphrase, p12_keystore::Pkcs12ImportPolicy::Relaxed)
            .map_err(|e| match e {
                P12Error::MacError(_) | P12Error::UnpadError | P12Error::Pkcs5Error(_) => no_decrypt(),
                other => anyhow!("the CA key {shown} is neither PEM nor a readable PKCS#12 file: {other}"),
            })?;
        let (_, chain) =
            store.private_key_chain().ok_or_else(|| anyhow!("the PKCS#12 {shown} holds no private key"))?;
        RsaPrivateKey::from_pkcs8_der(chain.key().as_der())
            .map_err(|e| anyhow!("the private key in {shown} is not an RSA key: {e}"))
    }
}

fn read_pem_certs(path: &Path) -> Result<Vec<Certificate>> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let certs =
        Certificate::load_pem_chain(&bytes).map_err(|e| anyhow!("{} is not PEM certificates: {e}", path.display()))?;
    ensure!(!certs.is_empty(), "{} holds no certificate", path.display());
    Ok(certs)
}

fn pem(label: &'static str, der: &[u8]) -> Result<String> {
    Ok(der::pem::encode_string(label, der::pem::LineEnding::LF, der)?)
}

/// Writes a new file atomically; a key is private (0600) from its first byte.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    ensure!(!path.exists(), "{} already exists", path.display());
    crate::fsio::write_atomic(path, bytes, mode & 0o077 == 0)
}

/// Makes the renames durable; best effort, as not every platform can open a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::sync::OnceLock;

    const PASS: &str = "correct horse battery staple";
    const POLICY: &str = "1.2.392.200081.1.1.1";

    fn jst(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(9 * 3600).unwrap().with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    /// The DEMO CA most tests sign with, made once: RSA-3072 keys take seconds. Its files are
    /// kept in memory (name, bytes, mode) so tests can lay them out again in their own dirs.
    struct Demo {
        ca: Ca,
        files: Vec<(&'static str, Vec<u8>, u32)>,
    }

    fn demo() -> &'static Demo {
        static DEMO: OnceLock<Demo> = OnceLock::new();
        DEMO.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let ca = Ca::init_demo(dir.path(), PASS, jst(2024, 1, 1, 0, 0, 0)).unwrap();
            let files = [DEMO_ROOT_CERT, DEMO_ISSUING_CERT, DEMO_ROOT_KEY, DEMO_ISSUING_KEY]
                .into_iter()
                .map(|f| {
                    let path = dir.path().join(f);
                    let mode = {
                        use std::os::unix::fs::PermissionsExt;
                        fs::metadata(&path).unwrap().permissions().mode() & 0o777
                    };
                    (f, fs::read(&path).unwrap(), mode)
                })
                .collect();
            Demo { ca, files }
        })
    }

    fn leaf_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| crate::issue::pfx::generate_key(2048).unwrap())
    }

    fn lay_out_demo(dir: &Path) {
        for (name, bytes, _) in &demo().files {
            fs::write(dir.join(name), bytes).unwrap();
        }
    }

    fn serial(last: u8) -> Vec<u8> {
        let mut s = vec![0x5a; 16];
        s[15] = last;
        s
    }

    fn gid_spec() -> EndEntity {
        EndEntity {
            serial: serial(1),
            not_before: jst(2026, 11, 21, 10, 0, 0),
            not_after: jst(2029, 2, 28, 23, 59, 59),
            public_key: spki_of(leaf_key()).unwrap(),
            kind: CertKind::Signing,
            common_name: "Taro Yamada".into(),
            organization: Some("セコム株式会社".into()),
            organization_identifier: Some("NTRJP-4011001040781".into()),
            email: Some("taro.yamada@example.co.jp".into()),
            dns_names: vec![],
            kanji_name: Some("山田 太郎".into()),
            address: Some("東京都千代田区千代田1-1".into()),
            delegation: Some("当社を代理して契約書に署名する権限（金額の上限なし）".into()),
            birth_date: NaiveDate::from_ymd_opt(1980, 4, 1),
            locality: None,
            policy_oids: vec![POLICY.into()],
            crl_url: Some("http://crl.example.jp/demo-issuing.crl".into()),
            aia_url: Some("http://repo.example.jp/demo-issuing.crt".into()),
        }
    }

    fn tls_spec() -> EndEntity {
        EndEntity {
            serial: serial(2),
            kind: CertKind::TlsServer,
            common_name: "www.example.co.jp".into(),
            organization: Some("セコム株式会社".into()),
            locality: Some(crate::jpaddress::Locality { prefecture: "東京都".into(), city: "渋谷区".into() }),
            policy_oids: vec!["2.23.140.1.2.2".into(), POLICY.into()],
            organization_identifier: None,
            email: None,
            dns_names: vec!["www.example.co.jp".into(), "example.co.jp".into()],
            kanji_name: None,
            address: None,
            delegation: None,
            birth_date: None,
            // 199 days with both ends (SC081v3's 200, one under as the BRs recommend).
            not_after: jst(2027, 6, 7, 9, 59, 59),
            ..gid_spec()
        }
    }

    fn write_pem(dir: &Path, file: &str, der: &[u8]) -> PathBuf {
        let path = dir.join(file);
        fs::write(&path, pem("CERTIFICATE", der).unwrap()).unwrap();
        path
    }

    /// Runs a tool and returns whether it succeeded and everything it printed.
    fn run(program: &str, args: &[&str]) -> (bool, String) {
        let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    fn path_str(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// `openssl asn1parse` of the value of the extension OpenSSL calls `name`.
    fn extension_asn1(cert: &Path, name: &str) -> String {
        let (_, top) = run("openssl", &["asn1parse", "-in", path_str(cert)]);
        let mut lines = top.lines().skip_while(|l| !l.ends_with(&format!(":{name}")));
        let octets = lines.find(|l| l.contains("OCTET STRING")).unwrap_or_else(|| panic!("no {name} in\n{top}"));
        let offset = octets.split(':').next().unwrap().trim();
        let (ok, out) = run("openssl", &["asn1parse", "-in", path_str(cert), "-strparse", offset]);
        assert!(ok, "{out}");
        out
    }

    fn ensure_pkilint() {
        static READY: OnceLock<()> = OnceLock::new();
        READY.get_or_init(|| {
            if Command::new("lint_pkix_cert").arg("--help").output().is_err() {
                let (ok, out) = run("python3", &["-m", "pip", "install", "--quiet", "pkilint"]);
                assert!(ok, "cannot install pkilint: {out}");
            }
        });
    }

    /// `lint_cabf_serverauth_cert -t OV-FINAL-CERTIFICATE` at WARNING; empty when clean.
    fn pkilint_ov(cert: &Path) -> String {
        ensure_pkilint();
        let (ok, out) =
            run("lint_cabf_serverauth_cert", &["lint", "-t", "OV-FINAL-CERTIFICATE", "-s", "WARNING", path_str(cert)]);
        let out = out.trim().to_string();
        assert_eq!(ok, out.is_empty(), "status and output disagree: {out}");
        out
    }

    /// pkilint findings at WARNING or above; empty when clean. pkilint exits non-zero exactly
    /// when it reports something, so the status is checked to agree.
    fn pkilint(tool: &str, certs: &[&Path]) -> String {
        ensure_pkilint();
        let mut args = vec!["lint", "-s", "WARNING"];
        args.extend(certs.iter().map(|c| path_str(c)));
        let (ok, out) = run(tool, &args);
        let out = out.trim().to_string();
        assert_eq!(ok, out.is_empty(), "{tool} status and output disagree: {out}");
        out
    }

    fn lint(cert: &Path) -> String {
        pkilint("lint_pkix_cert", &[cert])
    }

    fn lint_chain(issuer: &Path, subject: &Path) -> String {
        pkilint("lint_pkix_signer_signee_cert_chain", &[issuer, subject])
    }

    #[test]
    fn demo_ca_files_reload_and_refuse_overwrite() {
        let d = demo();
        let modes: Vec<_> = d.files.iter().map(|(n, _, m)| (*n, *m)).collect();
        assert_eq!(
            modes,
            [(DEMO_ROOT_CERT, 0o644), (DEMO_ISSUING_CERT, 0o644), (DEMO_ROOT_KEY, 0o600), (DEMO_ISSUING_KEY, 0o600)]
        );
        for (name, bytes, _) in &d.files {
            let text = String::from_utf8(bytes.clone()).unwrap();
            if name.ends_with(".key.pem") {
                assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"), "{name}");
            }
        }
        assert!(d.ca.demo);
        assert!(d.ca.subject().contains("CN=certbatch DEMO Issuing CA - NOT FOR PRODUCTION"), "{}", d.ca.subject());
        assert_eq!(d.ca.not_after().to_rfc3339(), "2033-12-31T15:00:00+00:00");

        let dir = tempfile::tempdir().unwrap();
        lay_out_demo(dir.path());
        let loaded = Ca::load_demo(dir.path(), PASS).unwrap();
        assert!(loaded.demo);
        assert_eq!(loaded.chain_der, d.ca.chain_der);
        // PKCS#1 v1.5 signatures are deterministic: the same key signs the same bytes alike.
        assert_eq!(loaded.key.sign_sha256(b"x").unwrap(), d.ca.key.sign_sha256(b"x").unwrap());

        let err = Ca::init_demo(dir.path(), PASS, jst(2024, 1, 1, 0, 0, 0)).unwrap_err().to_string();
        assert!(err.contains("already exists: refusing to overwrite a CA"), "{err}");
        // The refusal came before any key was made or file touched.
        assert_eq!(fs::read(dir.path().join(DEMO_ROOT_KEY)).unwrap(), d.files[2].1);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(leftovers.len(), 4, "no temporary files are left behind");

        // OpenSSL reads the encrypted key with the passphrase (PBES2, PBKDF2-SHA256, AES-256-CBC).
        let key = dir.path().join(DEMO_ISSUING_KEY);
        let (ok, out) = run("openssl", &["pkey", "-in", path_str(&key), "-passin", &format!("pass:{PASS}"), "-noout"]);
        assert!(ok, "{out}");
        let (ok, out) = run("openssl", &["asn1parse", "-in", path_str(&key)]);
        assert!(ok && out.contains("PBES2") && out.contains("PBKDF2") && out.contains("aes-256-cbc"), "{out}");
    }

    #[test]
    fn certificates_verify_with_openssl_and_lint_clean() {
        let d = demo();
        let dir = tempfile::tempdir().unwrap();
        let root = write_pem(dir.path(), "root.pem", &d.ca.chain_der[1]);
        let issuing = write_pem(dir.path(), "issuing.pem", &d.ca.chain_der[0]);
        let gid = write_pem(dir.path(), "gid.pem", &d.ca.issue(&gid_spec()).unwrap());
        let tls = write_pem(dir.path(), "tls.pem", &d.ca.issue(&tls_spec()).unwrap());

        for leaf in [&gid, &tls] {
            let args = ["verify", "-CAfile", path_str(&root), "-untrusted", path_str(&issuing), path_str(leaf)];
            let (ok, out) = run("openssl", &args);
            assert!(ok && out.contains(": OK"), "{out}");
        }
        let (ok, text) =
            run("openssl", &["x509", "-in", path_str(&gid), "-noout", "-text", "-nameopt", "oneline,-esc_msb"]);
        assert!(ok, "{text}");
        for want in [
            "Signature Algorithm: sha256WithRSAEncryption",
            "Subject: C = JP, O = セコム株式会社, organizationIdentifier = NTRJP-4011001040781, CN = Taro Yamada\n",
            "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation",
            "X509v3 Basic Constraints: critical\n                CA:FALSE",
            "email:taro.yamada@example.co.jp",
            // OpenSSL prints a SAN directoryName through a 256-byte buffer: its contents are
            // checked with asn1parse below.
            "DirName:/CN=",
            "Policy: 1.2.392.200081.1.1.1",
            "URI:http://crl.example.jp/demo-issuing.crl",
            "CA Issuers - URI:http://repo.example.jp/demo-issuing.crt",
            "X509v3 Subject Directory Attributes",
            "Not Before: Nov 21 01:00:00 2026 GMT",
            "Not After : Feb 28 14:59:59 2029 GMT",
            "Serial Number:\n            5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:5a:01",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        // Every string type as profiled, and dateOfBirth as GeneralizedTime 1980-04-01 12:00:00Z.
        let (_, top) = run("openssl", &["asn1parse", "-in", path_str(&gid)]);
        for want in [
            "PRINTABLESTRING   :JP",
            "UTF8STRING        :セコム株式会社",
            "PRINTABLESTRING   :NTRJP-4011001040781",
            "PRINTABLESTRING   :Taro Yamada",
            "UTCTIME           :261121010000Z",
            "UTCTIME           :290228145959Z",
        ] {
            assert!(top.contains(want), "missing {want:?} in\n{top}");
        }
        let san = extension_asn1(&gid, "X509v3 Subject Alternative Name");
        for want in [
            "cont [ 1 ]",
            ":commonName",
            "UTF8STRING        :山田 太郎",
            ":streetAddress",
            "UTF8STRING        :東京都千代田区千代田1-1",
            ":description",
            "UTF8STRING        :当社を代理して契約書に署名する権限（金額の上限なし）",
        ] {
            assert!(san.contains(want), "missing {want:?} in\n{san}");
        }
        let sda = extension_asn1(&gid, "X509v3 Subject Directory Attributes");
        assert!(sda.contains("dateOfBirth") || sda.contains(":1.3.6.1.5.5.7.9.1"), "{sda}");
        assert!(sda.contains("GENERALIZEDTIME   :19800401120000Z"), "{sda}");

        let (ok, text) = run(
            "openssl",
            &["x509", "-in", path_str(&tls), "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space"],
        );
        assert!(ok, "{text}");
        for want in [
            "Subject: C=JP, ST=東京都, L=渋谷区, O=セコム株式会社\n",
            "Digital Signature\n",
            "TLS Web Server Authentication",
            "DNS:www.example.co.jp, DNS:example.co.jp",
            "Policy: 2.23.140.1.2.2\n",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }

        for cert in [&root, &issuing, &gid] {
            assert_eq!(lint(cert), "", "pkilint on {}", cert.display());
        }
        // A server certificate answers to the Forum's profile, which replaces some of RFC
        // 5280's recommendations (no subjectKeyIdentifier in a leaf).
        assert_eq!(pkilint_ov(&tls), "", "pkilint OV-FINAL-CERTIFICATE");
        assert_eq!(lint_chain(&root, &issuing), "", "pkilint root -> issuing");
        assert_eq!(lint_chain(&issuing, &gid), "", "pkilint issuing -> G-ID");
        assert_eq!(lint_chain(&issuing, &tls), "", "pkilint issuing -> TLS");
    }

    #[test]
    fn subjects_read_as_staff_write_them() {
        let gid = end_entity_subject(&gid_spec()).unwrap();
        assert_eq!(
            subject_text(&gid),
            "CN=Taro Yamada,organizationIdentifier=NTRJP-4011001040781,O=セコム株式会社,C=JP"
        );
        let tls = end_entity_subject(&tls_spec()).unwrap();
        assert_eq!(subject_text(&tls), "O=セコム株式会社,L=渋谷区,ST=東京都,C=JP");
        let odd = EndEntity { organization: Some("A, B+C".into()), ..gid_spec() };
        assert!(subject_text(&end_entity_subject(&odd).unwrap()).contains("O=A\\, B\\+C,"));
    }

    #[test]
    fn validity_is_exact_in_gmt() {
        let spec = EndEntity {
            serial: serial(3),
            not_before: jst(2024, 5, 10, 10, 30, 0),
            not_after: jst(2026, 6, 9, 23, 59, 59),
            ..gid_spec()
        };
        let dir = tempfile::tempdir().unwrap();
        let leaf = write_pem(dir.path(), "leaf.pem", &demo().ca.issue(&spec).unwrap());
        let (ok, out) = run("openssl", &["x509", "-in", path_str(&leaf), "-noout", "-dates"]);
        assert!(ok, "{out}");
        assert_eq!(out, "notBefore=May 10 01:30:00 2024 GMT\nnotAfter=Jun  9 14:59:59 2026 GMT\n");
    }

    #[test]
    fn generalized_time_from_2050() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::init_demo(dir.path(), PASS, jst(2041, 4, 1, 0, 0, 0)).unwrap();
        let spec = EndEntity {
            serial: serial(4),
            not_before: jst(2045, 1, 1, 9, 0, 0),
            not_after: jst(2051, 3, 31, 23, 59, 59),
            ..gid_spec()
        };
        let root = write_pem(dir.path(), "root.pem", &ca.chain_der[1]);
        let issuing = write_pem(dir.path(), "issuing.pem", &ca.chain_der[0]);
        let leaf = write_pem(dir.path(), "leaf.pem", &ca.issue(&spec).unwrap());
        let (_, dates) = run("openssl", &["x509", "-in", path_str(&leaf), "-noout", "-dates"]);
        assert_eq!(dates, "notBefore=Jan  1 00:00:00 2045 GMT\nnotAfter=Mar 31 14:59:59 2051 GMT\n");
        let (_, asn1) = run("openssl", &["asn1parse", "-in", path_str(&leaf)]);
        assert!(asn1.contains("UTCTIME           :450101000000Z"), "{asn1}");
        assert!(asn1.contains("GENERALIZEDTIME   :20510331145959Z"), "{asn1}");
        let (_, asn1) = run("openssl", &["asn1parse", "-in", path_str(&root)]);
        assert!(asn1.contains("GENERALIZEDTIME   :20610331150000Z"), "root until 2061: {asn1}");

        let at = jst(2046, 1, 1, 0, 0, 0).timestamp().to_string();
        let args =
            ["verify", "-attime", &at, "-CAfile", path_str(&root), "-untrusted", path_str(&issuing), path_str(&leaf)];
        let (ok, out) = run("openssl", &args);
        assert!(ok && out.contains(": OK"), "{out}");
        for cert in [&root, &issuing, &leaf] {
            assert_eq!(lint(cert), "", "pkilint on {}", cert.display());
        }
        assert_eq!(lint_chain(&issuing, &leaf), "", "pkilint issuing -> leaf");
    }

    #[test]
    fn a_key_that_does_not_decrypt_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        lay_out_demo(dir.path());
        let err = Ca::load_demo(dir.path(), "wrong passphrase").unwrap_err().to_string();
        let want = format!(
            "the CA key {} does not decrypt with the given passphrase",
            dir.path().join(DEMO_ISSUING_KEY).display()
        );
        assert_eq!(err, want);

        // The same key in a PKCS#12: loads with the passphrase, refused clearly without it.
        let ca = &demo().ca;
        let key = read_ca_key(&dir.path().join(DEMO_ISSUING_KEY), PASS).unwrap();
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(
            b"ca".to_vec(),
            p12_keystore::PrivateKey::from_der(pkcs8.as_bytes()).unwrap(),
            [p12_keystore::Certificate::from_der(&ca.chain_der[0]).unwrap()],
        );
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry("ca", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
        let p12 = dir.path().join("issuing.p12");
        fs::write(&p12, store.writer(PASS).write().unwrap()).unwrap();
        let chain_pem = dir.path().join("chain.pem");
        let chain_text = format!(
            "{}{}",
            pem("CERTIFICATE", &ca.chain_der[0]).unwrap(),
            pem("CERTIFICATE", &ca.chain_der[1]).unwrap()
        );
        fs::write(&chain_pem, chain_text).unwrap();
        let loaded = Ca::load(&chain_pem, &p12, PASS).unwrap();
        assert_eq!(loaded.key.sign_sha256(b"x").unwrap(), ca.key.sign_sha256(b"x").unwrap());
        assert!(loaded.demo, "a DEMO CA stays marked DEMO however it is loaded");
        let err = Ca::load(&chain_pem, &p12, "wrong").unwrap_err().to_string();
        assert_eq!(err, format!("the CA key {} does not decrypt with the given passphrase", p12.display()));

        // An unencrypted key is refused rather than used.
        let plain = dir.path().join("plain.key.pem");
        fs::write(&plain, key.to_pkcs8_pem(der::pem::LineEnding::LF).unwrap().as_bytes()).unwrap();
        let err = Ca::load(&chain_pem, &plain, PASS).unwrap_err().to_string();
        assert!(err.contains("is not encrypted"), "{err}");
    }

    #[test]
    fn a_key_that_does_not_match_the_certificate_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        lay_out_demo(dir.path());
        // The root certificate offered with the issuing CA's key.
        let chain = dir.path().join(DEMO_ROOT_CERT);
        let key = dir.path().join(DEMO_ISSUING_KEY);
        let err = Ca::load(&chain, &key, PASS).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "the CA key {} does not belong to the certificate CN=certbatch DEMO Root CA - NOT FOR PRODUCTION,O=certbatch demo,C=JP",
                key.display()
            )
        );
        // A chain in the wrong order is refused too.
        let reversed = dir.path().join("reversed.pem");
        let d = &demo().ca;
        fs::write(
            &reversed,
            format!("{}{}", pem("CERTIFICATE", &d.chain_der[1]).unwrap(), pem("CERTIFICATE", &d.chain_der[0]).unwrap()),
        )
        .unwrap();
        let err = Ca::load(&reversed, &key, PASS).unwrap_err().to_string();
        assert!(err.contains("is not issued by the certificate after it"), "{err}");
    }

    #[test]
    fn a_certificate_outliving_the_ca_is_refused() {
        let ca = &demo().ca;
        let spec = EndEntity { not_after: jst(2034, 1, 1, 9, 0, 0), ..gid_spec() };
        let err = ca.issue(&spec).unwrap_err().to_string();
        assert_eq!(
            err,
            "the CA CN=certbatch DEMO Issuing CA - NOT FOR PRODUCTION,O=certbatch demo,C=JP expires on \
             2034-01-01T00:00:00+09:00 before the certificate would (2034-01-01T09:00:00+09:00)"
        );
        let early = EndEntity { not_before: jst(2023, 12, 31, 0, 0, 0), ..gid_spec() };
        assert!(ca.issue(&early).unwrap_err().to_string().contains("is valid only from"));
    }

    #[test]
    fn malformed_requests_are_refused() {
        let ca = &demo().ca;
        let cases: Vec<(EndEntity, &str)> = vec![
            (EndEntity { serial: vec![0x80; 16], ..gid_spec() }, "must be positive"),
            (EndEntity { serial: vec![0x00, 0x01], ..gid_spec() }, "must not be zero"),
            (EndEntity { serial: vec![0x01; 21], ..gid_spec() }, "1 to 20 bytes"),
            (EndEntity { policy_oids: vec!["not-an-oid".into()], ..gid_spec() }, "is not an OID"),
            (EndEntity { email: Some("山田@example.jp".into()), ..gid_spec() }, "not ASCII"),
            (EndEntity { organization_identifier: Some("NTRJP_40*".into()), ..gid_spec() }, "not a PrintableString"),
            (EndEntity { common_name: "x".repeat(65), ..gid_spec() }, "at most 64"),
            (EndEntity { dns_names: vec![], ..tls_spec() }, "at least one DNS name"),
            (EndEntity { email: Some("a@example.jp".into()), ..tls_spec() }, "email has no place"),
            (EndEntity { not_after: jst(2026, 11, 21, 9, 0, 0), ..gid_spec() }, "before it starts"),
        ];
        for (spec, want) in cases {
            let err = ca.issue(&spec).unwrap_err().to_string();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
        // A romaji name PrintableString cannot hold falls back to UTF8String.
        let cert = ca.issue(&EndEntity { common_name: "Tarō Yamada".into(), ..gid_spec() }).unwrap();
        let cert = Certificate::from_der(&cert).unwrap();
        let cn = cert.tbs_certificate().subject().common_name().unwrap().unwrap();
        assert!(
            matches!(&cn, x509_cert::ext::pkix::name::DirectoryString::Utf8String(s) if s == "Tarō Yamada"),
            "{cn:?}"
        );
    }

    #[test]
    fn debug_shows_no_key_material() {
        let ca = &demo().ca;
        let shown = format!("{ca:?} {ca:#?}");
        assert!(shown.contains("[redacted]"), "{shown}");
        let chars: Vec<char> = shown.chars().collect();
        assert!(!chars.windows(24).any(|w| w.iter().all(|c| c.is_ascii_hexdigit())), "a long number leaked: {shown}");
        assert!(!shown.contains("primes") && !shown.contains("BEGIN"), "{shown}");
    }
}
