//! Which CA signs, as `pipelines/ca/ca.toml` says: `mode = "demo"` (the demo CA in the
//! state folder, made on first use and announced loudly), `mode = "file"` (a real CA's
//! certificate chain and encrypted key) or `mode = "pkcs11"` (its chain, and its key on a
//! PKCS#11 token: an HSM). There is no default: without the file certbatch refuses to
//! start, so a production machine that lost its configuration can never issue from a demo
//! CA by accident. This module is the one place that knows where the keys are: the CA's,
//! the download-password hash's, the key pool's and the card station's.
//!
//! The passphrase or PIN of a real CA comes from an environment variable or a file, never
//! from the command line (it would show in `ps` and shell history).

use super::ca::Ca;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const CA_CONFIG: &str = "ca/ca.toml";
pub const DEMO_DIR: &str = "ca";
pub const PASSPHRASE_ENV: &str = "CERTBATCH_CA_PASSPHRASE";
/// The demo CA's download-password key, beside its encrypted key.
pub const DEMO_PASSWORD_KEY: &str = "DEMO-password.key";
/// The demo CA's key-pool key-encryption key, beside its encrypted key.
pub const DEMO_POOL_KEY: &str = "DEMO-pool.key";
/// The demo CA's card-station key (the SO PINs of cards derive from it), beside its key.
pub const DEMO_CARD_KEY: &str = "DEMO-cards.key";
/// Where the PIN of a CA key on a token is read from, unless `pin_env` names another.
pub const TOKEN_PIN_ENV: &str = "CERTBATCH_CA_TOKEN_PIN";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaMode {
    /// The DEMO CA in `STATE/ca/`: for trying certbatch out, never for production.
    Demo,
    /// A real CA: `chain` and `key` files.
    File,
    /// A real CA: its `chain` file, its key on a PKCS#11 token (`module`, `token_label`,
    /// `key_label`, the PIN from `pin_env` or `pin_file`).
    Pkcs11,
}

/// `pipelines/ca/ca.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    pub mode: CaMode,
    /// PEM: the issuing CA certificate, then the root (`file` mode).
    pub chain: Option<PathBuf>,
    /// Encrypted PKCS#8 PEM, or a PKCS#12 holding the issuing CA key (`file` mode).
    pub key: Option<PathBuf>,
    /// The environment variable holding the passphrase (default CERTBATCH_CA_PASSPHRASE).
    pub passphrase_env: Option<String>,
    /// A file holding the passphrase (first line), when no environment variable is used.
    pub passphrase_file: Option<PathBuf>,
    pub crl_url: Option<String>,
    pub aia_url: Option<String>,
    /// Hours from a CRL's thisUpdate to its nextUpdate (default 48).
    pub crl_period_hours: Option<u32>,
    /// The key of the download-password hash (64 hex digits, mode 0600), kept with the CA's
    /// key (`file` mode; the demo CA keeps its own). Without it, download passwords get the
    /// slow PBKDF2 hash.
    pub password_key_file: Option<PathBuf>,
    /// The key pool's key-encryption key (64 hex digits, mode 0600), kept with the CA's key
    /// (`file` mode; the demo CA keeps its own). Without it there is no key pool.
    pub pool_key_file: Option<PathBuf>,
    /// The card station's key (64 hex digits, mode 0600): each card's SO PIN is derived from
    /// it and the card's serial. Without it cards cannot be personalised (the demo CA keeps
    /// its own).
    pub card_key_file: Option<PathBuf>,
    /// `pkcs11` mode: the module (shared library) of the HSM.
    pub module: Option<PathBuf>,
    /// `pkcs11` mode: the label of the token holding the issuing CA's key.
    pub token_label: Option<String>,
    /// `pkcs11` mode: the label of the issuing CA's private key on that token.
    pub key_label: Option<String>,
    /// `pkcs11` mode: the environment variable holding the token's user PIN (default
    /// CERTBATCH_CA_TOKEN_PIN).
    pub pin_env: Option<String>,
    /// `pkcs11` mode: a file holding the token's user PIN (first line).
    pub pin_file: Option<PathBuf>,
}

impl CaConfig {
    pub fn crl_period_hours(&self) -> u32 {
        self.crl_period_hours.unwrap_or(48)
    }

