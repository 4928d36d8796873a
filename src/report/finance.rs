//! Finance's files: `payments.csv` (the contract's columns) and `reconciliation.xlsx`
//! (matched, needs attention, open fees and invoices with age, refunds due).
//!
//! In the workbook amounts are numbers and dates are dates, every sheet has a frozen
//! header and filters; text from outside (payer names) is written as a string cell, which
//! a spreadsheet never evaluates, and in the CSV it is defused like every other CSV cell.

use crate::ledger::payments::{OpenFeeRow, PaymentRow};
use crate::payments::model::MatchStatus;
use crate::text::defuse as csv_safe;
use anyhow::Result;
use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};
use std::path::Path;

/// `payments.csv`: `transaction_id,date,amount,payer_name,status,application_ids,expected,difference`.
pub fn write_payments_csv(dir: &Path, rows: &[PaymentRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "transaction_id",
        "date",
        "amount",
        "payer_name",
        "status",
        "application_ids",
        "expected",
        "difference",
    ])?;
    for r in rows {
        w.write_record([
            csv_safe(&r.transaction_id),
            r.date.clone(),
            r.amount.to_string(),
            csv_safe(&crate::text::for_display(&r.payer_name)),
            r.status.to_string(),
            csv_safe(&r.application_ids),
            if has_expected(r) { r.expected.to_string() } else { String::new() },
            r.difference.to_string(),
        ])?;
    }
    crate::fsio::write_output(&dir.join("payments.csv"), &w.into_inner()?, false)
}

/// A workbook whose creation time is the batch's (or day's) moment, not the clock: a rerun
/// writes the same bytes.
pub(crate) fn book_made_at(moment: chrono::DateTime<chrono::FixedOffset>) -> Result<Workbook> {
    use chrono::{Datelike, Timelike};
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(moment.year() as u16, moment.month() as u8, moment.day() as u8)?.and_hms(
        moment.hour() as u16,
        moment.minute() as u8,
        moment.second() as f64,
    )?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    Ok(book)
}

/// Bold names in the first row, frozen.
pub(crate) fn header(sheet: &mut Worksheet, names: &[&str]) -> Result<()> {
    let bold = Format::new().set_bold();
    for (i, n) in names.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *n, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn filter(sheet: &mut Worksheet, rows: usize, cols: usize) -> Result<()> {
    sheet.autofilter(0, 0, rows.max(1) as u32, (cols - 1) as u16)?;
    Ok(())
}

pub(crate) fn date_cell(d: NaiveDate) -> Result<ExcelDateTime> {
    use chrono::Datelike;
    Ok(ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?)
}

/// Whether a credit was matched to anything: an unmatched or duplicate credit has no
/// expected amount (a blank cell, not 0; its difference is then the whole credit).
fn has_expected(r: &PaymentRow) -> bool {
    !r.application_ids.trim().is_empty() && !matches!(r.status, MatchStatus::Unmatched | MatchStatus::Duplicate)
}

fn payment_sheet(book: &mut Workbook, name: &str, rows: &[&PaymentRow]) -> Result<()> {
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let yen = Format::new().set_num_format("#,##0");
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    // Finance reads Japanese; payments.csv keeps the contract's English names.
    let cols = ["取引ID", "入金日", "入金額", "振込依頼人名", "状況", "申込番号", "請求額", "差額", "理由（詳細）"];
    header(sheet, &cols)?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, csv_safe(&r.transaction_id))?;
        match r.date.parse::<NaiveDate>() {
            Ok(d) => sheet.write_datetime_with_format(row, 1, date_cell(d)?, &date_fmt)?,
            Err(_) => sheet.write_string(row, 1, &r.date)?,
        };
        sheet.write_number_with_format(row, 2, r.amount as f64, &yen)?;
        sheet.write_string(row, 3, csv_safe(&crate::text::for_display(&r.payer_name)))?;
        let status = if r.settled_later { "消込済み（後日の入金で完済）" } else { r.status.japanese() };
        sheet.write_string(row, 4, status)?;
        sheet.write_string(row, 5, csv_safe(&r.application_ids))?;
        if has_expected(r) {
            sheet.write_number_with_format(row, 6, r.expected as f64, &yen)?;
        }
        sheet.write_number_with_format(row, 7, r.difference as f64, &yen)?;
        sheet.write_string(row, 8, csv_safe(&r.reason))?;
    }
    filter(sheet, rows.len(), cols.len())?;
    sheet.autofit();
    Ok(())
}

