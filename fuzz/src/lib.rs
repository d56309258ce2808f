//! Fuzz checks for the verifier: one function per target in `fuzz_targets/`, plus the fixed keys
//! and policy they verify against.
//!
//! Every parser of untrusted input is fed arbitrary bytes. Each check asserts that nothing
//! panics and that parse → format → parse round-trips to an equal value and identical text
//! (STYLE §12). A failed assertion is a crash, and libFuzzer saves the input under
//! `artifacts/<target>/`.

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use verifier::write::{
    SignerKey, format_checkpoint, format_note, format_policy, format_proof_hashes, format_signer_key,
    format_tlog_proof, format_verifier_key, parse_signer_key, prove_multi,
};
use verifier::{
    Hash, KeyKind, Policy, ProofError, Trust, Verifiers, check_checkpoint, check_tlog_proof,
    inclusion_proof_len, is_valid_subtree, leaf_hash, parse_checkpoint, parse_note, parse_policy,
    parse_proof_hashes, parse_tlog_proof, parse_trust_key, parse_verifier_key, root_from_inclusion_proof,
    root_from_subtree_consistency_proof, roots_from_consistency_proof, tree_root, verify_checkpoint,
    verify_checkpoint_with_policy, verify_consistency, verify_inclusion, verify_multiproof, verify_note,
    verify_subtree_consistency, verify_subtree_inclusion,
};

// ---------------------------------------------------------------------------------------------
// Fixtures: fixed keys, so that seeds signed by them (examples/make_seeds.rs) verify.

/// The origin of the fixture log, and the name of its key.
pub const LOG_ORIGIN: &str = "example.com/log";

/// The entry that tlog-proof inputs are checked against.
pub const ENTRY: &[u8] = b"entry";

static LOG: LazyLock<SignerKey> = LazyLock::new(|| {
    // We can expect(): the name is a constant, valid key name.
    SignerKey::from_seed(LOG_ORIGIN, KeyKind::Ed25519, &[7; 32]).expect("fixture log key")
});

static WITNESSES: LazyLock<[SignerKey; 3]> = LazyLock::new(|| {
    // We can expect(): the names are constant, valid key names.
    let w = |i: u8| {
        SignerKey::from_seed(&format!("witness.example/w{i}"), KeyKind::CosignatureV1, &[8 + i; 32])
            .expect("fixture witness key")
    };
    [w(1), w(2), w(3)]
});

static VERIFIERS: LazyLock<Verifiers> = LazyLock::new(|| {
    // We can expect(): the two keys differ in name.
    Verifiers::new(vec![LOG.verifier.clone(), WITNESSES[0].verifier.clone()]).expect("fixture verifiers")
});

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    // We can expect(): the text is built from valid fixture keys.
    parse_policy(policy_text().as_bytes()).expect("fixture policy")
});

static TRUST_KEY: LazyLock<Trust> = LazyLock::new(|| Trust::Key(LOG.verifier.clone()));
static TRUST_POLICY: LazyLock<Trust> = LazyLock::new(|| Trust::Policy(POLICY.clone()));

/// The fixture log's signing key: `example.com/log`, Ed25519, seed `[7; 32]`.
pub fn log_signer() -> &'static SignerKey {
    &LOG
}

/// The three fixture witnesses (cosignature/v1 keys `witness.example/w1..w3`).
pub fn witness_signers() -> &'static [SignerKey; 3] {
    &WITNESSES
}

/// The fixture policy: the fixture log, witnesses W1..W3, and a quorum of 2 of them.
pub fn policy_text() -> String {
    let [w1, w2, w3] = &*WITNESSES;
    format!(
        "# fuzz fixture\nlog {} https://example.com/log\nwitness W1 {}\nwitness W2 {}\nwitness W3 {}\n\
         group G 2 W1 W2 W3\nquorum G\n",
        format_verifier_key(&LOG.verifier),
        format_verifier_key(&w1.verifier),
        format_verifier_key(&w2.verifier),
        format_verifier_key(&w3.verifier),
    )
}

