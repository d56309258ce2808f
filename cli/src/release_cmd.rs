//! `publish`, `prove-row`, and `verify RELEASEDIR|ROWPROOF`: wiring of analytics::publish,
//! the log writer and the verifier.

use std::path::Path;
use std::process::ExitCode;

use analytics::publish::{BUNDLE_FILE, FileStatus, MANIFEST_FILE};
use verifier::{BundleTrust, ROW_PROOF_FORMAT};

use crate::UsageError;
use crate::args::{LogLocation, OutputArgs, VerifyTrustArgs};

pub(crate) fn publish(release: &Path, log: &Path, key: &Path) -> Result<ExitCode, UsageError> {
    let key = tlog::read_signer_key(key)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    publish_release(release, log, key, now)?;
    Ok(ExitCode::SUCCESS)
}

/// Builds RELEASEDIR's manifest, appends it to the log and writes `manifest.json` (the entry's
/// exact bytes) and `manifest.bundle.json`; returns the bundle.
fn publish_release(
    release: &Path,
    log: &Path,
    key: verifier::write::SignerKey,
    now: i64,
) -> Result<verifier::ReleaseBundle, UsageError> {
    if !release.join("report.json").is_file() {
        return Err(UsageError::new(format!(
            "{} is not a release directory (no report.json); make one with `ledgerless anonymise`",
            release.display()
        )));
    }
    for f in [MANIFEST_FILE, BUNDLE_FILE] {
        if release.join(f).exists() {
            return Err(UsageError::new(format!("{} is already published ({f} exists)", release.display())));
        }
    }
    if let Some(why) = credential_log(log) {
        return Err(UsageError::new(format!(
            "{} is a credential log ({why}); publishing a release there would break every credential's revocation check",
        log.display()
        ))
        .hint("publish releases to a log of their own: `ledgerless log init RELEASELOG --key PUBLISHER.key`"));
    }
    let publisher = key.verifier.name.clone();
    let t = std::time::Instant::now();
    let manifest = analytics::publish::build_manifest(release, &publisher, &verifier::format_time(now))
        .map_err(|e| UsageError::new(e.to_string()))?;
    let hashed = t.elapsed().as_secs_f64();
    let entry = manifest.entry().map_err(|e| UsageError::new(e.to_string()))?;
    let mut l = tlog::Log::open(log, key, tlog::LockMode::Wait, &mut || {
        eprintln!("waiting for another writer to finish...")
    })?;
    // Checked again under the lock: an `issue` may have started since.
    if let Some(why) = credential_log(log) {
        return Err(UsageError::new(format!(
            "{} is a credential log ({why}); publishing a release there would break every credential's revocation check",
            log.display()
        )));
    }
    // Under the log's lock, claim the release by creating manifest.json: of two runs on the
    // same directory, only one appends.
    let manifest_path = release.join(MANIFEST_FILE);
    let mut claim =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&manifest_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                UsageError::new(format!(
                    "{} is already published ({MANIFEST_FILE} exists)",
                    release.display()
                ))
            } else {
                UsageError::new(format!("cannot write {}: {e}", manifest_path.display()))
            }
        })?;
    let c = match l.append(std::iter::once(Ok(entry.clone())), &mut |_, _| {}) {
        Ok(c) => c,
        Err(e) => {
            drop(claim);
            let _ = std::fs::remove_file(&manifest_path);
            return Err(e.into());
        }
    };
    let proof = tlog::tlog_proof(&tlog::DirFetch(log.to_path_buf()), c.size - 1)?;
    drop(l);
    let bundle = analytics::publish::bundle(manifest, proof);
    use std::io::Write as _;
    claim
        .write_all(&entry)
        .and_then(|()| claim.sync_all())
        .map_err(|e| UsageError::new(format!("cannot write {}: {e}", manifest_path.display())))?;
    write_json(&release.join(BUNDLE_FILE), &bundle)?;
    eprintln!(
        "published {} ({} files, hashed in {hashed:.2} s) as entry {} of {}; wrote {MANIFEST_FILE} and {BUNDLE_FILE}",
        release.display(),
        bundle.manifest.related_resource.len(),
        c.size - 1,
        c.origin
    );
    Ok(bundle)
}

