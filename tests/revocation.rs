//! After issue (issue 10): receipts, reminders and revocations for no receipt, revocation
//! requests, and the CRL, checked as cron and staff meet them and with tools we did not
//! write (OpenSSL, Python cryptography).

mod common;
use certbatch::lifecycle::daily::{self, DailyReport};
use certbatch::run::Mode;
use chrono::{Days, NaiveDate};
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Sample day 1, run and its cards made at the card station: the certificates issued, by
/// application id: (serial, issue day, last day).
fn sample_day_one(root: &Path) -> BTreeMap<String, (String, NaiveDate, NaiveDate)> {
    run(root, &samples().join("2026-11-19"), d(2026, 11, 19));
    personalise(root, "2026-11-19");
    let db = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let mut q = db
        .prepare("SELECT application_id, serial, not_before, not_after FROM issuances WHERE state = 'issued'")
        .unwrap();
    let day = |s: String| s[..10].parse::<NaiveDate>().unwrap();
    q.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, day(r.get(2)?), day(r.get(3)?)))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn offsets(product: &str) -> Vec<u64> {
    match product {
        "GD" | "GM" => vec![45, 30],
        "AO" | "CE" => vec![60],
        _ => vec![60, 30],
    }
}

#[test]
fn three_years_of_daily_runs_remind_once_revoke_once_and_send_each_expiry_notice_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let certs = sample_day_one(root);
    assert!(certs.len() >= 15, "{}", certs.len());
    // Receipts: one G-ID early (no reminder), one G-ID after its reminder, one AOSign.
    let receipts = root.join("receipts.csv");
    std::fs::write(
        &receipts,
        "申込コード,受領書到着日,受領方法\r\nGD-20261119-003,2026-11-28,郵送\r\nAO-20261119-029,2026-12-01,持参\r\n",
    )
    .unwrap();
    let got = cli_ok(root, "2026-12-01", &["receipts", "import", receipts.to_str().unwrap()]);
    assert_eq!(got.matches("\trecorded\t").count(), 2, "{got}");
    let with_receipt: BTreeSet<&str> = ["GD-20261119-003", "AO-20261119-029", "GD-20261119-005"].into();

    let config = certbatch::config::Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")).unwrap();
    let opts = |day: NaiveDate| options(root, Path::new(""), day, Mode::Run);
    let ca = certbatch::issue::ca_source::open(
        &config.ca,
        &root.join("state"),
        certbatch::run::issue_moment(d(2026, 11, 20)),
        false,
    )
    .unwrap();
    let skipped: BTreeSet<NaiveDate> = (0..10).map(|i| d(2027, 8, 1) + Days::new(i)).collect();
    let mut reports: Vec<DailyReport> = Vec::new();
    let mut day = d(2026, 11, 20);
    let end = d(2029, 11, 20);
    while day <= end {
        if !skipped.contains(&day) {
            let mut ledger =
                certbatch::ledger::Ledger::open(&root.join("state"), std::time::Duration::from_secs(5)).unwrap();
            let r = daily::run_day(&mut ledger, &config, &ca.ca, &opts(day)).unwrap();
            if day == d(2026, 12, 3) {
                // A second run of the day: the same files, nothing new.
                let before = snapshot(&root.join("out/daily-2026-12-03"));
                let again = daily::run_day(&mut ledger, &config, &ca.ca, &opts(day)).unwrap();
                assert_eq!(again, r, "a rerun of a day reports the same");
                assert_eq!(snapshot(&root.join("out/daily-2026-12-03")), before, "and writes the same files");
            }
            reports.push(r);
        }
        if day == d(2026, 12, 10) {
            // A receipt after the reminder stops the revocation.
            std::fs::write(&receipts, "application_id,received_on\nGD-20261119-005,2026-12-09\n").unwrap();
            cli_ok(root, "2026-12-10", &["receipts", "import", receipts.to_str().unwrap()]);
        }
        day = day + Days::new(1);
    }
    let on = |pick: fn(&DailyReport) -> &Vec<String>| -> BTreeMap<String, Vec<NaiveDate>> {
        let mut m: BTreeMap<String, Vec<NaiveDate>> = BTreeMap::new();
        for r in &reports {
            for id in pick(r) {
                m.entry(id.clone()).or_default().push(r.day.unwrap());
            }
        }
        m
    };
    let reminders = on(|r| &r.reminders);
    let revoked = on(|r| &r.revoked);
    let expiry = on(|r| &r.expiry_notices);
    for (id, (_, issued_on, last)) in &certs {
        let product = &id[..2];
        let has_receipt = with_receipt.contains(id.as_str());
        let gid = product == "GD" || product == "GM";
        // G-ID: one reminder 14 days after issue when no receipt had come by then.
        let want_reminder = if gid && id != "GD-20261119-003" { vec![*issued_on + Days::new(14)] } else { vec![] };
        assert_eq!(reminders.get(id).cloned().unwrap_or_default(), want_reminder, "{id}: reminders");
        // G-ID and AOSign: revoked 30 days after issue without a receipt; the others never.
        let revocable = gid || product == "AO";
        let want_revoked = if revocable && !has_receipt {
            vec![*issued_on + Days::new(30)]
        } else if product == "PW" {
            // Web: its unpaid invoice (due at the end of the next month) revokes it the day
            // after (pipelines/passport-web.toml: on_overdue = "revoke").
            vec![d(2027, 1, 1)]
        } else {
            vec![]
        };
        assert_eq!(revoked.get(id).cloned().unwrap_or_default(), want_revoked, "{id}: revocations");
        // Expiry notices at each offset (a skipped day's notice the day after the gap), none
        // once revoked.
        let mut want: Vec<NaiveDate> = if want_revoked.is_empty() {
            offsets(product)
                .into_iter()
                .map(|o| *last - Days::new(o))
                .filter(|due| *due <= end)
                .map(|due| {
                    let mut t = due;
                    while skipped.contains(&t) {
                        t = t + Days::new(1);
                    }
                    t
                })
                .collect()
        } else {
            vec![]
        };
        want.sort();
        want.dedup();
        assert_eq!(expiry.get(id).cloned().unwrap_or_default(), want, "{id}: expiry notices (ends {last})");
    }
    // Every revocation is on the CRL of its day, with its reason, until the certificate ends.
    let crl = root.join("out/publish/issuing-ca.crl");
    assert!(crl.exists());
}

