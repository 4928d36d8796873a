//! Zengin (全銀協) fixed-length statements: 振込入金通知 (kind 01, credit advice) and
//! 入出金取引明細 (kind 03, account statement), 200-byte records.
//!
//! Records are sliced by byte position before any decoding (a half-width kana is one
//! byte, so decoding first would shift every later field); text fields are then decoded
//! as Shift_JIS and `\` (byte 0x5C) becomes ¥. A file is a run of groups, header (1) ·
//! data (2)… · trailer (8), one group per account, closed by one end record (9).
//!
//! Decisions, each made so that a wrong guess refuses a file rather than misreads it:
//!
//! - **Record breaks.** CR LF, LF alone or none at all; a line holding several records
//!   back to back is split every 200 bytes; a trailing EOF byte (0x1A) is ignored. Any
//!   other length refuses the file.
//! - **Era.** Dates are era `YYMMDD` and the file does not say which era. The header's
//!   作成日 is 令和 unless that would put it more than one year after today, in which case
//!   it is 平成 (H28 read as 令和 would be 2046). Every other date is read both ways and the
//!   reading nearer the header's date wins, so a file made on R01-05-10 holding a
//!   transfer of 31-04-26 gets 2019-04-26 (平成31), and a 令和 date just after the header
//!   date is never thrown back thirty years. A reading outside its era (R01-04-30,
//!   H31-05-01) does not exist.
//! - **Format B of kind 01.** The header carries no flag, so the data layout decides: a
//!   group is format B when every data record has 24 digits at bytes 129-152 (two 12-digit
//!   amounts; in format A bytes 149-152 are filler) and, where bytes 20-29 hold a non-zero
//!   amount, it equals 金額(2). The trailer check then confirms the reading.
//! - **Trailer of kind 01.** 取消件数/取消金額 must equal the cancel records. 合計件数/合計金額
//!   are the 全銀協 totals of all data records, cancel records included; a trailer that
//!   counts them excluded is also accepted, since the cancel figures are checked apart.
//! - **Trailer of kind 03.** 入金 and 出金 counts and totals must agree (corrections counted
//!   on their own side). The closing balance (opening + credits − debits) is checked too,
//!   but a difference is reported as a problem, not a refusal: the credits themselves are
//!   consistent and staff cannot fix a bank's balance.
//! - **Cancellations (01, 取消区分 1)** remove the credit of the same group with the same
//!   照会番号 (the one of the same 勘定日 first). A cancel record with no original in the
//!   file, or whose amount differs from it, is reported; it never becomes a credit.
//! - **Corrections (03, 取引区分 19).** A debit-side correction reverses the credit of the
//!   group with the same 照会番号, or else the only credit of the same amount and payer
//!   name: the whole credit goes when the correction covers it, otherwise its amount is
//!   reduced. A credit-side correction adds to the credit with the same 照会番号, or stands
//!   as a credit of its own (a re-posted transfer is money received). A correction that
//!   finds nothing is reported for a person to settle.
//! - **Payer of a 03 credit** is 振込依頼人名; where the bank gives none (cash deposits,
//!   interest) the 摘要 text stands in, so finance sees what the money was.
//! - **Identity.** `zengin-KIND|account|勘定日|照会番号`: the kind is included because 01 and 03
//!   number transfers independently, so equal numbers of the two kinds are not one credit.
//!   The account is `bank-branch-type-number` with the number padded to 7 digits, the
//!   same for both kinds.

use crate::bank::model::Credit;
use crate::bank::model::{yen_for_backslash, Statement, StatementError};
use crate::jpdate::{HEISEI, REIWA};
use chrono::{FixedOffset, Months, NaiveDate};
use encoding_rs::SHIFT_JIS;

/// The name `--bank` takes to force Zengin reading.
pub use crate::bank::model::ZENGIN_FORMAT as FORMAT_NAME;

const RECORD_LEN: usize = 200;
const EOF_MARK: u8 = 0x1A;
/// `1` in EBCDIC: an EBCDIC Zengin header starts with it.
const EBCDIC_ONE: u8 = 0xF1;

/// A field at 1-based byte `start`, `len` bytes long, as the layout tables print it.
#[derive(Clone, Copy)]
struct Pos {
    start: usize,
    len: usize,
}

const fn at(start: usize, len: usize) -> Pos {
    Pos { start, len }
}

impl Pos {
    fn of(self, record: &[u8]) -> &[u8] {
        &record[self.start - 1..self.start - 1 + self.len]
    }
}

/// The record layouts, kept as data (positions from bank-statements.md and public bank
/// layout pages) so a bank's deviation is a one-line change.
mod layout {
    use super::{at, Pos};

    pub const KIND: Pos = at(2, 2);
    pub const CODE: Pos = at(4, 1);
    pub const CREATED: Pos = at(5, 6);
    pub const FROM: Pos = at(11, 6);
    pub const TO: Pos = at(17, 6);
    pub const BANK: Pos = at(23, 4);
    pub const BRANCH: Pos = at(42, 3);

    /// 振込入金通知 header: 預金種目 and a 7-digit 口座番号 right after the branch name.
    pub mod h01 {
        use super::{at, Pos};
        pub const DEPOSIT_TYPE: Pos = at(60, 1);
        pub const ACCOUNT: Pos = at(61, 7);
    }

    /// 入出金取引明細 header: a 3-byte dummy, then 預金種目 and a 10-digit 口座番号.
    pub mod h03 {
        use super::{at, Pos};
        pub const DEPOSIT_TYPE: Pos = at(63, 1);
        pub const ACCOUNT: Pos = at(64, 10);
        pub const OVERDRAFT: Pos = at(114, 1);
        pub const OPENING: Pos = at(116, 14);
    }

    pub mod d01 {
        use super::{at, Pos};
        pub const REFERENCE: Pos = at(2, 6);
        pub const BOOKED: Pos = at(8, 6);
        pub const AMOUNT: Pos = at(20, 10);
        pub const PAYER_CODE: Pos = at(40, 10);
        pub const PAYER: Pos = at(50, 48);
        pub const CANCEL: Pos = at(128, 1);
        pub const EDI_A: Pos = at(129, 20);
        pub const AMOUNT_B: Pos = at(129, 12);
        /// 金額(2) and うち他店券金額(2): all digits in format B only.
        pub const AMOUNTS_B: Pos = at(129, 24);
        pub const EDI_B: Pos = at(153, 20);
    }

    pub mod t01 {
        use super::{at, Pos};
        pub const COUNT: Pos = at(2, 6);
        pub const TOTAL: Pos = at(8, 12);
        pub const CANCEL_COUNT: Pos = at(20, 6);
        pub const CANCEL_TOTAL: Pos = at(26, 12);
    }

    pub mod d03 {
        use super::{at, Pos};
        pub const REFERENCE: Pos = at(2, 8);
        pub const BOOKED: Pos = at(10, 6);
        pub const DIRECTION: Pos = at(22, 1);
        pub const KIND: Pos = at(23, 2);
        pub const AMOUNT: Pos = at(25, 12);
        pub const PAYER_CODE: Pos = at(72, 10);
        pub const PAYER: Pos = at(82, 48);
        pub const DESCRIPTION: Pos = at(160, 20);
        pub const EDI: Pos = at(180, 20);
    }

