//! Refunds (batch contract section 6, "Refunds"; domain-rules §6). Pure: what each
//! application paid and why it may get money back come in, one decision per application
//! goes out, and the ledger keeps it so it is made once.
//!
//! - Before issue (`refund_due`): what was received, when the product says so (G-ID).
//! - On revocation, pro rata (AOSign): `floor(paid × remaining_days / total_days)` per
//!   card, the cards of one request (same request day and company) added up, nothing when
//!   that total is under the product's minimum (1,000 yen).
//! - Otherwise nothing (G-ID after issue; Web).
//!
//! A refund is never computed from money not received: `paid` is what the bank
//! statements allocated to the application, at most the certificate's own price with tax
//! (card readers bought with a card are goods, not validity).

use crate::product::{RefundOnRevocation, Refunds};
use crate::text::yen;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Why an application may get money back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Deficient too long after the first notice (`documents_overdue`).
    DocumentsOverdue,
    /// Its certificate was revoked.
    Revoked {
        reason: String,
        requested_on: NaiveDate,
        revoked_on: NaiveDate,
        not_before: NaiveDate,
        not_after: NaiveDate,
    },
}

/// An application owed a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub application_id: String,
    pub serial: String,
    pub product: String,
    /// Received for the certificate itself (capped at its price with tax).
    pub paid: i64,
    /// Who the cards of one request belong to: the corporate number, else the application.
    pub company: String,
    pub cause: Cause,
}

/// One decision, as `refunds.csv` and finance's `refunds_due` sheet show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub application_id: String,
    pub serial: String,
    /// `documents_overdue` or the revocation's reason code.
    pub reason: String,
    pub paid: i64,
    pub refund: i64,
    /// How the amount came about, in words finance can check by hand.
    pub basis: String,
    /// False when the product refunds nothing for this cause: decided (so never asked
    /// again) but not a refund anyone is owed or told about.
    pub listed: bool,
}

/// The pro rata part of `paid`: `floor(paid × remaining / total)` with days counted between
/// JST dates (contract section 6). Returns (refund, remaining days, total days).
pub fn pro_rata(paid: i64, not_before: NaiveDate, not_after: NaiveDate, revoked_on: NaiveDate) -> (i64, i64, i64) {
    let total = (not_after - not_before).num_days().max(1);
    let remaining = (not_after - revoked_on).num_days().clamp(0, total);
    // i128: a yen amount times a day count cannot overflow here.
    let refund = (i128::from(paid.max(0)) * i128::from(remaining) / i128::from(total)) as i64;
    (refund, remaining, total)
}

/// Decides every candidate under its product's rules (`rules` gives them by product id).
pub fn decide<'a>(candidates: &[Candidate], rules: impl Fn(&str) -> Option<&'a Refunds>) -> Vec<Refund> {
    let mut out = Vec::new();
    // Pro rata refunds wait for their group's total: (product, request day, company).
    let mut groups: BTreeMap<(String, NaiveDate, String), Vec<Refund>> = BTreeMap::new();
    for c in candidates {
        let none = |reason: &str, why: &str| Refund {
            application_id: c.application_id.clone(),
            serial: c.serial.clone(),
            reason: reason.to_string(),
            paid: c.paid,
            refund: 0,
            basis: why.to_string(),
            listed: false,
        };
        let Some(rules) = rules(&c.product) else {
            out.push(none(cause_code(&c.cause), "商品の規定なし: 返金なし"));
            continue;
        };
        match &c.cause {
            Cause::DocumentsOverdue if rules.before_issue => {
                let basis = if c.paid > 0 {
                    format!("書類不備のまま期限経過: 受領額 {} 円を全額返金", yen(c.paid))
                } else {
                    "書類不備のまま期限経過: 入金なしのため返金なし".to_string()
                };
                out.push(Refund { refund: c.paid, basis, listed: true, ..none("documents_overdue", "") });
            }
            Cause::DocumentsOverdue => out.push(none("documents_overdue", "商品の規定により返金なし")),
            Cause::Revoked { reason, requested_on, revoked_on, not_before, not_after } => match rules.on_revocation {
                RefundOnRevocation::None => out.push(none(reason, "発行後の返金なし（商品の規定）")),
                RefundOnRevocation::ProRata if c.paid == 0 => {
                    // Nothing received (an invoice not yet paid): nothing to compute from.
                    out.push(Refund { basis: "入金なし: 返金なし".into(), listed: true, ..none(reason, "") });
                }
                RefundOnRevocation::ProRata => {
                    let (refund, remaining, total) = pro_rata(c.paid, *not_before, *not_after, *revoked_on);
                    let basis = format!(
                        "受領額 {} 円 × 残存 {remaining} 日 / 有効期間 {total} 日 = {} 円",
                        yen(c.paid),
                        yen(refund)
                    );
                    groups.entry((c.product.clone(), *requested_on, c.company.clone())).or_default().push(Refund {
                        refund,
                        basis,
                        listed: true,
                        ..none(reason, "")
                    });
                }
            },
        }
    }
    for ((product, _, _), mut cards) in groups {
        let minimum = rules(&product).map_or(0, |r| i64::from(r.minimum_total_yen));
        let total: i64 = cards.iter().map(|r| r.refund).sum();
        let n = cards.len();
        for r in &mut cards {
            if total < minimum {
                r.basis = format!(
                    "{}; 同一申請 {n} 枚の合計 {} 円が {} 円未満のため返金なし",
                    r.basis,
                    yen(total),
                    yen(minimum)
                );
                r.refund = 0;
            } else if n > 1 {
                r.basis = format!("{}; 同一申請 {n} 枚の合計 {} 円", r.basis, yen(total));
            }
        }
        out.extend(cards);
    }
    out.sort_by(|a, b| a.application_id.cmp(&b.application_id));
    out
}

