//! The ledgerless browser verifier (a Yew single-page app built by Trunk).
//!
//! Not implemented yet: the app is planned (issue 5) and this crate exports nothing today.
//! What it will call, the `verifier` crate, is already built and tested for
//! wasm32-unknown-unknown in headless Chromium.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
