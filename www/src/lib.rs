//! The ledgerless browser verifier: a Yew single-page app that verifies credential bundles and
//! published dataset releases entirely in the browser through the `verifier` crate.
//!
//! In the shape of yew's `function_router` and `function_todomvc` examples:
//! - [`app`]: the [`app::Route`] a location names (a pure parse, tested natively) and the
//!   `App` component rendering it;
//! - [`state`]: one pure reducer per page, and the keys trusted on this browser;
//! - [`dataset`]: the streaming check of a release's files (hashing, recount, manifest);
//! - [`worker`]: the hashing Web Worker's protocol (and, in wasm32, its loop);
//! - [`checks`]: everything the app derives from the verifier's check names and outcomes;
//! - [`qr`]: reading a QR code from a camera frame;
//! - `pages`, `components`, `hooks`, `history`, `net` (wasm32 only): the pages, their parts,
//!   the hooks wrapping browser I/O, the log-history checks and fetching;
//! - `offline` (wasm32 only): registering the service worker that keeps the app for offline use.
//!
//! Everything but the wasm32-only modules is pure and tested natively (`cargo test -p www`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod app;
pub mod checks;
pub mod dataset;
pub mod qr;
pub mod state;
pub mod worker;

#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod history;
#[cfg(target_arch = "wasm32")]
mod hooks;
#[cfg(target_arch = "wasm32")]
mod net;
#[cfg(target_arch = "wasm32")]
mod offline;
#[cfg(target_arch = "wasm32")]
mod pages;

#[cfg(target_arch = "wasm32")]
pub use app::App;
#[cfg(target_arch = "wasm32")]
pub use offline::register_service_worker;