    /// Reads and checks `pipelines/ca/ca.toml`; its absence is an error naming the fix.
    pub fn load(pipelines: &Path) -> Result<CaConfig> {
        let path = pipelines.join(CA_CONFIG);
        if !path.exists() {
            bail!(
                "no CA is configured: {} is missing; write `mode = \"demo\"` there to try certbatch with the DEMO CA, \
                 or name your CA's chain and key (README: The CA)",
                path.display()
            );
        }
        let cfg: CaConfig = crate::pipelines::read_toml(&path)?;
        if cfg.mode == CaMode::File && (cfg.chain.is_none() || cfg.key.is_none()) {
            bail!("{}: mode \"file\" needs both `chain` and `key`", path.display());
        }
        if cfg.mode == CaMode::Demo && (cfg.chain.is_some() || cfg.key.is_some()) {
            bail!("{}: mode \"demo\" takes no `chain` or `key` (use mode \"file\" for a real CA)", path.display());
        }
        let token = [cfg.module.is_some(), cfg.token_label.is_some(), cfg.key_label.is_some()];
        if cfg.mode == CaMode::Pkcs11 && (cfg.chain.is_none() || cfg.key.is_some() || token.contains(&false)) {
            bail!(
                "{}: mode \"pkcs11\" needs `chain`, `module`, `token_label` and `key_label`, and no `key`",
                path.display()
            );
        }
        if cfg.mode != CaMode::Pkcs11 && (token.contains(&true) || cfg.pin_env.is_some() || cfg.pin_file.is_some()) {
            bail!(
                "{}: `module`, `token_label`, `key_label`, `pin_env` and `pin_file` are for mode \"pkcs11\"",
                path.display()
            );
        }
        Ok(cfg)
    }
}

/// The CA with the URLs its certificates point to.
#[derive(Debug)]
pub struct SigningCa {
    pub ca: Ca,
    /// The key of the download-password hash, from the same place as the CA's key.
    pub password_key: Option<super::secrets::PasswordKey>,
    /// The key pool's key-encryption key, from the same place as the CA's key; none, no pool.
    pub pool_kek: Option<super::key_pool::PoolKek>,
    pub crl_url: Option<String>,
    pub aia_url: Option<String>,
}

