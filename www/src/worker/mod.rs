//! The dataset-hashing Web Worker: hashes a dropped file or a file fetched from the site in
//! chunks (never whole in memory), posting progress, then the SHA-256, the size and (for the
//! microdata) the verifier's class recount ([`crate::dataset::FileCheck`]). Runs off the page's
//! thread, so a 1 GB file never freezes it.
//!
//! Protocol (both ways plain JSON text, plus a `File` object):
//! page → worker: `{"job": "<json Job>", "file": File?}`; worker → page: JSON [`Reply`].
//! The protocol is pure (and tested natively through the release reducer); the worker's own
//! loop (`run`, wasm32 only) lives in `scope`, the page's side in `hooks::use_hasher`.

use crate::dataset::{Checked, RecountSpec};

#[cfg(target_arch = "wasm32")]
mod scope;
#[cfg(target_arch = "wasm32")]
pub use scope::run;

/// Bytes the worker reads per step: large for throughput, small for smooth progress.
pub const CHUNK: u64 = 8 << 20;

/// One file for the worker to check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The page's id for the file ([`crate::state::release::ReleaseState::files`] index).
    pub id: u32,
    /// Fetch this URL (same site) instead of reading the posted `File`.
    pub url: Option<String>,
    /// Recount classes while hashing.
    pub recount: Option<RecountSpec>,
}

/// What the worker posts back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// The worker has loaded and takes jobs (messages sent before this would be lost).
    Ready,
    /// Bytes done of total (0 if the size is unknown).
    Progress(u32, u64, u64),
    /// The file was checked.
    Done(u32, Checked),
    /// The site has no such file (HTTP 404).
    Missing(u32),
    /// The file could not be read.
    Failed(u32, String),
}
