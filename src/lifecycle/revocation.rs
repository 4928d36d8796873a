//! Revocation requests (batch contract section 6): their reasons, who asks, and what each
//! request comes to. Pure: the ledger's facts about the certificate come in, a decision goes
//! out; `lifecycle::daily` and the `revoke` command record it.

use chrono::NaiveDate;
use x509_cert::ext::pkix::CrlReason;

/// Why a certificate is revoked: the contract's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    PrivilegeWithdrawn,
    NoReceipt,
    NonPayment,
    DeliveryFailed,
    CaCompromise,
    Unspecified,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::KeyCompromise,
        Reason::AffiliationChanged,
        Reason::Superseded,
        Reason::CessationOfOperation,
        Reason::PrivilegeWithdrawn,
        Reason::NoReceipt,
        Reason::NonPayment,
        Reason::DeliveryFailed,
        Reason::CaCompromise,
        Reason::Unspecified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::KeyCompromise => "key_compromise",
            Reason::AffiliationChanged => "affiliation_changed",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessation_of_operation",
            Reason::PrivilegeWithdrawn => "privilege_withdrawn",
            Reason::NoReceipt => "no_receipt",
            Reason::NonPayment => "non_payment",
            Reason::DeliveryFailed => "delivery_failed",
            Reason::CaCompromise => "ca_compromise",
            Reason::Unspecified => "unspecified",
        }
    }

    /// The words of the 失効通知書 and the mail.
    pub fn japanese(self) -> &'static str {
        match self {
            Reason::KeyCompromise => "秘密鍵の危殆化・PIN紛失",
            Reason::AffiliationChanged => "記載事項の変更・退職・異動",
            Reason::Superseded => "再発行・更新による置換",
            Reason::CessationOfOperation => "利用中止・死亡・廃業",
            Reason::PrivilegeWithdrawn => "義務違反・資格喪失",
            Reason::NoReceipt => "受領報告なし（発行後30日）",
            Reason::NonPayment => "料金未払い",
            Reason::DeliveryFailed => "受領不能（ダウンロード失敗・媒体不良）",
            Reason::CaCompromise => "認証局の鍵の危殆化",
            Reason::Unspecified => "その他",
        }
    }

    /// The CRL entry's reasonCode; `None` leaves the extension out (RFC 5280 5.3.1).
    pub fn crl_reason(self) -> Option<CrlReason> {
        match self {
            Reason::KeyCompromise => Some(CrlReason::KeyCompromise),
            Reason::AffiliationChanged => Some(CrlReason::AffiliationChanged),
            Reason::Superseded => Some(CrlReason::Superseded),
            Reason::CessationOfOperation | Reason::DeliveryFailed => Some(CrlReason::CessationOfOperation),
            Reason::PrivilegeWithdrawn | Reason::NoReceipt | Reason::NonPayment => Some(CrlReason::PrivilegeWithdrawn),
            Reason::CaCompromise => Some(CrlReason::CaCompromise),
            Reason::Unspecified => None,
        }
    }
}

impl std::str::FromStr for Reason {
    type Err = String;
    /// The code or its Japanese words.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        by_name(Reason::ALL, s, |r| (r.as_str(), r.japanese())).ok_or_else(|| {
            format!(
                "unknown revocation reason {:?}; one of {}",
                s.trim(),
                Reason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value whose contract code or Japanese words `text` is (surrounding spaces ignored).
fn by_name<T: Copy>(all: &[T], text: &str, names: impl Fn(T) -> (&'static str, &'static str)) -> Option<T> {
    let text = text.trim();
    all.iter().copied().find(|v| {
        let (code, words) = names(*v);
        code == text || words == text
    })
}

/// Who asked for the revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestedBy {
    Subscriber,
    Organization,
    ThirdParty,
    Ca,
}

impl RequestedBy {
    pub const ALL: &'static [RequestedBy] =
        &[RequestedBy::Subscriber, RequestedBy::Organization, RequestedBy::ThirdParty, RequestedBy::Ca];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestedBy::Subscriber => "subscriber",
            RequestedBy::Organization => "organization",
            RequestedBy::ThirdParty => "third_party",
            RequestedBy::Ca => "ca",
        }
    }

    fn japanese(self) -> &'static str {
        match self {
            RequestedBy::Subscriber => "加入者",
            RequestedBy::Organization => "所属組織",
            RequestedBy::ThirdParty => "第三者",
            RequestedBy::Ca => "認証局",
        }
    }
}