/// Every file under `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// Seconds since 1970 of the last minute of `day` in Japan, for OpenSSL's -attime (the
/// day's CRL is signed at the time of day the command ran).
fn attime(day: NaiveDate) -> String {
    (day.and_hms_opt(14, 59, 0).unwrap().and_utc().timestamp()).to_string()
}

#[test]
fn openssl_checks_the_crl_and_refuses_a_revoked_certificate_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let certs = sample_day_one(root);
    let dry = cli_ok(root, "2026-11-25", &["revoke", "AO-20261119-030", "--reason", "key_compromise", "--dry-run"]);
    assert!(dry.contains("\trevoked\t") && dry.contains("dry run"), "{dry}");
    assert!(!root.join("out/publish").exists(), "a dry run changes nothing");
    let out = cli_ok(
        root,
        "2026-11-25",
        &["revoke", "AO-20261119-030", "--reason", "key_compromise", "--invalidity-date", "2026-11-24"],
    );
    assert!(out.contains("\trevoked\t"), "{out}");
    let twice = cli_ok(root, "2026-11-25", &["revoke", &certs["AO-20261119-030"].0, "--reason", "superseded"]);
    assert!(twice.contains("\talready_revoked\t"), "{twice}");
    // A scheduled one: effective a week later.
    let sched = cli_ok(
        root,
        "2026-11-25",
        &[
            "revoke",
            "CE-20261119-037",
            "--reason",
            "affiliation_changed",
            "--requested-by",
            "organization",
            "--effective-on",
            "2026-12-02",
        ],
    );
    assert!(sched.contains("\tscheduled\t"), "{sched}");
    // revocations.csv: every status of the contract.
    let file = root.join("revocations.csv");
    std::fs::write(
        &file,
        "serial,application_id,reason,requested_on,requested_by,invalidity_date,effective_on\n\
         ,GD-20261119-003,unspecified,2026-11-26,subscriber,,\n\
         ,GD-20261119-003,superseded,2026-11-26,subscriber,,\n\
         ,NO-SUCH-1,unspecified,2026-11-26,subscriber,,\n\
         ,GD-20261119-005,lost,2026-11-26,subscriber,,\n",
    )
    .unwrap();
    let many = cli_ok(root, "2026-11-26", &["revoke", "--file", file.to_str().unwrap()]);
    for status in ["\trevoked\t", "\talready_revoked\t", "\tunknown\t", "\trefused\t"] {
        assert!(many.contains(status), "{status} in {many}");
    }
    assert!(many.contains("row 5") && many.contains("unknown revocation reason"), "{many}");
    cli_ok(root, "2026-12-02", &["daily"]);

    let publish = root.join("out/publish");
    let chain = root.join("chain.pem");
    let mut pem = std::fs::read_to_string(publish.join("issuing-ca.pem")).unwrap();
    pem.push_str(&std::fs::read_to_string(publish.join("root-ca.pem")).unwrap());
    std::fs::write(&chain, &pem).unwrap();
    let v = std::process::Command::new("openssl")
        .args(["crl", "-inform", "DER", "-in", publish.join("issuing-ca.crl").to_str().unwrap(), "-noout", "-verify"])
        .args(["-CAfile", chain.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stderr).contains("verify OK"), "{}", String::from_utf8_lossy(&v.stderr));
    pem.push_str(&std::fs::read_to_string(publish.join("issuing-ca.crl.pem")).unwrap());
    std::fs::write(&chain, &pem).unwrap();
    let verify = |id: &str| {
        // Cards come from the card station's folder.
        let folder = if id.starts_with("AO") || id.starts_with("CE") { "cards-2026-11-19" } else { "2026-11-19" };
        let cert = root.join("out").join(folder).join("certs").join(id).join("cert.pem");
        let o = std::process::Command::new("openssl")
            .args(["verify", "-crl_check", "-attime", &attime(d(2026, 12, 2)), "-CAfile", chain.to_str().unwrap()])
            .arg(&cert)
            .output()
            .unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
    };
    let (ok, text) = verify("AO-20261119-030");
    assert!(!ok && text.contains("certificate revoked"), "{text}");
    let (ok, text) = verify("CE-20261119-037");
    assert!(!ok && text.contains("certificate revoked"), "the scheduled one took effect on 12-02: {text}");
    let (ok, text) = verify("AO-20261119-031");
    assert!(ok, "a valid certificate passes: {text}");

    // Python cryptography reads the reasons, dates, number and the issuing CA's key id.
    ensure_python("cryptography", "cryptography");
    let script = r#"