    pub mod t03 {
        use super::{at, Pos};
        pub const CREDIT_COUNT: Pos = at(2, 6);
        pub const CREDIT_TOTAL: Pos = at(8, 13);
        pub const DEBIT_COUNT: Pos = at(21, 6);
        pub const DEBIT_TOTAL: Pos = at(27, 13);
        pub const OVERDRAFT: Pos = at(40, 1);
        pub const CLOSING: Pos = at(41, 14);
        pub const RECORDS: Pos = at(55, 7);
    }
}

/// 取引区分 of a correction in 入出金取引明細.
const CORRECTION: &str = "19";

/// True when the file starts with a Zengin header record: byte 1 is `1` (or EBCDIC `1`,
/// so that such a file is refused with the right message) and the first line is one or
/// more whole 200-byte records.
pub fn looks_like_zengin(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = trim_record_end(first);
    matches!(first.first(), Some(&b'1') | Some(&EBCDIC_ONE))
        && first.len() >= RECORD_LEN
        && first.len().is_multiple_of(RECORD_LEN)
}

/// Drops what may follow a record on its line: CR and the DOS end-of-file byte.
fn trim_record_end(mut line: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = line.split_last() {
        if last == b'\r' || last == EOF_MARK {
            line = rest;
        } else {
            break;
        }
    }
    line
}

/// Reads a Zengin statement file. Dates of 平成 files are told from 令和 ones relative to
/// today in Japan (see the module notes).
pub fn parse_zengin(bytes: &[u8], file: &str) -> Result<Statement, StatementError> {
    let now = chrono::Utc::now();
    let today = FixedOffset::east_opt(9 * 3600).map_or(now.date_naive(), |jst| now.with_timezone(&jst).date_naive());
    parse_zengin_at(bytes, file, today)
}

/// [`parse_zengin`] with "today" given, so that era decisions can be replayed and tested.
pub fn parse_zengin_at(bytes: &[u8], file: &str, today: NaiveDate) -> Result<Statement, StatementError> {
    let records = split_records(bytes).map_err(|(record, reason)| rec_err(file, record, reason))?;
    let mut reader = Reader { file, today, statement: Statement::default(), kinds: Vec::new() };
    let mut group: Option<Group> = None;
    let mut groups = 0;
    let mut ended = false;
    for (i, record) in records.iter().enumerate() {
        let no = i + 1;
        if ended {
            return Err(rec_err(file, no, "a record follows the end record (9)".into()));
        }
        match record[0] {
            b'1' => {
                if let Some(open) = &group {
                    return Err(rec_err(
                        file,
                        no,
                        format!(
                            "a header starts before the group of record {} has its trailer (8)",
                            open.header_record
                        ),
                    ));
                }
                groups += 1;
                group = Some(reader.header(record, no, groups)?);
            }
            EBCDIC_ONE => return Err(StatementError::Ebcdic { file: file.to_string() }),
            b'2' => match &mut group {
                Some(g) => g.data.push((no, record)),
                None => return Err(rec_err(file, no, "a data record (2) outside any header…trailer group".into())),
            },
            b'8' => match group.take() {
                Some(g) => reader.finish(g, record, no)?,
                None => return Err(rec_err(file, no, "a trailer (8) without its header (1)".into())),
            },
            b'9' => {
                if let Some(open) = &group {
                    return Err(rec_err(
                        file,
                        no,
                        format!(
                            "the end record comes before the trailer of the group of record {}",
                            open.header_record
                        ),
                    ));
                }
                ended = true;
            }
            other => {
                return Err(rec_err(
                    file,
                    no,
                    format!("unknown データ区分 {:?} (1, 2, 8 or 9 expected)", other as char),
                ))
            }
        }
    }
    if let Some(open) = group {
        return Err(rec_err(
            file,
            records.len(),
            format!("the file ends inside the group of record {} (no trailer): it looks truncated", open.header_record),
        ));
    }
    if !ended {
        return Err(rec_err(file, records.len(), "the file has no end record (9): it looks truncated".into()));
    }
    let mut statement = reader.statement;
    statement.records = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let kind = match r[0] {
                b'1' => "header",
                b'2' => "data",
                b'8' => "trailer",
                _ => "end",
            };
            (i + 1, kind)
        })
        .collect();
    statement.format = match reader.kinds.as_slice() {
        [] => FORMAT_NAME.to_string(),
        [one] => format!("zengin-{one}"),
        many => format!("zengin-{}", many.join("+")),
    };
    Ok(statement)
}

fn rec_err(file: &str, record: usize, reason: String) -> StatementError {
    StatementError::Record { file: file.to_string(), record, reason }
}

/// Splits the file into 200-byte records, with or without line breaks. The error carries
/// the number the offending record would have had.
fn split_records(bytes: &[u8]) -> Result<Vec<&[u8]>, (usize, String)> {
    let mut records = Vec::new();
    for (line_no, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = trim_record_end(line);
        if line.iter().all(|&b| b == b' ') {
            continue;
        }
        if !line.len().is_multiple_of(RECORD_LEN) {
            return Err((
                records.len() + 1,
                format!(
                    "line {} is {} bytes, not a whole number of {RECORD_LEN}-byte Zengin records",
                    line_no + 1,
                    line.len()
                ),
            ));
        }
        records.extend(line.chunks(RECORD_LEN));
    }
    if records.is_empty() {
        return Err((1, "the file holds no Zengin record".into()));
    }
    Ok(records)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 振込入金通知.
    Notice,
    /// 入出金取引明細.
    Statement,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Notice => "01",
            Kind::Statement => "03",
        }
    }
}

/// One header…trailer group: one account's records.
struct Group<'a> {
    number: usize,
    kind: Kind,
    header_record: usize,
    account: String,
    /// The header's date the data dates are read against (see the era note).
    reference: NaiveDate,
    /// 取引前残高, signed (03 only).
    opening: i64,
    data: Vec<(usize, &'a [u8])>,
}

struct Reader<'f> {
    file: &'f str,
    today: NaiveDate,
    statement: Statement,
    kinds: Vec<&'static str>,
}

/// One 振込入金通知 data record, read.
struct Notice {
    record: usize,
    reference: String,
    booked: NaiveDate,
    amount: i64,
    payer: String,
    payer_code: Option<String>,
    edi: Option<String>,
    cancel: bool,
}

/// One 入出金取引明細 data record, read.
struct Entry {
    record: usize,
    reference: String,
    booked: NaiveDate,
    credit: bool,
    correction: bool,
    amount: i64,
    payer: String,
    payer_code: Option<String>,
    edi: Option<String>,
}

impl<'f> Reader<'f> {
    fn err(&self, record: usize, reason: String) -> StatementError {
        rec_err(self.file, record, reason)
    }

    fn problem(&mut self, record: usize, text: String) {
        self.statement.problems.push(format!("{}:record {record}: {text}", self.file));
    }

