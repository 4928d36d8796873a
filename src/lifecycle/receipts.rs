//! Receipts (batch contract section 6): returned receipt forms (`receipts.csv`) and receipt
//! mails signed with the issued certificate (seed 001 §4.6: 「受領した電子証明書に係る電子署名
//! 付きの電子メール」), which count only when their S/MIME signature verifies with the very
//! certificate they acknowledge.

use super::revocation::{CertFacts, Target};
use super::sheet::SheetRow;
use chrono::NaiveDate;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// The columns of `receipts.csv`.
pub const COLUMNS: &[(&str, &str)] = &[
    ("application_id", "申込コード"),
    ("serial", "シリアル番号"),
    ("received_on", "受領書到着日"),
    ("method", "受領方法"),
];

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");

/// How a receipt came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Post,
    InPerson,
    SignedMail,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "post",
            Method::InPerson => "in_person",
            Method::SignedMail => "signed_mail",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" | "post" | "郵送" => Ok(Method::Post),
            "in_person" | "持参" => Ok(Method::InPerson),
            "signed_mail" | "電子署名付きメール" => Ok(Method::SignedMail),
            other => Err(format!("unknown method {other:?}; one of post (郵送), in_person (持参), signed_mail")),
        }
    }
}

/// One receipt as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub target: Target,
    pub received_on: NaiveDate,
    pub method: Method,
    /// `receipts.csv row 3`, `reply.eml`.
    pub source: String,
}

/// A `receipts.csv` row as a receipt. A signed mail is only believed from its `.eml`, so a
/// row saying `signed_mail` is refused.
pub fn receipt_from_row(row: &SheetRow, file: &str) -> Result<Receipt, String> {
    let target = super::revocation::target_of(row)?;
    let raw = row.get("received_on").ok_or("received_on is empty")?;
    let received_on = crate::jpdate::parse_date(raw).map_err(|e| format!("received_on: {e}"))?;
    let method: Method = row.get("method").unwrap_or("").parse()?;
    if method == Method::SignedMail {
        return Err("a signed receipt mail counts only as its .eml file (receipts import FILE.eml)".into());
    }
    Ok(Receipt { target, received_on, method, source: format!("{file} row {}", row.row) })
}

/// What a receipt comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Recorded,
    /// The certificate had one: nothing changes.
    AlreadyRecorded,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Recorded => "recorded",
            Outcome::AlreadyRecorded => "already_recorded",
            Outcome::Refused => "refused",
        }
    }
}

/// Decides one receipt: an unknown certificate, one dated before its issue or after today,
/// or one for a revoked certificate is refused with its reason; a second receipt changes
/// nothing.
pub fn decide(r: &Receipt, cert: Option<&CertFacts>, had: Option<NaiveDate>, today: NaiveDate) -> (Outcome, String) {
    let Some(c) = cert else { return (Outcome::Refused, format!("no issued certificate for {}", r.target)) };
    if let Some((reason, on, true)) = c.revocation {
        return (Outcome::Refused, format!("{} was revoked on {on} ({reason}); a receipt no longer counts", c.serial));
    }
    if r.received_on < c.issued_on {
        return (
            Outcome::Refused,
            format!("received_on {} is before the certificate was issued ({})", r.received_on, c.issued_on),
        );
    }
    if r.received_on > today {
        return (Outcome::Refused, format!("received_on {} is after today ({today})", r.received_on));
    }
    if let Some(on) = had {
        return (Outcome::AlreadyRecorded, format!("{} has a receipt of {on} already; nothing changes", c.serial));
    }
    (Outcome::Recorded, format!("{}: receipt of {} recorded ({})", c.serial, r.received_on, r.method.as_str()))
}

/// What a verified receipt mail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMail {
    /// The signing certificate's serial (hex, as the ledger keeps it).
    pub serial: String,
    /// The mail's Date, as a day in Japan.
    pub sent_on: Option<NaiveDate>,
}

