//! Screening (審査): every application of the day, and every earlier one today's
//! documents complete, decided against its product's rules.
//!
//! Takes the read [`Batch`], what the ledger already holds ([`Prior`]) and the rules; gives
//! one [`Decision`] per application with every reason found (not only the first), and the
//! documents to remember. Pure: no I/O, so `check` and `run` decide exactly alike.
//! An id seen before with other contents is `duplicate_application` and the stored
//! application is left as it was; a row that cannot be an application is `rejected` and
//! is not stored as one, so staff can correct and resend it under the same id.

pub mod corporate_number;
pub mod csr_check;
pub mod documents;
pub mod hepburn;
pub mod identity;
pub mod jis;
pub mod renewal;

use crate::finding::{Code, Finding, Location, Severity};
use crate::intake::scans::ScanOutcome;
use crate::intake::{Batch, BatchNote};
use crate::jpdate::add_months;
use crate::ledger::{StoredApplication, StoredDocument};
use crate::pipelines::Pipelines;
use crate::record::{Application, Owner, Status};
use chrono::NaiveDate;
use documents::{check_documents, ReceivedDocument};
use std::collections::{BTreeMap, BTreeSet};

/// What the ledger knows that today's rows refer to, and the accepted applications still
/// waiting to be issued (their fee, or a hold staff must lift).
#[derive(Debug, Clone, Default)]
pub struct Prior {
    pub applications: BTreeMap<String, StoredApplication>,
    pub documents: Vec<StoredDocument>,
    /// Ids of stored `accepted` applications with no live certificate.
    pub awaiting_issue: BTreeSet<String>,
    /// The day this batch was first run, when it ran before: what arrived with the batch
    /// arrived that day, also when the batch is run again on a later day.
    pub batch_first_day: Option<NaiveDate>,
    /// The certificates today's applications say they renew (`renewal_of` as written; `None`
    /// when the ledger has no such certificate).
    pub renewed: BTreeMap<String, Option<renewal::RenewedCert>>,
}

/// The CSR screening accepted for a TLS application: where the archive keeps its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedCsr {
    pub sha256: String,
    /// The file's extension, as the archive names it.
    pub ext: String,
}

/// Proof that screening accepted an application: documents complete and data checks
/// passed, today or on an earlier day (then carried while it waits for its fee). Only
/// this module makes one; issuance takes nothing else.
#[derive(Debug, Clone)]
pub struct Screened {
    app: Application,
    csr: Option<AcceptedCsr>,
    _proof: (),
}

impl Screened {
    /// For tests of later stages only: a screened application without screening.
    #[cfg(test)]
    pub(crate) fn vouched(app: Application) -> Screened {
        Screened { app, csr: None, _proof: () }
    }

    pub fn application(&self) -> &Application {
        &self.app
    }

    /// An application `run` screened and queued for its card: the station's job record,
    /// which only the ledger gives, vouches for the screening done then.
    pub fn queued_for_card(app: Application, _job: &crate::ledger::cards::CardJob) -> Screened {
        Screened { app, csr: None, _proof: () }
    }

    /// The CSR whose key a TLS certificate certifies.
    pub fn csr(&self) -> Option<&AcceptedCsr> {
        self.csr.as_ref()
    }
}

/// How this run's decision relates to what was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// First seen today.
    New,
    /// Seen before with the same contents.
    Same,
    /// Seen before with other contents, and the row says it corrects them (`corrects`):
    /// the new contents replace the stored ones and are screened afresh.
    Corrected,
    /// An earlier application, screened again because documents for it arrived.
    Rescreened,
    /// The id was seen before with other contents; nothing stored changes.
    Duplicate,
    /// The row cannot be an application.
    NotAnApplication,
    /// Decided on an earlier day and issued under this batch (paid since): listed with the
    /// batch's decisions so its screening.csv names every certificate the batch issued.
    Carried,
}

