//! Append benchmark (run in release: `scripts/bench-tlog.sh`).
//!
//! 1. Appends N (default 1,000,000) entries of ~100 bytes in one batch, tiles on disk, and in
//!    the same run times the bare cost of hashing the same entries and tree nodes with sha2;
//!    prints entries/s and the ratio.
//! 2. Appends 10 batches of 1 entry to that log and prints the time of each.
//! 3. With `--big M`, appends M entries (e.g. 10,000,000) and prints the peak resident memory.

use std::time::Instant;

use tlog::{LockMode, Log};
use verifier::write::SignerKey;
use verifier::{Hash, KeyKind, leaf_hash, node_hash};

fn entry(i: u64) -> Vec<u8> {
    // ~100 bytes, like a credential's log entry.
    format!(
        "{{\"id\":\"cred-{i:012}\",\"type\":\"licence\",\"root\":\"{:064x}\"}}",
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
    .into_bytes()
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Bare cost: the leaf hash of every entry and the n-1 interior nodes of the tree, with the
/// same sha2-based `leaf_hash`/`node_hash` the log uses, and nothing else (no tiles, no I/O).
fn bare_hashing(n: u64) -> f64 {
    let t = Instant::now();
    let mut stack: Vec<Hash> = Vec::new();
    for i in 0..n {
        let mut node = leaf_hash(&entry(i));
        // Merge like a binary counter: one interior node per leaf, as the tree has.
        let mut k = i + 1;
        while k & 1 == 0 {
            let left = stack.pop().unwrap_or_default();
            node = node_hash(&left, &node);
            k >>= 1;
        }
        stack.push(node);
    }
    std::hint::black_box(&stack);
    t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args
        .iter()
        .position(|a| a == "--n")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let big: Option<u64> =
        args.iter().position(|a| a == "--big").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok());
    let base = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("ledgerless-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let key = SignerKey::from_seed("bench.example/log", KeyKind::Ed25519, &[1; 32]).expect("key");

    if let Some(m) = big {
        let mut log = Log::init(&dir, key).expect("init");
        let t = Instant::now();
        let c = log.append((0..m).map(|i| Ok(entry(i))), &mut |_, _| {}).expect("append");
        let s = t.elapsed().as_secs_f64();
        println!(
            "big append: {} entries in {s:.2} s ({:.0} entries/s), peak RSS {:.1} MiB",
            c.size,
            m as f64 / s,
            peak_rss_mib()
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    let bare = bare_hashing(n);
    let mut log = Log::init(&dir, key.clone()).expect("init");
    let t = Instant::now();
    let c = log.append((0..n).map(|i| Ok(entry(i))), &mut |_, _| {}).expect("append");
    let s = t.elapsed().as_secs_f64();
    println!(
        "batch append: {} entries in {s:.3} s = {:.0} entries/s; bare hashing (leaf_hash/node_hash on sha2) of the same entries and nodes {bare:.3} s; ratio {:.2}",
        c.size,
        n as f64 / s,
        s / bare
    );
    drop(log);
    let mut times = Vec::new();
    for i in 0..10 {
        let t = Instant::now();
        let mut log = Log::open(&dir, key.clone(), LockMode::Fail, &mut || {}).expect("open");
        log.append(std::iter::once(Ok(entry(n + i))), &mut |_, _| {}).expect("append 1");
        drop(log);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let max = times.iter().cloned().fold(0.0, f64::max);
    println!(
        "single appends to a {n}-entry log (open + verify edge + append 1 + sync + sign + publish): mean {mean:.2} ms, max {max:.2} ms; each: {}",
        times.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>().join(" ")
    );
    println!("peak RSS {:.1} MiB", peak_rss_mib());
    let _ = std::fs::remove_dir_all(&dir);
}
