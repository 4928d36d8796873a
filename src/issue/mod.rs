//! Issuance: key pairs, certificates and PKCS#12 files, in parallel, exactly once.

pub mod secrets;
pub mod validity;