/// One application's outcome in this run.
#[derive(Debug, Clone)]
pub struct Decision {
    pub application_id: String,
    pub envelope_id: String,
    pub product: String,
    pub status: Status,
    pub findings: Vec<Finding>,
    pub change: Change,
    /// The application to store (absent for rejected rows and duplicates).
    pub application: Option<Application>,
    pub source: Location,
    pub first_notice_on: Option<NaiveDate>,
}

impl Decision {
    /// Reasons as the contract writes them, `;`-separated, in the order found.
    pub fn reasons(&self) -> String {
        self.findings.iter().map(Finding::reason).collect::<Vec<_>>().join(";")
    }
}

/// The day's decisions and the documents to record.
#[derive(Debug, Clone, Default)]
pub struct Screening {
    pub decisions: Vec<Decision>,
    pub documents: Vec<StoredDocument>,
    /// Every accepted application that may go on to payment and issue: today's and the
    /// earlier ones still waiting, in id order.
    pub ready: Vec<Screened>,
    /// Document rows kept out of the ledger because the row naming their application was
    /// rejected (a duplicate id: they belong to that row, not to the stored application).
    pub held_documents: Vec<(Location, String)>,
    pub notes: Vec<BatchNote>,
}

/// The ids and envelopes today's rows touch, for loading [`Prior`] from the ledger.
pub fn referenced(batch: &Batch) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut ids = BTreeSet::new();
    let mut envelopes = BTreeSet::new();
    for a in batch.applications.iter().filter_map(|a| a.application.as_ref()) {
        ids.insert(a.id.clone());
        envelopes.insert(a.envelope_id.clone());
    }
    for d in &batch.documents {
        match &d.owner {
            Some(Owner::Application(id)) => {
                ids.insert(id.clone());
            }
            Some(Owner::Envelope(env)) => {
                envelopes.insert(env.clone());
            }
            None => {}
        }
    }
    (ids, envelopes)
}

/// How a closed application's state reads in a message to staff.
fn closed_as(status: Status) -> &'static str {
    match status {
        Status::Issued => "発行済み",
        Status::Revoked => "失効済み",
        Status::RefundDue => "書類不備のまま期限を過ぎて受付終了",
        _ => "受付終了",
    }
}

fn status_of(findings: &[Finding]) -> Status {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Reject) => Status::Rejected,
        Some(Severity::Deficient) => Status::Deficient,
        _ => Status::Accepted,
    }
}

