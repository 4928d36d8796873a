//! Ingest throughput: a generated day of 10,000 applications with 40,000 real scans,
//! read, decoded, screened and recorded by one `run`. Prints the figure the README quotes.
//!
//! `cargo bench --bench ingest` (set `INGEST_APPS` for another size).

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("INGEST_APPS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let t0 = Instant::now();
    let mut day = Day::new(tmp.path(), "large");
    for i in 0..n {
        day.clean(&format!("A{i:06}"), &format!("E{:05}", i / 3));
    }
    day.write_csv(true, "utf8");
    let bytes: u64 = walk_size(&day.dir);
    println!(
        "generated {n} applications, {} documents, {:.1} MB in {:.1} s",
        day.docs.len(),
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );

    let mut best = f64::MAX;
    for round in 0..3 {
        let root = tmp.path().join(format!("r{round}"));
        let t = Instant::now();
        let outcome = run_batch(&root, &day.dir);
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(outcome, n, "every application decided");
        best = best.min(secs);
        println!("run {round}: {secs:.2} s");
    }
    let rerun_root = tmp.path().join("r0");
    let t = Instant::now();
    run_batch(&rerun_root, &day.dir);
    let rerun = t.elapsed().as_secs_f64();
    println!(
        "ingest: {n} applications + {} scans in {best:.2} s = {:.0} applications/s, {:.0} scans/s ({} threads); second run on the same folder {rerun:.2} s",
        day.docs.len(),
        n as f64 / best,
        day.docs.len() as f64 / best,
        rayon::current_num_threads()
    );
}

fn run_batch(root: &std::path::Path, batch: &std::path::Path) -> usize {
    let opts = options(root, batch, d(2026, 11, 19), certbatch::run::Mode::Run);
    certbatch::run::run_batch(&opts).expect("the run completes").decisions.len()
}

fn walk_size(dir: &std::path::Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
