//! Issuance checked with tools we did not write: OpenSSL 3 (verify, pkcs12 without the
//! legacy provider, exact dates), Python `cryptography`, and pkilint; and exactly once
//! through a `kill -9` at every step.

mod common;
use common::*;

use certbatch::ledger::Ledger;
use std::path::Path;
use std::process::Command;

/// A day of signing applications: three G-ID (two paid later), two G-ID paid by the day's
/// transfer (P1, P2: issued by the run), two AOSign (invoiced: queued for their cards).
fn day(root: &Path) -> Day {
    let mut day = Day::new(root, "2026-11-19");
    day.clean("G1", "E1").clean("G2", "E2").clean("G3", "E3");
    day.apps[1].insert("cert_type", s("org_employee_delegation"));
    for (k, v) in [
        ("corporate_number", "4011001040781"),
        ("org_name", "セコム株式会社"),
        ("org_representative", "セコム 一郎"),
        ("org_address", "東京都渋谷区神宮前1-5-1"),
        ("delegation", "契約の締結に関する一切の権限"),
    ] {
        day.apps[1].insert(k, s(v));
    }
    for t in ["corporate_registry", "corporate_seal_certificate", "delegation_certificate"] {
        day.doc(("G2", ""), t, d(2026, 11, 1));
    }
    day.aosign("A1", "E9").aosign("A2", "E9").company_docs("E9");
    let mut credits = Vec::new();
    day.gid_paid("P1", 11, &mut credits).gid_paid("P2", 12, &mut credits);
    std::fs::create_dir_all(day.dir.join("transfers")).unwrap();
    std::fs::write(day.dir.join("transfers/smbc.csv"), smbc_statement(&credits)).unwrap();
    day.write_xlsx(true);
    day
}

fn mark_paid(root: &Path, ids: &[&str]) {
    let mut ledger = Ledger::open(&root.join("state"), std::time::Duration::from_secs(5)).unwrap();
    for id in ids {
        ledger.mark_paid(id, d(2026, 11, 20)).unwrap();
    }
}

