//! Issuance throughput on all cores, in one run on one machine (issue 13's figures):
//!
//! (a) bare RSA-2048 key generation (`pfx::generate_key`) over rayon;
//! (b) the issue stage of a real day of N G-ID applications (recorded first without their
//!     statement, then run with it): payments, key + certificate + PKCS#12 + ledger + files
//!     + letters, timed alone, with where its non-keygen time goes;
//! (w) whole `certbatch run` processes, drop to print-ready files, of a day of N G-ID
//!     applications (paid by an SMBC statement in the folder), with an empty key pool and
//!     with a full one (`keys fill`, not timed). Card products (AOSign, CECSIGN) are made at
//!     the card station: `benches/cards.rs`;
//! (c) the same N certificates through `scripts/openssl-issue.sh` (OpenSSL command line,
//!     as many at a time as there are cores);
//! (p) a day of POOL_DAY_N G-ID applications with a full pool (goal: under 60 s).
//!
//! `cargo bench --bench issuance` (`ISSUE_N`, default 1000; `POOL_DAY_N`, default 10000,
//! 0 to skip).

#[path = "../tests/common/mod.rs"]
mod common;

use certbatch::issue::{ca_source, pfx};
use certbatch::run::{self, Mode, Options};
use chrono::{NaiveDate, TimeZone};
use common::*;
use rayon::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The day's batch: applications received on 2026-11-19, run as of that day.
const BATCH: &str = "2026-11-19";

fn as_of() -> NaiveDate {
    d(2026, 11, 19)
}