// ---------------------------------------------------------------------------------------------
// Text formats.

/// `checkpoint_parse`: a checkpoint body round-trips, byte for byte.
pub fn checkpoint_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = parse_checkpoint(text) else {
        return;
    };
    let formatted = format_checkpoint(&c);
    let again = parse_checkpoint(&formatted).expect("a formatted checkpoint parses");
    assert_eq!(again, c, "parse(format(c)) != c");
    assert_eq!(format_checkpoint(&again), formatted, "format is not stable");
    // Every field is canonical (decimal size, padded base64 root), so the body is too.
    assert_eq!(formatted, text, "a non-canonical checkpoint body was accepted");
}

/// `note_parse`: a signed note round-trips byte for byte, and verifying it never panics.
pub fn note_parse(data: &[u8]) {
    let Ok(note) = parse_note(data) else {
        return;
    };
    let formatted = format_note(&note);
    let again = parse_note(formatted.as_bytes()).expect("a formatted note parses");
    assert_eq!(again, note, "parse(format(n)) != n");
    assert_eq!(formatted.as_bytes(), data, "a non-canonical note was accepted");

    let _ = verify_note(&note, &VERIFIERS);
    // The same signature bytes, claimed by the trusted keys, so that the Ed25519 and
    // cosignature checks run on arbitrary bytes too (otherwise only a key ID match gets there).
    let mut claimed = note;
    for (i, sig) in claimed.signatures.iter_mut().enumerate() {
        let key = &VERIFIERS.keys()[i % VERIFIERS.keys().len()];
        sig.name.clone_from(&key.name);
        sig.key_id = key.key_id;
    }
    let _ = verify_note(&claimed, &VERIFIERS);
}

/// `signed_checkpoint`: verifying a signed checkpoint, by key and by policy, never panics and
/// the two agree.
pub fn signed_checkpoint(data: &[u8]) {
    let by_key = verify_checkpoint(data, &LOG.verifier);
    let by_policy = verify_checkpoint_with_policy(data, &POLICY);
    // A witness key is not a log key: always an error.
    assert!(verify_checkpoint(data, &WITNESSES[0].verifier).is_err(), "a witness key verified a checkpoint");

    if let Ok(v) = &by_key {
        assert_eq!(format_checkpoint(&v.checkpoint), v.note.text, "verified body is not its note text");
        assert_eq!(v.checkpoint.origin, LOG_ORIGIN);
    }
    if let Ok(v) = &by_policy {
        // The policy's only log is the fixture log, so its signature verified.
        let k = by_key.as_ref().expect("verified under the policy but not by the policy's log key");
        assert_eq!(k.checkpoint, v.checkpoint);
        assert!(v.cosignatures.len() >= 2, "quorum of 2 met with {} cosignatures", v.cosignatures.len());
    }
    let (report, verified) = check_checkpoint(data, &TRUST_POLICY);
    assert_eq!(report.verified, by_policy.is_ok(), "report disagrees with verify_checkpoint_with_policy");
    assert_eq!(verified.is_some(), by_policy.is_ok());
}

/// `proof_file_parse`: a proof file round-trips.
pub fn proof_file_parse(data: &[u8]) {
    let Ok(hashes) = parse_proof_hashes(data) else {
        return;
    };
    let formatted = format_proof_hashes(&hashes);
    let again = parse_proof_hashes(formatted.as_bytes()).expect("a formatted proof file parses");
    assert_eq!(again, hashes, "parse(format(p)) != p");
    assert_eq!(format_proof_hashes(&again), formatted, "format is not stable");
}

