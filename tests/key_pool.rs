//! The key pool (`keys fill`): pooled keys serve G-ID and never a card product; each is
//! used by one certificate (the one whose PKCS#12 holds it) or recorded as destroyed, through
//! a `kill -9` at every step of issuance and of the fill itself.

mod common;
use common::*;

use certbatch::ledger::Ledger;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// G1..G`n` (G-ID, paid later) and two AOSign employees (invoiced, issued on the day).
fn day(root: &Path, gid: usize) -> Day {
    let mut day = Day::new(root, "2026-11-19");
    for i in 1..=gid {
        day.clean(&format!("G{i}"), &format!("E{i}"));
    }
    day.aosign("A1", "E9").aosign("A2", "E9").company_docs("E9");
    day.write_xlsx(true);
    day
}

fn mark_paid(root: &Path, gid: usize) {
    let mut ledger = Ledger::open(&root.join("state"), std::time::Duration::from_secs(5)).unwrap();
    for i in 1..=gid {
        ledger.mark_paid(&format!("G{i}"), d(2026, 11, 20)).unwrap();
    }
}

fn binary(root: &Path, as_of: &str, rest: &[&str], fail_at: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certbatch"));
    cmd.args(args(root, as_of, rest)).arg("--pipelines").arg(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"));
    if let Some(p) = fail_at {
        cmd.env("CERTBATCH_FAIL_AT", p);
    }
    cmd.output().unwrap()
}

/// One row of the pool as the ledger keeps it.
#[derive(Debug)]
struct PoolRow {
    state: String,
    spki_sha256: String,
    sealed: bool,
    /// The issuance that took it: (state, application id, certificate PEM).
    issuance: Option<(String, String, Option<String>)>,
}

fn pool(root: &Path) -> Vec<PoolRow> {
    let db = rusqlite::Connection::open_with_flags(
        root.join("state/ledger.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare(
            "SELECT k.state, k.spki_sha256, k.sealed IS NOT NULL, i.state, i.application_id, i.cert_pem
             FROM key_pool k LEFT JOIN issuances i ON i.serial = k.serial ORDER BY k.id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let issuance = match r.get::<_, Option<String>>(3)? {
            Some(s) => Some((s, r.get(4)?, r.get(5)?)),
            None => None,
        };
        Ok(PoolRow { state: r.get(0)?, spki_sha256: r.get(1)?, sealed: r.get(2)?, issuance })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// SHA-256 (hex) of a certificate's SubjectPublicKeyInfo.
fn cert_spki_sha256(pem: &str) -> String {
    use der::{DecodePem, Encode};
    use sha2::Digest;
    let cert = x509_cert::Certificate::from_pem(pem).unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info().to_der().unwrap();
    sha2::Sha256::digest(&spki).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (hex) of the public key of the private key inside a PKCS#12, as OpenSSL reads it.
fn p12_spki_sha256(p12: &Path, pin: &str) -> String {
    let key = Command::new("openssl")
        .args(["pkcs12", "-in", p12.to_str().unwrap(), "-nocerts", "-noenc", "-passin", "env:P12PIN"])
        .env("P12PIN", pin)
        .output()
        .unwrap();
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let mut child = Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&key.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    use sha2::Digest;
    sha2::Sha256::digest(&out.stdout).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn pooled_keys_serve_gid_until_the_pool_runs_dry_and_never_a_card_product() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let day = day(root, 4);
    let filled = cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "3"]);
    assert!(filled.contains("0 ready before, 3 now"), "{filled}");
    assert!(
        cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "3"]).contains("0 made"),
        "a second fill adds nothing"
    );

    // Day 1: AOSign's keys are born on its cards at the card station: none from the pool.
    let first = run(root, &day.dir, d(2026, 11, 19));
    assert_eq!(first.issue.awaiting_card.len(), 2);
    assert!(personalise(root, "2026-11-19").contains("2 personalised"));
    assert!(pool(root).iter().all(|k| k.state == "ready"), "no card product took a pooled key");

    // Day 2: four G-ID certificates paid; three keys in the pool, the fourth made on the spot.
    mark_paid(root, 4);
    let second = run(root, &day.dir, d(2026, 11, 20));
    assert_eq!(second.issue.issued.len(), 4);
    assert_eq!((second.issue.pool_taken, second.issue.pool_dry), (3, 1), "the run says the pool ran dry");
    let rows = pool(root);
    assert_eq!(rows.len(), 3);
    let by_app: BTreeMap<String, &PoolRow> = rows.iter().map(|k| (k.issuance.as_ref().unwrap().1.clone(), k)).collect();
    for i in &second.issue.issued {
        let pem = std::fs::read_to_string(&i.cert_file).unwrap();
        let spki = cert_spki_sha256(&pem);
        // The PKCS#12 holds the key the certificate certifies, as OpenSSL reads it.
        assert_eq!(p12_spki_sha256(i.p12_file.as_ref().unwrap(), &pin_of(i)), spki, "{}", i.application_id);
        match by_app.get(&i.application_id) {
            Some(k) => {
                assert_eq!(k.state, "used");
                assert!(!k.sealed, "a used key's sealed bytes are erased");
                assert_eq!(k.spki_sha256, spki, "{}: the pooled key is the certified one", i.application_id);
            }
            None => assert!(rows.iter().all(|k| k.spki_sha256 != spki), "{} has a fresh key", i.application_id),
        }
    }
    assert_eq!(by_app.len(), 3, "the pool's three keys went to three certificates");
    for i in &first.issue.issued {
        let spki = cert_spki_sha256(&std::fs::read_to_string(&i.cert_file).unwrap());
        assert!(rows.iter().all(|k| k.spki_sha256 != spki), "{}", i.application_id);
    }

    // The status command shows it and where; the KEK is the owner's alone.
    let status = cli_ok(root, "2026-11-20", &["keys", "status"]);
    assert!(status.contains("used\t3") && status.contains(&root.join("state").display().to_string()), "{status}");
    use std::os::unix::fs::PermissionsExt;
    let kek = root.join("state/ca/DEMO-pool.key");
    assert_eq!(std::fs::metadata(&kek).unwrap().permissions().mode() & 0o777, 0o600);
    let kek_hex = std::fs::read_to_string(&kek).unwrap();
    for f in walkdir::WalkDir::new(root).into_iter().map(Result::unwrap).filter(|e| e.file_type().is_file()) {
        if f.path() == kek {
            continue;
        }
        let bytes = std::fs::read(f.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(kek_hex.trim()),
            "the KEK leaked into {}",
            f.path().display()
        );
    }
}

#[test]
fn a_replaced_key_encryption_key_is_said_and_its_keys_are_never_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "2"]);
    std::fs::remove_file(root.join("state/ca/DEMO-pool.key")).unwrap();
    let a = args(root, "2026-11-19", &["keys", "fill", "--count", "1"]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&refs);
    assert_eq!(code, 0);
    assert!(err.contains("2 ready RSA-2048 keys are sealed under key-encryption key"), "{err}");
    let status = cli_ok(root, "2026-11-19", &["keys", "status"]);
    assert!(status.contains("(another KEK: never taken)"), "{status}");
}

