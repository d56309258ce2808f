//! Anonymised population analytics with polars: policies, hierarchies, k-anonymity and
//! l-diversity, small-number-suppressed tables, risk and utility metrics, release manifests.
//!
//! Not implemented yet: this crate is planned (issue 6) and exports nothing today; polars is
//! not a dependency until then, so it costs no build time.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
