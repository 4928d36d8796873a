//! Reading the day's folder: every input form of the contract and every bad input of the
//! foundation issue, checked through `screening.csv` and the run summary.

mod common;
use common::*;

use certbatch::run::{run_batch, Mode};

fn clean_day(root: &std::path::Path, name: &str) -> Day {
    let mut day = Day::new(root, name);
    day.clean("A1", "E1").clean("A2", "E2");
    day
}

#[test]
fn xlsx_with_japanese_headers_and_date_cells_is_read_row_by_row() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "2026-11-19");
    day.apps[1].insert("birth_date", s("昭和55年4月1日"));
    day.apps[1].insert("received_on", s("R8.11.19"));
    day.write_xlsx(true);
    let outcome = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert_eq!(outcome.summary.rows_read, 10);
    let rows = screening(tmp.path(), "2026-11-19");
    assert_eq!(rows.len(), 2);
    for id in ["A1", "A2"] {
        assert_eq!(row_of(&rows, id).0, "accepted", "{id}: {:?}", row_of(&rows, id));
    }
}

#[test]
fn csv_in_every_encoding_and_language_reads_alike() {
    for (encoding, japanese) in [("utf8", false), ("utf8bom", true), ("sjis", true), ("sjis", false)] {
        let tmp = tempfile::tempdir().unwrap();
        let day = clean_day(tmp.path(), "day");
        day.write_csv(japanese, encoding);
        run(tmp.path(), &day.dir, d(2026, 11, 19));
        let rows = screening(tmp.path(), "day");
        assert_eq!(
            rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            ["accepted", "accepted"],
            "{encoding} {japanese}: {rows:?}"
        );
    }
}

#[test]
fn every_date_form_of_the_contract_is_read() {
    let forms = ["2026-11-19", "2026/11/19", "2026年11月19日", "令和8年11月19日", "R8.11.19", "46345"];
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "day");
    for (i, form) in forms.iter().enumerate() {
        let id = format!("A{i}");
        day.clean(&id, &format!("E{i}"));
        day.apps[i].insert("received_on", s(form));
    }
    day.write_csv(true, "utf8");
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    for (i, form) in forms.iter().enumerate() {
        assert_eq!(row_of(&rows, &format!("A{i}")).0, "accepted", "{form}: {rows:?}");
    }
}

#[test]
fn unreadable_values_name_file_row_and_column_and_the_rest_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "day");
    day.clean("A3", "E3").clean("A4", "E4");
    day.apps[0].insert("birth_date", s("R7.13.01"));
    day.apps[1].insert("product", s("gid-platinum"));
    day.apps[2].insert("term", s("7y"));
    day.write_xlsx(true);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    let (status, reasons, messages) = row_of(&rows, "A1");
    assert_eq!((status.as_str(), reasons.as_str()), ("rejected", "invalid_field:birth_date"));
    assert!(messages.contains("applications.xlsx, sheet applications, row 2, column 生年月日"), "{messages}");
    assert!(messages.contains("R7.13.01"), "{messages}");
    assert_eq!(row_of(&rows, "A2").1, "unknown_value:product");
    assert_eq!(row_of(&rows, "A3").1, "unknown_value:term");
    assert_eq!(row_of(&rows, "A4").0, "accepted");
}

#[test]
fn a_formula_error_is_an_invalid_field() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "day");
    day.apps[0].insert("postal_code", V::Formula("=1/0".into(), "#DIV/0!".into()));
    day.write_xlsx(false);
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    let (status, reasons, messages) = row_of(&rows, "A1");
    assert_eq!((status.as_str(), reasons.as_str()), ("rejected", "invalid_field:postal_code"));
    assert!(messages.contains("#DIV/0!"), "{messages}");
    assert_eq!(row_of(&rows, "A2").0, "accepted");
}

