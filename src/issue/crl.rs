//! The issuing CA's certificate revocation list (RFC 5280 section 5; batch contract
//! section 6): v2, an increasing cRLNumber, the issuing CA's own authorityKeyIdentifier, one
//! entry per revoked certificate not yet expired with its reasonCode and invalidityDate.
//!
//! x509-cert's `CrlBuilder` copies the issuer *certificate's* authorityKeyIdentifier, which
//! names the root's key; a CRL must name the key that signed it, so the list is put together
//! here and only signed by [`Ca::sign_crl`].

use super::ca::Ca;
use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use const_oid::AssociatedOid;
use der::asn1::{GeneralizedTime, OctetString, UtcTime};
use der::Encode;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier};
use std::time::Duration;
use x509_cert::crl::{RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::CrlNumber;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlReason};
use x509_cert::ext::Extension;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

/// id-ce-invalidityDate (RFC 5280 5.3.2).
const INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");

/// One revoked certificate as the CRL lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// Hex, as the ledger keeps it.
    pub serial: String,
    pub revoked_at: DateTime<FixedOffset>,
    /// `None` for `unspecified`: RFC 5280 asks to leave the extension out.
    pub reason: Option<CrlReason>,
    /// The day the key was or may have been compromised (midnight JST).
    pub invalidity: Option<NaiveDate>,
}

/// What one CRL says.
#[derive(Debug, Clone)]
pub struct CrlContent {
    pub number: u64,
    pub this_update: DateTime<FixedOffset>,
    pub next_update: DateTime<FixedOffset>,
    pub entries: Vec<CrlEntry>,
}

/// Signs `content` with the issuing CA: the CRL's DER.
pub fn sign(ca: &Ca, content: &CrlContent) -> Result<Vec<u8>> {
    let mut entries = content.entries.clone();
    entries.sort_by(|a, b| a.serial.cmp(&b.serial));
    let revoked = entries.iter().map(revoked_cert).collect::<Result<Vec<_>>>()?;
    let number = CrlNumber(der::asn1::Uint::new(&content.number.to_be_bytes())?);
    let aki = AuthorityKeyIdentifier { key_identifier: Some(ca.key_id()?), ..Default::default() };
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        // Set by the signer.
        signature: AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: None,
        },
        issuer: ca.certificate.tbs_certificate().subject().clone(),
        this_update: x509_time(content.this_update.with_timezone(&Utc))?,
        next_update: Some(x509_time(content.next_update.with_timezone(&Utc))?),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(vec![extension(&number)?, extension(&aki)?]),
    };
    ca.sign_crl(tbs)
}

/// PEM of a CRL's DER.
pub fn pem(der: &[u8]) -> Result<String> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, der)
        .map_err(|e| anyhow!("cannot encode the CRL: {e}"))
}

fn revoked_cert(e: &CrlEntry) -> Result<RevokedCert> {
    let bytes = crate::record::unhex(&e.serial).with_context(|| format!("serial {} is not hex", e.serial))?;
    let mut ext = Vec::new();
    if let Some(reason) = e.reason {
        ext.push(extension(&reason)?);
    }
    if let Some(day) = e.invalidity {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_local_timezone(crate::jpdate::jst());
        let at = midnight.single().expect("JST has no gaps").with_timezone(&Utc);
        ext.push(Extension {
            extn_id: INVALIDITY_DATE,
            critical: false,
            // Always GeneralizedTime (RFC 5280 5.3.2).
            extn_value: OctetString::new(GeneralizedTime::from_date_time(der_time(at)?).to_der()?)?,
        });
    }
    Ok(RevokedCert {
        serial_number: SerialNumber::new(&bytes)?,
        revocation_date: x509_time(e.revoked_at.with_timezone(&Utc))?,
        crl_entry_extensions: (!ext.is_empty()).then_some(ext),
    })
}

fn extension<T: Encode + AssociatedOid>(value: &T) -> Result<Extension> {
    Ok(Extension { extn_id: T::OID, critical: false, extn_value: OctetString::new(value.to_der()?)? })
}

fn der_time(t: DateTime<Utc>) -> Result<der::DateTime> {
    let secs = u64::try_from(t.timestamp()).map_err(|_| anyhow!("{t} is before 1970"))?;
    Ok(der::DateTime::from_unix_duration(Duration::from_secs(secs))?)
}

/// UTCTime through 2049, GeneralizedTime after (RFC 5280 5.1.2.4).
fn x509_time(t: DateTime<Utc>) -> Result<Time> {
    let dt = der_time(t)?;
    Ok(if dt.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(dt)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;
    use chrono::TimeZone;

    fn jst(y: i32, m: u32, day: u32, h: u32) -> DateTime<FixedOffset> {
        crate::jpdate::jst().with_ymd_and_hms(y, m, day, h, 0, 0).unwrap()
    }

    #[test]
    fn a_crl_names_the_issuing_key_its_number_reasons_and_dates() {
        let dir = tempfile::tempdir().unwrap();
        let ca = crate::issue::ca_source::init_demo(dir.path(), jst(2026, 1, 5, 9)).unwrap();
        let content = CrlContent {
            number: 7,
            this_update: jst(2026, 12, 3, 9),
            next_update: jst(2026, 12, 5, 9),
            entries: vec![
                CrlEntry {
                    serial: "7f01".into(),
                    revoked_at: jst(2026, 12, 1, 10),
                    reason: Some(CrlReason::KeyCompromise),
                    invalidity: Some(d(2026, 11, 30)),
                },
                CrlEntry { serial: "0a02".into(), revoked_at: jst(2026, 12, 2, 10), reason: None, invalidity: None },
            ],
        };
        let der = sign(&ca, &content).unwrap();
        let path = dir.path().join("c.crl");
        std::fs::write(&path, &der).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["crl", "-inform", "DER", "-in", path.to_str().unwrap(), "-noout", "-text"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("Version 2"), "{text}");
        assert!(text.contains("X509v3 CRL Number: \n                7"), "{text}");
        let ski = crate::record::hex(ca.key_id().unwrap().as_bytes()).to_uppercase();
        let colon: Vec<String> = ski.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into()).collect();
        assert!(text.contains(&colon.join(":")), "the issuing CA's own key: {text}");
        assert!(text.contains("Serial Number: 7F01") && text.contains("Key Compromise"), "{text}");
        assert!(text.contains("Invalidity Date: \n                Nov 29 15:00:00 2026 GMT"), "{text}");
        assert!(text.contains("Serial Number: 0A02"), "{text}");
        assert!(text.contains("Last Update: Dec  3 00:00:00 2026 GMT"), "{text}");
        assert!(text.contains("Next Update: Dec  5 00:00:00 2026 GMT"), "{text}");
        assert!(pem(&der).unwrap().starts_with("-----BEGIN X509 CRL-----\n"));
    }
}