/// `tlog_proof_parse`: a tlog-proof round-trips, and checking it never panics.
pub fn tlog_proof_parse(data: &[u8]) {
    let by_key = check_tlog_proof(&TRUST_KEY, data, ENTRY);
    let by_policy = check_tlog_proof(&TRUST_POLICY, data, ENTRY);
    let Ok(p) = parse_tlog_proof(data) else {
        assert!(!by_key.verified && !by_policy.verified, "an unparsable tlog-proof verified");
        return;
    };
    let formatted = format_tlog_proof(&p);
    let again = parse_tlog_proof(formatted.as_bytes()).expect("a formatted tlog-proof parses");
    assert_eq!(again, p, "parse(format(p)) != p");
    assert_eq!(format_tlog_proof(&again), formatted, "format is not stable");
}

/// `policy_parse`: a policy round-trips, and evaluating its quorum never panics.
pub fn policy_parse(data: &[u8]) {
    let Ok(p) = parse_policy(data) else {
        return;
    };
    let formatted = format_policy(&p);
    let again = parse_policy(formatted.as_bytes()).expect("a formatted policy parses");
    assert_eq!(again, p, "parse(format(p)) != p");
    assert_eq!(format_policy(&again), formatted, "format is not stable");

    let _ = p.describe_quorum();
    let names: Vec<&str> = p.witnesses.iter().map(|w| w.name.as_str()).collect();
    // Every witness cosigned: a quorum (if any) made only of witnesses and groups is met.
    assert!(p.quorum_met(&names), "quorum not met with every witness cosigning");
    // Alternate witnesses only: must not panic.
    let some: Vec<&str> = names.iter().step_by(2).copied().collect();
    let _ = p.quorum_met(&some);
    if p.quorum.is_some() {
        assert!(!p.quorum_met(&[]), "a named quorum was met with no cosignatures");
    }
}

