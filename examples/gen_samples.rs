//! Deterministic sample batches for certbatch (dev tool; meant as `examples/gen_samples.rs`).
//!
//! ```text
//! cargo run --example gen_samples -- OUT_DIR            # two realistic days
//! cargo run --example gen_samples -- OUT_DIR --large N  # OUT_DIR/large-N/ for the ingest benchmark
//! ```
//!
//! Output is byte-for-byte reproducible (splitmix64 PRNG with fixed seeds, fixed xlsx/PDF
//! creation times). The folders it writes (`OUT_DIR/2026-11-19`, `OUT_DIR/2026-11-20`,
//! `OUT_DIR/large-N`) are deleted and rewritten on every run; nothing else is touched.
//!
//! # Layout
//!
//! - `2026-11-19/applications.xlsx`: sheets `applications` (45 rows) and `documents`, Japanese
//!   headers (申込コード, 封筒番号, 商品, …) plus one column the contract does not know (`備考`,
//!   remarks on 4 rows). Dates are real date cells (formats `yyyy/mm/dd` and `yyyy"年"m"月"d"日"`)
//!   on most rows and text (`2026-11-19`, `2026/11/19`, `2026年11月19日`, `令和8年11月19日`,
//!   `R8.11.19`, birth dates as `昭和50年3月4日`) on the others. `card_readers` is a number cell.
//!   Scans are under `scans/ENV-1119-NN/<application_id>/<doc_type>.<ext>` and company documents
//!   under `scans/ENV-1119-NN/company/`.
//! - `2026-11-20/applications.csv` (43 rows) and `documents.csv`: Shift_JIS (CP932), CRLF, English
//!   headers, text dates only (including `S37.6.21`, `平成元年5月10日`). Scans are under
//!   `scans/box1|box2/ENV-1120-NN/<application_id>/NN_<doc_type>.<ext>`. In envelopes ENV-1120-06,
//!   -12, -18, -24 and -30 the `file` column is written relative to `scans/` (`box1/ENV-…`).
//!   Follow-up documents are in `scans/box2/followup/`.
//! - `2026-11-19/transfers/smbc-20261119.csv` and `2026-11-20/transfers/zengin-20261120.txt`:
//!   bank statements paying day 1's G-ID applications (see "Bank statements" below).
//! - `large-N/`: N applications (gid-download, gid-media, aosign-g2, cecsign; no passport-web,
//!   whose CSR is a placeholder), UTF-8 CSV with LF endings and English headers, ids
//!   `GD-BM-000001…`, envelopes `ENV-BM-00001…`. No deliberate problems. Every document has its
//!   own file, copied from a pool of 22 tiny JPEG/PNG/TIFF/PDF files.
//!
//! Scans are real files: JPEG (grayscale, or colour with a red seal), PNG, uncompressed TIFF and
//! 1-page PDFs (vector form, or a DCTDecode "scanned" page). Each carries a bar code of its own
//! path, so no two files have the same SHA-256. Residence certificates that show a My Number are
//! 480x340 PNGs and have the number inside `mask_region`. passport-web `csr_file`s are real
//! PKCS#10 requests made with certbatch's CSR builder from keys of a seeded generator, with the
//! problems of `CSR_PROBLEMS` (weak_key, csr_name_mismatch, invalid_csr, invalid_domain).
//!
//! Every row that is not listed below is meant to be clean. It has every required document,
//! issued 2-8 weeks before arrival (the form 3-20 days, the transfer slip 2-9 days before), a
//! valid corporate number (check digit verified against 4011001040781), passport Hepburn romaji
//! (checked against a built-in converter at start-up), JIS X 0208 text and readable dates.
//!
//! # Deliberate problems: 2026-11-19 (17 of 45 applications)
//!
//! | id | expected reason | detail |
//! | --- | --- | --- |
//! | GD-20261119-002 | `romaji_mismatch` | SATOU TARO for サトウ タロウ |
//! | GD-20261119-004 | `missing_document:seal_certificate` | completed on 2026-11-20 |
//! | GD-20261119-007 | `stale_document:seal_certificate` | issued 2026-08-10 |
//! | GD-20261119-013 | `missing_document:affiliation_certificate` | never completed |
//! | GD-20261119-015 | `scan_unreadable:scans/ENV-1119-12/GD-20261119-015/seal_certificate.jpg` | JPEG cut at 55% inside the scan data, no EOI marker. The `image` crate decodes this leniently (Pillow refuses it), so look for the FF D9 end marker |
//! | GD-20261119-017 | `unknown_value:cert_type` | `premium` |
//! | GM-20261119-019 | `missing_document:transfer_slip` | completed on 2026-11-20 |
//! | GM-20261119-021 | `application_form_expired` | form dated 2025-10-30 |
//! | GM-20261119-026 | `non_jis_character:name_kanji` (warning) | 髙橋 一郎 |
//! | GM-20261119-027 | `future_dated_document:residence_certificate` | issued 2026-11-26 |
//! | GC-20261119-028 | `unknown_value:product` | `gid-cloud` |
//! | AO-20261119-032 | `romaji_mismatch` | HATTRI MAKOTO for ハットリ マコト |
//! | AO-20261119-034 | `my_number_mask_missing` | has_my_number=はい, no mask_region |
//! | AO-20261119-036 | `invalid_field:email` | no `@` |
//! | CE-20261119-038 | `invalid_field:applied_on` | `令和8年13月1日` |
//! | CE-20261119-041 | `scan_missing:scans/ENV-1119-28/CE-20261119-041/application_form.pdf` | listed, not on disk |
//! | PW-20261119-044 | `invalid_corporate_number` | one base digit changed |
//! | (no row) | unlisted scan reported | `scans/ENV-1119-03/GD-20261119-003/residence_certificate_back.jpg` |
//!
//! # Deliberate problems: 2026-11-20 (17 of 43 applications)
//!
//! | id | expected reason | detail |
//! | --- | --- | --- |
//! | GD-20261120-002 | `romaji_mismatch` | HONMA KENTA for ホンマ ケンタ |
//! | GD-20261120-004 | `stale_document:seal_certificate` | issued 2026-08-19: one day too old |
//! | GD-20261120-011 | `invalid_field:birth_date` | `平成2年2月30日` |
//! | GD-20261120-012 | `future_dated_document:seal_certificate` | issued 2026-11-27 |
//! | GD-20261119-001 | `duplicate_application` | day-1 id again: same name, other term (3y), birth date, address and email. Its application_form is listed under that id |
//! | GM-20261120-015 | `application_form_expired` | form dated 2025-11-19: one day over a year |
//! | GM-20261120-017 | `scan_missing:scans/box1/ENV-1120-16/GM-20261120-017/02_seal_certificate.jpg` | listed, not on disk |
//! | GM-20261120-021 | `scan_unreadable:…/box1/ENV-1120-18/GM-20261120-021/02_seal_certificate.jpg` | JPEG cut inside its SOS header, so no decoder reads it. Listed without the `scans/` prefix |
//! | GM-20261120-022 | `romaji_mismatch` | SUZUKI KYOUKO for スズキ キョウコ |
//! | GM-20261120-023 | `non_jis_character:org_representative` (warning) | 山﨑 昭 |
//! | AO-20261120-026 | `invalid_corporate_number` | row-level typo; the other rows of ENV-1120-21 are valid |
//! | AO-20261120-029 | `unknown_value:cert_type` | `org_employee` (a G-ID type) for aosign-g2 |
//! | AO-20261120-030 | `my_number_mask_missing` | has_my_number=yes, no mask_region |
//! | AG-20261120-031 | `unknown_value:product` | `aosign-g3` |
//! | CE-20261120-034 | `missing_document:residence_certificate` | |
//! | CE-20261120-036 | `invalid_field:email` | `…@asahi-kyoryo..co.jp` |
//! | PW-20261120-039 | `missing_document:corporate_registry` | ENV-1120-30 sent no company document |
//! | (no row) | unlisted scan reported | `scans/box2/unsorted/IMG_0042.jpg` |
//! | GD-20261119-004 | completes day 1 | seal_certificate, received_on 2026-11-20, envelope_id empty |
//! | GM-20261119-019 | completes day 1 | transfer_slip, received_on 2026-11-20, envelope_id empty |
//!
//! # Bank statements
//!
//! Both are for the payee account 三井住友銀行 なでしこ支店 普通 1621000 (branch code `123`
//! is a sample value). Amounts are the fees `certbatch::payments::fees::fee_for` gives from
//! `pipelines/` (tax included: download 2y 19,250 / 3y 28,875, delegation 2y 26,400, media
//! 2y 22,550 / 3y 31,350, media delegation 2y 29,040). Only day-1 applications without a
//! deliberate problem are paid; a paid G-ID application is issued in the same run.
//! GD-20261119-001 (resent on day 2), -010, -011 and GM-20261119-026 stay unpaid.
//!
//! `2026-11-19/transfers/smbc-20261119.csv`: SMBC online-banking export, Shift_JIS, CR LF,
//! header `年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ`, amounts like `"19,250"`,
//! description `振込 NAME` in half-width kana without small kana, running balance from
//! 1,204,300.
//!
//! | date | amount | payer | application | payments.csv | why |
//! | --- | --- | --- | --- | --- | --- |
//! | 11-18 | 28,875 | ｵｵﾉ ﾀﾂﾔ | GD-20261119-003 | `matched` | payer_name on the form; paid the day before the envelope arrived |
//! | 11-18 | お引出し 55,000 | ｶ)ｱｵｿﾞﾗﾘ-ｽ | - | (no row) | a debit: skipped by the reader |
//! | 11-19 | 19,250 | ｵｵﾀ ｻﾄｼ | GD-20261119-005 | `matched` | payer_name on the form |
//! | 11-19 | 28,435 | ﾎﾝﾏ ﾕｳｺ | GD-20261119-008 | `partial` (-440) | transfer fee deducted; stays `accepted`, awaiting payment |
//! | 11-19 | 23,550 | ｽｽﾞｷ ｷﾖｳｺ | GM-20261119-018 | `overpaid` (+1,000) | applicant's reading (hiragana on the form); issued |
//! | 11-19 | 19,250 | GD20261119016 ﾏﾂﾀﾞ ﾖｳｺ | GD-20261119-016 | `matched` | application code before a name that is not on the application |
//! | 11-19 | 26,400 | ｶ)ﾐﾗｲｾﾂｹｲ | GD-20261119-012 | `matched` | company (org_kana ミライセッケイ) pays its delegation-type fee; the envelope's other two fees are 19,250 |
//! | 11-19 | 31,350 | ｵｶﾀﾞ ｲﾁﾛｳ | GM-20261119-020 | `matched` | applicant's reading |
//! | 11-19 | 22,550 | ﾀｹﾀﾞ ｷﾖｳｺ | GM-20261119-022 | `matched` | payer_name on the form |
//! | 11-19 | 15,400 | ﾔﾏｸﾞﾁ ﾄｼｵ | - | `unmatched` | nobody applied (the 2022 price); tried again, and listed again, on day 2 |
//!
//! `2026-11-20/transfers/zengin-20261120.txt`: 振込入金通知 (kind 01, format A), 200-byte
//! records + CR LF, Shift_JIS, one header…trailer group (作成日 and 勘定日 `081120`, 令和8年),
//! trailer 合計 7 records 211,365 yen (cancel record included), 取消 1 record 19,250 yen.
//!
//! | 照会番号 | amount | payer | application | payments.csv | why |
//! | --- | --- | --- | --- | --- | --- |
//! | 000001 | 28,875 | ｲﾄｳ ｼﾕﾝｽｹ | GD-20261119-006 | `matched` | applicant's reading, small kana written large |
//! | 000002 | 19,250 | ｺﾞﾄｳ ﾕｳｷ | GD-20261119-009 | `matched` | payer_name on the form |
//! | 000003 | 19,250 | ｴﾂﾁﾕｳ ｻｵﾘ | GD-20261119-014 | `matched` | applicant's reading |
//! | 000004 | 74,140 | ﾎｸﾄﾌﾞﾂｻﾝ(ｶ | GM-20261119-023, -024, -025 | `matched` | one transfer for the company's whole envelope (22,550 + 29,040 + 22,550), 後株 |
//! | 000005 | 31,350 | ｵｶﾀﾞ ｲﾁﾛｳ | GM-20261119-020 | `duplicate` | paid in full on day 1 |
//! | 000006 | 19,250 | ﾊﾂﾄﾘ ﾀｸﾔ | GD-20261119-011 | (no row) | cancelled by the last data record (000006, 取消区分 1): the pair nets out, GD-20261119-011 stays `accepted` |
//!
//! # Valid edge cases (must not be flagged)
//!
//! - Freshness boundary: GD-20261119-009 residence_certificate issued 2026-08-19, received
//!   2026-11-19; GD-20261120-005 issued 2026-08-20, received 2026-11-20.
//! - Form exactly 1 year old: GM-20261119-022 (2025-11-19 → 2026-11-19).
//! - My Number with an in-image mask_region: GD-20261119-016 (はい), GD-20261120-013 (有).
//! - Hepburn traps written correctly: GD-20261119-001 SATO, -003 ONO, -008 HOMMA, -011 HATTORI,
//!   -014 ETCHU, GM-20261119-018 KYOKO (kana in hiragana), -025 JUNICHI NAKAMURA (given-family),
//!   CE-20261119-041 KONO, PW-20261119-042 KIKKAWA, GD-20261120-001 HANYU, -007 NAMBA,
//!   -010 OBAYASHI JUMPEI, GM-20261120-014 SAMPEI, AO-20261120-027 NITTA.
//! - 佐々木 (々 is JIS X 0208): AO-20261119-031. Era birth date 平成元年5月10日: GD-20261120-003.
//! - Former name + family_register: GD-20261119-006, CE-20261119-039, GD-20261120-041. Proxy +
//!   proxy_seal_certificate: GD-20261119-005, AO-20261119-035, GD-20261120-006, AO-20261120-032.
//! - Company documents listed once per envelope with application_id empty, e.g. ENV-1119-10
//!   (org_representative + org_employee + org_employee_delegation) and ENV-1119-24 (4 AOSign cards).
//! - Terms `2y`/`3y`/`2年`/`3年`/`3`; 7-digit postal codes; half-width bank-style `payer_name`
//!   (`ｶ)ﾐﾗｲｾﾂｹｲ`); `file` paths relative to `scans/` as described above.
//!
//! The program prints this same list at the end of every run, and the bank statements'
//! transfers after it. If you change the plans in `day1_plan`/`day2_plan` or
//! `smbc_plan`/`zengin_plan`, update this comment from that output (and
//! `tests/end_to_end.rs`).

use std::collections::BTreeMap;
use std::fs;
use std::io::Cursor;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::tiff::TiffEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma, Rgb, RgbImage};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook};

// ---------------------------------------------------------------------------------------
// Deterministic PRNG (splitmix64)
// ---------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn shuffled(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
        v
    }
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date literal is a real date")
}

fn ymd3(t: (i32, u32, u32)) -> NaiveDate {
    ymd(t.0, t.1, t.2)
}

fn days_before(date: NaiveDate, n: i64) -> NaiveDate {
    date - Duration::days(n)
}

/// How a date is written in the batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    Iso,
    Slash,
    Kanji,
    Era,
    EraShort,
    /// A real spreadsheet date cell (ISO text in CSV).
    Cell,
}

fn era(date: NaiveDate) -> (&'static str, char, i32) {
    let y = date.year();
    if date >= ymd(2019, 5, 1) {
        ("令和", 'R', y - 2018)
    } else if date >= ymd(1989, 1, 8) {
        ("平成", 'H', y - 1988)
    } else if date >= ymd(1926, 12, 25) {
        ("昭和", 'S', y - 1925)
    } else {
        ("大正", 'T', y - 1911)
    }
}

