//! QR codes for the gateway's `qr_data` (a `upi://pay?...` link), rendered here because the
//! seed's suggestion (Google Charts' QR API) is retired and the gateway's own `qr_string` PNG
//! is not always what a frontend wants (size, vector output).
//!
//! Both renderers use error correction level M, a quiet zone of 4 modules (the QR standard's
//! minimum, needed by phone scanners) and 8 units per module, so a typical UPI link
//! (version 5-7, 37-45 modules) comes out around 360-420 px: sharp on a phone screen without
//! scaling.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

/// Pixels (PNG) or user units (SVG) per QR module.
pub const MODULE_SIZE: u32 = 8;

/// Why a QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// There is nothing to encode: a blank `qr_data` is a gateway or caller bug, not a QR.
    #[error("no data to encode")]
    Empty,
    /// More bytes than the largest QR code (version 40) holds at level M.
    #[error("data too long for a QR code ({len} bytes)")]
    TooLong { len: usize },
    /// Any other refusal by the encoder.
    #[error("cannot encode the data as a QR code: {0}")]
    Encode(String),
    /// The PNG writer failed (in memory: not expected in practice).
    #[error("cannot write the PNG: {0}")]
    Png(String),
}

fn encode(data: &str) -> Result<QrCode, QrError> {
    if data.is_empty() {
        return Err(QrError::Empty);
    }
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => QrError::TooLong { len: data.len() },
        other => QrError::Encode(other.to_string()),
    })
}

/// An SVG document (black modules on white, `viewBox` set, quiet zone included) encoding `data`.
pub fn to_svg(data: &str) -> Result<String, QrError> {
    let code = encode(data)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_SIZE, MODULE_SIZE)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// A greyscale PNG (black modules on white, quiet zone included) encoding `data`.
pub fn to_png(data: &str) -> Result<Vec<u8>, QrError> {
    let code = encode(data)?;
    let image = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_SIZE, MODULE_SIZE)
        .build();
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

/// The side of the rendered image, in pixels (PNG) or user units (SVG), for `data`.
pub fn image_side(data: &str) -> Result<u32, QrError> {
    let code = encode(data)?;
    // `width()` is at most 177 modules (version 40), so the cast cannot truncate.
    let modules = code.width() as u32;
    Ok((modules + 2 * 4) * MODULE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "upi://pay?pa=test@bank&pn=Test%20test&am=100&tn=IT32021661770570987&tr=IT32021661770570987";

    fn decode_png(png: &[u8]) -> String {
        let img = image::load_from_memory_with_format(png, ImageFormat::Png)
            .unwrap()
            .to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn png_of_seed_qr_data_decodes_back() {
        let png = to_png(SEED).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(decode_png(&png), SEED);
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(img.width(), image_side(SEED).unwrap());
        assert_eq!(img.width(), img.height());
        // The quiet zone is white: the whole first 4 modules' worth of rows.
        let luma = img.to_luma8();
        assert!(
            luma.rows()
                .take((4 * MODULE_SIZE) as usize)
                .flatten()
                .all(|p| p.0[0] == 255)
        );
    }

    #[test]
    fn png_of_long_and_unicode_data_decodes_back() {
        let long = format!(
            "upi://pay?pa=merchant.very.long.handle@okaxis&pn=A%20Merchant%20Name&am=187239.19&tn={}&tr=T{}&cu=INR",
            "x".repeat(400),
            "9".repeat(30)
        );
        assert_eq!(decode_png(&to_png(&long).unwrap()), long);
        let unicode = "upi://pay?pa=a@b&pn=दुकान";
        assert_eq!(decode_png(&to_png(unicode).unwrap()), unicode);
    }

    #[test]
    fn svg_is_a_complete_document_with_every_dark_module() {
        let svg = to_svg(SEED).unwrap();
        let side = image_side(SEED).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)),
            "{svg}"
        );
        let dark = QrCode::with_error_correction_level(SEED, EcLevel::M)
            .unwrap()
            .to_colors()
            .into_iter()
            .filter(|c| *c == qrcode::Color::Dark)
            .count();
        // One `M` (move-to) per dark module in the path data.
        let path = svg.split(" d=\"").nth(1).unwrap();
        assert_eq!(path.matches('M').count(), dark);
        assert!(dark > 100);
    }

    /// Paints the SVG's path (`M{x} {y}h{w}v{h}H{x}V{y}` rectangles, the only shape the
    /// renderer emits) onto a white bitmap, so the SVG itself can be scanned.
    fn rasterize_svg(svg: &str, side: u32) -> image::GrayImage {
        let mut img = image::GrayImage::from_pixel(side, side, Luma([255]));
        let path = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        for rect in path.split('M').filter(|r| !r.is_empty()) {
            let nums: Vec<u32> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let [x, y, w, h, ..] = nums[..] else {
                panic!("unexpected path segment {rect:?}")
            };
            for py in y..y + h {
                for px in x..x + w {
                    img.put_pixel(px, py, Luma([0]));
                }
            }
        }
        img
    }

    #[test]
    fn svg_decodes_back_when_painted() {
        for data in [SEED, "upi://pay?pa=a@b&pn=दुकान&am=1.50"] {
            let svg = to_svg(data).unwrap();
            let img = rasterize_svg(&svg, image_side(data).unwrap());
            let mut prepared = rqrr::PreparedImage::prepare(img);
            let grids = prepared.detect_grids();
            assert_eq!(grids.len(), 1);
            assert_eq!(grids[0].decode().unwrap().1, data);
        }
    }

    #[test]
    fn too_long_and_empty_data_are_errors() {
        let huge = "a".repeat(3000);
        assert_eq!(to_png(&huge), Err(QrError::TooLong { len: 3000 }));
        assert_eq!(to_svg(&huge), Err(QrError::TooLong { len: 3000 }));
        assert_eq!(to_png(""), Err(QrError::Empty));
        assert_eq!(to_svg(""), Err(QrError::Empty));
    }
}