#[test]
fn a_kill_at_any_step_leaves_each_pooled_key_used_once_or_recorded_destroyed() {
    for point in ["issue-after-reserve", "issue-after-files", "issue-mid-commit", "issue-after-commit"] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let day = day(root, 3);
        cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "5"]);
        assert!(binary(root, "2026-11-19", &["run", day.dir.to_str().unwrap()], None).status.success());
        mark_paid(root, 3);
        let killed = binary(root, "2026-11-20", &["run", day.dir.to_str().unwrap()], Some(point));
        assert!(!killed.status.success(), "{point}");
        let again = binary(root, "2026-11-20", &["run", day.dir.to_str().unwrap()], None);
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));

        let rows = pool(root);
        assert_eq!(rows.len(), 5, "{point}: no pooled key disappears");
        let count = |s: &str| rows.iter().filter(|k| k.state == s).count();
        assert_eq!(count("taken"), 0, "{point}: nothing is left half-taken");
        for k in &rows {
            match k.state.as_str() {
                "ready" => assert!(k.sealed && k.issuance.is_none(), "{point}: {k:?}"),
                "used" => {
                    let (state, _, pem) = k.issuance.as_ref().unwrap();
                    assert_eq!(state, "issued", "{point}");
                    assert_eq!(cert_spki_sha256(pem.as_ref().unwrap()), k.spki_sha256, "{point}");
                    assert!(!k.sealed);
                }
                "destroyed" => {
                    assert_eq!(k.issuance.as_ref().unwrap().0, "void", "{point}: destroyed with its voided attempt");
                    assert!(!k.sealed);
                }
                other => panic!("{point}: state {other}"),
            }
        }
        // Every G-ID application is issued exactly once; a killed attempt's keys are gone.
        let ledger = Ledger::open_read_only(&root.join("state")).unwrap().unwrap();
        let counts = ledger.issuance_counts().unwrap();
        assert_eq!(counts.get("issued"), Some(&3), "{point}: {counts:?}");
        if point == "issue-after-commit" {
            assert_eq!((count("used"), count("destroyed"), count("ready")), (3, 0, 2), "{point}");
        } else {
            // The killed attempt took three keys and they were destroyed with it; the rerun
            // took the two left and made the third certificate's key on the spot.
            assert_eq!((count("used"), count("destroyed"), count("ready")), (2, 3, 0), "{point}");
        }
    }
}

