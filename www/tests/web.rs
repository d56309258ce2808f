//! The app's parts inside a real browser (headless Chromium through wasm-bindgen-test):
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p www --target wasm32-unknown-unknown
//! ```
//!
//! The QR reader and the streaming file check compiled to wasm32, and the App component
//! mounted in a page: its inputs, the dataset page on `#release`, and what it says when there
//! is no trust list to verify against.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Lets the page's event loop run for `ms` milliseconds.
async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

fn find(css: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.query_selector(css).ok()?
}

/// Waits up to 5 s for `css` to match.
async fn wait_for(css: &str) -> web_sys::Element {
    for _ in 0..100 {
        if let Some(e) = find(css) {
            return e;
        }
        sleep(50).await;
    }
    panic!("{css} never appeared");
}

#[wasm_bindgen_test]
fn qr_codes_are_read_in_wasm() {
    read_back(format!("https://verify.example.org/#bundle={}", "eyJjcmVkZW50aWFsIjp7".repeat(40)));
}

/// A compact link's QR code (the site in byte mode, the digits in numeric mode) is read back
/// in wasm, and its bundle rebuilt to the fixture's JSON.
#[wasm_bindgen_test]
fn compact_qr_codes_are_read_and_rebuilt_in_wasm() {
    let alice = verifier::Bundle::parse(include_bytes!("../../cli/tests/cmd/fixtures/bundles/alice.json"))
        .expect("fixture");
    let digits = verifier::encode_digits(&verifier::write::encode_compact(&alice).expect("compact"));
    let link = format!("https://verify.example.org/#c1={digits}");
    read_back(link.clone());
    assert_eq!(www::app::bundles_from_text(&link), vec![Ok(verifier::bundle_json(&alice))]);
}

/// Draws `link` as a QR code and reads it with the app's camera decoder.
fn read_back(link: String) {
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::L).expect("qr");
    let (n, colors, scale) = (code.width(), code.to_colors(), 4);
    let w = n * scale + 64;
    let mut rgba = vec![255u8; w * w * 4];
    for y in 0..n * scale {
        for x in 0..n * scale {
            if colors[(y / scale) * n + x / scale] == qrcode::Color::Dark {
                let i = ((32 + y) * w + 32 + x) * 4;
                rgba[i..i + 3].fill(0);
            }
        }
    }
    assert_eq!(www::qr::decode_rgba(w, w, &rgba), Some(link));
}

#[wasm_bindgen_test]
fn files_are_checked_in_wasm_whatever_the_chunks() {
    use www::dataset::{FileCheck, RecountSpec};
    let csv = "age,sex,diagnosis\n20-29,F,a\n20-29,F,b\n*,*,c\n30-39,M,a\n30-39,M,a\n";
    let spec = RecountSpec {
        quasi_identifiers: vec!["age".into(), "sex".into()],
        sensitive: vec!["diagnosis".into()],
    };
    let mut results = Vec::new();
    for chunk in [1, 5, 4096] {
        let mut f = FileCheck::new(Some(spec.clone()));
        for c in csv.as_bytes().chunks(chunk) {
            f.update(c);
        }
        results.push(f.finish());
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    let r = results[0].recount.clone().expect("recount asked").expect("recounted");
    assert_eq!((r.rows, r.suppressed, r.classes, r.smallest), (5, 1, 2, 2));
    assert_eq!(r.distinct_l, vec![("diagnosis".to_owned(), 1)]);
}

#[wasm_bindgen_test]
async fn the_app_renders_both_pages_and_says_why_it_cannot_verify() {
    let document = web_sys::window().and_then(|w| w.document()).expect("document");
    let root = document.create_element("div").expect("div");
    document.body().expect("body").append_child(&root).expect("append");
    yew::Renderer::<www::App>::with_root(root).render();

    // The credential page: every way in is there.
    for css in ["#paste", "#verify-paste", "#file", "#nav-release"] {
        wait_for(css).await;
    }
    // The test server has no trust.json: the page says it cannot verify, and why.
    let alert = wait_for("[role=alert]").await.text_content().unwrap_or_default();
    assert!(alert.contains("trust.json"), "{alert}");

    // The dataset page on #release: pick a bundle, paste a row proof.
    web_sys::window().expect("window").location().set_hash("release").expect("hash");
    for css in ["#bundle-file", "#row-proof", "#verify-row"] {
        wait_for(css).await;
    }
    let area: web_sys::HtmlTextAreaElement = wait_for("#row-proof").await.dyn_into().expect("textarea");
    area.set_value("{\"format\": \"ledgerless-row-proof/1\"}");
    let button: web_sys::HtmlElement = wait_for("#verify-row").await.dyn_into().expect("button");
    button.click();
    // Without the site's trust list the page still checks (with keys added on this browser,
    // here none): a malformed proof from no trusted publisher is invalid, and says why.
    let verdict = wait_for("#row-verdict").await;
    assert_eq!(verdict.get_attribute("data-verdict").as_deref(), Some("invalid"));
    let steps = verdict.text_content().unwrap_or_default();
    assert!(steps.contains("Invalid"), "{steps}");
    web_sys::window().expect("window").location().set_hash("").expect("hash");
}
