//! `certbatch daily`, the cron job (batch contract section 6): scheduled revocations take
//! effect, receipt reminders and revocations for no receipt, overdue invoices, expiry
//! notices, and a new CRL. What is due is decided from the ledger's few due certificates,
//! recorded in one transaction as the day's journal, and only then written out: the files
//! of `OUT/daily-<day>/` are made from the journal, so a second run of the day (or a run
//! after a kill) writes the same files, and a skipped day is caught up once.

use super::revocation::{Reason, RequestedBy};
use super::schedule::{receipt_due, ReceiptDue};
use crate::config::Config;
use crate::issue::ca::Ca;
use crate::issue::crl::{self, CrlContent};
use crate::ledger::lifecycle::{ActionRow, CertRow, DayWrite, RevocationRow, StoredCrl};
use crate::ledger::Ledger;
use crate::letters::notices::{Notices, RevocationNotice};
use crate::letters::writer::Prepared;
use crate::pipelines::Pipelines;
use crate::product::OverdueAction;
use crate::run::Options;
use anyhow::Result;
use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a day's journal holds, for stdout and the report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DailyReport {
    pub day: Option<NaiveDate>,
    pub expiry_notices: Vec<String>,
    pub reminders: Vec<String>,
    pub revoked: Vec<String>,
    pub overdue: Vec<String>,
    /// Applications whose refund was decided and listed today (some for nothing, with
    /// why), and the yen together.
    pub refunds: Vec<String>,
    pub refunded_yen: i64,
    /// The renewal kits written today (file names under `renewals/`).
    pub renewal_kits: Vec<String>,
    pub call_list: usize,
    pub crl_number: u64,
    pub crl_entries: usize,
    pub queued_letters: usize,
    pub out_dir: PathBuf,
}

impl DailyReport {
    /// The one line cron mails.
    pub fn line(&self) -> String {
        // Ids on the line while they are few; actions.csv has them all.
        let list = |v: &[String]| match v.len() {
            0 => String::new(),
            1..=10 => format!(" ({})", v.join(" ")),
            _ => " (see actions.csv)".to_string(),
        };
        format!(
            "certbatch daily {}: expiry notices {}{}, receipt reminders {}{}, revoked {}{}, overdue invoices {}{}, refunds {}{} ({} yen), renewal kits {}, call list {}, CRL #{} ({} entries){} -> {}",
            self.day.map(|d| d.to_string()).unwrap_or_default(),
            self.expiry_notices.len(),
            list(&self.expiry_notices),
            self.reminders.len(),
            list(&self.reminders),
            self.revoked.len(),
            list(&self.revoked),
            self.overdue.len(),
            list(&self.overdue),
            self.refunds.len(),
            list(&self.refunds),
            crate::text::yen(self.refunded_yen),
            self.renewal_kits.len(),
            self.call_list,
            self.crl_number,
            self.crl_entries,
            if self.queued_letters > 0 { format!(", {} letters on the staff queue", self.queued_letters) } else { String::new() },
            self.out_dir.display()
        )
    }
}

/// The moment a day's actions happen: the day's first run (kept for its reruns).
pub fn day_moment(ledger: &Ledger, name: &str, day: NaiveDate) -> Result<DateTime<FixedOffset>> {
    Ok(ledger.batch_moment(name)?.unwrap_or_else(|| crate::run::issue_moment(day)))
}

/// `certbatch daily`.
pub fn daily(opts: &Options) -> Result<DailyReport> {
    let config = Config::load(&opts.pipelines_dir)?;
    let mut ledger = Ledger::open(&opts.state_dir, opts.lock_wait)?;
    let moment = day_moment(&ledger, &day_folder(opts.as_of), opts.as_of)?;
    let ca = crate::issue::ca_source::open(&config.ca, &opts.state_dir, moment, true)?;
    run_day(&mut ledger, &config, &ca.ca, opts)
}

/// One day of the cron job with the configuration and CA already open (a calendar of days
/// opens them once).
pub fn run_day(ledger: &mut Ledger, config: &Config, ca: &Ca, opts: &Options) -> Result<DailyReport> {
    crate::recovery::recover(ledger, &opts.out_dir, &opts.state_dir)?;
    let today = opts.as_of;
    let name = day_folder(today);
    let moment = day_moment(ledger, &name, today)?;
    let write = plan(ledger, &config.pipelines, today, &crate::jpdate::iso(moment))?;
    ledger.record(&crate::run::run_write(&name, "daily", today, moment, crate::jpdate::now_iso()), &[], &[], &[])?;
    crate::faults::point("daily-before-record");
    ledger.record_day(today, &write)?;
    let report = finish_day(ledger, config, ca, opts, today, moment)?;
    crate::recovery::export_audit(ledger, &opts.state_dir)?;
    Ok(report)
}

