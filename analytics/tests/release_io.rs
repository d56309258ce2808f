//! Reading inputs and writing releases (issue 12): batches whose columns are chunked
//! differently are written (polars' Parquet writer panicked on them with many threads), CSV
//! header names are unescaped, killed runs' staging directories are cleaned up, and an existing
//! release is replaced only when asked.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the test failing

use std::path::{Path, PathBuf};

use analytics::anonymise::{Existing, anonymise, anonymise_with};
use analytics::data::{Input, write_both};
use polars::prelude::*;

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("analytics-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn batches_with_differently_chunked_columns_are_written_whole() {
    // What sink_batches hands over when morsels are small: one column in two chunks, the other
    // in one. polars' batched Parquet writer builds one RecordBatch per chunk index and
    // panicked ("RecordBatch requires all its arrays to have an equal number of rows").
    let mut a = Series::new("a".into(), ["x", "y", "z"]);
    a.append(&Series::new("a".into(), ["u", "v"])).unwrap();
    let b = Series::new("b".into(), ["1", "2", "3", "4", "5"]);
    assert_eq!((a.n_chunks(), b.n_chunks()), (2, 1));
    let df = DataFrame::new(5, vec![a.into(), b.into()]).unwrap();
    assert!(df.should_rechunk());
    let dir = TempDir::new("chunks");
    let (csv, pq) = (dir.0.join("m.csv"), dir.0.join("m.parquet"));
    assert_eq!(write_both(df.lazy(), &csv, &pq).unwrap(), 5);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().trim_start_matches('\u{feff}'),
        "a,b\nx,1\ny,2\nz,3\nu,4\nv,5\n"
    );
    let back = LazyFrame::scan_parquet(PlRefPath::new(pq.to_str().unwrap()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap();
    assert_eq!(back.height(), 5);
    assert_eq!(back.column("a").unwrap().str().unwrap().get(3), Some("u"));
}

#[test]
fn csv_header_names_are_unescaped() {
    let dir = TempDir::new("header");
    let input = dir.0.join("in.csv");
    std::fs::write(&input, "\"na\"\"me\",\"a,b\",c\nA,1,x\nB,2,y\n").unwrap();
    let i = Input::open(&input).unwrap();
    assert_eq!(i.columns, ["na\"me", "a,b", "c"]);
    let df = i.combinations(&["na\"me".to_string()]).unwrap();
    assert_eq!(df.height(), 2);
}

fn small_release_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let input = dir.join("in.csv");
    let mut csv = String::from("\"na\"\"me\",sex,dx\n");
    for i in 0..40 {
        csv.push_str(&format!("p{i},{},d{}\n", if i % 2 == 0 { "F" } else { "M" }, i % 3));
    }
    std::fs::write(&input, csv).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "k = 5\ndrop = [\"na\\\"me\"]\n[[quasi_identifier]]\ncolumn = \"sex\"\nhierarchy = { builtin = \"suppress\" }\n[[sensitive]]\ncolumn = \"dx\"\nl = 2\n",
    )
    .unwrap();
    (input, policy)
}

#[test]
fn a_killed_runs_staging_directory_is_removed_and_a_live_ones_kept() {
    let dir = TempDir::new("stale");
    let (input, policy) = small_release_inputs(&dir.0);
    // Left by a run killed with -9 (nobody holds its lock) and one still running (locked).
    let dead = dir.0.join(".rel.partial-4194304");
    std::fs::create_dir_all(dead.join("tables")).unwrap();
    std::fs::write(dead.join("microdata.csv"), "half").unwrap();
    let live = dir.0.join(".rel.partial-4194305");
    std::fs::create_dir_all(&live).unwrap();
    let lock = std::fs::File::open(&live).unwrap();
    lock.try_lock().unwrap();
    let other = dir.0.join(".other.partial-4194304");
    std::fs::create_dir_all(&other).unwrap();
    let out = dir.0.join("rel");
    anonymise(&input, &policy, &out, &mut |_| {}).unwrap();
    assert!(out.join("report.json").is_file());
    assert!(!dead.exists(), "a killed run's staging directory is removed");
    assert!(live.exists(), "a live run's staging directory is kept");
    assert!(other.exists(), "another release's staging directory is not touched");
    drop(lock);
    let leftovers: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rel."))
        .collect();
    assert_eq!(leftovers, [".rel.partial-4194305"]);
}

#[test]
fn an_existing_release_is_replaced_only_with_force() {
    let dir = TempDir::new("force");
    let (input, policy) = small_release_inputs(&dir.0);
    let out = dir.0.join("rel");
    anonymise(&input, &policy, &out, &mut |_| {}).unwrap();
    let report = std::fs::read(out.join("report.json")).unwrap();
    std::fs::write(out.join("note.txt"), "old").unwrap();
    let e = anonymise(&input, &policy, &out, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("already exists") && e.to_string().contains("--force"), "{e}");
    assert!(out.join("note.txt").exists());
    anonymise_with(&input, &policy, &out, Existing::Replace, &mut |_| {}).unwrap();
    assert!(!out.join("note.txt").exists(), "replaced whole");
    assert_eq!(std::fs::read(out.join("report.json")).unwrap(), report);
    // Not a release: refused even with force.
    let file = dir.0.join("precious.txt");
    std::fs::write(&file, "keep").unwrap();
    let e = anonymise_with(&input, &policy, &file, Existing::Replace, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("not a release directory"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
