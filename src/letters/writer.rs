//! The letter kit (templates, font, layout) and the writing of letters: one PDF per letter,
//! a print file per letter kind sorted by postal code, and a manifest for the mailroom that
//! holds no secret.
//!
//! Names print exactly as registered (本人限定受取郵便 is refused when the envelope name
//! differs from the photo ID), so every letter is laid out before it is written: a letter
//! the font or the envelope window cannot take is never printed wrong. A secret letter
//! that cannot be made holds its application before a key is made; a notice that cannot
//! be made goes to `letters/queue/` for staff, its missing characters printed as 〓 (the
//! geta mark Japanese typesetting uses for a character to be written in by hand).

use super::letter_pdf::{self, Font, LayoutError, Letter};
use super::routing::{post_name, Addressee};
use super::templates::Templates;
use crate::product::PostMethod;
use anyhow::{Context, Result};
use std::path::Path;

/// Letters per print file part.
pub const PRINT_PART_LETTERS: usize = 1_000;

/// Where the bundled font lives, under `--pipelines`.
pub const FONT: &str = "letters/fonts/ipaexg.ttf";

/// One letter written for one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenLetter {
    pub application_id: String,
    pub kind: &'static str,
    pub post: &'static str,
    pub addressee: String,
    pub postal_code: String,
    /// Relative to the batch's output folder (`letters/pin/GD-1.pdf`).
    pub file: String,
    pub pages: usize,
    /// Why it is on the staff queue instead of in the print file.
    pub queued: Option<String>,
}

/// A letter with its content, kept in memory until the print files are made.
pub struct Prepared {
    pub written: WrittenLetter,
    pub letter: Letter,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("written", &self.written).field("letter", &"[may hold a secret]").finish()
    }
}

/// Why a letter could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("{0}")]
    Layout(#[from] LayoutError),
    /// Its file could not be written (the path is taken by a folder, permissions…).
    #[error("cannot write {file}: {cause:#}")]
    Unwritable { file: String, cause: anyhow::Error },
}

/// Where one letter goes: whose it is, what kind, how it is posted, to whom.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub post: PostMethod,
    pub to: &'a Addressee,
}

/// Templates, font and layout, loaded and checked once per run.
pub struct LetterKit {
    templates: Templates,
    font: Font,
    layout: letter_pdf::Layout,
    ca_name: String,
}

impl std::fmt::Debug for LetterKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LetterKit").field("font", &self.font).field("ca_name", &self.ca_name).finish_non_exhaustive()
    }
}

impl LetterKit {
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    pub fn font(&self) -> &Font {
        &self.font
    }

    pub fn ca_name(&self) -> &str {
        &self.ca_name
    }

    pub fn load(pipelines_dir: &Path, products: impl Iterator<Item = String>, ca_name: String) -> Result<LetterKit> {
        let templates = Templates::load_dir(&pipelines_dir.join("letters"), products)?;
        let layout = letter_pdf::Layout::load(&pipelines_dir.join("letters/layout.toml"))?;
        let font = Font::load(&pipelines_dir.join(FONT))
            .with_context(|| format!("cannot load the letter font {}", pipelines_dir.join(FONT).display()))?;
        Ok(LetterKit { templates, font, layout, ca_name })
    }

    /// Renders letters with this kit's font and layout.
    pub fn render(&self, letters: &[Letter]) -> Result<Vec<u8>> {
        letter_pdf::render_with(letters, &self.font, &self.layout)
    }

    /// Lays a letter out without writing it: its page count, or why it cannot be made.
    pub fn check(&self, letter: &Letter) -> Result<usize, LayoutError> {
        letter_pdf::check(letter, &self.font, &self.layout)
    }

    /// The address block of a letter: 〒, address, name 様.
    pub fn address_lines(to: &Addressee) -> Vec<String> {
        // No postal code known (a company's notice): no empty 〒 line.
        let postal = (!to.postal_code.is_empty()).then(|| format!("〒{}", to.postal_code));
        postal.into_iter().chain([to.address.clone(), format!("{} 様", to.name)]).collect()
    }

