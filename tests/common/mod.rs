//! A builder that writes day folders from code: applications and documents as xlsx (via
//! rust_xlsxwriter, a writer other than our reader) or CSV (UTF-8, BOM, Shift_JIS), and
//! real scans (PNG, JPEG, TIFF via the image crate; PDF via lopdf).
#![allow(dead_code)]

use certbatch::run::{run_batch, Mode, Options, Outcome};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A cell value as the test wants it written.
#[derive(Debug, Clone)]
pub enum V {
    S(String),
    /// A real date cell in xlsx, ISO text in CSV.
    Date(NaiveDate),
    Num(f64),
    /// A formula with its cached result (xlsx only).
    Formula(String, String),
}

pub fn s(x: &str) -> V {
    V::S(x.to_string())
}

pub type Row = BTreeMap<&'static str, V>;

/// The contract's columns (English, Japanese), from the crate itself.
pub fn app_columns() -> Vec<(&'static str, &'static str)> {
    certbatch::intake::columns::APPLICATIONS.iter().map(|c| (c.key, c.ja)).collect()
}

pub fn doc_columns() -> Vec<(&'static str, &'static str)> {
    certbatch::intake::columns::DOCUMENTS.iter().map(|c| (c.key, c.ja)).collect()
}

/// A clean G-ID download basic application received on 2026-11-19.
pub fn app(id: &str, envelope: &str) -> Row {
    let mut r = Row::new();
    r.insert("application_id", s(id));
    r.insert("envelope_id", s(envelope));
    r.insert("product", s("gid-download"));
    r.insert("cert_type", s("basic"));
    r.insert("term", s("2y"));
    r.insert("applied_on", V::Date(d(2026, 11, 10)));
    r.insert("received_on", V::Date(d(2026, 11, 19)));
    r.insert("name_kanji", s("山田 太郎"));
    r.insert("name_kana", s("やまだ たろう"));
    r.insert("name_romaji", s("YAMADA TARO"));
    r.insert("birth_date", V::Date(d(1980, 4, 1)));
    r.insert("postal_code", s("100-0001"));
    r.insert("address", s("東京都千代田区千代田1-1"));
    r.insert("email", s("taro@example.jp"));
    r
}

/// A day folder under construction.
pub struct Day {
    pub dir: PathBuf,
    pub apps: Vec<Row>,
    pub docs: Vec<Row>,
    /// Credits of the day's SMBC statement (date, yen, payer), written with the sheet.
    pub credits: Vec<(String, i64, String)>,
}

