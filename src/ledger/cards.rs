//! The ledger's side of the card station (schema step 17): personalisation jobs queued once
//! by `run`, each token claimed for one job with the certificate's serial reserved in the
//! same transaction, then recorded personalised, or spoiled (wiped) with its job pending
//! again. A token's own serial is the key of its row, so no token is used twice.

use super::issuance::{complete_in, reserve_in, IssuedRecord, Reservation};
use super::Ledger;
use anyhow::{Context, Result};
use rusqlite::{params, OptionalExtension};

/// An application waiting for its card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardJob {
    pub application_id: String,
    pub product: String,
    pub attempts: i64,
    pub last_failure: Option<String>,
}

/// What the station asks for when it claims a token.
#[derive(Debug, Clone)]
pub struct ClaimAsk<'a> {
    pub application_id: &'a str,
    pub token_serial: &'a str,
    /// The station's output folder for the day (`cards-<day>`), relative to `--out`.
    pub out_dir: &'a str,
    /// `Some(prefix, digits)`: label the token with a new card number; `None`: with the
    /// application id.
    pub card_number: Option<(&'a str, usize)>,
}

/// A token claimed for a job: its certificate's serial reserved, its label decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub application_id: String,
    pub token_serial: String,
    pub serial: String,
    pub card_number: Option<String>,
    pub label: String,
    pub out_dir: String,
    pub run_id: i64,
}

/// One line of `cards.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub application_id: String,
    pub serial: String,
    pub card_number: String,
    pub token_label: String,
    /// `personalised`, `failed` (with its reason) or `pending`.
    pub status: String,
    pub reason: String,
}

/// The Luhn check digit of `digits` (ISO/IEC 7812, as payment and ID cards use).
pub fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// The card number of sequence `seq`: prefix, the sequence zero-padded, a check digit.
pub fn card_number(prefix: &str, digits: usize, seq: i64) -> String {
    let width = digits.saturating_sub(prefix.len() + 1);
    let body = format!("{prefix}{seq:0width$}");
    format!("{body}{}", luhn_digit(&body))
}

impl Ledger {
    /// Queues a personalisation job for each application not queued before (a rerun queues
    /// nothing twice). Returns how many are new.
    pub fn queue_card_jobs(&mut self, batch: &str, jobs: &[(String, String)]) -> Result<usize> {
        let now = crate::jpdate::now_iso();
        let tx = self.conn.transaction()?;
        let mut new = 0;
        for (id, product) in jobs {
            let n = tx.execute(
                "INSERT OR IGNORE INTO card_jobs (application_id, product, queued_batch, queued_at, state)
                 VALUES (?1, ?2, ?3, ?4, 'pending')",
                params![id, product, batch, now],
            )?;
            if n == 1 {
                tx.execute(
                    "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'card_queued', ?2, ?3)",
                    params![now, id, format!("personalisation job for {product}")],
                )?;
                new += 1;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// The jobs waiting for a token, oldest first.
    pub fn pending_card_jobs(&self) -> Result<Vec<CardJob>> {
        let mut stmt = self.conn.prepare(
            "SELECT application_id, product, attempts, last_failure FROM card_jobs WHERE state = 'pending'
             ORDER BY queued_at, application_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CardJob { application_id: r.get(0)?, product: r.get(1)?, attempts: r.get(2)?, last_failure: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether an application has a card job (in any state).
    pub fn card_job_state(&self, application_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT state FROM card_jobs WHERE application_id = ?1", [application_id], |r| r.get(0))
            .optional()?)
    }

    /// The product of a card job.
    pub fn card_job_product(&self, application_id: &str) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT product FROM card_jobs WHERE application_id = ?1", [application_id], |r| r.get(0))?)
    }

    /// The run that reserved a serial.
    pub fn reserved_run(&self, serial: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT reserved_run FROM issuances WHERE serial = ?1", [serial], |r| r.get(0))
            .optional()?)
    }

    /// Whether a token was ever claimed (in any state): such a token is never taken again.
    pub fn token_known(&self, token_serial: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM card_tokens WHERE token_serial = ?1)",
            [token_serial],
            |r| r.get(0),
        )?)
    }

