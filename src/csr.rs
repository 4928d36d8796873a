//! PKCS#10 CSR screening for TLS server certificate applications.
//!
//! Screening needs four answers about a customer's CSR: does it parse and is it really signed by
//! the key it carries (`invalid_csr`), do its names equal the application's `domains`
//! (`csr_name_mismatch`), is the key strong enough (`weak_key`), and may each name appear in a
//! publicly-trusted TLS certificate (`invalid_domain:<name>`). This module answers them without
//! shelling out to OpenSSL, and can also build real CSRs for tests and sample data.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use der::asn1::Ia5String;
use der::pem::LineEnding;
use der::{Decode, EncodePem, Reader, SliceReader};
use rsa::{BoxedUint, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use signature::Verifier;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::builder::Builder;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, RequestBuilder};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const EXTENSION_REQUEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// Smallest RSA modulus whose signature we still verify, so that 1024-bit (or 512-bit) keys are
/// reported as weak by [`check_key`] instead of as unparseable.
const MIN_VERIFIABLE_RSA_BITS: usize = 512;

/// PEM labels under which tools emit PKCS#10 (`NEW` is Microsoft's and old Netscape's spelling).
const PEM_LABELS: [&str; 2] = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

/// Readable names for OIDs that show up in error messages, so an operator need not look them up.
const OID_NAMES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.1", "rsaEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
    ("1.2.840.10045.2.1", "id-ecPublicKey"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.132.0.35", "P-521"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.2.840.10040.4.1", "DSA"),
    ("1.2.840.10040.4.3", "dsa-with-SHA1"),
];

/// What screening needs from a CSR whose self-signature verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CsrInfo {
    /// First subject commonName, as written in the CSR (not case-folded).
    pub common_name: Option<String>,
    /// dNSNames of the subjectAltName in the extensionRequest attribute, ASCII lower-cased.
    pub dns_names: Vec<String>,
    /// Other subjectAltName entries (`IP:…`, `email:…`, `URI:…`, `other:<type>`); kept so that a
    /// CSR asking for names the application does not list cannot pass [`names_match`] silently.
    pub other_names: Vec<String>,
    /// The subject public key.
    pub key: KeyInfo,
}

/// Public key type and size, which is all the key policy looks at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyInfo {
    /// RSA with the modulus length in bits.
    Rsa { bits: usize },
    /// EC key: "P-256", "P-384", or the curve OID in dotted form.
    Ec { curve: String },
    /// Anything else, named by its algorithm OID in dotted form.
    Other { algorithm: String },
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyInfo::Rsa { bits } => write!(f, "RSA {bits} bits"),
            KeyInfo::Ec { curve } => write!(f, "EC curve {}", named(curve)),
            KeyInfo::Other { algorithm } => write!(f, "key algorithm {}", named(algorithm)),
        }
    }
}

/// Why a CSR was rejected; every variant means `invalid_csr` to screening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrError {
    /// Not PEM/DER, or the ASN.1 does not decode (the message carries der's explanation).
    Parse(String),
    /// Signature algorithm we do not verify (SHA-1, RSA-PSS, …): OID and name if known.
    UnsupportedSignatureAlgorithm(String),
    /// Key whose self-signature cannot be checked (other curves, EdDSA, tiny RSA); carried so a
    /// caller may report it as `weak_key` instead.
    UnsupportedKey(KeyInfo),
    /// The signature algorithm does not fit the key (e.g. ECDSA signature on an RSA key).
    KeyAlgorithmMismatch { signature_algorithm: String, key: KeyInfo },
    /// The self-signature is wrong: the CSR was altered or signed with another key.
    BadSignature,
    /// Building a CSR failed (key generation or encoding).
    Build(String),
}

impl fmt::Display for CsrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsrError::Parse(msg) => write!(f, "CSR does not parse: {msg}"),
            CsrError::UnsupportedSignatureAlgorithm(alg) => write!(f, "unsupported signature algorithm {alg}"),
            CsrError::UnsupportedKey(key) => write!(f, "unsupported public key: {key}"),
            CsrError::KeyAlgorithmMismatch { signature_algorithm, key } => {
                write!(f, "signature algorithm {signature_algorithm} does not fit the CSR's key ({key})")
            }
            CsrError::BadSignature => write!(f, "signature does not verify"),
            CsrError::Build(msg) => write!(f, "cannot build CSR: {msg}"),
        }
    }
}

impl std::error::Error for CsrError {}

fn parse_error(err: impl fmt::Display) -> CsrError {
    CsrError::Parse(err.to_string())
}

fn build_error(err: impl fmt::Display) -> CsrError {
    CsrError::Build(err.to_string())
}

/// Dotted OID plus its common name, e.g. `1.2.840.113549.1.1.5 (sha1WithRSAEncryption)`.
fn named(oid: &str) -> String {
    match OID_NAMES.iter().find(|(dotted, _)| *dotted == oid) {
        Some((_, name)) => format!("{oid} ({name})"),
        None => oid.to_string(),
    }
}

/// Parses a PEM or DER PKCS#10 CSR and verifies its self-signature.
///
/// PEM may be preceded by other text (as `openssl req -text` writes) and the first
/// `CERTIFICATE REQUEST` / `NEW CERTIFICATE REQUEST` block is used. Verified algorithms:
/// sha256/384/512WithRSAEncryption (PKCS#1 v1.5) and ecdsa-with-SHA256/384/512 on P-256/P-384.
/// The public key a verified CSR asks to be certified, for issuing its certificate.
pub fn verified_public_key(bytes: &[u8]) -> Result<SubjectPublicKeyInfoOwned, CsrError> {
    parse_csr(bytes)?;
    let der = csr_der(bytes)?;
    Ok(CertReq::from_der(&der).map_err(parse_error)?.info.public_key)
}

