//! One card or eToken at the card station, step by step through PKCS#11: initialised with
//! its own SO PIN and a fresh user PIN, the key pair born on it (sensitive, never
//! extractable), the certificate written beside the key under the same CKA_ID; or wiped.
//!
//! Each step is a function of its own so the station can record between them; none keeps a
//! PIN beyond its call.

use super::auth_pin;
use anyhow::{anyhow, Context, Result};
use cryptoki::context::Pkcs11;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::Ulong;

/// A session on the token logged in as its user.
fn user_session(m: &Pkcs11, slot: Slot, user_pin: &str) -> Result<Session> {
    let s = m.open_rw_session(slot).context("cannot open a session on the token")?;
    s.login(UserType::User, Some(&auth_pin(user_pin))).context("the token refuses its user PIN")?;
    Ok(s)
}

/// Whether the token takes `transport_so_pin` as its security officer's PIN: a login and
/// logout, nothing written. A refusal costs one of the SO PIN's tries.
pub fn check_so_pin(m: &Pkcs11, slot: Slot, transport_so_pin: &str) -> Result<()> {
    // The SO logs in only to a read-write session.
    let s = m.open_rw_session(slot).context("cannot open a session on the token")?;
    s.login(UserType::So, Some(&auth_pin(transport_so_pin)))
        .context("the token refuses the stock's transport SO PIN (CERTBATCH_BLANK_SO_PIN)")?;
    s.logout().context("cannot log out of the token")?;
    Ok(())
}

/// Initialises the token anew under `label` with the stock's transport SO PIN, erasing
/// whatever it held. When this fails the token was not changed.
pub fn relabel(m: &Pkcs11, slot: Slot, transport_so_pin: &str, label: &str) -> Result<()> {
    m.init_token(slot, &auth_pin(transport_so_pin), label)
        .context("the token refuses the stock's transport SO PIN (CERTBATCH_BLANK_SO_PIN)")
}

/// Moves a freshly initialised token's security-officer PIN from the transport PIN to
/// `so_pin`, and sets the user PIN.
pub fn set_pins(m: &Pkcs11, slot: Slot, transport_so_pin: &str, so_pin: &str, user_pin: &str) -> Result<()> {
    let s = m.open_rw_session(slot).context("cannot open a session on the token")?;
    s.login(UserType::So, Some(&auth_pin(transport_so_pin))).context("cannot log in as the token's SO")?;
    s.set_pin(&auth_pin(transport_so_pin), &auth_pin(so_pin)).context("cannot set the token's own SO PIN")?;
    s.init_pin(&auth_pin(user_pin)).context("cannot set the token's user PIN")?;
    s.logout().context("cannot log out of the token")?;
    Ok(())
}

/// Generates an RSA key pair of `bits` on the token under `id` and `label`: the private key
/// private, sensitive and never extractable, for signing only. Returns the public key.
pub fn generate_key(
    m: &Pkcs11,
    slot: Slot,
    user_pin: &str,
    bits: usize,
    id: &[u8],
    label: &str,
) -> Result<spki::SubjectPublicKeyInfoOwned> {
    let s = user_session(m, slot, user_pin)?;
    let public = [
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        Attribute::ModulusBits(Ulong::from(bits as u64)),
        Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let private = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let (public, _) = s
        .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .context("the token cannot generate the key pair")?;
    let key = rsa_public_key(&s, public)?;
    spki::SubjectPublicKeyInfoOwned::from_key(&key).map_err(|e| anyhow!("cannot encode the token's public key: {e}"))
}

/// The RSA public key of a public-key object.
pub(super) fn rsa_public_key(s: &Session, object: ObjectHandle) -> Result<rsa::RsaPublicKey> {
    let attrs = s
        .get_attributes(object, &[AttributeType::Modulus, AttributeType::PublicExponent])
        .context("cannot read the public key from the token")?;
    let (mut n, mut e) = (None, None);
    for a in attrs {
        match a {
            Attribute::Modulus(v) => n = Some(v),
            Attribute::PublicExponent(v) => e = Some(v),
            _ => {}
        }
    }
    let (Some(n), Some(e)) = (n, e) else { anyhow::bail!("the token's public key has no modulus or exponent") };
    rsa::RsaPublicKey::new(rsa::BoxedUint::from_be_slice_vartime(&n), rsa::BoxedUint::from_be_slice_vartime(&e))
        .map_err(|e| anyhow!("the token's public key is not a usable RSA key: {e}"))
}

/// Writes the certificate to the token beside its key: same CKA_ID and label, with the
/// subject, issuer and serial number middleware looks certificates up by.
pub fn store_certificate(
    m: &Pkcs11,
    slot: Slot,
    user_pin: &str,
    id: &[u8],
    label: &str,
    cert_der: &[u8],
) -> Result<()> {
    use der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert_der).context("the certificate to store does not parse")?;
    let tbs = cert.tbs_certificate();
    let s = user_session(m, slot, user_pin)?;
    s.create_object(&[
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Modifiable(false),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Subject(tbs.subject().to_der()?),
        Attribute::Issuer(tbs.issuer().to_der()?),
        Attribute::SerialNumber(tbs.serial_number().to_der()?),
        Attribute::Value(cert_der.to_vec()),
    ])
    .context("cannot write the certificate to the token")?;
    Ok(())
}

/// The certificate stored on the token under `id`, if any (the station reads it back
/// before recording, so what it records is what the card holds).
pub fn stored_certificate(m: &Pkcs11, slot: Slot, user_pin: &str, id: &[u8]) -> Result<Option<Vec<u8>>> {
    let s = user_session(m, slot, user_pin)?;
    let found = s
        .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE), Attribute::Id(id.to_vec())])
        .context("cannot search the token")?;
    let Some(&object) = found.first() else { return Ok(None) };
    let value = s.get_attributes(object, &[AttributeType::Value])?;
    Ok(value.into_iter().find_map(|a| match a {
        Attribute::Value(v) => Some(v),
        _ => None,
    }))
}

/// Erases the token by initialising it again under `label`, with the first of `so_pins`
/// it accepts (its own SO PIN, or the stock's transport PIN when the station was stopped
/// before changing it). The token keeps the SO PIN that opened it.
pub fn wipe(m: &Pkcs11, slot: Slot, so_pins: &[&str], label: &str) -> Result<()> {
    let mut last = None;
    for pin in so_pins {
        match m.init_token(slot, &auth_pin(pin), label) {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => anyhow!("the token accepts none of the SO PINs the station knows for it: {e}"),
        None => anyhow!("no SO PIN to wipe the token with"),
    })
}
