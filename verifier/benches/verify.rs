//! Criterion benchmarks of proof verification at log scale: inclusion in a tree of 2^40
//! leaves, consistency 2^39 → 2^40 (and a harder non-power-of-two pair), the same at 2^20
//! for scale, and the leaf hash of a 100-byte entry.
//!
//! Run with `cargo bench -p verifier`. The inputs are built in `tests/common/workload.rs`,
//! which `tests/timing.rs` also uses for the wasm/native ratio (`scripts/bench-wasm-ratio.sh`).
//!
//! criterion is a native-only dev-dependency; on wasm32 this target is an empty program.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/workload.rs"]
mod workload;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, criterion_group};

    use crate::workload::cases;

    fn verify(c: &mut Criterion) {
        for case in cases() {
            c.bench_function(case.name, |b| b.iter(|| case.run()));
        }
    }

    criterion_group!(benches, verify);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