/// Why the log at `log` holds credentials (an issuer's status list or ids, or a credential or
/// status-list entry last), or `None` for a log that does not.
fn credential_log(log: &Path) -> Option<String> {
    for f in ["status/ids", verifier::STATUS_LIST_PATH, verifier::STATUS_PROOF_PATH] {
        if log.join(f).exists() {
            return Some(format!("it has {f}"));
        }
    }
    if log.join("status").is_dir() {
        return Some("it has a status/ directory".to_owned());
    }
    // An issuer's last entry is always its status list; credentials precede it.
    let fetch = tlog::DirFetch(log.to_path_buf());
    let (_, c) = tlog::read_checkpoint(&fetch).ok()?;
    if c.size == 0 {
        return None;
    }
    let last = c.size - 1;
    let bundle = last / verifier::TILE_WIDTH;
    let width = (c.size - bundle * verifier::TILE_WIDTH) as u16;
    let path = verifier::entries_path(bundle, width);
    let bytes = std::fs::read(log.join(&path)).ok()?;
    let entries = verifier::parse_entry_bundle(&path, &bytes).ok()?;
    let format = serde_json::from_slice::<serde_json::Value>(entries.last()?)
        .ok()?
        .get("format")?
        .as_str()?
        .to_owned();
    [verifier::ENTRY_FORMAT, verifier::STATUS_ENTRY_FORMAT]
        .contains(&format.as_str())
        .then(|| format!("its last entry is a {format} entry"))
}

/// Writes pretty JSON to `path` through a temporary file renamed over it: readers see the
/// old file or the whole new one, never a part.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), UsageError> {
    let mut json = serde_json::to_vec_pretty(value).map_err(|e| UsageError::new(e.to_string()))?;
    json.push(b'\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| UsageError::new(format!("cannot write {}: {e}", path.display())))
}

/// The demo's data publisher (its log origin).
pub(crate) const DEMO_PUBLISHER: &str = "demo.nhs.example/releases";
/// Where the demo's release lives in the site.
pub(crate) const DEMO_RELEASE: &str = "releases/patients-2026";
/// Synthetic patients in the demo release.
const DEMO_PATIENTS: u64 = 20_000;

