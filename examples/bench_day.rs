//! Writes a benchmark day for profiling a whole run by hand:
//!
//! `cargo run --release --example bench_day -- gid|aosign N DIR` makes `DIR/2026-11-19/`
//! with N clean applications (G-ID ones paid by an SMBC statement in `transfers/`), as
//! `cargo bench --bench issuance` builds them. Then, for example:
//! `certbatch --state S --out O --as-of 2026-11-19 keys fill --count N` and
//! `perf record -g certbatch --state S --out O --as-of 2026-11-19 run DIR/2026-11-19`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, kind, n, dir] = args.as_slice() else {
        eprintln!("usage: bench_day gid|aosign N DIR");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a count");
    let root = Path::new(dir);
    let mut day = Day::new(root, "2026-11-19");
    match kind.as_str() {
        "gid" => {
            let mut credits = Vec::with_capacity(n);
            for i in 0..n {
                day.gid_paid(&format!("G{i:06}"), i, &mut credits);
            }
            std::fs::create_dir_all(day.dir.join("transfers")).expect("transfers/");
            std::fs::write(day.dir.join("transfers/smbc.csv"), smbc_statement(&credits)).expect("the statement");
        }
        "aosign" => {
            for i in 0..n {
                let envelope = format!("E{:05}", i / 10);
                day.aosign(&format!("A{i:06}"), &envelope);
                if i % 10 == 0 {
                    day.company_docs(&envelope);
                }
            }
        }
        other => panic!("unknown kind {other}: gid or aosign"),
    }
    day.write_csv(false, "utf8");
    println!("{}", day.dir.display());
}
