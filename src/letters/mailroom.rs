//! The mailroom's list of what to put in which envelope (`manifest.csv`): for each IC card,
//! eToken or CD-R to send, the medium, the PIN letter, the issue notice and the invoice, each
//! on its envelope (one per recipient and post method, the medium's first), as the product's
//! `[delivery]` routes them (seed 003: card, PIN, notice and invoice travel together by
//! 本人限定受取郵便 unless a proxy receives the card).

use crate::config::Config;
use crate::product::{DeliveryMethod, PostMethod, Recipient};
use crate::record::Application;
use anyhow::Result;
use std::collections::BTreeSet;

/// One medium to send and what it belongs to.
pub struct Parcel<'a> {
    pub application: &'a Application,
    /// The card's number (AOSign) and its token's label; empty for a CD-R.
    pub card_number: String,
    pub token_label: String,
    /// What to write on a CD-R (the PKCS#12, relative to the folder); empty for a card.
    pub medium_file: String,
}

/// The medium's name on the list and in notices: each product its own.
pub fn medium_name(method: DeliveryMethod) -> &'static str {
    match method {
        DeliveryMethod::Etoken => "イートークン（eToken）",
        DeliveryMethod::IcCard => "ICカード",
        DeliveryMethod::Media => "電子証明書を格納したCD-R",
        DeliveryMethod::Download | DeliveryMethod::Csr => "",
    }
}

/// `envelope,application_id,card_number,token_label,item,file,recipient,name,postal_code,address,post`.
/// `invoiced`: the applications whose invoice was printed (an invoice of nothing is not).
pub fn manifest(config: &Config, parcels: &[Parcel], invoiced: &BTreeSet<String>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "envelope",
        "application_id",
        "card_number",
        "token_label",
        "item",
        "file",
        "recipient",
        "name",
        "postal_code",
        "address",
        "post",
    ])?;
    for p in parcels {
        let app = p.application;
        let Some(product) = config.pipelines.product(&app.product) else { continue };
        let routes =
            if app.proxy_name.is_some() { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
        let keys: Vec<&str> = ["card", "media", "pin", "notice", "invoice"]
            .into_iter()
            .filter(|k| *k != "invoice" || invoiced.contains(&app.id))
            .filter(|k| routes.get(*k).is_some_and(|r| r.post != PostMethod::Email))
            .collect();
        // One envelope per recipient and post method; the medium's envelope first.
        let mut envelopes: Vec<(Recipient, PostMethod)> = Vec::new();
        for key in &keys {
            let route = &routes[*key];
            if !envelopes.contains(&(route.to, route.post)) {
                envelopes.push((route.to, route.post));
            }
        }
        for key in keys {
            let route = &routes[key];
            let n = envelopes.iter().position(|e| *e == (route.to, route.post)).unwrap_or(0) + 1;
            let title = |kind: &str| config.letters.templates().get(&app.product, kind).map(|t| t.title.clone());
            let (item, file) = match key {
                "card" | "media" => (medium_name(product.delivery.method).to_string(), p.medium_file.clone()),
                "pin" => (title("pin").unwrap_or_default(), format!("letters/pin/{}.pdf", app.id)),
                "invoice" => (title("invoice").unwrap_or_default(), format!("letters/invoice/{}.pdf", app.id)),
                _ => (title("receipt").unwrap_or_default(), format!("letters/receipt/{}.pdf", app.id)),
            };
            let to = super::notices::addressee(app, route.to);
            let recipient = match route.to {
                Recipient::Proxy => "proxy",
                Recipient::Company => "company",
                Recipient::Applicant => "applicant",
            };
            w.write_record([
                format!("{}-{n}", app.id),
                crate::text::defuse(&app.id),
                p.card_number.clone(),
                crate::text::defuse(&p.token_label),
                item,
                file,
                recipient.to_string(),
                crate::text::defuse(&to.name),
                crate::text::defuse(&to.postal_code),
                crate::text::defuse(&to.address),
                super::routing::post_name(route.post).to_string(),
            ])?;
        }
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::application;

    #[test]
    fn a_cd_r_goes_to_the_proxy_and_the_pin_apart_to_the_applicant() {
        let config = Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines")).unwrap();
        let mut app = application("M1");
        app.product = "gid-media".into();
        app.proxy_name = Some("田中 次郎".into());
        app.proxy_postal_code = Some("100-0001".into());
        app.proxy_address = Some("東京都千代田区千代田1-1".into());
        let parcel = Parcel {
            application: &app,
            card_number: String::new(),
            token_label: String::new(),
            medium_file: "certs/M1/cert.p12".into(),
        };
        let csv = String::from_utf8(manifest(&config, &[parcel], &BTreeSet::new()).unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[1].starts_with("M1-1,M1,,,電子証明書を格納したCD-R,certs/M1/cert.p12,proxy,田中 次郎,100-0001,"),
            "{csv}"
        );
        assert!(lines[1].ends_with(",本人限定受取郵便（基本型）"), "{csv}");
        assert!(
            lines.iter().any(|l| l.starts_with("M1-2,M1,,,")
                && l.contains("letters/pin/M1.pdf,applicant,")
                && l.ends_with(",簡易書留")),
            "{csv}"
        );
    }
}