/// `verifier_key_parse`: verifier and signer keys round-trip.
pub fn verifier_key_parse(data: &[u8]) {
    let _ = parse_trust_key(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(k) = parse_verifier_key(text) {
        let formatted = format_verifier_key(&k);
        let again = parse_verifier_key(&formatted).expect("a formatted verifier key parses");
        assert_eq!(again, k, "parse(format(k)) != k");
        assert_eq!(format_verifier_key(&again), formatted, "format is not stable");
        let cosig = k.to_cosignature_key();
        let cosig_again = parse_verifier_key(&format_verifier_key(&cosig)).expect("a cosignature key parses");
        assert_eq!(cosig_again, cosig);
    }
    if let Ok(s) = parse_signer_key(text) {
        let formatted = format_signer_key(&s);
        let again = parse_signer_key(&formatted).expect("a formatted signer key parses");
        assert_eq!(again.verifier, s.verifier, "parse(format(s)) has another public key");
        assert_eq!(again.seed(), s.seed(), "parse(format(s)) has another seed");
        assert_eq!(format_signer_key(&again), formatted, "format is not stable");
    }
}

// ---------------------------------------------------------------------------------------------
// Merkle proofs.

/// Arbitrary shapes and hashes for `merkle_proofs`.
#[derive(Debug, Arbitrary)]
pub struct MerkleInput {
    /// Leaf index (inclusion, subtree inclusion).
    pub index: u64,
    /// Tree size; the old size of a consistency proof; a subtree's end.
    pub size: u64,
    /// The new size of a consistency proof; the tree a subtree lies in.
    pub size2: u64,
    /// A subtree's start.
    pub start: u64,
    /// Cut the sizes down to 8 bits, where shapes are more varied per input.
    pub small: bool,
    /// After a [`ProofError::WrongLength`], retry with the proof cut or repeated to the length
    /// wanted, so that the hashing loops run and not only the length check.
    pub fit_len: bool,
    /// Leaf hash, or subtree hash.
    pub leaf: [u8; 32],
    /// Expected root.
    pub root: [u8; 32],
    /// Proof hashes.
    pub hashes: Vec<[u8; 32]>,
    /// Multi-proof leaf indices.
    pub indices: Vec<u64>,
}

/// The longest proof `fit_len` builds: more than any inclusion (64) or consistency (65) proof
/// needs; a multi-proof of many leaves may need more, and then only its length check runs.
const MAX_FIT: usize = 256;

impl MerkleInput {
    fn proof(&self) -> Vec<Hash> {
        self.hashes.iter().map(|h| Hash(*h)).collect()
    }

    /// The proof hashes, repeated or cut to `n`.
    fn fitted(&self, n: usize) -> Vec<Hash> {
        if self.hashes.is_empty() {
            return vec![Hash(self.leaf); n];
        }
        self.hashes.iter().cycle().take(n).map(|h| Hash(*h)).collect()
    }

    /// Runs `f` on the proof; after a length error, once more on a proof of the wanted length.
    fn run<T>(&self, f: impl Fn(&[Hash]) -> Result<T, ProofError>) -> (Vec<Hash>, Result<T, ProofError>) {
        let proof = self.proof();
        match f(&proof) {
            Err(ProofError::WrongLength { want, .. }) if self.fit_len && want <= MAX_FIT => {
                let proof = self.fitted(want);
                let r = f(&proof);
                (proof, r)
            }
            r => (proof, r),
        }
    }
}

/// `merkle_proofs`: every proof check returns an error on arbitrary shapes, never panics, and
/// the root-computing and root-comparing forms agree. Then, on a small tree built from the
/// input, honest proofs from an RFC 9162 reference implementation verify.
pub fn merkle_proofs(mut input: MerkleInput) {
    if input.small {
        input.index &= 0xff;
        input.size &= 0xff;
        input.size2 &= 0xff;
        input.start &= 0xff;
    }
    let (index, size, size2, start) = (input.index, input.size, input.size2, input.start);
    let leaf = Hash(input.leaf);
    let root = Hash(input.root);

    // Inclusion: verify_inclusion is Ok exactly when the recomputed root is the given one.
    let (proof, computed) = input.run(|p| root_from_inclusion_proof(index, size, &leaf, p));
    let verified = verify_inclusion(index, size, &leaf, &proof, &root);
    match computed {
        Ok(r) => {
            verify_inclusion(index, size, &leaf, &proof, &r)
                .expect("root_from_inclusion_proof's root verifies");
            assert_eq!(verified.is_ok(), r == root);
        }
        Err(e) => assert_eq!(verified, Err(e)),
    }

    // Consistency from `size` to `size2`.
    let (proof, computed) = input.run(|p| roots_from_consistency_proof(size, size2, p, &leaf));
    let verified = verify_consistency(size, size2, &proof, &leaf, &root);
    match computed {
        Ok((fr, sr)) => assert_eq!(verified.is_ok(), fr == leaf && sr == root),
        Err(e) => assert_eq!(verified, Err(e)),
    }

    // Subtree [start, size) inside the tree of `size2`.
    let (proof, computed) = input.run(|p| root_from_subtree_consistency_proof(start, size, size2, &leaf, p));
    let verified = verify_subtree_consistency(start, size, size2, &leaf, &proof, &root);
    match computed {
        Ok(r) => {
            verify_subtree_consistency(start, size, size2, &leaf, &proof, &r)
                .expect("root_from_subtree_consistency_proof's root verifies");
            assert_eq!(verified.is_ok(), r == root);
        }
        Err(e) => assert_eq!(verified, Err(e)),
    }

    // Leaf `index` inside subtree [start, size).
    let _ = input.run(|p| verify_subtree_inclusion(index, start, size, &leaf, p, &root));

    // Multi-proof: arbitrary indices and sizes (the leaves are the proof hashes, cycled).
    let leaves = input.fitted(input.indices.len().min(MAX_FIT));
    let _ = input.run(|p| verify_multiproof(&input.indices, size, &leaves, p, &root));

    honest_proofs(&input);
}

// The RFC 9162 reference (MTH, PATH, PROOF straight from the definitions) is the `tests`
// crate's, the same code the conformance and property tests trust.
use tests::{naive_consistency_proof as consistency, naive_inclusion_proof as path, naive_root as mth};

/// Builds a tree of 1..=32 leaves from the input and checks that honest proofs verify.
///
/// Why 32: every branch of the proof loops is taken at 5 levels already, and this reference
/// code rehashes subtrees, so larger trees would mostly slow the fuzzer down.
fn honest_proofs(input: &MerkleInput) {
    let n = 1 + (input.size % 32) as usize;
    let leaves: Vec<Hash> = (0..n as u64)
        .map(|i| {
            let mut e = input.leaf.to_vec();
            e.extend_from_slice(&i.to_be_bytes());
            leaf_hash(&e)
        })
        .collect();
    let root = mth(&leaves);
    assert_eq!(tree_root(&leaves), root, "tree_root differs from RFC 9162 MTH for {n} leaves");

    let m = (input.index % n as u64) as usize;
    let p = path(m, &leaves);
    assert_eq!(p.len(), inclusion_proof_len(m as u64, n as u64));
    verify_inclusion(m as u64, n as u64, &leaves[m], &p, &root)
        .unwrap_or_else(|e| panic!("honest inclusion proof for {m} in {n}: {e}"));

    let old = 1 + (input.size2 % n as u64) as usize;
    let p = consistency(old, &leaves);
    verify_consistency(old as u64, n as u64, &p, &mth(&leaves[..old]), &root)
        .unwrap_or_else(|e| panic!("honest consistency proof from {old} to {n}: {e}"));

    // A subtree is a tree of its own: the inclusion path inside it proves the leaf.
    let (s, e) = ((input.start % n as u64) as usize, 1 + (input.index % n as u64) as usize);
    if is_valid_subtree(s as u64, e as u64) {
        let sub = &leaves[s..e];
        let i = s + (input.size2 % sub.len() as u64) as usize;
        verify_subtree_inclusion(i as u64, s as u64, e as u64, &leaves[i], &path(i - s, sub), &mth(sub))
            .unwrap_or_else(|err| panic!("honest subtree inclusion of {i} in [{s}, {e}): {err}"));
    }

    // Multi-proofs: rs_merkle's proof of any index set verifies.
    let mut idx: Vec<u64> = input.indices.iter().map(|i| i % n as u64).collect();
    idx.sort_unstable();
    idx.dedup();
    if !idx.is_empty() {
        let proof = prove_multi(&leaves, &idx).expect("prove_multi on valid indices");
        let sel: Vec<Hash> = idx.iter().map(|&i| leaves[i as usize]).collect();
        verify_multiproof(&idx, n as u64, &sel, &proof, &root)
            .unwrap_or_else(|e| panic!("honest multi-proof of {idx:?} in {n}: {e}"));
    }
}

/// Tile paths and entry bundles, read from a log we do not control: parse→format→parse
/// round-trips, and proofs built from arbitrary tile bytes fail cleanly, never panic.
pub fn tiles_parse(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Some(t) = verifier::parse_tile_path(s)
    {
        let again = match t.level {
            Some(l) => verifier::tile_path(l, t.index, t.width),
            None => verifier::entries_path(t.index, t.width),
        };
        assert_eq!(again, s, "tile path does not round-trip");
        assert!(t.width >= 1 && u64::from(t.width) <= verifier::TILE_WIDTH);
    }
    if let Ok(entries) = verifier::parse_entry_bundle("fuzz", data) {
        let mut again = Vec::new();
        for e in &entries {
            verifier::write::push_bundle_entry(&mut again, e).expect("parsed entries fit");
        }
        assert_eq!(again, data, "entry bundle does not round-trip");
    }
    // A tile source that serves the fuzz input as every tile.
    struct Junk<'a>(&'a [u8]);
    impl verifier::TileSource for Junk<'_> {
        fn read_tile(&self, _: u8, _: u64, _: u16) -> Result<Vec<u8>, verifier::TileError> {
            Ok(self.0.to_vec())
        }
    }
    let size = data.iter().take(8).fold(0u64, |a, &b| (a << 8) | u64::from(b)) % (1 << 40);
    let src = Junk(data);
    let _ = verifier::root_from_tiles(&src, size);
    if size > 0 {
        let _ = verifier::prove_inclusion(&src, size / 3, size);
        let _ = verifier::prove_consistency(&src, size / 2 + 1, size);
    }
}