    /// Lays out and writes one letter under `out_b` (the batch's output folder) at
    /// `letters/<kind>/<id>.pdf`. `private` letters (a secret) are 0600.
    pub fn write(&self, out_b: &Path, env: Envelope, letter: Letter, private: bool) -> Result<Prepared, LetterError> {
        let pages = self.check(&letter)?;
        let file = format!("letters/{}/{}.pdf", env.kind, env.id);
        let pdf = self
            .render(std::slice::from_ref(&letter))
            .map_err(|cause| LetterError::Unwritable { file: file.clone(), cause: cause.context("rendering") })?;
        crate::fsio::write_output(&out_b.join(&file), &pdf, private)
            .map_err(|cause| LetterError::Unwritable { file: file.clone(), cause })?;
        Ok(Prepared { written: written(env, file, pages, None), letter })
    }

    /// Lays out one letter for the print file only: no file of its own (the manifest names
    /// its print file and page). For days with thousands of notices, where one PDF per
    /// letter (each with its font subset) would be most of the time.
    /// `pages` is what [`LetterKit::check`] said of it.
    pub fn prepared(&self, env: Envelope, letter: Letter, pages: usize) -> Prepared {
        Prepared { written: written(env, String::new(), pages, None), letter }
    }

    /// Writes a notice (no secret) that cannot go into the print file into
    /// `letters/queue/<kind>/<id>.pdf` for staff: characters the font lacks are printed as
    /// 〓, to be written in by hand. An address the window cannot take gives no PDF at all.
    pub fn write_queued(
        &self,
        out_b: &Path,
        env: Envelope,
        letter: Letter,
        why: &LayoutError,
    ) -> Result<WrittenLetter> {
        let file = format!("letters/queue/{}/{}.pdf", env.kind, env.id);
        let stand_in = self.with_geta(&letter);
        let (file, pages) = match self.check(&stand_in) {
            Ok(pages) => {
                crate::fsio::write_output(&out_b.join(&file), &self.render(std::slice::from_ref(&stand_in))?, false)?;
                (file, pages)
            }
            Err(_) => (String::new(), 0),
        };
        let reason = match why {
            LayoutError::FontLacks(_) => format!("{why}: printed as 〓, write it in by hand"),
            other => other.to_string(),
        };
        Ok(written(env, file, pages, Some(reason)))
    }

    /// The letter with every character the font lacks replaced by 〓.
    fn with_geta(&self, l: &Letter) -> Letter {
        let fix = |s: &String| -> String {
            s.chars()
                .map(|c| if c != '\n' && !self.font.missing_chars(&c.to_string()).is_empty() { '〓' } else { c })
                .collect()
        };
        Letter {
            title: fix(&l.title),
            address_lines: l.address_lines.iter().map(fix).collect(),
            reference: fix(&l.reference),
            paragraphs: l.paragraphs.iter().map(fix).collect(),
            secret_label: l.secret_label.as_ref().map(fix),
            secret: l.secret.clone(),
            footer_lines: l.footer_lines.iter().map(fix).collect(),
        }
    }