/// Decides every application of the batch and every earlier open one it completes.
pub fn screen_batch(batch: &Batch, prior: &Prior, pipelines: &Pipelines, as_of: NaiveDate) -> Screening {
    let mut out = Screening::default();
    // Today's applications, first row of an id wins.
    let mut today: BTreeMap<String, (Application, Vec<Finding>, Change)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    // Ids whose row today is another application than the stored one: documents naming
    // them today are that row's, not the stored application's.
    let mut strangers: BTreeSet<String> = BTreeSet::new();
    for read in &batch.applications {
        let Some(app) = &read.application else {
            out.decisions.push(Decision {
                application_id: read.raw_id.clone(),
                envelope_id: read.raw_envelope.clone(),
                product: read.raw_product.clone(),
                status: Status::Rejected,
                findings: read.findings.clone(),
                change: Change::NotAnApplication,
                application: None,
                source: read.source.clone(),
                first_notice_on: None,
            });
            continue;
        };
        let hash = app.content_hash();
        let earlier = today.get(&app.id).map(|(a, _, _)| (a.content_hash(), a.source.to_string()));
        let stored = prior.applications.get(&app.id).map(|s| (s.content_hash.clone(), format!("batch {}", s.batch)));
        match earlier.or(stored) {
            Some((h, _)) if h == hash => {
                if today.contains_key(&app.id) {
                    out.notes.push(BatchNote {
                        location: read.source.clone(),
                        message: format!(
                            "repeats application {} of an earlier row with the same contents; read once",
                            app.id
                        ),
                    });
                } else {
                    order.push(app.id.clone());
                    today.insert(app.id.clone(), (app.clone(), read.findings.clone(), Change::Same));
                }
            }
            // The row a later correction replaced (its batch run again). A row marked
            // `corrects` that goes back to earlier contents is a correction, unless this very
            // batch made that correction before (a correcting batch run again).
            Some((_, _))
                if !today.contains_key(&app.id)
                    && prior.applications.get(&app.id).is_some_and(|s| {
                        if read.corrects {
                            s.corrections_made.contains(&(hash.clone(), batch.name.clone()))
                        } else {
                            s.superseded.contains(&hash)
                        }
                    }) =>
            {
                // The row a later correction replaced (its batch run again): the stored,
                // corrected application stands.
                let s = &prior.applications[&app.id];
                out.notes.push(BatchNote {
                    location: read.source.clone(),
                    message: format!("application {} was corrected later; the corrected contents stand", app.id),
                });
                // Decided where this row stands in the sheet, with the stored contents.
                let mut stored = s.application.clone();
                stored.source = read.source.clone();
                order.push(app.id.clone());
                today.insert(app.id.clone(), (stored, Vec::new(), Change::Same));
            }
            Some((_, _)) if read.corrects && !today.contains_key(&app.id) => {
                let s = &prior.applications[&app.id];
                if s.status.is_open() {
                    order.push(app.id.clone());
                    today.insert(app.id.clone(), (app.clone(), read.findings.clone(), Change::Corrected));
                } else {
                    strangers.insert(app.id.clone());
                    let refused = Finding::new(
                        Code::DuplicateApplication,
                        Some(s.status.as_str()),
                        format!(
                            "申込コード{}は{}のため訂正できません。証明書の記載事項を変えるには失効のうえ新しく申し込んでください",
                            app.id,
                            closed_as(s.status)
                        ),
                    )
                    .at(read.source.with_column("corrects"));
                    out.decisions.push(decision(app, Status::Rejected, vec![refused], Change::Duplicate, None));
                }
            }
            Some((_, where_)) => {
                if !today.contains_key(&app.id) {
                    strangers.insert(app.id.clone());
                }
                let duplicate = Finding::new(
                    Code::DuplicateApplication,
                    None,
                    format!("申込コード{}は{where_}で別の内容の申込として受け付け済みです。別の申込なら新しい申込コードを付けてください", app.id),
                )
                .at(read.source.with_column("application_id"));
                // The row's own place: an application's source is where it was read.
                out.decisions.push(decision(app, Status::Rejected, vec![duplicate], Change::Duplicate, None));
            }
            None => {
                order.push(app.id.clone());
                today.insert(app.id.clone(), (app.clone(), read.findings.clone(), Change::New));
            }
        }
    }

    // Earlier open applications that today's documents are for.
    // Indexes, so each lookup below is by key, not a scan of every application.
    let mut prior_by_envelope: BTreeMap<&str, Vec<&StoredApplication>> = BTreeMap::new();
    for s in prior.applications.values() {
        prior_by_envelope.entry(s.application.envelope_id.as_str()).or_default().push(s);
    }
    let mut envelope_received: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for a in today.values().map(|(a, _, _)| a).chain(prior.applications.values().map(|s| &s.application)) {
        let e = envelope_received.entry(a.envelope_id.as_str()).or_insert(a.received_on);
        *e = (*e).max(a.received_on);
    }

    // Earlier open applications that today's documents are for.
    let mut earlier: BTreeMap<String, &StoredApplication> = BTreeMap::new();
    let mut touched_owners: BTreeSet<&Owner> = BTreeSet::new();
    let is_strangers = |owner: &Owner| matches!(owner, Owner::Application(id) if strangers.contains(id));
    for owner in batch.documents.iter().filter_map(|d| d.owner.as_ref()).filter(|o| !is_strangers(o)) {
        if !touched_owners.insert(owner) {
            continue;
        }
        let stored: Vec<&StoredApplication> = match owner {
            Owner::Application(a) => prior.applications.get(a).into_iter().collect(),
            Owner::Envelope(e) => prior_by_envelope.get(e.as_str()).cloned().unwrap_or_default(),
        };
        for s in stored.into_iter().filter(|s| !today.contains_key(&s.application.id)) {
            if s.status.is_open() {
                earlier.insert(s.application.id.clone(), s);
            } else {
                out.notes.push(BatchNote {
                    location: Location::file("documents"),
                    message: format!(
                        "a document arrived for application {}, which is already {}; kept, not screened",
                        s.application.id, s.status
                    ),
                });
            }
        }
    }

    // Deficient ones whose time for documents has run out, even if nothing came for them.
    for s in prior.applications.values() {
        let months = pipelines.product(&s.application.product).map(|p| p.screening.documents_overdue_months);
        if let (Status::Deficient, Some(notice), Some(months)) = (s.status, s.first_notice_on, months) {
            if as_of > add_months(notice, months) && !today.contains_key(&s.application.id) {
                earlier.insert(s.application.id.clone(), s);
            }
        }
    }

    // Today's documents, with the day each arrived and its scan.
    let arrival_of = |owner: &Owner| -> Option<NaiveDate> {
        match owner {
            Owner::Application(id) => today
                .get(id)
                .map(|(a, _, _)| a.received_on)
                .or_else(|| prior.applications.get(id).map(|s| s.application.received_on)),
            Owner::Envelope(env) => envelope_received.get(env.as_str()).copied(),
        }
    };
    let mut row_findings: BTreeMap<Owner, Vec<Finding>> = BTreeMap::new();
    let mut orphans: BTreeMap<Owner, Vec<Location>> = BTreeMap::new();
    for read in &batch.documents {
        if let Some(owner) = read.owner.as_ref().filter(|o| is_strangers(o)) {
            out.held_documents.push((
                read.source.clone(),
                format!("kept with the rejected row for {}: the stored application of that id is another", owner.id()),
            ));
            continue;
        }
        if let Some(owner) = &read.owner {
            row_findings.entry(owner.clone()).or_default().extend(read.findings.iter().cloned());
        }
        let Some(doc) = &read.document else { continue };
        let Some(arrived_on) = doc.received_on.or_else(|| arrival_of(&doc.owner)) else {
            orphans.entry(doc.owner.clone()).or_default().push(read.source.clone());
            out.documents.push(StoredDocument {
                batch: batch.name.clone(),
                document: doc.clone(),
                arrived_on: prior.batch_first_day.unwrap_or(as_of),
                scan_status: scan_status(doc, batch.scans.get(&doc.file)),
                sha256: batch.scans.get(&doc.file).and_then(|s| s.sha256().map(str::to_owned)),
                archive_sha256: None,
                detail: detail(batch.scans.get(&doc.file)),
            });
            continue;
        };
        let scan = batch.scans.get(&doc.file);
        out.documents.push(StoredDocument {
            batch: batch.name.clone(),
            document: doc.clone(),
            arrived_on,
            scan_status: scan_status(doc, scan),
            sha256: scan.and_then(|s| s.sha256().map(str::to_owned)),
            archive_sha256: None,
            detail: detail(scan),
        });
    }
    // An application's CSR is kept as one of its documents, so a later day can still judge it.
    for id in &order {
        let (app, _, _) = &today[id];
        let Some(file) = &app.csr_file else { continue };
        let doc = crate::record::DocumentRow {
            owner: Owner::Application(app.id.clone()),
            doc_type: "csr".into(),
            issued_on: app.received_on,
            received_on: Some(app.received_on),
            file: file.clone(),
            has_my_number: false,
            mask_region: None,
            source: app.source.with_column("csr_file"),
        };
        let scan = batch.scans.get(file);
        out.documents.push(StoredDocument {
            batch: batch.name.clone(),
            scan_status: scan_status(&doc, scan),
            sha256: scan.and_then(|s| s.sha256().map(str::to_owned)),
            archive_sha256: None,
            detail: detail(scan),
            arrived_on: app.received_on,
            document: doc,
        });
    }
    for (owner, rows) in orphans {
        let numbers: Vec<String> = rows.iter().filter_map(|l| l.row.map(|r| r.to_string())).collect();
        out.notes.push(BatchNote {
            location: Location { row: None, ..rows[0].clone() },
            message: format!(
                "rows {}: documents for {} {} that no stored application names (its row may have been rejected); kept for when it is sent",
                numbers.join(", "),
                owner.kind(),
                owner.id()
            ),
        });
    }
    // Everything received so far, once: today's rows replace stored rows of the same day.
    let mut all_docs: BTreeMap<(String, Owner, String, String), ReceivedDocument> = BTreeMap::new();
    for s in prior.documents.iter().chain(&out.documents) {
        let doc = &s.document;
        all_docs.insert(
            (s.batch.clone(), doc.owner.clone(), doc.doc_type.clone(), doc.file.clone()),
            ReceivedDocument {
                owner: doc.owner.clone(),
                doc_type: doc.doc_type.clone(),
                issued_on: doc.issued_on,
                arrived_on: s.arrived_on,
                file: doc.file.clone(),
                sha256: s.sha256.clone(),
                scan_status: s.scan_status.clone(),
                csr: s.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()),
                scan_detail: (s.batch == batch.name)
                    .then(|| batch.scans.get(&doc.file).and_then(ScanOutcome::problem))
                    .flatten(),
                has_my_number: doc.has_my_number,
                has_mask: doc.mask_region.is_some(),
                source: doc.source.clone(),
            },
        );
    }
    let mut docs_by_owner: BTreeMap<Owner, Vec<ReceivedDocument>> = BTreeMap::new();
    for doc in all_docs.into_values() {
        docs_by_owner.entry(doc.owner.clone()).or_default().push(doc);
    }

    // A company's documents sent once (`scope = "company"`) serve its applications in any
    // envelope of today's batch or of the earlier applications it touches.
    let companies = documents::company_envelopes(
        today.values().map(|(a, _, _)| a).chain(prior.applications.values().map(|s| &s.application)),
    );
    let company_docs = |app: &Application, product: &crate::product::Product| -> Vec<ReceivedDocument> {
        let Some(envs) = app.corporate_number.as_ref().and_then(|n| companies.get(n)) else { return Vec::new() };
        envs.iter()
            .filter(|e| **e != app.envelope_id)
            .filter_map(|e| docs_by_owner.get(&Owner::Envelope(e.clone())))
            .flatten()
            .filter(|d| {
                product.documents.get(&d.doc_type).is_some_and(|r| r.scope == crate::product::DocumentScope::Company)
            })
            .cloned()
            .collect()
    };

    let mut ready: BTreeMap<String, Screened> = BTreeMap::new();
    let mut decide =
        |app: &Application, mut findings: Vec<Finding>, change: Change, stored: Option<&StoredApplication>| {
            let Some(product) = pipelines.product(&app.product) else { return };
            let mut mine: Vec<ReceivedDocument> =
                [Owner::Application(app.id.clone()), Owner::Envelope(app.envelope_id.clone())]
                    .iter()
                    .filter_map(|o| docs_by_owner.get(o))
                    .flatten()
                    .cloned()
                    .collect();
            mine.extend(company_docs(app, product));
            for owner in [Owner::Application(app.id.clone()), Owner::Envelope(app.envelope_id.clone())] {
                findings.extend(row_findings.get(&owner).into_iter().flatten().cloned());
            }
            findings.extend(required_fields(app, product));
            findings.extend(identity::check_identity(app, product));
            findings.extend(renewal::check_renewal(app, &prior.renewed));
            findings.extend(csr_check::check_csr(app, product, &mine));
            findings.extend(check_documents(app, product, &mine));
            let mut status = status_of(&findings);
            // A row that is not an application (a reading that is not kana, a column its
            // type requires left empty) is never stored, so its id stays free for the
            // corrected row. A stored application is never made `rejected` by screening.
            if status == Status::Rejected {
                if stored.is_none() {
                    out.decisions.push(decision(app, status, findings, Change::NotAnApplication, None));
                    return;
                }
                for f in findings.iter_mut().filter(|f| f.severity == Severity::Reject) {
                    f.severity = Severity::Deficient;
                }
                status = status_of(&findings);
            }
            let mut first_notice_on = stored.and_then(|s| s.first_notice_on);
            // The refund clock starts at the first notice the applicant is sent: a deficiency
            // that is only staff work (a scan to find or mask) sends none.
            if status == Status::Deficient && findings.iter().any(Finding::is_for_applicant) {
                first_notice_on.get_or_insert(as_of);
            }
            if let (Status::Deficient, Some(notice)) = (status, first_notice_on) {
                let due = add_months(notice, product.screening.documents_overdue_months);
                if as_of > due {
                    findings.push(Finding::new(
                        Code::DocumentsOverdue,
                        None,
                        format!(
                        "最初の審査結果通知（{notice}）から{}か月を過ぎても書類が揃いませんでした。料金を返金します",
                        product.screening.documents_overdue_months
                    ),
                    ));
                    status = Status::RefundDue;
                }
            }
            let status = Status::after_screening(stored.map(|s| s.status), status);
            if status == Status::Accepted {
                let csr = accepted_csr(&mine);
                ready.insert(app.id.clone(), Screened { app: app.clone(), csr, _proof: () });
            }
            let mut d = decision(app, status, findings, change, first_notice_on);
            d.application = Some(app.clone());
            out.decisions.push(d);
        };
    for id in &order {
        let (app, findings, change) = &today[id];
        decide(app, findings.clone(), *change, prior.applications.get(id));
    }
    for s in earlier.values() {
        decide(&s.application, Vec::new(), Change::Rescreened, Some(s));
    }
    // Accepted earlier and still waiting: carried as they were decided, not screened again
    // (freshness was judged on arrival and stays judged).
    for id in &prior.awaiting_issue {
        if ready.contains_key(id) || today.contains_key(id) || earlier.contains_key(id) {
            continue;
        }
        let Some(s) = prior.applications.get(id).filter(|s| s.status == Status::Accepted) else { continue };
        let mine: Vec<ReceivedDocument> =
            [Owner::Application(id.clone()), Owner::Envelope(s.application.envelope_id.clone())]
                .iter()
                .filter_map(|o| docs_by_owner.get(o))
                .flatten()
                .cloned()
                .collect();
        let csr = accepted_csr(&mine);
        ready.insert(id.clone(), Screened { app: s.application.clone(), csr, _proof: () });
    }
    out.ready = ready.into_values().collect();
    // Today's rows in sheet order, then the earlier applications today's documents touched.
    out.decisions.sort_by_key(|d| (d.change == Change::Rescreened, d.source.file.clone(), d.source.row));
    out
}

