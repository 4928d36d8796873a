//! The fuzz targets on stable Rust, bounded: every committed seed of `fuzz/corpus/<target>/`
//! and a fixed number of deterministic mutations of each (bit flips, byte changes, cuts,
//! repeats, inserted separators and era names) go through the same entry points `cargo
//! fuzz` drives (`certbatch::fuzzing`). No input may panic. The long, coverage-guided runs
//! are `cargo +nightly fuzz run <target>` (README: Fuzzing).

use std::path::Path;

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b",",
    b"\"",
    b"\r\n",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",
    "令和".as_bytes(),
    "元年".as_bytes(),
    b"R99.",
    b"\x82\xa0",
    b"0000000000",
    b"99999999999999999999",
    b"-1",
    b"=cmd|",
    b"\x00",
    b"\xff",
];

fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = v.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below((len - at).min(64) + 1);
                v.drain(at..at + n);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below((len - at).min(256) + 1);
                let chunk = v[at..at + n].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let to = rng.below(v.len() + 1);
                v.splice(to..to, t.iter().copied());
            }
            5 if len > 0 => v.truncate(rng.below(len)),
            _ => {
                let to = rng.below(v.len() + 1);
                let bytes: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
                v.splice(to..to, bytes);
            }
        }
    }
    v
}

#[test]
fn no_committed_seed_or_mutation_of_it_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut failures = Vec::new();
    let mut inputs = 0usize;
    for (name, target) in certbatch::fuzzing::TARGETS {
        let dir = root.join(name);
        let mut seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-")))
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{name} has seeds");
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            // Workbooks are zips: most mutations fail their checks at once, a few go deep.
            let rounds = if data.len() > 20_000 { 40 } else { 300 };
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ data.len() as u64);
            for round in 0..=rounds {
                let input = if round == 0 { data.clone() } else { mutate(&data, &mut rng) };
                inputs += 1;
                if std::panic::catch_unwind(|| target(&input)).is_err() {
                    let file = std::env::temp_dir().join(format!("certbatch-fuzz-{name}-{round}"));
                    std::fs::write(&file, &input).unwrap();
                    failures.push(format!(
                        "{name}: {} round {round} (input kept in {})",
                        seed.display(),
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {inputs} inputs panicked:\n{}", failures.len(), failures.join("\n"));
    assert!(inputs > 5_000, "{inputs}");
}
