//! What an application owes, from its product's fee table in force on the form's date.
//!
//! Tax: tables say whether their prices include consumption tax; excluded tax is added at
//! the table's rate and rounded down to the yen (the usual 切り捨て). AOSign prices depend
//! on the company's card count: cards bought now plus valid cards it already holds (seed
//! 003); the ladder's last step applies to "or more". Card readers are added at the
//! table's `extras.card_reader` price.

use crate::product::{Price, Product, TaxMode};
use crate::record::Application;
use chrono::{Datelike, NaiveDate};

/// A fee, in yen, tax included in `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fee {
    /// The certificate's price as the table lists it.
    pub price: i64,
    /// Consumption tax added to a tax-excluded price (0 when the table includes tax).
    pub tax: i64,
    /// Card readers and other extras, as listed.
    pub extras: i64,
    pub total: i64,
}

/// Why no fee could be computed (a rule file gap, reported, never guessed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeError(pub String);

/// The fee of `app`; `company_cards` = valid cards the company holds plus those bought now
/// (this one included), used only by volume ladders.
pub fn fee_for(app: &Application, product: &Product, company_cards: u32) -> Result<Fee, FeeError> {
    let table = product
        .fees_on(app.applied_on)
        .ok_or_else(|| FeeError(format!("{}: no fee table in force on {}", product.id, app.applied_on)))?;
    let group = &product
        .cert_types
        .get(&app.cert_type)
        .ok_or_else(|| FeeError(format!("{}: unknown certificate type {}", product.id, app.cert_type)))?
        .fee_group;
    let price = match table.prices.get(group).and_then(|p| p.get(&app.term)) {
        Some(Price::Flat(p)) => i64::from(*p),
        Some(Price::Volume(ladder)) => {
            let step = (company_cards.max(1) as usize).min(ladder.len()) - 1;
            i64::from(ladder[step])
        }
        None => {
            return Err(FeeError(format!(
                "{}: no price for {group} {} from {}",
                product.id, app.term, table.effective_from
            )))
        }
    };
    let tax = match table.tax {
        TaxMode::Included => 0,
        TaxMode::Excluded => price * i64::from(table.tax_rate_percent) / 100,
    };
    let reader = table.extras.get("card_reader").copied().map_or(0, i64::from);
    let extras = reader * i64::from(app.card_readers);
    Ok(Fee { price, tax, extras, total: price + tax + extras })
}

/// When an invoice issued on `issued` falls due: N days after issue (AOSign, 50) or the
/// last day of the month after issue (Web, CECSIGN).
pub fn invoice_due(rule: crate::product::DueRule, issued: NaiveDate) -> NaiveDate {
    match rule {
        crate::product::DueRule::DaysAfterIssue(days) => issued + chrono::Days::new(u64::from(days)),
        crate::product::DueRule::EndOfNextMonth => {
            let first_of_next = NaiveDate::from_ymd_opt(issued.year(), issued.month(), 1)
                .expect("day 1 exists")
                .checked_add_months(chrono::Months::new(2))
                .expect("within range");
            first_of_next - chrono::Days::new(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::DueRule;
    use crate::testkit::{application, d, pipelines};

    fn app(product: &str, cert_type: &str, term: &str, applied: NaiveDate) -> Application {
        let mut a = application("A1");
        a.product = product.into();
        a.cert_type = cert_type.into();
        a.term = term.into();
        a.applied_on = applied;
        a
    }

    #[test]
    fn gid_prices_follow_the_table_in_force_on_the_form_date_with_tax() {
        let p = pipelines();
        let cases: &[(&str, &str, &str, &str, NaiveDate, i64)] = &[
            ("2025 download 2y", "gid-download", "basic", "2y", d(2025, 7, 1), 19_250),
            ("2025 download 3y", "gid-download", "individual", "3y", d(2026, 11, 1), 28_875),
            ("2025 delegation 2y", "gid-download", "org_employee_delegation", "2y", d(2026, 11, 1), 26_400),
            ("2025 delegation 3y", "gid-download", "org_employee_delegation", "3y", d(2026, 11, 1), 30_800),
            ("2025 media 2y", "gid-media", "basic", "2y", d(2026, 11, 1), 22_550),
            ("2025 media delegation 3y", "gid-media", "org_employee_delegation", "3y", d(2026, 11, 1), 32_780),
            ("2022 guide download 2y (15,400 with tax)", "gid-download", "basic", "2y", d(2025, 6, 11), 15_400),
            ("2022 guide download 3y (23,100 with tax)", "gid-download", "basic", "3y", d(2024, 1, 1), 23_100),
            ("2022 guide media 2y (18,040 with tax)", "gid-media", "basic", "2y", d(2024, 1, 1), 18_040),
        ];
        for (name, product, ct, term, applied, want) in cases {
            let prod = p.product(product).unwrap();
            assert_eq!(fee_for(&app(product, ct, term, *applied), prod, 1).unwrap().total, *want, "{name}");
        }
    }

    #[test]
    fn aosign_volume_pricing_gives_the_seed_examples() {
        let p = pipelines();
        let ao = p.product("aosign-g2").unwrap();
        // Two 5-year cards bought together: 63,250 each, 126,500 in all.
        let five = app("aosign-g2", "employee", "5y", d(2026, 11, 1));
        assert_eq!(fee_for(&five, ao, 2).unwrap().total * 2, 126_500);
        // A company holding 2 valid cards buys two 3y+30d cards: count 4, 37,950 each.
        let three = app("aosign-g2", "employee", "3y+30d", d(2026, 11, 1));
        assert_eq!(fee_for(&three, ao, 4).unwrap().total * 2, 75_900);
        // "or more": the last step.
        assert_eq!(fee_for(&five, ao, 40).unwrap().total, 57_750);
        assert_eq!(fee_for(&app("aosign-g2", "employee", "1y+30d", d(2026, 11, 1)), ao, 10).unwrap().total, 11_550);
        // A card reader is added to the same invoice.
        let mut with_reader = five.clone();
        with_reader.card_readers = 1;
        assert_eq!(fee_for(&with_reader, ao, 1).unwrap(), Fee { price: 66_000, tax: 0, extras: 9_900, total: 75_900 });
    }

    #[test]
    fn invoices_fall_due_by_the_product_rule() {
        let cases = [
            ("aosign 50 days", DueRule::DaysAfterIssue(50), d(2026, 11, 21), d(2027, 1, 10)),
            ("web end of next month", DueRule::EndOfNextMonth, d(2026, 11, 21), d(2026, 12, 31)),
            ("web from january", DueRule::EndOfNextMonth, d(2027, 1, 31), d(2027, 2, 28)),
            ("web from december", DueRule::EndOfNextMonth, d(2026, 12, 1), d(2027, 1, 31)),
        ];
        for (name, rule, issued, want) in cases {
            assert_eq!(invoice_due(rule, issued), want, "{name}");
        }
    }

    #[test]
    fn a_missing_price_is_an_error_not_a_guess() {
        let p = pipelines();
        let err = fee_for(&app("gid-download", "basic", "2y", d(2020, 1, 1)), p.product("gid-download").unwrap(), 1)
            .unwrap_err();
        assert!(err.0.contains("no fee table in force"), "{err:?}");
    }
}