/// Credential bundles, status lists and trust lists come from holders, logs and sites we do
/// not control: parsing and full verification must never panic, and a bundle must never
/// verify against a key that signed nothing.
pub fn bundle_parse(data: &[u8]) {
    use verifier::{Bundle, BundleTrust, StatusEvidence, StatusList, Trust, TrustList, check_bundle};
    let trust = BundleTrust::Direct(Trust::Key(log_signer().verifier.clone()));
    let evidence = StatusEvidence {
        latest_checkpoint: data.to_vec(),
        list: data.to_vec(),
        list_proof: data.to_vec(),
        consistency: Some(Vec::new()),
    };
    let (r, _) = check_bundle(data, &trust, 1_800_000_000, verifier::StatusCheck::Evidence(&evidence));
    // Only our fixed log key is trusted and the fuzzer cannot sign with it.
    assert!(!r.verified || r.steps.iter().any(|s| s.check == verifier::Check::CheckpointSignature));
    if let Ok(b) = Bundle::parse(data) {
        let _ = b.entry();
        let _ = b.check_claims();
        let again = serde_json::to_vec(&b).expect("a parsed bundle serialises");
        assert_eq!(Bundle::parse(&again).expect("round trip"), b);
    }
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(l) = StatusList::decode(s)
    {
        assert_eq!(StatusList::decode(&l.encode().expect("encode")).expect("re-encode"), l);
    }
    let _ = TrustList::parse(data);
    let _ = verifier::parse_status_list_credential(data, "example.com/log");
}

