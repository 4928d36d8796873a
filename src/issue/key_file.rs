//! A 256-bit secret key kept in a file of its own beside the CA's keys: the download-password
//! hash's key and the key pool's key-encryption key are both one. 64 hex digits on a line,
//! mode 0600, never replaced once made, never written anywhere else.

use anyhow::{Context, Result};
use std::path::Path;
use zeroize::Zeroizing;

/// 32 secret bytes; `Debug` shows only the key's id.
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({} [redacted])", self.id())
    }
}

impl SecretKey {
    /// A fresh key from the OS random source.
    pub fn generate() -> Result<SecretKey> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut()).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
        Ok(SecretKey(k))
    }

    /// Reads a key file; `what` names it in errors ("password key", "key-pool key").
    pub fn load(path: &Path, what: &str) -> Result<SecretKey> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read the {what} {}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            anyhow::bail!("the {what} {} is readable by others: chmod 600 it", path.display());
        }
        let text = Zeroizing::new(std::fs::read_to_string(path)?);
        let bytes = Zeroizing::new(
            crate::record::unhex(text.trim())
                .filter(|b| b.len() == 32)
                .with_context(|| format!("{}: a {what} is 64 hex digits", path.display()))?,
        );
        let mut k = Zeroizing::new([0u8; 32]);
        k.copy_from_slice(&bytes);
        Ok(SecretKey(k))
    }

    /// Writes a new key file (0600, synced); refuses to replace one.
    pub fn create(path: &Path, what: &str) -> Result<SecretKey> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let key = SecretKey::generate()?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot create the {what} {}", path.display()))?;
        f.write_all(Zeroizing::new(format!("{}\n", crate::record::hex(key.0.as_ref()))).as_bytes())?;
        f.sync_all()?;
        Ok(key)
    }

    /// The key file at `path`, made there first if `create` and it does not exist yet.
    pub fn open_or_create(path: &Path, what: &str, create: bool) -> Result<SecretKey> {
        if create && !path.exists() {
            SecretKey::create(path, what)
        } else {
            SecretKey::load(path, what)
        }
    }

    /// Which key this is (the first 8 hex digits of its SHA-256), so data it protected
    /// names its key; it tells nothing about the key.
    pub fn id(&self) -> String {
        use sha2::Digest;
        crate::record::hex(&sha2::Sha256::digest(self.0.as_ref())[..4])
    }

    /// The key's bytes, for the one primitive that uses it.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let made = SecretKey::create(&path, "test key").unwrap();
        assert_eq!(SecretKey::load(&path, "test key").unwrap().id(), made.id());
        assert_eq!(SecretKey::open_or_create(&path, "test key", true).unwrap().id(), made.id(), "never replaced");
        assert!(SecretKey::create(&path, "test key").is_err(), "never replaced");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(SecretKey::load(&path, "test key").unwrap_err().to_string().contains("chmod 600"));
        assert!(SecretKey::open_or_create(&dir.path().join("none"), "test key", false).is_err());
    }

    #[test]
    fn debug_shows_the_id_only() {
        let k = SecretKey::generate().unwrap();
        let shown = format!("{k:?}");
        assert!(shown.contains(&k.id()));
        assert!(!shown.contains(&crate::record::hex(k.expose_secret())));
    }
}