fn iso(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn date_text(date: NaiveDate, form: Form) -> String {
    let (m, d) = (date.month(), date.day());
    match form {
        Form::Iso | Form::Cell => iso(date),
        Form::Slash => format!("{:04}/{m:02}/{d:02}", date.year()),
        Form::Kanji => format!("{}年{m}月{d}日", date.year()),
        Form::Era => {
            let (name, _, n) = era(date);
            let year = if n == 1 { "元".to_string() } else { n.to_string() };
            format!("{name}{year}年{m}月{d}日")
        }
        Form::EraShort => {
            let (_, letter, n) = era(date);
            format!("{letter}{n}.{m}.{d}")
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cells and rows
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Val {
    Text(String),
    Date(NaiveDate, Form),
    Num(f64),
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Text(s) => s.clone(),
            Val::Date(d, f) => date_text(*d, *f),
            Val::Num(n) => format!("{n}"),
        }
    }
}

type Row = BTreeMap<&'static str, Val>;

fn put(row: &mut Row, key: &'static str, value: impl Into<String>) {
    let value = value.into();
    if !value.is_empty() {
        row.insert(key, Val::Text(value));
    }
}

/// The contract's columns (English, Japanese), from certbatch itself.
fn app_cols() -> Vec<(&'static str, &'static str)> {
    certbatch::intake::columns::APPLICATIONS.iter().map(|c| (c.key, c.ja)).collect()
}

fn doc_cols() -> Vec<(&'static str, &'static str)> {
    certbatch::intake::columns::DOCUMENTS.iter().map(|c| (c.key, c.ja)).collect()
}

/// Day 1's spreadsheet carries one column the contract does not know (kept out of
/// decisions, reported once).
const REMARKS_HEADER: &str = "備考";

// ---------------------------------------------------------------------------------------
// Reference data: names, places, companies
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Name {
    kanji: &'static str,
    kana: &'static str,
    romaji: &'static str,
}

const fn n(kanji: &'static str, kana: &'static str, romaji: &'static str) -> Name {
    Name { kanji, kana, romaji }
}

const FAMILIES: [Name; 66] = [
    n("佐藤", "サトウ", "SATO"),
    n("鈴木", "スズキ", "SUZUKI"),
    n("高橋", "タカハシ", "TAKAHASHI"),
    n("田中", "タナカ", "TANAKA"),
    n("伊藤", "イトウ", "ITO"),
    n("渡辺", "ワタナベ", "WATANABE"),
    n("山本", "ヤマモト", "YAMAMOTO"),
    n("中村", "ナカムラ", "NAKAMURA"),
    n("小林", "コバヤシ", "KOBAYASHI"),
    n("加藤", "カトウ", "KATO"),
    n("吉田", "ヨシダ", "YOSHIDA"),
    n("山田", "ヤマダ", "YAMADA"),
    n("佐々木", "ササキ", "SASAKI"),
    n("松本", "マツモト", "MATSUMOTO"),
    n("木村", "キムラ", "KIMURA"),
    n("林", "ハヤシ", "HAYASHI"),
    n("清水", "シミズ", "SHIMIZU"),
    n("山崎", "ヤマザキ", "YAMAZAKI"),
    n("森", "モリ", "MORI"),
    n("池田", "イケダ", "IKEDA"),
    n("橋本", "ハシモト", "HASHIMOTO"),
    n("石川", "イシカワ", "ISHIKAWA"),
    n("大野", "オオノ", "ONO"),
    n("本間", "ホンマ", "HOMMA"),
    n("服部", "ハットリ", "HATTORI"),
    n("越中", "エッチュウ", "ETCHU"),
    n("大林", "オオバヤシ", "OBAYASHI"),
    n("難波", "ナンバ", "NAMBA"),
    n("三瓶", "サンペイ", "SAMPEI"),
    n("吉川", "キッカワ", "KIKKAWA"),
    n("羽生", "ハニュウ", "HANYU"),
    n("近藤", "コンドウ", "KONDO"),
    n("斎藤", "サイトウ", "SAITO"),
    n("後藤", "ゴトウ", "GOTO"),
    n("工藤", "クドウ", "KUDO"),
    n("神戸", "カンベ", "KAMBE"),
    n("新田", "ニッタ", "NITTA"),
    n("太田", "オオタ", "OTA"),
    n("野口", "ノグチ", "NOGUCHI"),
    n("長谷川", "ハセガワ", "HASEGAWA"),
    n("坂本", "サカモト", "SAKAMOTO"),
    n("藤田", "フジタ", "FUJITA"),
    n("西村", "ニシムラ", "NISHIMURA"),
    n("中島", "ナカジマ", "NAKAJIMA"),
    n("前田", "マエダ", "MAEDA"),
    n("岡田", "オカダ", "OKADA"),
    n("村上", "ムラカミ", "MURAKAMI"),
    n("菅原", "スガワラ", "SUGAWARA"),
    n("上野", "ウエノ", "UENO"),
    n("千葉", "チバ", "CHIBA"),
    n("安藤", "アンドウ", "ANDO"),
    n("遠藤", "エンドウ", "ENDO"),
    n("今井", "イマイ", "IMAI"),
    n("竹内", "タケウチ", "TAKEUCHI"),
    n("武田", "タケダ", "TAKEDA"),
    n("松田", "マツダ", "MATSUDA"),
    n("小野", "オノ", "ONO"),
    n("福田", "フクダ", "FUKUDA"),
    n("荒木", "アラキ", "ARAKI"),
    n("堀", "ホリ", "HORI"),
    n("片山", "カタヤマ", "KATAYAMA"),
    n("桑原", "クワバラ", "KUWABARA"),
    n("丸山", "マルヤマ", "MARUYAMA"),
    n("河野", "コウノ", "KONO"),
    n("増田", "マスダ", "MASUDA"),
    n("沖田", "オキタ", "OKITA"),
];

/// Surnames written with a character outside JIS X 0208 (IBM extensions; they do exist in
/// CP932, so the Shift_JIS CSV can carry them).
const NON_JIS_FAMILIES: [Name; 3] =
    [n("髙橋", "タカハシ", "TAKAHASHI"), n("山﨑", "ヤマザキ", "YAMAZAKI"), n("𠮷田", "ヨシダ", "YOSHIDA")];

/// What a long address adds to the street: a building and room number, as applicants write
/// them, in place of the street's own (wider than the envelope window with the street).
const LONG_BUILDING: &str = "グランドパレスセントラルタワー東棟　二十三階二三〇五号室";

/// The columns a half-filled row keeps; the required ones it lacks come out as reasons.
const HALF_FILLED_KEPT: [&str; 6] =
    ["application_id", "envelope_id", "product", "cert_type", "name_kanji", "name_kana"];
const HALF_FILLED_EMPTY: [&str; 8] =
    ["term", "applied_on", "received_on", "name_romaji", "birth_date", "postal_code", "address", "email"];

const GIVENS: [Name; 50] = [
    n("花子", "ハナコ", "HANAKO"),
    n("太郎", "タロウ", "TARO"),
    n("京子", "キョウコ", "KYOKO"),
    n("純一", "ジュンイチ", "JUNICHI"),
    n("健一", "ケンイチ", "KENICHI"),
    n("裕子", "ユウコ", "YUKO"),
    n("翔太", "ショウタ", "SHOTA"),
    n("美咲", "ミサキ", "MISAKI"),
    n("大輔", "ダイスケ", "DAISUKE"),
    n("直樹", "ナオキ", "NAOKI"),
    n("陽子", "ヨウコ", "YOKO"),
    n("誠", "マコト", "MAKOTO"),
    n("恵美", "エミ", "EMI"),
    n("浩二", "コウジ", "KOJI"),
    n("真由美", "マユミ", "MAYUMI"),
    n("修", "オサム", "OSAMU"),
    n("亮", "リョウ", "RYO"),
    n("由美子", "ユミコ", "YUMIKO"),
    n("拓也", "タクヤ", "TAKUYA"),
    n("彩", "アヤ", "AYA"),
    n("慎一郎", "シンイチロウ", "SHINICHIRO"),
    n("和也", "カズヤ", "KAZUYA"),
    n("千尋", "チヒロ", "CHIHIRO"),
    n("雄介", "ユウスケ", "YUSUKE"),
    n("智子", "トモコ", "TOMOKO"),
    n("隆", "タカシ", "TAKASHI"),
    n("舞", "マイ", "MAI"),
    n("順平", "ジュンペイ", "JUMPEI"),
    n("健太", "ケンタ", "KENTA"),
    n("里美", "サトミ", "SATOMI"),
    n("淳", "ジュン", "JUN"),
    n("秀樹", "ヒデキ", "HIDEKI"),
    n("香織", "カオリ", "KAORI"),
    n("俊介", "シュンスケ", "SHUNSUKE"),
    n("恭平", "キョウヘイ", "KYOHEI"),
    n("明美", "アケミ", "AKEMI"),
    n("耕平", "コウヘイ", "KOHEI"),
    n("沙織", "サオリ", "SAORI"),
    n("洋平", "ヨウヘイ", "YOHEI"),
    n("悠斗", "ユウト", "YUTO"),
    n("一郎", "イチロウ", "ICHIRO"),
    n("昭", "アキラ", "AKIRA"),
    n("勇樹", "ユウキ", "YUKI"),
    n("信也", "シンヤ", "SHINYA"),
    n("紀子", "ノリコ", "NORIKO"),
    n("達也", "タツヤ", "TATSUYA"),
    n("聡", "サトシ", "SATOSHI"),
    n("桃子", "モモコ", "MOMOKO"),
    n("健", "ケン", "KEN"),
    n("奈々", "ナナ", "NANA"),
];

struct Place {
    pref: &'static str,
    city: &'static str,
    towns: &'static [&'static str],
    zip3: &'static str,
    area: &'static str,
}

const PLACES: [Place; 20] = [
    pl("東京都", "千代田区", &["丸の内", "神田小川町", "麹町", "九段南"], "100", "03"),
    pl("東京都", "世田谷区", &["三軒茶屋", "桜新町", "成城"], "154", "03"),
    pl("東京都", "八王子市", &["旭町", "元本郷町"], "192", "042"),
    pl("神奈川県", "横浜市中区", &["日本大通", "山下町", "本町"], "231", "045"),
    pl("神奈川県", "川崎市中原区", &["小杉町", "新丸子町"], "211", "044"),
    pl("大阪府", "大阪市北区", &["梅田", "天神橋", "中之島"], "530", "06"),
    pl("大阪府", "堺市堺区", &["南瓦町", "北花田口町"], "590", "072"),
    pl("愛知県", "名古屋市中区", &["三の丸", "栄", "錦"], "460", "052"),
    pl("福岡県", "福岡市中央区", &["天神", "大名", "赤坂"], "810", "092"),
    pl("北海道", "札幌市中央区", &["北一条西", "南三条西"], "060", "011"),
    pl("宮城県", "仙台市青葉区", &["国分町", "一番町"], "980", "022"),
    pl("広島県", "広島市中区", &["基町", "紙屋町"], "730", "082"),
    pl("京都府", "京都市中京区", &["烏丸通", "河原町"], "604", "075"),
    pl("埼玉県", "さいたま市浦和区", &["高砂", "常盤"], "330", "048"),
    pl("千葉県", "千葉市中央区", &["千葉港", "中央"], "260", "043"),
    pl("兵庫県", "神戸市中央区", &["加納町", "元町通"], "650", "078"),
    pl("静岡県", "静岡市葵区", &["追手町", "呉服町"], "420", "054"),
    pl("新潟県", "新潟市中央区", &["学校町通", "東大通"], "951", "025"),
    pl("長野県", "長野市", &["鶴賀", "南長野"], "380", "026"),
    pl("熊本県", "熊本市中央区", &["手取本町", "水前寺"], "860", "096"),
];

const fn pl(
    pref: &'static str,
    city: &'static str,
    towns: &'static [&'static str],
    zip3: &'static str,
    area: &'static str,
) -> Place {
    Place { pref, city, towns, zip3, area }
}

const BUILDINGS: [&str; 6] = ["メゾン桜", "グランドハイツ", "コーポ青葉", "パークサイド", "サンライズ", "ハイム若草"];

/// (name, reading, domain stem)
const COMPANIES: [(&str, &str, &str); 26] = [
    ("株式会社みらい設計", "ミライセッケイ", "mirai-sekkei"),
    ("株式会社さくら工業", "サクラコウギョウ", "sakura-kogyo"),
    ("北斗物産株式会社", "ホクトブッサン", "hokuto-bussan"),
    ("株式会社ほしぞら商事", "ホシゾラショウジ", "hoshizora-shoji"),
    ("合同会社かもめデザイン", "カモメデザイン", "kamome-design"),
    ("株式会社丸の内システムズ", "マルノウチシステムズ", "marunouchi-systems"),
    ("有限会社ひまわり不動産", "ヒマワリフドウサン", "himawari-fudosan"),
    ("株式会社湊運輸", "ミナトウンユ", "minato-unyu"),
    ("医療法人社団緑風会", "リョクフウカイ", "ryokufukai"),
    ("株式会社若葉会計", "ワカバカイケイ", "wakaba-kaikei"),
    ("株式会社東雲製作所", "シノノメセイサクショ", "shinonome-ss"),
    ("株式会社光陽テック", "コウヨウテック", "koyo-tech"),
    ("一般財団法人地域情報センター", "チイキジョウホウセンター", "chiiki-joho"),
    ("株式会社橘フーズ", "タチバナフーズ", "tachibana-foods"),
    ("株式会社西海岸ネットワークス", "ニシカイガンネットワークス", "nishikaigan-net"),
    ("株式会社雪国ソフト", "ユキグニソフト", "yukiguni-soft"),
    ("株式会社山吹エンジニアリング", "ヤマブキエンジニアリング", "yamabuki-eng"),
    ("株式会社紬ホールディングス", "ツムギホールディングス", "tsumugi-hd"),
    ("株式会社港北メディカル", "コウホクメディカル", "kohoku-medical"),
    ("株式会社五稜システム", "ゴリョウシステム", "goryo-system"),
    ("株式会社白樺運送", "シラカバウンソウ", "shirakaba-unso"),
    ("株式会社葵ロジテック", "アオイロジテック", "aoi-logitech"),
    ("株式会社千鳥印刷", "チドリインサツ", "chidori-print"),
    ("株式会社青嵐商会", "セイランショウカイ", "seiran-shokai"),
    ("株式会社明星電子", "ミョウジョウデンシ", "myojo-denshi"),
    ("株式会社銀河ソリューションズ", "ギンガソリューションズ", "ginga-solutions"),
];

/// Construction companies for CECSIGN (construction e-contracts).
const BUILDERS: [(&str, &str, &str); 6] = [
    ("株式会社青葉建設", "アオバケンセツ", "aoba-kensetsu"),
    ("東和土木株式会社", "トウワドボク", "towa-doboku"),
    ("大和電設工業株式会社", "ダイワデンセツコウギョウ", "daiwa-densetsu"),
    ("朝日橋梁株式会社", "アサヒキョウリョウ", "asahi-kyoryo"),
    ("株式会社北辰工務店", "ホクシンコウムテン", "hokushin-komuten"),
    ("株式会社三河建工", "ミカワケンコウ", "mikawa-kenko"),
];

const TRADE_SUFFIXES: [(&str, &str); 6] = [
    ("デザイン事務所", "デザインジムショ"),
    ("写真事務所", "シャシンジムショ"),
    ("税務会計事務所", "ゼイムカイケイジムショ"),
    ("商店", "ショウテン"),
    ("工房", "コウボウ"),
    ("設計室", "セッケイシツ"),
];

const DELEGATIONS: [&str; 4] = [
    "入札及び見積に関する一切の権限",
    "契約の締結並びに代金の請求及び受領に関する権限",
    "電子申請による許認可手続に関する権限",
    "社会保険及び労働保険の電子申請に関する権限",
];

const MAIL_DOMAINS: [&str; 4] = ["example.jp", "example.co.jp", "example.ne.jp", "mail.example.com"];

const REMARKS: [&str; 5] = ["電話確認済", "再送分", "窓口持参", "封筒破損あり", "宛名手書き"];

