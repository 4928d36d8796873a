//! Matching throughput: 100,000 open fees against 100,000 credits in bank spelling.
//!
//! Fees get random kana names from a syllable table (applicant side: full-width, small kana,
//! long-vowel marks, some hiragana) and G-ID prices; some companies file several
//! applications. Credits are written as banks write them (half-width, no small kana, `-`
//! for the long vowel, `ｶ)` and friends): mostly exact, some with a code, short, partial,
//! overpaid, paid twice, combined for a company, or from strangers. Prints the time, the
//! peak memory (VmHWM) and the counts per status, and how many differ from what the
//! generator intended (same-name collisions are expected to).
//!
//! `cargo bench --bench matching` (set `MATCH_N` for another size).

use std::collections::BTreeMap;
use std::time::Instant;

use certbatch::payments::matching::{match_credits, Aliases, PaidFee};
use certbatch::payments::model::{Credit, MatchStatus, OpenFee};
use chrono::{Duration, NaiveDate};

/// (application side, bank side) spellings of one syllable.
const SYLLABLES: &[(&str, &str)] = &[
    ("ア", "ｱ"),
    ("イ", "ｲ"),
    ("ウ", "ｳ"),
    ("エ", "ｴ"),
    ("オ", "ｵ"),
    ("カ", "ｶ"),
    ("キ", "ｷ"),
    ("ク", "ｸ"),
    ("ケ", "ｹ"),
    ("コ", "ｺ"),
    ("サ", "ｻ"),
    ("シ", "ｼ"),
    ("ス", "ｽ"),
    ("セ", "ｾ"),
    ("ソ", "ｿ"),
    ("タ", "ﾀ"),
    ("チ", "ﾁ"),
    ("ツ", "ﾂ"),
    ("テ", "ﾃ"),
    ("ト", "ﾄ"),
    ("ナ", "ﾅ"),
    ("ニ", "ﾆ"),
    ("ヌ", "ﾇ"),
    ("ネ", "ﾈ"),
    ("ノ", "ﾉ"),
    ("ハ", "ﾊ"),
    ("ヒ", "ﾋ"),
    ("フ", "ﾌ"),
    ("ヘ", "ﾍ"),
    ("ホ", "ﾎ"),
    ("マ", "ﾏ"),
    ("ミ", "ﾐ"),
    ("ム", "ﾑ"),
    ("メ", "ﾒ"),
    ("モ", "ﾓ"),
    ("ヤ", "ﾔ"),
    ("ユ", "ﾕ"),
    ("ヨ", "ﾖ"),
    ("ラ", "ﾗ"),
    ("リ", "ﾘ"),
    ("ル", "ﾙ"),
    ("レ", "ﾚ"),
    ("ロ", "ﾛ"),
    ("ワ", "ﾜ"),
    ("ン", "ﾝ"),
    ("ガ", "ｶﾞ"),
    ("ギ", "ｷﾞ"),
    ("グ", "ｸﾞ"),
    ("ゲ", "ｹﾞ"),
    ("ゴ", "ｺﾞ"),
    ("ザ", "ｻﾞ"),
    ("ジ", "ｼﾞ"),
    ("ズ", "ｽﾞ"),
    ("ゼ", "ｾﾞ"),
    ("ゾ", "ｿﾞ"),
    ("ダ", "ﾀﾞ"),
    ("デ", "ﾃﾞ"),
    ("ド", "ﾄﾞ"),
    ("バ", "ﾊﾞ"),
    ("ビ", "ﾋﾞ"),
    ("ブ", "ﾌﾞ"),
    ("ベ", "ﾍﾞ"),
    ("ボ", "ﾎﾞ"),
    ("パ", "ﾊﾟ"),
    ("ピ", "ﾋﾟ"),
    ("プ", "ﾌﾟ"),
    ("ペ", "ﾍﾟ"),
    ("ポ", "ﾎﾟ"),
    ("キョウ", "ｷﾖｳ"),
    ("シャ", "ｼﾔ"),
    ("シュウ", "ｼﾕｳ"),
    ("チョ", "ﾁﾖ"),
    ("リュウ", "ﾘﾕｳ"),
    ("ジュン", "ｼﾞﾕﾝ"),
    ("ッタ", "ﾂﾀ"),
    ("コー", "ｺ-"),
    ("ヴァ", "ｳﾞｱ"),
    ("ニャ", "ﾆﾔ"),
    ("ショー", "ｼﾖ-"),
];

