//! Payments: bank credits matched to the fees applications owe.

pub mod fees;
pub mod model;