/// An application decided on an earlier day that this batch issues ([`Change::Carried`]).
pub fn carried(app: &Application) -> Decision {
    let mut d = decision(app, Status::Issued, Vec::new(), Change::Carried, None);
    d.application = Some(app.clone());
    d
}

/// A decision about `app` (its application left out: set it when it is to be stored).
fn decision(
    app: &Application,
    status: Status,
    findings: Vec<Finding>,
    change: Change,
    first_notice_on: Option<NaiveDate>,
) -> Decision {
    Decision {
        application_id: app.id.clone(),
        envelope_id: app.envelope_id.clone(),
        product: app.product.clone(),
        status,
        findings,
        change,
        application: None,
        source: app.source.clone(),
        first_notice_on,
    }
}

/// The newest usable CSR among an application's documents.
fn accepted_csr(docs: &[ReceivedDocument]) -> Option<AcceptedCsr> {
    docs.iter()
        .filter(|d| d.doc_type == "csr" && d.scan_status == "ok" && d.csr.is_some())
        .max_by_key(|d| d.arrived_on)
        .and_then(|d| {
            let ext = d.file.rsplit('.').next().unwrap_or("bin").to_ascii_lowercase();
            d.sha256.clone().map(|sha256| AcceptedCsr { sha256, ext })
        })
}