/// After anything was recorded for `today`: the CRL, then the day's files from its journal.
pub fn finish_day(
    ledger: &mut Ledger,
    config: &Config,
    ca: &Ca,
    opts: &Options,
    today: NaiveDate,
    moment: DateTime<FixedOffset>,
) -> Result<DailyReport> {
    super::refunds::settle(ledger, &config.pipelines, today)?;
    ledger.assign_refunds(today)?;
    let crl = publish_crl(ledger, ca, config.ca.crl_period_hours(), today, moment, &opts.out_dir)?;
    write_day(ledger, config, today, moment, &opts.out_dir, &crl)
}

/// The folder of a day's lifecycle files.
pub fn day_folder(day: NaiveDate) -> String {
    format!("daily-{day}")
}

/// Everything due on `today` that is not yet in the ledger. `at` is the moment revocations
/// take effect.
pub fn plan(ledger: &Ledger, pipelines: &Pipelines, today: NaiveDate, at: &str) -> Result<DayWrite> {
    let mut w = DayWrite::default();
    let mut revoking: BTreeSet<String> = BTreeSet::new();
    let action = |c: &CertRow, what: &str, detail: String, due_on: NaiveDate| ActionRow {
        application_id: c.application.id.clone(),
        serial: c.serial.clone(),
        action: what.to_string(),
        detail,
        due_on,
    };

    // 1. Revocations scheduled for today or a skipped day take effect.
    for r in ledger.scheduled_revocations(today)? {
        w.effective.push((r.serial.clone(), at.to_string()));
        w.actions.push(ActionRow {
            application_id: r.application_id.clone(),
            serial: r.serial.clone(),
            action: "revoked".into(),
            detail: format!("{} (scheduled, requested {} by {})", r.reason, r.requested_on, r.requested_by.as_str()),
            due_on: r.effective_on,
        });
        revoking.insert(r.serial);
    }

    // 2. Receipts: a reminder, then revocation (days from the issue day, per product).
    let rules: BTreeMap<&str, _> =
        pipelines.products.iter().map(|(id, p)| (id.as_str(), p.notices.receipt_rules())).collect();
    let first_days: BTreeMap<&str, u32> = rules.iter().filter_map(|(id, r)| Some((*id, r.first_days()?))).collect();
    for c in awaiting_receipt(ledger, &first_days, today)? {
        // An expired certificate is not revoked (after years of skipped days, too).
        if revoking.contains(&c.serial) || c.not_after < today {
            continue;
        }
        let reminded = ledger.had_action(&c.serial, "receipt_reminder")?;
        match receipt_due(c.issued_on, rules[c.application.product.as_str()], reminded, today) {
            Some(ReceiptDue::Reminder { due_on }) => {
                w.actions.push(action(
                    &c,
                    "receipt_reminder",
                    format!("no receipt {} days after issue", super::schedule::days_since(c.issued_on, today)),
                    due_on,
                ));
            }
            Some(ReceiptDue::Revoke { due_on }) => {
                if ledger.has_revocation(&c.serial)? {
                    continue;
                }
                w.revocations.push(ca_revocation(&c, Reason::NoReceipt, today, at));
                w.actions.push(action(&c, "revoked", "no_receipt".into(), due_on));
                revoking.insert(c.serial.clone());
            }
            None => {}
        }
    }

    // 3. Invoices past due: finance's list once; revoked where the product says so.
    for inv in ledger.overdue_invoices(today)? {
        let (serial, due_on) = (inv.serial.clone(), inv.due_on);
        if revoking.contains(&serial) || ledger.had_action(&serial, "overdue_invoice")? {
            continue;
        }
        let Some(c) = ledger.certs_by_serial(std::slice::from_ref(&serial))?.pop() else { continue };
        let detail = format!("invoice due {due_on}: {} yen, received {} yen", inv.due, inv.received);
        w.actions.push(action(&c, "overdue_invoice", detail, due_on));
        let revoke =
            pipelines.product(&c.application.product).is_some_and(|p| p.payment.on_overdue == OverdueAction::Revoke);
        if revoke && c.not_after >= today && !ledger.has_revocation(&serial)? {
            w.revocations.push(ca_revocation(&c, Reason::NonPayment, today, at));
            w.actions.push(action(&c, "revoked", "non_payment".into(), due_on));
            revoking.insert(serial);
        }
    }

    // 4. Expiry notices, once per certificate and offset, never for one being revoked.
    let longest = pipelines.products.values().flat_map(|p| p.notices.expiry_days_before.iter().copied()).max();
    if let Some(longest) = longest {
        let until = today.checked_add_days(Days::new(u64::from(longest))).unwrap_or(NaiveDate::MAX);
        for c in ledger.expiring(today, until)? {
            let Some(product) = pipelines.product(&c.application.product) else { continue };
            if revoking.contains(&c.serial) {
                continue;
            }
            let sent = ledger.notices_sent(&c.serial, "expiry")?;
            let Some(marks) = super::due_expiry_notice(c.not_after, &product.notices.expiry_days_before, &sent, today)
            else {
                continue;
            };
            let offsets: Vec<String> = marks.iter().map(|o| format!("{o} days")).collect();
            let due_on = c.not_after - Days::new(u64::from(*marks.iter().max().unwrap_or(&0)));
            w.actions.push(action(
                &c,
                "expiry_notice",
                format!("ends {}; {}", c.not_after, offsets.join(", ")),
                due_on,
            ));
            w.notice_marks.extend(marks.into_iter().map(|o| (c.serial.clone(), i64::from(o))));
        }
    }
    Ok(w)
}

