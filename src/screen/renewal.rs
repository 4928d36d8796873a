//! Renewals (`renewal_of`, contract section 2 and 6): the serial must name a certificate
//! of the same product issued to the same person, and for an organisation's certificate to
//! the same company (corporate number). Pure: the renewed certificates the ledger holds come
//! in through [`super::Prior`].

use crate::finding::{Code, Finding};
use crate::record::Application;
use std::collections::BTreeMap;

/// A certificate an application says it renews, as the ledger holds it.
#[derive(Debug, Clone)]
pub struct RenewedCert {
    pub serial: String,
    /// Its application's registered data.
    pub application: Application,
    pub revoked: bool,
}

/// Names compared as written, ignoring the spaces between family and given name.
fn same_name(a: &str, b: &str) -> bool {
    let squash = |s: &str| crate::text::fold(s).chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squash(a) == squash(b)
}

/// The findings on an application's `renewal_of`; none when it renews nothing.
pub fn check_renewal(app: &Application, renewed: &BTreeMap<String, Option<RenewedCert>>) -> Vec<Finding> {
    let Some(serial) = &app.renewal_of else { return Vec::new() };
    let problem = |detail: &str, message: String| {
        vec![Finding::new(Code::InvalidRenewal, Some(detail), message).at(app.source.with_column("renewal_of"))]
    };
    let Some(Some(old)) = renewed.get(serial) else {
        return problem(
            "unknown_serial",
            format!("更新元シリアル「{serial}」の電子証明書は当局の発行記録にありません。シリアル番号をご確認ください"),
        );
    };
    let o = &old.application;
    if o.product != app.product {
        return problem(
            "other_product",
            format!(
                "更新元シリアル「{serial}」は別のサービスの電子証明書です。同じサービスの証明書を更新元にしてください"
            ),
        );
    }
    let same_person = o.birth_date == app.birth_date
        && (same_name(&o.name_kanji, &app.name_kanji) || same_name(&o.name_kana, &app.name_kana));
    if !same_person {
        return problem(
            "other_person",
            format!("更新元シリアル「{serial}」の電子証明書は別の方の名義です。ご本人の証明書のシリアル番号を記入してください"),
        );
    }
    if o.corporate_number.is_some() && o.corporate_number != app.corporate_number {
        return problem(
            "other_company",
            format!("更新元シリアル「{serial}」の電子証明書は別の法人（法人番号）のものです"),
        );
    }
    if old.revoked {
        return problem(
            "revoked",
            format!("更新元シリアル「{serial}」の電子証明書は失効しています。更新ではなく新規のお申し込みになります"),
        );
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    fn renewed(app: Application, revoked: bool) -> BTreeMap<String, Option<RenewedCert>> {
        BTreeMap::from([("0a".to_string(), Some(RenewedCert { serial: "0a".into(), application: app, revoked }))])
    }

    fn renewal() -> Application {
        Application { renewal_of: Some("0a".into()), ..testkit::application("N1") }
    }

    fn codes(f: &[Finding]) -> Vec<String> {
        f.iter().map(|f| format!("{}:{}", f.code, f.detail.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn the_same_person_renews_and_anyone_else_is_named() {
        let old = testkit::application("OLD");
        assert!(check_renewal(&renewal(), &renewed(old.clone(), false)).is_empty());
        assert!(check_renewal(&testkit::application("X"), &BTreeMap::new()).is_empty(), "not a renewal");
        assert_eq!(codes(&check_renewal(&renewal(), &BTreeMap::new())), ["invalid_renewal:unknown_serial"]);
        let other = Application { birth_date: old.birth_date.succ_opt().unwrap(), ..old.clone() };
        assert_eq!(codes(&check_renewal(&renewal(), &renewed(other, false))), ["invalid_renewal:other_person"]);
        let product = Application { product: "other".into(), ..old.clone() };
        assert_eq!(codes(&check_renewal(&renewal(), &renewed(product, false))), ["invalid_renewal:other_product"]);
        assert_eq!(codes(&check_renewal(&renewal(), &renewed(old.clone(), true))), ["invalid_renewal:revoked"]);
        let company = Application { corporate_number: Some("4011001040781".into()), ..old };
        assert_eq!(codes(&check_renewal(&renewal(), &renewed(company, false))), ["invalid_renewal:other_company"]);
    }
}
