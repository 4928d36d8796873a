//! Writing files so that a crash never leaves half of one.
//!
//! Every output goes to a temporary file in the same folder, is synced, and is renamed
//! over the target: readers see the old file or the new one, never a torn one. Files that
//! hold secrets are created with mode 0600 before a byte is written.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating parent folders; `private` makes it 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let dir = path.parent().context("an output path has a parent folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(mode(private))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().with_context(|| format!("cannot sync {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot move the new {} into place", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn mode(private: bool) -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(if private { 0o600 } else { 0o644 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_whole_files_with_the_asked_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/secret.txt");
        write_atomic(&p, b"x", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"x");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        write_atomic(&p, b"yy", false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"yy");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1, "no temporary file left");
    }
}
