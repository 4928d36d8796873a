//! `certbatch keys fill` and `keys status`: the key pool topped up ahead of time.
//!
//! Keys are made on all cores in chunks; each chunk is sealed and added in one transaction,
//! with the state folder held only for that transaction, so a morning `run` never waits on
//! a fill that overran its idle hours. A kill loses at most the chunk in memory, which was
//! never recorded; a rerun tops up to the same count, so the result is as if it ran once.

use crate::issue::key_pool::{self, PoolKek};
use crate::ledger::key_pool::{PoolAsk, PoolCount};
use crate::ledger::Ledger;
use crate::run::Options;
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Keys made and added per transaction: a few seconds of key generation on a small machine.
const CHUNK: usize = 64;

/// What a fill did.
#[derive(Debug, Clone, PartialEq)]
pub struct FillReport {
    /// The state folder (ledger) the keys went into.
    pub state: std::path::PathBuf,
    pub bits: u32,
    pub kek_id: String,
    pub target: i64,
    pub ready_before: i64,
    pub ready_after: i64,
    pub made: usize,
    pub elapsed: Duration,
}

impl FillReport {
    /// The one line the command prints.
    pub fn line(&self) -> String {
        format!(
            "key pool in {}: RSA-{} keys under key-encryption key {}: {} ready before, {} now (target {}); {} made in {:.1} s",
            self.state.display(),
            self.bits,
            self.kek_id,
            self.ready_before,
            self.ready_after,
            self.target,
            self.made,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Tops the pool up to `target` ready keys of `bits` under the CA's current KEK.
pub fn fill(opts: &Options, target: usize, bits: usize) -> Result<FillReport> {
    anyhow::ensure!(matches!(bits, 2048 | 3072 | 4096), "--bits must be 2048, 3072 or 4096");
    // The rules a morning run will load, checked now, so a fill never passes where the run
    // would fail.
    let config = crate::config::Config::load(&opts.pipelines_dir)?;
    let takers: Vec<&str> = config
        .pipelines
        .products
        .values()
        .filter(|p| p.profile.key_pool && p.profile.key_bits == bits)
        .map(|p| p.id.as_str())
        .collect();
    if takers.is_empty() {
        eprintln!("certbatch: warning: no product takes pooled RSA-{bits} keys (key_pool = true with key_bits = {bits}): these keys will wait");
    }
    let kek = crate::issue::ca_source::open_pool_kek(&config.ca, &opts.state_dir)?;
    let ask = PoolAsk { bits: u32::try_from(bits).context("key size")?, kek_id: kek.id() };
    warn_other_keks(opts, &ask)?;
    let target = i64::try_from(target).context("--count is too large")?;
    let started = Instant::now();
    let ready_before = ready(opts, &ask)?;
    let bar = crate::progress::bar(usize::try_from((target - ready_before).max(0))? as u64, "keys");
    let mut made = 0;
    let mut now_ready = ready_before;
    while now_ready < target {
        let n = usize::try_from(target - now_ready)?.min(CHUNK);
        let keys = make(&kek, bits, n, &bar)?;
        let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
        ledger.add_pool_keys(&keys)?;
        crate::recovery::export_audit(&mut ledger, &opts.state_dir)?;
        made += keys.len();
        // Read again: a run may have taken keys meanwhile, and the fill tops those up too.
        now_ready = ledger.pool_ready(&ask)?;
        drop(ledger);
        crate::faults::point("pool-after-chunk");
    }
    bar.finish_and_clear();
    Ok(FillReport {
        state: opts.state_dir.clone(),
        bits: ask.bits,
        kek_id: ask.kek_id,
        target,
        ready_before,
        ready_after: now_ready,
        made,
        elapsed: started.elapsed(),
    })
}

/// Says so when ready keys wait under another KEK: the KEK file was replaced or lost, and
/// those keys will never be taken.
fn warn_other_keks(opts: &Options, ask: &PoolAsk) -> Result<()> {
    let Some(l) = Ledger::open_read_only(&opts.state_dir)? else { return Ok(()) };
    for c in l.pool_counts()?.iter().filter(|c| c.state == "ready" && c.kek_id != ask.kek_id) {
        eprintln!(
            "certbatch: warning: {} ready RSA-{} keys are sealed under key-encryption key {}, not {} (in use now): \
             they will never be taken; was the key file replaced or lost?",
            c.count, c.bits, c.kek_id, ask.kek_id
        );
    }
    Ok(())
}

fn ready(opts: &Options, ask: &PoolAsk) -> Result<i64> {
    match Ledger::open_read_only(&opts.state_dir)? {
        Some(l) => l.pool_ready(ask),
        None => Ok(0),
    }
}

/// `n` keys made and sealed on all cores.
fn make(kek: &PoolKek, bits: usize, n: usize, bar: &indicatif::ProgressBar) -> Result<Vec<key_pool::SealedKey>> {
    (0..n)
        .into_par_iter()
        .map(|_| {
            let k = key_pool::make(kek, bits);
            bar.inc(1);
            k
        })
        .collect()
}

/// The pool as `keys status` shows it, with the KEK in use now (None: no pool configured,
/// or none made yet). Reads only: makes no folder, ledger or key.
pub fn status(opts: &Options) -> Result<(Vec<PoolCount>, Option<String>)> {
    let ca = crate::issue::ca_source::CaConfig::load(&opts.pipelines_dir)?;
    let kek = crate::issue::ca_source::pool_kek(&ca, &opts.state_dir, false)?.map(|k| k.id());
    let counts = match Ledger::open_read_only(&opts.state_dir)? {
        Some(l) => l.pool_counts()?,
        None => Vec::new(),
    };
    Ok((counts, kek))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(root: &std::path::Path) -> Options {
        Options {
            batch_dir: Default::default(),
            state_dir: root.join("state"),
            out_dir: root.join("out"),
            pipelines_dir: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines"),
            as_of: crate::testkit::d(2026, 11, 19),
            mode: crate::run::Mode::Run,
            lock_wait: Duration::from_secs(5),
        }
    }

    #[test]
    fn fill_tops_up_to_its_count_and_a_second_fill_adds_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = options(tmp.path());
        let first = fill(&opts, 3, 2048).unwrap();
        assert_eq!((first.ready_before, first.ready_after, first.made), (0, 3, 3));
        assert!(first.line().contains("3 now"), "{}", first.line());
        let again = fill(&opts, 3, 2048).unwrap();
        assert_eq!((again.ready_before, again.made), (3, 0));
        let (counts, kek) = status(&opts).unwrap();
        assert_eq!(kek.as_deref(), Some(first.kek_id.as_str()));
        assert_eq!(counts.iter().map(|c| (c.state.as_str(), c.count)).collect::<Vec<_>>(), [("ready", 3)]);
        assert!(fill(&opts, 1, 1024).is_err());
        assert_eq!(first.state, opts.state_dir);
    }

    #[test]
    fn status_makes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = options(tmp.path());
        let (counts, kek) = status(&opts).unwrap();
        assert!(counts.is_empty() && kek.is_none());
        assert!(!opts.state_dir.exists(), "no state folder, ledger or key is made");
    }
}
