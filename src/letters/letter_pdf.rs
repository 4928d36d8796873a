//! PDF letter renderer: A4 letters for a tri-folded 長形3号 window envelope.
//!
//! One PDF, one page per letter, a single TrueType font (IPAex Gothic) embedded
//! once and subset by krilla (CID font with ToUnicode, so text stays extractable).
//!
//! Coordinates below are in millimetres from the top-left corner of the sheet
//! (krilla's surface uses a top-left origin with y pointing down, in points).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::Document;

// ---------------------------------------------------------------------------
// Layout constants (mm from the top-left corner unless noted).
// ---------------------------------------------------------------------------

const PT_PER_MM: f32 = 72.0 / 25.4;
const PAGE_W_MM: f32 = 210.0;
const PAGE_H_MM: f32 = 297.0;
/// Tri-fold lines (panels of 99 mm).
const FOLD_Y_MM: [f32; 2] = [99.0, 198.0];
/// Fold marks: short strokes at the left edge.
const FOLD_MARK_LEN_MM: f32 = 5.0;

fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

// ---------------------------------------------------------------------------
// Font
// ---------------------------------------------------------------------------

/// A TrueType font: raw bytes (shared with krilla), and its cmap and horizontal advances as
/// skrifa reads them, for coverage checks and line measuring.
pub struct Font {
    data: Arc<Vec<u8>>,
    units_per_em: f32,
    cmap: HashMap<u32, u16>,
    advances: Vec<f32>,
    krilla: krilla::text::Font,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("bytes", &self.data.len())
            .field("units_per_em", &self.units_per_em)
            .field("mapped_chars", &self.cmap.len())
            .finish()
    }
}

impl Font {
    /// Loads a TrueType font from `path` and parses its cmap/hmtx.
    pub fn load(path: &Path) -> Result<Font> {
        let bytes = std::fs::read(path).with_context(|| format!("reading font {}", path.display()))?;
        Self::from_bytes(bytes).with_context(|| format!("parsing font {}", path.display()))
    }

    fn from_bytes(bytes: Vec<u8>) -> Result<Font> {
        use skrifa::instance::{LocationRef, Size};
        use skrifa::MetadataProvider;
        let font = skrifa::FontRef::new(&bytes).map_err(|e| anyhow!("not a TrueType/OpenType font: {e}"))?;
        let units_per_em = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em);
        if units_per_em <= 0.0 {
            bail!("invalid unitsPerEm");
        }
        let glyphs = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let advances: Vec<f32> =
            (0..glyphs.glyph_count()).map(|g| glyphs.advance_width(skrifa::GlyphId::new(g)).unwrap_or(0.0)).collect();
        let cmap: HashMap<u32, u16> = font
            .charmap()
            .mappings()
            .filter_map(|(c, g)| u16::try_from(g.to_u32()).ok().filter(|g| *g != 0).map(|g| (c, g)))
            .collect();
        if cmap.is_empty() {
            bail!("font has no Unicode cmap");
        }
        // What is embedded: the same outlines without their hinting (see `dehint`); a font
        // that is not plain TrueType is embedded as it is.
        let data = Arc::new(super::dehint::strip_hinting(&bytes).unwrap_or(bytes));
        let krilla =
            krilla::text::Font::new(data.clone().into(), 0).ok_or_else(|| anyhow!("krilla could not read the font"))?;
        Ok(Font { data, units_per_em, cmap, advances, krilla })
    }

    /// Characters of `text` the font has no glyph for (deduplicated, in order of
    /// first occurrence; `\n` is ignored).
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let mut out = Vec::new();
        for c in text.chars() {
            if c != '\n' && self.glyph(c).is_none() && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.cmap.get(&(c as u32)).copied()
    }

    /// Advance of `c` in em units (notdef's advance if unmapped).
    fn advance_em(&self, c: char) -> f32 {
        let gid = self.glyph(c).unwrap_or(0) as usize;
        self.advances.get(gid).copied().unwrap_or(0.0) / self.units_per_em
    }

    fn width_pt(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance_em(c)).sum::<f32>() * size
    }
}

// ---------------------------------------------------------------------------
// Letter
// ---------------------------------------------------------------------------

/// One letter = one A4 page.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    /// e.g. "PINコード送付のお知らせ"
    pub title: String,
    /// 〒123-4567 / address / name + " 様"
    pub address_lines: Vec<String>,
    /// e.g. "お申し込みコード: GD-20261119-001"
    pub reference: String,
    /// Body text, Japanese, wrapped by the renderer (`\n` forces a line break).
    pub paragraphs: Vec<String>,
    /// e.g. "PINコード"
    pub secret_label: Option<String>,
    /// The PIN or password, printed large in a box.
    pub secret: Option<String>,
    /// Sender, contact.
    pub footer_lines: Vec<String>,
}

impl Letter {
    fn all_text(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.title.as_str())
            .chain(self.address_lines.iter().map(String::as_str))
            .chain(std::iter::once(self.reference.as_str()))
            .chain(self.paragraphs.iter().map(String::as_str))
            .chain(self.secret_label.as_deref())
            .chain(self.secret.as_deref())
            .chain(self.footer_lines.iter().map(String::as_str))
    }
}

// ---------------------------------------------------------------------------
// Line breaking (simple Japanese rules + kinsoku)
// ---------------------------------------------------------------------------

