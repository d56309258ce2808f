//! The writer side of the formats this crate reads, behind the `write` cargo feature: signing
//! notes and cosignatures, formatting checkpoints, notes, policies and proofs, building
//! multi-proofs, status lists and entry bundles.
//!
//! They live here, beside their parsers and checkers, because the log, the issuer, the
//! publisher and the CLI must produce exactly the bytes this crate reads back, and each
//! round trip is tested in one place. The browser app does not enable `write`: a verifier
//! never signs or publishes. The reasons per group are in
//! `docs/design/0011-verifier-read-and-write.md`.

pub use crate::checkpoint::format_checkpoint;
pub use crate::compact::{encode_compact, encode_compact_text};
pub use crate::credential::status_list_credential;
pub use crate::merkle::prove_multi;
pub use crate::note::{
    SignerKey, cosign, format_note, format_signer_key, format_verifier_key, parse_signer_key, sign_note,
};
pub use crate::policy::format_policy;
pub use crate::proof_file::format_proof_hashes;
pub use crate::release::RowLeafWriter;
pub use crate::tiles::push_bundle_entry;
pub use crate::tlog_proof::format_tlog_proof;
