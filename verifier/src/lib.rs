#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod check;
mod checkpoint;
mod compact;
mod credential;
mod files;
mod hash;
mod merkle;
mod note;
mod policy;
mod proof_file;
mod recount;
mod release;
mod tiles;
mod tlog_proof;
#[cfg(feature = "write")]
pub mod write;

// The public interface is:
pub use crate::check::{
    BundleSummary, BundleTrust, Check, Finding, Outcome, Report, StatusCheck, StatusEvidence, Step, Trust,
    TrustKeyError, TrustList, TrustedParty, Verdict, bundle_format_failure, check_bundle, check_checkpoint,
    check_consistency, check_inclusion, check_last_seen, check_release, check_row_proof, check_tlog_proof,
    history_proof_sizes, parse_trust_key,
};
pub use crate::checkpoint::{
    Checkpoint, CheckpointError, VerifiedCheckpoint, parse_checkpoint, verify_checkpoint,
    verify_checkpoint_for_origin, verify_checkpoint_with_policy,
};
pub use crate::compact::{
    COMPACT_LINK_KEY, COMPACT_LINK_KEY_BASE64URL, CompactError, JSON_LINK_KEY, MAX_COMPACT_SIZE,
    MAX_COMPACT_TEXT, bundle_json, bundles_in_link, decode_base64url, decode_compact, decode_compact_text,
    decode_digits, encode_digits,
};
pub use crate::credential::{
    BUNDLE_FORMAT, Bundle, Credential, CredentialEntry, CredentialError, CredentialStatus, DisclosedClaim,
    Disclosure, ENTRY_FORMAT, MAX_BUNDLE_SIZE, MAX_CLAIM_SIZE, MAX_CLAIMS, MIN_STATUS_BITS,
    STATUS_ENTRY_FORMAT, STATUS_LIST_PATH, STATUS_PROOF_PATH, StatusList, VC_CONTEXT, canonical_json,
    claim_leaf, format_time, parse_status_list_credential, parse_time, status_list_entry,
};
pub use crate::files::{FileDigest, FileFinding, check_file, check_listed_file, no_microdata};
pub use crate::hash::{HASH_SIZE, Hash, HashParseError, leaf_hash, node_hash};
pub use crate::merkle::{
    MAX_MULTIPROOF_LEAVES, ProofError, consistency_proof_len, inclusion_proof_len, is_valid_subtree,
    multiproof_len, root_from_inclusion_proof, root_from_subtree_consistency_proof,
    roots_from_consistency_proof, tree_root, verify_consistency, verify_inclusion, verify_multiproof,
    verify_subtree_consistency, verify_subtree_inclusion,
};
pub use crate::note::{
    KeyKind, MAX_NOTE_SIZE, MAX_SIGNATURES, Note, NoteError, NoteSignature, VerifiedSignature, VerifierKey,
    Verifiers, is_valid_key_name, key_id, parse_note, parse_verifier_key, split_cosignature, verify_note,
};
pub use crate::policy::{
    MAX_POLICY_ITEMS, MAX_POLICY_SIZE, Policy, PolicyError, PolicyGroup, PolicyLog, PolicyWitness, Threshold,
    parse_policy,
};
pub use crate::proof_file::{MAX_PROOF_FILE_HASHES, ProofFileError, parse_proof_hashes};
pub use crate::recount::{
    MAX_RECOUNT_RECORD, Recount, RecountError, RecountSpec, Recounter, confirm_recount, recount,
    recount_spec, release_microdata,
};
pub use crate::release::{
    MANIFEST_FORMAT, MAX_RELEASE_SIZE, Manifest, PolicyRecord, Privacy, RELEASE_BUNDLE_FORMAT,
    ROW_PROOF_FORMAT, ReleaseBundle, ReleaseError, Resource, RowProof, digest_sri, row_leaf,
    safe_relative_path,
};
pub use crate::tiles::{
    MAX_ENTRY_SIZE, MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileError, TilePath, TileRecorder, TileSource,
    entries_path, parse_entry_bundle, parse_tile_path, prove_consistency, prove_inclusion, root_from_tiles,
    tile_path, tile_width,
};
pub use crate::tlog_proof::{
    MAX_PROOF_HASHES, TLOG_PROOF_HEADER, TlogProof, TlogProofError, parse_tlog_proof,
};