    fn header<'a>(&mut self, record: &'a [u8], no: usize, number: usize) -> Result<Group<'a>, StatementError> {
        if layout::CODE.of(record) == b"1" {
            return Err(StatementError::Ebcdic { file: self.file.to_string() });
        }
        let kind = match layout::KIND.of(record) {
            b"01" => Kind::Notice,
            b"03" => Kind::Statement,
            other => {
                return Err(self.err(
                    no,
                    format!(
                        "種別コード {} is not a statement (01 振込入金通知 and 03 入出金取引明細 are read)",
                        String::from_utf8_lossy(other)
                    ),
                ))
            }
        };
        if !self.kinds.contains(&kind.code()) {
            self.kinds.push(kind.code());
        }
        let (deposit_type, account_no) = match kind {
            Kind::Notice => (layout::h01::DEPOSIT_TYPE, layout::h01::ACCOUNT),
            Kind::Statement => (layout::h03::DEPOSIT_TYPE, layout::h03::ACCOUNT),
        };
        let number_digits = digits(account_no.of(record)).map_err(|e| self.err(no, format!("口座番号: {e}")))?;
        let account = format!(
            "{}-{}-{}-{:0>7}",
            digits(layout::BANK.of(record)).map_err(|e| self.err(no, format!("銀行コード: {e}")))?,
            digits(layout::BRANCH.of(record)).map_err(|e| self.err(no, format!("支店コード: {e}")))?,
            digits(deposit_type.of(record)).map_err(|e| self.err(no, format!("預金種目: {e}")))?,
            number_digits.trim_start_matches('0'),
        );
        // The first header date that is filled in anchors the era of all the others.
        let mut reference = None;
        for (pos, what) in [(layout::CREATED, "作成日"), (layout::TO, "勘定日(至)"), (layout::FROM, "勘定日(自)")]
        {
            let raw = pos.of(record);
            if raw.iter().all(|&b| b == b'0' || b == b' ') {
                continue;
            }
            let date = header_date(raw, self.today).map_err(|e| self.err(no, format!("{what}: {e}")))?;
            reference = Some(date);
            break;
        }
        let reference = reference.ok_or_else(|| self.err(no, "the header has no date (作成日, 勘定日)".into()))?;
        let opening = match kind {
            Kind::Notice => 0,
            Kind::Statement => signed(layout::h03::OVERDRAFT.of(record), layout::h03::OPENING.of(record))
                .map_err(|e| self.err(no, format!("取引前残高: {e}")))?,
        };
        Ok(Group { number, kind, header_record: no, account, reference, opening, data: Vec::new() })
    }

    fn finish(&mut self, group: Group<'_>, trailer: &[u8], no: usize) -> Result<(), StatementError> {
        match group.kind {
            Kind::Notice => self.finish_notice(group, trailer, no),
            Kind::Statement => self.finish_statement(group, trailer, no),
        }
    }

    fn credit(&self, group: &Group<'_>, record: usize, fields: CreditFields) -> Credit {
        let kind = group.kind.code();
        Credit {
            id: format!("zengin-{kind}|{}|{}|{}", group.account, fields.booked, fields.reference),
            source_format: format!("zengin-{kind}"),
            account: group.account.clone(),
            date: fields.booked,
            amount: fields.amount,
            payer_raw: fields.payer,
            payer_code: fields.payer_code,
            edi: fields.edi,
            origin: format!("{}:record {record}", self.file),
        }
    }

    fn trailer_check(
        &self,
        group: &Group<'_>,
        trailer: &[u8],
        no: usize,
        pos: Pos,
        what: &str,
        found: i64,
    ) -> Result<(), StatementError> {
        let expected = trailer_number(pos.of(trailer)).map_err(|e| self.err(no, format!("trailer {what}: {e}")))?;
        if expected != found {
            return Err(self.trailer_err(group, no, what, expected, found));
        }
        Ok(())
    }

    fn trailer_err(&self, group: &Group<'_>, no: usize, what: &str, expected: i64, found: i64) -> StatementError {
        StatementError::Trailer {
            file: self.file.to_string(),
            record: no,
            group: group.number,
            account: group.account.clone(),
            what: what.to_string(),
            expected,
            found,
        }
    }

    fn finish_notice(&mut self, group: Group<'_>, trailer: &[u8], no: usize) -> Result<(), StatementError> {
        let format_b = is_format_b(&group.data);
        let mut notices = Vec::with_capacity(group.data.len());
        for &(record, data) in &group.data {
            notices.push(self.read_notice(&group, record, data, format_b)?);
        }
        let (all_count, all_total) = (notices.len() as i64, notices.iter().map(|n| n.amount).sum::<i64>());
        let cancels: Vec<&Notice> = notices.iter().filter(|n| n.cancel).collect();
        let (cancel_count, cancel_total) = (cancels.len() as i64, cancels.iter().map(|n| n.amount).sum::<i64>());
        use layout::t01;
        self.trailer_check(&group, trailer, no, t01::CANCEL_COUNT, "取消件数", cancel_count)?;
        self.trailer_check(&group, trailer, no, t01::CANCEL_TOTAL, "取消金額", cancel_total)?;
        let count =
            trailer_number(t01::COUNT.of(trailer)).map_err(|e| self.err(no, format!("trailer 合計件数: {e}")))?;
        let total =
            trailer_number(t01::TOTAL.of(trailer)).map_err(|e| self.err(no, format!("trailer 合計金額: {e}")))?;
        let including = count == all_count && total == all_total;
        let excluding = count == all_count - cancel_count && total == all_total - cancel_total;
        if !including && !excluding {
            return Err(if count != all_count {
                self.trailer_err(&group, no, "合計件数", count, all_count)
            } else {
                self.trailer_err(&group, no, "合計金額", total, all_total)
            });
        }

        // Originals first, then each cancel takes its original out.
        let mut credits: Vec<(Credit, &Notice)> = Vec::new();
        for n in notices.iter().filter(|n| !n.cancel) {
            let fields = CreditFields {
                reference: n.reference.clone(),
                booked: n.booked,
                amount: n.amount,
                payer: n.payer.clone(),
                payer_code: n.payer_code.clone(),
                edi: n.edi.clone(),
            };
            credits.push((self.credit(&group, n.record, fields), n));
        }
        for cancel in notices.iter().filter(|n| n.cancel) {
            let same_ref = |(_, n): &(Credit, &Notice)| n.reference == cancel.reference;
            let found = credits
                .iter()
                .position(|c| same_ref(c) && c.1.booked == cancel.booked)
                .or_else(|| credits.iter().position(same_ref));
            match found {
                Some(i) => {
                    let (original, n) = credits.remove(i);
                    self.statement.cancelled += 1;
                    if original.amount != cancel.amount {
                        self.problem(
                            cancel.record,
                            format!(
                                "the cancellation of 照会番号 {} is for {} yen but the transfer (record {}) was {} yen; \
                                 the transfer was removed, check with the bank",
                                cancel.reference, cancel.amount, n.record, original.amount
                            ),
                        );
                    }
                }
                None => self.problem(
                    cancel.record,
                    format!(
                        "cancellation of 照会番号 {} ({} yen, {}) matches no transfer in this file; if that transfer was \
                         imported earlier, take it back by hand",
                        cancel.reference, cancel.amount, cancel.payer
                    ),
                ),
            }
        }
        let mut credits: Vec<Credit> = credits.into_iter().map(|(c, _)| c).collect();
        self.disambiguate(&mut credits);
        self.statement.credits.extend(credits);
        Ok(())
    }

    fn read_notice(&self, group: &Group<'_>, no: usize, r: &[u8], format_b: bool) -> Result<Notice, StatementError> {
        use layout::d01;
        let field = |what: &str, e: String| self.err(no, format!("{what}: {e}"));
        let amount = if format_b { d01::AMOUNT_B } else { d01::AMOUNT };
        let edi = if format_b { d01::EDI_B } else { d01::EDI_A };
        let cancel = match d01::CANCEL.of(r) {
            b"1" => true,
            b"0" | b" " => false,
            other => return Err(field("取消区分", format!("{:?} is neither 0 nor 1", String::from_utf8_lossy(other)))),
        };
        Ok(Notice {
            record: no,
            reference: digits(d01::REFERENCE.of(r)).map_err(|e| field("照会番号", e))?,
            booked: data_date(d01::BOOKED.of(r), group.reference).map_err(|e| field("勘定日", e))?,
            amount: number(amount.of(r)).map_err(|e| field("金額", e))?,
            payer: text(d01::PAYER.of(r)),
            payer_code: code(d01::PAYER_CODE.of(r)),
            edi: non_empty(text(edi.of(r))),
            cancel,
        })
    }

    fn finish_statement(&mut self, group: Group<'_>, trailer: &[u8], no: usize) -> Result<(), StatementError> {
        let mut entries = Vec::with_capacity(group.data.len());
        for &(record, data) in &group.data {
            entries.push(self.read_entry(&group, record, data)?);
        }
        let side = |credit: bool| {
            let e: Vec<&Entry> = entries.iter().filter(|e| e.credit == credit).collect();
            (e.len() as i64, e.iter().map(|e| e.amount).sum::<i64>())
        };
        let ((credit_count, credit_total), (debit_count, debit_total)) = (side(true), side(false));
        use layout::t03;
        self.trailer_check(&group, trailer, no, t03::CREDIT_COUNT, "入金件数", credit_count)?;
        self.trailer_check(&group, trailer, no, t03::CREDIT_TOTAL, "入金額合計", credit_total)?;
        self.trailer_check(&group, trailer, no, t03::DEBIT_COUNT, "出金件数", debit_count)?;
        self.trailer_check(&group, trailer, no, t03::DEBIT_TOTAL, "出金額合計", debit_total)?;
        let records_field = t03::RECORDS.of(trailer);
        if records_field.iter().any(|&b| b != b' ' && b != b'0') {
            self.trailer_check(&group, trailer, no, t03::RECORDS, "データ・レコード件数", entries.len() as i64)?;
        }
        let closing = signed(t03::OVERDRAFT.of(trailer), t03::CLOSING.of(trailer))
            .map_err(|e| self.err(no, format!("trailer 取引後残高: {e}")))?;
        let computed = group.opening + credit_total - debit_total;
        if closing != computed {
            self.problem(
                no,
                format!(
                    "account {}: the closing balance is {closing} yen but the opening balance {} plus credits minus \
                     debits gives {computed} yen (the credits were imported)",
                    group.account, group.opening
                ),
            );
        }

        let mut credits: Vec<(Credit, String)> = Vec::new();
        for e in entries.iter().filter(|e| !e.correction) {
            if e.credit {
                credits.push((self.credit(&group, e.record, e.fields()), e.reference.clone()));
            } else {
                self.statement.debits_skipped += 1;
            }
        }
        for c in entries.iter().filter(|e| e.correction) {
            self.apply_correction(&group, c, &mut credits);
        }
        let mut credits: Vec<Credit> = credits.into_iter().map(|(c, _)| c).collect();
        self.disambiguate(&mut credits);
        self.statement.credits.extend(credits);
        Ok(())
    }

    fn apply_correction(&mut self, group: &Group<'_>, c: &Entry, credits: &mut Vec<(Credit, String)>) {
        let by_reference = credits.iter().position(|(_, r)| *r == c.reference);
        if c.credit {
            match by_reference {
                Some(i) => {
                    credits[i].0.amount += c.amount;
                    self.statement.corrected += 1;
                }
                None => {
                    credits.push((self.credit(group, c.record, c.fields()), c.reference.clone()));
                    self.problem(
                        c.record,
                        format!(
                            "credit correction (取引区分 19) of {} yen, 照会番号 {}, has no original in this file: \
                             imported as a credit of its own",
                            c.amount, c.reference
                        ),
                    );
                }
            }
            return;
        }
        let found = by_reference.or_else(|| {
            let same: Vec<usize> = credits
                .iter()
                .enumerate()
                .filter(|(_, (k, _))| k.amount == c.amount && k.payer_raw == c.payer)
                .map(|(i, _)| i)
                .collect();
            match same.as_slice() {
                [one] => Some(*one),
                _ => None,
            }
        });
        match found {
            Some(i) if c.amount >= credits[i].0.amount => {
                let (gone, _) = credits.remove(i);
                self.statement.corrected += 1;
                if c.amount > gone.amount {
                    self.problem(
                        c.record,
                        format!(
                            "correction (取引区分 19) of {} yen reverses the {} yen credit {} and {} yen more",
                            c.amount,
                            gone.amount,
                            gone.origin,
                            c.amount - gone.amount
                        ),
                    );
                }
            }
            Some(i) => {
                credits[i].0.amount -= c.amount;
                self.statement.corrected += 1;
            }
            None => {
                self.statement.debits_skipped += 1;
                self.problem(
                    c.record,
                    format!(
                        "correction (取引区分 19) taking back {} yen, 照会番号 {}, matches no credit in this file; \
                         if it reverses a credit imported earlier, settle it by hand",
                        c.amount, c.reference
                    ),
                );
            }
        }
    }

    fn read_entry(&self, group: &Group<'_>, no: usize, r: &[u8]) -> Result<Entry, StatementError> {
        use layout::d03;
        let field = |what: &str, e: String| self.err(no, format!("{what}: {e}"));
        let credit = match d03::DIRECTION.of(r) {
            b"1" => true,
            b"2" => false,
            other => return Err(field("入払区分", format!("{:?} is neither 1 nor 2", String::from_utf8_lossy(other)))),
        };
        let kind = digits(d03::KIND.of(r)).map_err(|e| field("取引区分", e))?;
        let payer = text(d03::PAYER.of(r));
        // Cash deposits and interest have no payer: the description is what finance will recognise.
        let payer = if payer.is_empty() { text(d03::DESCRIPTION.of(r)) } else { payer };
        Ok(Entry {
            record: no,
            reference: digits(d03::REFERENCE.of(r)).map_err(|e| field("照会番号", e))?,
            booked: data_date(d03::BOOKED.of(r), group.reference).map_err(|e| field("勘定日", e))?,
            credit,
            correction: kind == CORRECTION,
            amount: number(d03::AMOUNT.of(r)).map_err(|e| field("取引金額", e))?,
            payer,
            payer_code: code(d03::PAYER_CODE.of(r)),
            edi: non_empty(text(d03::EDI.of(r))),
        })
    }

    /// Two transfers with one identity (a bank numbering slip) stay two credits: the
    /// second gets `#2`, which a re-read of the same file reproduces.
    fn disambiguate(&mut self, credits: &mut [Credit]) {
        for i in 1..credits.len() {
            let base = credits[i].id.clone();
            let mut n = 1;
            while credits[..i].iter().any(|c| c.id == credits[i].id) {
                n += 1;
                credits[i].id = format!("{base}#{n}");
            }
            if n > 1 {
                let origin = credits[i].origin.clone();
                self.statement
                    .problems
                    .push(format!("{origin}: a second transfer with the identity {base}; both are kept"));
            }
        }
    }
}