import sys, datetime
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], 'rb').read())
ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
assert crl.is_signature_valid(ca.public_key())
ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
assert aki == ski, (aki, ski)
print('number', crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
for r in crl:
    try:
        reason = r.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        reason = 'none'
    try:
        inv = r.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc.isoformat()
    except x509.ExtensionNotFound:
        inv = '-'
    # The JST day (the test must not depend on the hour it runs at).
    jst = (r.revocation_date_utc + datetime.timedelta(hours=9)).date().isoformat()
    print(format(r.serial_number, 'x'), reason, jst, inv)
"#;
    let py = std::process::Command::new("python3")
        .args([
            "-c",
            script,
            publish.join("issuing-ca.crl").to_str().unwrap(),
            publish.join("issuing-ca.pem").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let serial = |id: &str| certs[id].0.trim_start_matches('0').to_string();
    assert!(
        text.contains(&format!("{} key_compromise 2026-11-25 2026-11-23T15:00:00", serial("AO-20261119-030"))),
        "{text}"
    );
    assert!(text.contains(&format!("{} affiliation_changed 2026-12-02 -", serial("CE-20261119-037"))), "{text}");
    assert!(
        text.contains(&format!("{} none 2026-11-26 -", serial("GD-20261119-003"))),
        "unspecified has no reasonCode: {text}"
    );
    let numbers: Vec<&str> = text.lines().filter(|l| l.starts_with("number")).collect();
    // 11-25 revoke (1; the scheduled request changes no entry that day), 11-26 file (2),
    // 12-02 daily (3).
    assert_eq!(numbers, ["number 3"], "a CRL after each command that revoked and each daily run: {text}");

    // pkilint's CRL linter finds nothing at WARNING or above.
    ensure_python("pkilint", "pkilint");
    for profile in ["PKIX", "BR"] {
        let lint = std::process::Command::new("lint_crl")
            .args([
                "lint",
                "-t",
                "CRL",
                "-p",
                profile,
                "-s",
                "WARNING",
                publish.join("issuing-ca.crl.pem").to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&lint.stdout).to_string() + &String::from_utf8_lossy(&lint.stderr);
        assert!(lint.status.success() && report.trim().is_empty(), "{profile}: {report}");
    }

    // The day's files: revocations.csv of 2026-11-25 lists what took effect that day; the
    // company and the user of the AOSign card each get a 失効通知書.
    let rev = std::fs::read_to_string(root.join("out/daily-2026-11-25/revocations.csv")).unwrap();
    assert!(rev.lines().any(|l| l.contains("AO-20261119-030,key_compromise,subscriber,2026-11-25")), "{rev}");
    assert!(!rev.contains("CE-20261119-037"), "scheduled, not yet revoked: {rev}");
    let manifest = std::fs::read_to_string(root.join("out/daily-2026-11-25/letters/manifest-daily.csv")).unwrap();
    for kind in ["revocation", "revocation-company"] {
        assert!(manifest.contains(&format!("AO-20261119-030-{kind},{kind},普通郵便")), "{kind}: {manifest}");
        let print = root.join(format!("out/daily-2026-11-25/letters/print-{kind}-ordinary-daily.pdf"));
        let text = std::process::Command::new("pdftotext").args([print.to_str().unwrap(), "-"]).output().unwrap();
        let text: String = String::from_utf8_lossy(&text.stdout).split_whitespace().collect();
        assert!(text.contains("電子証明書失効通知書") && text.contains("秘密鍵の危殆化・PIN紛失"), "{kind}: {text}");
    }
    let later = std::fs::read_to_string(root.join("out/daily-2026-12-02/revocations.csv")).unwrap();
    assert!(later.contains("CE-20261119-037,affiliation_changed,organization"), "{later}");
}

fn sh(cmd: &mut std::process::Command) -> String {
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A receipt mail signed with OpenSSL's `smime -sign` (detached, or opaque with
/// `-nodetach`), as a mail client would send it.
fn signed_mail(dir: &Path, name: &str, cert: &Path, key: &Path, opaque: bool) -> PathBuf {
    let body = dir.join("body.txt");
    std::fs::write(&body, "受領書\r\n電子証明書を受領しました。\r\n").unwrap();
    let out = dir.join(name);
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["smime", "-sign", "-md", "sha256", "-in", body.to_str().unwrap(), "-text"])
        .args(["-signer", cert.to_str().unwrap(), "-inkey", key.to_str().unwrap()])
        .args(["-from", "applicant@example.jp", "-to", "ra@example.jp", "-subject", "receipt"])
        .args(["-out", out.to_str().unwrap()]);
    if opaque {
        cmd.arg("-nodetach");
    }
    sh(&mut cmd);
    // The mail's Date, as a mail client adds it.
    let mail = std::fs::read(&out).unwrap();
    let mut dated = b"Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n".to_vec();
    dated.extend(mail);
    std::fs::write(&out, dated).unwrap();
    out
}

#[test]
fn a_receipt_mail_counts_only_when_signed_with_the_certificate_it_acknowledges() {
    ensure_poppler();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let day1 = run(root, &samples().join("2026-11-19"), d(2026, 11, 19));
    let find = |id: &str| day1.issue.issued.iter().find(|i| i.application_id == id).unwrap().clone();
    let (a, b) = (find("GD-20261119-003"), find("GD-20261119-005"));
    let dir = root.join("mails");
    std::fs::create_dir_all(&dir).unwrap();
    // The subscriber's key and certificate, from the PKCS#12 and the PIN in its letter.
    let extract = |i: &certbatch::run::IssuedCert, what: &str| -> PathBuf {
        let file = dir.join(format!("{}-{what}.pem", i.application_id));
        let mut cmd = std::process::Command::new("openssl");
        cmd.args(["pkcs12", "-in", i.p12_file.as_ref().unwrap().to_str().unwrap(), "-passin", "env:PIN", "-noenc"])
            .args(if what == "key" { ["-nocerts"] } else { ["-clcerts"] })
            .args(if what == "key" { vec![] } else { vec!["-nokeys"] })
            .args(["-out", file.to_str().unwrap()])
            .env("PIN", pin_of(i));
        sh(&mut cmd);
        file
    };
    let (cert_a, key_a, cert_b, key_b) =
        (extract(&a, "cert"), extract(&a, "key"), extract(&b, "cert"), extract(&b, "key"));
    let good = signed_mail(&dir, "good.eml", &cert_a, &key_a, false);
    let opaque = signed_mail(&dir, "opaque.eml", &cert_b, &key_b, true);
    // Altered after signing: one word of the body changed.
    let text = std::fs::read_to_string(&good).unwrap();
    let altered = dir.join("altered.eml");
    std::fs::write(&altered, text.replacen("Content-Type: text/plain", "Content-Type: text/plain; x=1", 1)).unwrap();
    // Another key under a certificate that claims A's serial and our issuing CA's name.
    let issuer = sh(std::process::Command::new("openssl")
        .args(["x509", "-in"])
        .arg(&cert_a)
        .args(["-noout", "-issuer", "-nameopt", "compat"]));
    let issuer = issuer.trim().trim_start_matches("issuer=").to_string();
    let fake_ca_key = dir.join("fake-ca.key");
    let fake_ca = dir.join("fake-ca.pem");
    sh(std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-noenc", "-days", "30", "-subj", &issuer])
        .args(["-keyout", fake_ca_key.to_str().unwrap(), "-out", fake_ca.to_str().unwrap()]));
    let forged_key = dir.join("forged.key");
    let csr = dir.join("forged.csr");
    sh(std::process::Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-noenc", "-subj", "/CN=ONO KENICHI"])
        .args(["-keyout", forged_key.to_str().unwrap(), "-out", csr.to_str().unwrap()]));
    let forged_cert = dir.join("forged.pem");
    sh(std::process::Command::new("openssl")
        .args([
            "x509",
            "-req",
            "-in",
            csr.to_str().unwrap(),
            "-CA",
            fake_ca.to_str().unwrap(),
            "-CAkey",
            fake_ca_key.to_str().unwrap(),
        ])
        .args(["-set_serial", &format!("0x{}", a.serial), "-days", "30", "-out", forged_cert.to_str().unwrap()]));
    let forged = signed_mail(&dir, "forged.eml", &forged_cert, &forged_key, false);
    // The right certificate, but a signature value that is not its key's (one byte of it
    // changed): the content still matches, the signature does not.
    let bad_sig = dir.join("bad-signature.eml");
    let flip = r#"
import sys, base64, re
raw = open(sys.argv[1], 'rb').read().decode('latin-1')
m = re.search(r'filename="smime.p7s"\r?\n\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n\r?\n', raw)
b64 = m.group(1)
der = bytearray(base64.b64decode(''.join(b64.split())))
der[-1] ^= 0x01
lines = base64.b64encode(bytes(der)).decode()
nl = '\r\n' if '\r\n' in b64 else '\n'
out = nl.join(lines[i:i + 64] for i in range(0, len(lines), 64))
open(sys.argv[2], 'wb').write(raw.replace(b64, out).encode('latin-1'))
"#;
    sh(std::process::Command::new("python3").args(["-c", flip, good.to_str().unwrap(), bad_sig.to_str().unwrap()]));
    // A certificate this CA never issued.
    let stranger = signed_mail(&dir, "stranger.eml", &fake_ca, &fake_ca_key, false);

    let files: Vec<&str> =
        [&good, &opaque, &altered, &forged, &stranger, &bad_sig].iter().map(|p| p.to_str().unwrap()).collect();
    let mut rest = vec!["receipts", "import"];
    rest.extend(files);
    let out = cli_ok(root, "2026-11-28", &rest);
    let line =
        |name: &str| out.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} in {out}")).to_string();
    assert!(line("good.eml").contains("\trecorded\t") && line("good.eml").contains("signed_mail"), "{out}");
    assert!(line("good.eml").contains("receipt of 2026-11-27"), "the mail's date: {out}");
    assert!(line("opaque.eml").contains("\trecorded\t"), "{out}");
    assert!(
        line("altered.eml").contains("\trefused\t") && line("altered.eml").contains("changed after it was signed"),
        "{out}"
    );
    // (OpenSSL writes the copied issuer name in other string types, so the name check refuses
    // it before the signature would.)
    let forged = line("forged.eml");
    assert!(
        forged.contains("\trefused\t") && (forged.contains("does not verify") || forged.contains("another issuer")),
        "{out}"
    );
    assert!(line("stranger.eml").contains("\trefused\t") && line("stranger.eml").contains("did not issue"), "{out}");
    let bad = line("bad-signature.eml");
    assert!(bad.contains("\trefused\t") && bad.contains("does not verify with certificate"), "{out}");
    // The receipt stops the reminder: on day 14 only the others are reminded.
    let day14 = cli_ok(root, "2026-12-03", &["daily"]);
    assert!(!day14.contains("GD-20261119-003") && !day14.contains("GD-20261119-005"), "{day14}");
    assert!(day14.contains("GD-20261119-016"), "{day14}");
}

#[test]
fn a_batch_folders_revocations_and_receipts_are_taken_once_and_answered_alike_on_reruns() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    sample_day_one(root);
    let dir = root.join("2026-11-26");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("revocations.csv"),
        encoding_rs::SHIFT_JIS
            .encode("申込コード,失効理由,申請日,申請者\r\nAO-20261119-031,利用中止・死亡・廃業,2026-11-25,所属組織\r\n")
            .0,
    )
    .unwrap();
    std::fs::write(
        dir.join("receipts.csv"),
        "application_id,received_on,method\r\nGD-20261119-003,2026-11-25,post\r\nXX-0001,2026-11-25,post\r\n",
    )
    .unwrap();
    let first = run(root, &dir, d(2026, 11, 26));
    assert!(first.summary.applications == 0, "a day with no applications");
    let out = root.join("out/2026-11-26");
    let answers = std::fs::read_to_string(out.join("requests.csv")).unwrap();
    let status = |src: &str| {
        answers.lines().find(|l| l.starts_with(src)).unwrap_or_else(|| panic!("{src}: {answers}")).to_string()
    };
    assert!(status("2026-11-26/revocations.csv row 2").contains(",AO-20261119-031,revoked,"), "{answers}");
    assert!(status("2026-11-26/receipts.csv row 2").contains(",GD-20261119-003,recorded,"), "{answers}");
    assert!(status("2026-11-26/receipts.csv row 3").contains(",refused,"), "{answers}");
    let rows = std::fs::read_to_string(out.join("rows.csv")).unwrap();
    assert!(rows.contains("revocations.csv,,2,revocation_request,AO-20261119-031,revoked"), "{rows}");
    assert!(rows.contains("receipts.csv,,3,receipt,,refused"), "{rows}");
    let rev = std::fs::read_to_string(root.join("out/daily-2026-11-26/revocations.csv")).unwrap();
    assert!(rev.contains("AO-20261119-031,cessation_of_operation,organization,2026-11-25"), "{rev}");
    // A receipts file with a misspelt column is answered as a whole; the run goes on.
    let other = root.join("2026-11-27");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("receipts.csv"), "application_id,recieved_on\nGD-20261119-005,2026-11-26\n").unwrap();
    run(root, &other, d(2026, 11, 27));
    let refused = std::fs::read_to_string(root.join("out/2026-11-27/requests.csv")).unwrap();
    assert!(
        refused.contains("2026-11-27/receipts.csv")
            && refused.contains("unknown column")
            && refused.contains("refused"),
        "{refused}"
    );
    // Run again the same day and the next: the same answers, nothing recorded twice.
    let before = snapshot(&out);
    run(root, &dir, d(2026, 11, 26));
    assert_eq!(snapshot(&out), before, "a rerun of the day");
    run(root, &dir, d(2026, 11, 27));
    assert_eq!(std::fs::read_to_string(out.join("requests.csv")).unwrap(), answers, "a rerun a day later");
    let c = rusqlite::Connection::open(root.join("state/ledger.sqlite3")).unwrap();
    let n: i64 =
        c.query_row("SELECT COUNT(*) FROM audit WHERE event IN ('revoked', 'receipt')", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2, "one revocation and one receipt, recorded once");
}
