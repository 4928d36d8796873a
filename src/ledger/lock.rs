//! One run per state folder at a time.
//!
//! An exclusive OS lock on `STATE/certbatch.lock` (released by the kernel when the process
//! dies, even by `kill -9`, so a crash never leaves a stale lock). A second run waits up
//! to a bounded time, then refuses, naming the holder.

use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Held for the life of a run; dropping it releases the lock.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Takes the lock, polling until `wait` has passed.
pub fn acquire(state: &Path, wait: Duration) -> Result<StateLock> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = state.join("certbatch.lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    hold(file, state, wait, true)
}

/// Takes the lock of a state folder that has one, without creating anything and without
/// writing the holder's name (for the read-only `check`).
pub fn acquire_existing(state: &Path, wait: Duration) -> Result<StateLock> {
    let path = state.join("certbatch.lock");
    let file = OpenOptions::new()
        .read(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    hold(file, state, wait, false)
}

fn hold(mut file: File, state: &Path, wait: Duration, sign: bool) -> Result<StateLock> {
    let path = state.join("certbatch.lock");
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= wait {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    bail!(
                        "state folder {} is in use by another certbatch run ({}); gave up after {} s",
                        state.display(),
                        holder.trim(),
                        wait.as_secs()
                    );
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
    if !sign {
        return Ok(StateLock { _file: file });
    }
    // Say who holds it, for the message a waiting run prints.
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "pid {}, since {}", std::process::id(), crate::jpdate::now_iso())?;
    file.flush()?;
    Ok(StateLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), Duration::ZERO).unwrap();
        let err = acquire(dir.path(), Duration::from_millis(300)).unwrap_err().to_string();
        assert!(err.contains("in use by another certbatch run (pid"), "{err}");
        drop(first);
        assert!(acquire(dir.path(), Duration::ZERO).is_ok());
    }
}
