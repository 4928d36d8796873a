//! The emails of a run, as `.eml` files in `OUT/<batch>/mail/`: review results (accepted,
//! or the deficiency notice on the day of the first review notice) and, for download
//! products, the download URL. No email carries a PIN or a password.

use crate::issue::Issued;
use crate::mail::{download_url_mail, review_result_mail, Sender};
use crate::record::{Application, Status};
use crate::screen::{Change, Decision};
use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use std::path::Path;

/// `pipelines/letters/mail.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub from_name: String,
    pub from_address: String,
    pub domain: String,
    /// With `{serial}`.
    pub download_url: String,
}

impl MailConfig {
    pub fn load(pipelines_dir: &Path) -> Result<MailConfig> {
        crate::pipelines::read_toml(&pipelines_dir.join("letters/mail.toml"))
    }

    fn sender(&self) -> Sender {
        Sender { name: self.from_name.clone(), address: self.from_address.clone(), domain: self.domain.clone() }
    }
}

/// Review-result mails: `accepted` for applications accepted in this run, the deficiency
/// notice for those whose first review notice is today.
pub fn review_mails(
    out_dir: &Path,
    cfg: &MailConfig,
    decisions: &[Decision],
    as_of: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<usize> {
    let mut n = 0;
    for d in decisions {
        let Some(app) = &d.application else { continue };
        let first_notice_today = d.first_notice_on == Some(as_of);
        let (accepted, reasons) = match d.status {
            Status::Accepted if matches!(d.change, Change::New | Change::Rescreened) => (true, Vec::new()),
            Status::Deficient if first_notice_today => {
                let reasons = d
                    .findings
                    .iter()
                    .filter(|f| f.severity != crate::finding::Severity::Warning)
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>();
                (false, reasons)
            }
            _ => continue,
        };
        let eml = review_result_mail(&cfg.sender(), &app.name_kanji, &app.email, &app.id, accepted, &reasons, now)?;
        crate::fsio::write_atomic(&out_dir.join("mail").join(format!("{}-review.eml", app.id)), &eml, false)?;
        n += 1;
    }
    Ok(n)
}

/// Download-URL mails for certificates with a download link.
pub fn download_mails(
    out_dir: &Path,
    cfg: &MailConfig,
    issued: &[Issued],
    apps: &std::collections::BTreeMap<String, Application>,
    now: DateTime<FixedOffset>,
) -> Result<usize> {
    let mut n = 0;
    for i in issued {
        let (Some(expires), Some(app)) = (i.download_expires, apps.get(&i.application_id)) else { continue };
        let url = cfg.download_url.replace("{serial}", &i.serial);
        let expires = format!("{} {}", crate::jpdate::to_era_string(expires.date_naive()), expires.format("%H:%M"));
        let eml = download_url_mail(&cfg.sender(), &app.name_kanji, &app.email, &app.id, &url, &expires, now)?;
        crate::fsio::write_atomic(&out_dir.join("mail").join(format!("{}-download.eml", app.id)), &eml, false)?;
        n += 1;
    }
    Ok(n)
}