/// Characters that must not start a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '．'
            | ','
            | '.'
            | '・'
            | '：'
            | '；'
            | '？'
            | '！'
            | '?'
            | '!'
            | ')'
            | ']'
            | '」'
            | '』'
            | '）'
            | '］'
            | '｝'
            | '〕'
            | '〉'
            | '》'
            | '】'
            | '〙'
            | '〗'
            | '’'
            | '”'
            | 'ー'
            | '～'
            | '…'
            | '‥'
            | '々'
            | '〻'
            | 'ゝ'
            | 'ゞ'
            | 'ヽ'
            | 'ヾ'
            | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ゕ'
            | 'ゖ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ヵ'
            | 'ヶ'
            | 'ㇰ'..='ㇿ'
    )
}

/// Characters that must not end a line (行末禁則).
fn no_line_end(c: char) -> bool {
    matches!(c, '「' | '『' | '（' | '［' | '｛' | '〔' | '〈' | '《' | '【' | '〘' | '〖' | '‘' | '“' | '(' | '[')
}

/// A breakable unit: one CJK char, a whole ASCII word, or a run of spaces.
struct Unit {
    start: usize,
    end: usize,
    width: f32,
    space: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '(' | '[')
}

fn units(font: &Font, text: &str, size: f32, max_w: f32) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let mut end = i + c.len_utf8();
        let space = c == ' ';
        if space || is_word_char(c) {
            while let Some(&(j, d)) = it.peek() {
                let same = if space { d == ' ' } else { is_word_char(d) };
                if !same {
                    break;
                }
                end = j + d.len_utf8();
                it.next();
            }
        }
        let width = font.width_pt(&text[i..end], size);
        if !space && width > max_w {
            // A word wider than the column: fall back to per-character units.
            for (k, ch) in text[i..end].char_indices() {
                let s = i + k;
                let e = s + ch.len_utf8();
                out.push(Unit { start: s, end: e, width: font.width_pt(&text[s..e], size), space: false });
            }
        } else {
            out.push(Unit { start: i, end, width, space });
        }
    }
    out
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or(' ')
}

fn last_char(s: &str) -> char {
    s.chars().next_back().unwrap_or(' ')
}

/// Wraps `text` to `max_w` points. Breaks between any two CJK characters,
/// keeps ASCII words whole, applies kinsoku; `\n` forces a break.
pub(crate) fn wrap(font: &Font, text: &str, size: f32, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for hard in text.split('\n') {
        wrap_one(font, hard, size, max_w, &mut lines);
    }
    lines
}

/// Wraps an address line: at the spaces the applicant typed first (between the street and
/// the building, the building and the room), so a line never ends in the middle of a
/// building's name when it need not; a part wider than a line is wrapped as text.
pub(crate) fn wrap_address(font: &Font, text: &str, size: f32, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for part in text.split_inclusive([' ', '\u{3000}']) {
        let joined = format!("{cur}{part}");
        if font.width_pt(joined.trim_end_matches([' ', '\u{3000}']), size) <= max_w {
            cur = joined;
            continue;
        }
        if !cur.trim().is_empty() {
            lines.push(cur.trim_end_matches([' ', '\u{3000}']).to_string());
        }
        let mut wrapped = wrap(font, part.trim_end_matches([' ', '\u{3000}']), size, max_w);
        cur = match wrapped.pop() {
            Some(last) if part.ends_with([' ', '\u{3000}']) => format!("{last}{}", part.chars().last().unwrap_or(' ')),
            Some(last) => last,
            None => String::new(),
        };
        lines.extend(wrapped);
    }
    let last = cur.trim_end_matches([' ', '\u{3000}']);
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.to_string());
    }
    lines
}

fn wrap_one(font: &Font, text: &str, size: f32, max_w: f32, lines: &mut Vec<String>) {
    let us = units(font, text, size, max_w);
    if us.is_empty() {
        lines.push(String::new());
        return;
    }
    let can_break_before = |i: usize| -> bool {
        if i == 0 || i >= us.len() {
            return false;
        }
        let (prev, cur) = (&us[i - 1], &us[i]);
        if cur.space || prev.space {
            return true;
        }
        !no_line_start(first_char(&text[cur.start..cur.end])) && !no_line_end(last_char(&text[prev.start..prev.end]))
    };
    let mut emit = |a: usize, b: usize| {
        let s = &text[us[a].start..us[b - 1].end];
        lines.push(s.trim_end_matches(' ').to_string());
    };
    let mut start = 0;
    let mut width = 0.0f32;
    let mut i = 0;
    while i < us.len() {
        // Drop spaces at the beginning of a continuation line.
        if i == start && start > 0 && us[i].space {
            start += 1;
            i += 1;
            continue;
        }
        let w = us[i].width;
        if width + w > max_w && i > start && !us[i].space {
            // Find the last permitted break in (start, i].
            let brk = (start + 1..=i).rev().find(|&b| can_break_before(b)).unwrap_or(i);
            emit(start, brk);
            start = brk;
            width = us[start..i].iter().map(|u| u.width).sum();
            continue;
        }
        width += w;
        i += 1;
    }
    if start < us.len() {
        emit(start, us.len());
    }
}

// ---------------------------------------------------------------------------
// Drawing helpers
// ---------------------------------------------------------------------------