// ---------------------------------------------------------------------------------------
// Kana helpers: passport Hepburn and bank-style half-width kana
// ---------------------------------------------------------------------------------------

fn to_katakana(c: char) -> char {
    if ('\u{3041}'..='\u{3096}').contains(&c) {
        char::from_u32(c as u32 + 0x60).unwrap_or(c)
    } else {
        c
    }
}

fn to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| if ('\u{30A1}'..='\u{30F6}').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap_or(c) } else { c })
        .collect()
}

#[rustfmt::skip]
fn mono(c: char) -> Option<&'static str> {
    Some(match c {
        'ア' => "A", 'イ' => "I", 'ウ' => "U", 'エ' => "E", 'オ' => "O",
        'カ' => "KA", 'キ' => "KI", 'ク' => "KU", 'ケ' => "KE", 'コ' => "KO",
        'サ' => "SA", 'シ' => "SHI", 'ス' => "SU", 'セ' => "SE", 'ソ' => "SO",
        'タ' => "TA", 'チ' => "CHI", 'ツ' => "TSU", 'テ' => "TE", 'ト' => "TO",
        'ナ' => "NA", 'ニ' => "NI", 'ヌ' => "NU", 'ネ' => "NE", 'ノ' => "NO",
        'ハ' => "HA", 'ヒ' => "HI", 'フ' => "FU", 'ヘ' => "HE", 'ホ' => "HO",
        'マ' => "MA", 'ミ' => "MI", 'ム' => "MU", 'メ' => "ME", 'モ' => "MO",
        'ヤ' => "YA", 'ユ' => "YU", 'ヨ' => "YO",
        'ラ' => "RA", 'リ' => "RI", 'ル' => "RU", 'レ' => "RE", 'ロ' => "RO",
        'ワ' => "WA", 'ヲ' => "O",
        'ガ' => "GA", 'ギ' => "GI", 'グ' => "GU", 'ゲ' => "GE", 'ゴ' => "GO",
        'ザ' => "ZA", 'ジ' => "JI", 'ズ' => "ZU", 'ゼ' => "ZE", 'ゾ' => "ZO",
        'ダ' => "DA", 'ヂ' => "JI", 'ヅ' => "ZU", 'デ' => "DE", 'ド' => "DO",
        'バ' => "BA", 'ビ' => "BI", 'ブ' => "BU", 'ベ' => "BE", 'ボ' => "BO",
        'パ' => "PA", 'ピ' => "PI", 'プ' => "PU", 'ペ' => "PE", 'ポ' => "PO",
        _ => return None,
    })
}

#[rustfmt::skip]
fn digraph_stem(c: char) -> Option<&'static str> {
    Some(match c {
        'キ' => "KY", 'シ' => "SH", 'チ' => "CH", 'ニ' => "NY", 'ヒ' => "HY", 'ミ' => "MY",
        'リ' => "RY", 'ギ' => "GY", 'ジ' | 'ヂ' => "J", 'ビ' => "BY", 'ピ' => "PY",
        _ => return None,
    })
}

/// Passport Hepburn of one word of kana (seed 003's table): long vowels dropped (OU, OO,
/// UU), N before B/M/P written M, doubled consonants, but っ before CH written T.
fn hepburn_word(kana: &str) -> Option<String> {
    let cs: Vec<char> = kana.chars().map(to_katakana).collect();
    let mut out = String::new();
    let (mut sokuon, mut moraic_n) = (false, false);
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            'ッ' => {
                sokuon = true;
                i += 1;
                continue;
            }
            'ン' => {
                moraic_n = true;
                i += 1;
                continue;
            }
            'ー' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if !moraic_n
            && !sokuon
            && ((c == 'ウ' && (out.ends_with('O') || out.ends_with('U'))) || (c == 'オ' && out.ends_with('O')))
        {
            i += 1;
            continue;
        }
        let small = cs.get(i + 1).and_then(|n| match n {
            'ャ' => Some("A"),
            'ュ' => Some("U"),
            'ョ' => Some("O"),
            _ => None,
        });
        let syllable = match (small, digraph_stem(c)) {
            (Some(v), Some(stem)) => {
                i += 2;
                format!("{stem}{v}")
            }
            _ => {
                i += 1;
                mono(c)?.to_string()
            }
        };
        if moraic_n {
            let labial = matches!(syllable.as_bytes()[0], b'B' | b'M' | b'P');
            out.push(if labial { 'M' } else { 'N' });
            moraic_n = false;
        }
        if sokuon {
            if syllable.starts_with("CH") {
                out.push('T');
            } else {
                out.push(char::from(syllable.as_bytes()[0]));
            }
            sokuon = false;
        }
        out.push_str(&syllable);
    }
    if moraic_n {
        out.push('N');
    }
    Some(out)
}

const FULL_KANA: &str =
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンー";
const HALF_KANA: &str = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｰ";
const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
const VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
const SEMI: &str = "パピプペポ";
const SEMI_BASE: &str = "ハヒフヘホ";
const SMALL: &str = "ァィゥェォッャュョ";
const SMALL_BASE: &str = "アイウエオツヤユヨ";

fn nth_map(c: char, from: &str, to: &str) -> Option<char> {
    from.chars().position(|x| x == c).and_then(|i| to.chars().nth(i))
}

/// Half-width katakana as banks print payer names (no small kana).
fn bank_kana(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().map(to_katakana) {
        let c = nth_map(c, SMALL, SMALL_BASE).unwrap_or(c);
        if let Some(h) = nth_map(c, FULL_KANA, HALF_KANA) {
            out.push(h);
        } else if let Some(b) = nth_map(c, VOICED, VOICED_BASE) {
            out.push(nth_map(b, FULL_KANA, HALF_KANA).expect("voiced base is in the table"));
            out.push('ﾞ');
        } else if let Some(b) = nth_map(c, SEMI, SEMI_BASE) {
            out.push(nth_map(b, FULL_KANA, HALF_KANA).expect("semi-voiced base is in the table"));
            out.push('ﾟ');
        } else if c == '　' || c == ' ' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Corporate number (法人番号): check digit = 9 - (Σ digit × (1,2,1,2… from the right)) mod 9
// ---------------------------------------------------------------------------------------

fn corp_check_digit(base12: &str) -> u32 {
    let sum: u32 = base12
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * if i.is_multiple_of(2) { 1 } else { 2 })
        .sum();
    9 - sum % 9
}

fn corp_valid(number: &str) -> bool {
    number.len() == 13
        && number.chars().all(|c| c.is_ascii_digit())
        && number[..1].parse::<u32>().ok() == Some(corp_check_digit(&number[1..]))
}

fn corp_number(rng: &mut Rng) -> String {
    // Registry-office style base: 4 digits of office code, then a serial.
    let base: String = (0..12).map(|_| char::from(b'0' + rng.range(0, 9) as u8)).collect();
    format!("{}{base}", corp_check_digit(&base))
}

/// One base digit changed so that the check digit no longer fits.
fn corp_typo(good: &str) -> String {
    let mut digits: Vec<u8> = good.bytes().collect();
    for pos in [7usize, 5, 9, 3] {
        for delta in [1u8, 2, 3] {
            let mut d = digits.clone();
            d[pos] = b'0' + (d[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(d.clone()).expect("ascii");
            if !corp_valid(&s) {
                digits = d;
                return String::from_utf8(digits).expect("ascii");
            }
        }
    }
    unreachable!("a one-digit change with weight 1 always breaks the check digit")
}

// ---------------------------------------------------------------------------------------
// Scans: tiny bitmap font, page images, PDFs
// ---------------------------------------------------------------------------------------

#[rustfmt::skip]
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_uppercase() {
        '0' => [7, 5, 5, 5, 7], '1' => [2, 6, 2, 2, 7], '2' => [7, 1, 7, 4, 7], '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1], '5' => [7, 4, 7, 1, 7], '6' => [7, 4, 7, 5, 7], '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7], '9' => [7, 5, 7, 1, 7], 'A' => [2, 5, 7, 5, 5], 'B' => [6, 5, 6, 5, 6],
        'C' => [3, 4, 4, 4, 3], 'D' => [6, 5, 5, 5, 6], 'E' => [7, 4, 6, 4, 7], 'F' => [7, 4, 6, 4, 4],
        'G' => [3, 4, 5, 5, 3], 'H' => [5, 5, 7, 5, 5], 'I' => [7, 2, 2, 2, 7], 'J' => [1, 1, 1, 5, 2],
        'K' => [5, 5, 6, 5, 5], 'L' => [4, 4, 4, 4, 7], 'M' => [5, 7, 7, 5, 5], 'N' => [6, 5, 5, 5, 5],
        'O' => [2, 5, 5, 5, 2], 'P' => [6, 5, 6, 4, 4], 'Q' => [2, 5, 5, 6, 3], 'R' => [6, 5, 6, 5, 5],
        'S' => [3, 4, 2, 1, 6], 'T' => [7, 2, 2, 2, 2], 'U' => [5, 5, 5, 5, 7], 'V' => [5, 5, 5, 5, 2],
        'W' => [5, 5, 7, 7, 5], 'X' => [5, 5, 2, 5, 5], 'Y' => [5, 5, 2, 2, 2], 'Z' => [7, 1, 2, 4, 7],
        '-' => [0, 0, 7, 0, 0], '.' => [0, 0, 0, 0, 2], ':' => [0, 2, 0, 2, 0], '/' => [1, 1, 2, 4, 4],
        '_' => [0, 0, 0, 0, 7], '@' => [7, 5, 7, 4, 7], '+' => [0, 2, 7, 2, 0],
        _ => [0; 5],
    }
}

fn fill(img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32, v: u8) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, Luma([v]));
        }
    }
}

fn outline(img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32, v: u8) {
    fill(img, x, y, w, 1, v);
    fill(img, x, y + h - 1, w, 1, v);
    fill(img, x, y, 1, h, v);
    fill(img, x + w - 1, y, 1, h, v);
}

fn draw_text(img: &mut GrayImage, x: u32, y: u32, scale: u32, text: &str, ink: u8) {
    for (k, c) in text.chars().enumerate() {
        let g = glyph(c);
        let gx = x + k as u32 * 4 * scale;
        for (row, bits) in g.iter().enumerate() {
            for col in 0..3u32 {
                if bits & (4 >> col) != 0 {
                    fill(img, gx + col * scale, y + row as u32 * scale, scale, scale, ink);
                }
            }
        }
    }
}

fn text_scale(width: u32, text: &str) -> u32 {
    if (text.len() as u32) * 8 + 20 <= width {
        2
    } else {
        1
    }
}

/// A paper-like grayscale page: border, typed header lines, text-like strokes, and a
/// 64-bit bar code of the file path so every file's bytes differ.
fn page(rng: &mut Rng, w: u32, h: u32, lines: &[String], sig: u64) -> GrayImage {
    let mut img = GrayImage::from_pixel(w, h, Luma([247]));
    outline(&mut img, 5, 5, w - 10, h - 10, 150);
    let mut y = 12;
    for (i, line) in lines.iter().enumerate() {
        let scale = if i == 0 { text_scale(w, line) } else { 1 };
        draw_text(&mut img, 12, y, scale, line, 25);
        y += 6 * scale + 4;
    }
    fill(&mut img, 10, y, w - 20, 1, 90);
    y += 6;
    let bottom = h.saturating_sub(26);
    while y + 4 < bottom {
        let mut x = 12;
        let end = w - 12 - rng.below((w / 3) as usize) as u32;
        let ink = 50 + rng.below(40) as u8;
        while x + 4 < end {
            let len = (4 + rng.below(22) as u32).min(end - x);
            fill(&mut img, x, y, len, 2, ink);
            x += len + 3 + rng.below(4) as u32;
        }
        y += 8 + rng.below(4) as u32;
    }
    for bit in 0..64u32 {
        if sig >> bit & 1 == 1 {
            fill(&mut img, 12 + bit * 2, h - 18, 2, 8, 20);
        }
    }
    img
}

fn seal_overlay(gray: &GrayImage, rng: &mut Rng) -> RgbImage {
    let (w, h) = gray.dimensions();
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let v = gray.get_pixel(x, y)[0];
        Rgb([v, v, v.saturating_sub(6)])
    });
    let (cx, cy) = (w as i64 - 45 - rng.range(0, 15), h as i64 - 60 - rng.range(0, 20));
    let r = 18 + rng.range(0, 6);
    for y in (cy - r)..=(cy + r) {
        for x in (cx - r)..=(cx + r) {
            let d2 = (x - cx).pow(2) + (y - cy).pow(2);
            let inner = (r - 3).pow(2);
            let cross = (x - cx).abs() <= 1 && (y - cy).abs() < r - 5;
            if (d2 <= r * r && d2 >= inner) || cross || (d2 < inner && (y - cy).abs() <= 1) {
                img.put_pixel(x as u32, y as u32, Rgb([196, 34, 38]));
            }
        }
    }
    img
}

fn tint(gray: &GrayImage, rgb: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(gray.width(), gray.height(), |x, y| {
        let v = u16::from(gray.get_pixel(x, y)[0]);
        Rgb(rgb.map(|c| (v * u16::from(c) / 255) as u8))
    })
}

fn jpeg_gray(img: &GrayImage, q: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, q).encode_image(img).expect("encode grayscale JPEG");
    buf
}

fn jpeg_rgb(img: &RgbImage, q: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, q).encode_image(img).expect("encode colour JPEG");
    buf
}

fn png_gray(img: &GrayImage) -> Vec<u8> {
    let mut buf = Vec::new();
    PngEncoder::new(&mut buf)
        .write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8)
        .expect("encode PNG");
    buf
}

fn png_rgb(img: &RgbImage) -> Vec<u8> {
    let mut buf = Vec::new();
    PngEncoder::new(&mut buf)
        .write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::Rgb8)
        .expect("encode PNG");
    buf
}

fn tiff_gray(img: &GrayImage) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    TiffEncoder::new(&mut buf)
        .write_image(img.as_raw(), img.width(), img.height(), ExtendedColorType::L8)
        .expect("encode TIFF");
    buf.into_inner()
}

