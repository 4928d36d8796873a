//! The two secrets of a certificate: the PIN that protects its PKCS#12 and the 8-digit
//! download password.
//!
//! Both come from the OS CSPRNG, live in zeroizing buffers, print as `[redacted]`, and are
//! read only through `expose_secret()`, so `grep expose_secret` finds every use: the
//! PKCS#12 writer and the letter writer. By law the CA may not keep the PIN (seed 003);
//! nothing here is ever written to the ledger, a log or a CSV.

use anyhow::{Context, Result};
use zeroize::Zeroizing;

/// Letters and digits staff and applicants cannot confuse when copying from paper: no
/// 0/O, 1/l/I.
const PIN_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";

/// Uniform draws from `alphabet` by rejection sampling, so no symbol is favoured.
fn draw(alphabet: &[u8], len: usize) -> Result<Zeroizing<String>> {
    let limit = 256 - (256 % alphabet.len());
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < len {
        getrandom::fill(&mut buf[..]).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
        for &b in buf.iter() {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The PIN of a PKCS#12 file (12 characters, about 70 bits).
pub struct Pin(Zeroizing<String>);

/// The 8-digit download password (seed 000 §2.5).
pub struct DownloadPassword(Zeroizing<String>);

impl Pin {
    pub const LEN: usize = 12;

    pub fn generate() -> Result<Pin> {
        draw(PIN_ALPHABET, Self::LEN).map(Pin).context("cannot make a PIN")
    }

    /// A card's user PIN: `len` digits, as a card's PIN pad takes them.
    pub fn digits(len: usize) -> Result<Pin> {
        draw(b"0123456789", len).map(Pin).context("cannot make a card PIN")
    }

    /// The PIN itself. Only the PKCS#12 writer, the card station and the PIN letter may
    /// call this.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl DownloadPassword {
    pub fn generate() -> Result<DownloadPassword> {
        draw(b"0123456789", 8).map(DownloadPassword).context("cannot make a download password")
    }

    /// The password itself. Only the password letter and its hash may use this.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

impl std::fmt::Debug for DownloadPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DownloadPassword([redacted])")
    }
}

/// The secret key of the download-password hash, kept with the CA's keys and never in the
/// ledger (contract §5). An 8-digit password has 10^8 values: a slow hash costs us tens of
/// milliseconds a certificate and an attacker holding the ledger only days on a GPU;
/// without this key the ledger's hashes reveal nothing at any speed.
pub struct PasswordKey(super::key_file::SecretKey);

impl std::fmt::Debug for PasswordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordKey({} [redacted])", self.id())
    }
}

impl PasswordKey {
    const WHAT: &'static str = "password key";

    /// A fresh key from the OS random source.
    pub fn generate() -> Result<PasswordKey> {
        super::key_file::SecretKey::generate().map(PasswordKey)
    }

    /// A key file: 64 hex digits (a line of its own), readable by its owner only.
    pub fn load(path: &std::path::Path) -> Result<PasswordKey> {
        super::key_file::SecretKey::load(path, Self::WHAT).map(PasswordKey)
    }

    /// Writes a new key file (0600); refuses to replace one.
    pub fn create(path: &std::path::Path) -> Result<PasswordKey> {
        super::key_file::SecretKey::create(path, Self::WHAT).map(PasswordKey)
    }

    /// The key file at `path`, made first when `create` and absent.
    pub fn open_or_create(path: &std::path::Path, create: bool) -> Result<PasswordKey> {
        super::key_file::SecretKey::open_or_create(path, Self::WHAT, create).map(PasswordKey)
    }

    /// Which key made a hash, so a download site holding several keys knows which to use.
    pub fn id(&self) -> String {
        self.0.id()
    }

    fn mac(&self, salt: &[u8], password: &str) -> [u8; 32] {
        use hmac::{KeyInit, Mac};
        let mut m =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(self.0.expose_secret()).expect("HMAC takes any key length");
        m.update(salt);
        m.update(password.as_bytes());
        m.finalize().into_bytes().into()
    }
}

const PBKDF2_ITERATIONS: u32 = 200_000;