    /// Claims a token for a pending job, in one transaction: the certificate's serial
    /// reserved (under a run of its own), the token recorded with its label, the job
    /// claimed. Nothing is written to the token before this commits.
    pub fn claim_card(&mut self, ask: &ClaimAsk, serial: &str) -> Result<Claim> {
        let now = crate::jpdate::now_iso();
        let tx = self.conn.transaction()?;
        let moved = tx.execute(
            "UPDATE card_jobs SET state = 'claimed', attempts = attempts + 1 WHERE application_id = ?1 AND state = 'pending'",
            [ask.application_id],
        )?;
        anyhow::ensure!(moved == 1, "the card job for {} is not pending", ask.application_id);
        let reservation = Reservation {
            application_id: ask.application_id.to_string(),
            serial: serial.to_string(),
            batch: ask.out_dir.to_string(),
            reserved_run: 0,
        };
        let (run_id, _) = reserve_in(&tx, ask.out_dir, &[reservation], &[None])?;
        let (seq, card_number) = match ask.card_number {
            Some((prefix, digits)) => {
                let seq: i64 =
                    tx.query_row("SELECT COALESCE(MAX(card_seq), 0) + 1 FROM card_tokens", [], |r| r.get(0))?;
                (Some(seq), Some(card_number(prefix, digits, seq)))
            }
            None => (None, None),
        };
        let label = card_number.clone().unwrap_or_else(|| ask.application_id.to_string());
        tx.execute(
            "INSERT INTO card_tokens (token_serial, application_id, serial, card_seq, card_number, label, out_dir, state, claimed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'claimed', ?8)",
            params![ask.token_serial, ask.application_id, serial, seq, card_number, label, ask.out_dir, now],
        )
        .with_context(|| format!("cannot claim token {} for {}", ask.token_serial, ask.application_id))?;
        tx.execute(
            "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'card_claimed', ?2, ?3, ?4)",
            params![now, ask.application_id, serial, format!("token {} labelled {label}", ask.token_serial)],
        )?;
        tx.commit()?;
        Ok(Claim {
            application_id: ask.application_id.to_string(),
            token_serial: ask.token_serial.to_string(),
            serial: serial.to_string(),
            card_number,
            label,
            out_dir: ask.out_dir.to_string(),
            run_id,
        })
    }