/// The demo's dataset half: synthetic patients (kept out of the site, in `out/work`)
/// anonymised with the example policy into `site/releases/patients-2026`, published to the
/// publisher's log in `site/releases/log`, cosigned by the demo witness, and trusted in
/// `trust.json`. Also writes `out/row-proof.json` (one cited table row). Returns the link.
pub(crate) fn demo_release(out: &Path, site: &Path, site_url: &str, now: i64) -> Result<String, UsageError> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        UsageError::new(format!("cannot {what} {}: {e}", p.display()))
    };
    let work = out.join("work");
    let hierarchies = work.join("hierarchies");
    std::fs::create_dir_all(&hierarchies).map_err(|e| io("create", &hierarchies, e))?;
    let policy = work.join("policy.toml");
    std::fs::write(&policy, include_str!("../../examples/patients/policy.toml"))
        .map_err(|e| io("write", &policy, e))?;
    let eth = hierarchies.join("ethnicity.csv");
    std::fs::write(&eth, include_str!("../../examples/patients/hierarchies/ethnicity.csv"))
        .map_err(|e| io("write", &eth, e))?;
    let patients = work.join("patients.csv");
    analytics::data::write_patients(&patients, DEMO_PATIENTS, 1)
        .map_err(|e| UsageError::new(e.to_string()))?;
    let release = site.join(DEMO_RELEASE);
    let parent = release.parent().unwrap_or(site);
    std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    let made = analytics::anonymise::anonymise(&patients, &policy, &release, &mut |_| {})
        .map_err(|e| UsageError::new(e.to_string()))?;

    let keys = out.join("keys");
    let key = tlog::generate_key(DEMO_PUBLISHER, verifier::KeyKind::Ed25519)?;
    tlog::write_key_pair(&keys.join("publisher"), &key)?;
    let log = parent.join("log");
    drop(tlog::Log::init(&log, key.clone())?);
    let mut bundle = publish_release(&release, &log, key.clone(), now)?;
    // The demo witness cosigns the publisher's log too; the bundle is re-proved to carry it.
    let witness = tlog::read_signer_key(&keys.join("witness.key"))?;
    tlog::cosign_log_dir(
        &witness,
        &key.verifier,
        &log,
        &keys.join("witness-state"),
        now as u64,
        tlog::LockMode::Fail,
    )
    .map_err(|e| UsageError::new(e.to_string()))?;
    let index = verifier::parse_tlog_proof(bundle.tlog_proof.as_bytes())
        .map_err(|e| UsageError::new(e.to_string()))?
        .index;
    bundle.tlog_proof = tlog::tlog_proof(&tlog::DirFetch(log.clone()), index)?;
    write_json(&release.join(BUNDLE_FILE), &bundle)?;

    let trust_path = site.join("trust.json");
    let mut trust: verifier::TrustList =
        verifier::TrustList::parse(&std::fs::read(&trust_path).map_err(|e| io("read", &trust_path, e))?)
            .map_err(UsageError::new)?;
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
    });
    write_json(&trust_path, &trust)?;

    // A row someone might cite: the first figure of the first table.
    let table =
        made.report.tables.first().map(|t| t.file.clone()).unwrap_or_else(|| "microdata.csv".to_owned());
    let proof =
        analytics::publish::prove_row(&release, &table, 0).map_err(|e| UsageError::new(e.to_string()))?;
    write_json(&out.join("row-proof.json"), &proof)?;
    Ok(format!("{site_url}#release={DEMO_RELEASE}/{BUNDLE_FILE}"))
}

pub(crate) fn prove_row(
    release: &Path,
    table: &str,
    row: u64,
    out: Option<&Path>,
    force: bool,
) -> Result<ExitCode, UsageError> {
    if let Some(p) = out {
        // Before the (streaming, possibly long) proof: refuse an existing file at once.
        crate::output::check_target("--out", p, force)?;
    }
    let file = if table == "microdata" { "microdata.csv".to_string() } else { format!("tables/{table}.csv") };
    let proof =
        analytics::publish::prove_row(release, &file, row).map_err(|e| UsageError::new(e.to_string()))?;
    let mut json = serde_json::to_vec_pretty(&proof).map_err(|e| UsageError::new(e.to_string()))?;
    json.push(b'\n');
    match out {
        Some(p) => crate::output::write_file("--out", p, &json, force)?,
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&json).map_err(|e| UsageError::new(e.to_string()))?;
        }
    }
    eprintln!("row {row} of {file}: {}", proof.values.join(", "));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn is_row_proof(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(|f| f == ROW_PROOF_FORMAT))
        .unwrap_or(false)
}