impl std::str::FromStr for RequestedBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        by_name(RequestedBy::ALL, s, |r| (r.as_str(), r.japanese())).ok_or_else(|| {
            format!("unknown requester {:?}; one of subscriber, organization, third_party, ca", s.trim())
        })
    }
}

/// Which certificate a request or receipt names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Serial(String),
    Application(String),
    /// Typed on the command line: a serial when one matches, else an application id.
    Either(String),
}

impl Target {
    /// A serial (hex; case, `:` and spaces ignored) or an application id, told apart by
    /// what the ledger knows: the caller tries both.
    pub fn serial_form(text: &str) -> Option<String> {
        let s: String = text.chars().filter(|c| !matches!(c, ':' | ' ' | '\u{3000}')).collect();
        let s = s.to_ascii_lowercase();
        (!s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_hexdigit())).then_some(s)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Serial(s) => write!(f, "serial {s}"),
            Target::Application(a) => write!(f, "application {a}"),
            Target::Either(x) => write!(f, "{x}"),
        }
    }
}

/// One revocation request, from `revoke`, a `revocations.csv` row, or `daily` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub target: Target,
    pub reason: Reason,
    pub requested_by: RequestedBy,
    pub requested_on: NaiveDate,
    pub invalidity_date: Option<NaiveDate>,
    /// A later day it takes effect; `None`: at once.
    pub effective_on: Option<NaiveDate>,
    /// Where it came from: `revoke`, `revocations.csv row 4`, `daily`.
    pub source: String,
}

/// What the ledger knows of the named certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    pub serial: String,
    pub application_id: String,
    pub not_after: NaiveDate,
    pub issued_on: NaiveDate,
    /// Revoked already, or scheduled: (reason, effective day).
    pub revocation: Option<(Reason, NaiveDate, bool)>,
}

/// The status a request ends in (contract section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Revoked,
    Scheduled,
    AlreadyRevoked,
    Expired,
    Unknown,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Revoked => "revoked",
            Outcome::Scheduled => "scheduled",
            Outcome::AlreadyRevoked => "already_revoked",
            Outcome::Expired => "expired",
            Outcome::Unknown => "unknown",
            Outcome::Refused => "refused",
        }
    }

    /// Whether the ledger records something for it.
    pub fn records(self) -> bool {
        matches!(self, Outcome::Revoked | Outcome::Scheduled)
    }
}

/// A request with what it comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub request: Request,
    pub cert: Option<CertFacts>,
    pub outcome: Outcome,
    pub message: String,
}

/// Decides one request on `today`. A certificate already revoked (or scheduled) is not
/// revoked again; a request dated in the future or before issue is refused; a request that
/// takes effect later is scheduled; an expired certificate is not revoked.
pub fn decide(request: Request, cert: Option<CertFacts>, today: NaiveDate) -> Decision {
    let (outcome, message) = match &cert {
        None => (Outcome::Unknown, format!("no issued certificate for {}", request.target)),
        Some(c) => {
            let effective = request.effective_on.unwrap_or(today).max(today);
            if let Some((reason, on, done)) = c.revocation {
                let what = if done { "revoked" } else { "scheduled for revocation" };
                (Outcome::AlreadyRevoked, format!("{} is already {what} ({reason}, {on}); nothing changes", c.serial))
            } else if c.not_after < today {
                (
                    Outcome::Expired,
                    format!("{} expired on {}; an expired certificate is not revoked", c.serial, c.not_after),
                )
            } else if request.requested_on > today {
                (Outcome::Refused, format!("requested_on {} is after today ({today})", request.requested_on))
            } else if request.invalidity_date.is_some_and(|d| d > today) {
                (Outcome::Refused, "invalidity_date is in the future".to_string())
            } else if request.effective_on.is_some_and(|d| d > c.not_after) {
                (
                    Outcome::Refused,
                    format!("effective_on {} is after the certificate ends ({})", effective, c.not_after),
                )
            } else if effective > today {
                (Outcome::Scheduled, format!("{} will be revoked on {effective} ({})", c.serial, request.reason))
            } else {
                (Outcome::Revoked, format!("{} revoked ({})", c.serial, request.reason))
            }
        }
    };
    Decision { request, cert, outcome, message }
}

/// The columns of `revocations.csv` (contract section 6).
pub const COLUMNS: &[(&str, &str)] = &[
    ("serial", "シリアル番号"),
    ("application_id", "申込コード"),
    ("reason", "失効理由"),
    ("requested_on", "申請日"),
    ("requested_by", "申請者"),
    ("invalidity_date", "危殆化日"),
    ("effective_on", "失効日"),
];