/// G-ID prices with 10% tax (domain rules §3).
const PRICES: &[i64] = &[19_250, 28_875, 26_400, 30_800, 22_550, 31_350, 29_040, 32_780];

/// (spelled-out reading, bank abbreviation) of the legal forms used.
const FORMS: &[(&str, &str)] = &[("カブシキガイシャ", "ｶ"), ("ユウゲンガイシャ", "ﾕ"), ("ゴウドウガイシャ", "ﾄﾞ")];

/// splitmix64: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

/// A random word in both spellings.
fn word(rng: &mut Rng, lo: i64, hi: i64) -> (String, String) {
    let mut app = String::new();
    let mut bank = String::new();
    for _ in 0..rng.range(lo, hi) {
        let (a, b) = rng.pick(SYLLABLES);
        app.push_str(a);
        bank.push_str(b);
    }
    (app, bank)
}

fn hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

struct Gen {
    rng: Rng,
    base: NaiveDate,
    fees: Vec<OpenFee>,
    credits: Vec<Credit>,
    intended: Vec<MatchStatus>,
}

impl Gen {
    fn credit(&mut self, raw: String, amount: i64, date: NaiveDate, intended: MatchStatus) {
        let i = self.credits.len();
        self.credits.push(Credit {
            id: format!("zengin:1621000:{date}:{i:06}"),
            source_format: "zengin-01".to_string(),
            account: "1621000".to_string(),
            date,
            amount,
            payer_raw: raw,
            payer_code: None,
            edi: None,
            origin: format!("bench:{i}"),
        });
        self.intended.push(intended);
    }

    fn fee(&mut self, envelope: &str, company: Option<String>, names: Vec<String>, received_on: NaiveDate) -> usize {
        let n = self.fees.len();
        let due = *self.rng.pick(PRICES);
        let tolerance = if self.rng.percent() < 50 { 880 } else { 0 };
        self.fees.push(OpenFee {
            application_id: format!("GD-{}-{n:06}", received_on.format("%Y%m%d")),
            envelope_id: envelope.to_string(),
            company,
            names,
            due,
            received: 0,
            tolerance,
            received_on,
        });
        n
    }

    fn pay_date(&mut self, f: usize) -> NaiveDate {
        self.fees[f].received_on + Duration::days(self.rng.range(-3, 20))
    }

    /// One applicant on their own, and the credits they send.
    fn individual(&mut self) {
        let (family, family_bank) = word(&mut self.rng, 2, 3);
        let (given, given_bank) = word(&mut self.rng, 2, 3);
        let mut reading = format!("{family}　{given}");
        if self.rng.percent() < 15 {
            reading = hiragana(&reading);
        }
        let bank = format!("{family_bank} {given_bank}");
        let received_on = self.base + Duration::days(self.rng.range(0, 60));
        let envelope = format!("E{:06}", self.fees.len());
        let f = self.fee(&envelope, None, vec![reading], received_on);
        let due = self.fees[f].due;
        let date = self.pay_date(f);
        let r = self.rng.percent();
        use MatchStatus::*;
        match r {
            0..=77 => self.credit(bank, due, date, Matched),
            78..=81 => {
                let code = self.fees[f].application_id.replace('-', "");
                self.credit(format!("{code} {bank}"), due, date, Matched)
            }
            82..=85 => {
                let intended = if self.fees[f].tolerance >= 440 { Matched } else { Partial };
                self.credit(bank, due - 440, date, intended)
            }
            86..=88 => {
                self.credit(bank.clone(), due - 5_000, date, Partial);
                if self.rng.percent() < 50 {
                    self.credit(bank, 5_000, date + Duration::days(7), Matched);
                }
            }
            89..=91 => self.credit(bank, due + 1_000, date, Overpaid),
            92..=93 => {
                self.credit(bank.clone(), due, date, Matched);
                self.credit(bank, due, date + Duration::days(10), Duplicate);
            }
            94..=96 => {
                // A stranger: a name built from a syllable set no applicant uses.
                let stranger = format!("ｶﾞｲｺｸｼﾞﾝ {}", self.credits.len());
                self.credit(stranger, due, date, Unmatched)
            }
            _ => {} // not paid yet
        }
    }

