//! The ledger: what certbatch has seen and decided, in SQLite under the state folder.
//!
//! Takes the decisions of a run and records them in one transaction, so a run killed at
//! any point leaves the ledger as before it or as after it. Reads give the earlier days'
//! applications and documents that today's rows refer to. Nothing secret is ever stored
//! here. One run holds the state folder at a time ([`lock`]).

pub mod audit;
pub mod cards;
pub mod changes;
pub mod issuance;
pub mod key_pool;
pub mod lifecycle;
pub mod lock;
pub mod payments;
pub mod refunds;
pub mod retention;
pub mod schema;
pub mod story;

use crate::finding::Location;
use crate::record::{Application, DocumentRow, Owner, Status};
use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

pub const LEDGER_FILE: &str = "ledger.sqlite3";

/// The JST date of a date or RFC 3339 time as the ledger stores it (`2026-11-19`,
/// `2026-11-19T23:59:59+09:00`); anything else means the ledger is damaged.
pub(crate) fn day(text: &str) -> Result<NaiveDate> {
    text.get(..10).unwrap_or(text).parse().with_context(|| format!("ledger: {text:?} is not a date"))
}

/// An application as the ledger holds it.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub application: Application,
    pub content_hash: String,
    pub batch: String,
    pub status: Status,
    pub reasons: String,
    pub first_notice_on: Option<NaiveDate>,
    /// Contents a correction replaced (their hashes): a rerun of their batch finds its row
    /// superseded, not a duplicate.
    pub superseded: BTreeSet<String>,
    /// (contents, batch) of each correction made: a correcting batch run again after a
    /// later correction finds its row already applied.
    pub corrections_made: BTreeSet<(String, String)>,
}

/// A document as the ledger holds it, with the day it arrived.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub batch: String,
    pub document: DocumentRow,
    pub arrived_on: NaiveDate,
    pub scan_status: String,
    pub sha256: Option<String>,
    /// SHA-256 of the copy in the archive (masked where it showed a My Number).
    pub archive_sha256: Option<String>,
    /// What reading the file found, as JSON (a CSR's names and key).
    pub detail: Option<String>,
}

/// What a run records about one application.
#[derive(Debug, Clone)]
pub struct ApplicationWrite {
    pub application: Application,
    pub content_hash: String,
    /// Set when these contents correct the stored ones (the `corrects` column).
    pub corrects: bool,
    pub batch: String,
    pub status: Status,
    pub reasons: String,
    pub first_notice_on: Option<NaiveDate>,
}

/// A row that could not be an application, remembered so it never silently vanishes.
#[derive(Debug, Clone)]
pub struct RejectedWrite {
    pub source: Location,
    pub raw_id: String,
    pub reasons: String,
}

/// The run itself.
#[derive(Debug, Clone)]
pub struct RunWrite {
    pub batch: String,
    /// The moment the batch first ran (kept for its reruns: the date in its mails).
    pub moment: String,
    pub command: String,
    pub as_of: NaiveDate,
    pub started_at: String,
    pub finished_at: String,
    pub rows_read: usize,
    pub applications: usize,
    pub documents: usize,
    pub scans: usize,
    pub summary: String,
}

/// What recording changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub run_id: i64,
    pub new_applications: usize,
    pub changed_statuses: usize,
    pub new_documents: usize,
    pub changed_documents: usize,
    pub corrected_applications: usize,
}

