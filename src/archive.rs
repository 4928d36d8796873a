//! The scan archive: every usable scan copied into the state folder under its SHA-256,
//! so a later day can prove what was received.
//!
//! Takes today's documents and their scans; gives the hash of each stored copy. A scan
//! that shows a My Number is masked first: the region is filled in the pixels and the image
//! re-encoded as PNG, which carries no EXIF block or embedded thumbnail over, so the
//! number cannot be restored (seed 001 §4.3). The unmasked original is never written here.
//! Files are written atomically; writing the same content twice is a no-op.

use crate::fsio::write_output;
use crate::intake::scans::limits;
use crate::record::{hex, Rect};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::{Path, PathBuf};

pub const ARCHIVE_DIR: &str = "archive";

/// Where the archive keeps content with this hash: `archive/ab/abcdef….ext`.
pub fn path_for(state: &Path, sha256: &str, ext: &str) -> PathBuf {
    state.join(ARCHIVE_DIR).join(&sha256[..2]).join(format!("{sha256}.{ext}"))
}

/// Fills `region` (clipped to the image) with black and re-encodes as PNG.
pub fn mask_image(bytes: &[u8], region: Rect) -> Result<Vec<u8>> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    reader.limits(limits());
    let img = reader.decode().context("the scan does not decode")?;
    let (w, h) = (img.width(), img.height());
    anyhow::ensure!(
        region.x < w && region.y < h,
        "the mask region {},{} lies outside the {w}x{h} image",
        region.x,
        region.y
    );
    let x_end = region.x.saturating_add(region.w).min(w);
    let y_end = region.y.saturating_add(region.h).min(h);
    // Work in 8-bit luma or RGB: every scan kind converts to one, and neither keeps
    // anything but pixels.
    let masked = if img.color().has_color() {
        let mut rgb = img.to_rgb8();
        for y in region.y..y_end {
            for x in region.x..x_end {
                rgb.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        image::DynamicImage::ImageRgb8(rgb)
    } else {
        let mut luma = img.to_luma8();
        for y in region.y..y_end {
            for x in region.x..x_end {
                luma.put_pixel(x, y, image::Luma([0]));
            }
        }
        image::DynamicImage::ImageLuma8(luma)
    };
    let mut out = Vec::new();
    masked.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// Stores `bytes` (already masked where needed) and gives its SHA-256.
pub fn store(state: &Path, bytes: &[u8], ext: &str) -> Result<String> {
    let sha = hex(&Sha256::digest(bytes));
    let path = path_for(state, &sha, ext);
    if !path.exists() {
        // Private: scans of residence and seal certificates are personal data.
        write_output(&path, bytes, true)?;
    }
    Ok(sha)
}

/// Archives one listed scan: reads it, masks it when `mask` is given, stores it.
pub fn archive_scan(state: &Path, scans_root: &Path, file: &str, mask: Option<Rect>) -> Result<String> {
    let path = scans_root.join(file);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    // Masking decodes and re-encodes the pixels: hold their share of the decoding budget.
    let pixels = if mask.is_some() { crate::intake::scans::decoded_size(&path).unwrap_or(0) * 2 } else { 0 };
    let _held = crate::intake::scans::budget().hold(len + pixels);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read scans/{file}"))?;
    match mask {
        Some(region) => store(state, &mask_image(&bytes, region)?, "png"),
        None => {
            let ext = file.rsplit('.').next().unwrap_or("bin").to_ascii_lowercase();
            store(state, &bytes, &ext)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_fills_the_region_and_only_it() {
        let img = image::GrayImage::from_fn(40, 30, |x, y| image::Luma([(100 + x + y) as u8]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let out = mask_image(&png, Rect { x: 5, y: 5, w: 10, h: 4 }).unwrap();
        let back = image::load_from_memory(&out).unwrap().to_luma8();
        for y in 0..30 {
            for x in 0..40 {
                let inside = (5..15).contains(&x) && (5..9).contains(&y);
                assert_eq!(back.get_pixel(x, y)[0] == 0, inside, "pixel {x},{y}");
            }
        }
    }

    #[test]
    fn a_region_outside_the_image_is_refused() {
        let mut png = Vec::new();
        image::GrayImage::new(10, 10).write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert!(mask_image(&png, Rect { x: 50, y: 0, w: 5, h: 5 }).is_err());
    }

    #[test]
    fn storing_is_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(dir.path(), b"hello", "png").unwrap();
        let b = store(dir.path(), b"hello", "png").unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read(path_for(dir.path(), &a, "png")).unwrap(), b"hello");
    }
}
