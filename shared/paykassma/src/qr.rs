//! QR codes for the gateway's `qr_data` (a `upi://pay?...` link), rendered here because the
//! seed's suggestion (Google Charts' QR API) is retired and the gateway's own `qr_string` PNG
//! is not always what a frontend wants (size, vector output).
//!
//! Both renderers use error correction level M, a quiet zone of 4 modules (the QR standard's
//! minimum, needed by phone scanners) and 8 pixels per module, so a typical UPI link
//! (version 5-7, 37-45 modules) comes out around 360-420 px: sharp on a phone screen without
//! scaling.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

/// Pixels per QR module (the PNG's, and the SVG's drawn size).
pub const MODULE_SIZE: u32 = 8;

/// Modules of white around the code: the QR standard's minimum, which phone scanners need.
const QUIET_ZONE: usize = 4;

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

/// An SVG document (black modules on white, quiet zone included) encoding `data`: one unit
/// per module in the `viewBox`, drawn [`MODULE_SIZE`] pixels wide, each row's runs of dark
/// modules as one rectangle. About 6 KB for a UPI link (the `qrcode` crate's renderer, a
/// rectangle per module at pixel coordinates, made 16 KB), which matters because deposit
/// answers carry it inline.
pub fn to_svg(data: &str) -> Result<String, QrError> {
    use std::fmt::Write as _;
    let code = encode(data)?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let pixels = side as u32 * MODULE_SIZE;
    let mut path = String::with_capacity(width * width / 2);
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == qrcode::Color::Dark {
                x += 1;
            }
            let (left, top) = (start + QUIET_ZONE, y + QUIET_ZONE);
            let _ = write!(path, "M{left} {top}h{}v1H{left}z", x - start);
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
    ))
}

/// [`to_svg`] as a `data:image/svg+xml;base64,...` URL: an `<img src>` shows it with no
/// request of its own (so no bearer token is needed to show a QR code).
pub fn to_svg_data_url(data: &str) -> Result<String, QrError> {
    use base64::Engine as _;
    let svg = to_svg(data)?;
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
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

/// The side of the rendered image, in pixels (the PNG's, and the SVG's `width`), for `data`.
pub fn image_side(data: &str) -> Result<u32, QrError> {
    let code = encode(data)?;
    // `width()` is at most 177 modules (version 40), so the cast cannot truncate.
    let modules = code.width() as u32;
    Ok((modules + 2 * QUIET_ZONE as u32) * MODULE_SIZE)
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
        let modules = side / MODULE_SIZE;
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(
            svg.contains(&format!(
                r#"width="{side}" height="{side}" viewBox="0 0 {modules} {modules}""#
            )),
            "{svg}"
        );
        let dark = QrCode::with_error_correction_level(SEED, EcLevel::M)
            .unwrap()
            .to_colors()
            .into_iter()
            .filter(|c| *c == qrcode::Color::Dark)
            .count();
        // The runs' widths add up to the dark modules, in fewer rectangles than modules.
        let runs = runs(&svg);
        assert_eq!(runs.iter().map(|r| r[2]).sum::<u32>() as usize, dark);
        assert!(
            runs.len() < dark * 2 / 3,
            "{} runs, {dark} modules",
            runs.len()
        );
        assert!(svg.len() < 6_000, "{} bytes", svg.len());
    }

    /// `[x, y, w]` of each `M{x} {y}h{w}v1H{x}z` run, the only shape the renderer draws.
    fn runs(svg: &str) -> Vec<[u32; 3]> {
        let path = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        path.split('M')
            .filter(|r| !r.is_empty())
            .map(|run| {
                let nums: Vec<u32> = run
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|n| !n.is_empty())
                    .map(|n| n.parse().unwrap())
                    .collect();
                let [x, y, w, 1, x2] = nums[..] else {
                    panic!("unexpected path segment {run:?}")
                };
                assert_eq!(x, x2, "{run:?}");
                [x, y, w]
            })
            .collect()
    }

    /// Paints the SVG's runs onto a white bitmap at [`MODULE_SIZE`], so the SVG itself can be
    /// scanned.
    fn rasterize_svg(svg: &str, side: u32) -> image::GrayImage {
        let mut img = image::GrayImage::from_pixel(side, side, Luma([255]));
        for [x, y, w] in runs(svg) {
            for py in y * MODULE_SIZE..(y + 1) * MODULE_SIZE {
                for px in x * MODULE_SIZE..(x + w) * MODULE_SIZE {
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
    fn the_data_url_is_the_svg() {
        use base64::Engine as _;
        let url = to_svg_data_url(SEED).unwrap();
        let encoded = url.strip_prefix("data:image/svg+xml;base64,").unwrap();
        let svg = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(String::from_utf8(svg).unwrap(), to_svg(SEED).unwrap());
        assert_eq!(to_svg_data_url(""), Err(QrError::Empty));
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