    /// One print file per letter kind, sorted by postal code, and the mailroom manifest,
    /// named by `tag`: secret letters by the run that made them (a rerun adds its own;
    /// recovery removes an interrupted run's), notices by batch (a rerun writes the same
    /// files again, so nothing is printed twice). Queued letters are listed, not printed.
    pub fn print_files(&self, out_b: &Path, tag: &str, letters: &[&Prepared], queued: &[WrittenLetter]) -> Result<()> {
        let dir = out_b.join("letters");
        // Where a letter without its own file is printed: `letters/<print file>#page=N`.
        let mut printed_at: std::collections::BTreeMap<(String, &'static str), String> = Default::default();
        // One print file per kind and post method: the post office takes 本人限定受取郵便,
        // 簡易書留 and ordinary mail at different counters.
        let mut kinds: Vec<(&'static str, &'static str)> =
            letters.iter().map(|p| (p.written.kind, p.written.post)).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for (kind, post) in kinds {
            let mut these: Vec<&&Prepared> =
                letters.iter().filter(|p| p.written.kind == kind && p.written.post == post).collect();
            these.sort_by(|a, b| {
                (&a.written.postal_code, &a.written.application_id)
                    .cmp(&(&b.written.postal_code, &b.written.application_id))
            });
            // Bounded parts keep memory flat: the PDF writer holds a whole document until it
            // is written (10,000 letters in one file peaked at 3 GiB).
            // Parts render on all cores (two parts at a time on two cores: memory stays a
            // few parts' worth).
            use rayon::prelude::*;
            let chunks: Vec<&[&&Prepared]> = these.chunks(PRINT_PART_LETTERS).collect();
            let parts = chunks.len();
            let secret = super::routing::SECRET_LETTERS.contains(&kind);
            let slug = super::routing::post_slug(post);
            let name = |i: usize| {
                if parts == 1 {
                    format!("print-{kind}-{slug}-{tag}.pdf")
                } else {
                    format!("print-{kind}-{slug}-{tag}-part{:02}.pdf", i + 1)
                }
            };
            for (i, chunk) in chunks.iter().enumerate() {
                let mut page = 1;
                for p in chunk.iter() {
                    if p.written.file.is_empty() {
                        printed_at.insert(
                            (p.written.application_id.clone(), kind),
                            format!("letters/{}#page={page}", name(i)),
                        );
                    }
                    page += p.written.pages;
                }
            }
            chunks.into_par_iter().enumerate().try_for_each(|(i, chunk)| -> Result<()> {
                let pages: Vec<Letter> = chunk.iter().map(|p| p.letter.clone()).collect();
                let pdf = self.render(&pages)?;
                crate::fsio::write_output(&dir.join(name(i)), &pdf, secret)
            })?;
        }
        let mut all: Vec<WrittenLetter> =
            letters.iter().map(|p| p.written.clone()).chain(queued.iter().cloned()).collect();
        for l in all.iter_mut().filter(|l| l.file.is_empty() && l.queued.is_none()) {
            if let Some(at) = printed_at.get(&(l.application_id.clone(), l.kind)) {
                l.file = at.clone();
            }
        }
        if all.is_empty() {
            return Ok(());
        }
        all.sort_by(|a, b| {
            (&a.postal_code, &a.application_id, a.kind).cmp(&(&b.postal_code, &b.application_id, b.kind))
        });
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["letter_id", "kind", "post_method", "addressee", "postal_code", "pages", "file", "status"])?;
        for l in &all {
            let status = match &l.queued {
                None => "print".to_string(),
                Some(why) => format!("staff queue: {why}"),
            };
            w.write_record([
                format!("{}-{}", l.application_id, l.kind),
                l.kind.to_string(),
                l.post.to_string(),
                crate::text::defuse(&l.addressee),
                l.postal_code.clone(),
                l.pages.to_string(),
                l.file.clone(),
                status,
            ])?;
        }
        crate::fsio::write_output(&dir.join(format!("manifest-{tag}.csv")), &w.into_inner()?, false)?;
        Ok(())
    }
}

/// The letters a manifest lists as waiting on the staff queue (a batch run again on a later
/// day keeps its notices as its own day wrote them).
pub fn queued_in_manifest(path: &Path) -> Result<Vec<WrittenLetter>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let (Some(id), Some(kind), Some(status)) = (rec.get(0), rec.get(1), rec.get(7)) else { continue };
        let Some(why) = status.strip_prefix("staff queue: ") else { continue };
        let Some(kind) = super::templates::Templates::KINDS.iter().find(|k| **k == kind) else { continue };
        out.push(WrittenLetter {
            application_id: id.strip_suffix(&format!("-{kind}")).unwrap_or(id).to_string(),
            kind,
            post: super::routing::post_label(rec.get(2).unwrap_or_default()),
            addressee: rec.get(3).unwrap_or_default().to_string(),
            postal_code: rec.get(4).unwrap_or_default().to_string(),
            file: rec.get(6).unwrap_or_default().to_string(),
            pages: rec.get(5).and_then(|p| p.parse().ok()).unwrap_or(0),
            queued: Some(why.to_string()),
        });
    }
    Ok(out)
}

