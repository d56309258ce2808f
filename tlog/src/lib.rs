//! The ledgerless log writer: a C2SP tiled transparency log in a plain directory that any
//! static host can serve, appended to under a lock, crash-safe, with proofs computed from
//! the tiles alone.
//!
//! | you want to | call |
//! |---|---|
//! | create a log | [`Log::init`] |
//! | append entries | [`Log::open`], [`Log::append`] |
//! | make keys | [`generate_key`] |
//! | prove inclusion or consistency | [`prove_inclusion`], [`prove_consistency`], [`tlog_proof`] |
//! | check a whole log (ours or anyone's) | [`audit`] |
//! | cosign as a witness | [`witness_cosign`] |
//!
//! Layout and commit protocol: `docs/formats.md` and the [`Log`] docs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod audit;
mod error;
mod keys;
mod log;
mod proofs;
mod storage;
mod witness;

// The public interface is:
pub use crate::audit::{AuditError, AuditReport, audit};
pub use crate::error::LogError;
pub use crate::keys::{generate_key, read_signer_key, read_verifier_key, write_key_pair};
pub use crate::log::{LockMode, Log, Step, lock as lock_dir};
pub use crate::proofs::{TlogProver, prove_consistency, prove_inclusion, read_checkpoint, tlog_proof};
pub use crate::storage::{
    AtomicFile, DirFetch, Fetch, FetchTiles, link_into_place, sync_all_writes, sync_dir, write_file_atomic,
    write_file_atomic_no_sync,
};
pub use crate::witness::{
    Cosigned, RemoteWitnesses, WitnessError, add_cosignature, add_cosignature_locked,
    add_cosignature_to_open_log, cosign_log_dir, cosign_open_log, witness_cosign, witness_state_path,
};