pub fn parse_csr(bytes: &[u8]) -> Result<CsrInfo, CsrError> {
    let der = csr_der(bytes)?;
    let req = CertReq::from_der(&der).map_err(parse_error)?;
    let signed = signed_bytes(&der)?;
    let key = key_info(&req.info.public_key)?;
    verify_signature(&req, signed, &key)?;

    let common_name = req.info.subject.common_name().map_err(parse_error)?.map(|cn| cn.value().into_owned());
    let (dns_names, other_names) = requested_alt_names(&req)?;
    Ok(CsrInfo { common_name, dns_names, other_names, key })
}

/// Cheap content sniff so an intake stage can recognise a CSR whatever the file is called.
///
/// True for a PEM CSR header at the start of a line, or for DER that decodes as a CSR. A PEM
/// header with a broken body still counts: the file is meant as a CSR and `parse_csr` then says
/// what is wrong with it.
pub fn is_csr(bytes: &[u8]) -> bool {
    find_pem_block(bytes).is_some() || (bytes.first() == Some(&0x30) && CertReq::from_der(bytes).is_ok())
}

/// DER of the CSR, decoding PEM when a CSR PEM block is present.
fn csr_der(bytes: &[u8]) -> Result<Cow<'_, [u8]>, CsrError> {
    if let Some(block) = find_pem_block(bytes) {
        // The PEM decoder wants the block to end right after the END line's newline.
        let mut pem = block.to_vec();
        pem.push(b'\n');
        let mut decoder = der::pem::Decoder::new_detect_wrap(&pem).map_err(|e| parse_error(format!("PEM: {e}")))?;
        let mut der = Vec::new();
        decoder.decode_to_end(&mut der).map_err(|e| parse_error(format!("PEM: {e}")))?;
        return Ok(Cow::Owned(der));
    }
    if bytes.first() == Some(&0x30) {
        return Ok(Cow::Borrowed(bytes));
    }
    if let Some(label) = first_pem_label(bytes) {
        return Err(CsrError::Parse(format!("PEM block is a {label:?}, not a CERTIFICATE REQUEST")));
    }
    Err(CsrError::Parse("neither a PEM certificate request nor DER".to_string()))
}

/// The first CSR PEM block (BEGIN line through END marker), if any.
fn find_pem_block(bytes: &[u8]) -> Option<&[u8]> {
    PEM_LABELS
        .iter()
        .filter_map(|label| {
            let begin = format!("-----BEGIN {label}-----");
            let start = find_at_line_start(bytes, begin.as_bytes())?;
            let end_marker = format!("-----END {label}-----");
            let end =
                find(&bytes[start..], end_marker.as_bytes()).map_or(bytes.len(), |i| start + i + end_marker.len());
            Some((start, end))
        })
        .min()
        .map(|(start, end)| &bytes[start..end])
}

/// Label of the first PEM block of any kind, to say what was sent instead of a CSR.
fn first_pem_label(bytes: &[u8]) -> Option<String> {
    let start = find_at_line_start(bytes, b"-----BEGIN ")? + b"-----BEGIN ".len();
    let rest = &bytes[start..];
    let len = find(rest, b"-----")?;
    Some(String::from_utf8_lossy(&rest[..len]).into_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// First occurrence of `needle` that starts a line (optionally after a UTF-8 BOM at offset 0).
fn find_at_line_start(bytes: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find(&bytes[from..], needle) {
        let pos = from + i;
        let before = &bytes[..pos];
        if before.is_empty() || before == b"\xEF\xBB\xBF" || matches!(before.last(), Some(b'\n' | b'\r')) {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

/// The CertificationRequestInfo exactly as transmitted: the signature covers these bytes, and
/// re-encoding the decoded value could differ from them.
fn signed_bytes(der: &[u8]) -> Result<&[u8], CsrError> {
    let mut reader = SliceReader::new(der).map_err(parse_error)?;
    reader
        .sequence(|r: &mut SliceReader<'_>| {
            let info = r.tlv_bytes()?;
            let rest = r.remaining_len();
            r.drain(rest)?;
            Ok::<_, der::Error>(info)
        })
        .map_err(parse_error)
}

/// Key type and size from the SubjectPublicKeyInfo.
fn key_info(spki: &SubjectPublicKeyInfoOwned) -> Result<KeyInfo, CsrError> {
    let oid = spki.algorithm.oid;
    if oid == RSA_ENCRYPTION {
        let (n, _) = rsa_components(spki)?;
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        return Ok(KeyInfo::Rsa { bits });
    }
    if oid == EC_PUBLIC_KEY {
        let params = spki
            .algorithm
            .parameters
            .as_ref()
            .ok_or_else(|| CsrError::Parse("EC public key without curve parameters".to_string()))?;
        let curve: ObjectIdentifier = params
            .decode_as()
            .map_err(|e| CsrError::Parse(format!("EC public key does not name its curve by OID: {e}")))?;
        let curve = match curve {
            SECP256R1 => "P-256".to_string(),
            SECP384R1 => "P-384".to_string(),
            other => other.to_string(),
        };
        return Ok(KeyInfo::Ec { curve });
    }
    Ok(KeyInfo::Other { algorithm: oid.to_string() })
}

/// Modulus and exponent of an RSA key, big-endian without leading zero bytes.
fn rsa_components(spki: &SubjectPublicKeyInfoOwned) -> Result<(&[u8], &[u8]), CsrError> {
    let bytes = spki_bytes(spki)?;
    let key = rsa::pkcs1::RsaPublicKeyRef::try_from(bytes).map_err(|e| parse_error(format!("RSA public key: {e}")))?;
    let strip = |b: &'_ [u8]| -> usize { b.iter().take_while(|&&x| x == 0).count() };
    let (n, e) = (key.modulus.as_bytes(), key.public_exponent.as_bytes());
    let (n, e) = (&n[strip(n)..], &e[strip(e)..]);
    if n.is_empty() || e.is_empty() {
        return Err(CsrError::Parse("RSA public key has a zero modulus or exponent".to_string()));
    }
    Ok((n, e))
}

fn spki_bytes(spki: &SubjectPublicKeyInfoOwned) -> Result<&[u8], CsrError> {
    spki.subject_public_key
        .as_bytes()
        .ok_or_else(|| CsrError::Parse("public key BIT STRING has unused bits".to_string()))
}

#[derive(Clone, Copy)]
enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(msg).to_vec(),
            HashAlg::Sha384 => Sha384::digest(msg).to_vec(),
            HashAlg::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// Checks the self-signature, which proves the requester holds the private key and that the
/// request was not altered on the way.
fn verify_signature(req: &CertReq, signed: &[u8], key: &KeyInfo) -> Result<(), CsrError> {
    let alg = req.algorithm.oid;
    let (is_rsa, hash) = match alg {
        SHA256_WITH_RSA => (true, HashAlg::Sha256),
        SHA384_WITH_RSA => (true, HashAlg::Sha384),
        SHA512_WITH_RSA => (true, HashAlg::Sha512),
        ECDSA_WITH_SHA256 => (false, HashAlg::Sha256),
        ECDSA_WITH_SHA384 => (false, HashAlg::Sha384),
        ECDSA_WITH_SHA512 => (false, HashAlg::Sha512),
        other => return Err(CsrError::UnsupportedSignatureAlgorithm(named(&other.to_string()))),
    };
    let signature =
        req.signature.as_bytes().ok_or_else(|| CsrError::Parse("signature BIT STRING has unused bits".to_string()))?;
    let mismatch = || CsrError::KeyAlgorithmMismatch { signature_algorithm: named(&alg.to_string()), key: key.clone() };
    let spki = &req.info.public_key;

    match (is_rsa, key) {
        (true, KeyInfo::Rsa { .. }) => {
            let public = rsa_public_key(spki, key)?;
            let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| CsrError::BadSignature)?;
            let verified = match hash {
                HashAlg::Sha256 => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public).verify(signed, &sig),
                HashAlg::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(public).verify(signed, &sig),
                HashAlg::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(public).verify(signed, &sig),
            };
            verified.map_err(|_| CsrError::BadSignature)
        }
        (false, KeyInfo::Ec { curve }) => {
            let point = spki_bytes(spki)?;
            // Prehash verification lets any of the three hashes pair with either curve.
            let prehash = hash.digest(signed);
            let bad_point = |e: signature::Error| CsrError::Parse(format!("EC public key point: {e}"));
            let verified = match curve.as_str() {
                "P-256" => {
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_point)?;
                    let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| CsrError::BadSignature)?;
                    vk.verify_prehash(&prehash, &sig)
                }
                "P-384" => {
                    let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad_point)?;
                    let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| CsrError::BadSignature)?;
                    vk.verify_prehash(&prehash, &sig)
                }
                _ => return Err(CsrError::UnsupportedKey(key.clone())),
            };
            verified.map_err(|_| CsrError::BadSignature)
        }
        (_, KeyInfo::Other { .. }) => Err(CsrError::UnsupportedKey(key.clone())),
        _ => Err(mismatch()),
    }
}