/// The certificate a row names: its serial, else its application id.
pub fn target_of(row: &super::sheet::SheetRow) -> Result<Target, String> {
    match (row.get("serial"), row.get("application_id")) {
        (Some(s), _) => Target::serial_form(s).map(Target::Serial).ok_or_else(|| format!("serial {s:?} is not hex")),
        (None, Some(a)) => Ok(Target::Application(a.to_string())),
        (None, None) => Err("neither serial nor application_id is given".into()),
    }
}

pub(super) fn date_cell(row: &super::sheet::SheetRow, key: &str) -> Result<Option<NaiveDate>, String> {
    row.get(key).map(|v| crate::jpdate::parse_date(v).map_err(|e| format!("{key}: {e}"))).transpose()
}

/// One `revocations.csv` row as a request; `Err` says which cell is wrong.
pub fn request_from_row(row: &super::sheet::SheetRow, file: &str) -> Result<Request, String> {
    let target = target_of(row)?;
    let reason = row.get("reason").ok_or("reason is empty")?.parse::<Reason>()?;
    let requested_by = row.get("requested_by").ok_or("requested_by is empty")?.parse::<RequestedBy>()?;
    let requested_on = date_cell(row, "requested_on")?.ok_or("requested_on is empty")?;
    Ok(Request {
        target,
        reason,
        requested_by,
        requested_on,
        invalidity_date: date_cell(row, "invalidity_date")?,
        effective_on: date_cell(row, "effective_on")?,
        source: format!("{file} row {}", row.row),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn req(effective: Option<NaiveDate>) -> Request {
        Request {
            target: Target::Serial("ab".into()),
            reason: Reason::KeyCompromise,
            requested_by: RequestedBy::Subscriber,
            requested_on: d(2026, 12, 1),
            invalidity_date: Some(d(2026, 11, 30)),
            effective_on: effective,
            source: "revoke".into(),
        }
    }

    fn cert() -> CertFacts {
        CertFacts {
            serial: "ab".into(),
            application_id: "A1".into(),
            not_after: d(2027, 11, 30),
            issued_on: d(2026, 11, 20),
            revocation: None,
        }
    }

    #[test]
    fn every_request_ends_in_one_status() {
        let today = d(2026, 12, 3);
        let cases: Vec<(&str, Request, Option<CertFacts>, Outcome)> = vec![
            ("at once", req(None), Some(cert()), Outcome::Revoked),
            ("effective today", req(Some(today)), Some(cert()), Outcome::Revoked),
            ("later", req(Some(d(2026, 12, 20))), Some(cert()), Outcome::Scheduled),
            ("after the end", req(Some(d(2028, 1, 1))), Some(cert()), Outcome::Refused),
            (
                "twice",
                req(None),
                Some(CertFacts { revocation: Some((Reason::Superseded, d(2026, 12, 1), true)), ..cert() }),
                Outcome::AlreadyRevoked,
            ),
            ("expired", req(None), Some(CertFacts { not_after: d(2026, 12, 2), ..cert() }), Outcome::Expired),
            ("unknown", req(None), None, Outcome::Unknown),
            ("dated later", Request { requested_on: d(2026, 12, 4), ..req(None) }, Some(cert()), Outcome::Refused),
        ];
        for (name, r, c, want) in cases {
            assert_eq!(decide(r, c, today).outcome, want, "{name}");
        }
    }

    #[test]
    fn reasons_read_codes_or_japanese_and_map_to_crl_reason_codes() {
        assert_eq!("no_receipt".parse::<Reason>().unwrap(), Reason::NoReceipt);
        assert_eq!("料金未払い".parse::<Reason>().unwrap(), Reason::NonPayment);
        assert!("lost".parse::<Reason>().unwrap_err().contains("key_compromise"));
        assert_eq!(Reason::NoReceipt.crl_reason(), Some(CrlReason::PrivilegeWithdrawn));
        assert_eq!(Reason::DeliveryFailed.crl_reason(), Some(CrlReason::CessationOfOperation));
        assert_eq!(Reason::Unspecified.crl_reason(), None);
        assert_eq!("所属組織".parse::<RequestedBy>().unwrap(), RequestedBy::Organization);
        assert_eq!(Target::serial_form("AB:CD 01"), Some("abcd01".into()));
        assert_eq!(Target::serial_form("GD-20261119-001"), None);
    }
}
