//! C2SP tlog-witness over HTTP, both sides.
//!
//! | you want to | call |
//! |---|---|
//! | run a witness (`POST /add-checkpoint`) | [`Witness::open`], then `serve` or `spawn` |
//! | answer one request without HTTP (tests, fuzzing) | [`Witness::add_checkpoint`] |
//! | read the list of logs a witness witnesses | [`parse_log_list`] |
//! | gather cosignatures for a log until a policy's quorum is met | `witness_log_dir`, `witness_open_log`, `HttpWitnesses` |
//! | speak the wire format | [`AddCheckpointRequest`] |
//!
//! The HTTP parts (server, client) are the default `http` feature; without it the crate is the
//! protocol alone (request parsing, the log list, [`Witness::add_checkpoint`]), for the fuzzer.
//!
//! SPEC: <https://c2sp.org/tlog-witness>, <https://c2sp.org/tlog-cosignature>,
//! <https://c2sp.org/tlog-policy> (a witness's URL is its submission prefix). Why a crate of
//! its own: `docs/design/0013-witness-protocol.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod http;
mod loglist;
mod request;
mod server;

#[cfg(feature = "http")]
pub use crate::client::{
    Client, GatherError, GatherReport, HttpWitnesses, SIZES_FILE, SubmitError, WitnessFailure, WitnessResult,
    witness_log_dir, witness_open_log,
};
#[cfg(feature = "http")]
pub use crate::http::{
    HEADER_TIMEOUT, MAX_CONNECTIONS, REQUEST_TIMEOUT, Running, SHUTDOWN_GRACE, router, serve, spawn,
};
pub use crate::loglist::{KnownLog, LogListError, MAX_LOG_LIST_SIZE, parse_log_list};
pub use crate::request::{AddCheckpointRequest, MAX_PROOF_LINES, MAX_REQUEST_SIZE, RequestError};
pub use crate::server::{AddCheckpointError, SIZE_CONTENT_TYPE, SetupError, Witness};
