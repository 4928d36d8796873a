//! Registered-data changes without reissue (`changes.csv`, contract section 6; seed 001 §9).
//! Pure: a request and what the ledger knows about its certificate come in, a decision
//! goes out; `run` records it and mails 「登録内容変更完了のご連絡」.
//!
//! Only what the certificate does not hold can change: email, phone and the proxy receiver.
//! A change of anything in the certificate (name, address, birth date, organisation…)
//! means revoking and applying again (domain-rules §6), and is refused with
//! `revoke_and_reapply`. A new proxy receiver needs that person's seal certificate first.
//! Before issue, an application is corrected instead (the `corrects` column).

use super::revocation::Target;
use super::sheet::SheetRow;
use chrono::NaiveDate;

/// The columns of `changes.csv`: (English, Japanese).
pub const COLUMNS: &[(&str, &str)] = &[
    ("application_id", "申込コード"),
    ("serial", "シリアル番号"),
    ("field", "変更項目"),
    ("new_value", "変更後の値"),
    ("requested_on", "申請日"),
];

/// The fields a change may name without reissue.
pub const CHANGEABLE: &[&str] = &["email", "phone", "proxy_name", "proxy_postal_code", "proxy_address"];

/// What a certificate holds or an application is judged on: changing it means a new one.
const IN_CERTIFICATE: &[&str] = &[
    "name_kanji",
    "name_kana",
    "name_romaji",
    "former_name",
    "birth_date",
    "postal_code",
    "address",
    "corporate_number",
    "org_name",
    "org_kana",
    "org_representative",
    "org_address",
    "delegation",
    "domains",
    "cert_type",
    "term",
    "product",
];

/// One change asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    pub target: Target,
    /// The contract's column key (`email`, …, or a certificate field, refused).
    pub field: String,
    pub new_value: String,
    pub requested_on: NaiveDate,
    /// `<batch>/changes.csv row N`.
    pub source: String,
}

/// What the ledger knows for deciding a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeFacts {
    pub serial: String,
    pub application_id: String,
    /// Revoked (or scheduled to be): nothing more changes.
    pub revoked: bool,
    /// The field's current value.
    pub current: Option<String>,
    /// A `proxy_seal_certificate` document is on file for the application.
    pub has_proxy_seal: bool,
}

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Applied: (old value, new value as stored).
    Changed {
        old: Option<String>,
        new: Option<String>,
    },
    /// The registered value is already this.
    Unchanged,
    Refused(String),
    Unknown,
}

impl ChangeOutcome {
    pub fn status(&self) -> &'static str {
        match self {
            ChangeOutcome::Changed { .. } => "changed",
            ChangeOutcome::Unchanged => "unchanged",
            ChangeOutcome::Refused(_) => "refused",
            ChangeOutcome::Unknown => "unknown",
        }
    }
}

/// Reads one row of `changes.csv`.
pub fn change_from_row(r: &SheetRow, shown: &str) -> Result<ChangeRequest, String> {
    let target = super::revocation::target_of(r)?;
    let raw = r.get("field").ok_or("field is empty")?;
    let field = field_key(raw).ok_or_else(|| {
        format!("unknown field {raw:?}; a change without reissue is one of {}", CHANGEABLE.join(", "))
    })?;
    let requested_on = super::revocation::date_cell(r, "requested_on")?.ok_or("requested_on is empty")?;
    Ok(ChangeRequest {
        target,
        field: field.to_string(),
        new_value: r.get("new_value").unwrap_or_default().to_string(),
        requested_on,
        source: format!("{shown} row {}", r.row),
    })
}

/// The column key a field is named by, in English or as the applications sheet's Japanese
/// header (`メールアドレス` → `email`).
fn field_key(raw: &str) -> Option<&'static str> {
    let raw = crate::text::fold(raw.trim());
    crate::intake::columns::APPLICATIONS
        .iter()
        .find(|c| c.key == raw || crate::text::fold(c.ja) == raw)
        .map(|c| c.key)
        .filter(|k| CHANGEABLE.contains(k) || IN_CERTIFICATE.contains(k))
}

