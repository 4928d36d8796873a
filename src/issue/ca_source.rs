//! Which CA signs: a real one configured in `pipelines/ca/ca.toml`, or else the demo CA
//! in the state folder, made on first use and announced loudly.
//!
//! A real CA names its certificate chain and encrypted key files; the passphrase comes from
//! an environment variable or a file, never from the command line (it would show in `ps`
//! and shell history).

use super::ca::Ca;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CA_CONFIG: &str = "ca/ca.toml";
pub const DEMO_DIR: &str = "ca";
pub const PASSPHRASE_ENV: &str = "CERTBATCH_CA_PASSPHRASE";

/// `pipelines/ca/ca.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    /// PEM: the issuing CA certificate, then the root.
    pub chain: PathBuf,
    /// Encrypted PKCS#8 PEM, or a PKCS#12 holding the issuing CA key.
    pub key: PathBuf,
    /// The environment variable holding the passphrase (default CERTBATCH_CA_PASSPHRASE).
    pub passphrase_env: Option<String>,
    /// A file holding the passphrase (first line), when no environment variable is used.
    pub passphrase_file: Option<PathBuf>,
    pub crl_url: Option<String>,
    pub aia_url: Option<String>,
}

/// The CA with the URLs its certificates point to.
#[derive(Debug)]
pub struct SigningCa {
    pub ca: Ca,
    pub crl_url: Option<String>,
    pub aia_url: Option<String>,
}

fn demo_urls() -> (Option<String>, Option<String>) {
    (
        Some("http://demo-ca.certbatch.example/crl/issuing.crl".into()),
        Some("http://demo-ca.certbatch.example/issuing.crt".into()),
    )
}

fn read_passphrase(env_name: &str, file: Option<&Path>) -> Result<Option<String>> {
    if let Ok(v) = std::env::var(env_name) {
        return Ok(Some(v));
    }
    match file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the CA passphrase file {}", f.display()))?;
            Ok(Some(text.lines().next().unwrap_or_default().to_string()))
        }
        None => Ok(None),
    }
}

/// The demo CA's passphrase: the environment variable if set, else a random one kept
/// beside it (0600). Encryption at rest then guards copies of the key file, not the folder.
fn demo_passphrase(dir: &Path) -> Result<String> {
    if let Some(p) = read_passphrase(PASSPHRASE_ENV, None)? {
        return Ok(p);
    }
    let file = dir.join("DEMO-passphrase");
    if file.exists() {
        return Ok(std::fs::read_to_string(&file)?.trim().to_string());
    }
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    let pass = crate::record::hex(&bytes);
    crate::fsio::write_atomic(&file, pass.as_bytes(), true)?;
    Ok(pass)
}

/// Makes the demo CA (`certbatch ca init`). Refuses when one exists.
pub fn init_demo(state: &Path, now: chrono::DateTime<chrono::FixedOffset>) -> Result<Ca> {
    let dir = state.join(DEMO_DIR);
    if dir.join("DEMO-issuing.crt.pem").exists() {
        bail!("a demo CA already exists in {}", dir.display());
    }
    std::fs::create_dir_all(&dir)?;
    let pass = demo_passphrase(&dir)?;
    // The demo CA starts three years back so that replayed days (`--as-of`) before the
    // day it was made can still be issued; a real CA is never backdated.
    Ca::init_demo(&dir, &pass, now.checked_sub_months(chrono::Months::new(36)).unwrap_or(now))
}

/// The CA to sign with; `create` allows making the demo CA on first use.
pub fn open(
    pipelines: &Path,
    state: &Path,
    now: chrono::DateTime<chrono::FixedOffset>,
    create: bool,
) -> Result<SigningCa> {
    let config_path = pipelines.join(CA_CONFIG);
    if config_path.exists() {
        let text = std::fs::read_to_string(&config_path)?;
        let cfg: CaConfig =
            crate::pipelines::parse_toml(&config_path.display().to_string(), &text).map_err(anyhow::Error::msg)?;
        let env_name = cfg.passphrase_env.as_deref().unwrap_or(PASSPHRASE_ENV);
        let Some(pass) = read_passphrase(env_name, cfg.passphrase_file.as_deref())? else {
            bail!("{}: no CA passphrase: set {env_name} or name a passphrase_file", config_path.display());
        };
        let ca = Ca::load(&cfg.chain, &cfg.key, &pass)?;
        return Ok(SigningCa { ca, crl_url: cfg.crl_url, aia_url: cfg.aia_url });
    }
    let dir = state.join(DEMO_DIR);
    let ca = if dir.join("DEMO-issuing.crt.pem").exists() {
        Ca::load_demo(&dir, &demo_passphrase(&dir)?)?
    } else if create {
        eprintln!(
            "certbatch: no CA is configured ({}); making a DEMO CA in {} — NOT FOR PRODUCTION",
            config_path.display(),
            dir.display()
        );
        init_demo(state, now)?
    } else {
        bail!("no CA: configure {} or run `certbatch ca init`", config_path.display());
    };
    let (crl_url, aia_url) = demo_urls();
    Ok(SigningCa { ca, crl_url, aia_url })
}
