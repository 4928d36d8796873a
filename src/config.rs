//! Every rule and setting a run uses, read and checked before any work: the products, the
//! CA, the bank profiles, the letter templates, font and layout, and the mail settings.
//!
//! A mistake in any of them stops the run with one line naming the file (and key or line)
//! before a batch is read, a ledger opened or a key made: a run that starts has everything
//! it needs, so it never fails half-way for want of configuration.

use crate::bank::csv_profiles::{load_profiles, BankProfile};
use crate::issue::ca_source::CaConfig;
use crate::letters::writer::LetterKit;
use crate::letters::MailConfig;
use crate::pipelines::{self, Pipelines};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The loaded configuration of one run.
pub struct Config {
    pub dir: PathBuf,
    pub pipelines: Pipelines,
    pub ca: CaConfig,
    /// Bank CSV profiles (`banks/*.toml`); empty when the folder is absent (then only
    /// Zengin files can be read: a choice, not an error).
    pub banks: Vec<BankProfile>,
    pub letters: LetterKit,
    pub mail: MailConfig,
    /// The issuer of qualified invoices (`letters/invoicing.toml`).
    pub invoicing: crate::letters::invoices::Invoicing,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("dir", &self.dir)
            .field("products", &self.pipelines.products.keys().collect::<Vec<_>>())
            .field("ca", &self.ca.mode)
            .field("banks", &self.banks.iter().map(|b| &b.id).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads everything under `dir` (`--pipelines`).
    pub fn load(dir: &Path) -> Result<Config> {
        let pipelines = pipelines::load(dir)?;
        let ca = CaConfig::load(dir)?;
        let banks_dir = dir.join("banks");
        let banks =
            if banks_dir.is_dir() { load_profiles(&banks_dir).map_err(anyhow::Error::msg)? } else { Vec::new() };
        let mail = MailConfig::load(dir)?;
        let letters = LetterKit::load(dir, pipelines.products.keys().cloned(), mail.from_name.clone())?;
        let invoicing = crate::letters::invoices::Invoicing::load(dir)?;
        Ok(Config { dir: dir.to_path_buf(), pipelines, ca, banks, letters, mail, invoicing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")
    }

    fn copy_dir(from: &Path, to: &Path) {
        for e in walkdir::WalkDir::new(from) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(from).unwrap();
            if e.file_type().is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
            } else {
                std::fs::copy(e.path(), to.join(rel)).unwrap();
            }
        }
    }

    #[test]
    fn the_shipped_configuration_loads() {
        let c = Config::load(&shipped()).unwrap();
        assert_eq!(c.ca.mode, crate::issue::ca_source::CaMode::Demo);
        assert!(c.banks.len() >= 5);
    }

    #[test]
    fn without_a_ca_configuration_nothing_starts() {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&shipped(), tmp.path());
        std::fs::remove_file(tmp.path().join("ca/ca.toml")).unwrap();
        let err = format!("{:#}", Config::load(tmp.path()).unwrap_err());
        assert!(err.contains("no CA is configured") && err.contains("ca.toml"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn a_broken_template_or_layout_or_bank_profile_stops_the_start() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("template", "letters/pin.toml", "title = \"{nmae}\"\nsecret_label = \"x\"\nparagraphs = []\n", "nmae"),
            ("layout", "letters/layout.toml", "adr_top_mm = 3.0\n", "adr_top_mm"),
            ("bank profile", "banks/smbc.toml", "id = \"smbc\"\n", "smbc.toml"),
            ("ca", "ca/ca.toml", "mode = \"file\"\n", "needs both"),
        ];
        for (name, file, text, hint) in cases {
            let tmp = tempfile::tempdir().unwrap();
            copy_dir(&shipped(), tmp.path());
            std::fs::write(tmp.path().join(file), text).unwrap();
            let err = format!("{:#}", Config::load(tmp.path()).unwrap_err());
            assert!(err.contains(hint), "{name}: {err}");
        }
    }
}