/// Compact bundles (QR codes and links) come from anyone: the binary parser, the digit and
/// base64url texts and the link reader must never panic; whatever decodes is the one
/// canonical encoding of its bundle (re-encoding gives the same bytes), and verifies only
/// with a signature the fuzzer cannot make.
pub fn compact_parse(data: &[u8]) {
    use verifier::{BundleTrust, Trust, bundle_json, check_bundle, decode_compact};
    if let Ok(b) = decode_compact(data) {
        assert_eq!(verifier::write::encode_compact(&b).expect("a decoded bundle re-encodes"), data);
        let trust = BundleTrust::Direct(Trust::Key(log_signer().verifier.clone()));
        let (r, _) = check_bundle(&bundle_json(&b), &trust, 1_800_000_000, verifier::StatusCheck::Offline);
        assert!(!r.verified || r.steps.iter().any(|s| s.check == verifier::Check::CheckpointSignature));
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(bytes) = verifier::decode_digits(s) {
            assert_eq!(verifier::encode_digits(&bytes), s, "digits decode one way only");
        }
        let _ = verifier::decode_base64url(s);
        for b in verifier::bundles_in_link(s).into_iter().flatten() {
            let _ = verifier::Bundle::parse(&b);
        }
    }
}

/// Release bundles and row proofs: parse, check against a fixed key, round-trip what parses.
pub fn release_parse(data: &[u8]) {
    use verifier::{BundleTrust, ReleaseBundle, RowProof, Trust, TrustList, check_release, check_row_proof};
    let trust = BundleTrust::Direct(Trust::Key(log_signer().verifier.clone()));
    let (r, _) = check_release(data, &trust);
    assert!(!r.verified || r.steps.iter().any(|s| s.check == verifier::Check::CheckpointSignature));
    let (r, _) = check_row_proof(data, &trust);
    assert!(!r.verified || r.steps.iter().any(|s| s.check == verifier::Check::Row));
    let list = BundleTrust::List(TrustList::default());
    assert!(!check_release(data, &list).0.verified, "an empty trust list trusts no publisher");
    if let Ok(b) = ReleaseBundle::parse(data) {
        let _ = b.manifest.entry();
        let again = serde_json::to_vec(&b).expect("a parsed bundle serialises");
        assert_eq!(ReleaseBundle::parse(&again).expect("round trip"), b);
    }
    if let Ok(p) = RowProof::parse(data) {
        let again = serde_json::to_vec(&p).expect("a parsed proof serialises");
        assert_eq!(RowProof::parse(&again).expect("round trip"), p);
    }
}