/// A one-page A4 PDF: typed lines, form boxes, optionally a scanned image (DCTDecode).
fn pdf(lines: &[String], sig: u64, scan: Option<(Vec<u8>, u32, u32)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
    });
    let mut ops = Vec::new();
    let mut y = 800;
    for (i, line) in lines.iter().enumerate() {
        let size = if i == 0 { 16 } else { 11 };
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), size.into()]));
        ops.push(Operation::new("Td", vec![50.into(), y.into()]));
        ops.push(Operation::new("Tj", vec![Object::string_literal(line.as_str())]));
        ops.push(Operation::new("ET", vec![]));
        y -= if i == 0 { 28 } else { 18 };
    }
    ops.push(Operation::new("w", vec![0.8.into()]));
    let boxes_top = y - 20;
    for k in 0..6i64 {
        let width = 180 + ((sig >> (k * 5)) & 31) as i64 * 9;
        ops.push(Operation::new("re", vec![50.into(), (boxes_top - k * 34).into(), width.into(), 26.into()]));
        ops.push(Operation::new("S", vec![]));
    }
    let mut resources = dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    };
    if let Some((jpeg, w, h)) = scan {
        let img_id = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => i64::from(w),
                "Height" => i64::from(h),
                "ColorSpace" => "DeviceGray",
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            jpeg,
        ));
        resources.set("XObject", dictionary! { "Im1" => img_id });
        let (dw, dh) = (i64::from(w) * 3 / 2, i64::from(h) * 3 / 2);
        ops.push(Operation::new("q", vec![]));
        ops.push(Operation::new("cm", vec![dw.into(), 0.into(), 0.into(), dh.into(), 60.into(), 40.into()]));
        ops.push(Operation::new("Do", vec!["Im1".into()]));
        ops.push(Operation::new("Q", vec![]));
    }
    let content = Content { operations: ops }.encode().expect("encode PDF content");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = doc.add_object(dictionary! {
        "Producer" => Object::string_literal("certbatch gen_samples (scanner simulation)"),
        "CreationDate" => Object::string_literal("D:20261118090000+09'00'"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut buf = Vec::new();
    doc.save_to(&mut buf).expect("write PDF");
    buf
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fmt {
    Jpeg,
    Png,
    Tiff,
    Pdf,
    PdfScan,
}

#[derive(Clone, Copy, Debug)]
struct Region {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

impl Region {
    fn text(&self) -> String {
        format!("{},{},{},{}", self.x, self.y, self.w, self.h)
    }
}

fn pick_fmt(rng: &mut Rng, doc_type: &str) -> Fmt {
    match doc_type {
        "application_form" | "affiliation_certificate" | "delegation_certificate" => Fmt::Pdf,
        "corporate_registry" => {
            if rng.chance(50) {
                Fmt::PdfScan
            } else {
                Fmt::Pdf
            }
        }
        "income_tax_return" => {
            if rng.chance(50) {
                Fmt::Pdf
            } else {
                Fmt::Png
            }
        }
        "seal_certificate" | "proxy_seal_certificate" | "transfer_slip" => {
            if rng.chance(80) {
                Fmt::Jpeg
            } else {
                Fmt::Png
            }
        }
        "residence_certificate" => {
            if rng.chance(60) {
                Fmt::Png
            } else {
                Fmt::Jpeg
            }
        }
        "family_register" => Fmt::Tiff,
        "corporate_seal_certificate" => {
            if rng.chance(30) {
                Fmt::Tiff
            } else {
                Fmt::Jpeg
            }
        }
        _ => Fmt::Png,
    }
}

fn ext(rng: &mut Rng, fmt: Fmt) -> &'static str {
    match fmt {
        Fmt::Jpeg => {
            if rng.chance(20) {
                "jpeg"
            } else {
                "jpg"
            }
        }
        Fmt::Png => "png",
        Fmt::Tiff => {
            if rng.chance(50) {
                "tif"
            } else {
                "tiff"
            }
        }
        Fmt::Pdf | Fmt::PdfScan => "pdf",
    }
}

fn title(doc_type: &str) -> String {
    doc_type.replace('_', " ").to_ascii_uppercase()
}

/// The bytes of one scan.
fn render_scan(
    rng: &mut Rng,
    fmt: Fmt,
    doc_type: &str,
    lines: &[String],
    sig: u64,
    my_number: Option<Region>,
) -> Vec<u8> {
    let (w, h) = match doc_type {
        "transfer_slip" => (220, 130),
        "family_register" => (120, 150),
        "corporate_seal_certificate" if fmt == Fmt::Tiff => (120, 160),
        _ if my_number.is_some() => (480, 340),
        _ => (170 + rng.below(40) as u32, 220 + rng.below(50) as u32),
    };
    match fmt {
        Fmt::Pdf => pdf(lines, sig, None),
        Fmt::PdfScan => {
            let img = page(rng, 180, 250, &lines[..2.min(lines.len())], sig);
            pdf(lines, sig, Some((jpeg_gray(&img, 45), 180, 250)))
        }
        _ => {
            let mut img = page(rng, w, h, lines, sig);
            if let Some(r) = my_number {
                fill(&mut img, r.x.saturating_sub(104), r.y, 100, r.h, 247);
                draw_text(&mut img, r.x.saturating_sub(100), r.y + 6, 2, "KOJIN BANGO", 30);
                let digits: String = (0..12).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
                fill(&mut img, r.x, r.y, r.w, r.h, 247);
                outline(&mut img, r.x, r.y, r.w, r.h, 120);
                draw_text(&mut img, r.x + 4, r.y + 4, 3, &digits, 15);
            }
            let seal = matches!(doc_type, "seal_certificate" | "proxy_seal_certificate" | "corporate_seal_certificate");
            match fmt {
                Fmt::Jpeg if seal => jpeg_rgb(&seal_overlay(&img, rng), 50),
                Fmt::Jpeg if doc_type == "transfer_slip" => jpeg_rgb(&tint(&img, [225, 240, 255]), 50),
                Fmt::Jpeg => jpeg_gray(&img, 50),
                Fmt::Png if seal => png_rgb(&seal_overlay(&img, rng)),
                Fmt::Png => png_gray(&img),
                _ => tiff_gray(&img),
            }
        }
    }
}

/// A deterministic key source for the sample CSRs: splitmix64 seeded from the
/// application id. Not a cryptographic generator; these keys only make sample files.
struct SampleKeyRng(u64);

impl rand_core::TryRng for SampleKeyRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for SampleKeyRng {}

/// The deliberate CSR problems, by application id.
const CSR_PROBLEMS: &[(&str, &str)] = &[
    ("PW-20261119-043", "weak_key"),
    ("PW-20261119-045", "csr_name_mismatch"),
    ("PW-20261120-037", "invalid_csr"),
    ("PW-20261120-040", "invalid_domain"),
];

/// A real PKCS#10 request for `domains` (made with certbatch's own CSR builder), or one
/// with the problem `CSR_PROBLEMS` gives this id.
fn sample_csr(id: &str, domains: &[String]) -> Vec<u8> {
    let problem = CSR_PROBLEMS.iter().find(|(i, _)| *i == id).map(|(_, p)| *p);
    let seed = id.bytes().fold(0xC5_u64, |a, b| a.wrapping_mul(131).wrapping_add(u64::from(b)));
    let bits = if problem == Some("weak_key") { 1024 } else { 2048 };
    let key = rsa::RsaPrivateKey::new(&mut SampleKeyRng(seed), bits).expect("a sample key");
    let mut names: Vec<&str> = domains.iter().map(String::as_str).collect();
    if problem == Some("csr_name_mismatch") {
        names.truncate(1);
        names.push("mail.example-other.co.jp");
    }
    let pem = certbatch::csr::build_csr_pem_with_key(&key, names[0], &names).expect("a sample CSR");
    let mut bytes = pem.into_bytes();
    if problem == Some("invalid_csr") {
        // Change one base64 character inside the signature: the request still parses
        // but its self-signature no longer verifies.
        let end = bytes.windows(5).rposition(|w| w == b"-----").expect("a PEM footer") - 30;
        bytes[end] = if bytes[end] == b'A' { b'B' } else { b'A' };
    }
    bytes
}

// ---------------------------------------------------------------------------------------
// Scenario: what each application looks like and which deliberate problem it carries
// ---------------------------------------------------------------------------------------

type Ymd = (i32, u32, u32);

#[derive(Clone, Copy, PartialEq, Debug)]
enum P {
    None,
    Missing(&'static str),
    /// Missing on day 1, the document arrives on day 2.
    MissingCompleted(&'static str),
    Stale(&'static str, Ymd),
    /// Valid edge case: issued exactly 3 months before arrival.
    BoundaryFresh(&'static str, Ymd),
    Future(&'static str, Ymd),
    FormExpired(Ymd),
    /// Valid edge case: form dated exactly 1 year before arrival.
    FormBoundaryOk(Ymd),
    ScanMissing(&'static str),
    /// Cut in the middle of the entropy-coded data (no EOI marker).
    TruncatedMidData(&'static str),
    /// Cut inside the JPEG header, before any image data.
    TruncatedHeader(&'static str),
    RomajiBadFamily(&'static str),
    RomajiBadGiven(&'static str),
    NonJisName,
    NonJisOrgRep,
    BadCorp,
    BadEmail,
    BadDate(&'static str, &'static str),
    UnknownProduct,
    UnknownType,
    /// Valid: My Number shown, with a mask region.
    MyNumberMasked,
    MyNumberNoMask,
    Duplicate(&'static str),
    /// Staff stopped typing after the name: the rest of the row is empty.
    HalfFilled,
}

#[derive(Clone, Debug)]
struct Spec {
    product: &'static str,
    cert_type: &'static str,
    p: P,
    family: Option<&'static str>,
    given: Option<&'static str>,
    term: Option<&'static str>,
    proxy: bool,
    former: bool,
    hiragana: bool,
    given_first: bool,
    birth: Option<(NaiveDate, Form)>,
    /// An address longer than the envelope window's line (a building and room number).
    long_address: bool,
    /// The row typed twice, identically (valid: read once).
    retyped: bool,
}

const GD: &str = "gid-download";
const GM: &str = "gid-media";
const AO: &str = "aosign-g2";
const CE: &str = "cecsign";
const PW: &str = "passport-web";

fn a(product: &'static str, cert_type: &'static str) -> Spec {
    Spec {
        product,
        cert_type,
        p: P::None,
        family: None,
        given: None,
        term: None,
        proxy: false,
        former: false,
        hiragana: false,
        given_first: false,
        birth: None,
        long_address: false,
        retyped: false,
    }
}

impl Spec {
    fn p(mut self, p: P) -> Self {
        self.p = p;
        self
    }
    fn name(mut self, family: &'static str, given: &'static str) -> Self {
        self.family = Some(family);
        self.given = Some(given);
        self
    }
    fn term(mut self, term: &'static str) -> Self {
        self.term = Some(term);
        self
    }
    fn proxy(mut self) -> Self {
        self.proxy = true;
        self
    }
    fn former(mut self) -> Self {
        self.former = true;
        self
    }
    fn hira(mut self) -> Self {
        self.hiragana = true;
        self
    }
    fn gfirst(mut self) -> Self {
        self.given_first = true;
        self
    }
    fn long_address(mut self) -> Self {
        self.long_address = true;
        self
    }
    fn retyped(mut self) -> Self {
        self.retyped = true;
        self
    }
    fn birth(mut self, date: NaiveDate, form: Form) -> Self {
        self.birth = Some((date, form));
        self
    }
    fn is_gid(&self) -> bool {
        self.product.starts_with("gid-")
    }
    fn needs_company(&self) -> bool {
        !self.is_gid() || self.cert_type.starts_with("org_")
    }
    fn is_representative(&self) -> bool {
        matches!(self.cert_type, "org_representative" | "representative")
    }
}

struct Env {
    apps: Vec<Spec>,
}

fn env(apps: Vec<Spec>) -> Env {
    Env { apps }
}

fn day1_plan() -> Vec<Env> {
    use P::*;
    vec![
        env(vec![a(GD, "basic").name("佐藤", "花子").term("2y")]),
        env(vec![a(GD, "basic").name("佐藤", "太郎").p(RomajiBadFamily("SATOU"))]),
        env(vec![a(GD, "individual").name("大野", "健一")]),
        env(vec![a(GD, "individual").p(MissingCompleted("seal_certificate"))]),
        env(vec![a(GD, "individual").proxy()]),
        env(vec![a(GD, "sole_proprietor").former()]),
        env(vec![a(GD, "sole_proprietor").p(Stale("seal_certificate", (2026, 8, 10)))]),
        env(vec![a(GD, "gyoseishoshi").name("本間", "裕子")]),
        env(vec![a(GD, "gyoseishoshi").p(BoundaryFresh("residence_certificate", (2026, 8, 19)))]),
        env(vec![
            a(GD, "org_representative"),
            a(GD, "org_employee").name("服部", "拓也"),
            a(GD, "org_employee_delegation"),
        ]),
        env(vec![
            a(GD, "org_employee").p(Missing("affiliation_certificate")),
            a(GD, "org_employee").name("越中", "沙織"),
        ]),
        env(vec![a(GD, "basic").p(TruncatedMidData("seal_certificate"))]),
        env(vec![a(GD, "individual").p(MyNumberMasked)]),
        env(vec![a(GD, "premium").p(UnknownType)]),
        env(vec![a(GM, "basic").name("鈴木", "京子").hira()]),
        env(vec![a(GM, "individual").p(MissingCompleted("transfer_slip"))]),
        env(vec![a(GM, "sole_proprietor")]),
        env(vec![a(GM, "basic").p(FormExpired((2025, 10, 30)))]),
        env(vec![a(GM, "individual").p(FormBoundaryOk((2025, 11, 19)))]),
        env(vec![
            a(GM, "org_representative"),
            a(GM, "org_employee_delegation"),
            a(GM, "org_employee").name("中村", "純一").gfirst(),
        ]),
        env(vec![a(GM, "basic").name("髙橋", "一郎").p(NonJisName)]),
        env(vec![a(GM, "basic").p(Future("residence_certificate", (2026, 11, 26)))]),
        env(vec![a("gid-cloud", "basic").p(UnknownProduct)]),
        env(vec![
            a(AO, "representative"),
            a(AO, "employee"),
            a(AO, "employee").name("佐々木", "翔太"),
            a(AO, "employee").name("服部", "誠").p(RomajiBadFamily("HATTRI")),
        ]),
        env(vec![a(AO, "employee"), a(AO, "employee").p(MyNumberNoMask), a(AO, "employee").proxy()]),
        env(vec![a(AO, "employee").p(BadEmail)]),
        env(vec![
            a(CE, "employee"),
            a(CE, "employee").p(BadDate("applied_on", "令和8年13月1日")),
            a(CE, "employee").former(),
        ]),
        env(vec![a(CE, "employee"), a(CE, "employee").p(ScanMissing("application_form"))]),
        env(vec![a(PW, "server")]),
        env(vec![a(PW, "server")]),
        env(vec![a(PW, "server").p(BadCorp)]),
        env(vec![a(PW, "server")]),
    ]
}

fn day2_plan() -> Vec<Env> {
    use P::*;
    vec![
        env(vec![a(GD, "basic").name("羽生", "悠斗")]),
        env(vec![a(GD, "basic").name("本間", "健太").p(RomajiBadFamily("HONMA"))]),
        env(vec![a(GD, "individual").birth(ymd(1989, 5, 10), Form::Era)]),
        env(vec![a(GD, "individual").p(Stale("seal_certificate", (2026, 8, 19)))]),
        env(vec![a(GD, "individual").p(BoundaryFresh("residence_certificate", (2026, 8, 20)))]),
        env(vec![a(GD, "sole_proprietor").proxy()]),
        env(vec![a(GD, "gyoseishoshi").name("難波", "修")]),
        env(vec![
            a(GD, "org_representative"),
            a(GD, "org_employee"),
            a(GD, "org_employee_delegation").name("大林", "順平"),
        ]),
        env(vec![a(GD, "basic").p(BadDate("birth_date", "平成2年2月30日"))]),
        env(vec![a(GD, "individual").p(Future("seal_certificate", (2026, 11, 27)))]),
        env(vec![a(GD, "basic").name("佐藤", "花子").term("3y").p(Duplicate("GD-20261119-001"))]),
        env(vec![a(GD, "individual").p(MyNumberMasked)]),
        env(vec![a(GM, "basic").name("三瓶", "恵美")]),
        env(vec![a(GM, "individual").p(FormExpired((2025, 11, 19)))]),
        env(vec![a(GM, "sole_proprietor")]),
        env(vec![a(GM, "individual").p(ScanMissing("seal_certificate"))]),
        env(vec![
            a(GM, "org_representative"),
            a(GM, "org_employee").name("吉川", "隆"),
            a(GM, "org_employee_delegation"),
        ]),
        env(vec![a(GM, "basic").p(TruncatedHeader("seal_certificate"))]),
        env(vec![a(GM, "individual").name("鈴木", "京子").p(RomajiBadGiven("KYOUKO"))]),
        env(vec![a(GM, "org_employee").p(NonJisOrgRep)]),
        env(vec![
            a(AO, "employee"),
            a(AO, "employee"),
            a(AO, "employee").p(BadCorp),
            a(AO, "employee").name("新田", "千尋"),
        ]),
        env(vec![a(AO, "representative"), a(AO, "org_employee").p(UnknownType)]),
        env(vec![a(AO, "employee").p(MyNumberNoMask)]),
        env(vec![a("aosign-g3", "employee").p(UnknownProduct)]),
        env(vec![a(AO, "employee").proxy()]),
        env(vec![a(CE, "employee"), a(CE, "employee").p(Missing("residence_certificate")), a(CE, "employee")]),
        env(vec![a(CE, "employee").p(BadEmail)]),
        env(vec![a(PW, "server")]),
        env(vec![a(PW, "server")]),
        env(vec![a(PW, "server").p(Missing("corporate_registry"))]),
        env(vec![a(PW, "server")]),
        env(vec![a(GD, "individual").former()]),
        env(vec![a(GD, "basic").hira()]),
    ]
}

fn prefix(product: &str) -> &'static str {
    match product {
        GD => "GD",
        GM => "GM",
        AO => "AO",
        CE => "CE",
        PW => "PW",
        "gid-cloud" => "GC",
        "aosign-g3" => "AG",
        _ => "XX",
    }
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

struct Person {
    family: Name,
    given: Name,
    birth: NaiveDate,
    postal: String,
    address: String,
    phone: String,
    wide_space: bool,
}

impl Person {
    fn kanji(&self) -> String {
        let sep = if self.wide_space { "　" } else { " " };
        format!("{}{sep}{}", self.family.kanji, self.given.kanji)
    }
    fn kana(&self) -> String {
        let sep = if self.wide_space { "　" } else { " " };
        format!("{}{sep}{}", self.family.kana, self.given.kana)
    }
    fn romaji(&self) -> String {
        format!("{} {}", self.family.romaji, self.given.romaji)
    }
}

struct Company {
    name: String,
    kana: String,
    slug: String,
    number: String,
    rep: String,
    address: String,
}

struct Issue {
    code: String,
    id: String,
    detail: String,
}

struct Pending {
    app_id: String,
    doc_type: &'static str,
    label: String,
}

struct Pool {
    files: BTreeMap<&'static str, Vec<(&'static str, Vec<u8>)>>,
    turn: usize,
}

struct Batch {
    date: NaiveDate,
    id_stamp: String,
    env_stamp: String,
    xlsx: bool,
    apps: Vec<Row>,
    docs: Vec<Row>,
    files: Vec<(String, Vec<u8>)>,
    issues: Vec<Issue>,
    edges: Vec<Issue>,
    remarks: BTreeMap<String, String>,
    seq: usize,
    id_width: usize,
    env_seq: usize,
    pool: Option<Pool>,
}

impl Batch {
    fn new(date: NaiveDate, id_stamp: &str, env_stamp: &str, xlsx: bool) -> Self {
        Batch {
            date,
            id_stamp: id_stamp.to_string(),
            env_stamp: env_stamp.to_string(),
            xlsx,
            apps: Vec::new(),
            docs: Vec::new(),
            files: Vec::new(),
            issues: Vec::new(),
            edges: Vec::new(),
            remarks: BTreeMap::new(),
            seq: 0,
            id_width: if id_stamp == "BM" { 6 } else { 3 },
            env_seq: 0,
            pool: None,
        }
    }
    fn issue(&mut self, code: impl Into<String>, id: &str, detail: impl Into<String>) {
        self.issues.push(Issue { code: code.into(), id: id.to_string(), detail: detail.into() });
    }
    fn edge(&mut self, code: impl Into<String>, id: &str, detail: impl Into<String>) {
        self.edges.push(Issue { code: code.into(), id: id.to_string(), detail: detail.into() });
    }
    /// Scan folder of an envelope: day 1 flat, day 2 in two boxes, large flat.
    fn scan_dir(&self, env_id: &str) -> String {
        if self.id_stamp == "20261120" {
            format!("scans/box{}/{env_id}", 1 + self.env_seq % 2)
        } else {
            format!("scans/{env_id}")
        }
    }
    /// How the `file` column names a scan: mostly `scans/...`; on day 2 every sixth
    /// envelope writes the path relative to `scans/`.
    fn listed(&self, path: &str) -> String {
        if self.id_stamp == "20261120" && self.env_seq.is_multiple_of(6) {
            path.trim_start_matches("scans/").to_string()
        } else {
            path.to_string()
        }
    }
}

struct Gen {
    rng: Rng,
    families: Vec<usize>,
    givens: Vec<usize>,
    fam_pos: usize,
    given_pos: usize,
    company_pos: usize,
    builder_pos: usize,
    bad_emails: usize,
}

fn find_name(list: &[Name], kanji: &str) -> Option<Name> {
    list.iter().copied().find(|x| x.kanji == kanji)
}

impl Gen {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let families = rng.shuffled(FAMILIES.len());
        let givens = rng.shuffled(GIVENS.len());
        Gen { rng, families, givens, fam_pos: 0, given_pos: 0, company_pos: 0, builder_pos: 0, bad_emails: 0 }
    }

    fn next_family(&mut self) -> Name {
        let n = FAMILIES[self.families[self.fam_pos % FAMILIES.len()]];
        self.fam_pos += 1;
        n
    }

    fn next_given(&mut self) -> Name {
        let n = GIVENS[self.givens[self.given_pos % GIVENS.len()]];
        self.given_pos += 1;
        n
    }

    fn date_form(&mut self, xlsx: bool, cell_share: u64) -> Form {
        if xlsx && self.rng.chance(cell_share) {
            return Form::Cell;
        }
        *self.rng.pick(&[Form::Iso, Form::Iso, Form::Slash, Form::Kanji, Form::Era, Form::EraShort])
    }

    fn postal(&mut self, place: &Place) -> String {
        let tail = self.rng.range(0, 9999);
        if self.rng.chance(15) {
            format!("{}{tail:04}", place.zip3)
        } else {
            format!("{}-{tail:04}", place.zip3)
        }
    }

    fn street(&mut self, place: &Place, home: bool) -> String {
        let town = *self.rng.pick(place.towns);
        let (x, y, z) = (self.rng.range(1, 5), self.rng.range(1, 28), self.rng.range(1, 20));
        let mut s = if self.rng.chance(50) {
            format!("{}{}{town}{x}丁目{y}番{z}号", place.pref, place.city)
        } else {
            format!("{}{}{town}{x}-{y}-{z}", place.pref, place.city)
        };
        if home && self.rng.chance(40) {
            let b = *self.rng.pick(&BUILDINGS);
            s.push_str(&format!(" {b}{}", self.rng.range(1, 9) * 100 + self.rng.range(1, 12)));
        } else if !home && self.rng.chance(50) {
            s.push_str(&format!(
                " {}ビル{}階",
                self.rng.pick(&["第一", "第二", "中央", "駅前"]),
                self.rng.range(2, 12)
            ));
        }
        s
    }

    fn phone(&mut self, place: &Place) -> String {
        if self.rng.chance(40) {
            let head = *self.rng.pick(&["090", "080", "070"]);
            format!("{head}-{:04}-{:04}", self.rng.range(1000, 9999), self.rng.range(0, 9999))
        } else if place.area.len() == 2 {
            format!("{}-{:04}-{:04}", place.area, self.rng.range(3000, 6999), self.rng.range(0, 9999))
        } else {
            format!("{}-{:03}-{:04}", place.area, self.rng.range(200, 899), self.rng.range(0, 9999))
        }
    }

    fn person(&mut self, spec: &Spec) -> Person {
        let family = match spec.family {
            Some(k) => find_name(&FAMILIES, k)
                .or_else(|| find_name(&NON_JIS_FAMILIES, k))
                .expect("forced family name is in a table"),
            None => self.next_family(),
        };
        let given = match spec.given {
            Some(k) => find_name(&GIVENS, k).expect("forced given name is in the table"),
            None => self.next_given(),
        };
        let place = &PLACES[self.rng.below(PLACES.len())];
        let birth = ymd(self.rng.range(1956, 2002) as i32, self.rng.range(1, 12) as u32, self.rng.range(1, 28) as u32);
        let postal = self.postal(place);
        let address = self.street(place, true);
        let phone = self.phone(place);
        let wide_space = self.rng.chance(70);
        Person { family, given, birth, postal, address, phone, wide_space }
    }

    fn company(&mut self, builder: bool) -> Company {
        let (name, kana, slug) = if builder {
            self.builder_pos += 1;
            BUILDERS[(self.builder_pos - 1) % BUILDERS.len()]
        } else {
            self.company_pos += 1;
            COMPANIES[(self.company_pos - 1) % COMPANIES.len()]
        };
        let place = &PLACES[self.rng.below(PLACES.len())];
        let address = self.street(place, false);
        let rep_f = self.next_family();
        let rep_g = self.next_given();
        Company {
            name: name.to_string(),
            kana: kana.to_string(),
            slug: slug.to_string(),
            // The same company always has the same number (large batches reuse names).
            number: corp_number(&mut Rng(fnv(name))),
            rep: format!("{} {}", rep_f.kanji, rep_g.kanji),
            address,
        }
    }

    fn email(&mut self, person: &Person, company: Option<&Company>) -> String {
        let f = person.family.romaji.to_ascii_lowercase();
        let g = person.given.romaji.to_ascii_lowercase();
        let local = match self.rng.below(3) {
            0 => format!("{g}.{f}"),
            1 => format!("{f}.{g}{}", self.rng.range(1, 99)),
            _ => format!("{}.{f}", &g[..1]),
        };
        match company {
            Some(c) => format!("{local}@{}.co.jp", c.slug),
            None => format!("{local}@{}", self.rng.pick(&MAIL_DOMAINS)),
        }
    }

    fn term(&mut self, spec: &Spec) -> String {
        if let Some(t) = spec.term {
            return t.to_string();
        }
        match spec.product {
            AO | "aosign-g3" => self.rng.pick(&["1y+30d", "2y+30d", "3y+30d", "4y+30d", "5y"]).to_string(),
            CE => if self.rng.chance(80) { "2y" } else { "2年" }.to_string(),
            PW => "1y".to_string(),
            _ => {
                let years = if self.rng.chance(50) { 2 } else { 3 };
                match self.rng.below(10) {
                    0..=6 => format!("{years}y"),
                    7 | 8 => format!("{years}年"),
                    _ => format!("{years}"),
                }
            }
        }
    }

    /// The application-level documents a spec needs (company documents come per envelope).
    fn required(&mut self, spec: &Spec) -> Vec<&'static str> {
        let mut docs = vec!["application_form"];
        if spec.is_gid() {
            docs.extend(["seal_certificate", "residence_certificate", "transfer_slip"]);
            match spec.cert_type {
                "sole_proprietor" => docs.push("income_tax_return"),
                "org_employee" => docs.push("affiliation_certificate"),
                "org_employee_delegation" => docs.push("delegation_certificate"),
                _ => {}
            }
        } else if spec.product != PW {
            // Seeds 002 and 003: the user's residence and seal certificates.
            docs.extend(["residence_certificate", "seal_certificate"]);
        }
        if spec.former {
            docs.push("family_register");
        }
        if spec.proxy {
            docs.push("proxy_seal_certificate");
        }
        docs
    }

    fn envelope(&mut self, b: &mut Batch, e: &Env, carry: &mut Vec<Pending>) {
        b.env_seq += 1;
        let env_id = format!("ENV-{}-{:0w$}", b.env_stamp, b.env_seq, w = b.id_width - 1);
        let dir = b.scan_dir(&env_id);
        let needs_company = e.apps.iter().any(Spec::needs_company);
        let builder = e.apps.iter().any(|s| s.product == CE);
        let mut company = if needs_company { Some(self.company(builder)) } else { None };
        let persons: Vec<Person> = e.apps.iter().map(|s| self.person(s)).collect();
        if let Some(c) = company.as_mut() {
            if let Some(i) = e.apps.iter().position(Spec::is_representative) {
                c.rep = format!("{} {}", persons[i].family.kanji, persons[i].given.kanji);
            }
        }
        for (spec, person) in e.apps.iter().zip(&persons) {
            self.application(b, &env_id, &dir, spec, person, company.as_ref(), carry);
        }
        if let Some(c) = company {
            let mut company_docs = vec!["corporate_registry"];
            if e.apps.iter().any(|s| s.product != PW) {
                company_docs.push("corporate_seal_certificate");
            }
            for doc in company_docs {
                if let Some(s) = e.apps.iter().position(|s| s.p == P::Missing(doc)) {
                    let first = b.apps.len() - e.apps.len();
                    let id = b.apps[first + s].get("application_id").map(Val::text).unwrap_or_default();
                    b.issue(format!("missing_document:{doc}"), &id, format!("company document of {env_id} not sent"));
                    continue;
                }
                let issued = days_before(b.date, self.rng.range(14, 56));
                let path = format!("{dir}/company/{doc}");
                let lines = vec![
                    title(doc),
                    c.slug.to_ascii_uppercase(),
                    format!("CORP NO {}", c.number),
                    format!("ISSUED {}", iso(issued)),
                ];
                self.document(
                    b,
                    DocRef { app_id: "", env_id: &env_id },
                    doc,
                    issued,
                    &path,
                    &lines,
                    ScanOpt::default(),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn application(
        &mut self,
        b: &mut Batch,
        env_id: &str,
        dir: &str,
        spec: &Spec,
        person: &Person,
        company: Option<&Company>,
        carry: &mut Vec<Pending>,
    ) {
        let id = match spec.p {
            P::Duplicate(id) => id.to_string(),
            _ => {
                b.seq += 1;
                format!("{}-{}-{:0w$}", prefix(spec.product), b.id_stamp, b.seq, w = b.id_width)
            }
        };
        let received = b.date;
        let applied = match spec.p {
            P::FormExpired(t) | P::FormBoundaryOk(t) => ymd3(t),
            _ => days_before(received, self.rng.range(3, 20)),
        };
        let mut row = Row::new();
        put(&mut row, "application_id", &id);
        put(&mut row, "envelope_id", env_id);
        put(&mut row, "product", spec.product);
        put(&mut row, "cert_type", spec.cert_type);
        let term = self.term(spec);
        put(&mut row, "term", &term);
        let applied_form = self.date_form(b.xlsx, 60);
        row.insert("applied_on", Val::Date(applied, applied_form));
        let received_form = if self.rng.chance(80) { Form::Cell } else { self.date_form(false, 0) };
        row.insert("received_on", Val::Date(received, if b.xlsx { received_form } else { self.date_form(false, 0) }));
        put(&mut row, "name_kanji", person.kanji());
        let kana = if spec.hiragana { to_hiragana(&person.kana()) } else { person.kana() };
        put(&mut row, "name_kana", &kana);
        let mut fam_r = person.family.romaji.to_string();
        let mut giv_r = person.given.romaji.to_string();
        if let P::RomajiBadFamily(bad) = spec.p {
            fam_r = bad.to_string();
        }
        if let P::RomajiBadGiven(bad) = spec.p {
            giv_r = bad.to_string();
        }
        let romaji = if spec.given_first { format!("{giv_r} {fam_r}") } else { format!("{fam_r} {giv_r}") };
        put(&mut row, "name_romaji", &romaji);
        if spec.former {
            let former = self.next_family();
            put(&mut row, "former_name", former.kanji);
        }
        let birth = match spec.birth {
            Some((d, f)) => Val::Date(d, f),
            None => {
                let f = self.date_form(b.xlsx, 35);
                Val::Date(person.birth, if f == Form::EraShort && b.xlsx { Form::Era } else { f })
            }
        };
        row.insert("birth_date", birth);
        put(&mut row, "postal_code", &person.postal);
        let address = if spec.long_address {
            let street = person.address.split(' ').next().unwrap_or_default();
            format!("{street}　{LONG_BUILDING}")
        } else {
            person.address.clone()
        };
        put(&mut row, "address", &address);
        let mut email = self.email(person, company.filter(|_| !spec.is_gid() || spec.cert_type.starts_with("org_")));
        if spec.p == P::BadEmail {
            self.bad_emails += 1;
            email = if !self.bad_emails.is_multiple_of(2) {
                email.replace('@', ".")
            } else {
                email.replace(".co.jp", "..co.jp")
            };
        }
        put(&mut row, "email", &email);
        if self.rng.chance(85) {
            put(&mut row, "phone", &person.phone);
        }
        if let Some(c) = company {
            let number = if spec.p == P::BadCorp { corp_typo(&c.number) } else { c.number.clone() };
            put(&mut row, "corporate_number", &number);
            put(&mut row, "org_name", &c.name);
            if self.rng.chance(70) {
                put(&mut row, "org_kana", &c.kana);
            }
            let rep = if spec.p == P::NonJisOrgRep { "山﨑 昭".to_string() } else { c.rep.clone() };
            put(&mut row, "org_representative", &rep);
            put(&mut row, "org_address", &c.address);
            if spec.p == P::BadCorp {
                b.issue(
                    "invalid_corporate_number",
                    &id,
                    format!("{number} (one base digit changed; the company's number is {})", c.number),
                );
            }
            if spec.p == P::NonJisOrgRep {
                b.issue("non_jis_character:org_representative", &id, format!("{rep} (﨑 U+FA11)"));
            }
        } else if spec.cert_type == "sole_proprietor" || (spec.cert_type == "gyoseishoshi" && self.rng.chance(60)) {
            let (suffix, suffix_kana) = if spec.cert_type == "gyoseishoshi" {
                ("行政書士事務所", "ギョウセイショシジムショ")
            } else {
                *self.rng.pick(&TRADE_SUFFIXES)
            };
            put(&mut row, "org_name", format!("{}{suffix}", person.family.kanji));
            put(&mut row, "org_kana", format!("{}{suffix_kana}", person.family.kana));
        }
        if spec.cert_type.ends_with("_delegation") {
            put(&mut row, "delegation", *self.rng.pick(&DELEGATIONS));
        }
        if spec.proxy {
            let pf = self.next_family();
            let pg = self.next_given();
            let place = &PLACES[self.rng.below(PLACES.len())];
            put(&mut row, "proxy_name", format!("{} {}", pf.kanji, pg.kanji));
            let pc = self.postal(place);
            put(&mut row, "proxy_postal_code", pc);
            let pa = self.street(place, true);
            put(&mut row, "proxy_address", pa);
        }
        if spec.is_gid() && self.rng.chance(25) {
            let payer = match company {
                Some(c) if self.rng.chance(60) => {
                    if c.name.starts_with("株式会社") {
                        format!("ｶ){}", bank_kana(&c.kana))
                    } else {
                        bank_kana(&c.kana)
                    }
                }
                _ => {
                    let g = self.next_given();
                    format!("{} {}", bank_kana(person.family.kana), bank_kana(g.kana))
                }
            };
            put(&mut row, "payer_name", payer);
        }
        if spec.product == AO && self.rng.chance(40) {
            let readers = self.rng.range(1, 2) as f64;
            row.insert("card_readers", if b.xlsx { Val::Num(readers) } else { Val::Text(format!("{readers}")) });
        }
        if spec.product == PW {
            let c = company.expect("passport-web applications belong to a company");
            let mut domains = vec![format!("www.{}.co.jp", c.slug)];
            if self.rng.chance(50) {
                domains.push(format!("{}.co.jp", c.slug));
            }
            if let Some((_, problem)) = CSR_PROBLEMS.iter().find(|(i, _)| *i == id) {
                let detail = match *problem {
                    "weak_key" => "RSA 1024-bit key",
                    "csr_name_mismatch" => "the CSR names mail.example-other.co.jp instead of the second domain",
                    "invalid_csr" => "one base64 character of the signature changed",
                    _ => {
                        domains.push("portal.intranet.local".into());
                        "portal.intranet.local is an internal name"
                    }
                };
                let code = if *problem == "invalid_domain" {
                    "invalid_domain:portal.intranet.local".to_string()
                } else {
                    problem.to_string()
                };
                b.issue(code, &id, detail);
            }
            put(&mut row, "domains", domains.join(" "));
            let csr = format!("{dir}/{id}/request.csr");
            put(&mut row, "csr_file", &csr);
            b.files.push((csr, sample_csr(&id, &domains)));
        }
        if let P::BadDate(col, raw) = spec.p {
            row.insert(col, Val::Text(raw.to_string()));
            b.issue(format!("invalid_field:{col}"), &id, raw);
        }
        if b.xlsx && self.rng.chance(12) {
            b.remarks.insert(id.clone(), self.rng.pick(&REMARKS).to_string());
        }
        if spec.p == P::HalfFilled {
            row.retain(|k, _| HALF_FILLED_KEPT.contains(k));
            for col in HALF_FILLED_EMPTY {
                b.issue(format!("invalid_field:{col}"), &id, "left empty (the rest of the row was never typed)");
            }
        }
        if spec.retyped {
            b.apps.push(row.clone());
            b.edge("valid: the same row typed twice (read once, noted)", &id, "");
        }
        b.apps.push(row);

        // Problems and edge cases carried by the row itself.
        match spec.p {
            P::RomajiBadFamily(_) | P::RomajiBadGiven(_) => {
                b.issue("romaji_mismatch", &id, format!("{romaji} for {kana} (passport Hepburn: {})", person.romaji()));
            }
            P::NonJisName => b.issue("non_jis_character:name_kanji", &id, person.kanji()),
            P::BadEmail => b.issue("invalid_field:email", &id, email.clone()),
            P::UnknownProduct => b.issue("unknown_value:product", &id, spec.product),
            P::UnknownType => {
                b.issue("unknown_value:cert_type", &id, format!("{} for {}", spec.cert_type, spec.product))
            }
            P::Duplicate(_) => b.issue(
                "duplicate_application",
                &id,
                format!("same id and name as day 1, other term ({term}), birth date, address and email"),
            ),
            P::FormExpired(t) => b.issue(
                "application_form_expired",
                &id,
                format!("form dated {}, received {}", iso(ymd3(t)), iso(received)),
            ),
            P::FormBoundaryOk(t) => b.edge(
                "valid: form exactly 1 year old",
                &id,
                format!("form dated {}, received {}", iso(ymd3(t)), iso(received)),
            ),
            _ => {}
        }
        if spec.long_address {
            b.edge("valid: address wider than the envelope window (wrapped)", &id, address.clone());
        }
        if spec.hiragana {
            b.edge("valid: name_kana in hiragana", &id, kana.clone());
        }
        if spec.given_first {
            b.edge("valid: romaji given-family order", &id, romaji.clone());
        }
        if let Some((d, f)) = spec.birth {
            b.edge("valid: era birth date with 元年", &id, date_text(d, f));
        }
        if spec.former {
            b.edge("valid: former_name (+ family_register)", &id, "");
        }
        if spec.proxy {
            b.edge("valid: proxy receiver (+ proxy_seal_certificate)", &id, "");
        }

        // Documents.
        let docs = if matches!(spec.p, P::Duplicate(_)) { vec!["application_form"] } else { self.required(spec) };
        let app_dir = format!("{dir}/{id}");
        for (k, doc) in docs.into_iter().enumerate() {
            if spec.p == P::Missing(doc) {
                b.issue(format!("missing_document:{doc}"), &id, "");
                continue;
            }
            if spec.p == P::MissingCompleted(doc) {
                b.issue(format!("missing_document:{doc}"), &id, "completed by a day-2 follow-up document");
                carry.push(Pending { app_id: id.clone(), doc_type: doc, label: person.romaji() });
                continue;
            }
            let issued = match spec.p {
                P::Stale(d, t) | P::BoundaryFresh(d, t) | P::Future(d, t) if d == doc => ymd3(t),
                _ if doc == "application_form" => applied,
                _ if doc == "transfer_slip" => days_before(received, self.rng.range(2, 9)),
                _ => days_before(received, self.rng.range(14, 56)),
            };
            let stem = if b.id_stamp == "20261120" {
                format!("{app_dir}/{:02}_{doc}", k + 1)
            } else {
                format!("{app_dir}/{doc}")
            };
            let lines = vec![title(doc), id.clone(), person.romaji(), format!("ISSUED {}", iso(issued))];
            let mut opt = ScanOpt::default();
            if doc == "residence_certificate" {
                opt.my_number = match spec.p {
                    P::MyNumberMasked => Some(true),
                    P::MyNumberNoMask => Some(false),
                    _ => None,
                };
            }
            match spec.p {
                P::ScanMissing(d) if d == doc => opt.absent = true,
                P::TruncatedMidData(d) if d == doc => opt.truncate = Some(false),
                P::TruncatedHeader(d) if d == doc => opt.truncate = Some(true),
                _ => {}
            }
            let file = self.document(b, DocRef { app_id: &id, env_id: "" }, doc, issued, &stem, &lines, opt);
            match spec.p {
                P::Stale(d, t) if d == doc => b.issue(format!("stale_document:{doc}"), &id, format!("issued {}, received {}", iso(ymd3(t)), iso(received))),
                P::BoundaryFresh(d, t) if d == doc => b.edge("valid: document exactly 3 months old", &id, format!("{doc} issued {}, received {}", iso(ymd3(t)), iso(received))),
                P::Future(d, t) if d == doc => b.issue(format!("future_dated_document:{doc}"), &id, format!("issued {}, received {}", iso(ymd3(t)), iso(received))),
                P::ScanMissing(d) if d == doc => b.issue(format!("scan_missing:{file}"), &id, "listed, not on disk"),
                P::TruncatedMidData(d) if d == doc => b.issue(
                    format!("scan_unreadable:{file}"),
                    &id,
                    "JPEG cut at 55% inside the scan data, no EOI marker (the image crate decodes it leniently: check for FF D9)",
                ),
                P::TruncatedHeader(d) if d == doc => b.issue(format!("scan_unreadable:{file}"), &id, "JPEG cut inside its SOS header (no decoder reads it)"),
                _ => {}
            }
        }
    }

    /// Lists one document and writes its scan; returns the `file` column value.
    #[allow(clippy::too_many_arguments)]
    fn document(
        &mut self,
        b: &mut Batch,
        owner: DocRef<'_>,
        doc: &'static str,
        issued: NaiveDate,
        stem: &str,
        lines: &[String],
        opt: ScanOpt,
    ) -> String {
        let mut fmt = pick_fmt(&mut self.rng, doc);
        if opt.truncate.is_some() {
            fmt = Fmt::Jpeg;
        }
        let region = opt.my_number.map(|_| Region {
            x: 250 + self.rng.range(0, 40) as u32,
            y: 110 + self.rng.range(0, 90) as u32,
            w: 152,
            h: 23,
        });
        if region.is_some() {
            fmt = Fmt::Png;
        }
        let (path, bytes) = match b.pool.as_mut() {
            Some(pool) => {
                let choices = pool.files.get(doc).or_else(|| pool.files.get("other")).expect("pool has a fallback");
                pool.turn += 1;
                let (e, bytes) = &choices[pool.turn % choices.len()];
                (format!("{stem}.{e}"), bytes.clone())
            }
            None => {
                let e = ext(&mut self.rng, fmt);
                let path = format!("{stem}.{e}");
                let mut bytes = render_scan(&mut self.rng, fmt, doc, lines, fnv(&path), region);
                match opt.truncate {
                    Some(false) => bytes.truncate(bytes.len() * 55 / 100),
                    Some(true) => {
                        let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).expect("JPEG has an SOS marker");
                        bytes.truncate(sos + 6);
                    }
                    None => {}
                }
                (path, bytes)
            }
        };
        let listed = b.listed(&path);
        let mut row = Row::new();
        put(&mut row, "application_id", owner.app_id);
        put(&mut row, "envelope_id", owner.env_id);
        put(&mut row, "doc_type", doc);
        let form = self.date_form(b.xlsx, 70);
        row.insert("issued_on", Val::Date(issued, form));
        if self.rng.chance(10) {
            row.insert("received_on", Val::Date(b.date, if b.xlsx { Form::Cell } else { Form::Slash }));
        }
        put(&mut row, "file", &listed);
        if doc == "residence_certificate" {
            let (yes, no) = if b.xlsx {
                ("はい", "いいえ")
            } else if self.rng.chance(50) {
                ("yes", "no")
            } else {
                ("有", "無")
            };
            match opt.my_number {
                Some(_) => put(&mut row, "has_my_number", yes),
                None if self.rng.chance(70) => put(&mut row, "has_my_number", no),
                None => {}
            }
        }
        if let (Some(true), Some(r)) = (opt.my_number, region) {
            put(&mut row, "mask_region", r.text());
            b.edge(
                "valid: My Number with mask_region inside a 480x340 image",
                owner.app_id,
                format!("{listed} mask {}", r.text()),
            );
        }
        if opt.my_number == Some(false) {
            b.issue("my_number_mask_missing", owner.app_id, format!("{listed} (has_my_number set, no mask_region)"));
        }
        b.docs.push(row);
        if !opt.absent {
            b.files.push((path, bytes));
        }
        listed
    }
}

#[derive(Clone, Copy)]
struct DocRef<'a> {
    app_id: &'a str,
    env_id: &'a str,
}

#[derive(Clone, Copy, Default)]
struct ScanOpt {
    /// Some(true): My Number with mask region; Some(false): My Number, no region.
    my_number: Option<bool>,
    absent: bool,
    /// Some(false): cut in the data; Some(true): cut in the header.
    truncate: Option<bool>,
}

// ---------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_text(cols: &[(&'static str, &'static str)], rows: &[Row], eol: &str) -> String {
    let mut out = cols.iter().map(|c| c.0).collect::<Vec<_>>().join(",");
    out.push_str(eol);
    for row in rows {
        let line: Vec<String> =
            cols.iter().map(|c| row.get(c.0).map(|v| csv_field(&v.text())).unwrap_or_default()).collect();
        out.push_str(&line.join(","));
        out.push_str(eol);
    }
    out
}

fn shift_jis(text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!had_errors, "every character of the sample must exist in CP932");
    bytes.into_owned()
}

fn xlsx_bytes(b: &Batch) -> Vec<u8> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(b.date.year() as u16, b.date.month() as u8, b.date.day() as u8)
        .and_then(|d| d.and_hms(8, 45, 0))
        .expect("creation time");
    wb.set_properties(
        &DocProperties::new().set_title("申込受付一覧").set_author("受付担当").set_creation_datetime(&created),
    );
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border(FormatBorder::Thin);
    let slash = Format::new().set_num_format("yyyy/mm/dd");
    let kanji = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    let cell_date =
        |d: NaiveDate| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).expect("excel date");

    let write_sheet = |wb: &mut Workbook,
                       name: &str,
                       cols: &[(&'static str, &'static str)],
                       rows: &[Row],
                       remarks: Option<&BTreeMap<String, String>>| {
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("sheet name");
        for (c, (_, ja)) in cols.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *ja, &head).expect("header");
            ws.set_column_width(c as u16, 14).expect("width");
        }
        let extra = cols.len() as u16;
        if remarks.is_some() {
            ws.write_string_with_format(0, extra, REMARKS_HEADER, &head).expect("header");
        }
        ws.set_freeze_panes(1, 0).expect("freeze");
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, (en, _)) in cols.iter().enumerate() {
                let c = c as u16;
                match row.get(en) {
                    None => {}
                    Some(Val::Num(n)) => {
                        ws.write_number(r, c, *n).expect("number");
                    }
                    Some(Val::Date(d, Form::Cell)) => {
                        let fmt = if matches!(*en, "applied_on" | "birth_date") { &kanji } else { &slash };
                        ws.write_datetime_with_format(r, c, cell_date(*d), fmt).expect("date cell");
                    }
                    Some(v) => {
                        ws.write_string(r, c, v.text()).expect("text");
                    }
                }
            }
            if let Some(map) = remarks {
                if let Some(Val::Text(id)) = row.get("application_id") {
                    if let Some(note) = map.get(id) {
                        ws.write_string(r, extra, note).expect("remark");
                    }
                }
            }
        }
    };
    write_sheet(&mut wb, "applications", &app_cols(), &b.apps, Some(&b.remarks));
    write_sheet(&mut wb, "documents", &doc_cols(), &b.docs, None);
    wb.save_to_buffer().expect("build xlsx")
}

fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> u64 {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create folder");
    }
    fs::write(&path, bytes).expect("write file");
    bytes.len() as u64
}

struct Written {
    bytes: u64,
    scans: usize,
}

fn write_batch(root: &Path, b: &Batch, format: &str) -> Written {
    if root.exists() {
        fs::remove_dir_all(root).expect("remove the previous sample folder");
    }
    fs::create_dir_all(root).expect("create batch folder");
    let mut bytes = 0;
    match format {
        "xlsx" => bytes += write_file(root, "applications.xlsx", &xlsx_bytes(b)),
        "sjis" => {
            bytes += write_file(root, "applications.csv", &shift_jis(&csv_text(&app_cols(), &b.apps, "\r\n")));
            bytes += write_file(root, "documents.csv", &shift_jis(&csv_text(&doc_cols(), &b.docs, "\r\n")));
        }
        _ => {
            bytes += write_file(root, "applications.csv", csv_text(&app_cols(), &b.apps, "\n").as_bytes());
            bytes += write_file(root, "documents.csv", csv_text(&doc_cols(), &b.docs, "\n").as_bytes());
        }
    }
    for (rel, data) in &b.files {
        bytes += write_file(root, rel, data);
    }
    Written { bytes, scans: b.files.len() }
}

// ---------------------------------------------------------------------------------------
// Bank statements: day 1's G-ID applicants pay (SMBC CSV on day 1, Zengin on day 2)
// ---------------------------------------------------------------------------------------

/// The CA's payee account (pipelines/gid-*.toml `payment.payee`): 三井住友銀行 (0009)
/// なでしこ支店 普通 1621000. The branch code is a sample value.
const PAYEE_BANK: &str = "0009";
const PAYEE_BANK_KANA: &str = "ﾐﾂｲｽﾐﾄﾓ";
const PAYEE_BRANCH: &str = "123";
const PAYEE_BRANCH_KANA: &str = "ﾅﾃﾞｼｺ";
const PAYEE_ACCOUNT: u64 = 1_621_000;
const PAYEE_NAME_KANA: &str = "ﾆﾎﾝﾆﾝｼﾖｳ(ｶ";
/// The SMBC account's balance before the first row of day 1's export.
const OPENING_BALANCE: i64 = 1_204_300;

/// Who a transfer says it is from, resolved against the application's row.
#[derive(Clone, Copy, Debug)]
enum Payer {
    /// The applicant's reading as banks print it (ｽｽﾞｷ ｷﾖｳｺ for すずき　きょうこ).
    Applicant,
    /// The `payer_name` written on the form.
    Form,
    /// The organisation's reading with its legal form where banks put it: `ｶ)NAME` for
    /// 株式会社NAME, `NAME(ｶ` for NAME株式会社.
    Company,
    /// The application code without hyphens, then a name that is not on the application.
    Reference(&'static str),
    /// A name no application carries.
    Named(&'static str),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flow {
    /// Money received.
    Credit,
    /// Money paid out (SMBC お引出し): not a credit, skipped by the reader.
    Debit,
    /// A Zengin transfer followed by its 取消 record (取消区分 1, same 照会番号): no credit.
    Cancelled,
}

/// One line of a statement and what certbatch should make of it.
struct Transfer {
    date: Ymd,
    flow: Flow,
    /// The applications it pays; their fees, from `fee_for`, make the amount.
    apps: &'static [&'static str],
    payer: Payer,
    /// Yen off the fees (-440: a transfer fee deducted; +1000: overpaid).
    adjust: i64,
    /// The amount when `apps` is empty.
    yen: i64,
    /// The expected `payments.csv` status (`-` when there is no credit).
    expect: &'static str,
    why: &'static str,
}

const fn tr(
    date: Ymd,
    apps: &'static [&'static str],
    payer: Payer,
    expect: &'static str,
    why: &'static str,
) -> Transfer {
    Transfer { date, flow: Flow::Credit, apps, payer, adjust: 0, yen: 0, expect, why }
}

/// Day 1 (`2026-11-19/transfers/smbc-20261119.csv`): about half of day 1's accepted G-ID
/// applications (GD-20261119-001 is left unpaid: day 2 resends it).
fn smbc_plan() -> Vec<Transfer> {
    use Payer::*;
    vec![
        tr((2026, 11, 18), &["GD-20261119-003"], Form, "matched", "payer_name on the form, a day before the envelope"),
        Transfer {
            flow: Flow::Debit,
            yen: 55_000,
            ..tr((2026, 11, 18), &[], Named("ｶ)ｱｵｿﾞﾗﾘ-ｽ"), "-", "お引出し (the CA paying a lease): ignored")
        },
        tr((2026, 11, 19), &["GD-20261119-005"], Form, "matched", "payer_name on the form"),
        Transfer {
            adjust: -440,
            ..tr((2026, 11, 19), &["GD-20261119-008"], Applicant, "partial", "440 yen transfer fee deducted: waits")
        },
        Transfer {
            adjust: 1_000,
            ..tr(
                (2026, 11, 19),
                &["GM-20261119-018"],
                Applicant,
                "overpaid",
                "1,000 yen over; kana written in hiragana",
            )
        },
        tr(
            (2026, 11, 19),
            &["GD-20261119-016"],
            Reference("ﾏﾂﾀﾞ ﾖｳｺ"),
            "matched",
            "application code before a name not on the application",
        ),
        tr((2026, 11, 19), &["GD-20261119-012"], Company, "matched", "company (org_kana) pays its delegation-type fee"),
        tr((2026, 11, 19), &["GM-20261119-020"], Applicant, "matched", "applicant's name"),
        tr((2026, 11, 19), &["GM-20261119-022"], Form, "matched", "payer_name on the form"),
        Transfer {
            yen: 15_400,
            ..tr((2026, 11, 19), &[], Named("ﾔﾏｸﾞﾁ ﾄｼｵ"), "unmatched", "nobody applied (the 2022 price)")
        },
    ]
}

/// Day 2 (`2026-11-20/transfers/zengin-20261120.txt`): more of day 1's accepted G-ID
/// applications, a second payment, and a transfer the bank cancelled.
fn zengin_plan() -> Vec<Transfer> {
    use Payer::*;
    let day = (2026, 11, 20);
    vec![
        tr(day, &["GD-20261119-006"], Applicant, "matched", "applicant's name, small kana written large"),
        tr(day, &["GD-20261119-009"], Form, "matched", "payer_name on the form"),
        tr(day, &["GD-20261119-014"], Applicant, "matched", "applicant's name"),
        tr(
            day,
            &["GM-20261119-023", "GM-20261119-024", "GM-20261119-025"],
            Company,
            "matched",
            "one transfer for the company's whole envelope (後株)",
        ),
        tr(day, &["GM-20261119-020"], Applicant, "duplicate", "GM-20261119-020 was paid on day 1"),
        Transfer {
            flow: Flow::Cancelled,
            ..tr(day, &["GD-20261119-011"], Applicant, "-", "cancelled by its 取消 record: the pair nets out")
        },
    ]
}

/// A day-1 application row by id.
fn app_row<'a>(day1: &'a Batch, id: &str) -> &'a Row {
    day1.apps
        .iter()
        .find(|r| r.get("application_id").map(Val::text).as_deref() == Some(id))
        .unwrap_or_else(|| panic!("{id} is a day-1 application"))
}

fn text_of(row: &Row, key: &str) -> String {
    row.get(key).map(Val::text).unwrap_or_default()
}

fn date_of(row: &Row, key: &str) -> NaiveDate {
    match row.get(key) {
        Some(Val::Date(d, _)) => *d,
        other => panic!("{key} is a date: {other:?}"),
    }
}

/// What `app`'s row owes, by certbatch's own fee rules (tax included).
fn fee_of(pipelines: &certbatch::pipelines::Pipelines, row: &Row) -> i64 {
    let product = pipelines.product(&text_of(row, "product")).expect("a product of pipelines/");
    let term = product.term(&text_of(row, "term")).expect("a term of the product").code.clone();
    let opt = |key: &str| Some(text_of(row, key)).filter(|s| !s.is_empty());
    let app: certbatch::record::Application = serde_json::from_value(serde_json::json!({
        "id": text_of(row, "application_id"),
        "envelope_id": text_of(row, "envelope_id"),
        "product": product.id,
        "cert_type": text_of(row, "cert_type"),
        "term": term,
        "applied_on": iso(date_of(row, "applied_on")),
        "received_on": iso(date_of(row, "received_on")),
        "name_kanji": text_of(row, "name_kanji"),
        "name_kana": text_of(row, "name_kana"),
        "name_romaji": text_of(row, "name_romaji"),
        "birth_date": iso(date_of(row, "birth_date")),
        "postal_code": text_of(row, "postal_code"),
        "address": text_of(row, "address"),
        "email": text_of(row, "email"),
        "corporate_number": opt("corporate_number"),
        "org_name": opt("org_name"),
        "org_kana": opt("org_kana"),
        "payer_name": opt("payer_name"),
        "card_readers": 0,
        "domains": [],
    }))
    .expect("an application certbatch reads");
    certbatch::payments::fees::fee_for(&app, product, 1).expect("a fee in force").total
}

/// The payer name a bank prints for `t`, resolved against its first application.
fn payer_text(t: &Transfer, day1: &Batch) -> String {
    let row = t.apps.first().map(|id| app_row(day1, id));
    let row = || row.expect("this payer names an application");
    match t.payer {
        Payer::Applicant => bank_kana(&text_of(row(), "name_kana")),
        Payer::Form => {
            let name = text_of(row(), "payer_name");
            assert!(!name.is_empty(), "{:?} has a payer_name", t.apps);
            name
        }
        Payer::Company => {
            let (name, kana) = (text_of(row(), "org_name"), bank_kana(&text_of(row(), "org_kana")));
            assert!(!kana.is_empty(), "{:?} has an org_kana", t.apps);
            if name.starts_with("株式会社") {
                format!("ｶ){kana}")
            } else if name.ends_with("株式会社") {
                format!("{kana}(ｶ")
            } else {
                kana
            }
        }
        Payer::Reference(name) => format!("{} {name}", t.apps[0].replace('-', "")),
        Payer::Named(name) => name.to_string(),
    }
}

/// A transfer resolved: its amount and payer name.
struct Resolved<'p> {
    plan: &'p Transfer,
    amount: i64,
    payer: String,
}

fn resolve<'p>(plan: &'p [Transfer], day1: &Batch, pipelines: &certbatch::pipelines::Pipelines) -> Vec<Resolved<'p>> {
    plan.iter()
        .map(|t| {
            for id in t.apps {
                // Only applications that end day 1 accepted are paid (no deliberate problem).
                assert!(!day1.issues.iter().any(|i| i.id == *id), "{id} carries a deliberate problem");
            }
            let fees: i64 = t.apps.iter().map(|id| fee_of(pipelines, app_row(day1, id))).sum();
            let amount = if t.apps.is_empty() { t.yen } else { fees + t.adjust };
            Resolved { plan: t, amount, payer: payer_text(t, day1) }
        })
        .collect()
}