/// Decides and records every refund owed a decision, dated `on` (the day it falls due,
/// whichever command found it). Run after anything that can revoke or close an
/// application; each application's decision is made once.
pub fn settle(
    ledger: &mut crate::ledger::Ledger,
    pipelines: &crate::pipelines::Pipelines,
    on: NaiveDate,
) -> anyhow::Result<usize> {
    let candidates = ledger.refund_candidates()?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let refunds = decide(&candidates, |p| pipelines.product(p).map(|p| &p.refunds));
    ledger.record_refunds(on, &refunds)
}

fn cause_code(c: &Cause) -> &str {
    match c {
        Cause::DocumentsOverdue => "documents_overdue",
        Cause::Revoked { reason, .. } => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn aosign_rules() -> Refunds {
        Refunds {
            before_issue: true,
            on_revocation: RefundOnRevocation::ProRata,
            minimum_total_yen: 1000,
            ..Refunds::default()
        }
    }

    fn card(id: &str, paid: i64, requested_on: NaiveDate, revoked_on: NaiveDate) -> Candidate {
        Candidate {
            application_id: id.into(),
            serial: format!("S{id}"),
            product: "aosign-g2".into(),
            paid,
            company: "4011001040781".into(),
            cause: Cause::Revoked {
                reason: "affiliation_changed".into(),
                requested_on,
                revoked_on,
                not_before: d(2026, 11, 19),
                // 1y+30d: the day before 2027-11-19, plus 30 days.
                not_after: d(2027, 12, 18),
            },
        }
    }

    #[test]
    fn the_contract_formula_by_hand() {
        // 2026-11-19 → 2027-12-18 is 394 days; revoked 2027-05-19, 213 days remain.
        assert_eq!(pro_rata(19_800, d(2026, 11, 19), d(2027, 12, 18), d(2027, 5, 19)), (10_704, 213, 394));
        // 19,800 × 213 / 394 = 10,704.06 → 10,704 (floor).
        assert_eq!(pro_rata(19_800, d(2026, 11, 19), d(2027, 12, 18), d(2026, 11, 19)), (19_800, 394, 394));
        assert_eq!(pro_rata(19_800, d(2026, 11, 19), d(2027, 12, 18), d(2028, 1, 1)).0, 0);
    }

    #[test]
    fn an_aosign_partial_year_is_refunded_pro_rata() {
        let rules = aosign_rules();
        let out = decide(&[card("A1", 19_800, d(2027, 5, 18), d(2027, 5, 19))], |_| Some(&rules));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].refund, 10_704);
        assert!(out[0].basis.contains("19,800 円 × 残存 213 日 / 有効期間 394 日 = 10,704 円"), "{}", out[0].basis);
    }

    #[test]
    fn two_cards_under_1000_yen_together_refund_nothing_and_over_it_both_are_paid() {
        let rules = aosign_rules();
        // 19,800 × 10/394 = 502 each: 1,004 together, paid.
        let late = d(2027, 12, 8);
        let both = [card("A1", 19_800, late, late), card("A2", 19_800, late, late)];
        let out = decide(&both, |_| Some(&rules));
        assert_eq!(out.iter().map(|r| r.refund).collect::<Vec<_>>(), [502, 502]);
        // 19,800 × 9/394 = 452 each: 904 together, under 1,000: nothing.
        let later = d(2027, 12, 9);
        let both = [card("A1", 19_800, later, later), card("A2", 19_800, later, later)];
        let out = decide(&both, |_| Some(&rules));
        assert_eq!(out.iter().map(|r| r.refund).collect::<Vec<_>>(), [0, 0]);
        assert!(out[0].basis.contains("904 円が 1,000 円未満"), "{}", out[0].basis);
        assert!(out.iter().all(|r| r.listed));
        // Another request day is another request.
        let apart = [card("A1", 19_800, late, late), card("A2", 19_800, d(2027, 12, 7), late)];
        assert_eq!(decide(&apart, |_| Some(&rules)).iter().map(|r| r.refund).sum::<i64>(), 0);
    }

    #[test]
    fn gid_refunds_what_was_received_before_issue_and_nothing_after() {
        let rules = Refunds { before_issue: true, on_revocation: RefundOnRevocation::None, ..Refunds::default() };
        let overdue = |id: &str, paid| Candidate {
            application_id: id.into(),
            serial: String::new(),
            product: "gid-download".into(),
            paid,
            company: id.into(),
            cause: Cause::DocumentsOverdue,
        };
        let mut revoked = card("G3", 7_700, d(2027, 1, 5), d(2027, 1, 5));
        revoked.product = "gid-download".into();
        let out = decide(&[overdue("G1", 7_700), overdue("G2", 0), revoked], |_| Some(&rules));
        let by_id: BTreeMap<&str, &Refund> = out.iter().map(|r| (r.application_id.as_str(), r)).collect();
        assert_eq!((by_id["G1"].refund, by_id["G1"].listed), (7_700, true));
        assert_eq!((by_id["G2"].refund, by_id["G2"].listed), (0, true));
        assert!(by_id["G2"].basis.contains("入金なし"));
        assert_eq!((by_id["G3"].refund, by_id["G3"].listed), (0, false));
    }

    #[test]
    fn money_not_received_is_never_refunded() {
        let rules = aosign_rules();
        let out = decide(&[card("A1", 0, d(2026, 12, 1), d(2026, 12, 1))], |_| Some(&rules));
        assert_eq!((out[0].refund, out[0].basis.as_str(), out[0].listed), (0, "入金なし: 返金なし", true));
    }
}
