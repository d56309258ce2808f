//! The benchmark workload, shared by `benches/verify.rs` (criterion, native) and
//! `tests/timing.rs` (the wasm/native ratio), so both measure exactly the same operations.
//!
//! Proofs are made of arbitrary hashes of the right length; the expected roots are computed
//! from them with the verifier's own `root_from_*` functions, so every operation verifies
//! (and walks the whole proof) rather than failing early.

// Each includer uses a different part of this file.
#![allow(dead_code)]

use std::hint::black_box;

use verifier::{
    Hash, consistency_proof_len, inclusion_proof_len, leaf_hash, root_from_inclusion_proof,
    roots_from_consistency_proof, verify_consistency, verify_inclusion,
};

/// One benchmarked operation with its inputs.
pub(crate) struct Case {
    /// Benchmark id, e.g. `inclusion_2^40`.
    pub(crate) name: &'static str,
    /// Hashes in the proof (0 for a leaf hash).
    pub(crate) proof_len: usize,
    op: Op,
}

enum Op {
    LeafHash(Vec<u8>),
    Inclusion { index: u64, size: u64, leaf: Hash, proof: Vec<Hash>, root: Hash },
    Consistency { size1: u64, size2: u64, proof: Vec<Hash>, root1: Hash, root2: Hash },
}

impl Case {
    /// Runs the operation once, on black-boxed inputs; returns whether it verified.
    #[inline]
    pub(crate) fn run(&self) -> bool {
        match &self.op {
            Op::LeafHash(entry) => {
                black_box(leaf_hash(black_box(entry)));
                true
            }
            Op::Inclusion { index, size, leaf, proof, root } => verify_inclusion(
                black_box(*index),
                black_box(*size),
                black_box(leaf),
                black_box(proof),
                black_box(root),
            )
            .is_ok(),
            Op::Consistency { size1, size2, proof, root1, root2 } => verify_consistency(
                black_box(*size1),
                black_box(*size2),
                black_box(proof),
                black_box(root1),
                black_box(root2),
            )
            .is_ok(),
        }
    }
}

/// `n` arbitrary, distinct hashes derived from `seed`.
fn arbitrary_hashes(seed: u64, n: usize) -> Vec<Hash> {
    (0..n as u64).map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat())).collect()
}

fn inclusion(name: &'static str, index: u64, size: u64) -> Case {
    let leaf = leaf_hash(b"ledgerless benchmark entry");
    let proof = arbitrary_hashes(index, inclusion_proof_len(index, size));
    let root =
        root_from_inclusion_proof(index, size, &leaf, &proof).expect("proof has the length the shape needs");
    Case { name, proof_len: proof.len(), op: Op::Inclusion { index, size, leaf, proof, root } }
}

fn consistency(name: &'static str, size1: u64, size2: u64) -> Case {
    let proof = arbitrary_hashes(size1, consistency_proof_len(size1, size2));
    // Used as the old root only when size1 is a power of two; otherwise proof[0] seeds both.
    let seed = leaf_hash(b"ledgerless benchmark old root");
    let (root1, root2) = roots_from_consistency_proof(size1, size2, &proof, &seed)
        .expect("proof has the length the shape needs");
    Case { name, proof_len: proof.len(), op: Op::Consistency { size1, size2, proof, root1, root2 } }
}

const P20: u64 = 1 << 20;
const P40: u64 = 1 << 40;

/// Every benchmarked operation, each checked to verify.
pub(crate) fn cases() -> Vec<Case> {
    let entry: Vec<u8> = (0..100u8).collect();
    let cases = vec![
        Case { name: "leaf_hash_100B", proof_len: 0, op: Op::LeafHash(entry) },
        // A pseudo-random index (golden-ratio bits): 40 hashes, taken from both sides.
        inclusion("inclusion_2^40", 0x9E_3779_B97F, P40),
        consistency("consistency_2^39_to_2^40", P40 / 2, P40),
        consistency("consistency_(2^39+12345)_to_(2^40-1)", P40 / 2 + 12345, P40 - 1),
        inclusion("inclusion_2^20", 0x9_E377, P20),
        consistency("consistency_2^19_to_2^20", P20 / 2, P20),
        consistency("consistency_(2^19+12345)_to_(2^20-1)", P20 / 2 + 12345, P20 - 1),
    ];
    for c in &cases {
        assert!(c.run(), "{} does not verify", c.name);
    }
    cases
}

/// Iterations per timing round, and timed rounds per operation (the median round is reported).
pub(crate) const ITERATIONS: u32 = 20_000;
pub(crate) const ROUNDS: usize = 11;

/// Nanoseconds per operation over the timed rounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// The median round.
    pub(crate) median: f64,
    /// The fastest round.
    pub(crate) min: f64,
    /// The slowest round.
    pub(crate) max: f64,
}

/// The shortest untimed warm-up per operation, in milliseconds. Why: V8 first runs wasm
/// with its baseline compiler and swaps in optimized code compiled on a background thread,
/// which takes longer on a busy machine; a fixed count of cheap runs was not always enough.
pub(crate) const WARM_UP_MS: f64 = 500.0;

/// Times `case` the same way on every target: an untimed warm-up of at least `ITERATIONS`
/// runs and `WARM_UP_MS`, then `ROUNDS` rounds of `ITERATIONS` runs each, each timed as a
/// whole with `now_ms` (a monotonic clock in milliseconds).
pub(crate) fn ns_per_op(case: &Case, now_ms: impl Fn() -> f64) -> Timing {
    let mut ok = true;
    let start = now_ms();
    let mut runs = 0u32;
    while runs < ITERATIONS || now_ms() - start < WARM_UP_MS {
        for _ in 0..1000 {
            ok &= case.run();
        }
        runs += 1000;
    }
    let mut rounds = [0f64; ROUNDS];
    for r in &mut rounds {
        let start = now_ms();
        for _ in 0..ITERATIONS {
            ok &= case.run();
        }
        *r = (now_ms() - start) * 1e6 / f64::from(ITERATIONS);
    }
    assert!(ok, "{} stopped verifying", case.name);
    rounds.sort_by(f64::total_cmp);
    Timing { median: rounds[ROUNDS / 2], min: rounds[0], max: rounds[ROUNDS - 1] }
}

/// The line `scripts/bench-wasm-ratio.sh` parses:
/// `TIMING <target> <name> <median ns/op> <proof len> <min ns/op> <max ns/op>`.
pub(crate) fn timing_line(target: &str, case: &Case, t: Timing) -> String {
    format!("TIMING {target} {} {:.1} {} {:.1} {:.1}", case.name, t.median, case.proof_len, t.min, t.max)
}
