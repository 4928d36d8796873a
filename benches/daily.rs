//! `certbatch daily` over a ledger of many certificates (issue 10's goal: 1,000,000
//! certificates with about 1% due for some action in under 10 s and 500 MB on 2 cores).
//!
//! Sample day 1 is run for a real ledger and CA; its first AOSign application is then copied
//! into N certificates issued over the last 1,000 days, all with their receipt, 2% already
//! revoked (the CRL lists them), and about 1% due today: every 200th ends within its 60-day
//! notice window, every 200th + 1 has no receipt (revoked for it), every 200th + 2 has an
//! invoice past due (on finance's list). The `certbatch daily` binary then runs as a child
//! process, whose wall time and peak memory (ru_maxrss) are printed, then a second run of
//! the same day (nothing new, the same files).
//!
//! `cargo bench --bench daily` (set `DAILY_N` for another count; default 1,000,000).

#[path = "../tests/common/mod.rs"]
mod common;

use chrono::{Days, NaiveDate};
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const TODAY: (i32, u32, u32) = (2027, 6, 1);

fn child_peak_mib() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    u.ru_maxrss as f64 / 1024.0
}

fn fill(root: &Path, n: usize, today: NaiveDate) {
    let c = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;").unwrap();
    let (data, run): (String, i64) = c
        .query_row(
            "SELECT a.data, i.issued_run FROM applications a JOIN issuances i ON i.application_id = a.id
             WHERE a.product = 'aosign-g2' AND i.state = 'issued' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let template: serde_json::Value = serde_json::from_str(&data).unwrap();
    let tx = c.unchecked_transaction().unwrap();
    {
        let mut app = tx
            .prepare(
                "INSERT INTO applications (id, envelope_id, product, cert_type, content_sha256, data, batch, source,
                                           received_on, status, reasons, first_run, status_run)
                 VALUES (?1, 'BENCH', 'aosign-g2', 'employee', 'h', ?2, 'bench', '{}', ?3, 'issued', '', ?4, ?4)",
            )
            .unwrap();
        let mut iss = tx
            .prepare(
                "INSERT INTO issuances (application_id, serial, state, batch, out_dir, reserved_run, issued_run,
                                        not_before, not_after, receipt_on, revoked_on)
                 VALUES (?1, ?2, 'issued', 'bench', '.', ?3, ?3, ?4, ?5, ?6, ?7)",
            )
            .unwrap();
        let mut rev = tx
            .prepare(
                "INSERT INTO revocations (serial, application_id, reason, requested_by, requested_on, effective_on,
                                          revoked_at, source, recorded_at)
                 VALUES (?1, ?2, 'cessation_of_operation', 'subscriber', ?3, ?3, ?4, 'bench', ?4)",
            )
            .unwrap();
        let mut fee = tx
            .prepare(
                "INSERT INTO fees (application_id, product, price, tax, extras, due, tolerance, received, model,
                                   invoice_issued_on, invoice_due_on)
                 VALUES (?1, 'aosign-g2', 30000, 3000, 0, 33000, 0, 0, 'invoice', ?2, ?3)",
            )
            .unwrap();
        for i in 0..n {
            let id = format!("BN-{i:07}");
            let mut data = template.clone();
            data["id"] = serde_json::Value::String(id.clone());
            let issued = today - Days::new(31 + (i % 1000) as u64);
            let end = if i % 200 == 0 { today + Days::new((i / 200 % 60) as u64) } else { issued + Days::new(1095) };
            let nb = format!("{issued}T10:00:00+09:00");
            let na = format!("{end}T23:59:59+09:00");
            let serial = format!("{:032x}", 0xB000_0000_0000_0000u64 as u128 * 0x1_0000 + i as u128);
            let receipt = (i % 200 != 1).then(|| issued.to_string());
            let revoked = (i % 50 == 3).then(|| (issued + Days::new(10)).to_string());
            app.execute(rusqlite::params![id, data.to_string(), issued.to_string(), run]).unwrap();
            iss.execute(rusqlite::params![id, serial, run, nb, na, receipt, revoked]).unwrap();
            if let Some(on) = &revoked {
                rev.execute(rusqlite::params![serial, id, on, format!("{on}T10:00:00+09:00")]).unwrap();
            }
            if i % 200 == 2 {
                fee.execute(rusqlite::params![id, issued.to_string(), (issued + Days::new(50)).to_string()]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;").unwrap();
}

fn main() {
    let n: usize = std::env::var("DAILY_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap();
    run(root, &samples().join("2026-11-19"), d(2026, 11, 19));
    let t = Instant::now();
    fill(root, n, today);
    let size = std::fs::metadata(root.join("state/ledger.sqlite3")).unwrap().len() as f64 / 1048576.0;
    println!("ledger: {n} certificates written in {:.1} s ({size:.0} MiB)", t.elapsed().as_secs_f64());
    let daily = |label: &str| {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_certbatch"))
            .args(["--state", root.join("state").to_str().unwrap(), "--out", root.join("out").to_str().unwrap()])
            .args(["--as-of", &today.to_string(), "daily"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        println!("{label}: {secs:.2} s, peak memory (ru_maxrss, largest child so far) {:.0} MiB", child_peak_mib());
        println!("  {}", String::from_utf8_lossy(&out.stdout).trim());
    };
    daily("daily, first run of the day");
    daily("daily, second run of the day");
}
