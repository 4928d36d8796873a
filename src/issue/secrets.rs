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

    /// The PIN itself. Only the PKCS#12 writer and the PIN letter may call this.
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

/// A salted slow hash of the download password, for a download site to check it
/// (contract §5): PBKDF2-HMAC-SHA256, 200,000 iterations, 16-byte salt, as
/// `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`. Nothing is derived from the PIN.
pub fn hash_download_password(password: &DownloadPassword) -> Result<String> {
    const ITERATIONS: u32 = 200_000;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.expose_secret().as_bytes(), &salt, ITERATIONS, &mut out);
    Ok(format!("pbkdf2-sha256${ITERATIONS}${}${}", crate::record::hex(&salt), crate::record::hex(&out)))
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
        let (h1, h2) = (hash_download_password(&pw).unwrap(), hash_download_password(&pw).unwrap());
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("pbkdf2-sha256$200000$") && !h1.contains(pw.expose_secret()));
    }
}
