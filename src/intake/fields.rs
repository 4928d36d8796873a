//! Rows to records: every cell read into its type, or a finding that names the cell.
//!
//! Takes one data row with its [`HeaderMap`] and gives an [`Application`] or a
//! [`DocumentRow`] plus the findings of every cell that could not be read. A bad cell never
//! stops the row from being read to the end, so staff see all its problems at once; the
//! other rows are untouched.

use super::columns::HeaderMap;
use super::scans::normalise_listed_path;
use super::table::{Cell, Row, Table};
use crate::finding::{Code, Finding, Location, Severity};
use crate::jpdate::{from_serial, parse_date};
use crate::pipelines::Pipelines;
use crate::record::{Application, DocumentRow, Owner, Rect};
use crate::text::{fold, single_line};
use chrono::{Datelike, NaiveDate};

/// An applications row read as far as it goes.
#[derive(Debug, Clone)]
pub struct ReadApplication {
    /// The cells as written, for reporting a row that is not an application.
    pub raw_id: String,
    pub raw_envelope: String,
    pub raw_product: String,
    pub source: Location,
    /// `None` when a finding makes the row unusable.
    pub application: Option<Application>,
    pub findings: Vec<Finding>,
    /// The `corrects` column: this row replaces the stored application of its id, which is
    /// not yet issued (contract section 2). Not part of the contents.
    pub corrects: bool,
}

/// A documents row read as far as it goes.
#[derive(Debug, Clone)]
pub struct ReadDocument {
    pub owner: Option<Owner>,
    pub document: Option<DocumentRow>,
    pub findings: Vec<Finding>,
    pub source: Location,
}

struct Cells<'a> {
    table: &'a Table,
    header: &'a HeaderMap,
    row: &'a Row,
    findings: Vec<Finding>,
    /// How much an unreadable cell weighs: rejects an application row, but only leaves
    /// the owner deficient when it is on a document row.
    severity: Severity,
}

fn ja_name(key: &str) -> &'static str {
    super::columns::APPLICATIONS.iter().chain(super::columns::DOCUMENTS).find(|c| c.key == key).map_or("", |c| c.ja)
}

impl<'a> Cells<'a> {
    fn row_location(&self) -> Location {
        Location {
            file: self.table.file.clone(),
            sheet: self.table.sheet.clone(),
            row: Some(self.row.number),
            column: None,
        }
    }

    fn loc(&self, key: &str) -> Location {
        let column = self.header.get(key).map_or_else(|| key.to_string(), |(_, h)| h.clone());
        self.row_location().with_column(column)
    }

    fn cell(&self, key: &str) -> Option<&'a Cell> {
        let (i, _) = self.header.get(key)?;
        self.row.cells.get(*i)
    }

    fn push(&mut self, code: Code, key: &str, message: String) {
        let f = Finding::new(code, Some(key), message).at(self.loc(key)).with_severity(self.severity);
        self.findings.push(f);
    }

    fn invalid(&mut self, key: &str, message: String) {
        self.push(Code::InvalidField, key, message);
    }

    /// Trimmed text, `None` when blank. A formula error or undecodable bytes is a finding.
    fn text(&mut self, key: &str, required: bool) -> Option<String> {
        let value = match self.cell(key) {
            None | Some(Cell::Empty) => None,
            Some(Cell::Error(e)) => {
                self.invalid(key, format!("{}の欄が数式エラー（{e}）です", ja_name(key)));
                return None;
            }
            Some(c) => match single_line(&c.display()) {
                Ok(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
                Err(ctl) => {
                    self.invalid(
                        key,
                        format!(
                            "{}に印刷も証明もできない制御文字（U+{:04X}）が含まれています",
                            ja_name(key),
                            ctl.ch as u32
                        ),
                    );
                    return None;
                }
            },
        };
        match value {
            Some(v) if v.contains('\u{FFFD}') => {
                self.invalid(key, format!("{}の文字が読めません（文字コードの誤り）", ja_name(key)));
                None
            }
            None if required => {
                self.invalid(key, format!("{}が記入されていません", ja_name(key)));
                None
            }
            v => v,
        }
    }

    fn date(&mut self, key: &str, required: bool) -> Option<NaiveDate> {
        match self.cell(key) {
            Some(Cell::Date(d)) => Some(*d),
            Some(Cell::Number(n)) => {
                let d = from_serial(*n);
                if d.is_none() {
                    self.invalid(key, format!("{}の「{n}」を日付として読めません", ja_name(key)));
                }
                d
            }
            _ => {
                let raw = self.text(key, required)?;
                match parse_date(&raw) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.invalid(key, format!("{}: {e}", ja_name(key)));
                        None
                    }
                }
            }
        }
    }

    /// A row shorter than its header was probably cut or shifted: say so once.
    fn check_width(&mut self) {
        let have = self.row.cells.len();
        if self.table.sheet.is_some() || have >= self.header.width {
            return;
        }
        if let Some((key, _)) = self.header.index.iter().filter(|(_, (i, _))| *i >= have).min_by_key(|(_, (i, _))| *i) {
            let key = key.to_string();
            self.invalid(
                &key,
                format!(
                    "この行は{have}列しかありません（見出しは{}列）。行が途中で切れていないか確認してください",
                    self.header.width
                ),
            );
        }
    }
}