/// RSA key for verification; accepts moduli down to 512 bits so the size can be judged by policy.
fn rsa_public_key(spki: &SubjectPublicKeyInfoOwned, key: &KeyInfo) -> Result<RsaPublicKey, CsrError> {
    let (n, e) = rsa_components(spki)?;
    let n = BoxedUint::from_be_slice_vartime(n);
    let e = BoxedUint::from_be_slice_vartime(e);
    RsaPublicKey::new_with_size_limits(n, e, MIN_VERIFIABLE_RSA_BITS..=RsaPublicKey::MAX_SIZE).map_err(
        |err| match err {
            rsa::Error::ModulusTooSmall | rsa::Error::ModulusTooLarge => CsrError::UnsupportedKey(key.clone()),
            other => CsrError::Parse(format!("RSA public key is invalid: {other}")),
        },
    )
}

/// subjectAltName entries from the extensionRequest attribute: (dNSNames lower-cased, others).
fn requested_alt_names(req: &CertReq) -> Result<(Vec<String>, Vec<String>), CsrError> {
    let mut san: Option<SubjectAltName> = None;
    for attr in req.info.attributes.iter().filter(|a| a.oid == EXTENSION_REQUEST) {
        for value in attr.values.iter() {
            let extensions: Vec<Extension> =
                value.decode_as().map_err(|e| parse_error(format!("extensionRequest attribute: {e}")))?;
            for ext in extensions.iter().filter(|ext| ext.extn_id == SUBJECT_ALT_NAME) {
                if san.is_some() {
                    return Err(CsrError::Parse("more than one subjectAltName extension".to_string()));
                }
                let parsed = SubjectAltName::from_der(ext.extn_value.as_bytes())
                    .map_err(|e| parse_error(format!("subjectAltName: {e}")))?;
                san = Some(parsed);
            }
        }
    }

    let mut dns_names = Vec::new();
    let mut other_names = Vec::new();
    for name in san.map(|san| san.0).unwrap_or_default() {
        match name {
            GeneralName::DnsName(dns) => dns_names.push(dns.as_str().to_ascii_lowercase()),
            GeneralName::IpAddress(ip) => other_names.push(format!("IP:{}", ip_text(ip.as_bytes()))),
            GeneralName::Rfc822Name(mail) => other_names.push(format!("email:{}", mail.as_str())),
            GeneralName::UniformResourceIdentifier(uri) => other_names.push(format!("URI:{}", uri.as_str())),
            GeneralName::OtherName(other) => other_names.push(format!("otherName:{}", other.type_id)),
            GeneralName::DirectoryName(dn) => other_names.push(format!("dirName:{dn}")),
            GeneralName::RegisteredId(oid) => other_names.push(format!("registeredID:{oid}")),
            GeneralName::EdiPartyName(_) => other_names.push("ediPartyName".to_string()),
        }
    }
    Ok((dns_names, other_names))
}

fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return std::net::Ipv4Addr::from(v4).to_string();
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        return std::net::Ipv6Addr::from(v6).to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Applies the product key policy: RSA of at least `min_rsa_bits` (and, as the Baseline
/// Requirements demand, a multiple of 8), or EC on one of `curves` ("P-256", "P-384").
pub fn check_key(key: &KeyInfo, min_rsa_bits: usize, curves: &[&str]) -> Result<(), String> {
    match key {
        KeyInfo::Rsa { bits } if *bits < min_rsa_bits => {
            Err(format!("RSA key is {bits} bits; at least {min_rsa_bits} bits are required"))
        }
        KeyInfo::Rsa { bits } if bits % 8 != 0 => Err(format!("RSA key is {bits} bits, which is not a multiple of 8")),
        KeyInfo::Rsa { .. } => Ok(()),
        KeyInfo::Ec { curve } if curves.contains(&curve.as_str()) => Ok(()),
        KeyInfo::Ec { curve } if curves.is_empty() => Err(format!("EC keys are not accepted (curve {})", named(curve))),
        KeyInfo::Ec { curve } => {
            Err(format!("EC curve {} is not accepted; allowed: {}", named(curve), curves.join(", ")))
        }
        KeyInfo::Other { algorithm } => Err(format!("key algorithm {} is not accepted", named(algorithm))),
    }
}

/// TLDs and special-use names that never reach the public DNS (RFC 2606, 6761, 6762, 7686,
/// 8375, 9476, ICANN's name-collision list), plus the retired IDN test TLDs such as
/// `xn--zckzah` (テスト, "test" in Japanese).
const NON_PUBLIC_TLDS: &[&str] = &[
    "local",
    "localhost",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "test",
    "example",
    "invalid",
    "onion",
    "arpa",
    "alt",
    "xn--kgbechtv",
    "xn--hgbk6aj7f53bba",
    "xn--0zwm56d",
    "xn--g6w251d",
    "xn--80akhbyknj4f",
    "xn--11b5bs3a9aj6g",
    "xn--jxalpdlp",
    "xn--9t4b11yi5a",
    "xn--deba0ad",
    "xn--zckzah",
    "xn--hlcj6aya9esc7a",
];

/// Second-level domains reserved for documentation (RFC 2606).
const RESERVED_SLDS: &[&str] = &["example.com", "example.net", "example.org"];

/// Checks that `name` may be a dNSName in a publicly-trusted TLS certificate (CA/B Forum
/// Baseline Requirements 7.1.2.7.12 and 4.2.2 — internal names are forbidden).
///
/// Rules: ASCII only (IDNs must come as `xn--` A-labels; the punycode itself is not decoded);
/// letters compared case-insensitively; LDH labels of 1-63 characters, no leading or trailing
/// hyphen, no underscore, no `??--` label except `xn--`; at most 253 characters; at least two
/// labels; no trailing dot (BR: the root label must not be encoded); no IP literal; the TLD
/// alphabetic or `xn--`; no internal/reserved TLD or documentation domain; not itself a
/// public suffix of the Public Suffix List; a wildcard only as the whole leftmost label and
/// above a registrable domain (`*.example.co.jp` yes; `*.com`, `*.co.jp`, `*.lg.jp`,
/// `www.*.example.com`, `w*.example.com` no).
pub fn check_public_dns_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_string());
    }
    if !name.is_ascii() {
        return Err(format!(
            "{name:?} contains non-ASCII characters; internationalised names must be given in punycode (xn--) form"
        ));
    }
    let name = name.to_ascii_lowercase();
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!("{name} is an IP address, not a domain name"));
    }
    if name.ends_with('.') {
        return Err(format!("{name} ends with a dot; the root label must not be included"));
    }
    if name.len() > 253 {
        return Err(format!("{name} is {} characters long; at most 253 are allowed", name.len()));
    }

    let labels: Vec<&str> = name.split('.').collect();
    let wildcard = labels.first() == Some(&"*");
    for (i, label) in labels.iter().enumerate() {
        check_label(&name, label, i == 0 && wildcard)?;
    }
    let base = if wildcard { &labels[1..] } else { &labels[..] };

    let tld = base.last().copied().unwrap_or_default();
    if name == "localhost" || NON_PUBLIC_TLDS.contains(&tld) {
        return Err(format!("{name} is an internal name (.{tld} is not a public top-level domain)"));
    }
    if base.len() < 2 {
        return Err(if wildcard {
            format!("{name}: a wildcard must be followed by a registrable domain (e.g. *.example.com)")
        } else {
            format!("{name} has a single label; a public name needs at least two")
        });
    }
    let is_punycode = tld.len() > 4 && tld.starts_with("xn--");
    let is_alphabetic = tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic());
    if !(is_punycode || is_alphabetic) {
        return Err(format!("{name}: top-level domain {tld:?} must be alphabetic or xn-- punycode"));
    }
    let last_two = base[base.len() - 2..].join(".");
    if RESERVED_SLDS.contains(&last_two.as_str()) {
        return Err(format!("{name} is under {last_two}, which is reserved for documentation"));
    }
    // The Public Suffix List (the psl crate): a name that is itself a public suffix (co.jp,
    // com.au, lg.jp, github.io) is not a registrable domain, and a wildcard may not sit
    // directly below one (BR 3.2.2.6).
    let base_name = base.join(".");
    if psl::suffix_str(&base_name) == Some(base_name.as_str()) {
        return Err(if wildcard {
            format!("{name}: a wildcard may not sit directly below the public suffix {base_name}")
        } else {
            format!("{name} is a public suffix, not a registrable domain")
        });
    }
    Ok(())
}

