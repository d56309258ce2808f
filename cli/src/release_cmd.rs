//! `publish`, `prove-row`, and `verify RELEASEDIR|ROWPROOF`: wiring of analytics::publish,
//! the log writer and the verifier.

use std::path::Path;
use std::process::ExitCode;

use analytics::publish::{BUNDLE_FILE, FileStatus, MANIFEST_FILE};
use verifier::{BundleTrust, ROW_PROOF_FORMAT};

use crate::UsageError;
use crate::args::{LogLocation, OutputArgs, VerifyTrustArgs};
use crate::output::outln;

pub(crate) fn publish(release: &Path, log: &Path, key: &Path) -> Result<ExitCode, UsageError> {
    let key = tlog::read_signer_key(key)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let published = analytics::publish::publish_release(release, log, key, now, &mut || {
        eprintln!("waiting for another writer to finish...")
    })
    .map_err(publish_error)?;
    print_published(release, &published);
    Ok(ExitCode::SUCCESS)
}

/// The line `publish` (and the demo) prints on stderr for a published release, after one
/// saying so if it completed an interrupted publish.
pub(crate) fn print_published(release: &Path, p: &analytics::publish::Published) {
    use analytics::publish::Resumed;
    match p.resumed {
        Some(Resumed::AlreadyAppended) => eprintln!(
            "resumed: {} of an interrupted publish was already appended as entry {}",
            release.join(MANIFEST_FILE).display(),
            p.index
        ),
        Some(Resumed::Appended) => eprintln!(
            "resumed: {} of an interrupted publish was not yet appended; appending it",
            release.join(MANIFEST_FILE).display()
        ),
        None => {}
    }
    eprintln!(
        "published {} ({} files, hashed in {:.2} s) as entry {} of {}; wrote {MANIFEST_FILE} and {BUNDLE_FILE}",
        release.display(),
        p.bundle.manifest.related_resource.len(),
        p.hashed_secs,
        p.index,
        p.origin
    );
}

/// A publish failure as the CLI words it: the library's message, with the CLI's advice.
pub(crate) fn publish_error(e: analytics::publish::PublishError) -> UsageError {
    use analytics::publish::PublishError;
    match e {
        PublishError::NotARelease(_) => UsageError::new(format!("{e}; make one with `ledgerless anonymise`")),
        PublishError::CredentialLog { under_lock: false, .. } => UsageError::new(e.to_string()).hint(
            "publish releases to a log of their own: `ledgerless log init RELEASELOG --key PUBLISHER.key`",
        ),
        PublishError::Log(e) => e.into(),
        e => UsageError::new(e.to_string()),
    }
}

pub(crate) fn prove_row(
    release: &Path,
    table: &str,
    row: u64,
    out: Option<&Path>,
    force: bool,
) -> Result<ExitCode, UsageError> {
    let file = if table == "microdata" { "microdata.csv".to_string() } else { format!("tables/{table}.csv") };
    let proof =
        analytics::publish::prove_row(release, &file, row).map_err(|e| UsageError::new(e.to_string()))?;
    let mut json = serde_json::to_vec_pretty(&proof).map_err(|e| UsageError::new(e.to_string()))?;
    json.push(b'\n');
    match out {
        Some(p) => crate::output::write_file("--out", p, &json, force)?,
        None => crate::output::stdout_bytes(&json)?,
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
    crate::print_report(&report, output)?;
    if report.verified
        && !output.json
        && let Some(p) = proof
    {
        let cols = p.release.manifest.resource(&p.file).and_then(|r| r.columns.clone()).unwrap_or_default();
        let shown: Vec<String> = cols.iter().zip(&p.values).map(|(c, v)| format!("{c}={v:?}")).collect();
        outln!("{}: {} row {}: {}", file.display(), p.file, p.row, shown.join(", "))?;
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
        outln!("{v:#}")?;
    } else {
        crate::print_report(&report, &OutputArgs { json: false })?;
        for (f, s) in &files {
            let word = match s {
                FileStatus::Verified => "verified".to_string(),
                FileStatus::Altered(why) => format!("ALTERED: {why}"),
                FileStatus::Missing => "MISSING".to_string(),
                FileStatus::Extra => "EXTRA: not in the published manifest".to_string(),
            };
            outln!("  {f}: {word}")?;
        }
        match &recount {
            Some(Ok((f, c, p))) if p.is_empty() => outln!(
                "  recount: {f}: {} rows in {} classes, the smallest has {} rows{}; {} suppressed: as claimed",
                c.rows,
                c.classes,
                c.smallest,
                c.distinct_l.iter().map(|(col, l)| format!(", {col} l = {l}")).collect::<String>(),
                c.suppressed
            )?,
            Some(Ok((f, _, p))) => outln!("  recount: FAIL {f}: {}", p.join("; "))?,
            Some(Err(e)) => outln!("  recount: FAIL {e}")?,
            None => {}
        }
        match &fork {
            Some(Ok(s)) => outln!("  log: {s}")?,
            Some(Err(e)) => outln!("  log: FAIL {e}")?,
            None if report.verified => match source {
                LogSource::Offline => outln!("  log: not checked (--offline): verified offline")?,
                _ => outln!(
                    "  log: not checked (no --log, and no log named for the publisher by --trust): verified offline"
                )?,
            },
            None => {}
        }
        if let Some((m, name)) = &manifest
            && report.verified
        {
            // The figures are the manifest's; they are stated as facts only once recounted.
            outln!(
                "release {:?} by {name}: {}k = {} (policy {}), {} records, {} suppressed",
                m.name,
                if verified { "" } else { "claims " },
                m.privacy.achieved_k,
                m.privacy.k,
                m.privacy.records,
                m.privacy.suppressed
            )?;
        }
        outln!("{}", if verified { "RELEASE VERIFIED" } else { "RELEASE NOT VERIFIED" })?;
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
