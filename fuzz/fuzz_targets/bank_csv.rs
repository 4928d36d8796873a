//! `cargo fuzz run bank_csv`: see certbatch::fuzzing::bank_csv.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| certbatch::fuzzing::bank_csv(data));
