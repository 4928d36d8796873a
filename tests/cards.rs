//! The card station and the CA key through PKCS#11, against SoftHSM2 (installed by the test
//! when missing), checked with OpenSC's `pkcs11-tool` and OpenSSL, tools we did not write:
//! each card holds a key that never leaves it, the certificate for that key, and opens
//! with the PIN printed in its applicant's letter; a station killed at any step and started
//! again leaves every job done once or pending and no token used twice; a CA whose key is on
//! a token signs certificates and CRLs that OpenSSL verifies.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DAY: &str = "2026-11-19";

fn pipelines() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")
}

/// Three AOSign employees (one with a proxy) and two CECSIGN employees, all complete.
fn day(root: &Path) {
    let mut day = Day::new(root, DAY);
    day.aosign("A1", "E9").aosign("A2", "E9").aosign("A3", "E9").company_docs("E9");
    let a3 = day.apps.iter_mut().find(|r| matches!(r.get("application_id"), Some(V::S(x)) if x == "A3")).unwrap();
    for (k, v) in
        [("proxy_name", "田中 次郎"), ("proxy_postal_code", "100-0001"), ("proxy_address", "東京都千代田区千代田1-1")]
    {
        a3.insert(k, s(v));
    }
    day.doc(("A3", ""), "proxy_seal_certificate", d(2026, 11, 1));
    for id in ["C1", "C2"] {
        day.aosign(id, "E8");
        let row = day.apps.last_mut().unwrap();
        row.insert("product", s("cecsign"));
        row.insert("term", s("2y"));
    }
    day.company_docs("E8");
    day.write_xlsx(true);
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `cards.csv` of the day, by application.
fn cards_csv(root: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(root.join("out/cards-2026-11-19/cards.csv")).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers[..5], ["application_id", "serial", "card_number", "token_label", "status"]);
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: BTreeMap<String, String> = headers.iter().cloned().zip(rec.iter().map(str::to_string)).collect();
        if row["status"] == "personalised" {
            assert!(out.insert(rec[0].to_string(), row).is_none(), "one personalised card per application");
        }
    }
    out
}

fn ledger(root: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(root.join("state/ledger.sqlite3"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
}

/// (application, state) of every issuance, and (token serial, application, state) of every
/// token the station claimed.
type LedgerCards = (Vec<(String, String)>, Vec<(String, String, String)>);

fn ledger_cards(root: &Path) -> LedgerCards {
    let db = ledger(root);
    let mut q = db.prepare("SELECT application_id, state FROM issuances ORDER BY id").unwrap();
    let issuances = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    let mut q = db.prepare("SELECT token_serial, application_id, state FROM card_tokens ORDER BY claimed_at").unwrap();
    let tokens = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    (issuances, tokens)
}

/// What one personalised card shows through pkcs11-tool, checked against its files.
fn check_card(root: &Path, hsm: &Hsm, id: &str, row: &BTreeMap<String, String>) {
    let out = root.join("out/cards-2026-11-19");
    let letter = out.join(format!("letters/pin/{id}.pdf"));
    let pin = secret_in_letter(&letter);
    assert!(pin.len() == 8 && pin.bytes().all(|b| b.is_ascii_digit()), "{id}: an 8-digit PIN, not {pin:?}");
    let label = &row["token_label"];
    let serial = &row["serial"];
    let login = ["--token-label", label, "--login", "--pin", &pin];

    // The key and the certificate, under the same CKA_ID; the key sensitive, never extractable.
    let objects = ok(&hsm.tool(&[&login[..], &["--list-objects"]].concat()), "list objects");
    assert!(objects.contains("Private Key Object; RSA"), "{objects}");
    assert!(objects.contains("sensitive, always sensitive, never extractable, local"), "{objects}");
    assert_eq!(objects.matches(&format!("ID:         {serial}")).count(), 3, "{objects}");

    // The certificate on the card is the one issued and recorded.
    let cert_der = root.join(format!("{id}.der"));
    ok(
        &hsm.tool(&[
            "--token-label",
            label,
            "--read-object",
            "--type",
            "cert",
            "--id",
            serial,
            "-o",
            cert_der.to_str().unwrap(),
        ]),
        "read cert",
    );
    let pem = std::fs::read_to_string(out.join(format!("certs/{id}/cert.pem"))).unwrap();
    let db_pem: String = ledger(root)
        .query_row("SELECT cert_pem FROM issuances WHERE serial = ?1 AND state = 'issued'", [serial], |r| r.get(0))
        .unwrap();
    assert_eq!(pem, db_pem);
    let from_card =
        Command::new("openssl").args(["x509", "-inform", "der", "-in", cert_der.to_str().unwrap()]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&from_card.stdout), pem);

    // A signature made on the card with the letter's PIN verifies with the certificate.
    let msg = root.join(format!("{id}.msg"));
    let sig = root.join(format!("{id}.sig"));
    std::fs::write(&msg, format!("契約書 {id}")).unwrap();
    ok(
        &hsm.tool(
            &[
                &login[..],
                &[
                    "--sign",
                    "-m",
                    "SHA256-RSA-PKCS",
                    "--id",
                    serial,
                    "-i",
                    msg.to_str().unwrap(),
                    "-o",
                    sig.to_str().unwrap(),
                ],
            ]
            .concat(),
        ),
        "sign on the card",
    );
    let public = root.join(format!("{id}.pub.pem"));
    let pk = Command::new("openssl")
        .args(["x509", "-in", out.join(format!("certs/{id}/cert.pem")).to_str().unwrap(), "-pubkey", "-noout"])
        .output()
        .unwrap();
    std::fs::write(&public, pk.stdout).unwrap();
    let v = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            public.to_str().unwrap(),
            "-signature",
            sig.to_str().unwrap(),
            msg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).contains("Verified OK"), "{id}: {v:?}");

    // Any other PIN is refused.
    let wrong = hsm.tool(&["--token-label", label, "--login", "--pin", "00000000", "--list-objects"]);
    assert!(!wrong.status.success() || !String::from_utf8_lossy(&wrong.stdout).contains("Private Key"));

    // The certificate chains to the CA.
    let ca = root.join("state/ca");
    let verify = openssl_verify(&ca.join("DEMO-root.crt.pem"), &ca.join("DEMO-issuing.crt.pem"), &out, id, &[]);
    assert!(verify.status.success(), "{verify:?}");
}