/// One label of a lower-cased ASCII name; `wildcard` allows the single leftmost `*`.
fn check_label(name: &str, label: &str, wildcard: bool) -> Result<(), String> {
    if wildcard {
        return Ok(());
    }
    if label.is_empty() {
        return Err(format!("{name} has an empty label"));
    }
    if label.contains('*') {
        return Err(format!("{name}: a wildcard is only allowed as the whole leftmost label"));
    }
    if label.len() > 63 {
        return Err(format!("{name}: label {label:?} is {} characters long; at most 63 are allowed", label.len()));
    }
    if label.contains('_') {
        return Err(format!("{name}: underscores are not allowed"));
    }
    if let Some(bad) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!("{name}: character {bad:?} is not allowed"));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(format!("{name}: label {label:?} starts or ends with a hyphen"));
    }
    if label.get(2..4) == Some("--") && !label.starts_with("xn--") {
        return Err(format!("{name}: label {label:?} is a reserved LDH label (only xn-- may have -- there)"));
    }
    Ok(())
}

/// Checks that the CSR asks for exactly the application's `domains` (case-insensitive, order
/// and duplicates ignored). The CSR's names are its SAN dNSNames, or its CN when it has no SAN;
/// a CN must also be one of the domains, and non-DNS SAN entries are always extra.
pub fn names_match(csr: &CsrInfo, domains: &[String]) -> Result<(), String> {
    let wanted: BTreeSet<String> = domains.iter().map(|d| d.trim().to_ascii_lowercase()).collect();
    let cn = csr.common_name.as_ref().map(|cn| cn.trim().to_ascii_lowercase());
    let have: BTreeSet<String> = if csr.dns_names.is_empty() {
        cn.iter().cloned().collect()
    } else {
        csr.dns_names.iter().map(|d| d.to_ascii_lowercase()).collect()
    };

    let mut problems = Vec::new();
    if have.is_empty() && csr.other_names.is_empty() {
        problems.push("the CSR has no DNS name (neither subjectAltName dNSNames nor a CN)".to_string());
    }
    let extra: Vec<&str> =
        have.difference(&wanted).map(String::as_str).chain(csr.other_names.iter().map(String::as_str)).collect();
    if !extra.is_empty() {
        problems.push(format!("in the CSR but not in the application: {}", extra.join(", ")));
    }
    let missing: Vec<&str> = wanted.difference(&have).map(String::as_str).collect();
    if !missing.is_empty() {
        problems.push(format!("in the application but not in the CSR: {}", missing.join(", ")));
    }
    if let Some(cn) = cn.filter(|cn| !csr.dns_names.is_empty() && !wanted.contains(cn)) {
        problems.push(format!("CN {cn} is not one of the application's domains"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Generates an RSA key of `bits` and a CSR for it (see [`build_csr_pem_with_key`]).
pub fn build_csr_pem<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    bits: usize,
    common_name: &str,
    dns_names: &[&str],
) -> Result<(String, RsaPrivateKey), CsrError> {
    let key = RsaPrivateKey::new(rng, bits).map_err(|e| CsrError::Build(format!("RSA key generation: {e}")))?;
    let pem = build_csr_pem_with_key(&key, common_name, dns_names)?;
    Ok((pem, key))
}

/// Builds a PEM CSR for `key`: subject `CN=common_name` (empty subject if it is empty), a
/// subjectAltName of `dns_names` in the extensionRequest, signed sha256WithRSAEncryption.
/// PKCS#1 v1.5 is deterministic, so the same key and names give the same bytes.
pub fn build_csr_pem_with_key(key: &RsaPrivateKey, common_name: &str, dns_names: &[&str]) -> Result<String, CsrError> {
    let subject = if common_name.is_empty() {
        Name::default()
    } else {
        Name::from_str(&format!("CN={}", escape_rdn_value(common_name))).map_err(build_error)?
    };
    let mut builder = RequestBuilder::new(subject).map_err(build_error)?;
    if !dns_names.is_empty() {
        let names = dns_names
            .iter()
            .map(|n| Ia5String::new(n).map(GeneralName::DnsName))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CsrError::Build(format!("DNS name is not IA5 (ASCII): {e}")))?;
        builder.add_extension(&SubjectAltName(names)).map_err(build_error)?;
    }
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let req = builder.build::<_, rsa::pkcs1v15::Signature>(&signer).map_err(build_error)?;
    req.to_pem(LineEnding::LF).map_err(build_error)
}

/// Hex-escapes everything but unreserved characters so any CN survives the RFC 4514 parser.
fn escape_rdn_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b'_') {
                (b as char).to_string()
            } else {
                format!("\\{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::sync::OnceLock;

    const CN: &str = "www.example.co.jp";
    const SANS: &[&str] = &["www.example.co.jp", "example.co.jp"];

    /// One generated key for all tests: RSA key generation is slow in debug builds.
    fn generated() -> &'static (String, RsaPrivateKey) {
        static CSR: OnceLock<(String, RsaPrivateKey)> = OnceLock::new();
        CSR.get_or_init(|| {
            let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
            build_csr_pem(&mut rng, 2048, CN, SANS).expect("build CSR")
        })
    }

    fn openssl_csr(args: &[&str]) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(["req", "-new", "-nodes", "-keyout", "/dev/null"])
            .args(args)
            .output()
            .expect("run openssl (OpenSSL 3 must be installed)");
        assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    fn openssl_rsa(extra: &[&str]) -> Vec<u8> {
        let san = format!("subjectAltName={}", SANS.iter().map(|s| format!("DNS:{s}")).collect::<Vec<_>>().join(","));
        let mut args = vec!["-newkey", "rsa:2048", "-subj", "/CN=www.example.co.jp", "-addext", &san];
        args.extend_from_slice(extra);
        openssl_csr(&args)
    }

    fn pem_to_der(pem: &[u8]) -> Vec<u8> {
        der::pem::decode_vec(pem).expect("test PEM decodes").1
    }

    fn der_to_pem(der: &[u8], label: &str) -> Vec<u8> {
        der::pem::encode_string(label, LineEnding::LF, der).expect("encode PEM").into_bytes()
    }

    fn info(common_name: Option<&str>, dns: &[&str], key: KeyInfo) -> CsrInfo {
        CsrInfo {
            common_name: common_name.map(str::to_string),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            other_names: Vec::new(),
            key,
        }
    }

    fn rsa(bits: usize) -> KeyInfo {
        KeyInfo::Rsa { bits }
    }

    fn ec(curve: &str) -> KeyInfo {
        KeyInfo::Ec { curve: curve.to_string() }
    }

    #[test]
    fn parse_csr_table() {
        let (pem, _) = generated();
        let der = pem_to_der(pem.as_bytes());

        let mut sig_flipped = der.clone();
        *sig_flipped.last_mut().unwrap() ^= 0x01;
        let mut subject_flipped = der.clone();
        let at = find(&subject_flipped, CN.as_bytes()).unwrap();
        subject_flipped[at] ^= 0x01;

        let mut with_preamble = b"Certificate Request:\r\n  (text)\r\n".to_vec();
        with_preamble.extend(pem.replace('\n', "\r\n").as_bytes());
        with_preamble.extend(b"\r\n\r\ntrailing text\r\n");

        let openssl_der = openssl_rsa(&["-outform", "DER"]);
        let ec_p256 =
            openssl_csr(&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-subj", "/CN=ec.example.jp"]);
        let ec_p384 = openssl_csr(&[
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-sha384",
            "-subj",
            "/CN=ec.example.jp",
            "-addext",
            "subjectAltName=DNS:EC.Example.JP,IP:192.0.2.1",
        ]);
        let ec_p521 =
            openssl_csr(&["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-subj", "/CN=a.example.jp"]);
        let rsa1024 = openssl_csr(&["-newkey", "rsa:1024", "-subj", "/CN=old.example.jp"]);
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec();

        let full = |key: KeyInfo| Ok(info(Some(CN), SANS, key));
        let cases: &[(&str, Vec<u8>, Result<CsrInfo, &str>)] = &[
            ("generated PEM", pem.as_bytes().to_vec(), full(rsa(2048))),
            ("generated DER", der.clone(), full(rsa(2048))),
            ("NEW CERTIFICATE REQUEST label", der_to_pem(&der, "NEW CERTIFICATE REQUEST"), full(rsa(2048))),
            ("CRLF with text around", with_preamble, full(rsa(2048))),
            ("signature byte flipped", sig_flipped.clone(), Err("signature does not verify")),
            ("signature byte flipped, PEM", der_to_pem(&sig_flipped, "CERTIFICATE REQUEST"), Err("does not verify")),
            ("subject byte flipped", subject_flipped, Err("signature does not verify")),
            ("openssl RSA 2048", openssl_rsa(&[]), full(rsa(2048))),
            ("openssl RSA sha384", openssl_rsa(&["-sha384"]), full(rsa(2048))),
            ("openssl RSA sha512", openssl_rsa(&["-sha512"]), full(rsa(2048))),
            ("openssl DER", openssl_der, full(rsa(2048))),
            ("openssl EC P-256", ec_p256, Ok(info(Some("ec.example.jp"), &[], ec("P-256")))),
            (
                "openssl EC P-384 sha384 with IP SAN",
                ec_p384,
                Ok(CsrInfo {
                    other_names: vec!["IP:192.0.2.1".to_string()],
                    ..info(Some("ec.example.jp"), &["ec.example.jp"], ec("P-384"))
                }),
            ),
            ("openssl RSA 1024", rsa1024, Ok(info(Some("old.example.jp"), &[], rsa(1024)))),
            ("openssl EC P-521", ec_p521, Err("unsupported public key: EC curve 1.3.132.0.35 (P-521)")),
            (
                "openssl sha1",
                openssl_rsa(&["-sha1"]),
                Err("unsupported signature algorithm 1.2.840.113549.1.1.5 (sha1WithRSAEncryption)"),
            ),
            (
                "openssl RSA-PSS",
                openssl_rsa(&["-sigopt", "rsa_padding_mode:pss"]),
                Err("unsupported signature algorithm 1.2.840.113549.1.1.10 (RSASSA-PSS)"),
            ),
            ("garbage", b"\x00\x01garbage\xff".to_vec(), Err("neither a PEM certificate request nor DER")),
            ("empty", Vec::new(), Err("CSR does not parse")),
            ("truncated DER", der[..der.len() / 2].to_vec(), Err("CSR does not parse: ")),
            ("DER with trailing byte", [der.as_slice(), &[0]].concat(), Err("CSR does not parse: ")),
            ("certificate PEM", cert, Err("PEM block is a \"CERTIFICATE\", not a CERTIFICATE REQUEST")),
            (
                "PEM with bad base64",
                b"-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n".to_vec(),
                Err("CSR does not parse: PEM"),
            ),
            (
                "PEM without END",
                b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n".to_vec(),
                Err("CSR does not parse: PEM"),
            ),
        ];

        for (name, input, expected) in cases {
            let got = parse_csr(input);
            match (expected, &got) {
                (Ok(want), Ok(got)) => assert_eq!(got, want, "case {name}"),
                (Err(want), Err(err)) => {
                    assert!(
                        err.to_string().contains(want),
                        "case {name}: error {err:?} ({err}) should contain {want:?}"
                    )
                }
                _ => panic!("case {name}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn is_csr_table() {
        let (pem, _) = generated();
        let der = pem_to_der(pem.as_bytes());
        let cases: &[(&str, Vec<u8>, bool)] = &[
            ("PEM", pem.as_bytes().to_vec(), true),
            ("DER", der.clone(), true),
            ("NEW label", der_to_pem(&der, "NEW CERTIFICATE REQUEST"), true),
            ("BOM then PEM", [b"\xEF\xBB\xBF".as_slice(), pem.as_bytes()].concat(), true),
            ("PNG header", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(), false),
            ("text", b"Please issue a certificate for www.example.co.jp.\n".to_vec(), false),
            ("header mid-line", b"see -----BEGIN CERTIFICATE REQUEST----- here".to_vec(), false),
            ("certificate PEM", b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec(), false),
            ("DER that is not a CSR", vec![0x30, 0x03, 0x02, 0x01, 0x00], false),
            ("empty", Vec::new(), false),
        ];
        for (name, input, expected) in cases {
            assert_eq!(is_csr(input), *expected, "case {name}");
        }
    }

    #[test]
    fn build_csr_round_trips() {
        let (pem, key) = generated();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"), "PEM header: {pem}");
        let again = build_csr_pem_with_key(key, CN, SANS).expect("rebuild");
        assert_eq!(&again, pem, "PKCS#1 v1.5 signing is deterministic");

        let cases: &[(&str, &str, &[&str], CsrInfo)] = &[
            ("CN only", "www.example.jp", &[], info(Some("www.example.jp"), &[], rsa(2048))),
            ("no CN", "", &["a.example.jp"], info(None, &["a.example.jp"], rsa(2048))),
            (
                "SAN lower-cased",
                "A.Example.JP",
                &["A.Example.JP"],
                info(Some("A.Example.JP"), &["a.example.jp"], rsa(2048)),
            ),
            ("RFC 4514 specials in CN", "a,b+c=\"d\"\\ #", &[], info(Some("a,b+c=\"d\"\\ #"), &[], rsa(2048))),
            ("non-ASCII CN", "例え", &[], info(Some("例え"), &[], rsa(2048))),
        ];
        for (name, cn, sans, expected) in cases {
            let pem = build_csr_pem_with_key(key, cn, sans).unwrap_or_else(|e| panic!("case {name}: {e}"));
            assert_eq!(parse_csr(pem.as_bytes()).as_ref(), Ok(expected), "case {name}");
        }
        let err = build_csr_pem_with_key(key, "x", &["例え.jp"]).expect_err("non-IA5 SAN");
        assert!(err.to_string().starts_with("cannot build CSR: DNS name is not IA5"), "{err}");
    }

    #[test]
    fn check_key_table() {
        let curves = ["P-256", "P-384"];
        type Case<'a> = (&'a str, KeyInfo, &'a [&'a str], Result<(), &'a str>);
        let cases: &[Case] = &[
            ("RSA 2048", rsa(2048), &curves, Ok(())),
            ("RSA 4096", rsa(4096), &curves, Ok(())),
            ("RSA 1024", rsa(1024), &curves, Err("RSA key is 1024 bits; at least 2048 bits are required")),
            ("RSA 2047", rsa(2047), &curves, Err("at least 2048")),
            ("RSA 2052", rsa(2052), &curves, Err("not a multiple of 8")),
            ("P-256", ec("P-256"), &curves, Ok(())),
            ("P-384", ec("P-384"), &curves, Ok(())),
            ("P-384 not allowed", ec("P-384"), &["P-256"], Err("EC curve P-384 is not accepted; allowed: P-256")),
            ("P-521", ec("1.3.132.0.35"), &curves, Err("EC curve 1.3.132.0.35 (P-521) is not accepted")),
            ("EC with no curves", ec("P-256"), &[], Err("EC keys are not accepted")),
            (
                "Ed25519",
                KeyInfo::Other { algorithm: "1.3.101.112".to_string() },
                &curves,
                Err("key algorithm 1.3.101.112 (Ed25519) is not accepted"),
            ),
        ];
        for (name, key, curves, expected) in cases {
            let got = check_key(key, 2048, curves);
            match expected {
                Ok(()) => assert_eq!(got, Ok(()), "case {name}"),
                Err(want) => {
                    let err = got.expect_err(name);
                    assert!(err.contains(want), "case {name}: {err:?} should contain {want:?}");
                }
            }
        }
    }

    #[test]
    fn check_public_dns_name_table() {
        let long_label = format!("{}.example.jp", "a".repeat(64));
        let label63 = format!("{}.example.jp", "a".repeat(63));
        let too_long = format!("{}example.jp", "abcdefghi.".repeat(25));
        let cases: &[(&str, &str, Result<(), &str>)] = &[
            ("www", "www.example.co.jp", Ok(())),
            ("apex", "example.jp", Ok(())),
            ("wildcard", "*.example.co.jp", Ok(())),
            ("wildcard under a gTLD", "*.secom.net", Ok(())),
            ("upper case", "WWW.Example.CO.JP", Ok(())),
            ("punycode", "xn--eckwd4c7c.xn--tckwe", Ok(())),
            ("punycode label under jp", "xn--r8jz45g.jp", Ok(())),
            ("digits and hyphens", "a-1.0day.example.jp", Ok(())),
            ("63-char label", &label63, Ok(())),
            ("IDN test TLD", "xn--eckwd4c7c.xn--zckzah", Err("internal name")),
            ("localhost", "localhost", Err("internal name")),
            ("localhost TLD", "www.localhost", Err("internal name")),
            (".local", "server.local", Err("internal name (.local")),
            (".internal", "db.internal", Err("internal name")),
            (".corp", "mail.corp", Err("internal name")),
            (".home.arpa", "printer.home.arpa", Err("internal name")),
            ("example.com apex", "example.com", Err("reserved for documentation")),
            ("under example.com", "www.example.com", Err("reserved for documentation")),
            ("example.org wildcard", "*.example.org", Err("reserved for documentation")),
            ("IPv4", "192.168.0.1", Err("IP address")),
            ("IPv6", "2001:db8::1", Err("IP address")),
            ("bracketed IPv6", "[::1]", Err("IP address")),
            ("numeric TLD", "1.2.3", Err("must be alphabetic")),
            ("underscore", "a_b.example.jp", Err("underscores are not allowed")),
            ("leading hyphen", "-a.example.jp", Err("starts or ends with a hyphen")),
            ("trailing hyphen", "a-.example.jp", Err("starts or ends with a hyphen")),
            ("reserved LDH label", "ab--cd.example.jp", Err("reserved LDH label")),
            ("single label", "example", Err("internal name")),
            ("single public-looking label", "intranetbox", Err("single label")),
            ("wildcard on TLD", "*.com", Err("wildcard must be followed by a registrable domain")),
            ("wildcard on co.jp", "*.co.jp", Err("public suffix co.jp")),
            ("wildcard on com.au", "*.com.au", Err("public suffix com.au")),
            ("public suffix itself", "co.jp", Err("is a public suffix")),
            ("wildcard on lg.jp (from the Public Suffix List)", "*.lg.jp", Err("public suffix lg.jp")),
            ("a suffix by a PSL wildcard rule", "*.foo.kawasaki.jp", Err("public suffix foo.kawasaki.jp")),
            ("a city under a PSL exception is registrable", "www.city.kawasaki.jp", Ok(())),
            ("wildcard not leftmost", "www.*.example.jp", Err("wildcard is only allowed as the whole leftmost label")),
            ("partial wildcard", "w*.example.jp", Err("wildcard is only allowed")),
            ("double wildcard", "*.*.example.jp", Err("wildcard is only allowed")),
            ("bare wildcard", "*", Err("wildcard must be followed")),
            ("64-char label", &long_label, Err("at most 63")),
            ("over 253", &too_long, Err("at most 253")),
            ("non-ASCII", "例え.jp", Err("punycode")),
            ("trailing dot", "www.example.jp.", Err("ends with a dot")),
            ("empty label", "www..example.jp", Err("empty label")),
            ("leading dot", ".example.jp", Err("empty label")),
            ("space", "www example.jp", Err("not allowed")),
            ("empty", "", Err("empty")),
        ];
        assert!(too_long.len() > 253 && label63.len() < 253, "fixture lengths");
        for (case, input, expected) in cases {
            let got = check_public_dns_name(input);
            match expected {
                Ok(()) => assert_eq!(got, Ok(()), "case {case}"),
                Err(want) => {
                    let err = got.expect_err(case);
                    assert!(err.contains(want), "case {case}: {err:?} should contain {want:?}");
                }
            }
        }
    }

    #[test]
    fn names_match_table() {
        let domains = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let with_ip =
            CsrInfo { other_names: vec!["IP:192.0.2.1".to_string()], ..info(Some("a.jp"), &["a.jp"], rsa(2048)) };
        type Case<'a> = (&'a str, CsrInfo, Vec<String>, Result<(), &'a [&'a str]>);
        let cases: &[Case] = &[
            (
                "same set other order",
                info(Some(CN), SANS, rsa(2048)),
                domains(&["example.co.jp", "WWW.example.co.jp"]),
                Ok(()),
            ),
            ("duplicates ignored", info(Some(CN), &[CN, CN], rsa(2048)), domains(&[CN]), Ok(())),
            (
                "extra SAN",
                info(Some(CN), &[CN, "mail.example.co.jp"], rsa(2048)),
                domains(&[CN]),
                Err(&["in the CSR but not in the application: mail.example.co.jp"]),
            ),
            (
                "missing SAN",
                info(Some(CN), &[CN], rsa(2048)),
                domains(&[CN, "example.co.jp"]),
                Err(&["in the application but not in the CSR: example.co.jp"]),
            ),
            (
                "extra and missing",
                info(None, &["a.jp", "b.jp"], rsa(2048)),
                domains(&["b.jp", "c.jp"]),
                Err(&["not in the application: a.jp", "not in the CSR: c.jp"]),
            ),
            (
                "CN not among domains",
                info(Some("other.example.co.jp"), &[CN], rsa(2048)),
                domains(&[CN]),
                Err(&["CN other.example.co.jp is not one of the application's domains"]),
            ),
            ("no SAN, CN equals domain", info(Some("WWW.example.co.jp"), &[], rsa(2048)), domains(&[CN]), Ok(())),
            (
                "no SAN, CN differs",
                info(Some("a.jp"), &[], rsa(2048)),
                domains(&["b.jp"]),
                Err(&["not in the application: a.jp", "not in the CSR: b.jp"]),
            ),
            (
                "no names at all",
                info(None, &[], rsa(2048)),
                domains(&["b.jp"]),
                Err(&["no DNS name", "not in the CSR: b.jp"]),
            ),
            ("IP SAN is extra", with_ip, domains(&["a.jp"]), Err(&["not in the application: IP:192.0.2.1"])),
        ];
        for (name, csr, domains, expected) in cases {
            let got = names_match(csr, domains);
            match expected {
                Ok(()) => assert_eq!(got, Ok(()), "case {name}"),
                Err(wants) => {
                    let err = got.expect_err(name);
                    for want in *wants {
                        assert!(err.contains(want), "case {name}: {err:?} should contain {want:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn error_messages_are_plain_english() {
        let cases: &[(&str, CsrError, &str)] = &[
            ("parse", CsrError::Parse("ASN.1 error".to_string()), "CSR does not parse: ASN.1 error"),
            ("signature", CsrError::BadSignature, "signature does not verify"),
            (
                "algorithm",
                CsrError::UnsupportedSignatureAlgorithm(named("1.2.840.10045.4.1")),
                "unsupported signature algorithm 1.2.840.10045.4.1 (ecdsa-with-SHA1)",
            ),
            ("key", CsrError::UnsupportedKey(rsa(384)), "unsupported public key: RSA 384 bits"),
            (
                "mismatch",
                CsrError::KeyAlgorithmMismatch { signature_algorithm: named("1.2.840.10045.4.3.2"), key: rsa(2048) },
                "signature algorithm 1.2.840.10045.4.3.2 (ecdsa-with-SHA256) does not fit the CSR's key (RSA 2048 bits)",
            ),
        ];
        for (name, err, expected) in cases {
            assert_eq!(err.to_string(), *expected, "case {name}");
        }
    }
}
