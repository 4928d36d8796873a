//! The emails of a run, as `.eml` files in `OUT/<batch>/mail/`: review results (accepted,
//! or the deficiency notice on the day of the first review notice) and, for download
//! products, the download URL. No email carries a PIN or a password.
//!
//! Each mail is dated by what it is about (the batch's first run for review results, the
//! certificate's notBefore for its download URL) and its Message-ID derives from its
//! contents, so a rerun writes the same bytes and a mail sender never sends one twice.

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

    pub fn sender(&self) -> Sender {
        Sender { name: self.from_name.clone(), address: self.from_address.clone(), domain: self.domain.clone() }
    }
}

/// Review-result mails: `accepted` for applications accepted in this run, the deficiency
/// notice for those whose first review notice is today. `moment` is the batch's first run.
pub fn review_mails(
    out_b: &Path,
    cfg: &MailConfig,
    decisions: &[Decision],
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<usize> {
    use rayon::prelude::*;
    let written: Vec<Result<bool>> = decisions.par_iter().map(|d| review_mail(out_b, cfg, d, as_of, moment)).collect();
    let mut n = 0;
    for w in written {
        n += usize::from(w?);
    }
    Ok(n)
}

/// The review mail of one decision, if it gets one.
fn review_mail(
    out_b: &Path,
    cfg: &MailConfig,
    d: &Decision,
    as_of: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<bool> {
    {
        let Some(app) = &d.application else { return Ok(false) };
        let first_notice_today = d.first_notice_on == Some(as_of);
        let (accepted, reasons) = match d.status {
            Status::Accepted | Status::Issued
                if matches!(d.change, Change::New | Change::Corrected | Change::Rescreened) =>
            {
                (true, Vec::new())
            }
            Status::Deficient if first_notice_today => {
                let reasons = d
                    .findings
                    .iter()
                    .filter(|f| f.severity != crate::finding::Severity::Warning)
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>();
                (false, reasons)
            }
            _ => return Ok(false),
        };
        let eml = review_result_mail(&cfg.sender(), &app.name_kanji, &app.email, &app.id, accepted, &reasons, moment)?;
        crate::fsio::write_output(&out_b.join("mail").join(format!("{}-review.eml", app.id)), &eml, false)?;
        Ok(true)
    }
}

/// One certificate with a download link, as its mail quotes it.
#[derive(Debug, Clone)]
pub struct DownloadLink {
    pub application: Application,
    pub serial: String,
    pub not_before: DateTime<FixedOffset>,
    pub expires: DateTime<FixedOffset>,
}

/// Download-URL mails, dated at each certificate's issue.
pub fn download_mails(out_b: &Path, cfg: &MailConfig, links: &[DownloadLink]) -> Result<usize> {
    for l in links {
        let app = &l.application;
        let url = cfg.download_url.replace("{serial}", &l.serial);
        let expires = format!("{} {}", crate::jpdate::to_era_string(l.expires.date_naive()), l.expires.format("%H:%M"));
        let eml = download_url_mail(&cfg.sender(), &app.name_kanji, &app.email, &app.id, &url, &expires, l.not_before)?;
        crate::fsio::write_output(&out_b.join("mail").join(format!("{}-download.eml", app.id)), &eml, false)?;
    }
    Ok(links.len())
}