/// The release recount (`verifier::Recounter`, which `publish`, `verify RELEASEDIR` and the
/// browser's worker feed a CSV they did not make, chunk by chunk): no panic on any bytes, and the
/// result does not depend on where the chunks are cut. The first byte picks the cuts: pieces of
/// pseudo-random lengths from 0 (an empty update) to 255 bytes, seeded by it; the data is also
/// fed one byte at a time (a cut at every point).
pub fn dataset_recount(data: &[u8]) {
    use verifier::{Privacy, RecountSpec, Recounter, confirm_recount};
    let Some((&seed, csv)) = data.split_first() else { return };
    let spec = RecountSpec { quasi_identifiers: vec!["a".into(), "b".into()], sensitive: vec!["c".into()] };
    let whole = {
        let mut r = Recounter::new(spec.clone());
        r.update(csv);
        r.finish()
    };
    let mut r = Recounter::new(spec.clone());
    let (mut rest, mut len) = (csv, usize::from(seed));
    let mut cuts = Vec::new();
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(len.min(rest.len()));
        r.update(piece);
        cuts.push(piece.len());
        rest = tail;
        len = (len * 5 + 3) % 256;
    }
    r.update(&[]);
    assert_eq!(r.finish(), whole, "cut into pieces of {cuts:?}");
    let mut r = Recounter::new(spec);
    csv.iter().for_each(|b| r.update(std::slice::from_ref(b)));
    assert_eq!(r.finish(), whole, "fed one byte at a time");
    let Ok(rc) = whole else { return };
    assert!(rc.suppressed + rc.classes <= rc.rows && rc.smallest <= rc.rows);
    assert_eq!((rc.distinct_l.len(), rc.suppressed_distinct.len()), (1, 1));
    // Claims read off the recount are exactly what it confirms.
    let claims = Privacy {
        k: rc.smallest,
        achieved_k: rc.smallest,
        achieved_l: rc.distinct_l.clone(),
        quasi_identifiers: vec!["a".into(), "b".into()],
        records: rc.rows,
        suppressed: rc.suppressed,
        metric: "loss".into(),
        loss: 0.0,
        entropy_bits: 0.0,
        discernibility: "0".into(),
        recoding: "global".into(),
    };
    let problems = confirm_recount(&claims, &rc);
    assert!(problems.is_empty(), "{problems:?} for {rc:?}");
}

// ---------------------------------------------------------------------------------------------
// The witness (C2SP tlog-witness add-checkpoint), without HTTP.

/// A witness (key `witness_signers()[0]`) of the fixture log, its state in a directory of
/// this process's own.
static WITNESS: LazyLock<witness::Witness> = LazyLock::new(|| {
    let state = std::env::temp_dir().join(format!("ledgerless-fuzz-witness-{}", std::process::id()));
    let known = [witness::KnownLog { key: LOG.verifier.clone(), origin: LOG_ORIGIN.to_owned() }];
    // We can expect(): a fresh directory of our own and fixture keys.
    witness::Witness::open(WITNESSES[0].clone(), &state, &known).expect("fixture witness")
});