/// The value as it will be stored, or why it cannot be.
fn normalised(field: &str, value: &str) -> Result<Option<String>, String> {
    let v = crate::text::fold(value.trim());
    if v.is_empty() {
        return match field {
            "email" => Err("invalid_field:new_value: メールアドレスは空にできません".into()),
            _ => Ok(None),
        };
    }
    match field {
        "email" if !crate::intake::fields::is_plausible_email(&v) => {
            Err(format!("invalid_field:new_value: メールアドレス「{v}」の形式が正しくありません"))
        }
        "phone" if !v.chars().all(|c| c.is_ascii_digit() || c == '-') => {
            Err(format!("invalid_field:new_value: 電話番号「{v}」は数字とハイフンで記入してください"))
        }
        "proxy_postal_code" => crate::intake::fields::normalise_postal(&v)
            .map(Some)
            .ok_or_else(|| format!("invalid_field:new_value: 郵便番号「{v}」は7桁で記入してください")),
        _ => Ok(Some(v)),
    }
}

/// Decides one change.
pub fn decide(req: &ChangeRequest, facts: Option<&ChangeFacts>) -> (ChangeOutcome, String) {
    let Some(f) = facts else {
        return (ChangeOutcome::Unknown, "no issued certificate by that serial or application id".into());
    };
    if IN_CERTIFICATE.contains(&req.field.as_str()) {
        let why = format!(
            "revoke_and_reapply: {} is in the certificate; 証明書の記載事項の変更は、失効のうえ新しくお申し込みください",
            req.field
        );
        return (ChangeOutcome::Refused(why.clone()), why);
    }
    if f.revoked {
        let why = format!("{} is revoked; nothing more changes", f.serial);
        return (ChangeOutcome::Refused(why.clone()), why);
    }
    let new = match normalised(&req.field, &req.new_value) {
        Ok(v) => v,
        Err(why) => return (ChangeOutcome::Refused(why.clone()), why),
    };
    if new == f.current {
        return (ChangeOutcome::Unchanged, format!("{} is already registered as that; nothing changes", req.field));
    }
    if req.field == "proxy_name" && new.is_some() && !f.has_proxy_seal {
        let why = "missing_document:proxy_seal_certificate: 新しい代理受取人の印鑑登録証明書が届いてから変更します"
            .to_string();
        return (ChangeOutcome::Refused(why.clone()), why);
    }
    (ChangeOutcome::Changed { old: f.current.clone(), new }, changed_message(req))
}

/// The answer of an applied change (also when its batch is run again).
pub fn changed_message(req: &ChangeRequest) -> String {
    format!("{} changed (requested {})", req.field, req.requested_on)
}