/// Replaces an open application's stored contents with its correction, keeping the old
/// contents' hash (a rerun of the first batch then knows its row was superseded) and an
/// audit entry. The database refuses it for an issued application (schema step 10).
fn correct(tx: &rusqlite::Transaction, a: &ApplicationWrite, batch: &str, run_id: i64) -> Result<()> {
    let id = &a.application.id;
    let old: String = tx.query_row("SELECT content_sha256 FROM applications WHERE id = ?1", [id], |r| r.get(0))?;
    if old == a.content_hash {
        return Ok(());
    }
    tx.execute(
        "UPDATE applications SET envelope_id = ?2, product = ?3, cert_type = ?4, content_sha256 = ?5, data = ?6,
                source = ?7, received_on = ?8 WHERE id = ?1",
        params![
            id,
            a.application.envelope_id,
            a.application.product,
            a.application.cert_type,
            a.content_hash,
            serde_json::to_string(&a.application)?,
            serde_json::to_string(&a.application.source)?,
            a.application.received_on.to_string(),
        ],
    )
    .with_context(|| format!("application {id}: correction"))?;
    tx.execute(
        "INSERT OR IGNORE INTO corrections (application_id, old_sha256, new_sha256, batch, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, old, a.content_hash, batch, run_id],
    )?;
    tx.execute(
        "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'corrected', ?2, ?3)",
        params![
            crate::jpdate::now_iso(),
            id,
            format!("contents {old} -> {} ({})", a.content_hash, a.application.source)
        ],
    )?;
    Ok(())
}

#[derive(Debug)]
pub struct Ledger {
    pub(crate) conn: Connection,
    _lock: Option<lock::StateLock>,
}