#[test]
fn a_row_with_too_few_columns_is_named_and_others_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let day = clean_day(tmp.path(), "day");
    day.write_csv(false, "utf8");
    let path = day.dir.join("applications.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].split(',').take(9).collect::<Vec<_>>().join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    let (status, reasons, messages) = row_of(&rows, "A1");
    assert_eq!(status, "rejected");
    assert!(reasons.starts_with("invalid_field:"), "{reasons}");
    assert!(messages.contains("9列しかありません"), "{messages}");
    assert_eq!(row_of(&rows, "A2").0, "accepted");
}

#[test]
fn a_csv_with_mixed_encodings_is_read_whole_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "day");
    day.write_csv(true, "sjis");
    // Append a third application written in UTF-8 to the Shift_JIS file.
    day.apps.clear();
    let mut extra = app("A3", "E3");
    extra.insert("name_kanji", s("鈴木 一郎"));
    day.apps.push(extra);
    let text = csv_text(&app_columns(), &day.apps, true);
    let utf8_line = text.lines().nth(1).unwrap();
    let path = day.dir.join("applications.csv");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(format!("{utf8_line}\n").as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let outcome = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert!(
        outcome.summary.notes.iter().any(|n| n.contains("mixed encodings") && n.contains("lines 4")),
        "{:?}",
        outcome.summary.notes
    );
    let rows = screening(tmp.path(), "day");
    assert_eq!(rows.len(), 3);
    assert_eq!(row_of(&rows, "A1").0, "accepted");
}

#[test]
fn unknown_columns_are_reported_once_and_kept_out() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "day");
    day.write_csv(false, "utf8");
    let path = day.dir.join("applications.csv");
    let text = std::fs::read_to_string(&path).unwrap().replacen("\n", ",備考\n", 1);
    std::fs::write(&path, text).unwrap();
    day.apps.clear();
    let outcome = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert!(
        outcome.summary.notes.iter().any(|n| n.contains("not in the contract") && n.contains("備考")),
        "{:?}",
        outcome.summary.notes
    );
}

#[test]
fn scans_truncated_bombed_broken_or_outside_are_refused_per_document() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = Day::new(tmp.path(), "day");
    for i in 1..=6 {
        day.clean(&format!("A{i}"), &format!("E{i}"));
    }
    let scans = day.dir.join("scans");
    // A1: truncated JPEG.
    write_scan(&scans.join("A1/seal.jpg"), ScanKind::Jpeg, "a1");
    let jpeg = std::fs::read(scans.join("A1/seal.jpg")).unwrap();
    std::fs::write(scans.join("A1/seal.jpg"), &jpeg[..jpeg.len() * 2 / 3]).unwrap();
    // A2: a PNG header claiming 20000 x 20000 on a tiny file.
    std::fs::write(scans.join("A2/seal.png"), bomb_png()).unwrap();
    // A3: a PDF cut before its page tree: nothing to repair from.
    let p = pdf(2, "x");
    let cut = p.windows(6).position(|w| w == b"/Pages").unwrap();
    std::fs::write(scans.join("A3/seal.pdf"), &p[..cut]).unwrap();
    // A5: a symlink pointing out of scans/.
    std::os::unix::fs::symlink("/etc/passwd", scans.join("A5/seal.png")).unwrap();
    let files = ["A1/seal.jpg", "A2/seal.png", "A3/seal.pdf", "../../etc/passwd", "A5/seal.png"];
    for (i, f) in files.iter().enumerate() {
        let row = day
            .docs
            .iter_mut()
            .find(|r| {
                matches!(r.get("application_id"), Some(V::S(a)) if *a == format!("A{}", i + 1))
                    && matches!(r.get("doc_type"), Some(V::S(t)) if t == "seal_certificate")
            })
            .unwrap();
        row.insert("file", s(f));
    }
    // A6: TIFF, and a PDF whose xref table was lost: lopdf rebuilds it from the objects,
    // as PDF readers do, so the scan is readable.
    write_scan(&scans.join("A6/form.tif"), ScanKind::Tiff, "a6");
    let p = pdf(2, "a6");
    let cut = p.windows(4).position(|w| w == b"xref").unwrap();
    std::fs::write(scans.join("A6/seal.pdf"), &p[..cut]).unwrap();
    for r in day.docs.iter_mut().filter(|r| matches!(r.get("application_id"), Some(V::S(a)) if a == "A6")) {
        match r.get("doc_type") {
            Some(V::S(t)) if t == "application_form" => r.insert("file", s("A6/form.tif")),
            Some(V::S(t)) if t == "seal_certificate" => r.insert("file", s("A6/seal.pdf")),
            _ => None,
        };
    }
    day.write_csv(false, "utf8");
    let outcome = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    let expect = [
        ("A1", "scan_unreadable:A1/seal.jpg", "truncated"),
        ("A2", "scan_unreadable:A2/seal.png", "limit"),
        ("A3", "scan_unreadable:A3/seal.pdf", "PDF"),
        ("A4", "invalid_field:file", "scans/ の外"),
        ("A5", "scan_unreadable:A5/seal.png", "読み取れません"),
    ];
    for (id, reason, hint) in expect {
        let (status, reasons, messages) = row_of(&rows, id);
        assert_eq!(status, "deficient", "{id}: {reasons}");
        assert!(reasons.contains(reason), "{id}: {reasons}");
        assert!(messages.contains(hint) || format!("{:?}", outcome.summary).contains(hint), "{id}: {messages}");
    }
    assert_eq!(row_of(&rows, "A6").0, "accepted", "{:?}", row_of(&rows, "A6"));
    // The symlink is named in the summary; the unlisted originals are too.
    assert!(
        outcome.summary.notes.iter().any(|n| n.contains("A5/seal.png") && n.contains("link")),
        "{:?}",
        outcome.summary.notes
    );
    assert!(outcome.summary.unlisted_scans.contains(&"A1/seal_certificate.png".to_string()));
}

