//! Builders shared by the unit tests.

use crate::finding::Location;
use crate::pipelines::Pipelines;
use crate::record::Application;
use chrono::NaiveDate;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a valid test date")
}

pub fn pipelines() -> Pipelines {
    crate::pipelines::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines"))
        .expect("shipped rules load")
}

/// A clean G-ID basic application received on 2026-11-19.
pub fn application(id: &str) -> Application {
    Application {
        id: id.into(),
        envelope_id: "E1".into(),
        product: "gid-download".into(),
        cert_type: "basic".into(),
        term: "2y".into(),
        applied_on: d(2026, 11, 10),
        received_on: d(2026, 11, 19),
        name_kanji: "山田太郎".into(),
        name_kana: "ヤマダ タロウ".into(),
        name_romaji: "YAMADA TARO".into(),
        former_name: None,
        birth_date: d(1980, 1, 1),
        postal_code: "100-0001".into(),
        address: "東京都千代田区千代田1-1".into(),
        email: "taro@example.jp".into(),
        phone: None,
        corporate_number: None,
        org_name: None,
        org_kana: None,
        org_representative: None,
        org_address: None,
        delegation: None,
        proxy_name: None,
        proxy_postal_code: None,
        proxy_address: None,
        payer_name: None,
        renewal_of: None,
        card_readers: 0,
        domains: vec![],
        csr_file: None,
        source: Location::file("applications.csv"),
    }
}

/// A run as the ledger records it, for tests that write to a ledger directly.
pub fn run_write(batch: &str) -> crate::ledger::RunWrite {
    crate::ledger::RunWrite {
        batch: batch.into(),
        moment: "2026-11-19T09:00:00+09:00".into(),
        command: "run".into(),
        as_of: d(2026, 11, 19),
        started_at: "t".into(),
        finished_at: "t".into(),
        rows_read: 1,
        applications: 1,
        documents: 0,
        scans: 0,
        summary: "{}".into(),
    }
}

/// Records accepted applications `ids` (clean G-ID) in batch `b`.
pub fn record_accepted(ledger: &mut crate::ledger::Ledger, ids: &[&str]) {
    let writes: Vec<_> = ids
        .iter()
        .map(|id| {
            let a = application(id);
            crate::ledger::ApplicationWrite {
                corrects: false,
                content_hash: a.content_hash(),
                application: a,
                batch: "b".into(),
                status: crate::status::Status::Accepted,
                reasons: String::new(),
                first_notice_on: None,
            }
        })
        .collect();
    ledger.record(&run_write("b"), &writes, &[], &[]).expect("the applications are recorded");
}