/// The fields a credit takes from a data record.
struct CreditFields {
    reference: String,
    booked: NaiveDate,
    amount: i64,
    payer: String,
    payer_code: Option<String>,
    edi: Option<String>,
}

impl Entry {
    fn fields(&self) -> CreditFields {
        CreditFields {
            reference: self.reference.clone(),
            booked: self.booked,
            amount: self.amount,
            payer: self.payer.clone(),
            payer_code: self.payer_code.clone(),
            edi: self.edi.clone(),
        }
    }
}

/// Format B when every record carries two 12-digit amounts at 129-152 and a filled-in
/// 金額 at 20-29 agrees with 金額(2) (see the module notes).
fn is_format_b(data: &[(usize, &[u8])]) -> bool {
    use layout::d01;
    !data.is_empty()
        && data.iter().all(|(_, r)| {
            let b_digits = d01::AMOUNTS_B.of(r).iter().all(u8::is_ascii_digit);
            let a = number(d01::AMOUNT.of(r)).unwrap_or(0);
            b_digits && (a == 0 || Ok(a) == number(d01::AMOUNT_B.of(r)))
        })
}

/// A text field: Shift_JIS (half-width kana), `\` read as ¥, padding trimmed.
fn text(field: &[u8]) -> String {
    let (decoded, _, _) = SHIFT_JIS.decode(field);
    yen_for_backslash(decoded.trim_matches([' ', '\u{3000}', '\0']))
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// 振込依頼人コード: absent when blank or all zeros.
fn code(field: &[u8]) -> Option<String> {
    let s = text(field);
    (!s.is_empty() && !s.bytes().all(|b| b == b'0')).then_some(s)
}

/// A numeric field as written (leading zeros kept, for identities); leading spaces are
/// tolerated, anything else that is not a digit is not.
fn digits(field: &[u8]) -> Result<String, String> {
    let s = String::from_utf8_lossy(field);
    let t = s.trim_start_matches(' ');
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a number"));
    }
    Ok(t.to_string())
}

