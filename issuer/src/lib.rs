//! Issuing ledgerless credentials: synthetic registrants, issuance of salted, logged
//! credentials with offline bundles, selective disclosure, revocation through a status list
//! committed to the log, and share links with QR codes.
//!
//! Formats: `docs/formats.md` ("Credentials"); verification lives in `verifier`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod issue;
mod share;
pub mod synth;

// The public interface is:
pub use crate::issue::{
    Batch, IssueError, IssueOutcome, IssueSummary, JOURNAL_NAME, Revoked, Row, Stage, Witnessing, disclose,
    issue, open_log, read_rows, revoke, sha256_hex,
};
pub use crate::share::{
    LinkText, SiteUrlError, check_site_url, compact_link, qr_code, qr_svg, qr_version, share_link,
    status_evidence,
};