fn demo_urls() -> (Option<String>, Option<String>) {
    (
        Some("http://demo-ca.certbatch.example.jp/publish/issuing-ca.crl".into()),
        Some("http://demo-ca.certbatch.example.jp/publish/issuing-ca.crt".into()),
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
    let ca = Ca::init_demo(&dir, &pass, now.checked_sub_months(chrono::Months::new(36)).unwrap_or(now))?;
    super::secrets::PasswordKey::open_or_create(&dir.join(DEMO_PASSWORD_KEY), true)?;
    Ok(ca)
}

/// The key pool's key-encryption key where the CA's keys are: the demo CA's own (made by
/// the first `keys fill` when `create`), or a real CA's `pool_key_file`. None when there is
/// none (no pool: keys are made on the spot). The one place that knows where it lives.
pub fn pool_kek(cfg: &CaConfig, state: &Path, create: bool) -> Result<Option<super::key_pool::PoolKek>> {
    let file = match (cfg.mode, &cfg.pool_key_file) {
        (CaMode::File | CaMode::Pkcs11, None) => return Ok(None),
        (CaMode::File | CaMode::Pkcs11, Some(f)) => f.clone(),
        (CaMode::Demo, _) => state.join(DEMO_DIR).join(DEMO_POOL_KEY),
    };
    if cfg.mode == CaMode::Demo && !file.exists() {
        if !create {
            return Ok(None);
        }
        let dir = state.join(DEMO_DIR);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
        eprintln!("certbatch: making the DEMO key pool's key-encryption key {}", file.display());
    }
    super::key_pool::PoolKek::open_or_create(&file, create && cfg.mode == CaMode::Demo).map(Some)
}

/// The KEK `keys fill` seals under (made for the demo CA on first use); an error naming the
/// fix when a real CA has none configured.
pub fn open_pool_kek(cfg: &CaConfig, state: &Path) -> Result<super::key_pool::PoolKek> {
    pool_kek(cfg, state, true)?.with_context(|| {
        format!("{CA_CONFIG}: no key pool: name a pool_key_file (64 hex digits, mode 0600) kept with the CA's key")
    })
}

/// The card station's key, where the CA's keys are: the demo CA's own (made on first use),
/// or a real CA's `card_key_file`; an error naming the fix when there is none.
pub fn card_key(cfg: &CaConfig, state: &Path) -> Result<crate::issue::key_file::SecretKey> {
    use crate::issue::key_file::SecretKey;
    match (cfg.mode, &cfg.card_key_file) {
        (CaMode::Demo, _) => {
            let dir = state.join(DEMO_DIR);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
            SecretKey::open_or_create(&dir.join(DEMO_CARD_KEY), CARD_KEY, true)
        }
        (_, Some(f)) => SecretKey::load(f, CARD_KEY),
        (_, None) => bail!("{NO_CARD_KEY}"),
    }
}

const CARD_KEY: &str = "card-station key";
const NO_CARD_KEY: &str = "pipelines/ca/ca.toml: no card-station key, which card products (a [cards] section) need: \
     name a card_key_file (64 hex digits, mode 0600) kept with the CA's key";

/// Whether the card station will find its key (the demo CA makes its own on first use).
pub fn check_card_key(cfg: &CaConfig) -> Result<()> {
    match (cfg.mode, &cfg.card_key_file) {
        (CaMode::Demo, _) => Ok(()),
        (_, Some(f)) => crate::issue::key_file::SecretKey::load(f, CARD_KEY).map(|_| ()),
        (_, None) => bail!("{NO_CARD_KEY}"),
    }
}

/// The issuing CA's key on its token (`pkcs11` mode).
fn token_ca(cfg: &CaConfig, chain: &Path) -> Result<Ca> {
    let (Some(module), Some(token), Some(key)) = (&cfg.module, &cfg.token_label, &cfg.key_label) else {
        bail!("{CA_CONFIG}: mode \"pkcs11\" needs `module`, `token_label` and `key_label`");
    };
    let env = cfg.pin_env.as_deref().unwrap_or(TOKEN_PIN_ENV);
    // The same sources as a file key's passphrase: an environment variable, or a file.
    let Some(pin) = read_passphrase(env, cfg.pin_file.as_deref())?.map(zeroize::Zeroizing::new) else {
        bail!("{CA_CONFIG}: no PIN for the CA's token: set {env} or name a pin_file");
    };
    let signer = crate::token::ca_key::TokenCaKey::open(module, token, key, &pin)?;
    Ca::with_key(Ca::read_chain(chain)?, chain, Box::new(signer))
}

/// The CA to sign with, as `cfg` says; `create` allows making the demo CA on first use.
pub fn open(
    cfg: &CaConfig,
    state: &Path,
    now: chrono::DateTime<chrono::FixedOffset>,
    create: bool,
) -> Result<SigningCa> {
    match cfg.mode {
        CaMode::File | CaMode::Pkcs11 => {
            let Some(chain) = &cfg.chain else {
                bail!("{CA_CONFIG}: a real CA needs its `chain`");
            };
            let ca = match (&cfg.key, cfg.mode) {
                (_, CaMode::Pkcs11) => token_ca(cfg, chain)?,
                (Some(key), _) => {
                    let env_name = cfg.passphrase_env.as_deref().unwrap_or(PASSPHRASE_ENV);
                    let Some(pass) = read_passphrase(env_name, cfg.passphrase_file.as_deref())? else {
                        bail!("{CA_CONFIG}: no CA passphrase: set {env_name} or name a passphrase_file");
                    };
                    Ca::load(chain, key, &pass)?
                }
                (None, _) => bail!("{CA_CONFIG}: mode \"file\" needs both `chain` and `key`"),
            };
            let password_key = cfg.password_key_file.as_deref().map(super::secrets::PasswordKey::load).transpose()?;
            let pool_kek = pool_kek(cfg, state, false)?;
            Ok(SigningCa { ca, password_key, pool_kek, crl_url: cfg.crl_url.clone(), aia_url: cfg.aia_url.clone() })
        }
        CaMode::Demo => {
            let dir = state.join(DEMO_DIR);
            let ca = if dir.join("DEMO-issuing.crt.pem").exists() {
                Ca::load_demo(&dir, &demo_passphrase(&dir)?)?
            } else if create {
                eprintln!("certbatch: making the DEMO CA in {} (pipelines/ca/ca.toml says mode = \"demo\") — NOT FOR PRODUCTION", dir.display());
                init_demo(state, now)?
            } else {
                bail!("no DEMO CA in {} yet: run `certbatch ca init`", dir.display());
            };
            let (crl_url, aia_url) = demo_urls();
            // A demo CA made before this key existed gets it on its next use. The pool's key
            // is made by the first `keys fill`: without a pool there is nothing to seal.
            let password_key = super::secrets::PasswordKey::open_or_create(&dir.join(DEMO_PASSWORD_KEY), true)?;
            Ok(SigningCa {
                ca,
                password_key: Some(password_key),
                pool_kek: pool_kek(cfg, state, false)?,
                crl_url: cfg.crl_url.clone().or(crl_url),
                aia_url: cfg.aia_url.clone().or(aia_url),
            })
        }
    }
}