impl Day {
    pub fn new(root: &Path, name: &str) -> Day {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("scans")).unwrap();
        Day { dir, apps: Vec::new(), docs: Vec::new(), credits: Vec::new() }
    }

    /// Adds a document row with a real scan written under `scans/`.
    pub fn doc(&mut self, owner: (&str, &str), doc_type: &str, issued: NaiveDate) -> &mut Row {
        let file = format!("{}/{doc_type}.png", if owner.0.is_empty() { owner.1 } else { owner.0 });
        write_scan(&self.dir.join("scans").join(&file), ScanKind::Png, &file);
        let mut r = Row::new();
        r.insert("application_id", s(owner.0));
        r.insert("envelope_id", s(owner.1));
        r.insert("doc_type", s(doc_type));
        r.insert("issued_on", V::Date(issued));
        r.insert("file", s(&file));
        self.docs.push(r);
        self.docs.last_mut().unwrap()
    }

    /// Adds a clean application and the G-ID basic documents it needs, fresh.
    pub fn clean(&mut self, id: &str, envelope: &str) -> &mut Self {
        self.apps.push(app(id, envelope));
        self.own_docs(id, &["application_form", "seal_certificate", "residence_certificate", "transfer_slip"])
    }

    /// The documents of one application: the form dated 2026-11-10, the rest 2026-11-01.
    fn own_docs(&mut self, id: &str, types: &[&str]) -> &mut Self {
        for t in types {
            let issued = if *t == "application_form" { d(2026, 11, 10) } else { d(2026, 11, 1) };
            self.doc((id, ""), t, issued);
        }
        self
    }

    /// Adds an AOSign G2 employee of セコム株式会社 (invoiced: issued on the day it is
    /// accepted, no transfer slip) in envelope `env`; the company's documents come once, by
    /// `company_docs`.
    pub fn aosign(&mut self, id: &str, env: &str) -> &mut Self {
        let mut row = app(id, env);
        for (k, v) in [
            ("product", "aosign-g2"),
            ("cert_type", "employee"),
            ("term", "1y+30d"),
            ("corporate_number", "4011001040781"),
            ("org_name", "セコム株式会社"),
            ("org_representative", "セコム 一郎"),
            ("org_address", "東京都渋谷区神宮前1-5-1"),
        ] {
            row.insert(k, s(v));
        }
        self.apps.push(row);
        self.own_docs(id, &["application_form", "seal_certificate", "residence_certificate"])
    }

    /// Adds G-ID application `id`, paid by transfer: the applicant is person `i` (unique
    /// kana, so the bank's half-width payer name matches it alone), and the credit goes
    /// into `credits` as an SMBC row (date, amount, payer).
    pub fn gid_paid(&mut self, id: &str, i: usize, credits: &mut Vec<(String, i64, String)>) -> &mut Self {
        let p = person(i);
        self.clean(id, &format!("E-{id}"));
        let row = self.apps.last_mut().unwrap();
        row.insert("name_kana", s(&p.kana));
        row.insert("name_romaji", s(&p.romaji));
        // 2y G-ID download: 17,500 + 10% tax.
        credits.push(("2026/11/19".into(), 19_250, p.bank));
        self
    }

    /// Adds G-ID application `id` (person `i`), paid by the day's own statement: the run
    /// issues it in software the same day, as tests of issuance need.
    pub fn paid(&mut self, id: &str, i: usize) -> &mut Self {
        let mut credits = std::mem::take(&mut self.credits);
        self.gid_paid(id, i, &mut credits);
        self.credits = credits;
        self
    }

    fn write_statement(&self) {
        if !self.credits.is_empty() {
            std::fs::create_dir_all(self.dir.join("transfers")).unwrap();
            std::fs::write(self.dir.join("transfers/smbc.csv"), smbc_statement(&self.credits)).unwrap();
        }
    }

    /// The company documents an envelope's AOSign applications share.
    pub fn company_docs(&mut self, env: &str) -> &mut Self {
        for t in ["corporate_registry", "corporate_seal_certificate"] {
            self.doc(("", env), t, d(2026, 11, 1));
        }
        self
    }

    pub fn write_xlsx(&self, japanese: bool) {
        self.write_statement();
        let mut book = rust_xlsxwriter::Workbook::new();
        let date_fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
        for (sheet_name, cols, rows) in
            [("applications", app_columns(), &self.apps), ("documents", doc_columns(), &self.docs)]
        {
            let sheet = book.add_worksheet();
            sheet.set_name(sheet_name).unwrap();
            for (c, (en, ja)) in cols.iter().enumerate() {
                sheet.write_string(0, c as u16, if japanese { *ja } else { *en }).unwrap();
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, (key, _)) in cols.iter().enumerate() {
                    let (r, c) = (r as u32 + 1, c as u16);
                    match row.get(key) {
                        None => {}
                        Some(V::S(x)) => {
                            sheet.write_string(r, c, x).unwrap();
                        }
                        Some(V::Num(n)) => {
                            sheet.write_number(r, c, *n).unwrap();
                        }
                        Some(V::Date(dt)) => {
                            use chrono::Datelike;
                            let x = rust_xlsxwriter::ExcelDateTime::from_ymd(
                                dt.year() as u16,
                                dt.month() as u8,
                                dt.day() as u8,
                            )
                            .unwrap();
                            sheet.write_date_with_format(r, c, &x, &date_fmt).unwrap();
                        }
                        Some(V::Formula(f, result)) => {
                            sheet.write_formula(r, c, rust_xlsxwriter::Formula::new(f).set_result(result)).unwrap();
                        }
                    }
                }
            }
        }
        book.save(self.dir.join("applications.xlsx")).unwrap();
    }

    /// Writes both CSV files; `encoding` is "utf8", "utf8bom" or "sjis".
    pub fn write_csv(&self, japanese: bool, encoding: &str) {
        self.write_statement();
        for (file, cols, rows) in
            [("applications.csv", app_columns(), &self.apps), ("documents.csv", doc_columns(), &self.docs)]
        {
            let text = csv_text(&cols, rows, japanese);
            std::fs::write(self.dir.join(file), encode(&text, encoding)).unwrap();
        }
    }
}

