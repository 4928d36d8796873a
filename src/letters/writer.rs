//! Writes the secret letters of issued certificates: one PDF per letter (0600), a print
//! file per letter kind sorted by postal code (0600), and a manifest for the mailroom that
//! holds no secret.
//!
//! Names print exactly as registered (本人限定受取郵便 is refused when the envelope name
//! differs from the photo ID), so every character is checked against the font first; a
//! letter that would lose one goes to `letters/queue/` for staff instead of the print file.

use super::letter_pdf::{self, Font, Letter};
use super::routing::{plan, post_name, PlannedLetter};
use super::templates::{fill, Templates};
use crate::issue::secrets::{DownloadPassword, Pin};
use crate::product::Product;
use crate::record::Application;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Letters per print file part.
pub const PRINT_PART_LETTERS: usize = 1_000;

/// Where the bundled font lives, under `--pipelines`.
pub const FONT: &str = "letters/fonts/ipaexg.ttf";

/// The certificate facts a letter quotes.
#[derive(Debug, Clone)]
pub struct CertFacts {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub download_expires: Option<String>,
}

/// One letter written for one certificate.
#[derive(Debug, Clone)]
pub struct WrittenLetter {
    pub application_id: String,
    pub kind: &'static str,
    pub post: &'static str,
    pub addressee: String,
    pub postal_code: String,
    pub file: PathBuf,
    pub pages: usize,
    /// Characters the font lacks: the letter went to the staff queue.
    pub missing: Vec<char>,
}

/// A letter with its page, kept in memory until the print files are made.
pub struct Prepared {
    pub written: WrittenLetter,
    pub page: Letter,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("written", &self.written).field("page", &"[holds a secret]").finish()
    }
}

/// Templates and font, loaded and checked once per run.
pub struct LetterWriter {
    templates: Templates,
    font: Font,
    layout: letter_pdf::Layout,
    ca_name: String,
}

impl LetterWriter {
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    pub fn font(&self) -> &Font {
        &self.font
    }

    pub fn ca_name(&self) -> &str {
        &self.ca_name
    }

    /// Renders pages with this writer's font and layout.
    pub fn render(&self, pages: &[Letter]) -> Result<Vec<u8>> {
        letter_pdf::render_with(pages, &self.font, &self.layout)
    }

    pub fn load(pipelines_dir: &Path, products: impl Iterator<Item = String>, ca_name: String) -> Result<LetterWriter> {
        let templates = Templates::load_dir(&pipelines_dir.join("letters"), products)?;
        let layout = letter_pdf::Layout::load(&pipelines_dir.join("letters/layout.toml"))?;
        let font = Font::load(&pipelines_dir.join(FONT))
            .with_context(|| format!("cannot load the letter font {}", pipelines_dir.join(FONT).display()))?;
        Ok(LetterWriter { templates, font, layout, ca_name })
    }

    fn page(
        &self,
        app: &Application,
        product: &Product,
        l: &PlannedLetter,
        cert: &CertFacts,
        secret: &str,
    ) -> Result<Letter> {
        let t = self.templates.get(&app.product, l.kind).with_context(|| format!("no template for {}", l.kind))?;
        let values: BTreeMap<&str, String> = BTreeMap::from([
            ("name", l.addressee.name.clone()),
            ("applicant_name", app.name_kanji.clone()),
            ("application_id", app.id.clone()),
            ("product_name", product.name_ja.clone()),
            ("serial", cert.serial.clone()),
            ("not_before", cert.not_before.clone()),
            ("not_after", cert.not_after.clone()),
            ("download_expires", cert.download_expires.clone().unwrap_or_default()),
            ("ca_name", self.ca_name.clone()),
            ("issue_date", cert.not_before.get(..10).unwrap_or_default().to_string()),
        ]);
        Ok(Letter {
            title: fill(&t.title, &values),
            address_lines: vec![
                format!("〒{}", l.addressee.postal_code),
                l.addressee.address.clone(),
                format!("{} 様", l.addressee.name),
            ],
            reference: format!("お申し込みコード: {}　{}", app.id, post_name(l.post)),
            paragraphs: t.paragraphs.iter().map(|p| fill(p, &values)).collect(),
            secret_label: Some(fill(&t.secret_label, &values)),
            secret: Some(secret.to_string()),
            footer_lines: t.footer.iter().map(|p| fill(p, &values)).collect(),
        })
    }