/// A valid PNG whose header claims 20000 x 20000 pixels.
fn bomb_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::GrayImage::new(1, 1).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn folder_level_problems_stop_the_run_with_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let state = root.join("state");
    let state = state.to_str().unwrap();
    let out = root.join("out");
    let out = out.to_str().unwrap();

    let missing = root.join("no-such-day");
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let not_zip = root.join("not-zip");
    std::fs::create_dir_all(&not_zip).unwrap();
    std::fs::write(not_zip.join("applications.xlsx"), "application_id,envelope_id\nA1,E1\n").unwrap();
    let wrong_sheet = root.join("wrong-sheet");
    std::fs::create_dir_all(&wrong_sheet).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("Sheet1").unwrap().write_string(0, 0, "申込コード").unwrap();
    book.save(wrong_sheet.join("applications.xlsx")).unwrap();
    let foreign = root.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("applications.csv"), "Antragsnummer,Umschlag,Produkt\nA1,E1,x\n").unwrap();

    let cases: &[(&str, &std::path::Path, &str)] = &[
        ("missing folder", &missing, "does not exist"),
        ("xlsx that is not a zip", &not_zip, "not an xlsx workbook"),
        ("no applications sheet", &wrong_sheet, "no sheet named \"applications\" (sheets found: Sheet1)"),
        ("foreign header", &foreign, "no header row in English or Japanese"),
    ];
    for (name, dir, hint) in cases {
        let (code, _stdout, stderr) =
            cli(&["--state", state, "--out", out, "--as-of", "2026-11-19", "run", dir.to_str().unwrap()]);
        assert_ne!(code, 0, "{name}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(stderr.contains(hint), "{name}: {stderr}");
    }
    // A day on which nothing arrived is an ordinary day, not a failure.
    let (code, stdout, stderr) =
        cli(&["--state", state, "--out", out, "--as-of", "2026-11-19", "run", empty.to_str().unwrap()]);
    assert_eq!(code, 0, "empty folder: {stderr}");
    assert!(stdout.contains("nothing to read"), "{stdout}");
    // Nothing was recorded by any of them.
    assert!(
        !root.join("state/ledger.sqlite3").exists() || {
            let l = certbatch::ledger::Ledger::open_read_only(&root.join("state")).unwrap().unwrap();
            l.table_counts().unwrap()["applications"] == 0
        }
    );
}