/// The scan's status for this document row: a My Number scan is usable only as an image
/// whose mask region lies on it, because only then can it be masked before storage.
pub fn scan_status(doc: &crate::record::DocumentRow, scan: Option<&ScanOutcome>) -> String {
    let Some(scan) = scan else { return "missing".into() };
    match (scan, doc.has_my_number, doc.mask_region) {
        (ScanOutcome::Pdf { .. }, true, _) => "my_number_pdf".into(),
        (ScanOutcome::Image { width, height, .. }, true, Some(r)) if r.x >= *width || r.y >= *height => {
            "mask_outside".into()
        }
        _ => scan.status().into(),
    }
}

/// What reading a file found, kept with its document: a CSR's names and key.
fn detail(scan: Option<&ScanOutcome>) -> Option<String> {
    match scan {
        Some(ScanOutcome::Csr { parsed: Ok(info), .. }) => serde_json::to_string(info).ok(),
        _ => None,
    }
}

/// Columns the certificate type or a filled condition makes required.
fn required_fields(app: &Application, product: &crate::product::Product) -> Vec<Finding> {
    let mut keys: Vec<&str> = product
        .cert_types
        .get(&app.cert_type)
        .map(|t| t.required_fields.iter().map(String::as_str).collect())
        .unwrap_or_default();
    for cond in &product.conditional {
        if app.field(&cond.when_field).is_some() {
            keys.extend(cond.required_fields.iter().map(String::as_str));
        }
    }
    keys.into_iter()
        .filter(|k| app.field(k).is_none())
        .map(|k| {
            Finding::new(
                Code::InvalidField,
                Some(k),
                format!("{}（{}）の申込には{}の記入が必要です", product.name_ja, app.cert_type, column_ja(k)),
            )
            .at(app.source.with_column(k))
        })
        .collect()
}