#[test]
fn a_fill_killed_between_chunks_keeps_what_it_recorded_and_a_rerun_tops_up_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let killed = binary(root, "2026-11-19", &["keys", "fill", "--count", "70"], Some("pool-after-chunk"));
    assert!(!killed.status.success());
    let ready = |root: &Path| pool(root).iter().filter(|k| k.state == "ready").count();
    assert_eq!(ready(root), 64, "the first chunk was recorded before the kill");
    let again = cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "70"]);
    assert!(again.contains("64 ready before, 70 now"), "{again}");
    assert_eq!(ready(root), 70);
    // Every recorded key opens under the KEK and is the key its row names.
    let kek = certbatch::issue::key_pool::PoolKek::open_or_create(&root.join("state/ca/DEMO-pool.key"), false).unwrap();
    let db = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let mut stmt = db.prepare("SELECT bits, kek_id, spki_sha256, sealed FROM key_pool").unwrap();
    let keys = stmt
        .query_map([], |r| {
            Ok(certbatch::issue::key_pool::SealedKey {
                bits: r.get(0)?,
                kek_id: r.get(1)?,
                spki_sha256: r.get(2)?,
                sealed: r.get(3)?,
            })
        })
        .unwrap();
    for k in keys {
        certbatch::issue::key_pool::unseal(&kek, &k.unwrap()).unwrap();
    }
}

#[test]
fn a_day_of_transfers_is_paid_and_issued_in_one_run_from_a_full_pool() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut day = Day::new(root, "2026-11-19");
    let mut credits = Vec::new();
    for i in 0..12 {
        day.gid_paid(&format!("G{i:03}"), i * 97, &mut credits);
    }
    day.write_csv(true, "sjis");
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(day.dir.join("transfers/smbc.csv"), smbc_statement(&credits)).unwrap();
    cli_ok(root, "2026-11-19", &["keys", "fill", "--count", "12"]);
    let out = run(root, &day.dir, d(2026, 11, 19));
    assert_eq!(out.issue.issued.len(), 12, "{:?} {:?}", out.issue.awaiting_payment, out.issue.holds);
    let rows = pool(root);
    assert!(rows.iter().all(|k| k.state == "used"), "{rows:?}");
}
