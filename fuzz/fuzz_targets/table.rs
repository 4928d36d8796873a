//! `cargo fuzz run table`: see certbatch::fuzzing::table.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| certbatch::fuzzing::table(data));