fn number(field: &[u8]) -> Result<i64, String> {
    let d = digits(field)?;
    d.parse::<i64>().map_err(|_| format!("{d} is too large"))
}

/// A trailer figure; a blank field (a bank leaving 取消件数 empty) is 0, which the
/// records must then agree with like any other figure.
fn trailer_number(field: &[u8]) -> Result<i64, String> {
    if field.iter().all(|&b| b == b' ') {
        return Ok(0);
    }
    number(field)
}

/// A balance with its 貸越区分: 2 means an overdraft (negative), 1 or blank positive.
fn signed(overdraft: &[u8], field: &[u8]) -> Result<i64, String> {
    if field.iter().all(|&b| b == b' ') {
        return Ok(0);
    }
    let n = number(field)?;
    Ok(if overdraft == b"2" { -n } else { n })
}

fn yymmdd(field: &[u8]) -> Result<(u32, u32, u32), String> {
    let d = digits(field)?;
    let n: u32 = d.parse().map_err(|_| format!("{d} is not a date"))?;
    if d.len() != 6 {
        return Err(format!("{d} is not an era date YYMMDD"));
    }
    Ok((n / 10000, n / 100 % 100, n % 100))
}

/// The header's 作成日: 令和 unless that is more than a year ahead of today, then 平成.
fn header_date(field: &[u8], today: NaiveDate) -> Result<NaiveDate, String> {
    let (y, m, d) = yymmdd(field)?;
    let limit = today.checked_add_months(Months::new(12)).unwrap_or(today);
    REIWA
        .date(y, m, d)
        .filter(|r| *r <= limit)
        .or_else(|| HEISEI.date(y, m, d))
        .ok_or_else(|| format!("{y:02}{m:02}{d:02} is neither a 令和 date up to {limit} nor a 平成 date"))
}