    /// Tokens claimed and never recorded: what a stopped station left (they are wiped).
    pub fn open_card_claims(&self) -> Result<Vec<Claim>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.application_id, t.token_serial, t.serial, t.card_number, t.label, t.out_dir, i.reserved_run
             FROM card_tokens t JOIN issuances i ON i.serial = t.serial WHERE t.state = 'claimed' ORDER BY t.claimed_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Claim {
                application_id: r.get(0)?,
                token_serial: r.get(1)?,
                serial: r.get(2)?,
                card_number: r.get(3)?,
                label: r.get(4)?,
                out_dir: r.get(5)?,
                run_id: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a personalised card in one transaction: the certificate issued (the
    /// application becomes `issued`), the token and the job done.
    pub fn card_personalised(&mut self, claim: &Claim, record: &IssuedRecord) -> Result<()> {
        let now = crate::jpdate::now_iso();
        let tx = self.conn.transaction()?;
        complete_in(&tx, claim.run_id, std::slice::from_ref(record))?;
        tx.execute(
            "UPDATE card_tokens SET state = 'personalised', ended_at = ?2, ended_why = 'personalised' WHERE token_serial = ?1",
            params![claim.token_serial, now],
        )?;
        tx.execute(
            "UPDATE card_jobs SET state = 'personalised', last_failure = NULL WHERE application_id = ?1",
            [&claim.application_id],
        )?;
        tx.execute(
            "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'card_personalised', ?2, ?3, ?4)",
            params![now, claim.application_id, claim.serial, format!("token {} labelled {}", claim.token_serial, claim.label)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records a claimed token wiped and spoiled, in one transaction: its serial voided (if
    /// still reserved), the token never to be used again, the job pending with `why`.
    pub fn card_spoiled(&mut self, claim: &Claim, why: &str) -> Result<()> {
        let now = crate::jpdate::now_iso();
        let tx = self.conn.transaction()?;
        let voided = tx.execute(
            "UPDATE issuances SET state = 'void', void_reason = ?2 WHERE serial = ?1 AND state = 'reserved'",
            params![claim.serial, format!("card not personalised: {why}")],
        )?;
        if voided == 1 {
            tx.execute(
                "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'void', ?2, ?3, ?4)",
                params![now, claim.application_id, claim.serial, format!("card not personalised: {why}")],
            )?;
        }
        tx.execute(
            "UPDATE card_tokens SET state = 'spoiled', ended_at = ?2, ended_why = ?3 WHERE token_serial = ?1",
            params![claim.token_serial, now, why],
        )?;
        tx.execute(
            "UPDATE card_jobs SET state = 'pending', last_failure = ?2 WHERE application_id = ?1 AND state = 'claimed'",
            params![claim.application_id, why],
        )?;
        tx.execute(
            "INSERT INTO audit (at, event, application_id, serial, detail) VALUES (?1, 'card_spoiled', ?2, ?3, ?4)",
            params![now, claim.application_id, claim.serial, format!("token {} wiped: {why}", claim.token_serial)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Notes why a pending job was not personalised this time (no token, a refused token).
    pub fn card_job_failed(&mut self, application_id: &str, why: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE card_jobs SET last_failure = ?2 WHERE application_id = ?1 AND state = 'pending'",
            params![application_id, why],
        )?;
        Ok(())
    }

    /// The cards of one station day (`cards-<day>`): every token claimed that day, then
    /// every job still waiting.
    pub fn cards_of_day(&self, out_dir: &str) -> Result<Vec<CardRow>> {
        let mut rows = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT application_id, serial, COALESCE(card_number, ''), label, state, COALESCE(ended_why, '')
             FROM card_tokens WHERE out_dir = ?1 ORDER BY claimed_at, application_id",
        )?;
        for r in stmt.query_map([out_dir], |r| {
            let state: String = r.get(4)?;
            let (status, reason) = match state.as_str() {
                "personalised" => ("personalised", String::new()),
                "spoiled" => ("failed", r.get(5)?),
                // Claimed by a session that stopped: wiped by the next with the token present.
                _ => ("pending", "claimed by a stopped session: the token must be present to be wiped".to_string()),
            };
            Ok(CardRow {
                application_id: r.get(0)?,
                serial: r.get(1)?,
                card_number: r.get(2)?,
                token_label: r.get(3)?,
                status: status.into(),
                reason,
            })
        })? {
            rows.push(r?);
        }
        for job in self.pending_card_jobs()? {
            rows.push(CardRow {
                application_id: job.application_id,
                serial: String::new(),
                card_number: String::new(),
                token_label: String::new(),
                status: "pending".into(),
                reason: job.last_failure.unwrap_or_default(),
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_have_sixteen_digits_and_a_luhn_check_digit() {
        // The textbook Luhn example: 7992739871 checks with 3.
        assert_eq!(luhn_digit("7992739871"), 3);
        let n = card_number("4649", 16, 42);
        assert_eq!(n.len(), 16);
        assert!(n.starts_with("464900000000042"));
        let (body, check) = n.split_at(15);
        assert_eq!(luhn_digit(body).to_string(), check);
        assert_ne!(card_number("4649", 16, 43), n);
    }
}
