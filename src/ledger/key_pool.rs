//! The ledger's side of the key pool: sealed keys added by `keys fill`, each taken by one
//! reservation in that reservation's transaction, and ended (used or destroyed) by triggers
//! on the issuance that took it (schema step 16), so no path can forget.

use super::Ledger;
use crate::issue::key_pool::SealedKey;
use anyhow::Result;
use rusqlite::{params, OptionalExtension, Transaction};

/// Which pooled key a reservation asks for: the product's key size, sealed under the KEK in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAsk {
    pub bits: u32,
    pub kek_id: String,
}

/// A key taken from the pool for one serial.
#[derive(Debug, Clone)]
pub struct PooledKey {
    pub id: i64,
    pub key: SealedKey,
}

/// How many pooled keys are in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolCount {
    pub bits: u32,
    pub kek_id: String,
    pub state: String,
    pub count: i64,
}

impl Ledger {
    /// Adds sealed keys to the pool in one transaction, with one audit entry naming them.
    pub fn add_pool_keys(&mut self, keys: &[SealedKey]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let now = crate::jpdate::now_iso();
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(keys.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO key_pool (bits, kek_id, spki_sha256, sealed, made_at, state) VALUES (?1, ?2, ?3, ?4, ?5, 'ready')",
            )?;
            for k in keys {
                insert.execute(params![k.bits, k.kek_id, k.spki_sha256, k.sealed, now])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.execute(
            "INSERT INTO audit (at, event, detail) VALUES (?1, 'pool_filled', ?2)",
            params![
                now,
                serde_json::json!({
                    "keys": keys.len(), "bits": keys[0].bits, "kek": keys[0].kek_id,
                    "first_id": ids.first(), "last_id": ids.last()
                })
                .to_string()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keys ready to be taken of this size under this KEK.
    pub fn pool_ready(&self, ask: &PoolAsk) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM key_pool WHERE state = 'ready' AND bits = ?1 AND kek_id = ?2",
            params![ask.bits, ask.kek_id],
            |r| r.get(0),
        )?)
    }

    /// Whether a pool was ever filled (a key made on the spot then means it ran dry).
    pub fn pool_in_use(&self) -> Result<bool> {
        Ok(self.conn.query_row("SELECT EXISTS (SELECT 1 FROM key_pool)", [], |r| r.get(0))?)
    }

    /// The pool by key size, KEK and state.
    pub fn pool_counts(&self) -> Result<Vec<PoolCount>> {
        let mut stmt = self.conn.prepare(
            "SELECT bits, kek_id, state, COUNT(*) FROM key_pool GROUP BY bits, kek_id, state ORDER BY bits, kek_id, state",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PoolCount { bits: r.get(0)?, kek_id: r.get(1)?, state: r.get(2)?, count: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Takes the oldest ready key for `serial` inside the reservation's transaction: the key is
/// the serial's from the moment the reservation exists, and no other reservation can take
/// it. None when the pool has no such key (the certificate's key is made on the spot).
pub(super) fn take(tx: &Transaction, serial: &str, ask: &PoolAsk) -> Result<Option<PooledKey>> {
    let row = tx
        .query_row(
            "UPDATE key_pool SET state = 'taken', serial = ?1
             WHERE id = (SELECT id FROM key_pool WHERE state = 'ready' AND bits = ?2 AND kek_id = ?3 ORDER BY id LIMIT 1)
             RETURNING id, bits, kek_id, spki_sha256, sealed",
            params![serial, ask.bits, ask.kek_id],
            |r| {
                Ok(PooledKey {
                    id: r.get(0)?,
                    key: SealedKey { bits: r.get(1)?, kek_id: r.get(2)?, spki_sha256: r.get(3)?, sealed: r.get(4)? },
                })
            },
        )
        .optional()?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use crate::issue::key_pool::{self, PoolKek};
    use crate::ledger::issuance::Reservation;
    use crate::ledger::key_pool::PoolAsk;
    use crate::ledger::Ledger;

    fn ledger(dir: &std::path::Path) -> Ledger {
        Ledger::open(dir, std::time::Duration::from_secs(1)).unwrap()
    }

    fn count(l: &Ledger, state: &str) -> i64 {
        l.pool_counts().unwrap().iter().filter(|c| c.state == state).map(|c| c.count).sum()
    }

    fn reservation(id: &str, serial: &str) -> Reservation {
        Reservation { application_id: id.into(), serial: serial.into(), batch: "b".into(), reserved_run: 0 }
    }

    #[test]
    fn a_pooled_key_is_taken_once_and_ends_with_its_issuance() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = ledger(dir.path());
        let kek = PoolKek::generate().unwrap();
        let keys: Vec<_> = (0..3).map(|_| key_pool::make(&kek, 2048).unwrap()).collect();
        l.add_pool_keys(&keys).unwrap();
        let ask = PoolAsk { bits: 2048, kek_id: kek.id() };
        let empty = tempfile::tempdir().unwrap();
        assert!(!ledger(empty.path()).pool_in_use().unwrap());
        assert!(l.pool_in_use().unwrap());
        assert_eq!(l.pool_ready(&ask).unwrap(), 3);
        assert_eq!(l.pool_ready(&PoolAsk { bits: 3072, ..ask.clone() }).unwrap(), 0);
        assert_eq!(l.pool_ready(&PoolAsk { kek_id: "00000000".into(), ..ask.clone() }).unwrap(), 0);

        crate::testkit::record_accepted(&mut l, &["A1", "A2"]);
        let asks = [Some(ask.clone()), Some(ask.clone())];
        let (_run, taken) = l.reserve("b", &[reservation("A1", "01"), reservation("A2", "02")], &asks).unwrap();
        let taken: Vec<_> = taken.into_iter().map(Option::unwrap).collect();
        assert_ne!(taken[0].id, taken[1].id);
        assert_eq!(taken[0].key, keys[0], "the oldest first");
        assert_eq!(count(&l, "taken"), 2);

        l.void(&[("02".into(), "test".into())]).unwrap();
        assert_eq!(count(&l, "destroyed"), 1, "a voided attempt destroys its key");
        let sealed_left: i64 =
            l.conn.query_row("SELECT COUNT(*) FROM key_pool WHERE sealed IS NOT NULL", [], |r| r.get(0)).unwrap();
        assert_eq!(sealed_left, 2, "the destroyed key's sealed bytes are gone; the taken and ready ones stay");

        // Nothing moves a key backwards, reuses it or deletes it.
        for sql in [
            "UPDATE key_pool SET state = 'ready', serial = NULL WHERE state = 'taken'",
            "UPDATE key_pool SET serial = '03' WHERE state = 'taken'",
            "UPDATE key_pool SET state = 'taken', serial = '01' WHERE state = 'ready'",
            "DELETE FROM key_pool",
        ] {
            assert!(l.conn.execute(sql, []).is_err(), "{sql}");
        }
        assert_eq!(count(&l, "ready"), 1);
    }
}
