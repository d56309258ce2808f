//! Anonymised population analytics with polars: policies, hierarchies, the optimal k-anonymity /
//! l-diversity search, small-number-suppressed tables, risk and utility metrics and reports.
//!
//! The search and the metrics are plain Rust over distinct combinations (they also build for
//! wasm32); reading inputs and writing releases use polars and exist only on native targets.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use std::path::{Path, PathBuf};

pub mod accuracy;
pub mod hierarchy;
pub mod labels;
pub mod local;
pub mod policy;
pub mod recoding;
pub mod report;
pub mod risk;
pub mod search;
pub mod synth;
pub mod tables;

#[cfg(not(target_arch = "wasm32"))]
pub mod anonymise;
#[cfg(not(target_arch = "wasm32"))]
pub mod counts;
#[cfg(not(target_arch = "wasm32"))]
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
pub mod engine;
#[cfg(not(target_arch = "wasm32"))]
pub mod intern;
#[cfg(not(target_arch = "wasm32"))]
pub mod publish;

/// Why an anonymisation could not be done; every message names the file, column, value or line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy file is unusable.
    #[error("policy {}: {message}", path.display())]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The input data is unusable.
    #[error("input {}: {message}", path.display())]
    Input {
        /// The input file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A hierarchy is unusable or does not cover the data.
    #[error("hierarchy of column '{column}': {message}")]
    Hierarchy {
        /// The quasi-identifier.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// No transformation meets the policy.
    #[error("no transformation satisfies the policy: {0}")]
    NoSolution(String),
    /// The release cannot be written.
    #[error("output {}: {message}", path.display())]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data engine failed.
    #[error("data processing failed: {0}")]
    Polars(String),
    /// The distributed engine failed (the cluster, a job on it, or its output).
    #[error("engine error ({engine}): {message}")]
    Engine {
        /// The engine, as the user named it (`df://HOST:PORT`).
        engine: String,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io { path: path.to_path_buf(), source }
    }
}