pub fn csv_text(cols: &[(&str, &str)], rows: &[Row], japanese: bool) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.iter().map(|(en, ja)| if japanese { *ja } else { *en })).unwrap();
    for row in rows {
        w.write_record(cols.iter().map(|(k, _)| match row.get(k) {
            None => String::new(),
            Some(V::S(x)) => x.clone(),
            Some(V::Num(n)) => n.to_string(),
            Some(V::Date(dt)) => dt.to_string(),
            Some(V::Formula(_, r)) => r.clone(),
        }))
        .unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

pub fn encode(text: &str, encoding: &str) -> Vec<u8> {
    match encoding {
        "utf8" => text.as_bytes().to_vec(),
        "utf8bom" => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        "sjis" => {
            let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
            assert!(!unmappable, "test text must be representable in Shift_JIS");
            bytes.into_owned()
        }
        other => panic!("unknown encoding {other}"),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum ScanKind {
    Png,
    Jpeg,
    Tiff,
    Pdf,
}

/// Writes a small real scan; `seed` makes its pixels (and hash) its own.
pub fn write_scan(path: &Path, kind: ScanKind, seed: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let h = seed.bytes().fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
    let img = image::GrayImage::from_fn(64, 48, |x, y| image::Luma([((x * 3 + y * 5 + h) % 251) as u8]));
    let mut out = Vec::new();
    let fmt = match kind {
        ScanKind::Png => image::ImageFormat::Png,
        ScanKind::Jpeg => image::ImageFormat::Jpeg,
        ScanKind::Tiff => image::ImageFormat::Tiff,
        ScanKind::Pdf => {
            std::fs::write(path, pdf(1, seed)).unwrap();
            return;
        }
    };
    img.write_to(&mut Cursor::new(&mut out), fmt).unwrap();
    std::fs::write(path, out).unwrap();
}

/// A real PDF of `pages` empty pages made with lopdf.
pub fn pdf(pages: u32, title: &str) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let kids: Vec<Object> = (0..pages)
        .map(|_| doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] }).into())
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages as i64 }),
    );
    let info = doc.add_object(dictionary! { "Title" => Object::string_literal(title) });
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// Options for a run of `batch` with state and output under `root`.
/// The committed sample days.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-batches")
}

pub fn options(root: &Path, batch: &Path, as_of: NaiveDate, mode: Mode) -> Options {
    Options {
        batch_dir: batch.to_path_buf(),
        state_dir: root.join("state"),
        out_dir: root.join("out"),
        pipelines_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines"),
        as_of,
        mode,
        lock_wait: Duration::from_secs(5),
    }
}

pub fn run(root: &Path, batch: &Path, as_of: NaiveDate) -> Outcome {
    run_batch(&options(root, batch, as_of, Mode::Run)).expect("the run completes")
}

/// `screening.csv` of a batch as id → (status, reasons, messages), in file order.
pub fn screening(root: &Path, batch: &str) -> Vec<(String, String, String, String)> {
    let mut r = csv::Reader::from_path(root.join("out").join(batch).join("screening.csv")).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["application_id", "envelope_id", "product", "status", "reasons", "messages"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[3].to_string(), rec[4].to_string(), rec[5].to_string())
        })
        .collect()
}

/// The row of one application in `screening.csv`.
pub fn row_of(rows: &[(String, String, String, String)], id: &str) -> (String, String, String) {
    let r = rows.iter().find(|r| r.0 == id).unwrap_or_else(|| panic!("{id} is in screening.csv: {rows:?}"));
    (r.1.clone(), r.2.clone(), r.3.clone())
}