/// A data date: of the 令和 and 平成 readings, the one nearer the header's date (令和 on a tie).
fn data_date(field: &[u8], reference: NaiveDate) -> Result<NaiveDate, String> {
    let (y, m, d) = yymmdd(field)?;
    let distance = |date: NaiveDate| (date - reference).abs();
    match (REIWA.date(y, m, d), HEISEI.date(y, m, d)) {
        (Some(r), Some(h)) if distance(h) < distance(r) => Ok(h),
        (Some(r), _) => Ok(r),
        (None, Some(h)) => Ok(h),
        (None, None) => Err(format!("{y:02}{m:02}{d:02} is neither a 令和 nor a 平成 date")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::testutil::{file, sjis, Rec};

    const FILE: &str = "transfers/nyukin.txt";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2026, 11, 21)
    }

    /// 振込入金通知 header for account `account` at bank 0009 branch 123.
    fn h01(account: u64, created: &str) -> Vec<u8> {
        Rec::new(b'1')
            .raw(2, "01")
            .raw(4, "0")
            .raw(5, created)
            .raw(11, created)
            .raw(17, created)
            .raw(23, "0009")
            .text(27, 15, "ﾐﾂｲｽﾐﾄﾓ")
            .raw(42, "123")
            .text(45, 15, "ﾎﾝﾃﾝ")
            .raw(60, "1")
            .num(61, 7, account)
            .text(68, 40, "ﾆﾎﾝﾆﾝｼﾖｳ(ｶ")
            .done()
    }

    /// One 振込入金通知 transfer.
    struct N {
        reference: u64,
        booked: &'static str,
        amount: u64,
        code: u64,
        payer: Vec<u8>,
        cancel: bool,
        edi: &'static str,
    }

    fn n(reference: u64, booked: &'static str, amount: u64, payer: &str) -> N {
        N { reference, booked, amount, code: 0, payer: sjis(payer), cancel: false, edi: "" }
    }

    fn d01a(x: &N) -> Vec<u8> {
        Rec::new(b'2')
            .num(2, 6, x.reference)
            .raw(8, x.booked)
            .raw(14, x.booked)
            .num(20, 10, x.amount)
            .num(30, 10, 0)
            .num(40, 10, x.code)
            .bytes(50, 48, &x.payer)
            .text(98, 15, "ﾐｽﾞﾎ")
            .text(113, 15, "ｼﾌﾞﾔ")
            .raw(128, if x.cancel { "1" } else { "0" })
            .text(129, 20, x.edi)
            .done()
    }

    /// Format B: 金額 at 20-29 as `legacy` (0 when it does not fit), 金額(2) at 129-140.
    fn d01b(x: &N, legacy: u64) -> Vec<u8> {
        Rec::new(b'2')
            .num(2, 6, x.reference)
            .raw(8, x.booked)
            .raw(14, x.booked)
            .num(20, 10, legacy)
            .num(30, 10, 0)
            .num(40, 10, x.code)
            .bytes(50, 48, &x.payer)
            .raw(128, if x.cancel { "1" } else { "0" })
            .num(129, 12, x.amount)
            .num(141, 12, 0)
            .text(153, 20, x.edi)
            .done()
    }

    fn t01(count: u64, total: u64, cancel_count: u64, cancel_total: u64) -> Vec<u8> {
        Rec::new(b'8').num(2, 6, count).num(8, 12, total).num(20, 6, cancel_count).num(26, 12, cancel_total).done()
    }

    fn t01_for(notices: &[&N]) -> Vec<u8> {
        let cancels: Vec<&&N> = notices.iter().filter(|x| x.cancel).collect();
        t01(
            notices.len() as u64,
            notices.iter().map(|x| x.amount).sum(),
            cancels.len() as u64,
            cancels.iter().map(|x| x.amount).sum(),
        )
    }

    fn end() -> Vec<u8> {
        Rec::new(b'9').done()
    }

    fn h03(account: u64, created: &str, opening: u64) -> Vec<u8> {
        Rec::new(b'1')
            .raw(2, "03")
            .raw(4, "0")
            .raw(5, created)
            .raw(11, created)
            .raw(17, created)
            .raw(23, "0005")
            .text(27, 15, "ﾐﾂﾋﾞｼUFJ")
            .raw(42, "456")
            .text(45, 15, "ｼﾝｼﾞﾕｸ")
            .raw(60, "000")
            .raw(63, "1")
            .num(64, 10, account)
            .text(74, 40, "ﾆﾎﾝﾆﾝｼﾖｳ(ｶ")
            .raw(114, "1")
            .raw(115, "1")
            .num(116, 14, opening)
            .done()
    }

    /// One 入出金取引明細 entry.
    struct E {
        reference: u64,
        booked: &'static str,
        credit: bool,
        kind: &'static str,
        amount: u64,
        payer: &'static str,
        description: &'static str,
    }

    fn e(reference: u64, credit: bool, kind: &'static str, amount: u64, payer: &'static str) -> E {
        E { reference, booked: "081120", credit, kind, amount, payer, description: "" }
    }

    fn d03(x: &E) -> Vec<u8> {
        Rec::new(b'2')
            .num(2, 8, x.reference)
            .raw(10, x.booked)
            .raw(16, x.booked)
            .raw(22, if x.credit { "1" } else { "2" })
            .raw(23, x.kind)
            .num(25, 12, x.amount)
            .num(37, 12, 0)
            .num(72, 10, 0)
            .text(82, 48, x.payer)
            .text(160, 20, x.description)
            .done()
    }

    fn t03_for(entries: &[&E], opening: u64) -> Vec<u8> {
        let sum = |credit: bool| entries.iter().filter(|x| x.credit == credit).map(|x| x.amount).sum::<u64>();
        let count = |credit: bool| entries.iter().filter(|x| x.credit == credit).count() as u64;
        Rec::new(b'8')
            .num(2, 6, count(true))
            .num(8, 13, sum(true))
            .num(21, 6, count(false))
            .num(27, 13, sum(false))
            .raw(40, "1")
            .num(41, 14, opening + sum(true) - sum(false))
            .num(55, 7, entries.len() as u64)
            .done()
    }

    /// A 振込入金通知 of three transfers: a company, a person with a number before the
    /// name, and a name holding byte 0x5C (¥).
    fn notice_a() -> Vec<Vec<u8>> {
        let mut company = n(1, "081120", 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        company.code = 1_234_567_890;
        company.edi = "INV20261101";
        let person = n(2, "081120", 22_000, "1234567 ﾔﾏﾀﾞ ﾀﾛｳ");
        let mut yen = n(3, "081120", 33_000, "");
        yen.payer = [sjis("ﾀﾅｶ"), vec![0x5C], sjis("ﾊﾅｺ")].concat();
        vec![
            h01(1_234_567, "081120"),
            d01a(&company),
            d01a(&person),
            d01a(&yen),
            t01_for(&[&company, &person, &yen]),
            end(),
        ]
    }

    #[test]
    fn notice_format_a_with_every_line_break() {
        let records = notice_a();
        let mut eof = file(&records, b"");
        eof.push(EOF_MARK);
        let mut crlf_eof = file(&records, b"\r\n");
        crlf_eof.push(EOF_MARK);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("CR LF", file(&records, b"\r\n")),
            ("LF only", file(&records, b"\n")),
            ("no line breaks", file(&records, b"")),
            ("no line breaks, EOF byte", eof),
            ("CR LF, EOF byte", crlf_eof),
            ("CR LF, last line without break", file(&records, b"\r\n")[..records.len() * 202 - 2].to_vec()),
        ];
        for (case, bytes) in cases {
            assert!(looks_like_zengin(&bytes), "{case}: recognised");
            let s = parse_zengin_at(&bytes, FILE, today()).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(s.format, "zengin-01", "{case}");
            assert!(s.problems.is_empty(), "{case}: {:?}", s.problems);
            let got: Vec<(&str, i64, NaiveDate)> =
                s.credits.iter().map(|c| (c.payer_raw.as_str(), c.amount, c.date)).collect();
            assert_eq!(
                got,
                vec![
                    ("ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ", 11_000, d(2026, 11, 20)),
                    ("1234567 ﾔﾏﾀﾞ ﾀﾛｳ", 22_000, d(2026, 11, 20)),
                    ("ﾀﾅｶ¥ﾊﾅｺ", 33_000, d(2026, 11, 20)),
                ],
                "{case}"
            );
            let first = &s.credits[0];
            assert_eq!(first.id, "zengin-01|0009-123-1-1234567|2026-11-20|000001", "{case}");
            assert_eq!(first.account, "0009-123-1-1234567", "{case}");
            assert_eq!(first.source_format, "zengin-01", "{case}");
            assert_eq!(first.payer_code.as_deref(), Some("1234567890"), "{case}");
            assert_eq!(first.edi.as_deref(), Some("INV20261101"), "{case}");
            assert_eq!(first.origin, "transfers/nyukin.txt:record 2", "{case}");
            assert_eq!(s.credits[1].payer_code, None, "{case}: zeros are no payer code");
            assert_eq!(s.credits[1].edi, None, "{case}");
        }
    }

    #[test]
    fn notice_format_b_is_told_by_its_layout() {
        let mut big = n(7, "081120", 12_345_678_901, "ｶ)ｵｵｶﾞﾈﾓﾁ");
        big.edi = "EDI-B-7";
        let small = n(8, "081120", 5_500, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let records =
            vec![h01(7_654_321, "081120"), d01b(&big, 0), d01b(&small, 5_500), t01_for(&[&big, &small]), end()];
        for (case, sep) in [("CR LF", &b"\r\n"[..]), ("no breaks", &b""[..])] {
            let s = parse_zengin_at(&file(&records, sep), FILE, today()).unwrap_or_else(|e| panic!("{case}: {e}"));
            let got: Vec<(i64, Option<&str>)> = s.credits.iter().map(|c| (c.amount, c.edi.as_deref())).collect();
            assert_eq!(got, vec![(12_345_678_901, Some("EDI-B-7")), (5_500, None)], "{case}");
        }
    }

    #[test]
    fn format_a_with_a_numeric_edi_stays_a() {
        let mut x = n(9, "081120", 8_800, "ﾔﾏﾀﾞ ﾀﾛｳ");
        x.edi = "00000000000000012345";
        let records = vec![h01(1, "081120"), d01a(&x), t01_for(&[&x]), end()];
        let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        assert_eq!(s.credits[0].amount, 8_800);
        assert_eq!(s.credits[0].edi.as_deref(), Some("00000000000000012345"));
    }

    #[test]
    fn cancellation_removes_the_transfer_it_cancels() {
        let kept = n(1, "081120", 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let wrong = n(2, "081120", 22_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        let mut cancel = n(2, "081120", 22_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        cancel.cancel = true;
        let mut orphan = n(5, "081119", 4_400, "ｽｽﾞｷ ｲﾁﾛｳ");
        orphan.cancel = true;
        let all = [&kept, &wrong, &cancel, &orphan];
        let body = [d01a(&kept), d01a(&wrong), d01a(&cancel), d01a(&orphan)];
        let cases = [
            ("trailer totals include cancel records", t01_for(&all)),
            ("trailer totals exclude cancel records", t01(2, 33_000, 2, 26_400)),
        ];
        for (case, trailer) in cases {
            let mut records = vec![h01(1, "081120")];
            records.extend(body.iter().cloned());
            records.extend([trailer, end()]);
            let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap_or_else(|e| panic!("{case}: {e}"));
            let ids: Vec<&str> = s.credits.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(ids, vec!["zengin-01|0009-123-1-0000001|2026-11-20|000001"], "{case}");
            assert_eq!(s.cancelled, 1, "{case}");
            assert_eq!(s.problems.len(), 1, "{case}: {:?}", s.problems);
            assert!(
                s.problems[0].starts_with("transfers/nyukin.txt:record 5: cancellation of 照会番号 000005"),
                "{case}: {}",
                s.problems[0]
            );
        }
    }

    #[test]
    fn trailer_mismatch_refuses_the_whole_file() {
        let a = n(1, "081120", 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let b = n(2, "081120", 22_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        let good = t01_for(&[&a, &b]);
        let e1 = e(1, true, "11", 5_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let mut t03_bad = t03_for(&[&e1], 100);
        t03_bad[7..20].copy_from_slice(b"0000000005001");
        // (case, records, the refusal: trailer record, field, trailer's figure, records' figure)
        type Refusal = (usize, &'static str, i64, i64);
        let cases: Vec<(&str, Vec<Vec<u8>>, Refusal)> = vec![
            (
                "合計件数",
                vec![h01(1, "081120"), d01a(&a), d01a(&b), t01(3, 33_000, 0, 0), end()],
                (4, "合計件数", 3, 2),
            ),
            (
                "合計金額",
                vec![h01(1, "081120"), d01a(&a), d01a(&b), t01(2, 33_001, 0, 0), end()],
                (4, "合計金額", 33_001, 33_000),
            ),
            (
                "取消件数",
                vec![h01(1, "081120"), d01a(&a), d01a(&b), t01(2, 33_000, 1, 0), end()],
                (4, "取消件数", 1, 0),
            ),
            (
                "second group wrong, first fine",
                vec![h01(1, "081120"), d01a(&a), t01_for(&[&a]), h01(2, "081120"), d01a(&b), good.clone(), end()],
                (6, "合計件数", 2, 1),
            ),
            ("03 入金額合計", vec![h03(1, "081120", 100), d03(&e1), t03_bad, end()], (3, "入金額合計", 5_001, 5_000)),
        ];
        for (case, records, (record, what, expected, found)) in cases {
            let err = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap_err();
            match &err {
                StatementError::Trailer { record: r, what: w, expected: x, found: f, file, .. } => {
                    assert_eq!((*r, w.as_str(), *x, *f), (record, what, expected, found), "{case}");
                    assert_eq!(file, FILE, "{case}");
                }
                other => panic!("{case}: {other}"),
            }
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("{FILE}: record {record}: the trailer of group")),
                "{case}: {message}"
            );
            assert!(message.contains("the whole file is refused"), "{case}: {message}");
        }
    }

    #[test]
    fn blank_cancel_figures_in_the_trailer_read_as_zero() {
        let x = n(1, "081120", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let trailer = Rec::new(b'8').num(2, 6, 1).num(8, 12, 1_000).done();
        let records = vec![h01(1, "081120"), d01a(&x), trailer, end()];
        let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        assert_eq!(s.credits.len(), 1);
    }

    #[test]
    fn two_accounts_in_one_file() {
        let a = n(1, "081120", 11_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let b = n(1, "081120", 22_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        let records = vec![
            h01(1_111_111, "081120"),
            d01a(&a),
            t01_for(&[&a]),
            h01(2_222_222, "081120"),
            d01a(&b),
            t01_for(&[&b]),
            end(),
        ];
        let s = parse_zengin_at(&file(&records, b"\n"), FILE, today()).unwrap();
        let got: Vec<(&str, &str, &str)> =
            s.credits.iter().map(|c| (c.account.as_str(), c.id.as_str(), c.origin.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    "0009-123-1-1111111",
                    "zengin-01|0009-123-1-1111111|2026-11-20|000001",
                    "transfers/nyukin.txt:record 2"
                ),
                (
                    "0009-123-1-2222222",
                    "zengin-01|0009-123-1-2222222|2026-11-20|000001",
                    "transfers/nyukin.txt:record 5"
                ),
            ]
        );
    }

    #[test]
    fn statement_03_keeps_credits_and_applies_corrections() {
        let transfer = e(101, true, "11", 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ");
        let mut cash = e(102, true, "10", 5_000, "");
        cash.description = "ｹﾞﾝｷﾝ";
        let fee = e(103, false, "18", 440, "");
        let withdrawal = e(104, false, "11", 50_000, "ｶ)ﾃﾞﾝﾘﾖｸ");
        let wrong = e(105, true, "11", 33_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let reversal = e(105, false, "19", 33_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let partly = e(106, true, "11", 10_000, "ｽｽﾞｷ ﾊﾅｺ");
        let reduce = e(106, false, "19", 1_000, "ｽｽﾞｷ ﾊﾅｺ");
        let short = e(107, true, "11", 9_000, "ﾀﾅｶ ｼﾞﾛｳ");
        let top_up = e(107, true, "19", 1_000, "ﾀﾅｶ ｼﾞﾛｳ");
        let unknown = e(999, false, "19", 7_000, "ｻﾄｳ ｹﾝ");
        let mut by_name = e(108, true, "11", 6_000, "ｲﾄｳ ｱｷﾗ");
        by_name.booked = "081119";
        let by_name_reversal = e(208, false, "19", 6_000, "ｲﾄｳ ｱｷﾗ");
        let all = [
            &transfer,
            &cash,
            &fee,
            &withdrawal,
            &wrong,
            &reversal,
            &partly,
            &reduce,
            &short,
            &top_up,
            &unknown,
            &by_name,
            &by_name_reversal,
        ];
        let mut records = vec![h03(9_876_543, "081120", 1_000_000)];
        records.extend(all.iter().map(|x| d03(x)));
        records.extend([t03_for(&all, 1_000_000), end()]);
        let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        assert_eq!(s.format, "zengin-03");
        let got: Vec<(&str, i64, &str)> =
            s.credits.iter().map(|c| (c.id.as_str(), c.amount, c.payer_raw.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("zengin-03|0005-456-1-9876543|2026-11-20|00000101", 11_000, "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"),
                ("zengin-03|0005-456-1-9876543|2026-11-20|00000102", 5_000, "ｹﾞﾝｷﾝ"),
                ("zengin-03|0005-456-1-9876543|2026-11-20|00000106", 9_000, "ｽｽﾞｷ ﾊﾅｺ"),
                ("zengin-03|0005-456-1-9876543|2026-11-20|00000107", 10_000, "ﾀﾅｶ ｼﾞﾛｳ"),
            ]
        );
        assert_eq!(s.corrected, 4, "reversal by 照会番号, reduction, top-up, reversal by amount and name");
        assert_eq!(s.debits_skipped, 3, "fee, withdrawal and the correction with no original");
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert!(
            s.problems[0].starts_with("transfers/nyukin.txt:record 12: correction (取引区分 19) taking back 7000 yen")
        );
    }

    #[test]
    fn closing_balance_difference_is_reported_not_refused() {
        let x = e(1, true, "11", 5_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let mut trailer = t03_for(&[&x], 100);
        trailer[40..54].copy_from_slice(b"00000000009999");
        let records = vec![h03(1, "081120", 100), d03(&x), trailer, end()];
        let s = parse_zengin_at(&file(&records, b""), FILE, today()).unwrap();
        assert_eq!(s.credits.len(), 1);
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].contains("closing balance is 9999 yen"), "{}", s.problems[0]);
    }

    #[test]
    fn era_dates_are_read_against_the_header() {
        // (case, header 作成日, data 勘定日, today, expected 勘定日)
        let cases = [
            ("令和 file", "081120", "081119", today(), d(2026, 11, 19)),
            ("令和 gannen", "010501", "010501", today(), d(2019, 5, 1)),
            ("平成 file (H28 as 令和 would be 2046)", "280503", "280502", today(), d(2016, 5, 2)),
            ("平成 last day", "310430", "310430", today(), d(2019, 4, 30)),
            ("file made in 令和 holding a 平成 transfer", "010510", "310426", today(), d(2019, 4, 26)),
            ("file made in 令和 holding a 令和 transfer", "010510", "010507", today(), d(2019, 5, 7)),
            ("令和 date a day after the header stays 令和", "081120", "081121", today(), d(2026, 11, 21)),
            ("R09 is 令和 within a year of today", "090301", "090301", today(), d(2027, 3, 1)),
            ("R09 is 平成 when today is 2019", "090301", "090301", d(2019, 6, 1), d(1997, 3, 1)),
        ];
        for (case, created, booked, today, want) in cases {
            let x = n(1, booked, 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
            let records = vec![h01(1, created), d01a(&x), t01_for(&[&x]), end()];
            let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(s.credits[0].date, want, "{case}");
        }
        let bad = n(1, "011301", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let records = vec![h01(1, "081120"), d01a(&bad), t01_for(&[&bad]), end()];
        let err = parse_zengin_at(&file(&records, b""), FILE, today()).unwrap_err().to_string();
        assert!(err.contains("record 2: 勘定日: 011301 is neither a 令和 nor a 平成 date"), "{err}");
    }

    #[test]
    fn rereading_the_same_file_gives_the_same_ids() {
        let records = notice_a();
        let first = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        let again = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        let no_breaks = parse_zengin_at(&file(&records, b""), FILE, today()).unwrap();
        let ids = |s: &Statement| s.credits.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&first), ids(&again));
        assert_eq!(ids(&first), ids(&no_breaks), "line breaks do not change identity");
        let mut unique = ids(&first);
        unique.dedup();
        assert_eq!(unique.len(), 3);
    }

    #[test]
    fn ebcdic_is_refused_with_a_message() {
        let mut flagged = h01(1, "081120");
        flagged[3] = b'1';
        let x = n(1, "081120", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let mut real = vec![0x40; 200];
        real[..4].copy_from_slice(&[0xF1, 0xF0, 0xF1, 0xF1]);
        let cases = [
            ("コード区分 1", file(&[flagged, d01a(&x), t01_for(&[&x]), end()], b"\r\n")),
            ("EBCDIC bytes", file(&[real.clone(), real], b"")),
        ];
        for (case, bytes) in cases {
            assert!(looks_like_zengin(&bytes), "{case}");
            let err = parse_zengin_at(&bytes, FILE, today()).unwrap_err();
            assert_eq!(err, StatementError::Ebcdic { file: FILE.into() }, "{case}");
            assert!(err.to_string().contains("EBCDIC"), "{case}");
        }
    }

    #[test]
    fn malformed_files_are_refused_naming_the_record() {
        let x = n(1, "081120", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let mut bad_amount = d01a(&x);
        bad_amount[22] = b'X';
        let mut kind21 = h01(1, "081120");
        kind21[1..3].copy_from_slice(b"21");
        let short = d01a(&x)[..199].to_vec();
        let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
            ("199-byte record", vec![h01(1, "081120"), short, t01_for(&[&x]), end()], "record 2: line 2 is 199 bytes"),
            ("no end record", vec![h01(1, "081120"), d01a(&x), t01_for(&[&x])], "record 3: the file has no end record"),
            (
                "no trailer",
                vec![h01(1, "081120"), d01a(&x), end()],
                "record 3: the end record comes before the trailer",
            ),
            ("data outside a group", vec![d01a(&x), end()], "record 1: a data record (2) outside"),
            ("letters in an amount", vec![h01(1, "081120"), bad_amount, t01_for(&[&x]), end()], "record 2: 金額:"),
            ("not a statement kind", vec![kind21, end()], "record 1: 種別コード 21 is not a statement"),
            (
                "record after the end",
                vec![h01(1, "081120"), d01a(&x), t01_for(&[&x]), end(), end()],
                "record 5: a record follows",
            ),
        ];
        for (case, records, want) in cases {
            let err = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{FILE}: {want}")), "{case}: {err}");
            assert!(err.ends_with("the whole file is refused"), "{case}: {err}");
        }
    }

    #[test]
    fn equal_identities_in_one_group_stay_two_credits() {
        let a = n(4, "081120", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let b = n(4, "081120", 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ");
        let records = vec![h01(1, "081120"), d01a(&a), d01a(&b), t01_for(&[&a, &b]), end()];
        let s = parse_zengin_at(&file(&records, b"\r\n"), FILE, today()).unwrap();
        let ids: Vec<&str> = s.credits.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["zengin-01|0009-123-1-0000001|2026-11-20|000004", "zengin-01|0009-123-1-0000001|2026-11-20|000004#2"]
        );
        assert_eq!(s.problems.len(), 1);
    }
}