fn ca_revocation(c: &CertRow, reason: Reason, today: NaiveDate, at: &str) -> RevocationRow {
    RevocationRow {
        serial: c.serial.clone(),
        application_id: c.application.id.clone(),
        reason,
        requested_by: RequestedBy::Ca,
        requested_on: today,
        invalidity_date: None,
        effective_on: today,
        revoked_at: Some(at.to_string()),
        source: "daily".into(),
    }
}

/// Signs a new CRL when the revoked set changed or the day is new, else keeps the day's;
/// writes it (DER and PEM) with the CA certificates to `OUT/publish/`, each atomically.
pub fn publish_crl(
    ledger: &mut Ledger,
    ca: &Ca,
    period_hours: u32,
    today: NaiveDate,
    moment: DateTime<FixedOffset>,
    out: &Path,
) -> Result<StoredCrl> {
    let entries = ledger.crl_entries(today)?;
    let key: Vec<String> =
        entries.iter().map(|e| format!("{} {:?} {}", e.serial, e.reason, e.revoked_at.to_rfc3339())).collect();
    let key = key.join("\n");
    let last = ledger.last_crl()?;
    let crl = match last {
        Some(c) if c.day == today && c.entries == key => c,
        last => {
            let number = last.map_or(1, |c| c.number + 1);
            let next = moment + chrono::Duration::hours(i64::from(period_hours));
            let content = CrlContent { number, this_update: moment, next_update: next, entries: entries.clone() };
            let stored = StoredCrl { number, day: today, entries: key, der: crl::sign(ca, &content)? };
            ledger.record_crl(&stored, &crate::jpdate::iso(moment), &crate::jpdate::iso(next))?;
            stored
        }
    };
    let dir = out.join("publish");
    crate::fsio::create_dirs(&dir, false)?;
    crate::fsio::write_atomic(&dir.join("issuing-ca.crl"), &crl.der, false)?;
    crate::fsio::write_atomic(&dir.join("issuing-ca.crl.pem"), crl::pem(&crl.der)?.as_bytes(), false)?;
    let pem = |der: &[u8]| der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der);
    if let Some(issuing) = ca.chain_der.first() {
        crate::fsio::write_atomic(&dir.join("issuing-ca.pem"), pem(issuing)?.as_bytes(), false)?;
        // DER, as an authorityInfoAccess caIssuers URL serves it (RFC 5280 4.2.2.1).
        crate::fsio::write_atomic(&dir.join("issuing-ca.crt"), issuing, false)?;
    }
    if let Some(root) = ca.chain_der.last() {
        crate::fsio::write_atomic(&dir.join("root-ca.pem"), pem(root)?.as_bytes(), false)?;
    }
    Ok(crl)
}

