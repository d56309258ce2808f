//! Rebuilds `examples/registry/` (the README's shipped example) from fixed seeds.
//!
//! Usage: `cargo run -p tests --example build_example [DIR]` (default `examples/registry`).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/registry"));
    std::fs::create_dir_all(&dir)?;
    for (name, contents) in tests::example::build() {
        std::fs::write(dir.join(name), contents)?;
        println!("wrote {}", dir.join(name).display());
    }
    Ok(())
}