fn is_valid_id(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `123-4567`, `1234567` or `〒123-4567` → `123-4567`.
pub fn normalise_postal(raw: &str) -> Option<String> {
    let digits: String = fold(raw).chars().filter(|c| !matches!(c, '〒' | '-' | ' ')).collect();
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}", &digits[..3], &digits[3..]))
}

/// A plausible address: one `@`, a local part, a dotted domain of letters, digits, hyphens.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|b| b.is_ascii_graphic() && !b"@()<>[]:;,\\\"".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && is_plausible_domain(domain)
}

/// A plausible mail domain: at least two dot-separated labels of letters, digits and inner
/// hyphens, the last one (the TLD) of two or more letters.
pub fn is_plausible_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// A Japanese phone number: 10 or 11 digits starting with 0, or +81 and 9-10 digits.
pub fn is_plausible_phone(s: &str) -> bool {
    if !s.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ' | '+')) {
        return false;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = s.trim().strip_prefix("+81") {
        let n = rest.chars().filter(char::is_ascii_digit).count();
        return (9..=10).contains(&n);
    }
    digits.starts_with('0') && (10..=11).contains(&digits.len())
}

fn parse_yes_no(raw: &Cell) -> Option<bool> {
    match raw {
        Cell::Bool(b) => Some(*b),
        Cell::Number(n) if *n == 0.0 || *n == 1.0 => Some(*n == 1.0),
        Cell::Empty => Some(false),
        c => match fold(c.display().trim()).to_lowercase().as_str() {
            "yes" | "y" | "true" | "1" | "はい" | "有" | "あり" | "○" | "〇" => Some(true),
            "no" | "n" | "false" | "0" | "いいえ" | "無" | "なし" | "×" | "" => Some(false),
            _ => None,
        },
    }
}