fn glyphs_for(font: &Font, text: &str) -> Vec<KrillaGlyph> {
    text.char_indices()
        .map(|(i, c)| {
            let gid = font.glyph(c).unwrap_or(0);
            KrillaGlyph::new(GlyphId::new(gid as u32), font.advance_em(c), 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
        })
        .collect()
}

/// Draws `text` with its baseline starting at (`x`, `y`) points.
fn draw_line(s: &mut Surface<'_>, font: &Font, text: &str, size: f32, x: f32, y: f32) {
    if text.is_empty() {
        return;
    }
    let glyphs = glyphs_for(font, text);
    s.draw_glyphs(Point::from_xy(x, y), &glyphs, font.krilla.clone(), text, size, false);
}

/// Draws `text` centred on `cx` with slightly letter-spaced, monospace-looking
/// cells: narrow glyphs are padded towards the width of the widest glyph, but the
/// padding is capped so that text extraction never sees a word break inside it.
/// Returns the drawn width in points.
fn draw_monospaced(s: &mut Surface<'_>, font: &Font, text: &str, size: f32, cx: f32, y: f32) -> f32 {
    let cell = text.chars().map(|c| font.advance_em(c)).fold(0.0f32, f32::max);
    // pdftotext (poppler) starts a new word at gaps of ~0.1 em, so the padding
    // between two glyphs is capped at MAX_PAD/2 + MAX_PAD/2 + TRACK = 0.08 em.
    const MAX_PAD: f32 = 0.06;
    const TRACK: f32 = 0.02;
    let mut glyphs = Vec::new();
    let mut total = 0.0;
    for (i, c) in text.char_indices() {
        let adv = font.advance_em(c);
        let pad = (cell - adv).clamp(0.0, MAX_PAD);
        let gid = font.glyph(c).unwrap_or(0);
        let step = adv + pad + TRACK;
        glyphs.push(KrillaGlyph::new(
            GlyphId::new(gid as u32),
            step,
            (pad + TRACK) / 2.0,
            0.0,
            0.0,
            i..i + c.len_utf8(),
            None,
        ));
        total += step;
    }
    let width = total * size;
    let x = cx - width / 2.0;
    s.draw_glyphs(Point::from_xy(x, y), &glyphs, font.krilla.clone(), text, size, false);
    width
}

fn black_stroke(width: f32) -> Stroke {
    Stroke { paint: luma::Color::black().into(), width, opacity: NormalizedF32::ONE, ..Default::default() }
}

fn stroke_line(s: &mut Surface<'_>, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(x1, y1);
    pb.line_to(x2, y2);
    if let Some(p) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(black_stroke(width)));
        s.draw_path(&p);
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
    }
}

fn stroke_rect(s: &mut Surface<'_>, r: Rect, width: f32) {
    let mut pb = PathBuilder::new();
    pb.push_rect(r);
    if let Some(p) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(black_stroke(width)));
        s.draw_path(&p);
        s.set_stroke(None);
        s.set_fill(Some(Fill::default()));
    }
}

/// Largest size ≤ `size` (down to `min`) at which `text` fits in `max_w` points.
fn fit_size(font: &Font, text: &str, size: f32, min: f32, max_w: f32) -> f32 {
    let w = font.width_pt(text, size);
    if w <= max_w || w <= 0.0 {
        size
    } else {
        (size * max_w / w).max(min)
    }
}

// ---------------------------------------------------------------------------
// Page layout: where every line goes, decided before anything is drawn
// ---------------------------------------------------------------------------

