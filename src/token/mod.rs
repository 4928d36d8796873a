//! PKCS#11 tokens: the IC cards and eTokens the card station personalises ([`card`]) and
//! the HSM that may hold the issuing CA's key ([`ca_key`]).
//!
//! A PKCS#11 module may be initialised once per process, and the station may use the same
//! module for the cards as the CA for its key (SoftHSM2 in the tests), so every module is
//! opened here, once, and shared.

pub mod ca_key;
pub mod card;

use anyhow::{anyhow, Context, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The module at `path`, loaded and initialised on first use.
pub fn module(path: &Path) -> Result<Pkcs11> {
    static OPEN: OnceLock<Mutex<BTreeMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut open = OPEN.get_or_init(Default::default).lock().map_err(|_| anyhow!("a PKCS#11 module panicked"))?;
    if let Some(m) = open.get(path) {
        return Ok(m.clone());
    }
    let m = Pkcs11::new(path).with_context(|| format!("cannot load the PKCS#11 module {}", path.display()))?;
    // The OS locking primitives: the CA signs from every core at once.
    m.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .with_context(|| format!("cannot initialise the PKCS#11 module {}", path.display()))?;
    open.insert(path.to_path_buf(), m.clone());
    Ok(m)
}

/// A token present in a slot, as CK_TOKEN_INFO names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRef {
    pub slot: Slot,
    pub label: String,
    /// The token's own serial number: what the ledger records against a card, since a
    /// label is rewritten at personalisation and a slot changes with the reader.
    pub serial: String,
    pub user_pin_initialized: bool,
}

/// Every token present on the module, in slot order.
pub fn tokens(m: &Pkcs11) -> Result<Vec<TokenRef>> {
    let mut out = Vec::new();
    for slot in m.get_slots_with_token().context("cannot list the PKCS#11 slots")? {
        let info = m.get_token_info(slot).with_context(|| format!("cannot read the token in slot {}", slot.id()))?;
        if !info.token_initialized() {
            continue;
        }
        out.push(TokenRef {
            slot,
            label: info.label().trim_end().to_string(),
            serial: info.serial_number().trim().to_string(),
            user_pin_initialized: info.user_pin_initialized(),
        });
    }
    Ok(out)
}

/// The token labelled `label`; an error when none or several are.
pub fn token_labelled(m: &Pkcs11, label: &str) -> Result<TokenRef> {
    let mut found: Vec<TokenRef> = tokens(m)?.into_iter().filter(|t| t.label == label).collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => anyhow::bail!("no PKCS#11 token is labelled {label:?}"),
        n => anyhow::bail!("{n} PKCS#11 tokens are labelled {label:?}: the label must name one"),
    }
}

/// A PIN for the module's calls (the crate's zeroizing secret string).
pub fn auth_pin(pin: &str) -> AuthPin {
    AuthPin::new(pin.into())
}