fn main() {
    let n: usize = env_count("ISSUE_N", 1000);
    let big: usize = env_count("POOL_DAY_N", 10_000);
    assert!(n > 0, "ISSUE_N must be at least 1");
    let threads = rayon::current_num_threads();
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("a temporary folder");
    println!("issuance benchmark: N = {n} RSA-2048 keys / certificates; pooled day of {big}");
    println!("cores: {threads} (rayon::current_num_threads()); {}", cpu_model());

    // The days, the pipelines, one demo CA copied into every state folder (no timed run
    // pays for making it), and a state folder whose pool is full, copied likewise.
    let t = Instant::now();
    let gid = gid_day(&tmp.path().join("gid"), n);
    let unpaid = unpaid_copy(&gid.dir, &tmp.path().join("gid-unpaid"));
    let gid_big = (big > 0).then(|| gid_day(&tmp.path().join("gid-big"), big));
    let real_pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let ca_template = tmp.path().join("ca-template");
    ca_source::init_demo(&ca_template, jst_midnight(as_of())).expect("the demo CA is made");
    println!(
        "setup: a day of {n} G-ID{} applications with their scans and statements, and a demo CA, in {:.1} s",
        if big > 0 { format!(" and {big} G-ID") } else { String::new() },
        t.elapsed().as_secs_f64()
    );
    let pooled_state = tmp.path().join("pooled");
    install_ca(&ca_template, &pooled_state);
    let t = Instant::now();
    let fill_n = n.max(big);
    let fill = certbatch_cmd(&pooled_state, &tmp.path().join("pooled-out"), &real_pipelines)
        .args(["keys", "fill", "--count", &fill_n.to_string()])
        .output()
        .expect("keys fill runs");
    assert!(fill.status.success(), "keys fill: {}", String::from_utf8_lossy(&fill.stderr));
    let fill_secs = t.elapsed().as_secs_f64();
    println!(
        "key pool: {fill_n} keys made and sealed by `certbatch keys fill` in {fill_secs:.1} s = {:.1} keys/s (not timed below)",
        fill_n as f64 / fill_secs
    );

    // (b) needs the day recorded first: a real run_batch of the same folder without its
    // statement, so nothing is paid. The stage then runs on the real folder, as run_batch
    // calls it, after the day's payments.
    let split = tmp.path().join("split");
    install_ca(&ca_template, &split.join("state"));
    let t = Instant::now();
    let held = run::run_batch(&options_with(&split, &unpaid, &real_pipelines)).expect("the unpaid run completes");
    let record_secs = t.elapsed().as_secs_f64();
    assert!(held.issue.issued.is_empty(), "nothing is issued before the statement");
    assert_eq!(held.issue.awaiting_payment.len(), n, "every application is accepted: {:?}", held.summary);
    let state = split.join("state");
    let now = run::issue_moment(as_of());

    // (a) half the keys before the rest and half after, so a drift in the machine's speed
    // weighs on all alike.
    let mut waited = wait_idle();
    let load = Load::start();
    let a1 = keygen(n / 2);
    let load_a1 = load.others();

    // The day run again with the real rules: screening finds it unchanged and the issue
    // stage issues all N; the stage times itself (checks, keys, files, letters, commit).
    waited += wait_idle();
    let load = Load::start();
    let rerun = run::run_batch(&options_with(&split, &gid.dir, &real_pipelines)).expect("the run completes");
    let report = rerun.issue;
    let stage_secs = report.stage_time.as_secs_f64();
    let load_b = load.others();
    assert!(report.holds.is_empty(), "{:?}", report.holds);
    assert_eq!(report.issued.len(), n, "every G-ID application is paid and issued");
    assert!(report.issued.iter().all(|i| i.p12_file.is_some()), "every certificate has its PKCS#12");

    // (w) Whole processes: empty pool and full pool.
    let mut whole = Vec::new();
    for (label, dir, pool) in [("G-ID", &gid.dir, false), ("G-ID", &gid.dir, true)] {
        waited += wait_idle();
        let root = tmp.path().join(format!("whole-{label}-{pool}"));
        if pool {
            copy_dir(&pooled_state, &root.join("state"));
        } else {
            install_ca(&ca_template, &root.join("state"));
        }
        let w = whole_run(&root, dir, &real_pipelines, n);
        whole.push((label, pool, w));
    }

    waited += wait_idle();
    let load = Load::start();
    let a2 = keygen(n - n / 2);
    let load_a2 = load.others();
    let a = Keygen::combine(&a1, &a2);
    let load_a = match (load_a1, load_a2) {
        (Some(x), Some(y)) => Some((x * a1.wall + y * a2.wall) / (a1.wall + a2.wall)),
        _ => None,
    };

    let a_rate = n as f64 / a.wall;
    println!(
        "(a) RSA-2048 key generation (pfx::generate_key over rayon): {n} keys in {:.2} s = {a_rate:.2} keys/s; \
         per key {:.1} ms of one core (single keys: mean {:.1} ms, sd {:.1} ms, s.e. of the mean {:.1} ms)",
        a.wall,
        a.wall * threads as f64 / n as f64 * 1e3,
        a.mean * 1e3,
        a.sd * 1e3,
        a.se * 1e3
    );
    // Both are means over N random keys; one standard error of their ratio from keygen alone.
    let noise = std::f64::consts::SQRT_2 * a.se / a.mean;
    let b_rate = n as f64 / stage_secs;
    println!(
        "(b) G-ID issue stage (key + certificate + PKCS#12 + ledger + files + letters): {n} certificates in {stage_secs:.2} s \
         = {b_rate:.2} certificates/s; per certificate {:.1} ms of one core; (b)/(a) = {:.3}",
        stage_secs * threads as f64 / n as f64 * 1e3,
        b_rate / a_rate
    );

    // Where the rest goes: the per-certificate work besides the key, each timed on one core.
    let parts = parts(&real_pipelines, &state, now, &tmp.path().join("parts"));
    let keys = a.wall;
    let parallel = n as f64 * (parts.sign + parts.pkcs12 + parts.files) / threads as f64;
    let rest = stage_secs - keys - parallel - parts.ca_open;
    let luck = a.sd * (n as f64).sqrt() / threads as f64;
    println!("    where the {stage_secs:.2} s of (b) go (parts timed one at a time on one core):");
    println!("      {keys:5.2} s  keys, at the rate of (a)");
    println!(
        "      {parallel:5.2} s  CA signature ({}, {:.2} ms) + PKCS#12 ({:.2} ms) + writing cert.pem and cert.p12 \
         ({:.2} ms, synced once for the run) per certificate, on {threads} cores",
        parts.ca_key,
        parts.sign * 1e3,
        parts.pkcs12 * 1e3,
        parts.files * 1e3
    );
    println!("      {:5.2} s  opening the CA, once (reading the chain, decrypting the issuing key)", parts.ca_open);
    println!(
        "      {rest:5.2} s  the rest: serials, letters, ledger transactions, audit log, and keygen luck (+/- {luck:.2} s)"
    );
    let bound = keys / (keys + parallel + parts.ca_open);
    println!("    the bound these parts alone allow (a run that did nothing else): (b)/(a) <= {bound:.3}");

    println!("(w) whole `certbatch run` processes, drop to print-ready files (the same day recorded without issuing: {record_secs:.2} s):");
    for (label, pool, w) in &whole {
        let rate = n as f64 / w.secs;
        // The run's own keys on all its cores, over its wall time: the same ratio measured
        // with the same keys, so free of keygen luck.
        let share = w.keygen_cpu / (w.secs * threads as f64);
        println!(
            "    {label:6} {:10}: {n} certificates in {:6.2} s = {rate:6.2} certificates/s; ÷ (a) = {:.3}; {} keys from the pool{}",
            if *pool { "full pool" } else { "empty pool" },
            w.secs,
            rate / a_rate,
            w.pooled,
            if *pool {
                String::new()
            } else {
                format!(
                    "; its own keys' CPU time over its wall time × {threads} cores = {share:.3} (goal >= 0.95: {})",
                    met(share >= 0.95)
                )
            }
        );
    }
    println!(
        "    (÷ (a) compares with other keys: one standard error from keygen luck at N = {n} is +/- {noise:.3}; \
         the share of its own keys' time has no such luck)"
    );

    // (c) The OpenSSL command line.
    waited += wait_idle();
    let load = Load::start();
    let c = openssl(n, threads, &tmp.path().join("openssl"));
    let load_c = load.others();
    let c_rate = n as f64 / c.issue;
    println!(
        "(c) OpenSSL {} command line (scripts/openssl-issue.sh: genrsa + req -new + x509 -req + pkcs12 -export, \
         {threads} at a time): {n} certificates in {:.2} s = {c_rate:.2} certificates/s; per certificate {:.1} ms \
         of one core (making its throw-away CA took {:.2} s more)",
        openssl_version(),
        c.issue,
        c.issue * threads as f64 / n as f64 * 1e3,
        c.ca
    );
    for (label, pool, w) in whole.iter().filter(|(_, pool, _)| !pool) {
        let speedup = n as f64 / w.secs / c_rate;
        println!(
            "    whole {label} run (pool {}) / OpenSSL = {speedup:.2}× (goal >= 4: {})",
            if *pool { "full" } else { "empty" },
            met(speedup >= 4.0)
        );
    }

    // (p) The big day with a full pool.
    if let Some(big_day) = &gid_big {
        waited += wait_idle();
        let root = tmp.path().join("whole-big");
        copy_dir(&pooled_state, &root.join("state"));
        let w = whole_run(&root, &big_day.dir, &real_pipelines, big);
        println!(
            "(p) a day of {big} G-ID applications with a full pool, drop to print-ready files: {:.1} s (goal < 60 s: {}); {} keys from the pool",
            w.secs,
            met(w.secs < 60.0),
            w.pooled
        );
    }

    let shown = |x: Option<f64>| x.map_or_else(|| "unknown".to_string(), |x| format!("{:.1}%", x * 100.0));
    println!(
        "other processes' share of the machine while timing: (a) {}, (b) {}, (c) {} \
         (waited {waited:.0} s in all for it to fall under 3% before each timed phase)",
        shown(load_a),
        shown(load_b),
        shown(load_c)
    );
    if [load_a, load_b, load_c].iter().flatten().any(|&x| x > 0.03) {
        println!("WARNING: the machine was not idle (over 3% used by other processes): these figures are not clean");
    }
    println!("benchmark time: {:.0} s", started.elapsed().as_secs_f64());
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The release binary with state, output and pipelines set, as of the day.
fn certbatch_cmd(state: &Path, out: &Path, pipelines: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certbatch"));
    cmd.arg("--state").arg(state).arg("--out").arg(out).arg("--pipelines").arg(pipelines);
    cmd.args(["--as-of", BATCH]);
    cmd
}

/// One whole `certbatch run` of a day, timed as a process.
struct Whole {
    secs: f64,
    /// Certificates whose key came from the pool.
    pooled: i64,
    /// CPU seconds the run spent making its own keys (all cores added up).
    keygen_cpu: f64,
}

fn whole_run(root: &Path, day: &Path, pipelines: &Path, n: usize) -> Whole {
    let state = root.join("state");
    let out = root.join("out");
    let t = Instant::now();
    let o = certbatch_cmd(&state, &out, pipelines)
        .env("CERTBATCH_TIMINGS", "1")
        .arg("run")
        .arg(day)
        .output()
        .expect("certbatch runs");
    let secs = t.elapsed().as_secs_f64();
    let keygen_cpu = String::from_utf8_lossy(&o.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("certbatch timing: issue: key generation CPU"))
        .and_then(|rest| rest.trim().trim_end_matches('s').trim().parse().ok())
        .unwrap_or(0.0);
    assert!(o.status.success(), "certbatch run {}: {}", day.display(), String::from_utf8_lossy(&o.stderr));
    let issued = csv::Reader::from_path(out.join(BATCH).join("issued.csv")).expect("issued.csv").records().count();
    assert_eq!(issued, n, "every application of {} is issued: {}", day.display(), String::from_utf8_lossy(&o.stdout));
    let ledger = certbatch::ledger::Ledger::open_read_only(&state).expect("the ledger").expect("a ledger");
    let pooled = ledger.pool_counts().expect("pool counts").iter().filter(|c| c.state == "used").map(|c| c.count).sum();
    Whole { secs, pooled, keygen_cpu }
}

/// A day of `n` G-ID download applications, each paid by its own transfer in an SMBC
/// statement in the day's `transfers/` (names unique, so each credit matches one).
fn gid_day(root: &Path, n: usize) -> Day {
    let mut day = Day::new(root, BATCH);
    let mut credits = Vec::with_capacity(n);
    for i in 0..n {
        day.gid_paid(&format!("G{i:06}"), i, &mut credits);
    }
    day.write_csv(false, "utf8");
    std::fs::create_dir_all(day.dir.join("transfers")).expect("transfers/");
    std::fs::write(day.dir.join("transfers/smbc.csv"), smbc_statement(&credits)).expect("the statement");
    day
}

/// Keygen timings: wall time of the batch and statistics of single keys (seconds).
struct Keygen {
    n: usize,
    wall: f64,
    mean: f64,
    sd: f64,
    se: f64,
    /// Sum of squares of single keys' times, to combine batches.
    sum_sq: f64,
}

impl Keygen {
    fn from(wall: f64, each: &[f64]) -> Keygen {
        let n = each.len();
        Keygen::stats(n, wall, each.iter().sum(), each.iter().map(|x| x * x).sum())
    }

    fn combine(a: &Keygen, b: &Keygen) -> Keygen {
        Keygen::stats(a.n + b.n, a.wall + b.wall, a.mean * a.n as f64 + b.mean * b.n as f64, a.sum_sq + b.sum_sq)
    }

    fn stats(n: usize, wall: f64, sum: f64, sum_sq: f64) -> Keygen {
        let mean = if n > 0 { sum / n as f64 } else { 0.0 };
        let var = if n > 1 { ((sum_sq - n as f64 * mean * mean) / (n - 1) as f64).max(0.0) } else { 0.0 };
        let sd = var.sqrt();
        Keygen { n, wall, mean, sd, se: if n > 0 { sd / (n as f64).sqrt() } else { 0.0 }, sum_sq }
    }
}

fn keygen(n: usize) -> Keygen {
    let t = Instant::now();
    let each: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|_| {
            let t = Instant::now();
            let key = pfx::generate_key(2048).expect("an RSA-2048 key");
            let secs = t.elapsed().as_secs_f64();
            drop(key);
            secs
        })
        .collect();
    Keygen::from(t.elapsed().as_secs_f64(), &each)
}

