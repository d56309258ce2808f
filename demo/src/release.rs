//! The demo's dataset half: synthetic patients anonymised with the example policy, published
//! to the publisher's own log, cosigned by the demo witness and trusted in `trust.json`.

use std::path::Path;

use analytics::publish::{BUNDLE_FILE, Published};

use crate::{DemoError, write_json};

/// The demo's data publisher (its log origin).
pub const DEMO_PUBLISHER: &str = "demo.nhs.example/releases";
/// Where the demo's release lives in the site.
pub const DEMO_RELEASE: &str = "releases/patients-2026";
/// Synthetic patients in the demo release.
const DEMO_PATIENTS: u64 = 20_000;

/// Synthetic patients (kept out of the site, in `out/work`) anonymised with the example policy
/// into `site/releases/patients-2026`, published to the publisher's log in `site/releases/log`,
/// cosigned by the demo witness (its key in `out/keys`), and trusted in `trust.json`. Also
/// writes `out/row-proof.json` (one cited table row). Returns the link and what was published.
pub(crate) fn build(
    out: &Path,
    site: &Path,
    site_url: &str,
    now: i64,
) -> Result<(String, Published), DemoError> {
    let work = out.join("work");
    let hierarchies = work.join("hierarchies");
    std::fs::create_dir_all(&hierarchies).map_err(DemoError::io("create", &hierarchies))?;
    let policy = work.join("policy.toml");
    std::fs::write(&policy, include_str!("../../examples/patients/policy.toml"))
        .map_err(DemoError::io("write", &policy))?;
    let eth = hierarchies.join("ethnicity.csv");
    std::fs::write(&eth, include_str!("../../examples/patients/hierarchies/ethnicity.csv"))
        .map_err(DemoError::io("write", &eth))?;
    let patients = work.join("patients.csv");
    analytics::data::write_patients(&patients, 0..DEMO_PATIENTS, 1, false)?;
    let release = site.join(DEMO_RELEASE);
    let parent = release.parent().unwrap_or(site);
    std::fs::create_dir_all(parent).map_err(DemoError::io("create", parent))?;
    let made = analytics::anonymise::anonymise(&patients, &policy, &release, &mut |_| {})?;

    let keys = out.join("keys");
    let key = tlog::generate_key(DEMO_PUBLISHER, verifier::KeyKind::Ed25519)?;
    tlog::write_key_pair(&keys.join("publisher"), &key)?;
    let log = parent.join("log");
    drop(tlog::Log::init(&log, key.clone())?);
    let mut published = analytics::publish::publish_release(&release, &log, key.clone(), now, &mut || {})?;
    // The demo witness cosigns the publisher's log too, over HTTP as for the issuer's; the
    // bundle is re-proved to carry it.
    let witness = tlog::read_signer_key(&keys.join("witness.key"))?;
    let known = [witness::KnownLog { key: key.verifier.clone(), origin: DEMO_PUBLISHER.to_owned() }];
    let server = crate::witness_server(&witness, &keys.join("witness-state"), &known)?;
    let gather_policy = verifier::parse_policy(
        format!(
            "log {}\nwitness w1 {} {}\nquorum w1\n",
            verifier::write::format_verifier_key(&key.verifier),
            verifier::write::format_verifier_key(&witness.verifier),
            server.url()
        )
        .as_bytes(),
    )
    .map_err(|e| DemoError::Input(e.to_string()))?;
    let r = witness::witness_log_dir(&log, &gather_policy, &crate::witness_client(), tlog::LockMode::Fail)
        .map_err(|e| DemoError::Input(e.to_string()))?;
    r.quorum
        .as_ref()
        .map_err(|e| DemoError::Input(format!("the demo witness did not cosign: {e}; {}", r.failures())))?;
    server.stop().map_err(|e| DemoError::Input(format!("the demo witness: {e}")))?;
    published.bundle.tlog_proof = tlog::tlog_proof(&tlog::DirFetch(log.clone()), published.index)?;
    analytics::publish::write_bundle(&release, &published.bundle)?;

    let trust_path = site.join("trust.json");
    let mut trust =
        verifier::TrustList::parse(&std::fs::read(&trust_path).map_err(DemoError::io("read", &trust_path))?)
            .map_err(DemoError::Input)?;
    let policy_text = format!(
        "log {}\nwitness w1 {}\nquorum w1\n",
        verifier::write::format_verifier_key(&key.verifier),
        verifier::write::format_verifier_key(&witness.verifier)
    );
    trust.publishers.push(verifier::TrustedParty {
        name: "NHS England, synthetic data (demo)".to_owned(),
        vkey: verifier::write::format_verifier_key(&key.verifier),
        log: Some("releases/log".to_owned()),
        policy: Some(policy_text),
        origin: None,
    });
    write_json(&trust_path, &trust)?;

    // A row someone might cite: the first figure of the first table.
    let table =
        made.report.tables.first().map(|t| t.file.clone()).unwrap_or_else(|| "microdata.csv".to_owned());
    let proof = analytics::publish::prove_row(&release, &table, 0)?;
    write_json(&out.join("row-proof.json"), &proof)?;
    Ok((format!("{site_url}#release={DEMO_RELEASE}/{BUNDLE_FILE}"), published))
}
