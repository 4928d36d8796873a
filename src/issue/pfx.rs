//! Subscriber keys and the PKCS#12 files that carry them, with the certificate and CA chain,
//! under the subscriber's PIN.
//!
//! Two profiles, because the software that opens these files spans a decade: `Modern` is what
//! OpenSSL 3 opens without its legacy provider; `Legacy` is what Windows Server 2016 and older
//! and some macOS versions still need.

use anyhow::{anyhow, ensure, Context, Result};
use der::referenced::OwnedToRef;
use der::Decode;
use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey, PrivateKeyChain};
use pkcs8::EncodePrivateKey;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// Which encryption and MAC a PKCS#12 file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pkcs12Profile {
    /// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for key and certificates, HMAC-SHA256 MAC.
    Modern,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, HMAC-SHA1 MAC.
    Legacy,
}

/// PKCS#12 with the key, the certificate and the CA chain, friendly name and local key id;
/// Modern = PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) + HMAC-SHA256 MAC (what OpenSSL 3 opens
/// without the legacy provider); Legacy = pbeWithSHAAnd3-KeyTripleDES-CBC + HMAC-SHA1 MAC
/// (Windows Server 2016 and older, some macOS).
///
/// `iterations` applies to both the encryption and the MAC key derivation. The friendly name
/// goes on the key bag; p12-keystore 0.4 names each certificate bag after its subject.
pub fn build_pkcs12(
    key: &RsaPrivateKey,
    cert_der: &[u8],
    chain_der: &[Vec<u8>],
    friendly_name: &str,
    pin: &str,
    profile: Pkcs12Profile,
    iterations: u32,
) -> Result<Vec<u8>> {
    ensure!(!pin.is_empty(), "a PKCS#12 needs a PIN");
    // p12-keystore stores the count as an INTEGER through i32.
    ensure!(
        (1..=i32::MAX as u32).contains(&iterations),
        "the iteration count must be between 1 and {}, not {iterations}",
        i32::MAX
    );
    ensure!(!friendly_name.is_empty(), "the friendly name is empty");
    // friendlyName is a BMPString: characters beyond U+FFFF cannot be written.
    ensure!(
        friendly_name.chars().all(|c| u32::from(c) <= 0xffff),
        "the friendly name {friendly_name:?} has characters a BMPString cannot hold"
    );

    let cert = x509_cert::Certificate::from_der(cert_der).context("the certificate is not DER X.509")?;
    let cert_key = RsaPublicKey::try_from(cert.tbs_certificate().subject_public_key_info().owned_to_ref())
        .map_err(|_| anyhow!("the certificate {} does not hold an RSA key", cert.tbs_certificate().subject()))?;
    ensure!(
        cert_key == key.to_public_key(),
        "the key does not belong to the certificate {}",
        cert.tbs_certificate().subject()
    );

    let p12_cert = |der: &[u8]| {
        p12_keystore::Certificate::from_der(der).map_err(|e| anyhow!("p12-keystore cannot read a certificate: {e}"))
    };
    let mut certs = vec![p12_cert(cert_der)?];
    for der in chain_der {
        certs.push(p12_cert(der)?);
    }
    let pkcs8 = key.to_pkcs8_der().map_err(|e| anyhow!("cannot encode the key as PKCS#8: {e}"))?;
    let private_key =
        PrivateKey::from_der(pkcs8.as_bytes()).map_err(|e| anyhow!("p12-keystore rejects the key: {e}"))?;
    // Ties the key bag to the leaf's certificate bag, as OpenSSL and Windows match them.
    let local_key_id = Sha256::digest(cert_der).to_vec();
    let mut store = KeyStore::new();
    store.add_entry(
        friendly_name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, private_key, certs)),
    );

    let (encryption, mac) = match profile {
        Pkcs12Profile::Modern => (EncryptionAlgorithm::PbeWithHmacSha256AndAes256, MacAlgorithm::HmacSha256),
        Pkcs12Profile::Legacy => (EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc, MacAlgorithm::HmacSha1),
    };
    store
        .writer(pin)
        .encryption_algorithm(encryption)
        .encryption_iterations(iterations)
        .mac_algorithm(mac)
        .mac_iterations(iterations)
        .write()
        .map_err(|e| anyhow!("cannot write the PKCS#12: {e}"))
}

