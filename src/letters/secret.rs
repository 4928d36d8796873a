//! The secret letters: the PIN letter and the download-password letter of a certificate,
//! routed by the product's delivery table (see [`super::routing`]).
//!
//! Issuance hands each [`Signed`] certificate here before anything is recorded; the letter
//! is the only place its PIN ever exists (by law the CA may not keep it). Before a key is
//! made, [`preflight`] lays the same letters out with stand-in secrets of the same length
//! and checks their files can be written, so a letter that cannot be made holds its
//! application instead of costing a key, a voided serial and a stuck run.

use super::routing::{plan, PlannedLetter};
use super::templates::fill;
use super::writer::{Envelope, LetterError, LetterKit, Prepared};
use crate::issue::secrets::Pin;
use crate::issue::{CertFacts, SignError, Signed};
use crate::product::Product;
use crate::record::Application;
use crate::status::Hold;
use std::collections::BTreeMap;
use std::path::Path;

/// The letter of `kind` for `app`, with `secret` in its box.
fn compose(
    kit: &LetterKit,
    app: &Application,
    product: &Product,
    l: &PlannedLetter,
    facts: &CertFacts,
    secret: &str,
) -> Option<super::letter_pdf::Letter> {
    let t = kit.templates().get(&app.product, l.kind)?;
    let mut values: BTreeMap<&str, String> = BTreeMap::from([
        ("name", l.addressee.name.clone()),
        ("applicant_name", app.name_kanji.clone()),
        ("application_id", app.id.clone()),
        ("product_name", product.name_ja.clone()),
        ("serial", facts.serial.clone()),
        ("not_before", facts.not_before.clone()),
        ("not_after", facts.not_after.clone()),
        ("download_expires", facts.download_expires.clone().unwrap_or_default()),
        ("ca_name", kit.ca_name().to_string()),
        ("issue_date", facts.not_before.clone()),
        ("card_number", facts.card_number.clone().unwrap_or_default()),
    ]);
    let routes = if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
    if let Some(card) = routes.get("card") {
        let card_to = match card.to {
            crate::product::Recipient::Proxy => app.proxy_name.clone().unwrap_or_default(),
            _ => app.name_kanji.clone(),
        };
        values.insert("card_to", card_to);
        values.insert("card_post", super::routing::post_name(card.post).to_string());
        let together = card.to == l.to && card.post == l.post;
        let sentence = fill(if together { &t.card_together } else { &t.card_apart }, &values);
        values.insert("card_delivery", sentence);
    }
    Some(super::letter_pdf::Letter {
        title: fill(&t.title, &values),
        address_lines: LetterKit::address_lines(&l.addressee),
        reference: format!("お申し込みコード: {}　{}", app.id, super::routing::post_name(l.post)),
        paragraphs: t.paragraphs.iter().map(|p| fill(p, &values)).collect(),
        secret_label: Some(fill(&t.secret_label, &values)),
        secret: Some(secret.to_string()),
        footer_lines: t.footer.iter().map(|p| fill(p, &values)).collect(),
    })
}

/// The secret letters this certificate gets, with the secret each carries.
fn secrets_of<'s>(l: &PlannedLetter, pin: &'s str, password: Option<&'s str>) -> Option<&'s str> {
    match l.kind {
        "pin" => Some(pin),
        "download_password" => password,
        _ => None,
    }
}

/// Lays out the secret letters `app` will get, with stand-in secrets, and checks their
/// files can be written (unless `probes` is `None`: a card's letters are written by the card
/// station, in its own folder): `Err` holds the application before anything is signed.
pub fn preflight(
    kit: &LetterKit,
    out_b: &Path,
    probes: Option<&crate::fsio::Probes>,
    app: &Application,
    product: &Product,
    facts: &CertFacts,
    wants_password: bool,
) -> Result<(), Hold> {
    // The widest PIN character and the password's digits: the same box as the real ones.
    let pin = "W".repeat(Pin::LEN);
    let password = wants_password.then(|| "0".repeat(8));
    for l in plan(app, product) {
        let Some(secret) = secrets_of(&l, &pin, password.as_deref()) else { continue };
        let Some(letter) = compose(kit, app, product, &l, facts, secret) else {
            return Err(Hold::check(&app.id, &format!("letter_unprintable:{}", l.kind), "no template".into()));
        };
        if let Err(why) = kit.check(&letter) {
            return Err(Hold::check(&app.id, &format!("letter_unprintable:{}", l.kind), why.to_string()));
        }
        let file = format!("letters/{}/{}.pdf", l.kind, app.id);
        if let Err(why) = probes.map_or(Ok(()), |p| p.writable(out_b, &file)) {
            return Err(Hold::check(&app.id, &format!("letter_unwritable:{}", l.kind), why));
        }
    }
    Ok(())
}

/// Writes the secret letters of a signed certificate (each 0600) under `out_b`. A letter
/// that cannot be written concerns this certificate only ([`SignError::One`], sticky: it
/// is not signed again until staff release it), unless the disk itself failed.
pub fn write(kit: &LetterKit, out_b: &Path, signed: &Signed, product: &Product) -> Result<Vec<Prepared>, SignError> {
    let Some(secrets) = signed.secrets() else { return Ok(Vec::new()) };
    let app = &signed.application;
    let facts = signed.facts();
    let password = secrets.download_password.as_ref().map(|p| p.expose_secret());
    let mut out = Vec::new();
    for l in plan(app, product) {
        let Some(secret) = secrets_of(&l, secrets.pin.expose_secret(), password) else { continue };
        let code = |what: &str| format!("{what}:{}", l.kind);
        let letter = compose(kit, app, product, &l, &facts, secret)
            .ok_or_else(|| SignError::One(Hold::sticky(&app.id, &code("letter_unprintable"), "no template".into())))?;
        let env = Envelope { id: &app.id, kind: l.kind, post: l.post, to: &l.addressee };
        match kit.write(out_b, env, letter, true) {
            Ok(p) => out.push(p),
            Err(LetterError::Layout(why)) => {
                return Err(SignError::One(Hold::sticky(&app.id, &code("letter_unprintable"), why.to_string())))
            }
            Err(LetterError::Unwritable { file, cause }) => {
                if crate::issue::is_run_failure(&cause) {
                    return Err(SignError::Run(cause.context(format!("cannot write {file}"))));
                }
                return Err(SignError::One(Hold::sticky(
                    &app.id,
                    &code("letter_unwritable"),
                    format!("cannot write {file}: {cause:#}"),
                )));
            }
        }
    }
    Ok(out)
}