/// `witness_add_checkpoint`: a request body. The parser round-trips byte for byte; the witness
/// answers one of the spec's statuses, never a panic or an internal error, and what it
/// cosigns verifies under its key.
pub fn witness_add_checkpoint(data: &[u8]) {
    if let Ok(r) = witness::AddCheckpointRequest::parse(data) {
        let bytes = r.to_bytes();
        assert_eq!(bytes, data, "to_bytes(parse(data)) != data");
        assert_eq!(witness::AddCheckpointRequest::parse(&bytes).as_ref(), Ok(&r));
    }
    match WITNESS.add_checkpoint(data, 1_800_000_000) {
        Ok(lines) => {
            let r = witness::AddCheckpointRequest::parse(data).expect("a cosigned request parses");
            let note = parse_note(&r.checkpoint).expect("a cosigned checkpoint parses");
            let signed = format!("{}\n{lines}", note.text);
            let cosigned = parse_note(signed.as_bytes()).expect("the cosignature lines parse");
            let v = verify_note(&cosigned, &VERIFIERS).expect("the cosignature verifies");
            assert!(v.iter().any(|s| s.timestamp == Some(1_800_000_000)), "no cosignature: {v:?}");
        }
        Err(e) => assert!(matches!(e.status(), 400 | 403 | 404 | 409 | 422), "{e} ({})", e.status()),
    }
}

/// `witness_log_list`: a witness's log list: no panic; every log it accepts has a log key and
/// a non-empty origin.
pub fn witness_log_list(data: &[u8]) {
    if let Ok(logs) = witness::parse_log_list(data) {
        assert!(!logs.is_empty());
        for l in logs {
            assert_eq!(l.key.kind, KeyKind::Ed25519);
            assert!(!l.origin.is_empty() && !l.origin.contains('\n'));
        }
    }
}

/// `cluster_parse`: what the distributed engine's client parses from outside, by the first
/// byte: the `--engine` URL (a URL it accepts prints back to itself), the scheduler's executor
/// and job lists (JSON), and a CSV part's header line (columns, then a NUL, then the part: the
/// header a CSV writer writes for those columns is accepted, and what follows it is left
/// unread, for every list of columns the cluster does not refuse up front).
pub fn cluster_parse(data: &[u8]) {
    use cluster::parse::{executors, jobs, parse_engine_url, skip_header};
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 4 {
        0 => {
            if let Ok((host, port)) = parse_engine_url(&text) {
                assert!(!host.is_empty() && port != 0 && !host.contains('/'), "{text:?}");
                assert_eq!(parse_engine_url(&format!("df://{host}:{port}")), Ok((host, port)));
            }
        }
        1 => {
            if let Ok(list) = executors(&text) {
                for e in list {
                    assert!(e.describe().contains(&e.id));
                }
            }
        }
        2 => {
            let _ = jobs(&text);
        }
        _ => {
            let (names, part) = match rest.iter().position(|&b| b == 0) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let columns: Vec<String> =
                String::from_utf8_lossy(names).split('\u{1f}').map(str::to_string).collect();
            let _ = skip_header(&mut std::io::Cursor::new(part), &columns);
            // Refused before any part is written: line breaks in a column name, and a
            // byte-order mark starting the first (a CSV reader drops it).
            if columns.iter().any(|c| c.contains(['\n', '\r'])) || columns[0].starts_with('\u{feff}') {
                return;
            }
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record(&columns).expect("in memory");
            let mut bytes = w.into_inner().expect("in memory");
            bytes.extend_from_slice(part);
            let mut reader = std::io::Cursor::new(bytes.as_slice());
            skip_header(&mut reader, &columns).expect("the written header is accepted");
            let at = reader.position() as usize;
            assert_eq!(&bytes[at..], part, "the header read more than its line");
        }
    }
}
