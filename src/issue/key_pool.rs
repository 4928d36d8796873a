//! The key pool's cryptography: RSA key pairs made ahead of time (`certbatch keys fill`) and
//! kept sealed until one certificate takes one.
//!
//! Each private key is sealed with AES-256-GCM under the pool's key-encryption key (KEK), a
//! secret kept with the CA's keys and never in the ledger; the associated data binds the
//! sealed bytes to the key's size and public-key hash, so a sealed key cannot be passed off
//! as another row's. The ledger (`ledger::key_pool`) decides which key goes to which
//! certificate, once.

use super::key_file::SecretKey;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use anyhow::{anyhow, ensure, Context, Result};
use rsa::RsaPrivateKey;
use std::path::Path;

const NONCE_LEN: usize = 12;
/// Names the format in the associated data, so a later format can never read this one's.
const AAD_LABEL: &[u8] = b"certbatch key pool v1";

/// The pool's key-encryption key.
pub struct PoolKek(SecretKey);

impl std::fmt::Debug for PoolKek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PoolKek({} [redacted])", self.id())
    }
}

impl PoolKek {
    const WHAT: &'static str = "key-pool key";

    pub fn generate() -> Result<PoolKek> {
        SecretKey::generate().map(PoolKek)
    }

    /// The KEK file at `path` (64 hex digits, 0600), made first when `create` and absent.
    pub fn open_or_create(path: &Path, create: bool) -> Result<PoolKek> {
        SecretKey::open_or_create(path, Self::WHAT, create).map(PoolKek)
    }

    /// Which KEK sealed a key; keys sealed under another one are never taken.
    pub fn id(&self) -> String {
        self.0.id()
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.0.expose_secret()).expect("AES-256 takes a 32-byte key")
    }
}

/// A private key sealed for the pool, with what the ledger keeps beside it.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    pub bits: u32,
    /// SHA-256 of the public key's SubjectPublicKeyInfo (hex): the certificate made from
    /// the key carries the same, which is how a used key is traced to its certificate.
    pub spki_sha256: String,
    pub kek_id: String,
    /// nonce ‖ AES-256-GCM(PKCS#8 DER) ‖ tag.
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedKey")
            .field("bits", &self.bits)
            .field("spki_sha256", &self.spki_sha256)
            .field("kek_id", &self.kek_id)
            .finish_non_exhaustive()
    }
}

fn aad(bits: u32, spki_sha256: &str) -> Vec<u8> {
    let mut aad = AAD_LABEL.to_vec();
    aad.extend_from_slice(&bits.to_be_bytes());
    aad.extend_from_slice(spki_sha256.as_bytes());
    aad
}

/// The SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER.
pub fn spki_sha256(key: &rsa::RsaPublicKey) -> Result<String> {
    use sha2::Digest;
    use spki::EncodePublicKey;
    let der = key.to_public_key_der().map_err(|e| anyhow!("cannot encode the public key: {e}"))?;
    Ok(crate::record::hex(&sha2::Sha256::digest(der.as_bytes())))
}

/// Seals a private key under the KEK.
pub fn seal(kek: &PoolKek, key: &RsaPrivateKey) -> Result<SealedKey> {
    use pkcs8::EncodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let bits = u32::try_from(key.size() * 8).context("an RSA key of absurd size")?;
    let spki_sha256 = spki_sha256(&key.to_public_key())?;
    let der = key.to_pkcs8_der().map_err(|e| anyhow!("cannot encode the key as PKCS#8: {e}"))?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| anyhow!("the OS random source failed: {e}"))?;
    let aad = aad(bits, &spki_sha256);
    let body = kek
        .cipher()
        .encrypt(&nonce.into(), Payload { msg: der.as_bytes(), aad: &aad })
        .map_err(|_| anyhow!("the key could not be sealed"))?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&body);
    Ok(SealedKey { bits, spki_sha256, kek_id: kek.id(), sealed })
}

/// Opens a sealed key: it must be this KEK's, authentic, and the key its row names.
pub fn unseal(kek: &PoolKek, key: &SealedKey) -> Result<RsaPrivateKey> {
    use pkcs8::DecodePrivateKey;
    ensure!(key.kek_id == kek.id(), "the pool key was sealed under KEK {}, not {}", key.kek_id, kek.id());
    ensure!(key.sealed.len() > NONCE_LEN, "the sealed pool key is truncated");
    let (nonce, body) = key.sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce's length");
    let aad = aad(key.bits, &key.spki_sha256);
    let der = zeroize::Zeroizing::new(
        kek.cipher()
            .decrypt(&nonce.into(), Payload { msg: body, aad: &aad })
            .map_err(|_| anyhow!("the sealed pool key does not open: altered, or not sealed with this KEK"))?,
    );
    let private =
        RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| anyhow!("the pool key is not a PKCS#8 RSA key: {e}"))?;
    // The AEAD already binds the hash; this guards against a sealing bug, not an attacker.
    ensure!(spki_sha256(&private.to_public_key())? == key.spki_sha256, "the pool key is not the one its row names");
    Ok(private)
}

/// A new key of `bits`, sealed: the unit of `keys fill`.
pub fn make(kek: &PoolKek, bits: usize) -> Result<SealedKey> {
    let key = super::pfx::generate_key(bits)?;
    seal(kek, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_under_its_kek_and_unaltered() {
        let kek = PoolKek::generate().unwrap();
        let sealed = make(&kek, 2048).unwrap();
        assert_eq!(sealed.bits, 2048);
        assert_eq!(sealed.kek_id, kek.id());
        let key = unseal(&kek, &sealed).unwrap();
        assert_eq!(spki_sha256(&key.to_public_key()).unwrap(), sealed.spki_sha256);

        let other = PoolKek::generate().unwrap();
        assert!(unseal(&other, &sealed).is_err(), "another KEK");
        let mut forged = sealed.clone();
        forged.kek_id = other.id();
        assert!(unseal(&other, &forged).is_err(), "another KEK, even when the row is relabelled");

        let mut flipped = sealed.clone();
        let last = flipped.sealed.len() - 1;
        flipped.sealed[last] ^= 1;
        assert!(unseal(&kek, &flipped).is_err(), "an altered byte");

        // Another key's row cannot borrow this key's sealed bytes.
        let second = make(&kek, 2048).unwrap();
        let swapped = SealedKey { sealed: sealed.sealed.clone(), ..second };
        assert!(unseal(&kek, &swapped).is_err(), "bound to its own public key");
        assert!(unseal(&kek, &SealedKey { sealed: vec![0; 5], ..sealed.clone() }).is_err(), "truncated");
    }

    #[test]
    fn the_sealed_form_shows_no_key_material() {
        let kek = PoolKek::generate().unwrap();
        let key = crate::issue::pfx::generate_key(2048).unwrap();
        let sealed = seal(&kek, &key).unwrap();
        use pkcs8::EncodePrivateKey;
        let der = key.to_pkcs8_der().unwrap();
        // No 16-byte run of the plain PKCS#8 appears in the sealed bytes.
        assert!(!der.as_bytes().windows(16).skip(40).any(|w| sealed.sealed.windows(16).any(|s| s == w)));
        let shown = format!("{sealed:?} {kek:?}");
        assert!(!shown.contains(&crate::record::hex(&sealed.sealed[..8])));
        assert!(shown.contains(&kek.id()));
    }
}