/// A subscriber RSA key from the OS CSPRNG. The source is probed first so that a broken one
/// is an error, not a panic inside key generation.
pub fn generate_key(bits: usize) -> Result<RsaPrivateKey> {
    ensure!(bits >= 2048, "RSA keys under 2048 bits are not issued ({bits} asked)");
    let mut probe = [0u8; 1];
    getrandom::fill(&mut probe).map_err(|e| anyhow!("the OS random source failed: {e}"))?;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    RsaPrivateKey::new(&mut rng, bits).map_err(|e| anyhow!("cannot make an RSA-{bits} key: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;
    use std::sync::OnceLock;
    use std::time::Instant;

    // The CA module is a sibling wherever the two files live.
    use super::super::ca::{Ca, CertKind, EndEntity};

    const PIN: &str = "Ab3dEf7hJk9m";
    const FRIENDLY: &str = "山田 太郎 署名用 (certbatch DEMO)";

    struct Fixture {
        ca: Ca,
        key: RsaPrivateKey,
        cert: Vec<u8>,
    }

    /// A DEMO CA and one signing certificate, made once: RSA key generation takes seconds.
    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let jst = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
            let at = |y, mo, d, h, mi, s| chrono::TimeZone::with_ymd_and_hms(&jst, y, mo, d, h, mi, s).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let ca = Ca::init_demo(dir.path(), "ca passphrase", at(2024, 1, 1, 0, 0, 0)).unwrap();
            let key = generate_key(2048).unwrap();
            let spec = EndEntity {
                serial: vec![0x3c; 16],
                not_before: at(2026, 11, 21, 10, 0, 0),
                not_after: at(2029, 2, 28, 23, 59, 59),
                public_key: spki::SubjectPublicKeyInfoOwned::from_key(&key.to_public_key()).unwrap(),
                kind: CertKind::Signing,
                common_name: "Taro Yamada".into(),
                organization: None,
                organization_identifier: None,
                email: Some("taro.yamada@example.co.jp".into()),
                dns_names: vec![],
                kanji_name: Some("山田 太郎".into()),
                address: None,
                delegation: None,
                birth_date: None,
                locality: None,
                policy_oids: vec!["1.2.392.200081.1.1.1".into()],
                crl_url: None,
                aia_url: None,
            };
            let cert = ca.issue(&spec).unwrap();
            Fixture { ca, key, cert }
        })
    }

    fn build(profile: Pkcs12Profile, iterations: u32) -> Vec<u8> {
        let f = fixture();
        build_pkcs12(&f.key, &f.cert, &f.ca.chain_der, FRIENDLY, PIN, profile, iterations).unwrap()
    }

    fn run(program: &str, args: &[&str]) -> (bool, String) {
        let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    fn openssl_info(file: &Path, pin: &str, extra: &[&str]) -> (bool, String) {
        let pass = format!("pass:{pin}");
        let mut args = vec!["pkcs12", "-in", file.to_str().unwrap(), "-passin", &pass, "-info"];
        args.extend(extra);
        run("openssl", &args)
    }

    /// What Python's `cryptography` sees in the file: key, certificate, CA certificates and
    /// the friendly names it exposes (those of certificate bags).
    const PY_LOAD: &str = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
data = open(sys.argv[1], "rb").read()
pin = sys.argv[2].encode()
key, cert, cas = pkcs12.load_key_and_certificates(data, pin)
print("key_bits", key.key_size)
print("key_matches", key.public_key().public_numbers() == cert.public_key().public_numbers())
print("cert", cert.subject.rfc4514_string())
print("cas", len(cas))
for ca in cas:
    print("ca", ca.subject.rfc4514_string())
p = pkcs12.load_pkcs12(data, pin)
print("cert_friendly_name", p.cert.friendly_name.decode())
"#;

    fn python_load(file: &Path, pin: &str) -> (bool, String) {
        run("python3", &["-c", PY_LOAD, file.to_str().unwrap(), pin])
    }

    #[test]
    fn modern_opens_in_openssl_3_without_legacy_and_in_python() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("modern.p12");
        std::fs::write(&file, build(Pkcs12Profile::Modern, 2048)).unwrap();

        let (ok, out) = openssl_info(&file, PIN, &["-noout"]);
        assert!(ok, "{out}");
        assert!(out.contains("MAC: sha256, Iteration 2048"), "{out}");
        assert!(
            out.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"),
            "{out}"
        );
        assert!(
            out.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"),
            "{out}"
        );

        // Bag attributes: the friendly name on the key, one localKeyID shared by key and leaf.
        // OpenSSL 3.0 prints a BMPString friendlyName beyond Latin-1 as mojibake, so it is shown
        // an ASCII name; the Japanese one is read back with p12-keystore's own parser.
        let f = fixture();
        let ascii = dir.path().join("ascii.p12");
        let der =
            build_pkcs12(&f.key, &f.cert, &f.ca.chain_der, "Taro Yamada signing", PIN, Pkcs12Profile::Modern, 2048)
                .unwrap();
        std::fs::write(&ascii, der).unwrap();
        let (ok, out) = openssl_info(&ascii, PIN, &["-nodes"]);
        assert!(ok, "{out}");
        let key_bag = out.split("Key Attributes").next().unwrap().rsplit("Bag Attributes").next().unwrap();
        assert!(key_bag.contains("friendlyName: Taro Yamada signing"), "{out}");
        let ids: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("localKeyID:")).collect();
        assert_eq!(ids.len(), 2, "{out}");
        assert_eq!(ids[0].trim(), ids[1].trim());
        assert_eq!(out.matches("-----BEGIN CERTIFICATE-----").count(), 3, "{out}");

        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&std::fs::read(&file).unwrap(), PIN).unwrap();
        assert_eq!(archive.keys.len(), 1);
        assert_eq!(archive.keys[0].friendly_name.as_deref(), Some(FRIENDLY));
        let leaf_id = archive.certs[0].local_key_id.as_deref();
        assert_eq!(archive.keys[0].local_key_id.as_ref().map(|id| id.as_ref()), leaf_id);
        assert_eq!(leaf_id, Some(Sha256::digest(&f.cert).as_slice()));

        let (ok, out) = python_load(&file, PIN);
        assert!(ok, "{out}");
        for want in [
            "key_bits 2048",
            "key_matches True",
            "cert CN=Taro Yamada,C=JP",
            "cas 2",
            "ca CN=certbatch DEMO Issuing CA - NOT FOR PRODUCTION,O=certbatch demo,C=JP",
            "ca CN=certbatch DEMO Root CA - NOT FOR PRODUCTION,O=certbatch demo,C=JP",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        // p12-keystore 0.4 names certificate bags after their subject (x509-parser's form).
        assert!(out.contains("cert_friendly_name C=JP, CN=Taro Yamada"), "{out}");
        eprintln!("python cryptography:\n{out}");

        let (ok, out) = openssl_info(&file, "wrong PIN", &["-noout"]);
        assert!(!ok && out.contains("Mac verify error"), "{out}");
    }

    #[test]
    fn legacy_uses_3des_and_sha1_and_opens_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("legacy.p12");
        std::fs::write(&file, build(Pkcs12Profile::Legacy, 2048)).unwrap();

        let (ok, out) = openssl_info(&file, PIN, &["-noout", "-legacy"]);
        assert!(ok, "{out}");
        assert!(out.contains("MAC: sha1, Iteration 2048"), "{out}");
        assert!(out.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"), "{out}");
        assert!(out.contains("Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"), "{out}");
        // 3DES is in OpenSSL 3's default provider (only RC2/RC4/single DES need "legacy").
        let (ok, out) = openssl_info(&file, PIN, &["-noout"]);
        assert!(ok, "OpenSSL 3 without -legacy: {out}");

        let (ok, out) = python_load(&file, PIN);
        assert!(ok && out.contains("cas 2") && out.contains("key_matches True"), "{out}");
    }

    #[test]
    fn bad_inputs_are_refused() {
        let f = fixture();
        let other = generate_key(2048).unwrap();
        let err = build_pkcs12(&other, &f.cert, &f.ca.chain_der, FRIENDLY, PIN, Pkcs12Profile::Modern, 2048)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("the key does not belong to the certificate"), "{err}");
        let cases = [
            (FRIENDLY, "", 2048, "needs a PIN"),
            (FRIENDLY, PIN, 0, "iteration count"),
            ("", PIN, 2048, "friendly name is empty"),
            ("名前 😀", PIN, 2048, "BMPString"),
        ];
        for (name, pin, iterations, want) in cases {
            let err = build_pkcs12(&f.key, &f.cert, &f.ca.chain_der, name, pin, Pkcs12Profile::Modern, iterations)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
        assert!(generate_key(1024).is_err());
    }

    /// `cargo test --release -- --ignored --nocapture pkcs12_timing` prints the cost per file.
    #[test]
    #[ignore = "timing, run in release"]
    fn pkcs12_timing() {
        let _ = fixture();
        for profile in [Pkcs12Profile::Modern, Pkcs12Profile::Legacy] {
            for iterations in [2048, 10_000] {
                let runs = 20;
                let start = Instant::now();
                for _ in 0..runs {
                    build(profile, iterations);
                }
                let each = start.elapsed() / runs;
                eprintln!("build_pkcs12 {profile:?} at {iterations} iterations: {each:?} per file");
            }
        }
    }
}
