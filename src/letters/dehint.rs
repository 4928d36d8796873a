//! TrueType hinting removed from the letter font in memory, before it is embedded.
//!
//! Hinting instructions fit outlines to a screen's pixel grid; a printed letter and a PDF
//! viewer at any zoom do without them. In the bundled IPAex Gothic they are about half of
//! every glyph's bytes, and every letter PDF embeds (and deflates) its own font subset, so
//! on a big day they were the largest single cost of writing letters. The outlines are left
//! exactly as they are (a test compares them glyph by glyph).
//!
//! The font file itself is untouched: the IPA Font License lets a recipient use the font
//! "with or without modification" in printed materials and digital documents (Article 2.2),
//! and no modified font is redistributed.

use anyhow::{bail, ensure, Context, Result};

/// Tables that exist only for the instructions.
const HINTING_TABLES: [&[u8; 4]; 3] = [b"fpgm", b"prep", b"cvt "];

/// Composite glyph flags (OpenType `glyf`).
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;
const WE_HAVE_INSTRUCTIONS: u16 = 0x0100;

fn u16_at(b: &[u8], at: usize) -> Result<u16> {
    let s = b.get(at..at + 2).context("the font ends early")?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    let s = b.get(at..at + 4).context("the font ends early")?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

struct Table<'a> {
    tag: [u8; 4],
    data: std::borrow::Cow<'a, [u8]>,
}

/// The font without hinting: every glyph's instructions removed, `fpgm`/`prep`/`cvt `
/// dropped, `loca` rewritten in its long form. Errors on anything but a plain TrueType
/// (`glyf`) font; the caller then embeds the font as it is.
pub fn strip_hinting(font: &[u8]) -> Result<Vec<u8>> {
    let num_tables = usize::from(u16_at(font, 4)?);
    let mut tables = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4).context("the font ends early")?.try_into()?;
        let offset = u32_at(font, rec + 8)? as usize;
        let length = u32_at(font, rec + 12)? as usize;
        let data = font.get(offset..offset + length).with_context(|| format!("table {tag:?} is out of the file"))?;
        tables.push(Table { tag, data: data.into() });
    }
    let find = |tag: &[u8; 4]| tables.iter().position(|t| &t.tag == tag);
    let (Some(head), Some(maxp), Some(loca), Some(glyf)) = (find(b"head"), find(b"maxp"), find(b"loca"), find(b"glyf"))
    else {
        bail!("not a TrueType outline font (no head, maxp, loca or glyf)");
    };
    let long_loca = u16_at(&tables[head].data, 50)? == 1;
    let glyphs = usize::from(u16_at(&tables[maxp].data, 4)?);
    let offsets: Vec<usize> = (0..=glyphs)
        .map(|g| {
            if long_loca {
                u32_at(&tables[loca].data, 4 * g).map(|o| o as usize)
            } else {
                u16_at(&tables[loca].data, 2 * g).map(|o| 2 * usize::from(o))
            }
        })
        .collect::<Result<_>>()?;

    let old = &tables[glyf].data;
    let mut new_glyf = Vec::with_capacity(old.len());
    let mut new_loca = Vec::with_capacity(4 * (glyphs + 1));
    for g in 0..glyphs {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len())?.to_be_bytes());
        let glyph = old.get(offsets[g]..offsets[g + 1]).with_context(|| format!("glyph {g} is out of glyf"))?;
        if !glyph.is_empty() {
            strip_glyph(glyph, &mut new_glyf).with_context(|| format!("glyph {g}"))?;
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len())?.to_be_bytes());

    let mut head_data = tables[head].data.to_vec();
    head_data[50..52].copy_from_slice(&1u16.to_be_bytes());
    head_data[8..12].copy_from_slice(&[0; 4]);
    let mut maxp_data = tables[maxp].data.to_vec();
    // maxSizeOfInstructions (maxp 1.0): there are none now.
    if maxp_data.len() >= 28 {
        maxp_data[26..28].copy_from_slice(&[0, 0]);
    }
    tables[head].data = head_data.into();
    tables[maxp].data = maxp_data.into();
    tables[loca].data = new_loca.into();
    tables[glyf].data = new_glyf.into();
    tables.retain(|t| !HINTING_TABLES.contains(&&t.tag));
    let mut out = assemble(u32_at(font, 0)?, &mut tables)?;

    // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
    let head_at = {
        let i = tables.iter().position(|t| &t.tag == b"head").expect("head is kept");
        u32_at(&out, 12 + 16 * i + 8)? as usize
    };
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjust.to_be_bytes());
    Ok(out)
}