/// CPU time the rest of the machine used while something was timed, from `/proc` (Linux):
/// all busy time (steal included) less this process's and its waited-for children's.
struct Load {
    start: Option<(u64, u64)>,
    at: Instant,
}

impl Load {
    fn start() -> Load {
        Load { start: cpu_ticks(), at: Instant::now() }
    }

    /// The share of the machine's cores other processes used since `start`.
    fn others(&self) -> Option<f64> {
        let secs = self.at.elapsed().as_secs_f64();
        let (busy0, own0) = self.start?;
        let (busy1, own1) = cpu_ticks()?;
        let cpus = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count();
        // /proc counts in USER_HZ, 100 a second on Linux.
        let others = (busy1 - busy0).saturating_sub(own1 - own0) as f64 / 100.0;
        Some(others / (secs * cpus.max(1) as f64))
    }
}

/// Waits, up to 20 s, for a second in which other processes use under 3% of the machine,
/// so a timed phase does not start in the middle of someone's build; gives the seconds waited.
fn wait_idle() -> f64 {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        let load = Load::start();
        std::thread::sleep(Duration::from_secs(1));
        match load.others() {
            Some(x) if x >= 0.03 => continue,
            _ => break,
        }
    }
    // The second of quiet itself is not waiting.
    (t.elapsed().as_secs_f64() - 1.0).max(0.0)
}