/// Why a letter cannot be laid out. Each is about this letter only: the others print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Characters the font has no glyph for (names print exactly as registered, so none
    /// may be dropped or replaced silently).
    #[error("the letter font has no glyph for {}", .0.iter().map(|c| format!("「{c}」(U+{:04X})", *c as u32)).collect::<String>())]
    FontLacks(Vec<char>),
    /// The address block does not fit the envelope window even wrapped at the smallest size.
    #[error("the address does not fit the envelope window even wrapped over {0} lines at the smallest size")]
    AddressTooLong(usize),
    /// The page design itself leaves no room (a layout.toml problem, not the letter's).
    #[error("{0}")]
    Design(String),
}

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text {
        text: String,
        size: f32,
        x: f32,
        y: f32,
    },
    /// The secret, centred on `cx`, letter-spaced.
    Secret {
        text: String,
        size: f32,
        cx: f32,
        y: f32,
        max_w: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    Box {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The address block: 〒, the address wrapped to the window, the name. Sizes step down
/// from the layout's sizes to its minimum until every line fits the window's width and the
/// block its height.
fn address_block(l: &Letter, font: &Font, lay: &Layout) -> Result<Vec<Item>, LayoutError> {
    let addr_w = mm(lay.addr_max_x_mm - lay.addr_x_mm);
    let avail = mm(lay.addr_max_bottom_mm - lay.addr_top_mm);
    let n = l.address_lines.len();
    let mut scale = 1.0f32;
    let mut most = 0;
    loop {
        // (text, size, is_name)
        let mut lines: Vec<(String, f32, bool)> = Vec::new();
        for (i, t) in l.address_lines.iter().enumerate() {
            let is_name = i + 1 == n && n > 1;
            let base = if is_name { lay.addr_name_size_pt } else { lay.addr_size_pt };
            let size = (base * scale).max(lay.addr_min_size_pt);
            let wrapped =
                if is_name { wrap(font, t, size, addr_w - mm(4.0)) } else { wrap_address(font, t, size, addr_w) };
            for w in wrapped {
                lines.push((w, size, is_name));
            }
        }
        most = most.max(lines.len());
        let natural: f32 = lines.iter().map(|(_, z, _)| z * 1.5).sum();
        if natural <= avail {
            let spare = (avail - natural).min(lines.len() as f32 * 2.0);
            let mut y = mm(lay.addr_top_mm);
            let mut out = Vec::new();
            for (t, size, is_name) in lines {
                let pitch = size * 1.5 + spare / n.max(1) as f32;
                let baseline = y + size * 0.88 + (pitch - size * 1.15) / 2.0;
                // The name line is indented a little, as is customary.
                let x = if is_name { mm(lay.addr_x_mm + 4.0) } else { mm(lay.addr_x_mm) };
                out.push(Item::Text { text: t, size, x, y: baseline });
                y += pitch;
            }
            return Ok(out);
        }
        let smallest = lay.addr_min_size_pt / lay.addr_size_pt.max(lay.addr_name_size_pt);
        if scale <= smallest {
            return Err(LayoutError::AddressTooLong(most));
        }
        scale = (scale - 0.05).max(smallest);
    }
}

/// Lays a letter out: page 1 holds the address block in the window, the title below the
/// first fold, the secret boxed in the middle panel; a body longer than one page goes on
/// to further pages (a deficiency notice listing many reasons), each with the reference
/// on top and the footer and page number at the bottom.
fn lay_out(l: &Letter, font: &Font, lay: &Layout) -> Result<Vec<Vec<Item>>, LayoutError> {
    let mut missing = Vec::new();
    for t in l.all_text() {
        for c in font.missing_chars(t) {
            if !missing.contains(&c) {
                missing.push(c);
            }
        }
    }
    if !missing.is_empty() {
        return Err(LayoutError::FontLacks(missing));
    }
    if let Some(secret) = &l.secret {
        if secret.is_empty() || secret.chars().any(|c| c.is_whitespace()) {
            return Err(LayoutError::Design("a secret must be non-empty and contain no whitespace".into()));
        }
    }
    let mut first: Vec<Item> = Vec::new();
    for y in FOLD_Y_MM {
        first.push(Item::Line { x1: 0.0, y1: mm(y), x2: mm(FOLD_MARK_LEN_MM), y2: mm(y), width: 0.4 });
    }
    first.extend(address_block(l, font, lay)?);
    let col_w = mm(lay.margin_r_mm - lay.margin_l_mm);
    let ref_size = fit_size(font, &l.reference, lay.ref_size_pt, 6.0, col_w);
    first.push(Item::Text {
        text: l.reference.clone(),
        size: ref_size,
        x: mm(lay.addr_x_mm),
        y: mm(lay.ref_baseline_mm),
    });
    let tsize = fit_size(font, &l.title, lay.title_size_pt, 10.0, col_w);
    let tw = font.width_pt(&l.title, tsize);
    first.push(Item::Text {
        text: l.title.clone(),
        size: tsize,
        x: mm(PAGE_W_MM / 2.0) - tw / 2.0,
        y: mm(lay.title_baseline_mm),
    });

    // Footer (measured first, so the body knows where to stop).
    let fpitch = lay.footer_size_pt * lay.footer_leading;
    let footer_top =
        mm(lay.footer_bottom_mm) - fpitch * l.footer_lines.len().saturating_sub(1) as f32 - lay.footer_size_pt;
    let fw = l.footer_lines.iter().map(|t| font.width_pt(t, lay.footer_size_pt)).fold(0.0f32, f32::max).min(col_w);
    let footer: Vec<Item> = l
        .footer_lines
        .iter()
        .enumerate()
        .map(|(i, t)| Item::Text {
            text: t.clone(),
            size: fit_size(font, t, lay.footer_size_pt, 6.0, col_w),
            x: mm(lay.margin_r_mm) - fw,
            y: footer_top + lay.footer_size_pt + fpitch * i as f32,
        })
        .collect();

    // Body paragraphs and the secret box. The box must lie entirely inside the middle panel
    // (the one hidden inside a Z-folded sheet): it goes after the last paragraph that still
    // leaves room for it above the second fold; the other paragraphs follow it.
    let pitch = lay.body_size_pt * lay.body_leading;
    let paras: Vec<Vec<String>> = l.paragraphs.iter().map(|p| wrap(font, p, lay.body_size_pt, col_w)).collect();
    let descent = lay.body_size_pt * 0.3;
    let mut ends = vec![mm(lay.title_baseline_mm) + lay.title_size_pt * 0.3 - descent];
    let mut y = mm(lay.body_top_mm);
    for p in &paras {
        let last = y + pitch * p.len().saturating_sub(1) as f32;
        ends.push(last);
        y = last + pitch + mm(lay.para_gap_mm);
    }
    let has_box = l.secret.is_some() || l.secret_label.is_some();
    let label_h = if l.secret_label.is_some() { lay.label_size_pt * 1.6 } else { 0.0 };
    let secret_h = if l.secret.is_some() { lay.secret_size_pt * 1.3 } else { 0.0 };
    let box_h = if has_box { mm(lay.box_pad_mm) * 2.0 + label_h + secret_h } else { 0.0 };
    let panel_bottom = mm(FOLD_Y_MM[1] - lay.box_fold_clear_mm);
    let box_top_after = |k: usize| ends[k] + descent + mm(lay.box_gap_mm);
    // Without a box every paragraph flows (and may go on to further pages).
    let split = if has_box {
        (0..=paras.len())
            .rev()
            .find(|&k| box_top_after(k) + box_h <= panel_bottom)
            .ok_or_else(|| LayoutError::Design("the secret box does not fit in the middle panel".into()))?
    } else {
        0
    };

    let mut pages: Vec<Vec<Item>> = vec![first];
    let mut baseline = mm(lay.body_top_mm);
    let continuation_top = mm(CONTINUATION_TOP_MM);
    // Paragraphs before the box fit page 1 by construction (they end above the box).
    for p in &paras[..split] {
        for line in p {
            pages[0].push(Item::Text {
                text: line.clone(),
                size: lay.body_size_pt,
                x: mm(lay.margin_l_mm),
                y: baseline,
            });
            baseline += pitch;
        }
        baseline += mm(lay.para_gap_mm);
    }
    if has_box {
        let top = box_top_after(split);
        let x0 = mm((PAGE_W_MM - lay.box_w_mm) / 2.0);
        pages[0].push(Item::Box { x: x0, y: top, w: mm(lay.box_w_mm), h: box_h });
        let mut y = top + mm(lay.box_pad_mm);
        if let Some(label) = &l.secret_label {
            let lw = font.width_pt(label, lay.label_size_pt);
            pages[0].push(Item::Text {
                text: label.clone(),
                size: lay.label_size_pt,
                x: mm(PAGE_W_MM / 2.0) - lw / 2.0,
                y: y + lay.label_size_pt,
            });
            y += label_h;
        }
        if let Some(secret) = &l.secret {
            pages[0].push(Item::Secret {
                text: secret.clone(),
                size: lay.secret_size_pt,
                cx: mm(PAGE_W_MM / 2.0),
                y: y + lay.secret_size_pt * 0.95,
                max_w: mm(lay.box_w_mm - 2.0 * lay.box_pad_mm),
            });
        }
        baseline = baseline.max(top + box_h + mm(lay.box_gap_mm) + lay.body_size_pt);
    }
    let limit = footer_top - pitch * 0.5;
    for p in &paras[split..] {
        for line in p {
            if baseline > limit {
                pages.push(Vec::new());
                baseline = continuation_top + lay.body_size_pt;
                if continuation_top + lay.body_size_pt > limit {
                    return Err(LayoutError::Design("no room for a continuation page's body".into()));
                }
            }
            let page = pages.last_mut().expect("page 1 exists");
            page.push(Item::Text { text: line.clone(), size: lay.body_size_pt, x: mm(lay.margin_l_mm), y: baseline });
            baseline += pitch;
        }
        baseline += mm(lay.para_gap_mm);
    }
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.extend(footer.iter().cloned());
        if count > 1 {
            let number = format!("{} / {count}", i + 1);
            let w = font.width_pt(&number, lay.footer_size_pt);
            page.push(Item::Text {
                text: number,
                size: lay.footer_size_pt,
                x: mm(PAGE_W_MM / 2.0) - w / 2.0,
                y: mm(PAGE_H_MM - 8.0),
            });
            if i > 0 {
                let head = format!("{}（つづき）", l.reference);
                page.push(Item::Text {
                    text: head.clone(),
                    size: fit_size(font, &head, lay.ref_size_pt, 6.0, col_w),
                    x: mm(lay.margin_l_mm),
                    y: mm(CONTINUATION_TOP_MM - 8.0),
                });
            }
        }
    }
    Ok(pages)
}

/// Where the body starts on a continuation page, in mm from the top.
const CONTINUATION_TOP_MM: f32 = 30.0;

fn draw(s: &mut Surface<'_>, items: &[Item], font: &Font) -> Result<()> {
    s.set_fill(Some(Fill::default()));
    for item in items {
        match item {
            Item::Text { text, size, x, y } => draw_line(s, font, text, *size, *x, *y),
            Item::Secret { text, size, cx, y, max_w } => {
                let w = draw_monospaced(s, font, text, *size, *cx, *y);
                if w > *max_w {
                    bail!("the secret is too long for its box");
                }
            }
            Item::Line { x1, y1, x2, y2, width } => stroke_line(s, *x1, *y1, *x2, *y2, *width),
            Item::Box { x, y, w, h } => {
                let r = Rect::from_xywh(*x, *y, *w, *h).ok_or_else(|| anyhow!("bad box rect"))?;
                stroke_rect(s, r, 1.0);
            }
        }
    }
    Ok(())
}

/// Where things sit on the page, in mm and pt, as `pipelines/letters/layout.toml` may set
/// them (missing keys keep these defaults). The paper (A4) and the fold lines (99, 198 mm)
/// are the envelope's geometry and stay fixed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Layout {
    pub addr_x_mm: f32,
    pub addr_max_x_mm: f32,
    pub addr_top_mm: f32,
    pub addr_max_bottom_mm: f32,
    pub addr_size_pt: f32,
    pub addr_name_size_pt: f32,
    pub addr_min_size_pt: f32,
    pub ref_baseline_mm: f32,
    pub ref_size_pt: f32,
    pub margin_l_mm: f32,
    pub margin_r_mm: f32,
    pub title_baseline_mm: f32,
    pub title_size_pt: f32,
    pub body_top_mm: f32,
    pub body_size_pt: f32,
    pub body_leading: f32,
    pub para_gap_mm: f32,
    pub box_gap_mm: f32,
    pub box_fold_clear_mm: f32,
    pub box_w_mm: f32,
    pub box_pad_mm: f32,
    pub label_size_pt: f32,
    pub secret_size_pt: f32,
    pub footer_size_pt: f32,
    pub footer_bottom_mm: f32,
    pub footer_leading: f32,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            // Address block: must stay inside the envelope window (≈ x 20–110, y 12–60 mm)
            // with a few mm of slack for the sheet shifting in the envelope.
            addr_x_mm: 24.0,
            addr_max_x_mm: 106.0,
            addr_top_mm: 22.0,        // top of the first line box
            addr_max_bottom_mm: 55.0, // bottom of the last line box
            addr_size_pt: 11.0,
            addr_name_size_pt: 12.0,
            addr_min_size_pt: 7.5,
            // Reference line, under the address block (outside the window area proper).
            ref_baseline_mm: 70.0,
            ref_size_pt: 9.5,
            // Text column of the body.
            margin_l_mm: 20.0,
            margin_r_mm: 190.0,
            title_baseline_mm: 112.0,
            title_size_pt: 16.0,
            body_top_mm: 122.0, // first body baseline
            body_size_pt: 10.5,
            body_leading: 1.7, // line pitch as a multiple of the font size
            para_gap_mm: 2.0,
            box_gap_mm: 5.0, // space between the body and the secret box
            // Minimum distance between the box and the second fold (box stays in the middle panel).
            box_fold_clear_mm: 4.0,
            box_w_mm: 130.0,
            box_pad_mm: 4.0,
            label_size_pt: 10.5,
            secret_size_pt: 20.0,
            footer_size_pt: 9.0,
            footer_bottom_mm: 282.0, // last footer baseline
            footer_leading: 1.5,
        }
    }
}

