//! Writing files so that a crash never leaves half of one.
//!
//! Every output goes to a temporary file in the same folder and is renamed over the target:
//! readers see the old file or the new one, never a torn one. Files that hold secrets are
//! created with mode 0600 before a byte is written.
//!
//! Durability is chosen by what a lost file would cost. Files the ledger is about to vouch
//! for (archived scans, certificates, PKCS#12, secret letters and their print files) are
//! written with [`write_output`] and made durable together by one [`sync_filesystem`]
//! before the transaction that records them; a one-off file that must survive on its own
//! uses [`write_atomic`] (synced). Everything a rerun writes again identically (reports,
//! notices, mails) is written with [`write_output`] alone: a power cut costs a rerun, not
//! an fsync per file (100,000 mails at 0.5 ms each were most of a large day).

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Creates `dir` and its missing parents, each new one 0700 when `private` (the state
/// folder, secret letters) and 0755 otherwise, whatever the umask: a permissive umask
/// must not leave a world-writable output folder. Existing folders are left as they are.
pub fn create_dirs(dir: &Path, private: bool) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent, private)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => set_mode(dir, if private { 0o700 } else { 0o755 }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
}

/// Sets a file's or folder's mode exactly (not through the umask).
pub fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

/// Writes `bytes` to `path` atomically and syncs it, creating parent folders; `private`
/// makes it 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    write(path, bytes, private, true)
}

/// Writes `bytes` to `path` atomically without syncing it (see the module notes).
pub fn write_output(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    write(path, bytes, private, false)
}

/// Makes everything written on the file system holding `path` durable, in one call
/// (`syncfs`): the data and the renames of files written with [`write_output`].
pub fn sync_filesystem(path: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let dir = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    // SAFETY: syncfs takes a valid open file descriptor, which `dir` holds for the call.
    let rc = unsafe { libc::syncfs(dir.as_raw_fd()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).with_context(|| format!("cannot sync {}", path.display()));
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8], private: bool, sync: bool) -> Result<()> {
    let dir = path.parent().context("an output path has a parent folder")?;
    create_dirs(dir, private)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(mode(private))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    if sync {
        tmp.as_file().sync_all().with_context(|| format!("cannot sync {}", path.display()))?;
    }
    tmp.persist(path).with_context(|| format!("cannot move the new {} into place", path.display()))?;
    Ok(())
}

/// Folders found writable during one stage, so a folder many files share (a letters
/// folder) is probed once rather than once per file: on a day of 10,000 certificates the
/// probe files were 30,000 creations and deletions.
#[derive(Debug, Default)]
pub struct Probes(std::sync::Mutex<std::collections::HashSet<std::path::PathBuf>>);

impl Probes {
    /// Whether `file` (relative to `base`) can be written: not a folder or other non-file,
    /// and its folder can be made (0700) and written to. Checked with a probe file, since
    /// permission bits say nothing to root and a folder may sit where a file should go; a
    /// folder this call made itself (ours, 0700) needs none. The message says what is in
    /// the way.
    pub fn writable(&self, base: &Path, file: &str) -> Result<(), String> {
        let path = base.join(file);
        if let Ok(m) = std::fs::symlink_metadata(&path) {
            if !m.file_type().is_file() {
                return Err(format!("{file} exists and is not a file"));
            }
        }
        let dir = path.parent().ok_or_else(|| format!("{file} has no folder"))?;
        if self.0.lock().map_err(|_| "a probe panicked".to_string())?.contains(dir) {
            return Ok(());
        }
        let existed = dir.is_dir();
        create_dirs(dir, true).map_err(|e| format!("{e:#}"))?;
        if existed {
            tempfile::Builder::new()
                .prefix(".tmp-probe-")
                .tempfile_in(dir)
                .map(drop)
                .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        }
        self.0.lock().map_err(|_| "a probe panicked".to_string())?.insert(dir.to_path_buf());
        Ok(())
    }
}

/// [`Probes::writable`] for one file.
pub fn probe_writable(base: &Path, file: &str) -> Result<(), String> {
    Probes::default().writable(base, file)
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

    #[test]
    fn new_folders_get_their_mode_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        create_dirs(&dir.path().join("a/b"), true).unwrap();
        create_dirs(&dir.path().join("c"), false).unwrap();
        let mode = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode("a"), mode("a/b"), mode("c")), (0o700, 0o700, 0o755));
    }

    #[test]
    fn a_probe_names_what_is_in_the_way_and_probes_a_shared_folder_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let probes = Probes::default();
        // A folder where the file should go.
        std::fs::create_dir_all(dir.path().join("letters/pin/A1.pdf")).unwrap();
        assert!(probes.writable(dir.path(), "letters/pin/A1.pdf").unwrap_err().contains("is not a file"));
        // A folder made by the probe itself needs no probe file; an existing one gets one.
        probes.writable(dir.path(), "certs/A2/cert.pem").unwrap();
        assert_eq!(std::fs::metadata(dir.path().join("certs/A2")).unwrap().permissions().mode() & 0o777, 0o700);
        probes.writable(dir.path(), "letters/pin/A2.pdf").unwrap();
        assert_eq!(std::fs::read_dir(dir.path().join("letters/pin")).unwrap().count(), 1, "no probe file is left");
        // A read-only folder is found by a fresh probe (root ignores the mode bits, so only
        // when not running as root), and the shared folder is not probed again.
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        if std::fs::File::create(ro.join("x")).is_err() {
            assert!(probe_writable(dir.path(), "ro/A3.pdf").unwrap_err().contains("cannot write"));
        }
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(probes.0.lock().unwrap().contains(&dir.path().join("letters/pin")));
    }
}
