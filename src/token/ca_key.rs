//! The issuing CA's key on a PKCS#11 token (an HSM; SoftHSM2 in the tests): found by its
//! label, used through CKM_SHA256_RSA_PKCS, never read out.
//!
//! PKCS#11 sessions are single-threaded, and issuance signs from every core: the key keeps a
//! small stack of logged-in sessions and each signature borrows one.

use super::auth_pin;
use crate::issue::ca::CaKey;
use anyhow::{anyhow, Context, Result};
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use std::path::Path;
use std::sync::Mutex;

/// A CA key on a token.
pub struct TokenCaKey {
    module: Pkcs11,
    slot: Slot,
    key: ObjectHandle,
    idle: Mutex<Vec<Session>>,
}

impl std::fmt::Debug for TokenCaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCaKey").field("slot", &self.slot.id()).finish_non_exhaustive()
    }
}

impl TokenCaKey {
    /// Opens the token labelled `token_label` on `module`, logs in with `pin` and finds the
    /// private key labelled `key_label`.
    pub fn open(module: &Path, token_label: &str, key_label: &str, pin: &str) -> Result<TokenCaKey> {
        let m = super::module(module)?;
        let token = super::token_labelled(&m, token_label)?;
        let s = m.open_ro_session(token.slot).context("cannot open a session on the CA's token")?;
        match s.login(UserType::User, Some(&auth_pin(pin))) {
            // Another session of this process logged in already: the login is the token's.
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(e).context(format!("the token {token_label:?} refuses the CA key's PIN")),
        }
        let found = s
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(key_label.as_bytes().to_vec()),
            ])
            .context("cannot search the CA's token")?;
        let key = match found.as_slice() {
            [one] => *one,
            [] => anyhow::bail!("the token {token_label:?} holds no private key labelled {key_label:?}"),
            _ => anyhow::bail!("the token {token_label:?} holds several private keys labelled {key_label:?}"),
        };
        Ok(TokenCaKey { module: m, slot: token.slot, key, idle: Mutex::new(vec![s]) })
    }

    fn session(&self) -> Result<Session> {
        let idle = self.idle.lock().map_err(|_| anyhow!("a signing thread panicked"))?.pop();
        match idle {
            Some(s) => Ok(s),
            // A new session shares the token's login.
            None => self.module.open_ro_session(self.slot).context("cannot open a session on the CA's token"),
        }
    }
}

impl CaKey for TokenCaKey {
    fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>> {
        let s = self.session()?;
        let signature = s.sign(&Mechanism::Sha256RsaPkcs, self.key, message).context("the CA's token cannot sign")?;
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(s);
        }
        Ok(signature)
    }
}
