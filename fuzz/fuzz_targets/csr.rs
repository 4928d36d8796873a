//! `cargo fuzz run csr`: see certbatch::fuzzing::csr.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| certbatch::fuzzing::csr(data));
