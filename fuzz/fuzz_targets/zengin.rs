//! `cargo fuzz run zengin`: see certbatch::fuzzing::zengin.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| certbatch::fuzzing::zengin(data));