fn parse_rect(raw: &str) -> Option<Rect> {
    let nums: Vec<u32> = fold(raw)
        .split([',', '、', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .ok()?;
    match nums.as_slice() {
        [x, y, w, h] if *w > 0 && *h > 0 => Some(Rect { x: *x, y: *y, w: *w, h: *h }),
        _ => None,
    }
}

/// Reads one applications row. Product, certificate type and term are checked against
/// the loaded rules here because nothing else about the row can be judged without them.
pub fn read_application(table: &Table, header: &HeaderMap, row: &Row, pipelines: &Pipelines) -> ReadApplication {
    let mut c = Cells { table, header, row, findings: Vec::new(), severity: Severity::Reject };
    let raw = |key: &str| c.cell(key).map(Cell::display).unwrap_or_default().trim().to_string();
    let (raw_id, raw_envelope, raw_product) = (raw("application_id"), raw("envelope_id"), raw("product"));
    c.check_width();

    let id = c.text("application_id", true);
    if let Some(v) = &id {
        if !is_valid_id(v) {
            c.invalid(
                "application_id",
                format!("申込コード「{v}」は英数字・ハイフン・下線の1〜32文字で記入してください"),
            );
        }
    }
    let envelope_id = c.text("envelope_id", true);
    if let Some(v) = &envelope_id {
        if !is_valid_id(v) {
            c.invalid("envelope_id", format!("封筒番号「{v}」は英数字・ハイフン・下線の1〜32文字で記入してください"));
        }
    }
    let product_id = c.text("product", true).map(|s| s.to_lowercase());
    let product = product_id.as_deref().and_then(|p| pipelines.product(p));
    if let (Some(p), None) = (&product_id, product) {
        let known: Vec<&str> = pipelines.products.keys().map(String::as_str).collect();
        c.push(Code::UnknownValue, "product", format!("商品「{p}」は取り扱っていません（{}）", known.join("、")));
    }
    let cert_type = c.text("cert_type", true).map(|s| s.to_lowercase());
    if let (Some(p), Some(t)) = (product, &cert_type) {
        if !p.cert_types.contains_key(t) {
            let known: Vec<&str> = p.cert_types.keys().map(String::as_str).collect();
            c.push(
                Code::UnknownValue,
                "cert_type",
                format!("証明書種別「{t}」は{}にありません（{}）", p.name_ja, known.join("、")),
            );
        }
    }
    let term_raw = c.text("term", true);
    let term = match (product, &term_raw) {
        (Some(p), Some(t)) => match p.term(t) {
            Some(term) => Some(term.code.clone()),
            None => {
                let known: Vec<&str> = p.terms.iter().map(|t| t.code.as_str()).collect();
                c.push(
                    Code::UnknownValue,
                    "term",
                    format!("有効期間「{t}」は{}にありません（{}）", p.name_ja, known.join("、")),
                );
                None
            }
        },
        _ => None,
    };
    let applied_on = c.date("applied_on", true);
    let received_on = c.date("received_on", true);
    let name_kanji = c.text("name_kanji", true);
    let name_kana = c.text("name_kana", true);
    let name_romaji = c.text("name_romaji", true);
    let former_name = c.text("former_name", false);
    let birth_date = c.date("birth_date", true);
    if let (Some(b), Some(r)) = (birth_date, received_on) {
        let age = r.year() - b.year() - i32::from((r.month(), r.day()) < (b.month(), b.day()));
        if !(15..=120).contains(&age) {
            c.invalid("birth_date", format!("生年月日{b}は到着日時点で{age}歳になり、ありえません"));
        }
    }
    let postal_code = c.text("postal_code", true).and_then(|raw| {
        let n = normalise_postal(&raw);
        if n.is_none() {
            c.invalid("postal_code", format!("郵便番号「{raw}」は7桁（例: 123-4567）で記入してください"));
        }
        n
    });
    let address = c.text("address", true);
    let email = c.text("email", true).map(|s| fold(&s)).and_then(|e| {
        if is_plausible_email(&e) {
            Some(e)
        } else {
            c.invalid("email", format!("メールアドレス「{e}」の形式が正しくありません"));
            None
        }
    });
    let phone = c.text("phone", false).map(|s| fold(&s));
    if let Some(p) = &phone {
        if !is_plausible_phone(p) {
            c.invalid("phone", format!("電話番号「{p}」の形式が正しくありません"));
        }
    }
    let corporate_number = c.text("corporate_number", false).map(|s| fold(&s).replace(['-', ' '], ""));
    let org_name = c.text("org_name", false);
    let org_kana = c.text("org_kana", false);
    let org_representative = c.text("org_representative", false);
    let org_address = c.text("org_address", false);
    let delegation = c.text("delegation", false);
    let proxy_name = c.text("proxy_name", false);
    let proxy_postal_code = c.text("proxy_postal_code", false).and_then(|raw| {
        let n = normalise_postal(&raw);
        if n.is_none() {
            c.invalid("proxy_postal_code", format!("代理受取人の郵便番号「{raw}」は7桁で記入してください"));
        }
        n
    });
    let proxy_address = c.text("proxy_address", false);
    let payer_name = c.text("payer_name", false);
    let renewal_of = c.text("renewal_of", false).and_then(|raw| {
        let hex: String = fold(&raw).chars().filter(|ch| !matches!(ch, ':' | ' ')).collect::<String>().to_lowercase();
        if !hex.is_empty() && hex.len() <= 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(hex)
        } else {
            c.invalid("renewal_of", format!("更新元シリアル「{raw}」は16進数で記入してください"));
            None
        }
    });
    let card_readers = match c.cell("card_readers") {
        Some(Cell::Number(n)) if n.fract() == 0.0 && (0.0..=1000.0).contains(n) => *n as u32,
        _ => match c.text("card_readers", false) {
            None => 0,
            Some(raw) => fold(&raw).parse::<u32>().unwrap_or_else(|_| {
                c.invalid("card_readers", format!("カードリーダー台数「{raw}」は数字で記入してください"));
                0
            }),
        },
    };
    let domains: Vec<String> = c
        .text("domains", false)
        .map(|s| fold(&s).split([' ', ',', ';', '\n']).filter(|d| !d.is_empty()).map(|d| d.to_lowercase()).collect())
        .unwrap_or_default();
    let csr_file = c.text("csr_file", false).and_then(|raw| match normalise_listed_path(&raw) {
        Ok(p) => Some(p),
        Err(why) => {
            c.invalid("csr_file", format!("CSRファイル「{raw}」: {why}"));
            None
        }
    });

    let corrects = match c.cell("corrects") {
        None => false,
        Some(cell) => parse_yes_no(cell).unwrap_or_else(|| {
            let shown = cell.display();
            c.invalid("corrects", format!("訂正「{shown}」は はい／いいえ で記入してください"));
            false
        }),
    };
    let source = c.row_location();
    let rejected = c.findings.iter().any(|f| f.severity == Severity::Reject);
    let application = match (id, envelope_id, product_id, cert_type, term, applied_on, received_on) {
        (
            Some(id),
            Some(envelope_id),
            Some(product),
            Some(cert_type),
            Some(term),
            Some(applied_on),
            Some(received_on),
        ) if !rejected => Some(Application {
            id,
            envelope_id,
            product,
            cert_type,
            term,
            applied_on,
            received_on,
            name_kanji: name_kanji.unwrap_or_default(),
            name_kana: name_kana.unwrap_or_default(),
            name_romaji: name_romaji.unwrap_or_default(),
            former_name,
            birth_date: birth_date.unwrap_or(received_on),
            postal_code: postal_code.unwrap_or_default(),
            address: address.unwrap_or_default(),
            email: email.unwrap_or_default(),
            phone,
            corporate_number,
            org_name,
            org_kana,
            org_representative,
            org_address,
            delegation,
            proxy_name,
            proxy_postal_code,
            proxy_address,
            payer_name,
            renewal_of,
            card_readers,
            domains,
            csr_file,
            source: source.clone(),
        }),
        _ => None,
    };
    ReadApplication { raw_id, raw_envelope, raw_product, source, application, findings: c.findings, corrects }
}

/// Reads one documents row. Its findings leave the owner deficient, not rejected: the
/// application is sound, this copy of the document is not usable.
pub fn read_document(table: &Table, header: &HeaderMap, row: &Row) -> ReadDocument {
    let mut c = Cells { table, header, row, findings: Vec::new(), severity: Severity::Deficient };
    c.check_width();
    let app = c.text("application_id", false);
    let env = c.text("envelope_id", false);
    let owner = match (app, env) {
        (Some(a), _) => Some(Owner::Application(a)),
        (None, Some(e)) => Some(Owner::Envelope(e)),
        (None, None) => None,
    };
    let doc_type = c.text("doc_type", true).map(|s| s.to_lowercase());
    let issued_on = c.date("issued_on", true);
    let received_on = c.date("received_on", false);
    let file = c.text("file", true).and_then(|raw| match normalise_listed_path(&raw) {
        Ok(p) => Some(p),
        Err(why) => {
            c.invalid("file", format!("ファイル「{raw}」: {why}"));
            None
        }
    });
    let has_my_number = match c.cell("has_my_number") {
        None => false,
        Some(cell) => parse_yes_no(cell).unwrap_or_else(|| {
            let shown = cell.display();
            c.invalid("has_my_number", format!("個人番号記載「{shown}」は はい／いいえ で記入してください"));
            false
        }),
    };
    let mask_region = c.text("mask_region", false).and_then(|raw| {
        let r = parse_rect(&raw);
        if r.is_none() {
            c.invalid("mask_region", format!("マスク範囲「{raw}」は x,y,幅,高さ（ピクセル）で記入してください"));
        }
        r
    });
    let source = c.row_location();
    let document = match (&owner, doc_type, issued_on, file) {
        (Some(owner), Some(doc_type), Some(issued_on), Some(file)) => Some(DocumentRow {
            owner: owner.clone(),
            doc_type,
            issued_on,
            received_on,
            file,
            has_my_number,
            mask_region,
            source: source.clone(),
        }),
        _ => None,
    };
    ReadDocument { owner, document, findings: c.findings, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes_normalise() {
        let cases = [
            ("123-4567", Some("123-4567")),
            ("1234567", Some("123-4567")),
            ("〒１２３－４５６７", Some("123-4567")),
            ("12-34567", Some("123-4567")),
            ("123456", None),
            ("abc-defg", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalise_postal(raw).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn emails_need_a_plausible_form() {
        let cases = [
            ("taro@example.co.jp", true),
            ("t.yamada+ca@mail.example.com", true),
            ("taro@localhost", false),
            ("taro@@example.jp", false),
            ("taro example@example.jp", false),
            ("@example.jp", false),
            ("taro@example.j", false),
            ("taro@-bad.jp", false),
            ("taro..x@example.jp", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(is_plausible_email(raw), ok, "{raw}");
        }
    }

    #[test]
    fn phones_need_a_japanese_form() {
        let cases = [
            ("03-1234-5678", true),
            ("090-1234-5678", true),
            ("+81 3 1234 5678", true),
            ("1234", false),
            ("03-1234-567a", false),
            ("3-1234-5678", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(is_plausible_phone(raw), ok, "{raw}");
        }
    }

    #[test]
    fn yes_no_in_both_languages() {
        let cases = [
            ("はい", Some(true)),
            ("有", Some(true)),
            ("yes", Some(true)),
            ("いいえ", Some(false)),
            ("無", Some(false)),
            ("maybe", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_yes_no(&Cell::Text(raw.into())), want, "{raw}");
        }
        assert_eq!(parse_yes_no(&Cell::Bool(true)), Some(true));
    }

    #[test]
    fn mask_regions_are_four_numbers() {
        assert_eq!(parse_rect("10,20,300,40"), Some(Rect { x: 10, y: 20, w: 300, h: 40 }));
        assert_eq!(parse_rect("１０，２０，３００，４０"), Some(Rect { x: 10, y: 20, w: 300, h: 40 }));
        assert_eq!(parse_rect("10,20,0,40"), None);
        assert_eq!(parse_rect("10,20,30"), None);
    }

    #[test]
    fn ids_follow_the_contract_alphabet() {
        assert!(is_valid_id("GD-20261119-001"));
        assert!(!is_valid_id("GD 001"));
        assert!(!is_valid_id(&"A".repeat(33)));
        assert!(!is_valid_id("申込1"));
    }
}