fn openssl(args: &[&str], pin: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    if let Some(p) = pin {
        cmd.env("P12PIN", p);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn invoiced_cards_are_queued_at_once_and_before_issue_products_wait_for_payment() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    let first = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let issued: Vec<&str> = first.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["P1", "P2"], "paid by the day's transfer; AOSign's key is born on its card");
    assert_eq!(first.issue.awaiting_card, ["A1", "A2"], "AOSign is invoiced: its cards are made at once");
    assert_eq!(first.issue.awaiting_payment, ["G1", "G2", "G3"]);
    assert!(first.issue.demo_ca);
    let rows = screening(tmp.path(), "2026-11-19");
    assert_eq!(row_of(&rows, "A1").0, "accepted");
    assert_eq!(row_of(&rows, "G1").0, "accepted");
    let station = personalise(tmp.path(), "2026-11-19");
    assert!(station.contains("2 personalised"), "{station}");

    mark_paid(tmp.path(), &["G1", "G2"]);
    let second = run(tmp.path(), &day.dir, d(2026, 11, 20));
    let issued: Vec<&str> = second.issue.issued.iter().map(|i| i.application_id.as_str()).collect();
    assert_eq!(issued, ["G1", "G2"]);
    let third = run(tmp.path(), &day.dir, d(2026, 11, 20));
    assert!(third.issue.issued.is_empty(), "nothing is issued twice");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.issuance_counts().unwrap().get("issued"), Some(&6));

    // issued.csv has the contract's columns and the certificates of the batch.
    let mut r = csv::Reader::from_path(tmp.path().join("out/2026-11-19/issued.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["application_id", "serial", "subject", "not_before", "not_after", "cert_file", "p12_file", "download_expires"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6, "with the batch's cards, made by the card station");
    for row in &rows {
        assert_eq!(row[1].len(), 32, "128-bit serial in hex: {}", &row[1]);
        assert!(row[1].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(row[3].ends_with("+09:00") && row[4].ends_with("23:59:59+09:00"), "{:?}", row);
    }
    let a1 = rows.iter().find(|r| &r[0] == "A1").unwrap();
    assert_eq!(
        (&a1[5], &a1[6], &a1[7]),
        ("../cards-2026-11-19/certs/A1/cert.pem", "", ""),
        "a card: no PKCS#12, no link"
    );
    let g1 = rows.iter().find(|r| &r[0] == "G1").unwrap();
    assert!(!g1[7].is_empty(), "download products expire their link");
    // G-ID 2y issued 2026-11-20: ends the day before 2028-12-20 (2 years and 1 month).
    assert_eq!(&g1[4], "2028-12-19T23:59:59+09:00");
    // The audit log has one line per issuance.
    let audit = std::fs::read_to_string(tmp.path().join("state/audit.log")).unwrap();
    assert_eq!(audit.lines().filter(|l| l.contains("\"event\":\"issued\"")).count(), 6);

    // Tools we did not write.
    ensure_python("cryptography", "cryptography");
    let chain = tmp.path().join("state/ca");
    let root = chain.join("DEMO-root.crt.pem");
    let issuing = chain.join("DEMO-issuing.crt.pem");
    let all: Vec<&certbatch::run::IssuedCert> = first.issue.issued.iter().chain(&second.issue.issued).collect();
    for i in &all {
        let cert = i.cert_file.to_str().unwrap();
        let (ok, out) = openssl(
            &["verify", "-CAfile", root.to_str().unwrap(), "-untrusted", issuing.to_str().unwrap(), cert],
            None,
        );
        assert!(ok, "{}: {out}", i.application_id);
        let p12 = i.p12_file.as_ref().unwrap().to_str().unwrap();
        let pin = pin_of(i);
        let pin = pin.as_str();
        let (ok, out) = openssl(&["pkcs12", "-info", "-noout", "-in", p12, "-passin", "env:P12PIN"], Some(pin));
        assert!(ok, "{}: OpenSSL 3 opens it without the legacy provider: {out}", i.application_id);
        assert!(out.contains("AES-256-CBC") && out.to_lowercase().contains("sha256"), "{out}");
        let (ok, _) = openssl(&["pkcs12", "-info", "-noout", "-in", p12, "-passin", "pass:wrong-pin"], None);
        assert!(!ok, "a wrong PIN does not open it");
        // The certificate in the PKCS#12 is the one issued to this applicant.
        let script = "import sys,os\nfrom cryptography.hazmat.primitives.serialization import pkcs12\nfrom cryptography import x509\nk,c,extra=pkcs12.load_key_and_certificates(open(sys.argv[1],'rb').read(), os.environ['P12PIN'].encode())\nissued=x509.load_pem_x509_certificate(open(sys.argv[2],'rb').read())\nassert c == issued, 'same certificate'\nassert k.public_key().public_numbers() == issued.public_key().public_numbers()\nassert len(extra) == 2, extra\nprint(format(c.serial_number, 'x'))";
        let out = Command::new("python3").args(["-c", script, p12, cert]).env("P12PIN", pin).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('0'),
            i.serial.trim_start_matches('0')
        );
    }

    use std::os::unix::fs::PermissionsExt;
    // The PIN printed in each PIN letter opens that applicant's PKCS#12 (pdftotext reads
    // the letter; nothing else knows the PIN).
    for i in &all {
        let pin_letter = i
            .letters
            .iter()
            .find(|l| l.kind == "pin")
            .unwrap_or_else(|| panic!("{} has a PIN letter", i.application_id));
        assert!(pin_letter.queued.is_none());
        let pin_file = &i.letter_files.iter().find(|(k, _)| *k == "pin").unwrap().1;
        let text = Command::new("pdftotext").args(["-layout", pin_file.to_str().unwrap(), "-"]).output().unwrap();
        let text = String::from_utf8_lossy(&text.stdout).to_string();
        assert!(
            (text.contains("PINコード送付のお知らせ") || text.contains("PIN（暗証番号）のお知らせ"))
                && text.contains(&format!("お申し込みコード: {}", i.application_id)),
            "{text}"
        );
        let pin = pin_of(i);
        let printed = text.split_whitespace().find(|w| *w == pin);
        assert_eq!(printed, Some(pin.as_str()), "the letter shows the PIN");
        let (ok, out) = openssl(
            &[
                "pkcs12",
                "-info",
                "-noout",
                "-in",
                i.p12_file.as_ref().unwrap().to_str().unwrap(),
                "-passin",
                "env:P12PIN",
            ],
            printed,
        );
        assert!(ok, "{}: the PIN from the letter opens the PKCS#12: {out}", i.application_id);
        let mode = std::fs::metadata(pin_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a letter holding a secret is private");
    }
    // G-ID download certificates also have a password letter, apart from the PIN letter.
    let g1 = all.iter().find(|i| i.application_id == "G1").unwrap();
    let kinds: Vec<&str> = g1.letters.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, ["pin", "download_password"]);
    assert_ne!(g1.letters[0].file, g1.letters[1].file);

    // The download-URL mail parses with Python's email package, names the applicant and
    // the URL, and carries no secret; the review mails too.
    let script = r#"
import sys, email, email.policy
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert msg["Subject"] and msg["Message-ID"] and msg["Date"] and "@" in msg["To"], dict(msg)
body = msg.get_content()
for s in sys.argv[2:]:
    assert s in body or s in msg["Subject"], (s, body)
print(body)
"#;
    let g1_mail = tmp.path().join("out/2026-11-19/mail/G1-download.eml");
    let out = Command::new("python3")
        .args([
            "-c",
            script,
            g1_mail.to_str().unwrap(),
            "お申し込みコード",
            "G1",
            "https://download.demo-ca.certbatch.example.jp/certificates/",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!body.contains(&pin_of(g1)) && !body.contains(&password_of(g1).unwrap()));
    let review = tmp.path().join("out/2026-11-19/mail/G3-review.eml");
    let out = Command::new("python3").args(["-c", script, review.to_str().unwrap(), "G3"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // No generated secret anywhere but the letters: not in the output, not in the state
    // folder, not in the ledger, not in an email.
    let secrets: Vec<String> = all.iter().flat_map(|i| std::iter::once(pin_of(i)).chain(password_of(i))).collect();
    assert_eq!(secrets.len(), 8, "4 PINs and 4 download passwords");
    for e in walkdir::WalkDir::new(tmp.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && !e.path().components().any(|c| c.as_os_str() == "letters"))
    {
        let bytes = std::fs::read(e.path()).unwrap();
        for s in &secrets {
            assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()), "{} holds a secret", e.path().display());
        }
    }
    // The ledger keeps a keyed hash of each download password (the key beside the CA's,
    // never in the ledger): the password in the letter checks against it, another does not.
    use certbatch::issue::secrets::{verify_download_password, PasswordKey};
    let key = PasswordKey::load(&tmp.path().join("state/ca/DEMO-password.key")).unwrap();
    let conn = rusqlite::Connection::open(tmp.path().join("state/ledger.sqlite3")).unwrap();
    for i in all.iter().filter(|i| password_of(i).is_some()) {
        let stored: String = conn
            .query_row("SELECT download_password_hash FROM issuances WHERE serial = ?1", [&i.serial], |r| r.get(0))
            .unwrap();
        assert!(stored.starts_with(&format!("hmac-sha256${}$", key.id())), "{stored}");
        let password = password_of(i).unwrap();
        assert!(verify_download_password(&stored, &password, Some(&key)).unwrap());
        let wrong = if password == "00000000" { "00000001" } else { "00000000" };
        assert!(!verify_download_password(&stored, wrong, Some(&key)).unwrap());
    }
    // Secret-bearing files are readable by their owner only.
    for i in &all {
        let mode = std::fs::metadata(i.p12_file.as_ref().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", i.application_id);
    }
}

#[test]
fn pkilint_finds_nothing_at_warning_level() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    mark_paid(tmp.path(), &[]);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    mark_paid(tmp.path(), &["G1", "G2"]);
    let out = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert_eq!(out.issue.issued.len(), 2);
    personalise(tmp.path(), "2026-11-19");
    let mut card_certs: Vec<std::path::PathBuf> = std::fs::read_dir(tmp.path().join("out/cards-2026-11-19/certs"))
        .unwrap()
        .map(|e| e.unwrap().path().join("cert.pem"))
        .collect();
    card_certs.sort();
    assert_eq!(card_certs.len(), 2, "AOSign's cards too");
    ensure_python("pkilint", "pkilint");
    let ca = tmp.path().join("state/ca");
    let mut certs = vec![ca.join("DEMO-root.crt.pem"), ca.join("DEMO-issuing.crt.pem")];
    certs.extend(out.issue.issued.iter().map(|i| i.cert_file.clone()));
    certs.extend(card_certs.iter().cloned());
    for c in &certs {
        let o = Command::new("lint_pkix_cert").args(["lint", "-s", "WARNING", c.to_str().unwrap()]).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(text.trim().is_empty(), "{}: {text}", c.display());
    }
    let pairs = [(ca.join("DEMO-root.crt.pem"), ca.join("DEMO-issuing.crt.pem"))]
        .into_iter()
        .chain(out.issue.issued.iter().map(|i| (ca.join("DEMO-issuing.crt.pem"), i.cert_file.clone())))
        .chain(card_certs.iter().map(|c| (ca.join("DEMO-issuing.crt.pem"), c.clone())));
    for (issuer, subject) in pairs {
        let o = Command::new("lint_pkix_signer_signee_cert_chain")
            .args(["lint", "-s", "WARNING", issuer.to_str().unwrap(), subject.to_str().unwrap()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(text.trim().is_empty(), "{} → {}: {text}", issuer.display(), subject.display());
    }
}

fn run_binary(root: &Path, batch: &Path, as_of: &str, fail_at: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certbatch"));
    cmd.args(["--state", root.join("state").to_str().unwrap(), "--out", root.join("out").to_str().unwrap()]);
    cmd.args([
        "--pipelines",
        concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"),
        "--as-of",
        as_of,
        "run",
        batch.to_str().unwrap(),
    ]);
    if let Some(point) = fail_at {
        cmd.env("CERTBATCH_FAIL_AT", point);
    }
    cmd.output().unwrap()
}

#[test]
fn a_run_killed_during_issuance_ends_with_each_certificate_issued_once() {
    for point in ["issue-after-reserve", "issue-after-files", "issue-mid-commit", "issue-after-commit"] {
        let tmp = tempfile::tempdir().unwrap();
        let day = day(tmp.path());
        let killed = run_binary(tmp.path(), &day.dir, "2026-11-19", Some(point));
        assert!(!killed.status.success(), "{point}");
        let again = run_binary(tmp.path(), &day.dir, "2026-11-19", None);
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));
        let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
        let counts = ledger.issuance_counts().unwrap();
        assert_eq!(counts.get("issued"), Some(&2), "{point}: {counts:?}");
        assert_eq!(counts.get("reserved"), None, "{point}");
        let committed = point == "issue-after-commit";
        assert_eq!(
            counts.get("void").copied().unwrap_or(0),
            if committed { 0 } else { 2 },
            "{point}: interrupted reservations are voided"
        );
        // Exactly the issued certificates have files, and each file is the recorded one.
        let rows = ledger.issued_in_batch("2026-11-19").unwrap();
        assert_eq!(rows.len(), 2);
        for r in &rows {
            let cert_file = tmp.path().join("out/2026-11-19").join(&r.cert_file);
            let pem = std::fs::read_to_string(&cert_file).unwrap();
            let (ok, serial) = openssl(&["x509", "-noout", "-serial", "-in", cert_file.to_str().unwrap()], None);
            assert!(ok);
            assert_eq!(serial.trim().trim_start_matches("serial=").to_lowercase(), r.serial, "{point}: {pem}");
        }
        let dirs: Vec<_> = std::fs::read_dir(tmp.path().join("out/2026-11-19/certs")).unwrap().collect();
        assert_eq!(dirs.len(), 2, "{point}");
        for dir in dirs {
            let files: Vec<String> = std::fs::read_dir(dir.unwrap().path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let mut files = files;
            files.sort();
            assert_eq!(files, ["cert.p12", "cert.pem"], "{point}: no temporary or stale file");
        }
        // One PIN letter per issued certificate, and one print file and manifest: none of
        // the interrupted run's are left.
        let letters = tmp.path().join("out/2026-11-19/letters");
        assert_eq!(std::fs::read_dir(letters.join("pin")).unwrap().count(), 2, "{point}");
        let prints: Vec<String> = std::fs::read_dir(&letters)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| (n.starts_with("print-") || n.starts_with("manifest-")) && !n.contains("notices"))
            .collect();
        // The PIN letters' and the password letters' print files, and their manifest.
        assert_eq!(prints.len(), 3, "{point}: {prints:?}");
    }
}

#[test]
fn exact_dates_of_the_seed_example_as_openssl_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "2024-05-10");
    day.clean("A1", "E1");
    day.apps[0].insert("product", s("aosign-g2"));
    day.apps[0].insert("cert_type", s("employee"));
    day.apps[0].insert("term", s("5y"));
    day.apps[0].insert("applied_on", V::Date(d(2024, 5, 1)));
    day.apps[0].insert("received_on", V::Date(d(2024, 5, 10)));
    for (k, v) in [
        ("corporate_number", "4011001040781"),
        ("org_name", "セコム株式会社"),
        ("org_representative", "セコム 一郎"),
        ("org_address", "東京都渋谷区神宮前1-5-1"),
    ] {
        day.apps[0].insert(k, s(v));
    }
    day.docs.clear();
    for t in ["application_form", "residence_certificate", "seal_certificate"] {
        day.doc(("A1", ""), t, d(2024, 5, 1));
    }
    for t in ["corporate_registry", "corporate_seal_certificate"] {
        day.doc(("", "E1"), t, d(2024, 5, 1));
    }
    day.write_csv(false, "utf8");
    let out = run(tmp.path(), &day.dir, d(2024, 5, 10));
    assert_eq!(out.issue.awaiting_card, ["A1"], "{:?}", out.decisions);
    personalise(tmp.path(), "2024-05-10");
    let cert = tmp.path().join("out/cards-2024-05-10/certs/A1/cert.pem");
    let (ok, dates) = openssl(&["x509", "-noout", "-enddate", "-in", cert.to_str().unwrap()], None);
    assert!(ok);
    // AOSign 5y from 2024-05-10: the day before 2029-05-10, 23:59:59 JST = 14:59:59Z.
    assert_eq!(dates.trim(), "notAfter=May  9 14:59:59 2029 GMT");
}