/// (machine busy ticks, this process's ticks with its reaped children's).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<u64> =
        stat.lines().next()?.split_whitespace().skip(1).map(|x| x.parse().ok()).collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| cpu.get(i)).sum();
    let me = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name: state is field 3, utime..cstime are fields 14..17.
    let fields: Vec<&str> = me.rsplit_once(')')?.1.split_whitespace().collect();
    let own = (11..=14).map(|i| fields.get(i).and_then(|f| f.parse::<u64>().ok())).sum::<Option<u64>>()?;
    Some((busy, own))
}

/// A copy of a day's folder without its bank statements: the same applications, unpaid.
fn unpaid_copy(day: &Path, parent: &Path) -> PathBuf {
    let to = parent.join(day.file_name().expect("a day folder has a name"));
    copy_dir(day, &to);
    std::fs::remove_dir_all(to.join("transfers")).expect("the statement is removed");
    to
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().map(|e| e.expect("a readable folder")) {
        let target = to.join(e.path().strip_prefix(from).expect("under the folder"));
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("a folder is created");
        } else {
            std::fs::copy(e.path(), &target).expect("a file is copied");
        }
    }
}

/// The demo CA made once, copied into a state folder where `ca_source::open` finds it.
fn install_ca(template: &Path, state: &Path) {
    copy_dir(&template.join(ca_source::DEMO_DIR), &state.join(ca_source::DEMO_DIR));
}