/// One qualified invoice as finance lists it.
#[derive(Debug, Clone)]
pub struct InvoiceLine {
    /// As printed (`DEMO-INV-000001`).
    pub number: String,
    /// The company billed, or the person.
    pub addressee: String,
    pub row: crate::ledger::payments::InvoiceRow,
    pub amounts: crate::letters::invoices::Amounts,
}

/// Why an application's fee goes back, as finance reads it (the ledger keeps the code).
fn refund_why_ja(why: &str) -> String {
    match why {
        "documents_overdue" => "書類が揃わないまま期限を過ぎた（発行前の返金）".into(),
        "過入金" | "二重入金" => why.into(),
        // The revocation reason the refund follows (RFC 5280 names, as revocations.csv has them).
        code => format!("失効（{code}）による残存期間分の返金"),
    }
}

/// An application's status as finance reads it.
fn status_ja(status: &str) -> &str {
    match status {
        "accepted" => "受理（発行待ち）",
        "deficient" => "不備（書類待ち）",
        "issued" => "発行済み",
        "refund_due" => "返金対象",
        "revoked" => "失効",
        "rejected" => "却下",
        other => other,
    }
}

/// `reconciliation.xlsx`, as of `as_of` (ages are counted to that day).
pub fn write_reconciliation(
    dir: &Path,
    payments: &[PaymentRow],
    open: &[OpenFeeRow],
    refunds: &[crate::ledger::payments::RefundDue],
    invoices: &[InvoiceLine],
    as_of: NaiveDate,
    moment: chrono::DateTime<chrono::FixedOffset>,
) -> Result<()> {
    let mut book = book_made_at(moment)?;
    // A partial payment completed by a later credit needs no more attention.
    let done = |p: &&PaymentRow| p.status == MatchStatus::Matched || p.settled_later;
    let matched: Vec<&PaymentRow> = payments.iter().filter(done).collect();
    let attention: Vec<&PaymentRow> = payments.iter().filter(|p| !done(p)).collect();
    payment_sheet(&mut book, "matched", &matched)?;
    payment_sheet(&mut book, "needs_attention", &attention)?;

    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let yen = Format::new().set_num_format("#,##0");
    let sheet = book.add_worksheet();
    sheet.set_name("open_fees")?;
    let cols = [
        "申込番号",
        "申込者",
        "会社",
        "商品",
        "申込の状況",
        "請求額",
        "入金済み",
        "未収額",
        "受付日",
        "経過日数",
        "請求書の支払期限",
        "期限超過日数",
    ];
    header(sheet, &cols)?;
    for (i, r) in open.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, csv_safe(&r.application_id))?;
        sheet.write_string(row, 1, csv_safe(&r.name))?;
        sheet.write_string(row, 2, csv_safe(&r.company))?;
        sheet.write_string(row, 3, &r.product)?;
        sheet.write_string(row, 4, status_ja(&r.status))?;
        sheet.write_number_with_format(row, 5, r.due as f64, &yen)?;
        sheet.write_number_with_format(row, 6, r.received as f64, &yen)?;
        sheet.write_number_with_format(row, 7, (r.due - r.received) as f64, &yen)?;
        sheet.write_datetime_with_format(row, 8, date_cell(r.since)?, &date_fmt)?;
        sheet.write_number(row, 9, (as_of - r.since).num_days() as f64)?;
        if let Some(due) = r.invoice_due_on {
            sheet.write_datetime_with_format(row, 10, date_cell(due)?, &date_fmt)?;
            sheet.write_number(row, 11, (as_of - due).num_days().max(0) as f64)?;
        }
    }
    filter(sheet, open.len(), cols.len())?;
    sheet.autofit();

    let sheet = book.add_worksheet();
    sheet.set_name("refunds_due")?;
    let cols = ["申込番号または取引ID", "返金額", "理由", "入金額", "計算の根拠", "返金先", "返金期日"];
    header(sheet, &cols)?;
    for (i, r) in refunds.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, csv_safe(&r.id))?;
        sheet.write_number_with_format(row, 1, r.amount as f64, &yen)?;
        sheet.write_string(row, 2, csv_safe(&refund_why_ja(&r.why)))?;
        if let Some(paid) = r.paid {
            sheet.write_number_with_format(row, 3, paid as f64, &yen)?;
        }
        sheet.write_string(row, 4, csv_safe(&r.basis))?;
        sheet.write_string(row, 5, csv_safe(&r.name))?;
        if let Some(due) = r.due_on {
            sheet.write_datetime_with_format(row, 6, date_cell(due)?, &date_fmt)?;
        }
    }
    filter(sheet, refunds.len(), cols.len())?;
    sheet.autofit();

    // Every qualified invoice, by number: the gapless sequence finance files.
    let percent = Format::new().set_num_format("0%");
    let sheet = book.add_worksheet();
    sheet.set_name("invoices")?;
    let cols = [
        "請求書番号",
        "発行日",
        "申込番号",
        "商品",
        "宛先",
        "税の扱い",
        "税率対象額",
        "税率",
        "消費税額",
        "請求額（税込）",
        "支払期限",
        "入金済み",
        "申込の状況",
    ];
    header(sheet, &cols)?;
    for (i, l) in invoices.iter().enumerate() {
        let row = i as u32 + 1;
        let date = |s: &str| s.parse::<NaiveDate>().ok();
        sheet.write_string(row, 0, &l.number)?;
        if let Some(d) = date(&l.row.issued_on) {
            sheet.write_datetime_with_format(row, 1, date_cell(d)?, &date_fmt)?;
        }
        sheet.write_string(row, 2, csv_safe(&l.row.application_id))?;
        sheet.write_string(row, 3, &l.row.product)?;
        sheet.write_string(row, 4, csv_safe(&l.addressee))?;
        // The amount the rate applies to, as the invoice states it (tax excluded or included).
        let taxable = match l.amounts.tax_mode {
            crate::product::TaxMode::Excluded => l.amounts.total - l.amounts.tax,
            crate::product::TaxMode::Included => l.amounts.total,
        };
        let basis = match l.amounts.tax_mode {
            crate::product::TaxMode::Excluded => "税抜",
            crate::product::TaxMode::Included => "税込",
        };
        sheet.write_string(row, 5, basis)?;
        sheet.write_number_with_format(row, 6, taxable as f64, &yen)?;
        sheet.write_number_with_format(row, 7, f64::from(l.amounts.rate_percent) / 100.0, &percent)?;
        sheet.write_number_with_format(row, 8, l.amounts.tax as f64, &yen)?;
        sheet.write_number_with_format(row, 9, l.amounts.total as f64, &yen)?;
        if let Some(d) = date(&l.row.due_on) {
            sheet.write_datetime_with_format(row, 10, date_cell(d)?, &date_fmt)?;
        }
        sheet.write_number_with_format(row, 11, l.row.received as f64, &yen)?;
        sheet.write_string(row, 12, status_ja(&l.row.status))?;
    }
    filter(sheet, invoices.len(), cols.len())?;
    sheet.autofit();
    let bytes = book.save_to_buffer()?;
    crate::fsio::write_output(&dir.join("reconciliation.xlsx"), &bytes, false)
}
