//! Letters: the PIN and download-password letters, mail-merged into print-ready PDFs.

pub mod letter_pdf;
pub mod routing;
pub mod templates;
pub mod writer;