#[test]
fn an_empty_applications_sheet_is_an_ordinary_empty_day() {
    let tmp = tempfile::tempdir().unwrap();
    let day = Day::new(tmp.path(), "day");
    day.write_xlsx(true);
    let outcome = run(tmp.path(), &day.dir, d(2026, 11, 19));
    assert_eq!(outcome.summary.applications, 0);
    assert!(outcome.summary.notes.iter().any(|n| n.contains("no rows")), "{:?}", outcome.summary.notes);
    assert_eq!(screening(tmp.path(), "day").len(), 0);
}

#[test]
fn check_decides_like_run_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut day = clean_day(tmp.path(), "day");
    day.apps[0].insert("email", s("not-an-address"));
    day.write_csv(false, "utf8");
    let checked = run_batch(&options(tmp.path(), &day.dir, d(2026, 11, 19), Mode::Check)).unwrap();
    assert!(!tmp.path().join("state").exists() && !tmp.path().join("out").exists());
    let ran = run(tmp.path(), &day.dir, d(2026, 11, 19));
    let summary = |o: &certbatch::run::Outcome| {
        o.decisions.iter().map(|d| (d.application_id.clone(), d.status, d.reasons())).collect::<Vec<_>>()
    };
    assert_eq!(summary(&checked), summary(&ran));
}

#[test]
fn check_previews_the_payments_and_issues_of_a_sample_day_as_run_then_decides_them() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    let day2 = samples().join("2026-11-20");
    let checked = run_batch(&options(tmp.path(), &day2, d(2026, 11, 20), Mode::Check)).unwrap();
    let ran = run(tmp.path(), &day2, d(2026, 11, 20));
    let decided = |o: &certbatch::run::Outcome| {
        let mut v: Vec<_> = o.decisions.iter().map(|d| (d.application_id.clone(), d.status, d.reasons())).collect();
        v.sort();
        v
    };
    assert_eq!(decided(&checked), decided(&ran));
    // Day 1's applications that day 2's transfers pay are among them, issued.
    let gd6 = checked.decisions.iter().find(|d| d.application_id == "GD-20261119-006").expect("listed by check");
    assert_eq!(gd6.status, certbatch::record::Status::Issued);
    assert_eq!(checked.summary.payments_by_status, ran.summary.payments_by_status);
    assert_eq!(checked.summary.issued, ran.issue.issued.len(), "what run issues, check foresaw");
}

#[test]
fn an_xlsx_written_by_openpyxl_is_read_like_ours() {
    ensure_python("openpyxl", "openpyxl");
    let tmp = tempfile::tempdir().unwrap();
    let day = clean_day(tmp.path(), "day");
    // Our builder writes CSV; openpyxl turns the same rows into a workbook with a title
    // row, Japanese headers, real datetime cells and sheets in the other order.
    day.write_csv(true, "utf8");
    let script = r#"
import csv, datetime, sys, openpyxl
d = sys.argv[1]
wb = openpyxl.Workbook()
wb.remove(wb.active)
for name in ("documents", "applications"):
    ws = wb.create_sheet(name)
    ws.append([f"{name} 2026-11-19 受付分"])
    rows = list(csv.reader(open(f"{d}/{name}.csv", encoding="utf-8")))
    ws.append(rows[0])
    for row in rows[1:]:
        out = []
        for v in row:
            try:
                out.append(datetime.datetime.strptime(v, "%Y-%m-%d"))
            except ValueError:
                out.append(v or None)
        ws.append(out)
wb.save(f"{d}/applications.xlsx")
"#;
    let st = std::process::Command::new("python3").args(["-c", script, day.dir.to_str().unwrap()]).status().unwrap();
    assert!(st.success());
    std::fs::remove_file(day.dir.join("applications.csv")).unwrap();
    std::fs::remove_file(day.dir.join("documents.csv")).unwrap();
    run(tmp.path(), &day.dir, d(2026, 11, 19));
    let rows = screening(tmp.path(), "day");
    assert_eq!(
        rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect::<Vec<_>>(),
        [("A1", "accepted"), ("A2", "accepted")]
    );
}