fn jst_midnight(day: NaiveDate) -> chrono::DateTime<chrono::FixedOffset> {
    certbatch::jpdate::jst().from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")).single().expect("JST")
}

fn options_with(root: &Path, batch: &Path, pipelines: &Path) -> Options {
    Options { pipelines_dir: pipelines.to_path_buf(), ..common::options(root, batch, as_of(), Mode::Run) }
}

/// The stage's per-certificate work besides the key, in seconds, each timed on one core.
struct Parts {
    /// Opening the CA: reading the chain and decrypting the issuing key, once a run.
    ca_open: f64,
    /// The issuing CA's key, as "RSA-3072".
    ca_key: String,
    /// `Ca::issue` for a G-ID certificate.
    sign: f64,
    /// `build_pkcs12`, modern profile, 2048 iterations.
    pkcs12: f64,
    /// cert.pem and cert.p12 written atomically and synced, as step 4 does one by one.
    files: f64,
}

fn parts(pipelines_dir: &Path, state: &Path, now: chrono::DateTime<chrono::FixedOffset>, dir: &Path) -> Parts {
    const REPS: u32 = 20;
    let pipelines = certbatch::pipelines::load(pipelines_dir).expect("the pipelines load");
    let product = pipelines.product("gid-download").expect("G-ID download is configured");
    let t = Instant::now();
    let config = ca_source::CaConfig::load(pipelines_dir).expect("the CA configuration loads");
    let signing = ca_source::open(&config, state, now, false).expect("the demo CA opens");
    let ca_open = t.elapsed().as_secs_f64();
    let ca_key = {
        use der::referenced::OwnedToRef;
        use rsa::traits::PublicKeyParts;
        let spki = signing.ca.certificate.tbs_certificate().subject_public_key_info().owned_to_ref();
        rsa::RsaPublicKey::try_from(spki).map_or_else(|_| "not RSA".to_string(), |k| format!("RSA-{}", k.size() * 8))
    };

    let key = pfx::generate_key(2048).expect("an RSA-2048 key");
    let mut spec = employee_certificate(
        now,
        spki::SubjectPublicKeyInfoOwned::from_key(&key.to_public_key()).expect("the public key"),
        &product.profile.policy_oid,
    );
    spec.crl_url = signing.crl_url.clone();
    spec.aia_url = signing.aia_url.clone();
    let time = |f: &mut dyn FnMut(u32)| {
        let t = Instant::now();
        for i in 0..REPS {
            f(i);
        }
        t.elapsed().as_secs_f64() / f64::from(REPS)
    };
    let mut cert = Vec::new();
    let sign = time(&mut |_| cert = signing.ca.issue(&spec).expect("the certificate is signed"));
    let mut p12 = Vec::new();
    let pkcs12 = time(&mut |_| {
        p12 = pfx::build_pkcs12(
            &key,
            &cert,
            &signing.ca.chain_der,
            "YAMADA TARO (A000000)",
            "Ab3dEf7hJk9m",
            pfx::Pkcs12Profile::Modern,
            product.profile.pkcs12_iterations,
        )
        .expect("the PKCS#12 is built")
    });
    let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &cert).expect("PEM");
    let files = time(&mut |i| {
        let d = dir.join("certs").join(format!("A{i:06}"));
        certbatch::fsio::write_output(&d.join("cert.pem"), pem.as_bytes(), false).expect("cert.pem");
        certbatch::fsio::write_output(&d.join("cert.p12"), &p12, true).expect("cert.p12");
    });
    Parts { ca_open, ca_key, sign, pkcs12, files }
}

/// OpenSSL timings (seconds): the throw-away CA, then the N certificates.
struct OpensslRun {
    ca: f64,
    issue: f64,
}

fn openssl(n: usize, jobs: usize, out: &Path) -> OpensslRun {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/openssl-issue.sh");
    let t = Instant::now();
    let mut child = Command::new("bash")
        .arg(&script)
        .arg(n.to_string())
        .arg(out)
        .arg(jobs.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let mut ready = None;
    let mut last = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line.expect("the script's output");
        if line == "ca-ready" {
            ready = Some(Instant::now());
        }
        last = line;
    }
    let status = child.wait().expect("the script ends");
    let end = Instant::now();
    assert!(status.success(), "{} failed: {status}", script.display());
    assert_eq!(last, format!("issued {n}"));
    let ready = ready.expect("the script reports its CA");
    let made = walkdir::WalkDir::new(out.join("certs"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "cert.p12")
        .count();
    assert_eq!(made, n, "one PKCS#12 per certificate");
    OpensslRun { ca: (ready - t).as_secs_f64(), issue: (end - ready).as_secs_f64() }
}

fn openssl_version() -> String {
    Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_else(|| "(unknown version)".into())
}