/// `19,250`.
fn yen_commas(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// SMBC online-banking export: Shift_JIS, CR LF, amounts with thousands separators,
/// `振込 NAME` descriptions, a running balance.
fn smbc_csv(rows: &[Resolved<'_>]) -> Vec<u8> {
    let mut text = String::from("年月日,お引出し,お預入れ,お取り扱い内容,残高,メモ\r\n");
    let mut balance = OPENING_BALANCE;
    for r in rows {
        let (out, inn) = match r.plan.flow {
            Flow::Debit => (yen_commas(r.amount), String::new()),
            Flow::Credit => (String::new(), yen_commas(r.amount)),
            Flow::Cancelled => unreachable!("online-banking exports show no cancelled transfers"),
        };
        balance += if r.plan.flow == Flow::Debit { -r.amount } else { r.amount };
        let date = ymd3(r.plan.date);
        text.push_str(&format!(
            "{},{},{},{},{},\r\n",
            date_text(date, Form::Slash),
            csv_field(&out),
            csv_field(&inn),
            csv_field(&format!("振込 {}", r.payer)),
            csv_field(&yen_commas(balance)),
        ));
    }
    shift_jis(&text)
}

/// A 200-byte Zengin record, spaces until fields are put in (1-based byte positions).
struct Rec(Vec<u8>);

impl Rec {
    fn new(kind: u8) -> Self {
        let mut bytes = vec![b' '; 200];
        bytes[0] = kind;
        Rec(bytes)
    }
    /// Shift_JIS text left-aligned and space-padded, or ASCII digits as given.
    fn text(mut self, start: usize, width: usize, s: &str) -> Self {
        let b = shift_jis(s);
        assert!(b.len() <= width, "{s:?} does not fit in {width} bytes at {start}");
        self.0[start - 1..start - 1 + b.len()].copy_from_slice(&b);
        self
    }
    /// A number right-aligned and zero-padded.
    fn num(self, start: usize, width: usize, n: i64) -> Self {
        let s = format!("{n:0width$}");
        assert_eq!(s.len(), width, "{n} does not fit in {width} digits");
        self.text(start, width, &s)
    }
    fn done(self) -> Vec<u8> {
        self.0
    }
}

/// `YYMMDD` in 令和 years, as Zengin dates are written (2026-11-20 is `081120`).
fn reiwa(date: NaiveDate) -> String {
    let (_, letter, year) = era(date);
    assert_eq!(letter, 'R', "{date} is a 令和 date");
    format!("{year:02}{:02}{:02}", date.month(), date.day())
}

/// 振込入金通知 (kind 01), format A, one header…trailer group for the payee account,
/// records separated by CR LF. Trailer totals count every data record, cancel records
/// included (the 全銀協 rule); 取消件数/取消金額 count the cancel records.
fn zengin_notice(rows: &[Resolved<'_>], made: NaiveDate) -> Vec<u8> {
    const SENDERS: [(&str, &str); 4] =
        [("ﾐｽﾞﾎ", "ｼﾌﾞﾔ"), ("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "ｳﾒﾀﾞ"), ("ﾕｳﾁﾖ", "ｾﾞﾛｲﾁﾊﾁ"), ("ﾘｿﾅ", "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ")];
    let day = reiwa(made);
    let mut records = vec![Rec::new(b'1')
        .text(2, 2, "01")
        .text(4, 1, "0")
        .text(5, 6, &day)
        .text(11, 6, &day)
        .text(17, 6, &day)
        .text(23, 4, PAYEE_BANK)
        .text(27, 15, PAYEE_BANK_KANA)
        .text(42, 3, PAYEE_BRANCH)
        .text(45, 15, PAYEE_BRANCH_KANA)
        .text(60, 1, "1")
        .num(61, 7, PAYEE_ACCOUNT as i64)
        .text(68, 40, PAYEE_NAME_KANA)
        .done()];
    let (mut count, mut total, mut cancels, mut cancelled) = (0, 0, 0, 0);
    let data = |reference: usize, r: &Resolved<'_>, cancel: bool| {
        let booked = reiwa(ymd3(r.plan.date));
        let (bank, branch) = SENDERS[reference % SENDERS.len()];
        Rec::new(b'2')
            .num(2, 6, reference as i64)
            .text(8, 6, &booked)
            .text(14, 6, &booked)
            .num(20, 10, r.amount)
            .num(30, 10, 0)
            .num(40, 10, 0)
            .text(50, 48, &r.payer)
            .text(98, 15, bank)
            .text(113, 15, branch)
            .text(128, 1, if cancel { "1" } else { "0" })
            .done()
    };
    // The bank's cancellations come after the day's transfers, under the same 照会番号.
    let mut cancel_records = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let reference = i + 1;
        records.push(data(reference, r, false));
        (count, total) = (count + 1, total + r.amount);
        if r.plan.flow == Flow::Cancelled {
            cancel_records.push(data(reference, r, true));
            (count, total, cancels, cancelled) = (count + 1, total + r.amount, cancels + 1, cancelled + r.amount);
        }
    }
    records.extend(cancel_records);
    records.push(Rec::new(b'8').num(2, 6, count).num(8, 12, total).num(20, 6, cancels).num(26, 12, cancelled).done());
    records.push(Rec::new(b'9').done());
    let mut out = Vec::new();
    for r in records {
        assert_eq!(r.len(), 200);
        out.extend_from_slice(&r);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The two statements, and one line per transfer for the summary.
struct Statements {
    smbc: Vec<u8>,
    zengin: Vec<u8>,
    lines: Vec<String>,
}

fn make_statements(day1: &Batch) -> Statements {
    let pipelines =
        certbatch::pipelines::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")).expect("pipelines/ loads");
    let (smbc_plan, zengin_plan) = (smbc_plan(), zengin_plan());
    let smbc_rows = resolve(&smbc_plan, day1, &pipelines);
    let zengin_rows = resolve(&zengin_plan, day1, &pipelines);
    let mut lines = Vec::new();
    for (file, rows) in [("smbc-20261119.csv", &smbc_rows), ("zengin-20261120.txt", &zengin_rows)] {
        lines.push(format!("{file}:"));
        for r in rows {
            let flow = match r.plan.flow {
                Flow::Credit => "",
                Flow::Debit => " (debit)",
                Flow::Cancelled => " (+ its 取消 record)",
            };
            let apps = if r.plan.apps.is_empty() { "-".to_string() } else { r.plan.apps.join(" ") };
            lines.push(format!(
                "  {} {:>6} {}{flow} -> {apps} -> {}: {}",
                iso(ymd3(r.plan.date)),
                yen_commas(r.amount),
                r.payer,
                r.plan.expect,
                r.plan.why
            ));
        }
    }
    Statements { smbc: smbc_csv(&smbc_rows), zengin: zengin_notice(&zengin_rows, ymd(2026, 11, 20)), lines }
}

// ---------------------------------------------------------------------------------------
// Days
// ---------------------------------------------------------------------------------------

fn self_checks() {
    assert!(corp_valid("4011001040781"), "the National Tax Agency's own number must validate");
    assert!(!corp_valid(&corp_typo("4011001040781")));
    for name in FAMILIES.iter().chain(GIVENS.iter()).chain(NON_JIS_FAMILIES.iter()) {
        assert_eq!(hepburn_word(name.kana).as_deref(), Some(name.romaji), "Hepburn table entry {name:?}");
    }
    for (kana, bad) in [("サトウ", "SATOU"), ("ホンマ", "HONMA"), ("ハットリ", "HATTRI"), ("キョウコ", "KYOUKO")]
    {
        assert_ne!(hepburn_word(kana).as_deref(), Some(bad));
    }
    assert_eq!(bank_kana("ホシゾラショウジ"), "ﾎｼｿﾞﾗｼﾖｳｼﾞ");
    assert_eq!(date_text(ymd(2026, 11, 19), Form::Era), "令和8年11月19日");
    assert_eq!(date_text(ymd(2026, 11, 19), Form::EraShort), "R8.11.19");
    assert_eq!(date_text(ymd(1989, 5, 10), Form::Era), "平成元年5月10日");
    assert_eq!(date_text(ymd(1975, 3, 4), Form::Era), "昭和50年3月4日");
}

fn make_days() -> (Batch, Batch) {
    let mut gen = Gen::new(0x00C3_27B4_7C20_2611);
    let mut carry = Vec::new();
    let mut day1 = Batch::new(ymd(2026, 11, 19), "20261119", "1119", true);
    for e in day1_plan() {
        gen.envelope(&mut day1, &e, &mut carry);
    }
    // A scan that no row lists: the back page of a residence certificate.
    let stray = "scans/ENV-1119-03/GD-20261119-003/residence_certificate_back.jpg".to_string();
    let img = page(
        &mut gen.rng,
        220,
        300,
        &["RESIDENCE CERTIFICATE P2".to_string(), "GD-20261119-003".to_string()],
        fnv(&stray),
    );
    day1.files.push((stray.clone(), jpeg_gray(&img, 55)));
    day1.issue("unlisted scan (reported)", "-", stray);

    let mut day2 = Batch::new(ymd(2026, 11, 20), "20261120", "1120", false);
    for e in day2_plan() {
        gen.envelope(&mut day2, &e, &mut carry);
    }
    // Follow-up documents that complete two day-1 applications.
    for p in carry {
        let issued = days_before(day2.date, gen.rng.range(3, 12));
        let path = format!("scans/box2/followup/{}/{}.jpg", p.app_id, p.doc_type);
        let lines = vec![title(p.doc_type), p.app_id.clone(), p.label.clone(), format!("ISSUED {}", iso(issued))];
        let img = page(&mut gen.rng, 220, 290, &lines, fnv(&path));
        let bytes = if p.doc_type.contains("seal") {
            jpeg_rgb(&seal_overlay(&img, &mut gen.rng), 55)
        } else {
            jpeg_rgb(&tint(&img, [225, 240, 255]), 55)
        };
        let mut row = Row::new();
        put(&mut row, "application_id", &p.app_id);
        put(&mut row, "doc_type", p.doc_type);
        row.insert("issued_on", Val::Date(issued, Form::Iso));
        row.insert("received_on", Val::Date(day2.date, Form::Iso));
        put(&mut row, "file", &path);
        day2.docs.push(row);
        day2.files.push((path.clone(), bytes));
        day2.issue("completes a day-1 application", &p.app_id, format!("{} received 2026-11-20: {path}", p.doc_type));
    }
    let stray = "scans/box2/unsorted/IMG_0042.jpg".to_string();
    let img = page(&mut gen.rng, 200, 280, &["UNSORTED".to_string()], fnv(&stray));
    day2.files.push((stray.clone(), jpeg_gray(&img, 55)));
    day2.issue("unlisted scan (reported)", "-", stray);

    // What a real office's sheets also carry, appended so the rows above keep their ids and
    // contents: a long address, a name outside the letter font, a retyped row, a row left
    // half-filled, and (in the CSV) a line of empty cells.
    for e in day1_office_plan() {
        gen.envelope(&mut day1, &e, &mut carry_none());
    }
    for e in day2_office_plan() {
        gen.envelope(&mut day2, &e, &mut carry_none());
    }
    day2.apps.push(Row::new());
    day2.edge("valid: a line of empty cells (skipped, counted in rows.csv)", "-", "");
    // After the blank line: day 1's 𠮷田 corrected to 吉田 (訂正: the stored contents are
    // replaced, the letter's hold lifts and the card is issued), and a renewal naming a
    // serial the CA never issued.
    let yoshida = day1
        .apps
        .iter()
        .find(|r| r.get("name_kanji").map(Val::text).is_some_and(|n| n.starts_with('𠮷')))
        .expect("day 1 has the 𠮷 row")
        .clone();
    let mut corrected = yoshida.clone();
    let id = corrected.get("application_id").map(Val::text).unwrap_or_default();
    let name = corrected.get("name_kanji").map(Val::text).unwrap_or_default().replace('𠮷', "吉");
    put(&mut corrected, "name_kanji", name.clone());
    put(&mut corrected, "corrects", "はい");
    day2.apps.push(corrected);
    day2.edge("valid: corrects a day-1 application (訂正)", &id, format!("name_kanji {name}"));
    gen.envelope(&mut day2, &env(vec![a(GD, "basic")]), &mut carry_none());
    let renewal = day2.apps.last_mut().expect("just added");
    let id = renewal.get("application_id").map(Val::text).unwrap_or_default();
    put(renewal, "renewal_of", "0123456789ABCDEF0123456789ABCDEF");
    day2.issue("invalid_renewal:unknown_serial", &id, "renewal_of 0123456789ABCDEF0123456789ABCDEF");
    (day1, day2)
}

/// Edge cases of day 1 (xlsx), after the deliberate problems.
fn day1_office_plan() -> Vec<Env> {
    use P::*;
    vec![
        env(vec![a(AO, "employee").long_address()]),
        env(vec![a(AO, "employee").name("𠮷田", "一郎").p(NonJisName)]),
        env(vec![a(GD, "basic").retyped()]),
        env(vec![a(GM, "individual").p(HalfFilled)]),
    ]
}

/// Edge cases of day 2 (Shift_JIS CSV with CRLF), after the deliberate problems.
fn day2_office_plan() -> Vec<Env> {
    use P::*;
    vec![
        env(vec![a(CE, "employee").long_address()]),
        env(vec![a(GD, "individual").retyped()]),
        env(vec![a(AO, "employee").p(HalfFilled)]),
    ]
}

/// Edge-case envelopes complete nothing later.
fn carry_none() -> Vec<Pending> {
    Vec::new()
}

fn summarize(label: &str, b: &Batch, w: &Written) {
    let mut per_product: BTreeMap<String, usize> = BTreeMap::new();
    for row in &b.apps {
        let p = row.get("product").map(Val::text).unwrap_or_default();
        *per_product.entry(p).or_default() += 1;
    }
    let problem_apps: std::collections::BTreeSet<&str> = b
        .issues
        .iter()
        .filter(|i| i.id != "-" && i.code != "completes a day-1 application")
        .map(|i| i.id.as_str())
        .collect();
    println!(
        "{label}: {} applications ({} with a deliberate problem), {} document rows, {} files under scans/, {:.1} KiB",
        b.apps.len(),
        problem_apps.len(),
        b.docs.len(),
        w.scans,
        w.bytes as f64 / 1024.0
    );
    println!("  per product: {}", per_product.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
    let mut by_kind: BTreeMap<&str, Vec<&Issue>> = BTreeMap::new();
    for i in &b.issues {
        let kind = i.code.split(':').next().unwrap_or(&i.code);
        by_kind.entry(kind).or_default().push(i);
    }
    println!("  problems per kind:");
    for (kind, list) in &by_kind {
        println!("    {kind} x{}", list.len());
        for i in list {
            println!("      {} {} {}", i.id, i.code, i.detail);
        }
    }
    println!("  valid edge cases:");
    for e in &b.edges {
        println!("      {} {} {}", e.id, e.code, e.detail);
    }
}

// ---------------------------------------------------------------------------------------
// Large batch for the ingest benchmark
// ---------------------------------------------------------------------------------------

fn make_pool() -> Pool {
    let mut rng = Rng(0x0B0B_2611);
    let mut files: BTreeMap<&'static str, Vec<(&'static str, Vec<u8>)>> = BTreeMap::new();
    let small =
        |rng: &mut Rng, k: u64, w: u32, h: u32| page(rng, w, h, &[format!("POOL {k}")], k.wrapping_mul(0x9E37_79B9));
    for k in 0..3u64 {
        let img = small(&mut rng, k, 96, 128);
        files.entry("seal_certificate").or_default().push(("jpg", jpeg_rgb(&seal_overlay(&img, &mut rng), 55)));
        files.entry("proxy_seal_certificate").or_default().push(("jpg", jpeg_rgb(&seal_overlay(&img, &mut rng), 50)));
        files.entry("corporate_seal_certificate").or_default().push(("jpg", jpeg_gray(&img, 50)));
    }
    for k in 3..5u64 {
        let img = small(&mut rng, k, 96, 128);
        files.entry("residence_certificate").or_default().push(("png", png_gray(&img)));
        files.entry("income_tax_return").or_default().push(("png", png_gray(&img)));
        files.entry("transfer_slip").or_default().push(("jpg", jpeg_rgb(&tint(&img, [225, 240, 255]), 55)));
    }
    let img = small(&mut rng, 6, 64, 80);
    files.entry("family_register").or_default().push(("tif", tiff_gray(&img)));
    files.entry("corporate_seal_certificate").or_default().push(("tiff", tiff_gray(&img)));
    for (k, doc) in ["application_form", "corporate_registry", "affiliation_certificate", "delegation_certificate"]
        .into_iter()
        .enumerate()
    {
        let bytes = pdf(&[title(doc), format!("POOL {k}")], k as u64 * 7919, None);
        files.entry(doc).or_default().push(("pdf", bytes));
    }
    files.entry("other").or_default().push(("png", png_gray(&small(&mut rng, 9, 64, 64))));
    Pool { files, turn: 0 }
}

fn large_plan(n: usize) -> Vec<Env> {
    // A cycle of envelope shapes; passport-web is left out (its CSR is a placeholder).
    let cycle: Vec<Vec<Spec>> = vec![
        vec![a(GD, "basic")],
        vec![a(GD, "individual")],
        vec![a(GD, "sole_proprietor")],
        vec![a(GM, "basic")],
        vec![a(AO, "representative"), a(AO, "employee"), a(AO, "employee"), a(AO, "employee")],
        vec![a(GD, "gyoseishoshi")],
        vec![a(GD, "org_representative"), a(GD, "org_employee"), a(GD, "org_employee_delegation")],
        vec![a(GM, "individual").proxy()],
        vec![a(CE, "employee"), a(CE, "employee"), a(CE, "employee")],
        vec![a(GD, "individual").former()],
    ];
    let mut plan = Vec::new();
    let mut count = 0;
    'outer: loop {
        for shape in &cycle {
            if count >= n {
                break 'outer;
            }
            let take = shape.len().min(n - count);
            plan.push(env(shape[..take].to_vec()));
            count += take;
        }
    }
    plan
}

fn run_large(out: &Path, n: usize) {
    let mut gen = Gen::new(0x1A26_E000 ^ n as u64);
    let mut b = Batch::new(ymd(2026, 11, 19), "BM", "BM", false);
    b.pool = Some(make_pool());
    let mut carry = Vec::new();
    for e in large_plan(n) {
        gen.envelope(&mut b, &e, &mut carry);
    }
    let root = out.join(format!("large-{n}"));
    let w = write_batch(&root, &b, "utf8");
    println!(
        "{}: {} applications, {} document rows, {} scan files, {:.1} MiB (UTF-8 CSV, no deliberate problems)",
        root.display(),
        b.apps.len(),
        b.docs.len(),
        w.scans,
        w.bytes as f64 / 1048576.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_samples OUT_DIR [--large N]";
    let out = Path::new(args.first().expect(usage));
    self_checks();
    if let Some(pos) = args.iter().position(|a| a == "--large") {
        let n: usize = args.get(pos + 1).and_then(|s| s.parse().ok()).expect(usage);
        run_large(out, n);
        return;
    }
    let (day1, day2) = make_days();
    let statements = make_statements(&day1);
    let mut w1 = write_batch(&out.join("2026-11-19"), &day1, "xlsx");
    let mut w2 = write_batch(&out.join("2026-11-20"), &day2, "sjis");
    w1.bytes += write_file(&out.join("2026-11-19"), "transfers/smbc-20261119.csv", &statements.smbc);
    w2.bytes += write_file(&out.join("2026-11-20"), "transfers/zengin-20261120.txt", &statements.zengin);
    // After issue: day 1's receipts returned by post and in person, and one AOSign card whose
    // PIN was lost, as staff type them in Excel (Shift_JIS, CRLF, Japanese headers).
    w2.bytes += write_file(
        &out.join("2026-11-20"),
        "receipts.csv",
        &shift_jis("申込コード,受領書到着日,受領方法\r\nGD-20261119-003,2026-11-20,郵送\r\nAO-20261119-029,令和8年11月20日,持参\r\n"),
    );
    w2.bytes += write_file(
        &out.join("2026-11-20"),
        "revocations.csv",
        &shift_jis("申込コード,失効理由,申請日,申請者,危殆化日\r\nAO-20261119-030,秘密鍵の危殆化・PIN紛失,2026-11-20,加入者,2026-11-19\r\n"),
    );
    // A change of registered data: day 1's GD-20261119-003 has a new email address; a new
    // address for AO-20261119-029 is in the certificate and is refused (revoke_and_reapply).
    w2.bytes += write_file(
        &out.join("2026-11-20"),
        "changes.csv",
        &shift_jis("申込コード,変更項目,変更後の値,申請日\r\nGD-20261119-003,メールアドレス,new-address@example.jp,2026-11-20\r\nAO-20261119-029,住所,東京都港区芝公園4-2-8,2026-11-20\r\n"),
    );
    summarize("2026-11-19 (applications.xlsx, Japanese headers)", &day1, &w1);
    summarize("2026-11-20 (applications.csv + documents.csv, Shift_JIS, English headers)", &day2, &w2);
    println!("bank statements (credit -> applications -> expected payments.csv status):");
    for line in &statements.lines {
        println!("  {line}");
    }
    println!("total {:.2} MiB", (w1.bytes + w2.bytes) as f64 / 1048576.0);
}
