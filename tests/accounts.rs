//! Nothing lost, nothing changed by a rerun: every physical record of every input file of
//! the sample days is found in `rows.csv`, counted by readers certbatch did not write
//! (Python's `csv` and openpyxl), in every line ending and encoding staff produce; and a
//! second run of each day leaves every output file and every status exactly as it was.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Counts what a batch folder holds, the way an independent reader sees it, and checks
/// each record is in `rows.csv` (and each application row's id in `screening.csv`).
/// Prints the number of records it checked.
const ACCOUNT_CHECK: &str = r#"
import csv, io, os, sys
batch, out = sys.argv[1], sys.argv[2]

def text_of(data):
    if data[:3] == b'\xef\xbb\xbf':
        data = data[3:]
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data.decode('cp932')

def csv_rows(data):
    # newline='' semantics: CRLF, LF and CR all end a record; a blank line is a row.
    return list(csv.reader(io.StringIO(text_of(data), newline='')))

expected = []   # (file, sheet, row)
def table(name, sheet, rows):
    for i, row in enumerate(rows, start=1):
        if any(str(c).strip() for c in row if c is not None):
            expected.append((name, sheet, i))

xlsx = os.path.join(batch, 'applications.xlsx')
if os.path.exists(xlsx):
    import openpyxl
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    for ws in wb.worksheets:
        if ws.title in ('applications', 'documents', '申込', '書類'):
            table('applications.xlsx', ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
for name in ('applications.csv', 'documents.csv', 'receipts.csv', 'revocations.csv'):
    p = os.path.join(batch, name)
    if os.path.exists(p):
        table(name, '', csv_rows(open(p, 'rb').read()))

scans = os.path.join(batch, 'scans')
scan_files = []
for root, dirs, files in os.walk(scans):
    for f in files:
        scan_files.append(os.path.relpath(os.path.join(root, f), batch).replace(os.sep, '/'))

statement_records = []  # (file, row)
tr = os.path.join(batch, 'transfers')
for root, dirs, files in os.walk(tr):
    for f in sorted(files):
        path = os.path.join(root, f)
        rel = os.path.relpath(path, batch).replace(os.sep, '/')
        data = open(path, 'rb').read()
        if data[:1] == b'1' and len(data.split(b'\n')[0].rstrip(b'\r')) % 200 == 0:
            n = 0
            for line in data.split(b'\n'):
                line = line.rstrip(b'\r')
                if not line.strip(b' '):
                    continue
                for k in range(0, len(line), 200):
                    n += 1
                    statement_records.append((rel, n))
        else:
            for i, row in enumerate(csv_rows(data), start=1):
                if any(c.strip() for c in row):
                    statement_records.append((rel, i))

accounted = set()
kinds = {}
with open(os.path.join(out, 'rows.csv'), newline='', encoding='utf-8') as f:
    for r in csv.DictReader(f):
        key = (r['file'], r['sheet'], int(r['row']))
        accounted.add(key)
        kinds.setdefault(key, []).append((r['kind'], r['id'], r['outcome']))

missing = [e for e in expected if e not in accounted]
missing += [(s, '', 0) for s in scan_files if (s, '', 0) not in accounted]
missing += [(f, '', n) for (f, n) in statement_records if (f, '', n) not in accounted]
assert not missing, ('not accounted for', missing[:20], len(missing))

screened = set()
with open(os.path.join(out, 'screening.csv'), newline='', encoding='utf-8') as f:
    for r in csv.DictReader(f):
        screened.add(r['application_id'].lstrip("'"))
for key, ks in kinds.items():
    for kind, ident, outcome in ks:
        if kind == 'application' and outcome != 'read_once':
            assert ident.lstrip("'") in screened, ('application row without a decision', key, ident)
print(len(expected) + len(scan_files) + len(statement_records))
"#;

fn account_check(batch: &Path, out: &Path) -> usize {
    ensure_python("openpyxl", "openpyxl");
    let o = std::process::Command::new("python3")
        .args(["-c", ACCOUNT_CHECK, batch.to_str().unwrap(), out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}{}",
        batch.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

#[test]
fn every_record_of_both_sample_days_is_accounted_for() {
    let tmp = tempfile::tempdir().unwrap();
    for (day, as_of) in [("2026-11-19", d(2026, 11, 19)), ("2026-11-20", d(2026, 11, 20))] {
        run(tmp.path(), &samples().join(day), as_of);
        let n = account_check(&samples().join(day), &tmp.path().join("out").join(day));
        assert!(n > 400, "{day}: {n} records");
    }
}

/// The 2026-11-20 sample day rewritten with other line endings and encodings.
fn variant(root: &Path, name: &str, ending: &str, encoding: &str) -> PathBuf {
    let from = samples().join("2026-11-20");
    let to = root.join(name);
    for e in walkdir::WalkDir::new(&from) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(&from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if matches!(e.file_name().to_str(), Some("applications.csv" | "documents.csv")) {
            let bytes = std::fs::read(e.path()).unwrap();
            let text = encoding_rs::SHIFT_JIS.decode(&bytes).0.replace("\r\n", "\n").replace('\n', ending);
            std::fs::write(&target, encode(&text, encoding)).unwrap();
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
    to
}

#[test]
fn every_line_ending_and_encoding_reads_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let mut decided: BTreeMap<String, Vec<(String, String, String, String)>> = BTreeMap::new();
    for (ending_name, ending) in [("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r")] {
        for encoding in ["utf8", "utf8bom", "sjis"] {
            let name = format!("v-{ending_name}-{encoding}");
            let dir = variant(tmp.path(), &name, ending, encoding);
            // Each variant in its own state, so each is a first reading of the day.
            let root = tmp.path().join(format!("root-{name}"));
            let out = run(&root, &dir, d(2026, 11, 20));
            assert_eq!(out.summary.rows_read, 245, "{name}: every data row of both files is read");
            account_check(&dir, &root.join("out").join(&name));
            decided.insert(name.clone(), screening(&root, &name));
        }
    }
    // Every variant decides every application alike.
    let first = decided.values().next().unwrap().clone();
    assert!(first.iter().any(|r| r.0 == "GD-20261120-001"), "the first data row is read");
    for (name, rows) in &decided {
        assert_eq!(rows, &first, "{name}");
    }
}

/// Every output file (name → SHA-256) under `out`, the state folder left out.
fn snapshot(out: &Path) -> BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && !e.path().starts_with(out.join("state")))
        .map(|e| {
            let rel = e.path().strip_prefix(out).unwrap().display().to_string();
            (rel, certbatch::record::hex(&Sha256::digest(std::fs::read(e.path()).unwrap())))
        })
        .collect()
}

fn statuses(root: &Path) -> BTreeMap<String, (certbatch::record::Status, String)> {
    certbatch::ledger::Ledger::open_read_only(&root.join("state")).unwrap().unwrap().statuses().unwrap()
}

#[test]
fn a_rerun_of_each_sample_day_changes_no_file_and_no_status() {
    let tmp = tempfile::tempdir().unwrap();
    for (day, as_of) in [("2026-11-19", d(2026, 11, 19)), ("2026-11-20", d(2026, 11, 20))] {
        let first = run(tmp.path(), &samples().join(day), as_of);
        assert!(!first.issue.issued.is_empty(), "{day} issues certificates");
        let files = snapshot(&tmp.path().join("out"));
        let before = statuses(tmp.path());
        let again = run(tmp.path(), &samples().join(day), as_of);
        assert!(again.issue.issued.is_empty(), "{day}: nothing is issued twice");
        assert_eq!(statuses(tmp.path()), before, "{day}: every status as it was");
        let after = snapshot(&tmp.path().join("out"));
        let changed: Vec<&String> = after.iter().filter(|(k, v)| files.get(*k) != Some(*v)).map(|(k, _)| k).collect();
        assert!(changed.is_empty(), "{day}: a rerun changed {changed:?}");
        assert_eq!(after.len(), files.len(), "{day}: a rerun added or removed files");
    }
    // Day 1 run again after day 2 cured two of its deficiencies: the notices day 1 printed
    // (and their print files) stay as they were.
    let letters = tmp.path().join("out/2026-11-19/letters");
    let printed = |n: &str| std::fs::read(letters.join(n)).unwrap();
    let before = (printed("manifest-notices.csv"), printed("print-deficiency-registered-notices.pdf"));
    run(tmp.path(), &samples().join("2026-11-19"), d(2026, 11, 19));
    assert!(String::from_utf8_lossy(&before.0).contains("GD-20261119-004-deficiency"), "the notice was printed");
    assert_eq!((printed("manifest-notices.csv"), printed("print-deficiency-registered-notices.pdf")), before);
}
