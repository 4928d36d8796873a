//! certbatch: the daily back-office pipeline of a Japanese certification authority.
//!
//! One day's run:
//!
//! ```text
//! pipelines/*.toml ─┐
//! BATCH_DIR ── intake ──> screen ──> (payments ──> issue ──> letters) ──> ledger ──> report
//!   rows, scans     findings per      later stages             one SQLite     screening.csv,
//!                   application                                transaction    report.txt
//! ```
//!
//! Error policy: a problem with one row, document or scan is a [`finding::Finding`] on
//! that application, named by file, sheet, row and column, and the rest of the batch goes
//! on. Only what stops the whole run (rules that do not load, a folder that cannot be
//! read, a busy or broken ledger) is an error, returned to `main` as one line.
//!
//! What certbatch does not do: it does not talk to a bank, a mail server or a printer;
//! it reads the files staff drop and writes the files staff send on.

pub mod archive;
pub mod bank;
pub mod cli;
pub mod config;
pub mod csr;
pub mod faults;
pub mod finding;
pub mod fsio;
pub mod fuzzing;
pub mod intake;
pub mod issue;
pub mod jpaddress;
pub mod jpdate;
pub mod ledger;
pub mod letters;
pub mod lifecycle;
pub mod mail;
pub mod payments;
pub mod pipelines;
pub mod product;
pub mod progress;
pub mod record;
pub mod recovery;
pub mod report;
pub mod run;
pub mod screen;
pub mod status;
pub mod text;
pub mod textfile;
pub mod timings;
pub mod token;

#[cfg(test)]
pub mod testkit;