/// `openssl verify` of the card `id`'s certificate under `out`, up to `root` through
/// `issuing`, with `extra` options (a CRL check).
fn openssl_verify(root: &Path, issuing: &Path, out: &Path, id: &str, extra: &[&str]) -> Output {
    Command::new("openssl")
        .arg("verify")
        .args(extra)
        .args(["-CAfile", root.to_str().unwrap(), "-untrusted", issuing.to_str().unwrap()])
        .arg(out.join(format!("certs/{id}/cert.pem")))
        .output()
        .unwrap()
}

#[test]
fn every_card_holds_its_key_its_certificate_and_opens_with_the_pin_of_its_letter() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let hsm = Hsm::new(root);
    day(root);
    let run = ok(&hsm.certbatch(root, &["run", root.join(DAY).to_str().unwrap()], &pipelines(), None), "run");
    assert!(run.contains("5 accepted awaiting their card"), "{run}");
    // No software key for a token product: nothing issued, no PKCS#12, no PIN letter yet.
    let files: Vec<_> = walkdir::WalkDir::new(root.join("out").join(DAY))
        .into_iter()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.contains("/certs") || p.contains("/letters/pin"))
        .collect();
    assert!(files.is_empty(), "run issued no card product: {files:?}");
    let rows = screening(root, DAY);
    for id in ["A1", "A2", "A3", "C1", "C2"] {
        assert_eq!(row_of(&rows, id).0, "accepted", "{id}");
    }

    hsm.blanks(6);
    let station = ok(&hsm.certbatch(root, &["cards", "personalise"], &pipelines(), None), "station");
    assert!(station.contains("5 personalised, 0 failed, 0 jobs pending, 1 blank tokens left"), "{station}");
    let cards = cards_csv(root);
    assert_eq!(cards.keys().collect::<Vec<_>>(), ["A1", "A2", "A3", "C1", "C2"]);
    let mut numbers = BTreeSet::new();
    for (id, row) in &cards {
        if id.starts_with('A') {
            // AOSign: a new 16-digit card number for every card, which labels the token.
            let n = &row["card_number"];
            assert!(n.len() == 16 && n.starts_with("4649") && n.bytes().all(|b| b.is_ascii_digit()), "{n}");
            assert_eq!(&row["token_label"], n);
            assert!(numbers.insert(n.clone()));
        } else {
            assert_eq!(&row["token_label"], id, "CECSIGN tokens carry the application id");
            assert_eq!(row["card_number"], "");
        }
        check_card(root, &hsm, id, row);
    }
    let labels = hsm.labels();
    assert_eq!(labels.iter().filter(|l| l.starts_with("BLANK-")).count(), 1, "{labels:?}");

    // The letters say what the product's routing says: the PIN with the card, or apart from
    // it when a proxy receives the card (AOSign); CECSIGN's approval notice with the eToken.
    let text = |id: &str| {
        let out = Command::new("pdftotext")
            .arg(root.join(format!("out/cards-2026-11-19/letters/pin/{id}.pdf")))
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).replace('\n', "")
    };
    assert!(text("A1").contains("AOSignICカードは本書と同じ封筒でお届けしています。"), "{}", text("A1"));
    assert!(text("A1").contains(&cards["A1"]["card_number"]));
    assert!(text("A3").contains("受取代理人の田中 次郎様あて"), "{}", text("A3"));
    assert!(
        text("A3").contains("簡易書留"),
        "the PIN goes to the applicant by registered mail when a proxy takes the card"
    );
    assert!(
        text("C1").contains("電子証明書発行申請承認通知書") && text("C1").contains("イートークン"),
        "{}",
        text("C1")
    );
    let manifest = std::fs::read_to_string(root.join("out/cards-2026-11-19/manifest.csv")).unwrap();
    assert!(manifest.contains("A3-1,A3,") && manifest.contains(",ICカード,,proxy,田中 次郎,"), "{manifest}");
    assert!(
        manifest.contains("A3-2,A3,") && manifest.contains(",PIN（暗証番号）について,letters/pin/A3.pdf,applicant,"),
        "{manifest}"
    );
    assert!(manifest.contains("C1-1,C1,,C1,イートークン（eToken）,,applicant,"), "{manifest}");

    // The 送付のお知らせ兼受領書 says what is in its envelope and what travels apart.
    let receipt = |id: &str| {
        let out = Command::new("pdftotext")
            .arg(root.join(format!("out/cards-2026-11-19/letters/receipt/{id}.pdf")))
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).replace('\n', "")
    };
    assert!(
        receipt("A1").contains(
            "本書と同じ封筒に次のものを同封しています: ICカード、「請求書（適格請求書）」、「PIN（暗証番号）について」。"
        ),
        "{}",
        receipt("A1")
    );
    assert!(receipt("A3").contains("次のものは別にお送りしています: ICカード。"), "{}", receipt("A3"));
    assert!(receipt("C1").contains("イートークン（eToken）"), "{}", receipt("C1"));

    // Nothing holds the PIN but its letter.
    let pins: Vec<String> = cards
        .keys()
        .map(|id| secret_in_letter(&root.join(format!("out/cards-2026-11-19/letters/pin/{id}.pdf"))))
        .collect();
    for f in walkdir::WalkDir::new(root.join("out")).into_iter().chain(walkdir::WalkDir::new(root.join("state"))) {
        let f = f.unwrap();
        if !f.file_type().is_file() || f.path().extension().is_some_and(|e| e == "pdf") {
            continue;
        }
        let bytes = std::fs::read(f.path()).unwrap();
        for pin in &pins {
            assert!(!bytes.windows(pin.len()).any(|w| w == pin.as_bytes()), "a PIN in {}", f.path().display());
        }
    }

    // The applications are issued; a second station and a second run change nothing.
    let db = ledger(root);
    let issued: i64 =
        db.query_row("SELECT COUNT(*) FROM applications WHERE status = 'issued'", [], |r| r.get(0)).unwrap();
    assert_eq!(issued, 5);
    drop(db);
    let again = ok(&hsm.certbatch(root, &["cards", "personalise"], &pipelines(), None), "station again");
    assert!(again.contains("0 personalised, 0 failed, 0 jobs pending, 1 blank tokens left"), "{again}");
    let rerun = ok(&hsm.certbatch(root, &["run", root.join(DAY).to_str().unwrap()], &pipelines(), None), "rerun");
    assert!(!rerun.contains("awaiting their card"), "{rerun}");
    // The batch's own files count and list its cards, with the files where the station put them.
    assert!(rerun.contains("issued         5 certificates under this batch"), "{rerun}");
    let issued = std::fs::read_to_string(root.join("out").join(DAY).join("issued.csv")).unwrap();
    assert!(issued.contains(",../cards-2026-11-19/certs/A1/cert.pem,"), "{issued}");
    assert!(root.join("out").join(DAY).join("../cards-2026-11-19/certs/A1/cert.pem").is_file());
    assert_eq!(cards_csv(root), cards);
}

