//! Issue 12's figures, on SoftHSM2 (installed when missing):
//!
//! (h) certificates per second signed by the issuing CA with its key on a PKCS#11 token,
//!     against the same key read from its file: `Ca::issue` on all cores, then on one;
//! (s) cards personalised per minute by a whole `certbatch cards personalise` process: a
//!     day of CARDS_N AOSign applications queued by `run`, then CARDS_N blank tokens
//!     initialised, given a key pair made on the token, certified, written and lettered.
//!
//! `cargo bench --bench cards` (`SIGN_N`, default 2000 certificates; `CARDS_N`, default 100).

#[path = "../tests/common/mod.rs"]
mod common;

use certbatch::issue::{ca, ca_source};
use common::*;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn sh(dir: &Path, hsm: &Hsm, script: &str) {
    let out = hsm.cmd("sh").arg("-c").arg(script).current_dir(dir).output().expect("sh runs");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let sign_n = env_count("SIGN_N", 2000);
    let cards_n = env_count("CARDS_N", 100);
    let threads = rayon::current_num_threads();
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path();
    let hsm = Hsm::new(root);
    // The module reads its configuration when this process first loads it.
    std::env::set_var("SOFTHSM2_CONF", &hsm.conf);
    println!("cards benchmark: {sign_n} certificates per CA key, {cards_n} cards; {threads} cores");

    // (h) The demo CA, and the same issuing key imported into a SoftHSM2 token.
    let state = root.join("state");
    let now = certbatch::run::issue_moment(d(2026, 11, 19));
    ca_source::init_demo(&state, now).expect("the demo CA is made");
    let dir = state.join("ca");
    sh(&dir, &hsm, "openssl pkcs8 -in DEMO-issuing.key.pem -passin file:DEMO-passphrase -out plain.pem");
    sh(&dir, &hsm, "softhsm2-util --init-token --free --label CA-HSM --so-pin 11223344 --pin 5566778899 >/dev/null");
    sh(
        &dir,
        &hsm,
        "softhsm2-util --import plain.pem --token CA-HSM --label issuing --id 01 --pin 5566778899 >/dev/null",
    );
    sh(&dir, &hsm, "rm plain.pem && cat DEMO-issuing.crt.pem DEMO-root.crt.pem > chain.pem");
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let config = ca_source::CaConfig::load(&pipelines).expect("the CA configuration");
    let file_ca = ca_source::open(&config, &state, now, false).expect("the demo CA opens").ca;
    let chain = dir.join("chain.pem");
    let key = certbatch::token::ca_key::TokenCaKey::open(Path::new(MODULE), "CA-HSM", "issuing", "5566778899")
        .expect("the token's key opens");
    let token_ca = ca::Ca::with_key(ca::Ca::read_chain(&chain).expect("the chain"), &chain, Box::new(key))
        .expect("the token's key signs for the CA certificate");
    let subject = certbatch::issue::pfx::generate_key(2048).expect("a subscriber key");
    let spki = spki::SubjectPublicKeyInfoOwned::from_key(&subject.to_public_key()).expect("its public key");
    let spec = |_: usize| employee_certificate(now, spki.clone(), "1.3.6.1.5.5.7.13.3");
    for (label, ca) in [("file key", &file_ca), ("SoftHSM2 token", &token_ca)] {
        let t = Instant::now();
        (0..sign_n).into_par_iter().for_each(|i| {
            ca.issue(&spec(i)).expect("signed");
        });
        let all = sign_n as f64 / t.elapsed().as_secs_f64();
        let one_n = (sign_n / 4).max(1);
        let t = Instant::now();
        for i in 0..one_n {
            ca.issue(&spec(i)).expect("signed");
        }
        let one = one_n as f64 / t.elapsed().as_secs_f64();
        println!(
            "(h) CA key in a {label:14}: {all:7.0} certificates/s on {threads} cores, {one:7.0} on one ({:.2} ms each)",
            1e3 / one
        );
    }

    // (s) The card station: a day of AOSign applications, queued by `run`, then the cards.
    let mut day = Day::new(root, "2026-11-19");
    for i in 0..cards_n {
        let envelope = format!("E{:05}", i / 10);
        day.aosign(&format!("A{i:05}"), &envelope);
        if i % 10 == 0 {
            day.company_docs(&envelope);
        }
    }
    day.write_csv(false, "utf8");
    let run = hsm.certbatch_on(root, "2026-11-19", &["run", day.dir.to_str().unwrap()], &pipelines, None);
    assert!(run.status.success(), "run: {}", String::from_utf8_lossy(&run.stderr));
    hsm.blanks_from(1, cards_n);
    let t = Instant::now();
    let station = hsm.certbatch_on(root, "2026-11-19", &["cards", "personalise"], &pipelines, None);
    let secs = t.elapsed().as_secs_f64();
    let out = String::from_utf8_lossy(&station.stdout);
    assert!(station.status.success(), "station: {}", String::from_utf8_lossy(&station.stderr));
    assert!(out.contains(&format!("{cards_n} personalised")), "{out}");
    println!(
        "(s) card station: {cards_n} cards personalised in {secs:.1} s = {:.0} cards/minute ({:.0} ms a card: \
         token initialised, PINs set, RSA-2048 key pair made on the token, certificate signed, written and read \
         back, PIN letter, ledger)",
        cards_n as f64 * 60.0 / secs,
        secs * 1e3 / cards_n as f64
    );
}