pub(crate) fn verify_row_proof(
    file: &Path,
    bytes: &[u8],
    trust: &VerifyTrustArgs,
    output: &OutputArgs,
) -> Result<ExitCode, UsageError> {
    let trust = crate::cred_cmd::bundle_trust(trust)?;
    let (report, proof) = verifier::check_row_proof(bytes, &trust);
    crate::print_report(&report, output);
    if report.verified
        && !output.json
        && let Some(p) = proof
    {
        let cols = p.release.manifest.resource(&p.file).and_then(|r| r.columns.clone()).unwrap_or_default();
        let shown: Vec<String> = cols.iter().zip(&p.values).map(|(c, v)| format!("{c}={v:?}")).collect();
        println!("{}: {} row {}: {}", file.display(), p.file, p.row, shown.join(", "));
    }
    Ok(if report.verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Where `verify RELEASEDIR` reads the publisher's log from.
enum LogSource {
    /// `--log`: this log, which must answer.
    Given(LogLocation),
    /// The publisher's `log` in `--trust` (resolved against the trust file's folder): it must
    /// answer too.
    Listed(LogLocation),
    /// `--offline`: no log is read.
    Offline,
    /// No log is known (a bare `--vkey`, or a trust list naming no log for the publisher).
    Unknown,
}

impl LogSource {
    /// What the log is, in the words of a result line.
    fn name(&self) -> String {
        match self {
            LogSource::Given(l) => format!("--log {}", location(l)),
            LogSource::Listed(l) => format!("{}, named by --trust", location(l)),
            LogSource::Offline => "--offline".to_owned(),
            LogSource::Unknown => "none".to_owned(),
        }
    }
}

fn location(l: &LogLocation) -> String {
    match l {
        LogLocation::Dir(d) => d.display().to_string(),
        LogLocation::Url(u) => u.clone(),
    }
}

pub(crate) fn verify_release(
    dir: &Path,
    trust: &VerifyTrustArgs,
    log: Option<&LogLocation>,
    offline: bool,
    output: &OutputArgs,
) -> Result<ExitCode, UsageError> {
    let trust: BundleTrust = crate::cred_cmd::bundle_trust(trust)?;
    let bundle_path = dir.join(BUNDLE_FILE);
    let bytes = std::fs::read(&bundle_path).map_err(|e| {
        UsageError::new(format!("cannot read {}: {e}", bundle_path.display()))
            .hint("a published release has manifest.bundle.json; make one with `ledgerless publish`")
    })?;
    let (report, manifest) = verifier::check_release(&bytes, &trust);
    let mut files = Vec::new();
    let mut recount = None;
    let mut problems = Vec::new();
    if let Some((m, _)) = manifest.as_ref().filter(|_| report.verified) {
        // manifest.json, if present, must be the manifest's exact entry bytes.
        if let Ok(on_disk) = std::fs::read(dir.join(MANIFEST_FILE))
            && m.entry().ok().as_deref() != Some(on_disk.as_slice())
        {
            problems.push(format!("{MANIFEST_FILE}: differs from the manifest in {BUNDLE_FILE}"));
        }
        let checked = analytics::publish::check_files(dir, m).map_err(|e| UsageError::new(e.to_string()))?;
        files = checked.files;
        for (f, s) in &files {
            match s {
                FileStatus::Verified => {}
                FileStatus::Altered(why) => problems.push(format!("{f}: altered ({why})")),
                FileStatus::Missing => problems.push(format!("{f}: missing")),
                FileStatus::Extra => problems.push(format!("{f}: extra (not in the published manifest)")),
            }
        }
        match &checked.recount {
            Err(why) => problems.push(format!("recount: {why}")),
            Ok((f, _, p)) if !p.is_empty() => {
                problems.push(format!("recount: {f} does not bear out the manifest: {}", p.join("; ")))
            }
            Ok(_) => {}
        }
        recount = Some(checked.recount);
    }
    // A log asked for, by --log or by the trust list, must answer (issue 12: never silently
    // verified offline); only --offline, or no log known at all, skips it, and says so.
    let source = match (log, offline, &trust, manifest.as_ref()) {
        (Some(l), _, _, _) => LogSource::Given(l.clone()),
        (None, true, _, _) => LogSource::Offline,
        (None, false, BundleTrust::List(list), Some((m, _))) => {
            match list.find_publisher(&m.publisher).and_then(|(p, _)| p.log.clone()) {
                // `bundle_trust` has already resolved a relative `log` against the trust
                // file's folder (`cred_cmd::resolve_logs`).
                Some(l) => LogSource::Listed(l.parse().unwrap_or_else(|_| LogLocation::Dir(l.into()))),
                None => LogSource::Unknown,
            }
        }
        _ => LogSource::Unknown,
    };
    let fork = match (&source, manifest.as_ref(), report.verified) {
        (LogSource::Given(l) | LogSource::Listed(l), Some(_), true) => Some(
            log_history(&bytes, &trust, l).map_err(|e| format!("publisher's log ({}): {e}", source.name())),
        ),
        _ => None,
    };
    if let Some(Err(e)) = &fork {
        problems.push(e.clone());
    }
    let verified = report.verified && problems.is_empty();
    if output.json {
        let v = serde_json::json!({
            "verified": verified,
            "release": report,
            "files": files.iter().map(|(f, s)| serde_json::json!({"file": f, "status": s})).collect::<Vec<_>>(),
            "recount": recount.as_ref().map(|r| match r {
                Ok((f, c, p)) => serde_json::json!({"file": f, "confirmed": p.is_empty(), "found": c, "problems": p}),
                Err(e) => serde_json::json!({"confirmed": false, "error": e}),
            }),
            "log": fork.as_ref().map(|r| match r { Ok(s) => s.clone(), Err(e) => e.clone() }),
            "logSource": source.name(),
            "problems": problems,
        });
        println!("{v:#}");
    } else {
        crate::print_report(&report, &OutputArgs { json: false });
        for (f, s) in &files {
            let word = match s {
                FileStatus::Verified => "verified".to_string(),
                FileStatus::Altered(why) => format!("ALTERED: {why}"),
                FileStatus::Missing => "MISSING".to_string(),
                FileStatus::Extra => "EXTRA: not in the published manifest".to_string(),
            };
            println!("  {f}: {word}");
        }
        match &recount {
            Some(Ok((f, c, p))) if p.is_empty() => println!(
                "  recount: {f}: {} rows in {} classes, the smallest has {} rows{}; {} suppressed: as claimed",
                c.rows,
                c.classes,
                c.smallest,
                c.distinct_l.iter().map(|(col, l)| format!(", {col} l = {l}")).collect::<String>(),
                c.suppressed
            ),
            Some(Ok((f, _, p))) => println!("  recount: FAIL {f}: {}", p.join("; ")),
            Some(Err(e)) => println!("  recount: FAIL {e}"),
            None => {}
        }
        match &fork {
            Some(Ok(s)) => println!("  log: {s}"),
            Some(Err(e)) => println!("  log: FAIL {e}"),
            None if report.verified => match source {
                LogSource::Offline => println!("  log: not checked (--offline): verified offline"),
                _ => println!(
                    "  log: not checked (no --log, and no log named for the publisher by --trust): verified offline"
                ),
            },
            None => {}
        }
        if let Some((m, name)) = &manifest
            && report.verified
        {
            // The figures are the manifest's; they are stated as facts only once recounted.
            println!(
                "release {:?} by {name}: {}k = {} (policy {}), {} records, {} suppressed",
                m.name,
                if verified { "" } else { "claims " },
                m.privacy.achieved_k,
                m.privacy.k,
                m.privacy.records,
                m.privacy.suppressed
            );
        }
        println!("{}", if verified { "RELEASE VERIFIED" } else { "RELEASE NOT VERIFIED" });
    }
    for p in &problems {
        eprintln!("not verified: {p}");
    }
    Ok(if verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The publisher's log now is consistent with the checkpoint the release was proven under.
fn log_history(bundle: &[u8], trust: &BundleTrust, l: &LogLocation) -> Result<String, String> {
    let b = verifier::ReleaseBundle::parse(bundle).map_err(|e| e.to_string())?;
    let p = verifier::parse_tlog_proof(b.tlog_proof.as_bytes()).map_err(|e| e.to_string())?;
    let t = match trust {
        BundleTrust::Direct(t) => t.clone(),
        BundleTrust::List(list) => {
            list.find_publisher(&b.manifest.publisher).map(|(_, t)| t).ok_or("untrusted")?
        }
    };
    let fetch = crate::cred_cmd::log_fetch(l);
    let (latest, _) =
        tlog::read_checkpoint(fetch.as_ref()).map_err(|e| format!("cannot read its checkpoint: {e}"))?;
    let proof = match verifier::history_proof_sizes(p.checkpoint.as_bytes(), &latest) {
        Some((old, new)) => {
            Some(tlog::prove_consistency(fetch.as_ref(), old, Some(new)).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let step = verifier::check_last_seen(&t, p.checkpoint.as_bytes(), &latest, proof.as_deref());
    match step.outcome {
        verifier::Outcome::Pass => Ok(step.detail),
        _ => Err(format!("log history: {}", step.detail)),
    }
}