/// What the ledger keeps of the download password, for a download site to check it
/// (contract §5). With the CA's password key: HMAC-SHA-256 over a 16-byte salt and the
/// password, as `hmac-sha256$<key id>$<salt hex>$<mac hex>` (microseconds). Without one
/// (a configured CA that names no `password_key_file`): the salted slow hash as before,
/// `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`. Nothing is derived from the PIN.
pub fn hash_download_password(password: &DownloadPassword, key: Option<&PasswordKey>) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    let pw = password.expose_secret();
    Ok(match key {
        Some(k) => {
            format!("hmac-sha256${}${}${}", k.id(), crate::record::hex(&salt), crate::record::hex(&k.mac(&salt, pw)))
        }
        None => {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw.as_bytes(), &salt, PBKDF2_ITERATIONS, &mut out);
            format!("pbkdf2-sha256${PBKDF2_ITERATIONS}${}${}", crate::record::hex(&salt), crate::record::hex(&out))
        }
    })
}

/// What a download site runs: whether `candidate` is the password `stored` was made from.
/// Either form is read (hashes made before the key existed stay valid: the CA never sees
/// a password again after its letter, so they cannot be re-hashed). Constant time.
pub fn verify_download_password(stored: &str, candidate: &str, key: Option<&PasswordKey>) -> Result<bool> {
    let parts: Vec<&str> = stored.split('$').collect();
    let (Some(kind), Some(param), Some(salt), Some(want)) = (parts.first(), parts.get(1), parts.get(2), parts.get(3))
    else {
        anyhow::bail!("not a download-password hash");
    };
    let salt = crate::record::unhex(salt).context("the hash's salt is not hex")?;
    let want = crate::record::unhex(want).context("the hash is not hex")?;
    let got: Vec<u8> = match *kind {
        "hmac-sha256" => {
            let k = key.context("an HMAC hash needs the CA's password key")?;
            anyhow::ensure!(*param == k.id(), "made with password key {param}, not {}", k.id());
            k.mac(&salt, candidate).to_vec()
        }
        "pbkdf2-sha256" => {
            let rounds: u32 = param.parse().context("the iteration count is not a number")?;
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(candidate.as_bytes(), &salt, rounds, &mut out);
            out.to_vec()
        }
        other => anyhow::bail!("unknown download-password hash {other:?}"),
    };
    // Constant time over equal lengths: no early exit on the first differing byte.
    Ok(got.len() == want.len() && got.iter().zip(&want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_their_form_and_differ() {
        let a = Pin::generate().unwrap();
        let b = Pin::generate().unwrap();
        assert_eq!(a.expose_secret().len(), Pin::LEN);
        assert!(a.expose_secret().bytes().all(|c| PIN_ALPHABET.contains(&c)));
        assert_ne!(a.expose_secret(), b.expose_secret());
        let p = DownloadPassword::generate().unwrap();
        assert!(p.expose_secret().len() == 8 && p.expose_secret().bytes().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let pin = Pin::generate().unwrap();
        let pw = DownloadPassword::generate().unwrap();
        let shown = format!("{pin:?} {pw:?} {:?}", (&pin, &pw));
        assert!(!shown.contains(pin.expose_secret()) && !shown.contains(pw.expose_secret()), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn the_password_hash_is_salted_and_hides_the_password() {
        let pw = DownloadPassword::generate().unwrap();
        let (h1, h2) = (hash_download_password(&pw, None).unwrap(), hash_download_password(&pw, None).unwrap());
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("pbkdf2-sha256$200000$") && !h1.contains(pw.expose_secret()));
        assert!(verify_download_password(&h1, pw.expose_secret(), None).unwrap());
        assert!(!verify_download_password(&h1, "00000000", None).unwrap() || pw.expose_secret() == "00000000");
    }

    #[test]
    fn the_keyed_hash_needs_its_key_and_checks_in_constant_form() {
        let key = PasswordKey::generate().unwrap();
        let other = PasswordKey::generate().unwrap();
        let pw = DownloadPassword::generate().unwrap();
        let h = hash_download_password(&pw, Some(&key)).unwrap();
        assert!(h.starts_with(&format!("hmac-sha256${}$", key.id())), "{h}");
        assert_ne!(h, hash_download_password(&pw, Some(&key)).unwrap(), "salted");
        assert!(verify_download_password(&h, pw.expose_secret(), Some(&key)).unwrap());
        let wrong = if pw.expose_secret() == "12345678" { "87654321" } else { "12345678" };
        assert!(!verify_download_password(&h, wrong, Some(&key)).unwrap());
        assert!(verify_download_password(&h, pw.expose_secret(), Some(&other)).is_err(), "another key is named");
        assert!(verify_download_password(&h, pw.expose_secret(), None).is_err());
        assert!(!format!("{key:?}").contains(&crate::record::hex(key.0.expose_secret())));
    }
}