    /// A company filing several applications, paying together or one by one.
    fn company(&mut self) {
        let (name, name_bank) = word(&mut self.rng, 3, 5);
        let (form, abbr) = *self.rng.pick(FORMS);
        let org = if self.rng.percent() < 50 { format!("{form}{name}") } else { format!("{name} {form}") };
        let company =
            if self.rng.percent() < 50 { format!("{:013}", self.rng.below(10_000_000_000_000)) } else { org.clone() };
        let bank = match self.rng.percent() {
            0..=59 => format!("{abbr}){name_bank}"),
            60..=84 => format!("{name_bank}({abbr}"),
            _ => format!("{name_bank}({abbr})ﾎﾝｼﾔ"),
        };
        let received_on = self.base + Duration::days(self.rng.range(0, 60));
        let envelope = format!("E{:06}", self.fees.len());
        let count = self.rng.range(2, 6);
        let mut ids = Vec::new();
        for _ in 0..count {
            let (family, _) = word(&mut self.rng, 2, 3);
            let (given, _) = word(&mut self.rng, 2, 3);
            ids.push(self.fee(
                &envelope,
                Some(company.clone()),
                vec![format!("{family} {given}"), org.clone()],
                received_on,
            ));
        }
        let date = self.pay_date(ids[0]);
        if self.rng.percent() < 65 {
            let total: i64 = ids.iter().map(|&f| self.fees[f].due).sum();
            self.credit(bank, total, date, MatchStatus::Matched);
        } else {
            for f in ids {
                let due = self.fees[f].due;
                self.credit(bank.clone(), due, date, MatchStatus::Matched);
            }
        }
    }
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("MATCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let base = NaiveDate::from_ymd_opt(2026, 10, 1).expect("a valid date");
    let mut g = Gen { rng: Rng(20261119), base, fees: Vec::new(), credits: Vec::new(), intended: Vec::new() };
    let t = Instant::now();
    while g.fees.len() < n {
        if g.rng.percent() < 88 {
            g.individual();
        } else {
            g.company();
        }
    }
    g.fees.truncate(n);
    // Second payments for applications paid before this run.
    let mut paid = Vec::new();
    while g.credits.len() < n {
        let (family, family_bank) = word(&mut g.rng, 3, 4);
        let (given, given_bank) = word(&mut g.rng, 3, 4);
        let due = *g.rng.pick(PRICES);
        paid.push(PaidFee {
            application_id: format!("GD-20260901-{:06}", paid.len()),
            names: vec![format!("{family} {given}")],
            company: None,
            due,
        });
        let date = base + Duration::days(g.rng.range(0, 60));
        g.credit(format!("{family_bank} {given_bank}"), due, date, MatchStatus::Duplicate);
    }
    g.credits.truncate(n);
    g.intended.truncate(n);
    let hwm_inputs = vm_hwm_kib();
    println!(
        "generated {} open fees, {} paid fees, {} credits in {:.2} s (VmHWM {:.1} MiB)",
        g.fees.len(),
        paid.len(),
        g.credits.len(),
        t.elapsed().as_secs_f64(),
        hwm_inputs as f64 / 1024.0
    );

    let aliases = Aliases::new();
    let t = Instant::now();
    let decisions = match_credits(&g.credits, &g.fees, &paid, &aliases);
    let secs = t.elapsed().as_secs_f64();
    let hwm = vm_hwm_kib();
    assert_eq!(decisions.len(), g.credits.len(), "one decision per credit");

    let mut counts: BTreeMap<MatchStatus, usize> = BTreeMap::new();
    let mut differing: BTreeMap<(MatchStatus, MatchStatus), usize> = BTreeMap::new();
    for (d, want) in decisions.iter().zip(&g.intended) {
        *counts.entry(d.status).or_default() += 1;
        if d.status != *want {
            *differing.entry((*want, d.status)).or_default() += 1;
        }
    }
    println!(
        "match_credits: {} credits x {} open fees in {secs:.3} s ({:.0} credits/s); VmHWM {:.1} MiB \
         ({:+.1} MiB while matching)",
        g.credits.len(),
        g.fees.len(),
        g.credits.len() as f64 / secs,
        hwm as f64 / 1024.0,
        (hwm as f64 - hwm_inputs as f64) / 1024.0
    );
    for (status, count) in &counts {
        println!("  {:<10} {count:>7}", status.as_str());
    }
    let total_diff: usize = differing.values().sum();
    println!("differing from the generator's intent: {total_diff}");
    for ((want, got), count) in &differing {
        println!("  intended {:<10} got {:<10} {count:>6}", want.as_str(), got.as_str());
    }
}
