//! The wasm/native ratio: the operations of `benches/verify.rs`, timed the same way on both
//! targets (`tests/common/workload.rs`). Ignored by default, as it takes a while and only
//! means something in release mode; `scripts/bench-wasm-ratio.sh` runs both with
//! `cargo test --release ... -- --include-ignored --nocapture` and prints the table.
//!
//! Each test prints one `TIMING <target> <operation> <ns/op> <proof len>` line per operation.

mod common {
    pub(crate) mod workload;
}

use common::workload::{cases, ns_per_op, timing_line};

#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "timing; run by scripts/bench-wasm-ratio.sh"]
fn native_ns_per_op() {
    let origin = std::time::Instant::now();
    let now_ms = || origin.elapsed().as_secs_f64() * 1e3;
    for case in cases() {
        let t = ns_per_op(&case, now_ms);
        println!("{}", timing_line("native", &case, t));
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

    use super::{cases, ns_per_op, timing_line};

    wasm_bindgen_test_configure!(run_in_browser);

    /// `performance.now()` of the page, in milliseconds.
    fn performance_now() -> impl Fn() -> f64 {
        let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .expect("the browser has a global `performance`");
        let now: js_sys::Function = js_sys::Reflect::get(&performance, &"now".into())
            .expect("`performance` has `now`")
            .dyn_into()
            .expect("`performance.now` is a function");
        move || {
            now.call0(&performance)
                .expect("`performance.now()` does not throw")
                .as_f64()
                .expect("`performance.now()` is a number")
        }
    }

    #[wasm_bindgen_test]
    #[ignore = "timing; run by scripts/bench-wasm-ratio.sh"]
    fn wasm_ns_per_op() {
        let now_ms = performance_now();
        for case in cases() {
            let t = ns_per_op(&case, &now_ms);
            console_log!("{}", timing_line("wasm", &case, t));
        }
    }
}