/// Copies one glyph without its instructions.
fn strip_glyph(glyph: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let contours = u16_at(glyph, 0)? as i16;
    if contours >= 0 {
        // header (10), endPtsOfContours, instructionLength, instructions, flags and points.
        let at = 10 + 2 * contours as usize;
        let len = usize::from(u16_at(glyph, at)?);
        let rest = glyph.get(at + 2 + len..).context("instructions run past the glyph")?;
        out.extend_from_slice(&glyph[..at]);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Ok(());
    }
    // A composite: components, then instructions if any component says so.
    let start = out.len();
    let mut at = 10;
    out.extend_from_slice(&glyph[..10]);
    loop {
        let flags = u16_at(glyph, at)?;
        let mut size = 4 + if flags & ARG_1_AND_2_ARE_WORDS != 0 { 4 } else { 2 };
        if flags & WE_HAVE_A_SCALE != 0 {
            size += 2;
        } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
            size += 4;
        } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
            size += 8;
        }
        let component = glyph.get(at..at + size).context("a component runs past the glyph")?;
        out.extend_from_slice(&(flags & !WE_HAVE_INSTRUCTIONS).to_be_bytes());
        out.extend_from_slice(&component[2..]);
        at += size;
        if flags & MORE_COMPONENTS == 0 {
            break;
        }
    }
    ensure!(out.len() - start == at, "a composite glyph was copied wrongly");
    Ok(())
}

/// The OpenType table checksum: the sum of big-endian u32 words, zero-padded.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// Writes an sfnt: the table directory (sorted by tag) and the tables, 4-byte aligned.
fn assemble(version: u32, tables: &mut [Table]) -> Result<Vec<u8>> {
    tables.sort_by_key(|t| t.tag);
    let n = u16::try_from(tables.len())?;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::new();
    out.extend_from_slice(&version.to_be_bytes());
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    for t in tables.iter() {
        out.extend_from_slice(&t.tag);
        out.extend_from_slice(&checksum(&t.data).to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset)?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(t.data.len())?.to_be_bytes());
        offset += t.data.len().next_multiple_of(4);
    }
    for t in tables.iter() {
        out.extend_from_slice(&t.data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skrifa::instance::{LocationRef, Size};
    use skrifa::outline::{DrawSettings, OutlinePen};
    use skrifa::raw::TableProvider;
    use skrifa::MetadataProvider;

    #[derive(Default, PartialEq, Debug)]
    struct Path(Vec<(char, Vec<i64>)>);

    impl OutlinePen for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(('M', vec![x as i64, y as i64]));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(('L', vec![x as i64, y as i64]));
        }
        fn quad_to(&mut self, a: f32, b: f32, x: f32, y: f32) {
            self.0.push(('Q', vec![a as i64, b as i64, x as i64, y as i64]));
        }
        fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
            self.0.push(('C', vec![a as i64, b as i64, c as i64, d as i64, x as i64, y as i64]));
        }
        fn close(&mut self) {
            self.0.push(('Z', vec![]));
        }
    }

    fn outline(font: &skrifa::FontRef, gid: u32) -> Path {
        let mut p = Path::default();
        if let Some(g) = font.outline_glyphs().get(skrifa::GlyphId::new(gid)) {
            g.draw(DrawSettings::unhinted(Size::unscaled(), LocationRef::default()), &mut p).unwrap();
        }
        p
    }

    #[test]
    fn the_bundled_font_loses_its_hinting_and_keeps_every_outline_and_metric() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines/letters/fonts/ipaexg.ttf")).unwrap();
        let stripped = strip_hinting(&bytes).unwrap();
        assert!(stripped.len() * 10 < bytes.len() * 8, "{} → {} bytes", bytes.len(), stripped.len());
        let (a, b) = (skrifa::FontRef::new(&bytes).unwrap(), skrifa::FontRef::new(&stripped).unwrap());
        for tag in HINTING_TABLES {
            assert!(b.table_data(skrifa::Tag::new(tag)).is_none());
        }
        assert_eq!(checksum(&stripped), 0xB1B0_AFBA, "the file's checksum adjustment is right");
        let count = a.maxp().unwrap().num_glyphs();
        assert_eq!(b.maxp().unwrap().num_glyphs(), count);
        // Every glyph's outline and advance, unhinted, is the same.
        let (ma, mb) = (
            a.glyph_metrics(Size::unscaled(), LocationRef::default()),
            b.glyph_metrics(Size::unscaled(), LocationRef::default()),
        );
        for gid in 0..u32::from(count) {
            assert_eq!(outline(&a, gid), outline(&b, gid), "glyph {gid}");
            let g = skrifa::GlyphId::new(gid);
            assert_eq!(ma.advance_width(g), mb.advance_width(g));
        }
        assert_eq!(a.charmap().mappings().collect::<Vec<_>>(), b.charmap().mappings().collect::<Vec<_>>());
    }

    #[test]
    fn a_font_that_is_not_truetype_is_refused() {
        assert!(strip_hinting(b"OTTO\0\0\0\0").is_err());
        assert!(strip_hinting(b"").is_err());
    }
}