/// Runs the binary; gives (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    // Set for tests and benches; examples sharing this file never call it.
    let Some(bin) = option_env!("CARGO_BIN_EXE_certbatch") else { panic!("only tests and benches run the binary") };
    let out = std::process::Command::new(bin).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The common options for state and output under `root`, "today" and the command.
pub fn args<'a>(root: &'a Path, as_of: &'a str, rest: &[&'a str]) -> Vec<String> {
    let mut v = vec![
        "--state".to_string(),
        root.join("state").display().to_string(),
        "--out".into(),
        root.join("out").display().to_string(),
        "--as-of".into(),
        as_of.into(),
    ];
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

/// Runs a command that must succeed; gives its stdout.
pub fn cli_ok(root: &Path, as_of: &str, rest: &[&str]) -> String {
    let a = args(root, as_of, rest);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = cli(&refs);
    assert_eq!(code, 0, "{rest:?}: {err}");
    out
}

/// The text body of an `.eml`, as Python's email package reads it (and its Subject).
pub fn mail_text(eml: &Path) -> String {
    let script = "import sys,email,email.policy\nm=email.message_from_bytes(open(sys.argv[1],'rb').read(),policy=email.policy.default)\nb=m.get_body(preferencelist=('plain',))\nprint(m['Subject'])\nprint(m['To'])\nprint(b.get_content())";
    let out = std::process::Command::new("python3").args(["-c", script, eml.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of every PDF in a folder, as pdftotext reads it.
pub fn pdf_texts(dir: &Path) -> String {
    ensure_poppler();
    let mut all = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pdf")) {
        let out = std::process::Command::new("pdftotext").args([f.to_str().unwrap(), "-"]).output().unwrap();
        assert!(out.status.success(), "pdftotext {}", f.display());
        all.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    all
}

/// Installs Debian packages, one apt-get at a time in this process (apt allows one user).
pub fn apt_install(packages: &str) {
    static APT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = APT.lock().unwrap_or_else(|e| e.into_inner());
    let st = Command::new("sh")
        .args([
            "-c",
            &format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {packages}"),
        ])
        .status()
        .expect("apt-get runs");
    assert!(st.success(), "apt-get install {packages}");
}

/// Installs poppler-utils (pdftotext, pdftoppm) when the machine lacks it: the letter tests
/// read PDFs with a tool we did not write.
pub fn ensure_poppler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if Command::new("pdftotext").arg("-v").output().is_err() {
            apt_install("poppler-utils");
        }
    });
}

/// Installs a Python package when `import module` fails: the tests check our outputs with
/// libraries we did not write (openpyxl, Pillow, cryptography, pkilint).
pub fn ensure_python(module: &str, package: &str) {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let st =
            std::process::Command::new("python3").args(["-m", "pip", "install", "--quiet", package]).status().unwrap();
        assert!(st.success(), "pip install {package}");
    }
}

/// The secret a letter prints in its box (a PIN or a download password), read back with
/// pdftotext: it stands alone on the line after its label. The tests know a PIN only this
/// way, as the applicant does.
pub fn secret_in_letter(pdf: &Path) -> String {
    ensure_poppler();
    let out = std::process::Command::new("pdftotext").args(["-layout", pdf.to_str().unwrap(), "-"]).output().unwrap();
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let labels = ["PINコード", "PIN（暗証番号）", "申請PIN", "ダウンロードパスワード（8桁）"];
    let at = lines.iter().position(|l| labels.contains(l)).unwrap_or_else(|| panic!("no secret label in {text}"));
    let secret = lines[at + 1].to_string();
    assert!(!secret.contains(' ') && (secret.len() == 12 || secret.len() == 8), "{secret:?} in {text}");
    secret
}

/// The PIN of an issued certificate, from its PIN letter.
pub fn pin_of(i: &certbatch::run::IssuedCert) -> String {
    let (_, file) = i
        .letter_files
        .iter()
        .find(|(k, _)| *k == "pin")
        .unwrap_or_else(|| panic!("{} has a PIN letter", i.application_id));
    secret_in_letter(file)
}