fn written(env: Envelope, file: String, pages: usize, queued: Option<String>) -> WrittenLetter {
    WrittenLetter {
        application_id: env.id.to_string(),
        kind: env.kind,
        post: post_name(env.post),
        addressee: env.to.name.clone(),
        postal_code: env.to.postal_code.clone(),
        file,
        pages,
        queued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kit() -> LetterKit {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        LetterKit::load(&dir, std::iter::empty(), "認証局".into()).unwrap()
    }

    fn to(name: &str, address: &str) -> Addressee {
        Addressee { name: name.into(), postal_code: "100-0001".into(), address: address.into() }
    }

    fn letter(to: &Addressee, paragraphs: usize) -> Letter {
        Letter {
            title: "不備のお知らせ".into(),
            address_lines: LetterKit::address_lines(to),
            reference: "お申し込みコード: A1".into(),
            paragraphs: (0..paragraphs)
                .map(|i| format!("・{i}番目の不備について、必要な書類をお送りください。"))
                .collect(),
            secret_label: None,
            secret: None,
            footer_lines: vec!["認証局".into()],
        }
    }

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

    #[test]
    fn long_addresses_wrap_and_long_bodies_take_more_pages() {
        let k = kit();
        let long = to("山田 太郎", &"東京都千代田区丸の内一丁目二番三号サンプルビルディング".repeat(2));
        assert_eq!(k.check(&letter(&long, 2)), Ok(1), "a 50-character address wraps in the window");
        assert_eq!(k.check(&letter(&long, 40)), Ok(2), "forty reasons go on to a second page");
        let absurd = to("山田 太郎", &"東京都千代田区".repeat(40));
        assert!(matches!(k.check(&letter(&absurd, 1)), Err(LayoutError::AddressTooLong(_))));
        let rare = to("𠮷田 太郎", "東京都");
        assert_eq!(k.check(&letter(&rare, 1)), Err(LayoutError::FontLacks(vec!['𠮷'])));
    }

    #[test]
    fn a_notice_the_font_cannot_print_is_queued_with_geta_marks() {
        let k = kit();
        let tmp = tempfile::tempdir().unwrap();
        let rare = to("𠮷田 太郎", "東京都");
        let l = letter(&rare, 1);
        let why = k.check(&l).unwrap_err();
        let env = Envelope { id: "A1", kind: "deficiency", post: PostMethod::Registered, to: &rare };
        let w = k.write_queued(tmp.path(), env, l, &why).unwrap();
        assert_eq!(w.file, "letters/queue/deficiency/A1.pdf");
        assert!(w.queued.as_deref().is_some_and(|q| q.contains("U+20BB7") && q.contains('〓')), "{w:?}");
        assert!(tmp.path().join(&w.file).is_file());
    }

    #[test]
    fn a_letter_path_taken_by_a_folder_is_an_error_of_that_letter() {
        let k = kit();
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("letters/deficiency/A1.pdf")).unwrap();
        let a = to("山田 太郎", "東京都");
        let env = |id| Envelope { id, kind: "deficiency", post: PostMethod::Registered, to: &a };
        let err = k.write(tmp.path(), env("A1"), letter(&a, 1), false).unwrap_err();
        assert!(matches!(err, LetterError::Unwritable { .. }), "{err}");
        assert!(k.write(tmp.path(), env("A2"), letter(&a, 1), false).is_ok());
    }
}