impl Layout {
    /// Reads `path` if it exists; the defaults otherwise.
    pub fn load(path: &Path) -> Result<Layout> {
        if !path.exists() {
            return Ok(Layout::default());
        }
        crate::pipelines::read_toml(path)
    }
}

/// Renders letters into ONE PDF with the default layout.
pub fn render(letters: &[Letter], font: &Font) -> Result<Vec<u8>> {
    render_with(letters, font, &Layout::default())
}

/// Whether a letter can be laid out, and on how many pages: the check made before a
/// certificate is signed, so a letter that cannot be printed never costs a key.
pub fn check(l: &Letter, font: &Font, lay: &Layout) -> Result<usize, LayoutError> {
    lay_out(l, font, lay).map(|pages| pages.len())
}

/// Renders letters into ONE PDF (A4; a letter may take several pages), the font embedded
/// once and subset. Fails if a letter cannot be laid out (see [`check`]).
pub fn render_with(letters: &[Letter], font: &Font, lay: &Layout) -> Result<Vec<u8>> {
    if letters.is_empty() {
        bail!("no letters to render");
    }
    let mut plans = Vec::with_capacity(letters.len());
    for (i, l) in letters.iter().enumerate() {
        plans.push(lay_out(l, font, lay).with_context(|| format!("letter {i} ({:?})", l.title))?);
    }
    let mut doc = Document::new();
    let settings = PageSettings::from_wh(mm(PAGE_W_MM), mm(PAGE_H_MM)).ok_or_else(|| anyhow!("bad page size"))?;
    for (i, pages) in plans.iter().enumerate() {
        for items in pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            let res = draw(&mut surface, items, font).with_context(|| format!("letter {i}"));
            surface.finish();
            page.finish();
            res?;
        }
    }
    doc.finish().map_err(|e| anyhow!("PDF serialisation failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::Instant;

    const MM: f64 = 72.0 / 25.4;

    fn font() -> Font {
        Font::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pipelines/letters/fonts/ipaexg.ttf")).unwrap()
    }

    fn letter(name: &str, code: &str, secret: &str) -> Letter {
        Letter {
            title: "PINコード送付のお知らせ".into(),
            address_lines: vec![
                "〒123-4567".into(),
                "東京都千代田区丸の内一丁目2番3号".into(),
                "サンプルビル4階 401号室".into(),
                format!("{name} 様"),
            ],
            reference: format!("お申し込みコード: {code}"),
            paragraphs: vec![
                "拝啓　時下ますますご清栄のこととお慶び申し上げます。平素より格別のお引き立てを賜り、厚く御礼申し上げます。".into(),
                "このたびお申し込みいただいた電子証明書（クライアント証明書）の発行に必要な「PINコード」をお送りします。\
                 証明書のダウンロードには、別途メールでお送りしたURL https://example.jp/certbatch/download と下記のPINコードが必要です。\
                 PINコードは第三者に知られないよう厳重に管理し、ダウンロード完了後は本書を裁断のうえ廃棄してください。\
                 ご不明な点がございましたら、下記のお問い合わせ窓口までご連絡ください。"
                    .into(),
                "敬具".into(),
            ],
            secret_label: Some("PINコード".into()),
            secret: Some(secret.into()),
            footer_lines: vec![
                "株式会社サンプル認証局　証明書発行センター".into(),
                "お問い合わせ: 0120-000-000（平日 9:00〜17:00）".into(),
                "support@example.jp".into(),
            ],
        }
    }

    fn letters() -> Vec<Letter> {
        vec![
            letter("髙橋 一郎", "GD-20261119-001", "7K9Q-M2XW-4HPL"),
            letter("山﨑 花子", "GD-20261119-002", "58203146"),
            Letter {
                paragraphs: vec!["電子証明書のPINコードをお送りします。下記のPINコードを入力してください。".into()],
                ..letter("佐藤 健", "GD-20261119-003", "Wi1l-fMmQ.x7_Z")
            },
        ]
    }

    fn tmp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("lettermod-{}-{name}", std::process::id()))
    }

    /// Installs poppler-utils when the machine lacks it (the tests read PDFs with it).
    fn ensure_poppler() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            if Command::new("pdftotext").arg("-v").output().is_err() {
                let st = Command::new("sh")
                    .args([
                        "-c",
                        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils",
                    ])
                    .status()
                    .expect("apt-get runs");
                assert!(st.success(), "apt-get install poppler-utils");
            }
        });
    }

    fn run(cmd: &str, args: &[&str]) -> String {
        ensure_poppler();
        let out = Command::new(cmd).args(args).output().expect("spawn (is poppler-utils installed?)");
        assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// (text, xMin, yMin, xMax, yMax) in pt, top-left origin, from `pdftotext -bbox`.
    fn bbox_words(pdf: &Path, page: u32) -> Vec<(String, f64, f64, f64, f64)> {
        let p = page.to_string();
        let html = run("pdftotext", &["-bbox", "-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"]);
        let attr = |line: &str, k: &str| -> f64 {
            let i = line.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
            line[i..].split('"').next().unwrap().parse().unwrap()
        };
        html.lines()
            .filter(|l| l.trim_start().starts_with("<word "))
            .map(|l| {
                let t = l[l.find('>').unwrap() + 1..l.rfind("</word>").unwrap()].to_string();
                let t = t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
                (t, attr(l, "xMin"), attr(l, "yMin"), attr(l, "xMax"), attr(l, "yMax"))
            })
            .collect()
    }

    #[test]
    fn renders_extractable_subset_pdf() {
        let font = font();
        let ls = letters();
        let pdf = render(&ls, &font).unwrap();
        let path = tmp("three.pdf");
        std::fs::write(&path, &pdf).unwrap();
        eprintln!("3-page PDF: {} bytes ({})", pdf.len(), path.display());

        assert_eq!(count(&pdf, b"/FontFile2"), 1, "exactly one embedded font program");
        assert!(pdf.len() < 200_000, "PDF too large ({} bytes): font not subset?", pdf.len());

        let text = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
        let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
        assert_eq!(pages.len(), 3, "{text}");
        for (l, page) in ls.iter().zip(&pages) {
            let name = l.address_lines[3].trim_end_matches(" 様").split(' ').next().unwrap();
            assert!(page.contains(&l.title), "title missing:\n{page}");
            assert!(page.contains(name), "name {name} missing:\n{page}");
            assert!(page.contains(&l.address_lines[3]), "name line missing:\n{page}");
            assert!(page.contains(&l.reference), "reference missing:\n{page}");
            let secret = l.secret.as_deref().unwrap();
            assert!(
                page.lines().any(|line| line.split_whitespace().any(|w| w == secret)),
                "secret {secret} not on one line:\n{page}"
            );
        }
        // The long paragraph wrapped over several lines.
        assert!(pages[0].contains("PINコードは第三者"), "{}", pages[0]);
        if std::env::var_os("KEEP_PDF").is_none() {
            std::fs::remove_file(&path).ok();
        }
    }

    #[test]
    fn address_in_window_and_secret_below_first_fold() {
        let font = font();
        let ls = letters();
        let path = tmp("layout.pdf");
        std::fs::write(&path, render(&ls, &font).unwrap()).unwrap();
        for (i, l) in ls.iter().enumerate() {
            let words = bbox_words(&path, i as u32 + 1);
            let (wx0, wy0, wx1, wy1) = (20.0 * MM, 12.0 * MM, 110.0 * MM, 60.0 * MM);
            for line in &l.address_lines {
                for tok in line.split_whitespace() {
                    let w = words
                        .iter()
                        .find(|w| w.0 == tok && w.2 < 99.0 * MM)
                        .unwrap_or_else(|| panic!("address word {tok:?} not found in {words:?}"));
                    assert!(
                        w.1 >= wx0 && w.3 <= wx1 && w.2 >= wy0 && w.4 <= wy1,
                        "address word {tok:?} at ({:.1},{:.1})-({:.1},{:.1}) mm is outside the window",
                        w.1 / MM,
                        w.2 / MM,
                        w.3 / MM,
                        w.4 / MM
                    );
                }
            }
            let secret = l.secret.as_deref().unwrap();
            let s =
                words.iter().find(|w| w.0 == secret).unwrap_or_else(|| panic!("secret not a single word: {words:?}"));
            assert!(s.2 > 99.0 * MM + 1.0, "secret at y={:.1} mm is not below the first fold", s.2 / MM);
            assert!(s.4 < 198.0 * MM - 1.0, "secret at y={:.1} mm crosses the second fold", s.4 / MM);
            // Nothing but the address block (and the reference below it) in the window area.
            for w in words.iter().filter(|w| w.2 < 60.0 * MM) {
                assert!(l.address_lines.iter().any(|a| a.contains(&w.0)), "unexpected word in window: {w:?}");
            }
        }

        // Rasterise page 1 and sanity-check the PNG header (A4 at 50 dpi ≈ 413×585 px).
        let prefix = tmp("page");
        run(
            "pdftoppm",
            &[
                "-r",
                "50",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                path.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
        let png_path = PathBuf::from(format!("{}.png", prefix.display()));
        let png = std::fs::read(&png_path).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert!((412..=414).contains(&w) && (584..=586).contains(&h), "{w}x{h}");
        std::fs::remove_file(&png_path).ok();
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn missing_chars_reports_uncovered() {
        let font = font();
        assert_eq!(font.missing_chars("髙橋 山﨑\n〒123-4567 様「」（）ー"), Vec::<char>::new());
        assert_eq!(font.missing_chars("😀髙"), vec!['😀']);
        // IPAex Gothic covers JIS X 0208 (+ 髙/﨑 etc.) but not this CJK Ext-B character.
        assert_eq!(font.missing_chars("吉𠮷吉𠮷"), vec!['𠮷']);
        let bad = Letter { title: "テスト😀".into(), ..Default::default() };
        assert!(render(&[bad], &font).is_err());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let font = font();
        let mut l = letter("髙橋 一郎", "GD-1", "1234");
        l.paragraphs = vec!["あ".repeat(3000)];
        assert!(check(&l, &font, &Layout::default()).is_ok_and(|pages| pages > 1), "a long body takes more pages");
        let mut l = letter("髙橋 一郎", "GD-1", "1234");
        l.address_lines[1] = "東京都".repeat(40);
        assert_eq!(check(&l, &font, &Layout::default()), Ok(1), "120 characters wrap inside the window");
        l.address_lines[1] = "東京都千代田区".repeat(40);
        assert!(matches!(check(&l, &font, &Layout::default()), Err(LayoutError::AddressTooLong(_))));
        assert!(render(&[l], &font).is_err());
        assert!(render(&[], &font).is_err());
    }

    #[test]
    fn addresses_wrap_at_the_spaces_typed_between_street_building_and_room() {
        let font = font();
        let street = "愛知県名古屋市中区栄2丁目13番16号";
        let building = "サンライズ・グランドパレスセントラルタワー東棟";
        let room = "二十三階二三〇五号室";
        let w = font.width_pt(building, 10.0) + 1.0;
        assert_eq!(
            wrap_address(&font, &format!("{street}\u{3000}{building} {room}"), 10.0, w),
            [street, building, room]
        );
        // Short parts share a line; a part wider than the line is wrapped as text.
        assert_eq!(wrap_address(&font, "東京都 港区", 10.0, 200.0), ["東京都 港区"]);
        let long = "北".repeat(40);
        let lines = wrap_address(&font, &format!("{long} 1-2"), 10.0, 100.0);
        assert_eq!(lines.concat().replace(' ', ""), format!("{long}1-2"));
        assert!(lines.iter().all(|l| font.width_pt(l, 10.0) <= 100.01), "{lines:?}");
        assert_eq!(wrap_address(&font, "", 10.0, 100.0), [""]);
    }

    #[test]
    fn wrap_applies_kinsoku_and_keeps_words() {
        let font = font();
        let size = 10.5;
        let text = "これは「かぎかっこ」や（括弧）、句読点。を含む文章です！ちょっとしたテキストで、ASCII words like certbatch-20261119 stay whole。ショッピングセンターのキャッシュレス決済（QRコード）。";
        for w in [60.0f32, 73.0, 88.0, 101.0, 120.0, 150.0] {
            let lines = wrap(&font, text, size, w);
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""), "no text lost at width {w}");
            for (i, l) in lines.iter().enumerate() {
                assert!(font.width_pt(l, size) <= w + 0.01, "line too wide: {l:?}");
                let first = l.chars().next().unwrap();
                let last = l.chars().last().unwrap();
                if i > 0 {
                    assert!(!no_line_start(first), "line starts with {first:?}: {lines:?}");
                }
                if i + 1 < lines.len() {
                    assert!(!no_line_end(last), "line ends with {last:?}: {lines:?}");
                }
            }
            for word in ["ASCII", "words", "certbatch-20261119", "whole"] {
                if font.width_pt(word, size) <= w {
                    assert!(lines.iter().any(|l| l.contains(word)), "word {word} split at width {w}: {lines:?}");
                }
            }
        }
    }

    #[test]
    #[ignore]
    fn bench_1000_letters() {
        let font = font();
        let base = letters();
        let ls: Vec<Letter> = (0..1000)
            .map(|i| {
                let mut l = base[i % 3].clone();
                l.reference = format!("お申し込みコード: GD-20261119-{i:04}");
                l.secret = Some(format!("{:08}", (i as u64 * 7_919_993) % 100_000_000));
                l
            })
            .collect();
        let t = Instant::now();
        let pdf = render(&ls, &font).unwrap();
        let dt = t.elapsed();
        eprintln!(
            "1000 letters: {:.2?} ({:.2} ms/letter), {} bytes ({} bytes/page)",
            dt,
            dt.as_secs_f64() * 1000.0 / 1000.0,
            pdf.len(),
            pdf.len() / 1000
        );
        assert_eq!(count(&pdf, b"/FontFile2"), 1);
    }
}