impl Ledger {
    /// Opens (creating if needed) the ledger for writing, holding the state folder's lock.
    pub fn open(state: &Path, wait: Duration) -> Result<Ledger> {
        // The ledger holds personal data and password hashes: the folder is the owner's
        // alone (0700) and so are the database and its journal files (0600).
        crate::fsio::create_dirs(state, true)
            .with_context(|| format!("cannot create the state folder {}", state.display()))?;
        crate::fsio::set_mode(state, 0o700)?;
        let lock = lock::acquire(state, wait)?;
        let path = state.join(LEDGER_FILE);
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("cannot create the ledger {}", path.display()))?;
        }
        let mut conn = Connection::open(&path).with_context(|| format!("cannot open the ledger {}", path.display()))?;
        conn.busy_timeout(wait)?;
        // WAL keeps readers (`check`) off the writer's back; FULL sync because a CA's
        // record of what it issued must survive a power cut, not only a crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // A used or destroyed pool key's sealed bytes are zeroed where SQLite frees them
        // (FAST: in pages the change writes anyway, no extra I/O).
        conn.pragma_update(None, "secure_delete", "FAST")?;
        schema::migrate(&mut conn).with_context(|| format!("ledger {}", path.display()))?;
        audit::restart_log(&conn, state)?;
        // SQLite gives its -wal and -shm files the database's mode; earlier versions of
        // certbatch left them 0644, so every open makes sure.
        for suffix in ["", "-wal", "-shm"] {
            let f = state.join(format!("{LEDGER_FILE}{suffix}"));
            if f.exists() {
                crate::fsio::set_mode(&f, 0o600)?;
            }
        }
        Ok(Ledger { conn, _lock: Some(lock) })
    }

    /// Opens an existing ledger read-only (for `check`); `None` when there is none yet.
    pub fn open_read_only(state: &Path) -> Result<Option<Ledger>> {
        let path = state.join(LEDGER_FILE);
        if !path.exists() {
            return Ok(None);
        }
        // Hold the state folder like a run does, so no run writes while this one reads.
        // With no run, a ledger without a -wal file is opened immutable: SQLite then makes
        // no -wal or -shm file, and `check` leaves the state folder exactly as it was.
        let lock = if state.join("certbatch.lock").exists() {
            Some(lock::acquire_existing(state, Duration::from_secs(30))?)
        } else {
            None
        };
        let wal = state.join(format!("{LEDGER_FILE}-wal"));
        let conn = if wal.exists() {
            Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        } else {
            let uri = format!("file:{}?immutable=1", path.display());
            Connection::open_with_flags(
                uri,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
        }
        .with_context(|| format!("cannot open the ledger {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != schema::MIGRATIONS.len() as i64 {
            anyhow::bail!(
                "ledger {} has schema version {version}, this certbatch expects {}; run `certbatch run` once to migrate",
                path.display(),
                schema::MIGRATIONS.len()
            );
        }
        Ok(Some(Ledger { conn, _lock: lock }))
    }

    /// The stored applications with these ids.
    pub fn applications(&self, ids: &BTreeSet<String>) -> Result<BTreeMap<String, StoredApplication>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT data, content_sha256, batch, status, reasons, first_notice_on, source FROM applications WHERE id = ?1",
        )?;
        let mut corrected = self
            .conn
            .prepare_cached("SELECT old_sha256, new_sha256, batch FROM corrections WHERE application_id = ?1")?;
        let mut out = BTreeMap::new();
        for id in ids {
            let row = stmt
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .optional()?;
            if let Some((data, hash, batch, status, reasons, notice, source)) = row {
                let made: Vec<(String, String, String)> =
                    corrected.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
                let superseded = made.iter().map(|(old, _, _)| old.clone()).collect();
                let corrections_made = made.into_iter().map(|(_, new, batch)| (new, batch)).collect();
                let mut application: Application =
                    serde_json::from_str(&data).with_context(|| format!("ledger: application {id} is unreadable"))?;
                application.source = serde_json::from_str(&source).unwrap_or_default();
                out.insert(
                    id.clone(),
                    StoredApplication {
                        application,
                        content_hash: hash,
                        batch,
                        status: status.parse().map_err(anyhow::Error::msg)?,
                        reasons,
                        first_notice_on: notice.and_then(|n| n.parse().ok()),
                        superseded,
                        corrections_made,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Ids of stored applications in these envelopes.
    pub fn application_ids_in_envelopes(&self, envelopes: &BTreeSet<String>) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM applications WHERE envelope_id = ?1")?;
        let mut out = BTreeSet::new();
        for env in envelopes {
            for id in stmt.query_map([env], |r| r.get::<_, String>(0))? {
                out.insert(id?);
            }
        }
        Ok(out)
    }

    /// Ids of deficient applications whose first review notice went out on or before
    /// `notice_by`: candidates for `documents_overdue`.
    pub fn deficient_noticed_by(&self, notice_by: NaiveDate) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM applications WHERE status = 'deficient' AND first_notice_on IS NOT NULL AND first_notice_on <= ?1",
        )?;
        let ids = stmt.query_map([notice_by.to_string()], |r| r.get::<_, String>(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Every stored document of these owners.
    pub fn documents(&self, owners: &BTreeSet<Owner>) -> Result<Vec<StoredDocument>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT batch, doc_type, file, issued_on, arrived_on, has_my_number, mask_region, scan_status, sha256, source,
                    archive_sha256, detail
             FROM documents WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY id",
        )?;
        let mut out = Vec::new();
        for owner in owners {
            let rows = stmt.query_map(params![owner.kind(), owner.id()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })?;
            for row in rows {
                let (
                    batch,
                    doc_type,
                    file,
                    issued,
                    arrived,
                    my_number,
                    mask,
                    scan_status,
                    sha256,
                    source,
                    archive_sha256,
                    detail,
                ) = row?;
                let issued_on: NaiveDate = issued.parse().context("ledger: bad issued_on")?;
                let arrived_on: NaiveDate = arrived.parse().context("ledger: bad arrived_on")?;
                out.push(StoredDocument {
                    batch,
                    document: DocumentRow {
                        owner: owner.clone(),
                        doc_type,
                        issued_on,
                        received_on: Some(arrived_on),
                        file,
                        has_my_number: my_number,
                        mask_region: mask.and_then(|m| serde_json::from_str(&m).ok()),
                        source: serde_json::from_str(&source).unwrap_or_default(),
                    },
                    arrived_on,
                    scan_status,
                    sha256,
                    archive_sha256,
                    detail,
                });
            }
        }
        Ok(out)
    }

    /// Records one run in a single transaction.
    pub fn record(
        &mut self,
        run: &RunWrite,
        applications: &[ApplicationWrite],
        documents: &[StoredDocument],
        rejected: &[RejectedWrite],
    ) -> Result<RecordCounts> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (batch, command, as_of, started_at, finished_at, rows_read, applications, new_applications,
                               changed_statuses, documents, new_documents, scans, summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8, 0, ?9, ?10)",
            params![
                run.batch,
                run.command,
                run.as_of.to_string(),
                run.started_at,
                run.finished_at,
                run.rows_read as i64,
                run.applications as i64,
                run.documents as i64,
                run.scans as i64,
                run.summary
            ],
        )?;
        let run_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT OR IGNORE INTO batches (name, first_moment) VALUES (?1, ?2)",
            params![run.batch, run.moment],
        )?;
        let mut counts = RecordCounts { run_id, ..RecordCounts::default() };
        for (i, a) in applications.iter().enumerate() {
            let existing: Option<(String, String, Option<String>)> = tx
                .query_row(
                    "SELECT status, reasons, first_notice_on FROM applications WHERE id = ?1",
                    [&a.application.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let notice = a.first_notice_on.map(|d| d.to_string());
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO applications (id, envelope_id, product, cert_type, content_sha256, data, batch, source,
                                                   received_on, status, reasons, first_notice_on, first_run, status_run)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
                        params![
                            a.application.id,
                            a.application.envelope_id,
                            a.application.product,
                            a.application.cert_type,
                            a.content_hash,
                            serde_json::to_string(&a.application)?,
                            a.batch,
                            serde_json::to_string(&a.application.source)?,
                            a.application.received_on.to_string(),
                            a.status.as_str(),
                            a.reasons,
                            notice,
                            run_id
                        ],
                    )?;
                    tx.execute(
                        "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'stored', ?2, ?3)",
                        params![crate::jpdate::now_iso(), a.application.id, a.status.as_str()],
                    )?;
                    counts.new_applications += 1;
                }
                Some((status, reasons, old_notice)) => {
                    if a.corrects {
                        correct(&tx, a, &run.batch, run_id)?;
                        counts.corrected_applications += 1;
                    }
                    if status != a.status.as_str() || reasons != a.reasons || old_notice != notice {
                        tx.execute(
                            "UPDATE applications SET status = ?2, reasons = ?3, first_notice_on = ?4, status_run = ?5 WHERE id = ?1",
                            params![a.application.id, a.status.as_str(), a.reasons, notice, run_id],
                        )
                        .with_context(|| format!("application {}: {status} -> {}", a.application.id, a.status))?;
                        if status != a.status.as_str() {
                            tx.execute(
                                "INSERT INTO audit (at, event, application_id, detail) VALUES (?1, 'status', ?2, ?3)",
                                params![
                                    crate::jpdate::now_iso(),
                                    a.application.id,
                                    format!("{status} -> {}", a.status)
                                ],
                            )?;
                            counts.changed_statuses += 1;
                        }
                    }
                }
            }
            if i == applications.len() / 2 {
                crate::faults::point("ledger-mid-write");
            }
        }
        for d in documents {
            let doc = &d.document;
            let key = params![d.batch, doc.owner.kind(), doc.owner.id(), doc.doc_type, doc.file];
            let existing: Option<(String, String, Option<String>, String)> = tx
                .query_row(
                    "SELECT issued_on, arrived_on, sha256, scan_status FROM documents
                     WHERE batch = ?1 AND owner_kind = ?2 AND owner_id = ?3 AND doc_type = ?4 AND file = ?5",
                    key,
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let values = (doc.issued_on.to_string(), d.arrived_on.to_string(), d.sha256.clone(), d.scan_status.clone());
            let mask = doc.mask_region.map(|m| serde_json::to_string(&m)).transpose()?;
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO documents (batch, owner_kind, owner_id, doc_type, file, issued_on, arrived_on, has_my_number,
                                                mask_region, scan_status, sha256, source, first_run, archive_sha256, detail)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                        params![
                            d.batch,
                            doc.owner.kind(),
                            doc.owner.id(),
                            doc.doc_type,
                            doc.file,
                            values.0,
                            values.1,
                            doc.has_my_number,
                            mask,
                            values.3,
                            values.2,
                            serde_json::to_string(&doc.source)?,
                            run_id,
                            d.archive_sha256,
                            d.detail
                        ],
                    )?;
                    counts.new_documents += 1;
                }
                // The same row of the same day again, but its scan or date was corrected.
                Some(old) if old != values => {
                    tx.execute(
                        "UPDATE documents SET issued_on = ?6, arrived_on = ?7, sha256 = ?8, scan_status = ?9, has_my_number = ?10,
                                              mask_region = ?11, archive_sha256 = ?12, detail = ?13
                         WHERE batch = ?1 AND owner_kind = ?2 AND owner_id = ?3 AND doc_type = ?4 AND file = ?5",
                        params![
                            d.batch,
                            doc.owner.kind(),
                            doc.owner.id(),
                            doc.doc_type,
                            doc.file,
                            values.0,
                            values.1,
                            values.2,
                            values.3,
                            doc.has_my_number,
                            mask,
                            d.archive_sha256,
                            d.detail
                        ],
                    )?;
                    counts.changed_documents += 1;
                }
                Some(_) => {}
            }
        }
        for r in rejected {
            tx.execute(
                "INSERT INTO rejected_rows (batch, source, raw_id, reasons, first_run) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (batch, source) DO UPDATE SET raw_id = excluded.raw_id, reasons = excluded.reasons",
                params![run.batch, r.source.to_string(), r.raw_id, r.reasons, run_id],
            )?;
        }
        tx.execute(
            "UPDATE runs SET new_applications = ?2, changed_statuses = ?3, new_documents = ?4 WHERE id = ?1",
            params![
                run_id,
                counts.new_applications as i64,
                counts.changed_statuses as i64,
                counts.new_documents as i64
            ],
        )?;
        crate::faults::point("ledger-before-commit");
        tx.commit()?;
        Ok(counts)
    }

    /// Whether any command ran for a day after `day` (its changes are that day's).
    pub fn later_day_run(&self, day: NaiveDate) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM runs WHERE as_of > ?1)", [day.to_string()], |r| r.get(0))?)
    }

    /// When a batch first ran, if it has.
    pub fn batch_moment(&self, batch: &str) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>> {
        let v: Option<String> = self
            .conn
            .query_row("SELECT first_moment FROM batches WHERE name = ?1", [batch], |r| r.get(0))
            .optional()?;
        v.map(|s| chrono::DateTime::parse_from_rfc3339(&s).context("ledger: a batch's moment")).transpose()
    }

    /// Row counts of the main tables, for tests and the summary.
    pub fn table_counts(&self) -> Result<BTreeMap<&'static str, i64>> {
        let mut out = BTreeMap::new();
        for table in ["runs", "applications", "documents", "rejected_rows"] {
            let n: i64 = self.conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
            out.insert(table, n);
        }
        Ok(out)
    }

    /// Runs SQLite's own consistency check.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Status of each stored application, for tests and reports.
    pub fn statuses(&self) -> Result<BTreeMap<String, (Status, String)>> {
        let mut stmt = self.conn.prepare("SELECT id, status, reasons FROM applications")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (id, status, reasons) = row?;
            out.insert(id, (status.parse().map_err(anyhow::Error::msg)?, reasons));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_twice_adds_nothing_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path(), Duration::ZERO).unwrap();
        let a = crate::testkit::application("A1");
        let write = ApplicationWrite {
            corrects: false,
            content_hash: a.content_hash(),
            application: a.clone(),
            batch: "b".into(),
            status: Status::Deficient,
            reasons: "missing_document:seal_certificate".into(),
            first_notice_on: None,
        };
        let first = ledger.record(&crate::testkit::run_write("b"), std::slice::from_ref(&write), &[], &[]).unwrap();
        assert_eq!(first.new_applications, 1);
        let second = ledger.record(&crate::testkit::run_write("b"), &[write], &[], &[]).unwrap();
        assert_eq!((second.new_applications, second.changed_statuses), (0, 0));
        let stored = ledger.applications(&BTreeSet::from(["A1".to_string()])).unwrap();
        assert_eq!(stored["A1"].application, a);
        assert_eq!(stored["A1"].status, Status::Deficient);
    }

    #[test]
    fn read_only_open_of_a_missing_ledger_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Ledger::open_read_only(dir.path()).unwrap().is_none());
    }
}
