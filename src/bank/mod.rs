//! Bank statements: Zengin fixed-length files and bank CSV exports, turned into credits
//! whose identities survive re-imports. Bank CSV layouts are data in `pipelines/banks/`.

pub mod csv_profiles;
pub mod model;
pub mod statement;
pub mod zengin;

#[cfg(test)]
mod testutil;
