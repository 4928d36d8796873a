//! Identity checks on the application's own data: the romaji against the kana, the
//! characters that go into the certificate, and the corporate number.
//!
//! Takes one application and its product's rules; gives findings. JIS characters are a
//! warning (staff substitute a level 1/2 character, seeds 000 and 003); the others leave
//! the application waiting for a corrected form.

use super::corporate_number::check_corporate_number;
use super::hepburn::{romaji_matches, to_hepburn};
use super::jis::is_certificate_safe;
use crate::finding::{Code, Finding, Severity};
use crate::product::Product;
use crate::record::Application;

/// Why a corporate number is wrong, in the applicant's words.
fn corporate_number_why(e: &super::corporate_number::CorporateNumberError) -> String {
    use super::corporate_number::CorporateNumberError as E;
    match e {
        E::NotDigit { position, .. } => format!("{position}桁目が数字ではありません"),
        E::WrongLength { digits } => format!("{digits}桁です。法人番号は13桁です"),
        E::WrongCheckDigit { .. } => "チェックディジット（先頭の1桁）が合いません".to_string(),
    }
}

/// Every identity finding of `app`.
pub fn check_identity(app: &Application, product: &Product) -> Vec<Finding> {
    let mut out = Vec::new();
    if product.screening.check_romaji {
        out.extend(check_romaji(app));
    }
    for key in &product.screening.jis_fields {
        if let Some(value) = app.field(key) {
            out.extend(check_jis(app, key, &value));
        }
    }
    // An OV certificate names the organisation's prefecture and city (BR 7.1.2.7.4).
    if product.profile.certify.iter().any(|f| f == "org_locality") {
        if let Some(address) = app.org_address.as_deref().filter(|a| crate::jpaddress::locality(a).is_none()) {
            out.push(
                Finding::new(
                    Code::InvalidField,
                    Some("org_address"),
                    format!(
                        "組織の所在地「{address}」から都道府県と市区町村が読み取れません。登記事項証明書のとおり都道府県から記入してください"
                    ),
                )
                .at(app.source.with_column("org_address")),
            );
        }
    }
    if let Some(number) = &app.corporate_number {
        if let Err(e) = check_corporate_number(number) {
            out.push(
                Finding::new(
                    Code::InvalidCorporateNumber,
                    None,
                    format!(
                        "法人番号「{number}」が正しくありません（{}）。登記事項証明書の法人番号を確認してください",
                        corporate_number_why(&e)
                    ),
                )
                .at(app.source.with_column("corporate_number")),
            );
        }
    }
    out
}

/// `romaji_mismatch` with the expected spelling, or `invalid_field:name_kana` when the
/// reading is not kana.
pub fn check_romaji(app: &Application) -> Option<Finding> {
    match romaji_matches(&app.name_kana, &app.name_romaji) {
        Ok(true) => None,
        Ok(false) => {
            let expected = to_hepburn(&app.name_kana).unwrap_or_default();
            Some(
                Finding::new(
                    Code::RomajiMismatch,
                    None,
                    format!(
                        "氏名ローマ字「{}」がふりがな「{}」のヘボン式（{expected}、姓名の順は問いません）と一致しません",
                        app.name_romaji, app.name_kana
                    ),
                )
                .at(app.source.with_column("name_romaji")),
            )
        }
        Err(e) => Some(
            Finding::new(
                Code::InvalidField,
                Some("name_kana"),
                format!("ふりがな「{}」をヘボン式に変換できません（{e}）", app.name_kana),
            )
            .at(app.source.with_column("name_kana"))
            .with_severity(Severity::Reject),
        ),
    }
}

/// `non_jis_character:<column>` naming every character staff must replace.
pub fn check_jis(app: &Application, key: &str, value: &str) -> Option<Finding> {
    let mut bad: Vec<char> = value.chars().filter(|c| !is_certificate_safe(*c)).collect();
    bad.dedup();
    if bad.is_empty() {
        return None;
    }
    let shown: Vec<String> = bad.iter().map(|c| format!("「{c}」(U+{:04X})", *c as u32)).collect();
    Some(
        Finding::new(
            Code::NonJisCharacter,
            Some(key),
            format!(
                "{}の{}はJIS第1・第2水準にないため、証明書では第1・第2水準の文字かカナに置き換えます",
                value,
                shown.join("")
            ),
        )
        .at(app.source.with_column(key)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{application, pipelines};

    #[test]
    fn romaji_follows_passport_hepburn_in_either_order() {
        let cases: &[(&str, &str, &str, Option<&str>)] = &[
            ("family given", "サトウ ハナコ", "SATO HANAKO", None),
            ("given family", "さとう はなこ", "Hanako Sato", None),
            ("long vowel kept", "サトウ ハナコ", "SATOU HANAKO", Some("romaji_mismatch")),
            ("n before m", "ホンマ ケイ", "HONMA KEI", Some("romaji_mismatch")),
            ("not kana", "山田 太郎", "YAMADA TARO", Some("invalid_field:name_kana")),
        ];
        for (name, kana, romaji, want) in cases {
            let mut app = application("A1");
            app.name_kana = kana.to_string();
            app.name_romaji = romaji.to_string();
            assert_eq!(check_romaji(&app).map(|f| f.reason()).as_deref(), *want, "{name}");
        }
        let mut app = application("A1");
        app.name_kana = "ホンマ ケイ".into();
        app.name_romaji = "HONMA KEI".into();
        assert!(check_romaji(&app).unwrap().message.contains("HOMMA KEI"), "the expected spelling is given");
    }

    #[test]
    fn non_jis_characters_are_named_as_a_warning() {
        let p = pipelines();
        let mut app = application("A1");
        app.name_kanji = "髙橋 一郎".into();
        app.address = "東京都港区1-2-3 ①ビル".into();
        let f = check_identity(&app, p.product("gid-download").unwrap());
        let reasons: Vec<String> = f.iter().map(Finding::reason).collect();
        assert_eq!(reasons, ["non_jis_character:name_kanji", "non_jis_character:address"]);
        assert!(f.iter().all(|x| x.severity == Severity::Warning));
        assert!(f[0].message.contains("U+9AD9"), "{}", f[0].message);
    }

    #[test]
    fn corporate_numbers_are_checked_when_given() {
        let p = pipelines();
        let mut app = application("A1");
        app.corporate_number = Some("4011001040781".into());
        assert!(check_identity(&app, p.product("gid-download").unwrap()).is_empty());
        app.corporate_number = Some("4011001040782".into());
        let reasons: Vec<String> =
            check_identity(&app, p.product("gid-download").unwrap()).iter().map(Finding::reason).collect();
        assert_eq!(reasons, ["invalid_corporate_number"]);
    }

    #[test]
    fn an_ov_product_needs_a_prefecture_and_city_in_org_address() {
        let p = pipelines();
        let web = p.product("passport-web").unwrap();
        let mut app = application("W1");
        app.product = "passport-web".into();
        app.org_address = Some("東京都渋谷区神宮前1-5-1".into());
        assert!(!check_identity(&app, web).iter().any(|f| f.reason() == "invalid_field:org_address"));
        app.org_address = Some("神宮前1-5-1".into());
        let f = check_identity(&app, web);
        let ours: Vec<&Finding> = f.iter().filter(|f| f.reason() == "invalid_field:org_address").collect();
        assert_eq!(ours.len(), 1, "{f:?}");
        assert_eq!(ours[0].location.as_ref().and_then(|l| l.column.as_deref()), Some("org_address"));
        // A product that certifies no locality does not ask.
        assert!(check_identity(&app, p.product("gid-download").unwrap()).is_empty());
    }
}