    /// Writes the secret letters of one certificate into `out_dir/letters/`.
    pub fn write(
        &self,
        out_dir: &Path,
        app: &Application,
        product: &Product,
        cert: &CertFacts,
        pin: &Pin,
        password: Option<&DownloadPassword>,
    ) -> Result<Vec<Prepared>> {
        let mut out = Vec::new();
        for l in plan(app, product) {
            let secret = match l.kind {
                "pin" => pin.expose_secret(),
                "download_password" => match password {
                    Some(p) => p.expose_secret(),
                    None => continue,
                },
                _ => continue,
            };
            let page = self.page(app, product, &l, cert, secret)?;
            let text: String = page
                .address_lines
                .iter()
                .chain(&page.paragraphs)
                .chain(&page.footer_lines)
                .chain(std::iter::once(&page.title))
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            let missing = self.font.missing_chars(&text);
            let folder = if missing.is_empty() {
                out_dir.join("letters").join(l.kind)
            } else {
                out_dir.join("letters/queue").join(l.kind)
            };
            let file = folder.join(format!("{}.pdf", app.id));
            let pdf = self.render(std::slice::from_ref(&page))?;
            crate::fsio::write_atomic(&file, &pdf, true)?;
            out.push(Prepared {
                written: WrittenLetter {
                    application_id: app.id.clone(),
                    kind: l.kind,
                    post: post_name(l.post),
                    addressee: l.addressee.name.clone(),
                    postal_code: l.addressee.postal_code.clone(),
                    file,
                    pages: 1,
                    missing,
                },
                page,
            });
        }
        Ok(out)
    }

    /// One print file per letter kind, sorted by postal code (queued letters left out),
    /// and the mailroom manifest, named by `tag`: secret letters by their run (a rerun
    /// adds its own; recovery removes an interrupted run's), notices by batch (a rerun
    /// writes the same files again, so nothing is printed twice).
    pub fn print_files(&self, out_dir: &Path, tag: &str, letters: &[&Prepared]) -> Result<Vec<PathBuf>> {
        let dir = out_dir.join("letters");
        let mut files = Vec::new();
        let mut kinds: Vec<&'static str> = letters.iter().map(|p| p.written.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            let mut these: Vec<&&Prepared> =
                letters.iter().filter(|p| p.written.kind == kind && p.written.missing.is_empty()).collect();
            if these.is_empty() {
                continue;
            }
            these.sort_by(|a, b| {
                (&a.written.postal_code, &a.written.application_id)
                    .cmp(&(&b.written.postal_code, &b.written.application_id))
            });
            // Bounded parts keep memory flat: the PDF writer holds a whole document until it
            // is written (10,000 letters in one file peaked at 3 GiB).
            let parts = these.chunks(PRINT_PART_LETTERS).count();
            for (i, chunk) in these.chunks(PRINT_PART_LETTERS).enumerate() {
                let pages: Vec<Letter> = chunk.iter().map(|p| p.page.clone()).collect();
                let pdf = self.render(&pages)?;
                let name = if parts == 1 {
                    format!("print-{kind}-{tag}.pdf")
                } else {
                    format!("print-{kind}-{tag}-part{:02}.pdf", i + 1)
                };
                let file = dir.join(name);
                let secret = super::routing::SECRET_LETTERS.contains(&kind);
                crate::fsio::write_atomic(&file, &pdf, secret)?;
                files.push(file);
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["letter_id", "kind", "post_method", "addressee", "postal_code", "pages", "file", "status"])?;
        let mut sorted: Vec<&&Prepared> = letters.iter().collect();
        sorted.sort_by(|a, b| {
            (&a.written.postal_code, &a.written.application_id)
                .cmp(&(&b.written.postal_code, &b.written.application_id))
        });
        for p in sorted {
            let l = &p.written;
            let status = if l.missing.is_empty() {
                "print".to_string()
            } else {
                format!("staff queue: font lacks {}", l.missing.iter().collect::<String>())
            };
            w.write_record([
                format!("{}-{}", l.application_id, l.kind),
                l.kind.to_string(),
                l.post.to_string(),
                crate::text::defuse(&l.addressee),
                l.postal_code.clone(),
                l.pages.to_string(),
                l.file.to_string_lossy().into_owned(),
                status,
            ])?;
        }
        let manifest = dir.join(format!("manifest-{tag}.csv"));
        crate::fsio::write_atomic(&manifest, &w.into_inner()?, false)?;
        files.push(manifest);
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_layout_is_the_default_and_an_edit_moves_the_page() {
        let shipped =
            letter_pdf::Layout::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/letters/layout.toml"))
                .unwrap();
        let default = letter_pdf::Layout::default();
        assert_eq!(format!("{shipped:?}"), format!("{default:?}"));
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("layout.toml"), "addr_top_mm = 30.0\n").unwrap();
        let moved = letter_pdf::Layout::load(&tmp.path().join("layout.toml")).unwrap();
        assert_eq!((moved.addr_top_mm, moved.title_size_pt), (30.0, default.title_size_pt));
        std::fs::write(tmp.path().join("layout.toml"), "adr_top_mm = 30.0\n").unwrap();
        let err = format!("{:#}", letter_pdf::Layout::load(&tmp.path().join("layout.toml")).unwrap_err());
        assert!(err.contains("layout.toml") && err.contains("adr_top_mm"), "{err}");
    }
}