/// Kills the station at `point` (`name#N`: its N-th pass), starts it again, and checks
/// that every job is personalised exactly once, every other attempt is void with its token
/// wiped, and no token was used twice.
fn killed_at(point: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let hsm = Hsm::new(root);
    day(root);
    ok(&hsm.certbatch(root, &["run", root.join(DAY).to_str().unwrap()], &pipelines(), None), "run");
    hsm.blanks(8);
    let killed = hsm.certbatch(root, &["cards", "personalise"], &pipelines(), Some(point));
    assert!(!killed.status.success(), "{point}: the station was killed");
    let second = ok(&hsm.certbatch(root, &["cards", "personalise"], &pipelines(), None), "restart");

    let (issuances, tokens) = ledger_cards(root);
    let mut live: BTreeMap<&str, usize> = BTreeMap::new();
    for (app, state) in &issuances {
        assert!(state == "issued" || state == "void", "{point}: {app} left {state}");
        if state == "issued" {
            *live.entry(app).or_default() += 1;
        }
    }
    assert_eq!(live.keys().copied().collect::<Vec<_>>(), ["A1", "A2", "A3", "C1", "C2"], "{point}: {second}");
    assert!(live.values().all(|n| *n == 1), "{point}: one certificate each: {live:?}");
    let serials: BTreeSet<&str> = tokens.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(serials.len(), tokens.len(), "{point}: no token claimed twice");
    let personalised = tokens.iter().filter(|t| t.2 == "personalised").count();
    let spoiled = tokens.iter().filter(|t| t.2 == "spoiled").count();
    assert_eq!(personalised, 5, "{point}: {tokens:?}");
    assert_eq!(personalised + spoiled, tokens.len(), "{point}: nothing left claimed: {tokens:?}");
    let labels = hsm.labels();
    assert_eq!(labels.iter().filter(|l| l.starts_with("SPOILED-")).count(), spoiled, "{point}: {labels:?}");
    assert_eq!(labels.iter().filter(|l| l.starts_with("BLANK-")).count(), 8 - tokens.len(), "{point}: {labels:?}");
    // Every card opens with its letter's PIN; no letter is left for a voided attempt.
    let cards = cards_csv(root);
    for (id, row) in &cards {
        check_card(root, &hsm, id, row);
    }
    let letters: Vec<String> = std::fs::read_dir(root.join("out/cards-2026-11-19/letters/pin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(letters.len(), 5, "{point}: {letters:?}");
}

#[test]
fn a_station_killed_after_its_claim_or_between_token_writes_wipes_and_redoes_the_card() {
    for point in ["card-after-claim", "card-after-init#2", "card-after-write#3"] {
        killed_at(point);
    }
}

#[test]
fn a_station_killed_after_the_letter_or_the_record_leaves_every_card_once() {
    for point in ["card-after-letter#4", "card-after-record#2"] {
        killed_at(point);
    }
}

/// Puts a CA key on a SoftHSM2 token (imported, as an HSM's backup import would) and makes
/// its chain with OpenSSL: root, then the issuing CA for the token's key.
fn token_ca(root: &Path, hsm: &Hsm) -> PathBuf {
    let ca = root.join("hsm-ca");
    std::fs::create_dir_all(&ca).unwrap();
    let sh = |script: &str| {
        let out = hsm.cmd("sh").arg("-c").arg(script).current_dir(&ca).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // Both backdated, as the sample day issues in the past (OpenSSL 3.0's `ca` sets the dates).
    std::fs::write(
        ca.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = any\npreserve = yes\nunique_subject = no\n\
         [any]\ncountryName = optional\norganizationName = optional\ncommonName = supplied\n\
         [root]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n\
         [issuing]\nbasicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
    )
    .unwrap();
    sh("touch index.txt && echo 01 > serial");
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root.key");
    sh("openssl req -new -key root.key -out root.csr -subj '/C=JP/O=HSM test/CN=HSM test Root'");
    sh("openssl ca -batch -config ca.cnf -selfsign -keyfile root.key -in root.csr -out root.pem -notext -extensions root \
        -startdate 20230101000000Z -enddate 20400101000000Z");
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out issuing.key");
    sh("openssl req -new -key issuing.key -out issuing.csr -subj '/C=JP/O=HSM test/CN=HSM test Issuing CA'");
    sh("openssl ca -batch -config ca.cnf -cert root.pem -keyfile root.key -in issuing.csr -out issuing.pem -notext \
        -extensions issuing -startdate 20230101000000Z -enddate 20350101000000Z");
    sh("cat issuing.pem root.pem > chain.pem");
    sh("softhsm2-util --init-token --free --label CA-HSM --so-pin 11223344 --pin 5566778899");
    sh("softhsm2-util --import issuing.key --token CA-HSM --label issuing --id 01 --pin 5566778899");
    // The software copy goes: the key is in the HSM only.
    std::fs::remove_file(ca.join("issuing.key")).unwrap();

    // A copy of the rules with the CA on the token.
    let p = root.join("pipelines");
    copy_dir(&pipelines(), &p);
    std::fs::write(
        p.join("ca/ca.toml"),
        format!(
            "mode = \"pkcs11\"\nchain = \"{}\"\nmodule = \"{MODULE}\"\ntoken_label = \"CA-HSM\"\nkey_label = \"issuing\"\n\
             pin_env = \"TEST_CA_PIN\"\ncard_key_file = \"{}\"\ncrl_url = \"http://crl.example.jp/issuing.crl\"\n",
            ca.join("chain.pem").display(),
            ca.join("cards.key").display()
        ),
    )
    .unwrap();
    let mut key = vec![b'7'; 64];
    key.push(b'\n');
    std::fs::write(ca.join("cards.key"), key).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(ca.join("cards.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[test]
fn a_ca_key_on_a_token_signs_certificates_cards_and_crls_that_openssl_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let hsm = Hsm::new(root);
    let p = token_ca(root, &hsm);
    let chain = root.join("hsm-ca/chain.pem");
    let certbatch = |rest: &[&str]| {
        let mut c = hsm.cmd(env!("CARGO_BIN_EXE_certbatch"));
        c.args(args(root, DAY, rest)).arg("--pipelines").arg(&p);
        c.env("CERTBATCH_BLANK_SO_PIN", TRANSPORT).env("TEST_CA_PIN", "5566778899");
        c.output().unwrap()
    };

    // Without the token's PIN the CA does not open, and nothing is recorded.
    let mut c = hsm.cmd(env!("CARGO_BIN_EXE_certbatch"));
    day(root);
    let refused = c
        .args(args(root, DAY, &["run", root.join(DAY).to_str().unwrap()]))
        .arg("--pipelines")
        .arg(&p)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("TEST_CA_PIN"), "{refused:?}");

    ok(&certbatch(&["run", root.join(DAY).to_str().unwrap()]), "run");
    hsm.blanks(5);
    ok(&certbatch(&["cards", "personalise"]), "station");
    let cards = cards_csv(root);
    assert_eq!(cards.len(), 5);
    let out = root.join("out/cards-2026-11-19");
    for id in cards.keys() {
        let v = openssl_verify(&root.join("hsm-ca/root.pem"), &root.join("hsm-ca/issuing.pem"), &out, id, &[]);
        assert!(v.status.success(), "{id}: {v:?}");
    }

    // A revocation and the day's CRL, signed on the token.
    ok(&certbatch(&["revoke", "A1", "--reason", "key_compromise"]), "revoke");
    ok(&certbatch(&["daily"]), "daily");
    let crl = root.join("out/publish/issuing-ca.crl");
    assert!(crl.exists(), "the CRL is published");
    let check = Command::new("openssl")
        .args([
            "crl",
            "-inform",
            "der",
            "-in",
            crl.to_str().unwrap(),
            "-noout",
            "-text",
            "-CAfile",
            chain.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&check.stderr).contains("verify OK"), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains(&cards["A1"]["serial"].to_uppercase()), "{check:?}");
    let pem_crl = root.join("crl.pem");
    let conv = Command::new("openssl")
        .args(["crl", "-inform", "der", "-in", crl.to_str().unwrap(), "-out", pem_crl.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(conv.status.success());
    // As of the day after, while the CRL is current.
    let at = d(2026, 11, 20).and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp().to_string();
    let verify = |id: &str| {
        let crl = ["-attime", &at, "-crl_check", "-CRLfile", pem_crl.to_str().unwrap()];
        openssl_verify(&root.join("hsm-ca/root.pem"), &root.join("hsm-ca/issuing.pem"), &out, id, &crl)
    };
    assert!(verify("A2").status.success(), "{:?}", verify("A2"));
    let revoked = verify("A1");
    assert!(
        !revoked.status.success() && String::from_utf8_lossy(&revoked.stderr).contains("certificate revoked"),
        "{revoked:?}"
    );
}

#[test]
fn a_job_whose_application_was_corrected_into_deficient_waits_and_uses_no_token() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let hsm = Hsm::new(root);
    let mut day1 = Day::new(root, DAY);
    day1.aosign("A1", "E9").aosign("A2", "E9").company_docs("E9");
    day1.write_xlsx(true);
    ok(&hsm.certbatch(root, &["run", day1.dir.to_str().unwrap()], &pipelines(), None), "run");
    // The next day a correction of A1 mistypes its romaji: A1 is deficient again.
    let mut day2 = Day::new(root, "2026-11-20");
    let mut a1 = day1.apps[0].clone();
    a1.insert("corrects", s("はい"));
    a1.insert("name_romaji", s("YAMADA TAROU"));
    day2.apps.push(a1);
    day2.write_xlsx(true);
    ok(&hsm.certbatch_on(root, "2026-11-20", &["run", day2.dir.to_str().unwrap()], &pipelines(), None), "day 2");
    assert_eq!(row_of(&screening(root, "2026-11-20"), "A1").0, "deficient");

    hsm.blanks(3);
    let station = ok(&hsm.certbatch_on(root, "2026-11-20", &["cards", "personalise"], &pipelines(), None), "station");
    assert!(station.contains("waits          A1: the application is deficient now"), "{station}");
    assert!(station.contains("1 personalised, 0 failed, 1 jobs pending, 2 blank tokens left"), "{station}");
    let csv = std::fs::read_to_string(root.join("out/cards-2026-11-20/cards.csv")).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("A1,,,,pending,the application is deficient now")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("A2,") && l.contains(",personalised,")), "{csv}");
}

#[test]
fn a_wrong_transport_pin_or_a_token_of_another_stock_stops_the_station_with_every_token_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let hsm = Hsm::new(root);
    day(root);
    ok(&hsm.certbatch(root, &["run", root.join(DAY).to_str().unwrap()], &pipelines(), None), "run");
    // The first blank token (in label order) comes with another SO PIN than the stock's.
    let out = hsm
        .cmd("softhsm2-util")
        .args(["--init-token", "--free", "--label", "BLANK-0000", "--so-pin", "99999999", "--pin", "000000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    hsm.blanks(5);
    let stopped = hsm.certbatch(root, &["cards", "personalise"], &pipelines(), None);
    let text = String::from_utf8_lossy(&stopped.stdout).to_string() + &String::from_utf8_lossy(&stopped.stderr);
    assert!(!stopped.status.success(), "{text}");
    assert!(text.contains("token BLANK-0000") && text.contains("no other token was tried"), "{text}");
    assert!(text.contains("0 personalised, 0 failed, 5 jobs pending"), "{text}");
    let labels = hsm.labels();
    assert_eq!(labels.iter().filter(|l| l.starts_with("BLANK-")).count(), 6, "untouched: {labels:?}");
    let (issuances, tokens) = ledger_cards(root);
    assert!(issuances.is_empty() && tokens.is_empty(), "nothing claimed or reserved");
    // Staff take the stranger out of the stock; the next session makes every card, in
    // label order.
    let del = hsm.cmd("softhsm2-util").args(["--delete-token", "--token", "BLANK-0000"]).output().unwrap();
    assert!(del.status.success(), "{del:?}");
    let again = ok(&hsm.certbatch(root, &["cards", "personalise"], &pipelines(), None), "again");
    assert!(again.contains("5 personalised, 0 failed, 0 jobs pending, 0 blank tokens left"), "{again}");
    assert!(again.contains("A1 on BLANK-0001: now labelled 4649"), "{again}");
    assert_eq!(cards_csv(root).len(), 5);
}
