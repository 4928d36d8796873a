//! Who gets which secret letter, by which post, at which address (domain-rules §5), from
//! the product's `[delivery]` table: without a proxy both letters go to the applicant by
//! 本人限定受取郵便; with a proxy the download password goes to the proxy by 本人限定受取郵便
//! and the PIN to the applicant by 簡易書留. Each secret is its own letter in its own
//! envelope: the PIN and the password never travel together.

use crate::product::{PostMethod, Product, Recipient};
use crate::record::Application;

/// The secret letters certbatch prints.
pub const SECRET_LETTERS: &[&str] = &["pin", "download_password"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub name: String,
    pub postal_code: String,
    pub address: String,
}

/// One letter to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLetter {
    pub kind: &'static str,
    pub post: PostMethod,
    pub to: Recipient,
    pub addressee: Addressee,
}

/// 本人限定受取郵便（基本型） / 簡易書留, as the mailroom writes them.
pub fn post_name(post: PostMethod) -> &'static str {
    match post {
        PostMethod::Restricted => "本人限定受取郵便（基本型）",
        PostMethod::Registered => "簡易書留",
        PostMethod::Ordinary => "普通郵便",
        PostMethod::Email => "電子メール",
    }
}

/// A post method (as a manifest writes it) in a print file's name: `restricted`,
/// `registered`, `ordinary`, `email`.
pub fn post_slug(written: &str) -> &'static str {
    match post_label(written) {
        "本人限定受取郵便（基本型）" => "restricted",
        "簡易書留" => "registered",
        "普通郵便" => "ordinary",
        "電子メール" => "email",
        _ => "other",
    }
}

/// The `&'static` name of a post method as a manifest wrote it (`post_name`'s inverse).
pub fn post_label(written: &str) -> &'static str {
    [PostMethod::Restricted, PostMethod::Registered, PostMethod::Ordinary, PostMethod::Email]
        .into_iter()
        .map(post_name)
        .find(|n| *n == written)
        .unwrap_or("")
}

/// The secret letters of one certificate, as the product routes them.
pub fn plan(app: &Application, product: &Product) -> Vec<PlannedLetter> {
    let proxy = app.proxy_name.is_some();
    let routes = if proxy { &product.delivery.with_proxy } else { &product.delivery.without_proxy };
    SECRET_LETTERS
        .iter()
        .filter_map(|kind| {
            let route = routes.get(*kind)?;
            let addressee = match route.to {
                Recipient::Proxy => Addressee {
                    name: app.proxy_name.clone().unwrap_or_default(),
                    postal_code: app.proxy_postal_code.clone().unwrap_or_default(),
                    address: app.proxy_address.clone().unwrap_or_default(),
                },
                Recipient::Applicant | Recipient::Company => Addressee {
                    name: app.name_kanji.clone(),
                    postal_code: app.postal_code.clone(),
                    address: app.address.clone(),
                },
            };
            Some(PlannedLetter { kind, post: route.post, to: route.to, addressee })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{application, pipelines};

    #[test]
    fn each_post_method_has_its_print_file_name() {
        for (post, slug) in [
            (PostMethod::Restricted, "restricted"),
            (PostMethod::Registered, "registered"),
            (PostMethod::Ordinary, "ordinary"),
            (PostMethod::Email, "email"),
        ] {
            assert_eq!(post_slug(post_name(post)), slug);
        }
        assert_eq!(post_slug("速達"), "other");
    }

    #[test]
    fn every_delivery_case_routes_as_the_rules_say() {
        let p = pipelines();
        type Want = &'static [(&'static str, Recipient, PostMethod)];
        let cases: &[(&str, &str, bool, Want)] = &[
            (
                "G-ID download, no proxy",
                "gid-download",
                false,
                &[
                    ("pin", Recipient::Applicant, PostMethod::Restricted),
                    ("download_password", Recipient::Applicant, PostMethod::Restricted),
                ],
            ),
            (
                "G-ID download, proxy",
                "gid-download",
                true,
                &[
                    ("pin", Recipient::Applicant, PostMethod::Registered),
                    ("download_password", Recipient::Proxy, PostMethod::Restricted),
                ],
            ),
            (
                "G-ID media, no proxy: PIN by 簡易書留",
                "gid-media",
                false,
                &[("pin", Recipient::Applicant, PostMethod::Registered)],
            ),
            ("G-ID media, proxy", "gid-media", true, &[("pin", Recipient::Applicant, PostMethod::Registered)]),
            ("AOSign, no proxy", "aosign-g2", false, &[("pin", Recipient::Applicant, PostMethod::Restricted)]),
            (
                "AOSign, proxy: PIN to the user by 簡易書留",
                "aosign-g2",
                true,
                &[("pin", Recipient::Applicant, PostMethod::Registered)],
            ),
            ("CECSIGN", "cecsign", false, &[("pin", Recipient::Applicant, PostMethod::Restricted)]),
            ("Web: no secret letters", "passport-web", false, &[]),
        ];
        for (name, product, proxy, want) in cases {
            let mut app = application("A1");
            app.product = product.to_string();
            if *proxy {
                app.proxy_name = Some("代理 花子".into());
                app.proxy_postal_code = Some("150-0001".into());
                app.proxy_address = Some("東京都渋谷区神宮前1-1-1".into());
            }
            let got: Vec<(&str, Recipient, PostMethod)> =
                plan(&app, p.product(product).unwrap()).iter().map(|l| (l.kind, l.to, l.post)).collect();
            assert_eq!(got, *want, "{name}");
            for l in plan(&app, p.product(product).unwrap()) {
                let expected = if l.to == Recipient::Proxy { "代理 花子" } else { "山田太郎" };
                assert_eq!(l.addressee.name, expected, "{name}: {}", l.kind);
            }
        }
    }
}