#[test]
fn a_ca_key_that_does_not_decrypt_stops_the_run_before_any_serial_is_reserved() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    // Make the demo CA, then configure it as a real CA with the wrong passphrase.
    let (code, _, err) = cli(&["--state", tmp.path().join("state").to_str().unwrap(), "ca", "init"]);
    assert_eq!(code, 0, "{err}");
    let pipelines = tmp.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("ca")).unwrap();
    let shipped = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines"));
    for e in walkdir::WalkDir::new(shipped).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let rel = e.path().strip_prefix(shipped).unwrap();
        if rel.starts_with("ca") {
            continue;
        }
        std::fs::create_dir_all(pipelines.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(e.path(), pipelines.join(rel)).unwrap();
    }
    let ca = tmp.path().join("state/ca");
    let chain = format!(
        "{}{}",
        std::fs::read_to_string(ca.join("DEMO-issuing.crt.pem")).unwrap(),
        std::fs::read_to_string(ca.join("DEMO-root.crt.pem")).unwrap()
    );
    std::fs::write(tmp.path().join("chain.pem"), chain).unwrap();
    std::fs::write(
        pipelines.join("ca/ca.toml"),
        format!(
            "mode = \"file\"\nchain = {:?}\nkey = {:?}\npassphrase_env = \"TEST_CA_PASS\"\ncard_key_file = {:?}\n",
            tmp.path().join("chain.pem"),
            ca.join("DEMO-issuing.key.pem"),
            tmp.path().join("cards.key")
        ),
    )
    .unwrap();
    // The card station's key, which the shipped card products need of a real CA.
    std::fs::write(tmp.path().join("cards.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(tmp.path().join("cards.key"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certbatch"))
        .args([
            "--state",
            tmp.path().join("state").to_str().unwrap(),
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ])
        .args(["--pipelines", pipelines.to_str().unwrap(), "--as-of", "2026-11-19", "run", day.dir.to_str().unwrap()])
        .env("TEST_CA_PASS", "not the passphrase")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("does not decrypt with the given passphrase"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    // The CA is configuration: it is opened before anything is recorded or written.
    assert!(!tmp.path().join("out/2026-11-19").exists(), "nothing written");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert!(ledger.issuance_counts().unwrap().is_empty(), "no serial reserved");
    assert!(ledger.statuses().unwrap().is_empty(), "nothing recorded");
    assert!(!tmp.path().join("out/2026-11-19/certs").exists());
    drop(ledger);
    // With the right passphrase (the demo's, from its file) the same run issues.
    let pass = std::fs::read_to_string(ca.join("DEMO-passphrase")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_certbatch"))
        .args([
            "--state",
            tmp.path().join("state").to_str().unwrap(),
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ])
        .args(["--pipelines", pipelines.to_str().unwrap(), "--as-of", "2026-11-19", "run", day.dir.to_str().unwrap()])
        .env("TEST_CA_PASS", pass.trim())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert_eq!(ledger.issuance_counts().unwrap().get("issued"), Some(&2), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_certificate_that_would_outlive_the_ca_is_not_issued() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo CA is made now and lives 10 years; a 5-year card issued in 2033 would end
    // after it.
    let (code, _, err) = cli(&["--state", tmp.path().join("state").to_str().unwrap(), "ca", "init"]);
    assert_eq!(code, 0, "{err}");
    let mut day = Day::new(tmp.path(), "2033-06-01");
    day.aosign("A1", "E1");
    let a = &mut day.apps[0];
    a.insert("term", s("5y"));
    a.insert("applied_on", V::Date(d(2033, 5, 20)));
    a.insert("received_on", V::Date(d(2033, 6, 1)));
    day.docs.clear();
    for t in ["application_form", "residence_certificate", "seal_certificate"] {
        day.doc(("A1", ""), t, d(2033, 5, 20));
    }
    for t in ["corporate_registry", "corporate_seal_certificate"] {
        day.doc(("", "E1"), t, d(2033, 5, 20));
    }
    day.write_csv(false, "utf8");
    let out = run(tmp.path(), &day.dir, d(2033, 6, 1));
    assert!(out.issue.issued.is_empty());
    assert_eq!(out.issue.holds.len(), 1);
    assert!(out.issue.holds[0].detail.contains("expires"), "{:?}", out.issue.holds);
    assert_eq!(row_of(&screening(tmp.path(), "2033-06-01"), "A1").0, "accepted", "it waits for a CA that can sign it");
    assert!(!tmp.path().join("out/2033-06-01/certs/A1").exists(), "no artefact");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert!(ledger.issuance_counts().unwrap().is_empty(), "checked before a serial is reserved: nothing to void");
    drop(ledger);
    // It waits on the staff queue, and a second run changes nothing.
    let queue = std::fs::read_to_string(tmp.path().join("out/2033-06-01/staff-queue.csv")).unwrap();
    assert!(queue.contains("A1,hold (checked every run),certificate_unbuildable"), "{queue}");
    let again = run(tmp.path(), &day.dir, d(2033, 6, 1));
    assert!(again.issue.issued.is_empty() && again.issue.holds.len() == 1);
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert!(ledger.issuance_counts().unwrap().is_empty());
}

#[test]
fn an_unwritable_certificate_folder_holds_its_applications_until_it_is_freed() {
    let tmp = tempfile::tempdir().unwrap();
    let day = day(tmp.path());
    // Where the certificates go is a file: found before anything is signed, so the
    // applications wait (no key made, no serial spent) and the run completes.
    std::fs::create_dir_all(tmp.path().join("out/2026-11-19")).unwrap();
    std::fs::write(tmp.path().join("out/2026-11-19/certs"), "in the way").unwrap();
    let held = run_binary(tmp.path(), &day.dir, "2026-11-19", None);
    assert!(held.status.success(), "{}", String::from_utf8_lossy(&held.stderr));
    let queue = std::fs::read_to_string(tmp.path().join("out/2026-11-19/staff-queue.csv")).unwrap();
    assert_eq!(queue.matches("output_unwritable").count(), 2, "{queue}");
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    assert!(ledger.issuance_counts().unwrap().is_empty(), "nothing reserved");
    drop(ledger);
    std::fs::remove_file(tmp.path().join("out/2026-11-19/certs")).unwrap();
    let again = run_binary(tmp.path(), &day.dir, "2026-11-19", None);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let ledger = Ledger::open_read_only(&tmp.path().join("state")).unwrap().unwrap();
    let counts = ledger.issuance_counts().unwrap();
    assert_eq!((counts.get("issued"), counts.get("void"), counts.get("reserved")), (Some(&2), None, None));
    assert!(ledger.holds().unwrap().is_empty(), "the holds lifted themselves");
}