/// The download password of an issued certificate, from its password letter.
pub fn password_of(i: &certbatch::run::IssuedCert) -> Option<String> {
    i.letter_files.iter().find(|(k, _)| *k == "download_password").map(|(_, f)| secret_in_letter(f))
}

/// A made-up applicant whose kana, Hepburn romaji and bank spelling agree.
pub struct Person {
    pub kana: String,
    pub romaji: String,
    /// As a bank statement writes the payer: half-width kana.
    pub bank: String,
}

/// (full-width, half-width, Hepburn) of syllables whose romanisation has no long-vowel or
/// geminate rule to trip on.
const SYLLABLES: &[(&str, &str, &str)] = &[
    ("カ", "ｶ", "KA"),
    ("キ", "ｷ", "KI"),
    ("ク", "ｸ", "KU"),
    ("ケ", "ｹ", "KE"),
    ("コ", "ｺ", "KO"),
    ("サ", "ｻ", "SA"),
    ("シ", "ｼ", "SHI"),
    ("ス", "ｽ", "SU"),
    ("セ", "ｾ", "SE"),
    ("ソ", "ｿ", "SO"),
    ("タ", "ﾀ", "TA"),
    ("チ", "ﾁ", "CHI"),
    ("ツ", "ﾂ", "TSU"),
    ("テ", "ﾃ", "TE"),
    ("ト", "ﾄ", "TO"),
    ("ナ", "ﾅ", "NA"),
    ("ニ", "ﾆ", "NI"),
    ("ヌ", "ﾇ", "NU"),
    ("ネ", "ﾈ", "NE"),
    ("ノ", "ﾉ", "NO"),
    ("ハ", "ﾊ", "HA"),
    ("ヒ", "ﾋ", "HI"),
    ("フ", "ﾌ", "FU"),
    ("ヘ", "ﾍ", "HE"),
    ("ホ", "ﾎ", "HO"),
    ("マ", "ﾏ", "MA"),
    ("ミ", "ﾐ", "MI"),
    ("ム", "ﾑ", "MU"),
    ("メ", "ﾒ", "ME"),
    ("モ", "ﾓ", "MO"),
    ("ラ", "ﾗ", "RA"),
    ("リ", "ﾘ", "RI"),
    ("ル", "ﾙ", "RU"),
    ("レ", "ﾚ", "RE"),
    ("ロ", "ﾛ", "RO"),
];

/// Person `i`: a distinct name for every i below 35^4.
pub fn person(i: usize) -> Person {
    let n = SYLLABLES.len();
    let digits = [i % n, (i / n) % n, (i / n / n) % n, (i / n / n / n) % n];
    let name = |f: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
        let w = |a: usize, b: usize| format!("{}{}", f(&SYLLABLES[a]), f(&SYLLABLES[b]));
        format!("{} {}", w(digits[0], digits[1]), w(digits[2], digits[3]))
    };
    Person { kana: name(|x| x.0), romaji: name(|x| x.2), bank: name(|x| x.1) }
}

/// An SMBC statement export in Shift_JIS, as the bank writes it: (date, amount, payer).
pub fn smbc_statement(rows: &[(String, i64, String)]) -> Vec<u8> {
    let mut text = String::from("年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n");
    let mut balance = 100_000;
    for (date, amount, payer) in rows {
        balance += amount;
        text.push_str(&format!("{date},,{amount},振込 {payer},{balance},\r\n"));
    }
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const TRANSPORT: &str = "87654321";

/// Installs SoftHSM2 and OpenSC when the machine lacks them (serialised: apt allows one
/// user at a time).
pub fn ensure_softhsm() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let have = Path::new(MODULE).exists() && Command::new("pkcs11-tool").arg("--help").output().is_ok();
        if !have {
            apt_install("softhsm2 opensc");
        }
    });
}

/// A SoftHSM2 of its own under `root`: its tokens are the card stock (and the CA's HSM).
pub struct Hsm {
    pub conf: PathBuf,
}

