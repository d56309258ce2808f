//! Reading a QR code from a camera frame (RGBA pixels), with rqrr (pure Rust; browsers on
//! Linux and Windows have no `BarcodeDetector`). Pure, so tested natively.

/// The text of the first QR code found in an RGBA frame `width` × `height`, if any.
pub fn decode_rgba(width: usize, height: usize, rgba: &[u8]) -> Option<String> {
    if width == 0 || height == 0 || rgba.len() < width * height * 4 {
        return None;
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let i = (y * width + x) * 4;
        // ITU-R BT.601 luma, in integers.
        ((u32::from(rgba[i]) * 299 + u32::from(rgba[i + 1]) * 587 + u32::from(rgba[i + 2]) * 114) / 1000)
            as u8
    });
    img.detect_grids().iter().find_map(|g| g.decode().ok().map(|(_, text)| text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a QR code drawn `scale` pixels per module with a 4-module quiet zone, in an
    /// RGBA frame of `w` × `h` (dark modules black on white, centred).
    fn frame(text: &str, scale: usize, w: usize, h: usize) -> Vec<u8> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L).unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let (ox, oy) = ((w - n * scale) / 2, (h - n * scale) / 2);
        let mut rgba = vec![255u8; w * h * 4];
        for y in 0..n * scale {
            for x in 0..n * scale {
                if colors[(y / scale) * n + x / scale] == qrcode::Color::Dark {
                    let i = ((oy + y) * w + ox + x) * 4;
                    rgba[i..i + 3].fill(0);
                }
            }
        }
        rgba
    }

    #[test]
    fn reads_a_link_and_a_long_bundle_link() {
        let short = "https://verify.example.org/#bundle=eyJhIjoxfQ";
        assert_eq!(decode_rgba(320, 240, &frame(short, 4, 320, 240)).as_deref(), Some(short));
        // A share link as long as the demo's (~2.9 KB: QR version 40).
        let long = format!("http://127.0.0.1:8080/#bundle={}", "eyJjcmVkZW50aWFsIjp7".repeat(143));
        assert_eq!(decode_rgba(900, 900, &frame(&long, 4, 900, 900)).as_deref(), Some(long.as_str()));
    }

    /// The QR code `ledgerless share --qr` makes holds the site in byte mode and the compact
    /// bundle's digits in numeric mode: the camera path reads mixed-mode codes back exactly.
    #[test]
    fn reads_a_compact_link_in_mixed_modes() {
        let alice =
            verifier::Bundle::parse(include_bytes!("../../cli/tests/cmd/fixtures/bundles/alice.json"))
                .expect("fixture");
        let digits = verifier::encode_digits(&verifier::write::encode_compact(&alice).expect("compact"));
        let link = format!("https://verify.example.org/#c1={digits}");
        let read = decode_rgba(640, 640, &frame(&link, 4, 640, 640)).expect("a code is found");
        assert_eq!(read, link);
        assert_eq!(crate::app::bundles_from_text(&read), vec![Ok(verifier::bundle_json(&alice))]);
        // As long as a full bundle from a 1M-entry log (3,682 characters, QR version 29).
        let long = format!("https://verify.example.org/#c1={}", "31415926535897932".repeat(215));
        assert_eq!(decode_rgba(900, 900, &frame(&long, 4, 900, 900)).as_deref(), Some(long.as_str()));
    }

    #[test]
    fn no_code_no_text() {
        assert_eq!(decode_rgba(64, 48, &vec![255; 64 * 48 * 4]), None);
        assert_eq!(decode_rgba(64, 48, &[0; 10]), None, "short buffer");
        assert_eq!(decode_rgba(0, 0, &[]), None);
    }
}
