//! `cargo fuzz run date`: see certbatch::fuzzing::date.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| certbatch::fuzzing::date(data));