fn column_ja(key: &str) -> &'static str {
    crate::intake::columns::APPLICATIONS.iter().find(|c| c.key == key).map_or("", |c| c.ja)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{application, pipelines};

    #[test]
    fn a_carried_application_is_issued_with_no_reason_and_stays_stored() {
        let app = crate::testkit::application("A1");
        let d = carried(&app);
        assert_eq!((d.status, d.change, d.reasons()), (Status::Issued, Change::Carried, String::new()));
        assert_eq!(d.application.as_ref().map(|a| a.id.as_str()), Some("A1"));
        assert_eq!(d.source, app.source);
    }

    #[test]
    fn status_is_the_heaviest_finding() {
        let w = Finding::new(Code::NonJisCharacter, Some("address"), "x");
        let def = Finding::new(Code::MissingDocument, Some("seal_certificate"), "x");
        let rej = Finding::new(Code::UnknownValue, Some("product"), "x");
        assert_eq!(status_of(&[]), Status::Accepted);
        assert_eq!(status_of(std::slice::from_ref(&w)), Status::Accepted);
        assert_eq!(status_of(&[w.clone(), def.clone()]), Status::Deficient);
        assert_eq!(status_of(&[w, def, rej]), Status::Rejected);
    }

    #[test]
    fn org_types_need_their_fields() {
        let p = pipelines();
        let mut app = application("A1");
        app.cert_type = "org_employee".into();
        let reasons: Vec<String> =
            required_fields(&app, p.product("gid-download").unwrap()).iter().map(Finding::reason).collect();
        assert_eq!(
            reasons,
            [
                "invalid_field:corporate_number",
                "invalid_field:org_name",
                "invalid_field:org_representative",
                "invalid_field:org_address"
            ]
        );
    }

    #[test]
    fn a_proxy_needs_an_address() {
        let p = pipelines();
        let mut app = application("A1");
        app.proxy_name = Some("代理花子".into());
        let reasons: Vec<String> =
            required_fields(&app, p.product("gid-download").unwrap()).iter().map(Finding::reason).collect();
        assert_eq!(reasons, ["invalid_field:proxy_postal_code", "invalid_field:proxy_address"]);
    }
}