impl Hsm {
    pub fn new(root: &Path) -> Hsm {
        ensure_softhsm();
        let dir = root.join("softhsm");
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        Hsm { conf }
    }

    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SOFTHSM2_CONF", &self.conf);
        c
    }

    /// `n` blank tokens from the stock: initialised with the transport SO PIN.
    pub fn blanks(&self, n: usize) {
        self.blanks_from(0, n)
    }

    /// `n` more blank tokens, numbered after `first`.
    pub fn blanks_from(&self, first: usize, n: usize) {
        for i in first + 1..=first + n {
            let out = self
                .cmd("softhsm2-util")
                .args(["--init-token", "--free", "--label", &format!("BLANK-{i:04}"), "--so-pin", TRANSPORT])
                .args(["--pin", "000000"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    }

    pub fn tool(&self, args: &[&str]) -> Output {
        self.cmd("pkcs11-tool").arg("--module").arg(MODULE).args(args).output().unwrap()
    }

    /// Every token's label.
    pub fn labels(&self) -> Vec<String> {
        let out = self.tool(&["--list-token-slots"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("token label        : "))
            .map(|l| l.trim().to_string())
            .collect()
    }

    /// The certbatch binary with this HSM and the stock's transport PIN.
    pub fn certbatch(&self, root: &Path, rest: &[&str], pipelines: &Path, fail_at: Option<&str>) -> Output {
        self.certbatch_on(root, "2026-11-19", rest, pipelines, fail_at)
    }

    /// The certbatch binary as of `as_of`, with this HSM and the stock's transport PIN.
    pub fn certbatch_on(
        &self,
        root: &Path,
        as_of: &str,
        rest: &[&str],
        pipelines: &Path,
        fail_at: Option<&str>,
    ) -> Output {
        let Some(bin) = option_env!("CARGO_BIN_EXE_certbatch") else { panic!("only tests run the binary") };
        let mut c = self.cmd(bin);
        c.args(args(root, as_of, rest)).arg("--pipelines").arg(pipelines);
        c.env("CERTBATCH_BLANK_SO_PIN", TRANSPORT);
        if let Some(p) = fail_at {
            c.env("CERTBATCH_FAIL_AT", p);
        }
        c.output().unwrap()
    }
}

/// The card station after a run, as the back office does it: a SoftHSM2 of the test's own
/// under `root` stocked with enough blank tokens for every pending job, then
/// `certbatch cards personalise` as of `as_of`. Gives the station's output.
pub fn personalise(root: &Path, as_of: &str) -> String {
    let hsm = Hsm::new(root);
    let pending: i64 = rusqlite::Connection::open(root.join("state/ledger.sqlite3"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM card_jobs WHERE state = 'pending'", [], |r| r.get(0))
        .unwrap();
    let have = hsm.labels().iter().filter(|l| l.starts_with("BLANK-")).count();
    hsm.blanks_from(hsm.labels().len(), (pending as usize).saturating_sub(have));
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let out = hsm.certbatch_on(root, as_of, &["cards", "personalise"], &pipelines, None);
    assert!(out.status.success(), "cards personalise: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The contents of a company employee's signing certificate (山田 太郎 of セコム), for the
/// benchmarks that time the CA's signature: a new serial, 395 days from `now`.
pub fn employee_certificate(
    now: chrono::DateTime<chrono::FixedOffset>,
    public_key: spki::SubjectPublicKeyInfoOwned,
    policy_oid: &str,
) -> certbatch::issue::ca::EndEntity {
    use certbatch::issue::ca;
    ca::EndEntity {
        serial: certbatch::issue::random_serial().expect("a serial"),
        not_before: now,
        not_after: now + chrono::Duration::days(395),
        public_key,
        kind: ca::CertKind::Signing,
        common_name: "YAMADA TARO".into(),
        organization: Some("セコム株式会社".into()),
        organization_identifier: Some("NTRJP-4011001040781".into()),
        email: None,
        dns_names: vec![],
        kanji_name: Some("山田 太郎".into()),
        address: None,
        delegation: None,
        birth_date: None,
        locality: None,
        policy_oids: vec![policy_oid.into()],
        crl_url: None,
        aia_url: None,
    }
}

/// Copies a folder tree (the pipelines, a state folder).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