/// Verifies an S/MIME receipt mail (multipart/signed, or application/pkcs7-mime signed-data)
/// against the certificate `cert_der` returns for the signer's serial: the content's SHA-256
/// must equal the signed messageDigest, and the signature over the signed attributes must
/// verify with that certificate's key. `Err` says why the mail does not count.
pub fn verify_signed_mail(raw: &[u8], cert_der: impl Fn(&str) -> Option<Vec<u8>>) -> Result<SignedMail, String> {
    let message = MessageParser::default().parse(raw).ok_or("not a mail")?;
    let root = message.root_part();
    let ctype = root.content_type().ok_or("the mail has no Content-Type: it is not signed")?;
    let sub = ctype.subtype().unwrap_or("").to_ascii_lowercase();
    let (content, cms_der): (Option<Vec<Vec<u8>>>, Vec<u8>) =
        match (ctype.ctype().to_ascii_lowercase().as_str(), sub.as_str()) {
            ("multipart", "signed") => {
                let parts = root.sub_parts().ok_or("a multipart/signed mail without parts")?;
                let (Some(body), Some(sig)) =
                    (parts.first().and_then(|i| message.part(*i)), parts.get(1).and_then(|i| message.part(*i)))
                else {
                    return Err("a multipart/signed mail needs a body and a signature part".into());
                };
                let signed = &raw[body.raw_header_offset() as usize..body.raw_end_offset() as usize];
                (Some(canonical_forms(signed)), sig.contents().to_vec())
            }
            ("application", "pkcs7-mime") | ("application", "x-pkcs7-mime") => (None, root.contents().to_vec()),
            (t, s) => return Err(format!("the mail is {t}/{s}, not signed (S/MIME)")),
        };
    let info = ContentInfo::from_der(&cms_der).map_err(|e| format!("the signature part is not CMS: {e}"))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err("the CMS part is not SignedData".into());
    }
    let sd: SignedData = info.content.decode_as().map_err(|e| format!("the SignedData does not parse: {e}"))?;
    let content = match content {
        Some(c) => c,
        None => {
            let e = sd.encap_content_info.econtent.as_ref().ok_or("the signed-data holds no content")?;
            let octets =
                der::asn1::OctetString::from_der(&e.to_der().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            canonical_forms(octets.as_bytes())
        }
    };
    let si = sd.signer_infos.0.iter().next().ok_or("the signature has no signer")?;
    let SignerIdentifier::IssuerAndSerialNumber(isn) = &si.sid else {
        return Err("the signer is named by key identifier, not by certificate serial".into());
    };
    let serial = crate::record::hex(isn.serial_number.as_bytes());
    let serial = serial.trim_start_matches("00").to_string();
    let der =
        cert_der(&serial).ok_or_else(|| format!("signed with certificate {serial}, which this CA did not issue"))?;
    let cert =
        x509_cert::Certificate::from_der(&der).map_err(|e| format!("the issued certificate does not parse: {e}"))?;
    if cert.tbs_certificate().issuer() != &isn.issuer {
        return Err(format!("signed with certificate {serial} of another issuer ({})", isn.issuer));
    }
    if si.digest_alg.oid != ID_SHA256 {
        return Err(format!("digest {} is not supported (SHA-256 only)", si.digest_alg.oid));
    }
    let attrs = si.signed_attrs.as_ref().ok_or("the signature has no signed attributes")?;
    let attr =
        |oid: ObjectIdentifier| attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next().cloned());
    let digest = attr(ID_MESSAGE_DIGEST).ok_or("the signature has no messageDigest")?;
    let digest = digest.decode_as::<der::asn1::OctetString>().map_err(|e| e.to_string())?;
    if attr(ID_CONTENT_TYPE).and_then(|v| v.decode_as::<ObjectIdentifier>().ok()) != Some(ID_DATA) {
        return Err("the signed content type is not id-data".into());
    }
    if !content.iter().any(|c| Sha256::digest(c).as_slice() == digest.as_bytes()) {
        return Err("the mail was changed after it was signed (its digest does not match)".into());
    }
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key = rsa::RsaPublicKey::try_from(spki.owned_to_ref())
        .map_err(|e| format!("the certificate's key is not RSA: {e}"))?;
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
    let signature = rsa::pkcs1v15::Signature::try_from(si.signature.as_bytes()).map_err(|e| e.to_string())?;
    let signed = attrs.to_der().map_err(|e| e.to_string())?;
    use signature::Verifier;
    verifier
        .verify(&signed, &signature)
        .map_err(|_| format!("the signature does not verify with certificate {serial}: signed by another key"))?;
    let sent_on = message.date().and_then(|d| {
        let t = chrono::DateTime::from_timestamp(d.to_timestamp(), 0)?;
        Some(t.with_timezone(&crate::jpdate::jst()).date_naive())
    });
    Ok(SignedMail { serial, sent_on })
}

/// The signed bytes as sent (CRLF, RFC 8551) and as a file saved with LF lines: a receipt
/// mail saved on a Unix machine still verifies.
fn canonical_forms(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut crlf = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            crlf.push(b'\r');
        }
        crlf.push(b);
        prev = b;
    }
    let mut forms = vec![bytes.to_vec()];
    if crlf != bytes {
        forms.push(crlf);
    }
    forms
}

use der::referenced::OwnedToRef;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn facts() -> CertFacts {
        CertFacts {
            serial: "ab".into(),
            application_id: "A1".into(),
            not_after: d(2027, 11, 30),
            issued_on: d(2026, 11, 20),
            revocation: None,
        }
    }

    fn receipt(on: NaiveDate) -> Receipt {
        Receipt {
            target: Target::Serial("ab".into()),
            received_on: on,
            method: Method::Post,
            source: "r.csv row 2".into(),
        }
    }

    #[test]
    fn receipts_before_issue_after_revocation_or_unknown_are_refused_and_a_second_changes_nothing() {
        let today = d(2026, 12, 3);
        assert_eq!(decide(&receipt(d(2026, 11, 25)), Some(&facts()), None, today).0, Outcome::Recorded);
        assert_eq!(decide(&receipt(d(2026, 11, 19)), Some(&facts()), None, today).0, Outcome::Refused);
        assert_eq!(decide(&receipt(d(2026, 12, 4)), Some(&facts()), None, today).0, Outcome::Refused);
        assert_eq!(decide(&receipt(d(2026, 11, 25)), None, None, today).0, Outcome::Refused);
        let revoked = CertFacts {
            revocation: Some((super::super::revocation::Reason::NoReceipt, d(2026, 12, 1), true)),
            ..facts()
        };
        assert_eq!(decide(&receipt(d(2026, 11, 25)), Some(&revoked), None, today).0, Outcome::Refused);
        let again = decide(&receipt(d(2026, 11, 26)), Some(&facts()), Some(d(2026, 11, 25)), today);
        assert_eq!(again.0, Outcome::AlreadyRecorded);
        assert_eq!("持参".parse::<Method>().unwrap(), Method::InPerson);
        assert_eq!("".parse::<Method>().unwrap(), Method::Post);
    }

    #[test]
    fn an_unsigned_mail_or_garbage_is_refused_with_its_reason() {
        let plain = b"From: a@example.jp\r\nContent-Type: text/plain\r\n\r\nreceived\r\n";
        assert!(verify_signed_mail(plain, |_| None).unwrap_err().contains("not signed"));
        assert!(verify_signed_mail(b"", |_| None).is_err());
        assert_eq!(canonical_forms(b"a\nb\r\n").last().unwrap(), b"a\r\nb\r\n");
    }
}
