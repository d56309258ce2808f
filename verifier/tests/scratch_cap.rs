#![cfg(not(target_arch = "wasm32"))]
#[test]
fn cap() {
    for target in [15i16, 20, 21, 25] {
        let mut best = 0;
        for n in 300..1600 {
            let link = format!("https://verify.example.org/#c1={}", verifier::encode_digits(&vec![0xa7u8; n]));
            let v = match qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::L) {
                Ok(c) => match c.version() { qrcode::Version::Normal(v) => v, _ => 0 },
                Err(_) => 99,
            };
            if v <= target { best = n; }
        }
        println!("v{target}: {best} bytes");
    }
}
