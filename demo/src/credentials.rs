//! The demo's credential half: an issuer log with a few hundred synthetic credentials (one
//! revoked, one expired), cosigned by the demo witness, trusted in `trust.json`, and the links
//! of four bundles.

use std::path::Path;

use issuer::{Batch, IssueOutcome, Row, Witnessing, issue, read_rows, revoke};
use verifier::write::format_verifier_key;
use verifier::{Bundle, KeyKind, parse_tlog_proof};

use crate::DemoError;

/// The demo issuer's log origin.
pub const DEMO_ISSUER: &str = "demo.gmc.example/register";
/// The demo witness.
pub const DEMO_WITNESS: &str = "witness.demo.example/w1";

/// Re-proves a bundle (and nothing else) against the log's current checkpoint, as a holder
/// refreshing their proof would: same entry and index, newer (here: witnessed) checkpoint.
fn refresh(log: &Path, bundle: &mut Bundle) -> Result<(), DemoError> {
    let index =
        parse_tlog_proof(bundle.tlog_proof.as_bytes()).map_err(|e| DemoError::Input(e.to_string()))?.index;
    bundle.tlog_proof = tlog::tlog_proof(&tlog::DirFetch(log.to_owned()), index)?;
    Ok(())
}

/// Makes the issuer and witness keys in `keys`, the issuer's log in `site/log`, its bundles
/// in `bundles`, and `site/trust.json`; returns `(label, link)` for `valid`, `revoked`,
/// `expired` and `tampered`. `now` is POSIX seconds.
pub(crate) fn build(
    site: &Path,
    keys: &Path,
    bundles: &Path,
    site_url: &str,
    now: i64,
) -> Result<Vec<(String, String)>, DemoError> {
    std::fs::create_dir_all(keys).map_err(DemoError::io("create", keys))?;
    let key = tlog::generate_key(DEMO_ISSUER, KeyKind::Ed25519)?;
    let witness = tlog::generate_key(DEMO_WITNESS, KeyKind::CosignatureV1)?;
    tlog::write_key_pair(&keys.join("issuer"), &key)?;
    tlog::write_key_pair(&keys.join("witness"), &witness)?;
    let log = site.join("log");
    drop(tlog::Log::init(&log, key.clone())?);

    let mut csv = Vec::new();
    issuer::synth::registrants_csv(300, 2026, &mut csv).map_err(DemoError::io("generate", site))?;
    let rows = read_rows(&csv)?;
    let valid_now = |r: &Row| {
        let t = |s: &Option<String>| s.as_deref().and_then(|s| verifier::parse_time(s).ok());
        t(&r.valid_from).is_none_or(|f| f <= now) && t(&r.valid_until).is_none_or(|u| u >= now)
    };
    let pick = |want: &dyn Fn(&Row) -> bool, skip: &[String]| {
        rows.iter().find(|r| want(r) && !skip.contains(&r.id)).map(|r| r.id.clone())
    };
    let is_entry = |r: &Row| r.credential_type == "RegisterEntry" && valid_now(r);
    let valid = pick(&is_entry, &[]).ok_or_else(|| DemoError::Input("no valid register entry".to_owned()))?;
    let revoked = pick(&is_entry, std::slice::from_ref(&valid))
        .ok_or_else(|| DemoError::Input("no second entry".to_owned()))?;
    let expired = pick(
        &|r: &Row| {
            r.valid_until.as_deref().and_then(|u| verifier::parse_time(u).ok()).is_some_and(|u| u < now)
        },
        &[],
    )
    .ok_or_else(|| DemoError::Input("no expired credential in the synthetic data".to_owned()))?;

    let policy = format!(
        "log {}\nwitness w1 {}\nquorum w1\n",
        format_verifier_key(&key.verifier),
        format_verifier_key(&witness.verifier)
    );
    // The demo witness runs as `witness serve` would, on loopback for the duration of the
    // build; the log gathers its cosignatures over HTTP (C2SP tlog-witness). Verifiers need
    // no URL: trust.json keeps the policy without it.
    let known = [witness::KnownLog { key: key.verifier.clone(), origin: DEMO_ISSUER.to_owned() }];
    let server = crate::witness_server(&witness, &keys.join("witness-state"), &known)?;
    let gather_policy = verifier::parse_policy(
        format!(
            "log {}\nwitness w1 {} {}\nquorum w1\n",
            format_verifier_key(&key.verifier),
            format_verifier_key(&witness.verifier),
            server.url()
        )
        .as_bytes(),
    )
    .map_err(|e| DemoError::Input(e.to_string()))?;
    let remote = witness::HttpWitnesses { policy: &gather_policy, client: crate::witness_client() };
    let mut l = tlog::Log::open(&log, key.clone(), tlog::LockMode::Fail, &mut || {})?;
    // Every bundle is handed out under a checkpoint the witness has cosigned.
    let witnessing = Witnessing { policy: Some(&gather_policy), local: None, remote: Some(&remote) };
    let batch = Batch { rows, input: issuer::sha256_hex(&csv) };
    match issue(&mut l, &key, batch, bundles, now, witnessing, &mut |_, _| {})? {
        IssueOutcome::Done(_) => {}
        IssueOutcome::AwaitingWitnesses { detail, .. } => {
            return Err(DemoError::Input(format!("the demo witness did not cosign: {detail}")));
        }
    }
    revoke(&mut l, &key, &revoked, now)?;
    // The witness cosigns the checkpoint that commits the revocation.
    let r = witness::witness_open_log(&l, &gather_policy, &remote.client)
        .map_err(|e| DemoError::Input(e.to_string()))?;
    r.quorum
        .as_ref()
        .map_err(|e| DemoError::Input(format!("the demo witness did not cosign: {e}; {}", r.failures())))?;
    drop(l);
    server.stop().map_err(|e| DemoError::Input(format!("the demo witness: {e}")))?;
    let trust = serde_json::json!({
        "issuers": [{
            "name": "General Medical Council (demo)",
            "vkey": format_verifier_key(&key.verifier),
            "log": "log",
            "policy": policy,
        }],
        "publishers": [],
    });
    // The release half adds the publisher to this list.
    let trust_path = site.join("trust.json");
    let bytes = serde_json::to_vec_pretty(&trust).map_err(|e| DemoError::Input(e.to_string()))?;
    tlog::write_file_atomic(&trust_path, &bytes, false)?;

    let load = |id: &str| -> Result<Bundle, DemoError> {
        let p = bundles.join(format!("{id}.json"));
        let mut b = Bundle::parse(&std::fs::read(&p).map_err(DemoError::io("read", &p))?)
            .map_err(|e| DemoError::Input(e.to_string()))?;
        refresh(&log, &mut b)?;
        Ok(b)
    };
    let mut tampered = load(&valid)?;
    if let Some(v) = tampered.credential.credential_subject.get_mut("status") {
        *v = "licensed without conditions".to_owned();
    }
    let mut links = Vec::new();
    for (label, b) in [
        ("valid", load(&valid)?),
        ("revoked", load(&revoked)?),
        ("expired", load(&expired)?),
        ("tampered", tampered),
    ] {
        let link =
            issuer::compact_link(site_url, &b, issuer::LinkText::Base64Url).map_err(DemoError::Input)?;
        links.push((label.to_owned(), link));
    }
    Ok(links)
}
