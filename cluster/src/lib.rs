//! The distributed engine: `anonymise --engine df://HOST:PORT` runs reading, counting and
//! writing the release on an Apache DataFusion Ballista cluster while the search runs in the
//! client on the counts ([`engine::ClusterEngine`]); and the scheduler and executor processes
//! (`ledgerless cluster scheduler|executor`, [`process`]). Design: docs/design/0016.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "engine")]
pub mod engine;
pub mod parse;
#[cfg(feature = "engine")]
pub mod process;
#[cfg(feature = "engine")]
pub mod watch;

#[cfg(feature = "engine")]
pub use engine::ClusterEngine;