/// A CSV file; every cell defused, as names and phone numbers come from outside (a cell
/// starting with `=`, `+`, `-` or `@` gets a leading `'`, so no spreadsheet runs it).
fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.iter().map(|c| crate::text::defuse(&crate::text::for_display(c))))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Writes `OUT/daily-<day>/` from the day's journal and the ledger's current lists.
pub fn write_day(
    ledger: &Ledger,
    config: &Config,
    today: NaiveDate,
    moment: DateTime<FixedOffset>,
    out: &Path,
    crl: &StoredCrl,
) -> Result<DailyReport> {
    let dir = out.join(day_folder(today));
    crate::fsio::create_dirs(&dir, false)?;
    let journal = ledger.day_actions(today)?;
    let serials: Vec<String> = journal.iter().map(|a| a.serial.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let certs: BTreeMap<String, CertRow> =
        ledger.certs_by_serial(&serials)?.into_iter().map(|c| (c.serial.clone(), c)).collect();
    let mut report =
        DailyReport { day: Some(today), out_dir: dir.clone(), crl_number: crl.number, ..Default::default() };
    report.crl_entries = if crl.entries.is_empty() { 0 } else { crl.entries.lines().count() };

    // actions.csv: the journal, with the CRL of the day.
    let mut rows: Vec<Vec<String>> = journal
        .iter()
        .map(|a| {
            vec![a.application_id.clone(), a.serial.clone(), a.action.clone(), a.detail.clone(), a.due_on.to_string()]
        })
        .collect();
    rows.extend(journal.iter().filter(|a| a.action == "expiry_notice").filter_map(|a| {
        let c = certs.get(&a.serial)?;
        let kit = format!("renewals/{}.xlsx", super::renewal_kit::file_name(&super::renewal_kit::kit_key(c)));
        Some(vec![a.application_id.clone(), a.serial.clone(), "renewal_kit".into(), kit, today.to_string()])
    }));
    let refunds = ledger.refunds(Some(today))?;
    rows.extend(refunds.iter().map(|r| {
        let r = &r.refund;
        vec![
            r.application_id.clone(),
            r.serial.clone(),
            "refund".into(),
            format!("{} yen ({}): {}", r.refund, r.reason, r.basis),
            today.to_string(),
        ]
    }));
    rows.push(vec![
        String::new(),
        String::new(),
        "crl".into(),
        format!("cRLNumber {}, {} entries", crl.number, report.crl_entries),
        today.to_string(),
    ]);
    crate::fsio::write_output(
        &dir.join("actions.csv"),
        &csv_bytes(&["application_id", "serial", "action", "detail", "due_on"], rows)?,
        false,
    )?;

    // revocations.csv: every revocation that took effect today, whichever command made it.
    let revoked = ledger.revocations_on(today)?;
    let rows = revoked.iter().map(|r| {
        vec![
            r.serial.clone(),
            r.application_id.clone(),
            r.reason.as_str().into(),
            r.requested_by.as_str().into(),
            r.requested_on.to_string(),
            r.revoked_at.clone().unwrap_or_default(),
            "revoked".into(),
            format!("{} ({})", r.reason.japanese(), r.source),
        ]
    });
    crate::fsio::write_output(
        &dir.join("revocations.csv"),
        &csv_bytes(
            &["serial", "application_id", "reason", "requested_by", "requested_on", "revoked_at", "status", "message"],
            rows,
        )?,
        false,
    )?;

    // refunds.csv: every refund that fell due today, whichever command decided it.
    let rows = refunds.iter().map(|r| {
        let r = &r.refund;
        vec![
            r.application_id.clone(),
            r.serial.clone(),
            r.reason.clone(),
            r.paid.to_string(),
            r.refund.to_string(),
            r.basis.clone(),
        ]
    });
    crate::fsio::write_output(
        &dir.join("refunds.csv"),
        &csv_bytes(&["application_id", "serial", "reason", "paid", "refund", "basis"], rows)?,
        false,
    )?;
    report.refunds = refunds.iter().map(|r| r.refund.application_id.clone()).collect();
    report.refunded_yen = refunds.iter().map(|r| r.refund.refund).sum();

    // call-list.csv: certificates 14 or more days (the product's reminder days) without a receipt.
    let call = call_list(ledger, &config.pipelines, today)?;
    report.call_list = call.len();
    crate::fsio::write_output(
        &dir.join("call-list.csv"),
        &csv_bytes(&["application_id", "serial", "name", "phone", "email", "issued_on", "days_since_issue"], call)?,
        false,
    )?;

    // Letters and mails.
    let sender = config.mail.sender();
    let mut notices = Notices::default();
    let mut expiry_due = Vec::new();
    let mut revocation_notices = Vec::new();
    for a in &journal {
        let Some(c) = certs.get(&a.serial) else { continue };
        match a.action.as_str() {
            "expiry_notice" => {
                expiry_due.push((c.application.clone(), c.serial.clone(), c.issued_on, c.not_after));
                report.expiry_notices.push(c.application.id.clone());
            }
            "receipt_reminder" => {
                report.reminders.push(c.application.id.clone());
                let Some(product) = config.pipelines.product(&c.application.product) else { continue };
                let t = config.letters.templates().get(&c.application.product, "receipt_reminder");
                let Some(t) = t else { continue };
                let revoke_on = product.notices.receipt_revoke_days.map(|d| c.issued_on + Days::new(u64::from(d)));
                let values = BTreeMap::from([
                    ("addressee", c.application.name_kanji.clone()),
                    ("product_name", product.name_ja.clone()),
                    ("serial", c.serial.clone()),
                    ("issue_date", c.issued_on.format("%Y年%m月%d日").to_string()),
                    ("revoke_date", revoke_on.map(|d| d.format("%Y年%m月%d日").to_string()).unwrap_or_default()),
                    ("ca_name", config.letters.ca_name().to_string()),
                ]);
                let paragraphs: Vec<String> =
                    t.paragraphs.iter().map(|p| crate::letters::templates::fill(p, &values)).collect();
                let eml = crate::mail::template_mail(
                    &sender,
                    &c.application.name_kanji,
                    &c.application.email,
                    &c.application.id,
                    &t.title,
                    &paragraphs,
                    moment,
                )?;
                crate::fsio::write_output(
                    &dir.join("mail").join(format!("{}-receipt-reminder.eml", c.application.id)),
                    &eml,
                    false,
                )?;
            }
            "overdue_invoice" => report.overdue.push(c.application.id.clone()),
            _ => {}
        }
    }
    for r in &revoked {
        let Some(c) = certs
            .get(&r.serial)
            .cloned()
            .or_else(|| ledger.certs_by_serial(std::slice::from_ref(&r.serial)).ok()?.pop())
        else {
            continue;
        };
        report.revoked.push(c.application.id.clone());
        let at = r.revoked_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        revocation_notices.push(RevocationNotice {
            serial: c.serial.clone(),
            issued_on: c.issued_on,
            not_after: c.not_after,
            revoked_at: at.map(|t| t.format("%Y年%m月%d日 %H:%M").to_string()).unwrap_or_default(),
            reason: r.reason.japanese().to_string(),
            application: c.application,
        });
    }
    // Renewal kits for the companies and people told of expiry today.
    let expiring: Vec<&CertRow> =
        journal.iter().filter(|a| a.action == "expiry_notice").filter_map(|a| certs.get(&a.serial)).collect();
    for (key, kit) in super::renewal_kit::group(&expiring) {
        let path = super::renewal_kit::write_kit(&dir, &key, &kit, moment)?;
        report.renewal_kits.push(path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
    }
    crate::letters::notices::expiry_letters(&config.pipelines, &config.letters, &expiry_due, &mut notices)?;
    crate::letters::notices::revocation_letters(&config.pipelines, &config.letters, &revocation_notices, &mut notices)?;
    crate::letters::notices::refund_letters(&config.pipelines, &config.letters, &refunds, &mut notices)?;
    // Into the print files only: a day may hold thousands of notices (see README, Benchmarks).
    notices.write_print_only(&config.letters, &dir)?;
    let printed: Vec<&Prepared> = notices.printed.iter().collect();
    config.letters.print_files(&dir, "daily", &printed, &notices.queued)?;
    report.queued_letters = notices.queued.len();
    for (app, serial, start, end) in &expiry_due {
        let eml = crate::mail::expiry_notice_mail(
            &sender,
            &app.name_kanji,
            &app.email,
            &app.id,
            crate::mail::Expiring {
                serial,
                issued_on: &start.format("%Y年%m月%d日").to_string(),
                expires_at: &format!("{} 23:59:59", end.format("%Y年%m月%d日")),
            },
            moment,
        )?;
        crate::fsio::write_output(&dir.join("mail").join(format!("{}-expiry.eml", app.id)), &eml, false)?;
    }
    for n in &revocation_notices {
        let Some(product) = config.pipelines.product(&n.application.product) else { continue };
        let Some(t) = config.letters.templates().get(&n.application.product, "revocation") else { continue };
        let values =
            crate::letters::notices::revocation_values(&config.letters, &product.name_ja, n, &n.application.name_kanji);
        let paragraphs: Vec<String> =
            t.paragraphs.iter().map(|p| crate::letters::templates::fill(p, &values)).collect();
        let eml = crate::mail::template_mail(
            &sender,
            &n.application.name_kanji,
            &n.application.email,
            &n.application.id,
            &t.title,
            &paragraphs,
            moment,
        )?;
        crate::fsio::write_output(&dir.join("mail").join(format!("{}-revocation.eml", n.application.id)), &eml, false)?;
    }

    // The mail goes to an applicant who paid; a company that paid has no address in the
    // contract but its `org_address` (the employee's mailbox is not the company's).
    for r in refunds.iter().filter(|r| r.refund.refund > 0) {
        let app = &r.application;
        let Some(product) = config.pipelines.product(&app.product) else { continue };
        if product.refunds.notice_to != crate::product::NoticeTo::Applicant {
            continue;
        }
        let Some(t) = config.letters.templates().get(&app.product, "refund") else { continue };
        let to = crate::letters::notices::refund_addressee(&config.pipelines, app);
        let values = crate::letters::notices::refund_values(&config.letters, &product.name_ja, r, &to.name);
        let paragraphs: Vec<String> =
            t.paragraphs.iter().map(|p| crate::letters::templates::fill(p, &values)).collect();
        let eml = crate::mail::template_mail(&sender, &to.name, &app.email, &app.id, &t.title, &paragraphs, moment)?;
        crate::fsio::write_output(&dir.join("mail").join(format!("{}-refund.eml", app.id)), &eml, false)?;
    }

    // overdue-invoices.csv: finance's current list (a payment that arrives clears it).
    let overdue = ledger.overdue_invoices(today)?;
    let rows = overdue.iter().map(|o| {
        vec![
            o.application_id.clone(),
            o.serial.clone(),
            o.due_on.to_string(),
            o.due.to_string(),
            o.received.to_string(),
            (o.due - o.received).to_string(),
        ]
    });
    crate::fsio::write_output(
        &dir.join("overdue-invoices.csv"),
        &csv_bytes(&["application_id", "serial", "due_on", "due", "received", "outstanding"], rows)?,
        false,
    )?;

    let line = report.line();
    crate::fsio::write_output(&dir.join("report.txt"), format!("{line}\n").as_bytes(), false)?;
    let json = serde_json::json!({
        "day": today.to_string(),
        "expiry_notices": report.expiry_notices,
        "receipt_reminders": report.reminders,
        "revoked": report.revoked,
        "overdue_invoices": report.overdue,
        "refunds": report.refunds,
        "refunded_yen": report.refunded_yen,
        "renewal_kits": report.renewal_kits,
        "call_list": report.call_list,
        "crl_number": report.crl_number,
        "crl_entries": report.crl_entries,
        "queued_letters": report.queued_letters,
    });
    crate::fsio::write_output(&dir.join("report.json"), serde_json::to_string_pretty(&json)?.as_bytes(), false)?;
    Ok(report)
}

/// Certificates without a receipt of the products in `days` (product → days after issue
/// that matter), issued at least the fewest of those days ago: the one range both the
/// receipt rules and the call list read.
fn awaiting_receipt(ledger: &Ledger, days: &BTreeMap<&str, u32>, today: NaiveDate) -> Result<Vec<CertRow>> {
    let Some(fewest) = days.values().copied().min() else { return Ok(Vec::new()) };
    let issued_by = today.checked_sub_days(Days::new(u64::from(fewest))).unwrap_or(NaiveDate::MIN);
    let products: Vec<String> = days.keys().map(|p| p.to_string()).collect();
    ledger.awaiting_receipt(&products, issued_by)
}

/// Staff's call list: every certificate of a product with a reminder rule, with no receipt
/// that many days or more after issue, not revoked.
fn call_list(ledger: &Ledger, pipelines: &Pipelines, today: NaiveDate) -> Result<Vec<Vec<String>>> {
    let days: BTreeMap<&str, u32> =
        pipelines.products.iter().filter_map(|(id, p)| Some((id.as_str(), p.notices.receipt_reminder_days?))).collect();
    let mut rows = Vec::new();
    for c in awaiting_receipt(ledger, &days, today)? {
        let since = super::schedule::days_since(c.issued_on, today);
        if since < i64::from(days[c.application.product.as_str()]) || c.not_after < today {
            continue;
        }
        let a = &c.application;
        rows.push(vec![
            a.id.clone(),
            c.serial.clone(),
            a.name_kanji.clone(),
            a.phone.clone().unwrap_or_default(),
            a.email.clone(),
            c.issued_on.to_string(),
            since.to_string(),
        ]);
    }
    Ok(rows)
}
