//! Letter templates: wording as data in `pipelines/letters/`, filled from the application
//! and certificate. A product may have its own (`pipelines/letters/<product>/<kind>.toml`);
//! otherwise the common one serves. Editing a template needs no rebuild; a placeholder
//! that names no known field is refused at start with file and line.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The fields a template may name.
pub const FIELDS: &[&str] = &[
    "name",
    "applicant_name",
    "application_id",
    "product_name",
    "serial",
    "not_before",
    "not_after",
    "download_expires",
    "ca_name",
    "issue_date",
    "contract_number",
    "enclosures",
    "receipt_deadline",
    "reasons",
    "deadline",
    // After issue: who a notice is addressed to (the applicant or the company), when and
    // why a certificate was revoked, the day a missing receipt leads to revocation.
    "addressee",
    "revoked_at",
    "reason",
    "revoke_date",
    // Refunds: yen received and refunded, and how the refund was computed.
    "paid",
    "refund",
    "basis",
    // Registered-data changes: each changed field and its new value, a line each.
    "changes",
    // Card products: the card's number, and where the card travels (the template's own
    // `card_together` or `card_apart` sentence, by the product's routing).
    "card_number",
    "card_delivery",
    "card_to",
    "card_post",
    // A notice's `enclosed_with` and `sent_apart` sentences: the items they name.
    "items",
    // Mails: the download URL and how many days it works, the months documents may take,
    // the term applied for and the days the certificate is valid (a Forum cap may make it
    // shorter than the term), the invoice's amount and due date.
    "download_url",
    "download_days",
    "overdue_months",
    "term",
    "valid_days",
    "amount",
    "due_date",
    // Invoices: the number, the issuer and its registration number, the total, the lines
    // per tax rate (one paragraph each, as `{tax_lines}`), where to pay.
    "invoice_number",
    "issuer",
    "registration_number",
    "total",
    "tax_lines",
    "payee",
];

/// One letter's wording.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub title: String,
    pub secret_label: String,
    pub paragraphs: Vec<String>,
    #[serde(default)]
    pub footer: Vec<String>,
    /// Card products' `{card_delivery}`: when the card travels in this letter's envelope.
    #[serde(default)]
    pub card_together: String,
    /// ... and when it travels apart (to `{card_to}` by `{card_post}`).
    #[serde(default)]
    pub card_apart: String,
    /// A notice's `{enclosures}`: the sentence for what is in its envelope (`{items}`)...
    #[serde(default)]
    pub enclosed_with: String,
    /// ... and for what travels apart.
    #[serde(default)]
    pub sent_apart: String,
}

impl Template {
    /// The paragraphs filled; a paragraph that is exactly `{reasons}` becomes one line per
    /// reason, marked `・`.
    pub fn filled_paragraphs(&self, values: &BTreeMap<&str, String>, reasons: &[String]) -> Vec<String> {
        self.paragraphs
            .iter()
            .flat_map(|p| {
                if p.trim() == "{reasons}" {
                    reasons.iter().map(|r| format!("・{r}")).collect()
                } else if let Some(lines) = p.trim().strip_prefix('{').and_then(|k| k.strip_suffix('}')).and_then(|k| {
                    // A list field alone in its paragraph: one paragraph per line.
                    values.get(k).filter(|v| v.contains('\n'))
                }) {
                    lines.lines().map(str::to_string).collect()
                } else {
                    vec![fill(p, values)]
                }
            })
            .collect()
    }
}

/// Fills `{field}` placeholders; text from applications is inserted as text, never parsed.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let key = &rest[start + 1..start + end];
                out.push_str(values.get(key).map(String::as_str).unwrap_or_default());
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else { break };
        out.push(&rest[start + 1..start + end]);
        rest = &rest[start + end + 1..];
    }
    out
}

/// Loads and checks one template file.
pub fn load(path: &Path) -> Result<Template> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let t: Template = crate::pipelines::parse_toml(&path.display().to_string(), &text).map_err(anyhow::Error::msg)?;
    for part in std::iter::once(&t.title).chain(&t.paragraphs).chain(&t.footer).chain([
        &t.secret_label,
        &t.card_together,
        &t.card_apart,
    ]) {
        for key in placeholders(part) {
            if !FIELDS.contains(&key) {
                let line = text.lines().position(|l| l.contains(&format!("{{{key}}}"))).map_or(0, |i| i + 1);
                bail!("{}, line {line}: unknown field {{{key}}} (known: {})", path.display(), FIELDS.join(", "));
            }
        }
    }
    Ok(t)
}

/// Every template the shipped kinds need, per product (or common), checked at start.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_key: BTreeMap<(String, String), Template>,
}

impl Templates {
    pub const KINDS: &'static [&'static str] = &[
        "pin",
        "download_password",
        "receipt",
        "deficiency",
        "expiry",
        "revocation",
        "receipt_reminder",
        "refund",
        "change_done",
        // Mails, worded per product like the letters: review results and what comes next,
        // the download URL, the issue mail that carries a server certificate.
        "mail_accepted",
        "mail_accepted_issued",
        "mail_deficiency",
        "mail_issued",
        "invoice",
    ];

    pub fn load_dir(dir: &Path, products: impl Iterator<Item = String>) -> Result<Templates> {
        let mut by_key = BTreeMap::new();
        for kind in Self::KINDS {
            let common: PathBuf = dir.join(format!("{kind}.toml"));
            by_key.insert((String::new(), kind.to_string()), load(&common)?);
        }
        for product in products {
            for kind in Self::KINDS {
                let own = dir.join(&product).join(format!("{kind}.toml"));
                if own.exists() {
                    by_key.insert((product.clone(), kind.to_string()), load(&own)?);
                }
            }
        }
        Ok(Templates { by_key })
    }

    pub fn get(&self, product: &str, kind: &str) -> Option<&Template> {
        self.by_key
            .get(&(product.to_string(), kind.to_string()))
            .or_else(|| self.by_key.get(&(String::new(), kind.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_inserts_values_as_text() {
        let v = BTreeMap::from([("name", "山田 {serial} 太郎".to_string()), ("serial", "ab".to_string())]);
        assert_eq!(fill("{name} 様 {serial}", &v), "山田 {serial} 太郎 様 ab");
        assert_eq!(fill("no fields", &v), "no fields");
    }

    #[test]
    fn shipped_templates_load_and_an_unknown_field_names_file_and_line() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/letters");
        assert!(Templates::load_dir(&dir, std::iter::empty()).is_ok());
        let tmp = tempfile::tempdir().unwrap();
        let bad = std::fs::read_to_string(dir.join("pin.toml")).unwrap().replace("{serial}", "{serail}");
        std::fs::write(tmp.path().join("pin.toml"), bad).unwrap();
        let err = load(&tmp.path().join("pin.toml")).unwrap_err().to_string();
        assert!(err.contains("pin.toml, line") && err.contains("{serail}"), "{err}");
    }
}
