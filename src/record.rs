//! The typed records the stages pass along: an application as read from its row, and a
//! document row. Values are already normalised (dates parsed, postal codes as `123-4567`,
//! terms as the product's code) so later stages never re-read text.

use crate::finding::Location;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One application, as its row says. `source` is where it was read and is not part of its
/// contents (the same application may sit on another row of another day's sheet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    pub envelope_id: String,
    pub product: String,
    pub cert_type: String,
    pub term: String,
    pub applied_on: NaiveDate,
    pub received_on: NaiveDate,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: String,
    pub former_name: Option<String>,
    pub birth_date: NaiveDate,
    pub postal_code: String,
    pub address: String,
    pub email: String,
    pub phone: Option<String>,
    pub corporate_number: Option<String>,
    pub org_name: Option<String>,
    pub org_kana: Option<String>,
    pub org_representative: Option<String>,
    pub org_address: Option<String>,
    pub delegation: Option<String>,
    pub proxy_name: Option<String>,
    pub proxy_postal_code: Option<String>,
    pub proxy_address: Option<String>,
    pub payer_name: Option<String>,
    pub renewal_of: Option<String>,
    pub card_readers: u32,
    pub domains: Vec<String>,
    pub csr_file: Option<String>,
    #[serde(skip)]
    pub source: Location,
}

impl Application {
    /// The value of a named optional-or-required text column, for rules written as data
    /// (`required_fields`, `when_field`, `jis_fields`).
    pub fn field(&self, key: &str) -> Option<String> {
        let some = |s: &str| if s.is_empty() { None } else { Some(s.to_string()) };
        match key {
            "name_kanji" => some(&self.name_kanji),
            "name_kana" => some(&self.name_kana),
            "name_romaji" => some(&self.name_romaji),
            "former_name" => self.former_name.clone(),
            "birth_date" => Some(self.birth_date.to_string()),
            "postal_code" => some(&self.postal_code),
            "address" => some(&self.address),
            "email" => some(&self.email),
            "phone" => self.phone.clone(),
            "corporate_number" => self.corporate_number.clone(),
            "org_name" => self.org_name.clone(),
            "org_kana" => self.org_kana.clone(),
            "org_representative" => self.org_representative.clone(),
            "org_address" => self.org_address.clone(),
            "delegation" => self.delegation.clone(),
            "proxy_name" => self.proxy_name.clone(),
            "proxy_postal_code" => self.proxy_postal_code.clone(),
            "proxy_address" => self.proxy_address.clone(),
            "payer_name" => self.payer_name.clone(),
            "renewal_of" => self.renewal_of.clone(),
            "card_readers" => (self.card_readers > 0).then(|| self.card_readers.to_string()),
            "domains" => (!self.domains.is_empty()).then(|| self.domains.join(" ")),
            "csr_file" => self.csr_file.clone(),
            _ => None,
        }
    }

    /// SHA-256 of the contents (everything but where it was read), hex. Two rows with the
    /// same id and hash are the same application.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).expect("an application always serialises");
        hex(&Sha256::digest(json))
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The bytes of hex text (either case; an odd length or another character is `None`).
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Who a document serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Owner {
    Application(String),
    /// Company documents sent once for every application of one envelope.
    Envelope(String),
}

impl Owner {
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Application(_) => "application",
            Owner::Envelope(_) => "envelope",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Owner::Application(id) | Owner::Envelope(id) => id,
        }
    }
}

/// A rectangle in image pixels: where the My Number sits on a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// One row of the documents sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    pub owner: Owner,
    pub doc_type: String,
    pub issued_on: NaiveDate,
    /// When this document arrived, if later than its application.
    pub received_on: Option<NaiveDate>,
    /// Path under `scans/`, with `/` separators, already checked to stay inside.
    pub file: String,
    pub has_my_number: bool,
    pub mask_region: Option<Rect>,
    #[serde(skip)]
    pub source: Location,
}

pub use crate::status::Status;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_padded() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000fFF"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0f0"), None);
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("é0"), None);
    }

    #[test]
    fn owners_name_their_kind() {
        assert_eq!(Owner::Envelope("E1".into()).kind(), "envelope");
        assert_eq!(Owner::Application("A1".into()).id(), "A1");
    }
}
