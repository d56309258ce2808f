//! Tells the test suite whether the shared test vectors (`../shared/vectors`, next to the
//! workspace, not in the repository) are present, as `cfg(shared_vectors)`.
//!
//! Only tests read the vectors (with `include_str!`); the library itself ignores the cfg.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(shared_vectors)");
    println!("cargo::rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let vectors = manifest_dir.join("../../shared/vectors");
    if vectors.is_dir() {
        println!("cargo::rustc-cfg=shared_vectors");
        // Rerun (and drop the cfg) if the folder goes away or changes.
        println!("cargo::rerun-if-changed={}", vectors.display());
    }
    // When the folder is absent we deliberately watch nothing more: a missing path would make
    // cargo rerun this script, and rebuild the crate, on every build. After adding
    // ../shared, `touch verifier/build.rs` (or `cargo clean -p verifier`) picks it up.
}
