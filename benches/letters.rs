//! Letter printing: 10,000 PIN letters and 10,000 password letters, each kind into one
//! print file, as the mailroom gets them. Prints time, peak memory and bytes per page.
//!
//! `cargo bench --bench letters` (set `LETTERS_N` for another size).

use certbatch::letters::letter_pdf::{render, Font, Letter};
use std::time::Instant;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn letter(i: usize, kind: &str) -> Letter {
    let (title, label, secret) = if kind == "pin" {
        ("PINコード送付のお知らせ", "PINコード", format!("Ab{:010}", i))
    } else {
        ("パスワード送付のお知らせ", "ダウンロードパスワード（8桁）", format!("{:08}", i))
    };
    Letter {
        title: title.into(),
        address_lines: vec![format!("〒{:03}-{:04}", 100 + i % 800, i % 10_000), "東京都千代田区千代田1-1-1 ○○ビル4階".into(), format!("髙橋 一郎{} 様", i % 100)],
        reference: format!("お申し込みコード: GD-20261119-{i:05}　本人限定受取郵便（基本型）"),
        paragraphs: vec![
            "このたびはセコムパスポート for G-IDをお申し込みいただき、ありがとうございます。電子証明書を発行しましたので、秘密鍵を利用するためのPINコードをお知らせします。".into(),
            "PINコードは電子証明書（PKCS#12ファイル）を開くときに必要です。法令により当社はPINコードを保管できません。".into(),
        ],
        secret_label: Some(label.into()),
        secret: Some(secret),
        footer_lines: vec!["certbatch DEMO 認証局（試験用）".into()],
    }
}

fn main() {
    let n: usize = std::env::var("LETTERS_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let font =
        Font::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines/letters/fonts/ipaexg.ttf")))
            .expect("the bundled font");
    for kind in ["pin", "download_password"] {
        let letters: Vec<Letter> = (0..n).map(|i| letter(i, kind)).collect();
        let t = Instant::now();
        // As the print files are made: parts of PRINT_PART_LETTERS letters.
        let pdf: Vec<u8> = letters
            .chunks(certbatch::letters::writer::PRINT_PART_LETTERS)
            .flat_map(|chunk| render(chunk, &font).expect("renders"))
            .collect();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{kind}: {n} letters in print files of 1,000 in {secs:.2} s ({:.0} pages/s), {:.1} MB = {:.0} bytes/page; peak memory (VmHWM) {:.0} MiB",
            n as f64 / secs,
            pdf.len() as f64 / 1e6,
            pdf.len() as f64 / n as f64,
            vm_hwm_kib() as f64 / 1024.0
        );
    }
}
