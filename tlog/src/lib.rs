//! The ledgerless log writer: appends, C2SP tlog-tiles, checkpoint signing, proofs,
//! witnesses and audit.
//!
//! Not implemented yet: this crate is planned (issue 3) and exports nothing today. The
//! formats it will write are already verified by the `verifier` crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