/// 登録内容変更完了のご連絡 for a batch's applied changes: one mail per application to
/// its registered address, and to the old address when that is what changed.
pub fn write_mails(
    dir: &std::path::Path,
    config: &crate::config::Config,
    applied: &[crate::ledger::changes::AppliedChange],
    moment: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<()> {
    use std::collections::BTreeMap;
    let mut by_app: BTreeMap<&str, Vec<&crate::ledger::changes::AppliedChange>> = BTreeMap::new();
    for c in applied {
        by_app.entry(c.application.id.as_str()).or_default().push(c);
    }
    let sender = config.mail.sender();
    for (id, changes) in by_app {
        let app = &changes[changes.len() - 1].application;
        let Some(product) = config.pipelines.product(&app.product) else { continue };
        let Some(t) = config.letters.templates().get(&app.product, "change_done") else { continue };
        let lines: Vec<String> = changes
            .iter()
            .map(|c| format!("{}: {}", field_label(&c.field), c.new_value.as_deref().unwrap_or("（削除）")))
            .collect();
        let values = BTreeMap::from([
            ("addressee", app.name_kanji.clone()),
            ("product_name", product.name_ja.clone()),
            ("serial", changes[0].serial.clone()),
            ("changes", lines.join("\n")),
            ("ca_name", config.letters.ca_name().to_string()),
        ]);
        let paragraphs: Vec<String> =
            t.paragraphs.iter().map(|p| crate::letters::templates::fill(p, &values)).collect();
        let mut to = vec![(app.email.clone(), "change")];
        if let Some(old) = changes.iter().find(|c| c.field == "email").and_then(|c| c.old_value.clone()) {
            to.push((old, "change-old-address"));
        }
        for (address, suffix) in to {
            let eml =
                crate::mail::template_mail(&sender, &app.name_kanji, &address, id, &t.title, &paragraphs, moment)?;
            crate::fsio::write_output(&dir.join("mail").join(format!("{id}-{suffix}.eml")), &eml, false)?;
        }
    }
    Ok(())
}

/// How a field is named to the subscriber.
pub fn field_label(field: &str) -> &'static str {
    crate::intake::columns::APPLICATIONS.iter().find(|c| c.key == field).map_or("", |c| c.ja)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn req(field: &str, value: &str) -> ChangeRequest {
        ChangeRequest {
            target: Target::Application("A1".into()),
            field: field.into(),
            new_value: value.into(),
            requested_on: d(2026, 12, 1),
            source: "b/changes.csv row 2".into(),
        }
    }

    fn facts(current: Option<&str>) -> ChangeFacts {
        ChangeFacts {
            serial: "0A".into(),
            application_id: "A1".into(),
            revoked: false,
            current: current.map(String::from),
            has_proxy_seal: false,
        }
    }

    #[test]
    fn contact_details_change_and_certificate_contents_do_not() {
        let (o, _) = decide(&req("email", "ｎｅｗ@example.jp"), Some(&facts(Some("old@example.jp"))));
        assert_eq!(
            o,
            ChangeOutcome::Changed { old: Some("old@example.jp".into()), new: Some("new@example.jp".into()) }
        );
        let (o, m) = decide(&req("address", "東京都港区1-1"), Some(&facts(None)));
        assert_eq!(o.status(), "refused");
        assert!(m.starts_with("revoke_and_reapply"), "{m}");
        assert_eq!(decide(&req("phone", ""), Some(&facts(Some("03-1234-5678")))).0.status(), "changed");
        assert_eq!(
            decide(&req("email", "x@example.jp"), Some(&facts(Some("x@example.jp")))).0,
            ChangeOutcome::Unchanged
        );
        assert_eq!(decide(&req("email", "not-mail"), Some(&facts(None))).0.status(), "refused");
        assert_eq!(decide(&req("email", "x@example.jp"), None).0, ChangeOutcome::Unknown);
    }

    #[test]
    fn a_new_proxy_waits_for_its_seal_certificate() {
        let (o, m) = decide(&req("proxy_name", "代理 花子"), Some(&facts(None)));
        assert_eq!(o.status(), "refused");
        assert!(m.starts_with("missing_document:proxy_seal_certificate"), "{m}");
        let with_seal = ChangeFacts { has_proxy_seal: true, ..facts(None) };
        assert_eq!(decide(&req("proxy_name", "代理 花子"), Some(&with_seal)).0.status(), "changed");
        assert_eq!(
            decide(&req("proxy_postal_code", "1000001"), Some(&facts(None))).0,
            ChangeOutcome::Changed { old: None, new: Some("100-0001".into()) }
        );
    }

    #[test]
    fn fields_are_read_in_english_or_japanese() {
        assert_eq!(field_key("メールアドレス"), Some("email"));
        assert_eq!(field_key("proxy_address"), Some("proxy_address"));
        assert_eq!(field_key("氏名"), Some("name_kanji"));
        assert_eq!(field_key("payer_name"), None);
    }
}
