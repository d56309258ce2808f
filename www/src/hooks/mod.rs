//! The app's hooks (wasm32 only): the location, the reducer stores, the trust lists, the
//! credential verifications and the hashing worker, each wrapping browser I/O so the pages
//! only render and dispatch.

pub(crate) mod use_hasher;
pub(crate) mod use_location;
pub(crate) mod use_store;
pub(crate) mod use_trust;
pub(crate) mod use_verify;
