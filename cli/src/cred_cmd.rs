//! Wiring for `synth`, `issue`, `disclose`, `revoke`, `share` and `verify BUNDLE...`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use verifier::{Bundle, BundleSummary, BundleTrust, Outcome, Report, StatusCheck, Trust, TrustList};

use crate::args::{LogLocation, OutputArgs, SynthKind, TrustArgs, VerifyTrustArgs};
use crate::output::outln;
use crate::{UsageError, read};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn synth(
    kind: SynthKind,
    rows: u64,
    seed: u64,
    out: &Path,
    force: bool,
) -> Result<ExitCode, UsageError> {
    if !matches!(kind, SynthKind::Registrants) {
        return Err(UsageError::new("internal: only registrants are made here"));
    }
    let mut file = crate::output::Output::create("--out", out, force)?;
    issuer::synth::registrants_csv(rows, seed, file.writer())
        .map_err(|e| UsageError::new(format!("cannot write {}: {e}", out.display())))?;
    file.commit()?;
    eprintln!("wrote {rows} synthetic registrant credentials (seed {seed}) to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Reads a witness's private key for `issue`/`revoke --witness-key`.
fn witness_key(
    w: Option<(PathBuf, PathBuf)>,
) -> Result<Option<(verifier::write::SignerKey, PathBuf)>, UsageError> {
    w.map(|(k, state)| {
        let key = tlog::read_signer_key(&k)?;
        if key.verifier.kind != verifier::KeyKind::CosignatureV1 {
            return Err(UsageError::new(format!(
                "--witness-key {}: {} is a log key, not a witness key (ledgerless keygen --witness)",
                k.display(),
                key.verifier.label()
            )));
        }
        Ok((key, state))
    })
    .transpose()
}

/// How long `issue` and `revoke` wait for one witness.
const WITNESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The policy's witnesses that have a URL, asked over HTTP (C2SP tlog-witness).
fn http_witnesses(policy: Option<&verifier::Policy>) -> Option<witness::HttpWitnesses<'_>> {
    policy
        .filter(|p| witness::HttpWitnesses::any(p))
        .map(|policy| witness::HttpWitnesses { policy, client: witness::Client::new(WITNESS_TIMEOUT) })
}

/// Reads `--policy` for `issue`/`revoke`: it must list this log's key.
fn issuer_policy(
    policy: Option<&Path>,
    key: &verifier::VerifierKey,
) -> Result<Option<verifier::Policy>, UsageError> {
    let Some(p) = policy else { return Ok(None) };
    let pol = crate::load_policy(p)?;
    if !pol.logs.iter().any(|l| l.key == *key) {
        return Err(UsageError::new(format!(
            "--policy {}: it does not list this log's key ({})",
            p.display(),
            key.name
        )));
    }
    Ok(Some(pol))
}

pub(crate) fn issue(
    log: &Path,
    key: &Path,
    input: &Path,
    out: &Path,
    policy: Option<&Path>,
    witness: Option<(PathBuf, PathBuf)>,
) -> Result<ExitCode, UsageError> {
    let key = tlog::read_signer_key(key)?;
    let csv = read("--input", input)?;
    let rows = issuer::read_rows(&csv).map_err(|e| UsageError::new(format!("{}: {e}", input.display())))?;
    let policy = issuer_policy(policy, &key.verifier)?;
    let witness = witness_key(witness)?;
    let n = rows.len() as u64;
    let mut l =
        issuer::open_log(log, key.clone(), &mut || eprintln!("waiting for another writer to finish..."))
            .map_err(|e| UsageError::new(e.to_string()))?;
    let pb = indicatif::ProgressBar::new(n * 3);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {msg} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = std::time::Instant::now();
    let mut stages: Vec<(issuer::Stage, f64)> = Vec::new();
    let remote = http_witnesses(policy.as_ref());
    let witnessing = issuer::Witnessing {
        policy: policy.as_ref(),
        local: witness.as_ref().map(|(k, s)| (k, s.as_path())),
        remote: remote.as_ref().map(|r| r as &dyn tlog::RemoteWitnesses),
    };
    let batch = issuer::Batch { rows, input: issuer::sha256_hex(&csv) };
    let outcome = issuer::issue(&mut l, &key, batch, out, now(), witnessing, &mut |stage, done| {
        if stages.last().is_none_or(|(s, _)| *s != stage) {
            stages.push((stage, t.elapsed().as_secs_f64()));
        }
        let base = match stage {
            issuer::Stage::Prepared => 0,
            issuer::Stage::Logged => n,
            issuer::Stage::Bundles => 2 * n,
        };
        pb.set_position(base + done.min(n));
        pb.set_message(format!("{stage} {done}/{n}"));
    })
    .map_err(|e| UsageError::new(e.to_string()))?;
    pb.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    if std::env::var_os("LEDGERLESS_TIMINGS").is_some() {
        let stages: Vec<(&str, f64)> = stages.iter().map(|(s, t)| (s.name(), *t)).collect();
        eprintln!("stage start times (s): {stages:?}");
    }
    match outcome {
        issuer::IssueOutcome::Done(s) if s.already_done => {
            eprintln!(
                "already issued: all {} credentials are in the log (size {}) and their bundles in {}",
                s.issued,
                s.log_size,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        issuer::IssueOutcome::Done(s) => {
            eprintln!(
                "issued {} credentials in {secs:.2} s ({:.0}/s); log size {}; bundles in {}",
                s.issued,
                s.issued as f64 / secs.max(1e-9),
                s.log_size,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        issuer::IssueOutcome::AwaitingWitnesses { log_size, detail } => {
            eprintln!(
                "not finished: {n} credentials are in the log (size {log_size}), but its checkpoint does not meet the witness policy yet ({detail}).\n\
                 No bundle was written. Have the witnesses cosign (ledgerless witness cosign ...; a witness with a URL in the policy is asked again by the re-run), then run the same command again to write the bundles."
            );
            Ok(ExitCode::from(3))
        }
    }
}

pub(crate) fn disclose(
    bundle: &Path,
    claims: &[String],
    out: &Path,
    force: bool,
) -> Result<ExitCode, UsageError> {
    let b = Bundle::parse(&read("BUNDLE", bundle)?)
        .map_err(|e| UsageError::new(format!("{}: {e}", bundle.display())))?;
    let d =
        issuer::disclose(&b, claims).map_err(|e| UsageError::new(format!("{}: {e}", bundle.display())))?;
    let mut json = serde_json::to_vec_pretty(&d).map_err(|e| UsageError::new(e.to_string()))?;
    json.push(b'\n');
    crate::output::write_file("--out", out, &json, force)?;
    eprintln!(
        "wrote {} disclosing {} of {} claims: {}",
        out.display(),
        d.disclosure.claims.len(),
        d.disclosure.claims_count,
        claims.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn revoke(
    log: &Path,
    key_path: &Path,
    id: &str,
    reason: Option<&str>,
    policy: Option<&Path>,
    witness: Option<(PathBuf, PathBuf)>,
) -> Result<ExitCode, UsageError> {
    let key = tlog::read_signer_key(key_path)?;
    let policy = issuer_policy(policy, &key.verifier)?;
    let witness = witness_key(witness)?;
    let mut l =
        issuer::open_log(log, key.clone(), &mut || eprintln!("waiting for another writer to finish..."))
            .map_err(|e| UsageError::new(e.to_string()))?;
    let revoked = issuer::revoke(&mut l, &key, id, now()).map_err(|e| UsageError::new(e.to_string()))?;
    let index = match revoked {
        issuer::Revoked::Already(index) | issuer::Revoked::Now(index) => index,
    };
    // Also when it was already revoked: a run killed after its append is finished by this one
    // (the witness cosigns the checkpoint committing it; the reason is recorded).
    if let Some((w, state)) = &witness {
        tlog::cosign_open_log(w, &l, state, now().max(0) as u64)
            .map_err(|e| UsageError::new(format!("revoked, but the witness did not cosign: {e}")))?;
    }
    // Under a policy: its witnesses with a URL cosign over HTTP, and the quorum is checked.
    let mut awaiting = None;
    if let Some(pol) = &policy {
        let failed = http_witnesses(Some(pol)).and_then(|r| tlog::RemoteWitnesses::cosign(&r, &l).err());
        let signed = read("the log's checkpoint", &log.join("checkpoint"))?;
        if let Err(e) = verifier::verify_checkpoint_with_policy(&signed, pol) {
            awaiting = Some(match failed {
                Some(f) => format!("{e}; witnesses that did not cosign: {f}"),
                None => e.to_string(),
            });
        }
    }
    drop(l);
    // The reason may be personal: it stays beside the private key (0600), never in the log.
    let record = PathBuf::from(format!("{}.revocations", key_path.display()));
    let line = serde_json::json!({"time": verifier::format_time(now()), "id": id, "statusIndex": index, "reason": reason});
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    // Recorded for a new revocation, or for a repeated one that gives a reason (a first run
    // may have been killed before recording it).
    if matches!(revoked, issuer::Revoked::Now(_)) || reason.is_some() {
        opts.open(&record)
            .and_then(|mut f| {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    // An older record made before this rule: tighten it.
                    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                }
                writeln!(f, "{line}")
            })
            .map_err(|e| {
                UsageError::new(format!(
                    "revoked, but couldn't record the reason in {}: {e}",
                    record.display()
                ))
            })?;
    }
    match revoked {
        issuer::Revoked::Already(_) => {
            eprintln!("{id} (status bit {index}) was already revoked; nothing appended")
        }
        issuer::Revoked::Now(_) => {
            eprintln!("revoked {id} (status bit {index}); new status list committed to {}", log.display())
        }
    }
    if let Some(detail) = awaiting {
        eprintln!(
            "not finished: the checkpoint committing the revocation does not meet the witness policy yet ({detail}).\n\
             Have the witnesses cosign (ledgerless log witness {} --policy ...), then verifiers will see it.",
            log.display()
        );
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn share(
    bundle: &Path,
    site: &str,
    qr: Option<&Path>,
    force: bool,
    form: crate::args::ShareForm,
) -> Result<ExitCode, UsageError> {
    let bytes = read("BUNDLE", bundle)?;
    let b = Bundle::parse(&bytes).map_err(|e| UsageError::new(format!("{}: {e}", bundle.display())))?;
    let (link, qr_link) = match form {
        crate::args::ShareForm::Json => {
            let link = issuer::share_link(site, &bytes).map_err(UsageError::new)?;
            (link.clone(), link)
        }
        crate::args::ShareForm::Compact => {
            let compact = |text| {
                issuer::compact_link(site, &b, text).map_err(|e| {
                    UsageError::new(format!("{}: {e}", bundle.display()))
                        .hint("share the JSON form with --form json")
                })
            };
            (compact(issuer::LinkText::Base64Url)?, compact(issuer::LinkText::Digits)?)
        }
    };
    // The QR code is made before anything is printed, so a refusal prints nothing.
    let svg = qr.map(|_| issuer::qr_svg(&qr_link).map_err(UsageError::new)).transpose()?;
    if let (Some(q), Some(svg)) = (qr, svg) {
        crate::output::write_file("--qr", q, svg.as_bytes(), force)?;
        eprintln!("wrote the QR code to {}", q.display());
    }
    outln!("{link}")?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn bundle_trust(t: &VerifyTrustArgs) -> Result<BundleTrust, UsageError> {
    if let Some(p) = &t.trust {
        let list = TrustList::parse(&read("--trust", p)?)
            .map_err(|e| UsageError::new(format!("--trust {}: {e}", p.display())))?;
        return Ok(BundleTrust::List(resolve_logs(list, p)));
    }
    let trust: Trust = crate::load_trust(&TrustArgs { vkey: t.vkey.clone(), policy: t.policy.clone() })?;
    let origin = crate::args::OriginArgs { origin: t.origin.clone() };
    Ok(BundleTrust::Direct(crate::with_origin(trust, origin)))
}

/// Makes each relative `log` in a trust list relative to the trust file's own folder (as a
/// browser resolves it against the site), never to the current directory.
fn resolve_logs(mut list: TrustList, trust_file: &Path) -> TrustList {
    let base = trust_file.parent().unwrap_or(Path::new(""));
    for p in list.issuers.iter_mut().chain(list.publishers.iter_mut()) {
        if let Some(l) = &p.log
            && !l.starts_with("http://")
            && !l.starts_with("https://")
            && Path::new(l).is_relative()
        {
            p.log = Some(base.join(l).display().to_string());
        }
    }
    list
}

/// Where `verify` gets revocation evidence from.
#[derive(Debug)]
pub(crate) enum StatusSource {
    /// `--offline`: from nowhere; revocation is reported as not checked.
    Offline,
    /// `--log`: from this log, which must answer.
    Log(LogLocation),
    /// The issuer's log named in `--trust`, if any (with a bare key and no --log: offline).
    TrustList,
}

fn parse_at(at: Option<&str>) -> Result<i64, UsageError> {
    let Some(s) = at else { return Ok(now()) };
    let full = if s.len() == 10 { format!("{s}T00:00:00Z") } else { s.to_owned() };
    verifier::parse_time(&full).map_err(|e| UsageError::new(format!("--at: {e}")))
}

pub(crate) fn log_fetch(l: &LogLocation) -> Box<dyn tlog::Fetch> {
    match l {
        LogLocation::Dir(d) => Box::new(tlog::DirFetch(d.clone())),
        LogLocation::Url(u) => Box::new(crate::fetch::HttpFetch::new(u)),
    }
}

#[derive(serde::Serialize)]
struct BundleResult {
    file: String,
    #[serde(flatten)]
    report: Report,
    summary: Option<BundleSummary>,
}

#[derive(serde::Serialize)]
struct Portfolio {
    verified: bool,
    bundles: Vec<BundleResult>,
    /// Subject name → files naming them.
    subjects: BTreeMap<String, Vec<String>>,
    warnings: Vec<String>,
}

/// One bundle to verify: its name in the report and its JSON, or why it could not be read
/// out of its link.
pub(crate) type BundleInput = (String, Result<Vec<u8>, String>);

/// The bundles of `verify`: each file's bytes (an unreadable file is an error, exit 2), then
/// each bundle each `--link` carries, named `link N` (`link N.M` for a link with several).
pub(crate) fn bundle_inputs(files: &[PathBuf], links: &[String]) -> Result<Vec<BundleInput>, UsageError> {
    let mut inputs = Vec::new();
    for f in files {
        inputs.push((f.display().to_string(), Ok(read("BUNDLE", f)?)));
    }
    for (i, l) in links.iter().enumerate() {
        let found = verifier::bundles_in_link(l);
        let several = found.len() > 1;
        for (j, b) in found.into_iter().enumerate() {
            let name = if several { format!("link {}.{}", i + 1, j + 1) } else { format!("link {}", i + 1) };
            inputs.push((name, b.map_err(|e| e.to_string())));
        }
    }
    Ok(inputs)
}

pub(crate) fn verify_bundles(
    inputs: Vec<BundleInput>,
    trust: &VerifyTrustArgs,
    source: &StatusSource,
    at: Option<&str>,
    output: &OutputArgs,
) -> Result<ExitCode, UsageError> {
    let trust = bundle_trust(trust)?;
    let at = parse_at(at)?;
    let fetch: Option<Box<dyn tlog::Fetch>> = match source {
        StatusSource::Log(l) => Some(log_fetch(l)),
        _ => None,
    };
    let mut results = Vec::new();
    let mut warnings = Vec::new();
    for (name, bytes) in inputs {
        let bytes = match bytes {
            Ok(b) => b,
            Err(why) => {
                // A link whose bundle does not decode: the format check fails, as for a file.
                let report = verifier::bundle_format_failure(why);
                results.push(BundleResult { file: name, report, summary: None });
                continue;
            }
        };
        // Revocation evidence from --log, or else from the issuer's log in the trust list. A
        // log that was given or named must answer: if it cannot, the check is "unchecked" and
        // the bundle is not verified (fail closed).
        let parsed = Bundle::parse(&bytes).ok();
        let listed: Option<Box<dyn tlog::Fetch>> = match (&trust, &parsed, source) {
            (BundleTrust::List(list), Some(b), StatusSource::TrustList) => list
                .find_issuer(&b.credential.issuer)
                .and_then(|(p, _)| p.log.as_deref())
                .map(|l| log_fetch(&l.parse().unwrap_or_else(|_| LogLocation::Dir(PathBuf::from(l))))),
            _ => None,
        };
        let evidence = match (fetch.as_deref().or(listed.as_deref()), &parsed) {
            (Some(fe), Some(b)) => Some(issuer::status_evidence(fe, b)),
            _ => None,
        };
        let status = match &evidence {
            None => StatusCheck::Offline,
            Some(Ok(e)) => StatusCheck::Evidence(e),
            Some(Err(why)) => StatusCheck::Unavailable(why),
        };
        let (report, summary) = verifier::check_bundle(&bytes, &trust, at, status);
        results.push(BundleResult { file: name, report, summary });
    }
    let mut subjects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &results {
        let who = r
            .summary
            .as_ref()
            .and_then(BundleSummary::subject)
            .unwrap_or_else(|| "(name not disclosed)".to_owned());
        subjects.entry(who).or_default().push(r.file.clone());
    }
    if results.len() > 1 && subjects.len() > 1 {
        warnings.push(format!(
            "these bundles do not all name the same person: {}",
            subjects.keys().cloned().collect::<Vec<_>>().join(" / ")
        ));
    }
    let verified = results.iter().all(|r| r.report.verified);
    if output.json {
        let p = Portfolio { verified, bundles: results, subjects, warnings };
        outln!("{}", serde_json::to_string_pretty(&p).unwrap_or_default())?;
        for b in p.bundles.iter().filter(|b| !b.report.verified) {
            if let Some(f) = b.report.failure() {
                eprintln!("not verified: {}: {}: {}", b.file, f.check.name(), f.detail);
            }
        }
        for w in &p.warnings {
            eprintln!("warning: {w}");
        }
    } else {
        let mut out = String::new();
        for r in &results {
            let verdict = r.report.verdict().word().to_uppercase();
            out.push_str(&format!("== {} — {verdict}\n", r.file));
            if let Some(s) = &r.summary {
                out.push_str(&format!("   {} issued by {}\n", s.credential_type, s.issuer_name));
                for (k, v) in &s.claims {
                    // Claims are data: show them escaped, never interpreted.
                    out.push_str(&format!("   {k}: {}\n", v.escape_debug()));
                }
            }
            for step in &r.report.steps {
                let mark = match step.outcome {
                    Outcome::Pass => "ok  ",
                    Outcome::Fail => "FAIL",
                    Outcome::Skip => "skip",
                    Outcome::Unchecked => "UNCHECKED",
                };
                out.push_str(&format!("   {mark} {:<21} {}\n", step.check.name(), step.detail));
            }
        }
        if results.len() > 1 {
            out.push_str(&format!(
                "portfolio: {} of {} verified\n",
                results.iter().filter(|r| r.report.verified).count(),
                results.len()
            ));
            for (who, fs) in &subjects {
                out.push_str(&format!("   {who}: {}\n", fs.join(", ")));
            }
        }
        out.push_str(if verified { "verified\n" } else { "NOT VERIFIED\n" });
        crate::output::stdout_bytes(out.as_bytes())?;
        for r in results.iter().filter(|r| !r.report.verified) {
            if let Some(f) = r.report.failure() {
                eprintln!("not verified: {}: {}: {}", r.file, f.check.name(), f.detail);
            }
        }
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(if verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub(crate) fn demo(
    out: &Path,
    site_url: Option<String>,
    serve_addr: Option<String>,
    app: &Path,
) -> Result<ExitCode, UsageError> {
    let url = site_url
        .unwrap_or_else(|| format!("http://{}/", serve_addr.as_deref().unwrap_or(crate::args::DEFAULT_ADDR)));
    let d = demo::build(out, app, &url, now()).map_err(|e| match e {
        demo::DemoError::Publish(e) => crate::release_cmd::publish_error(e),
        demo::DemoError::Log(e) => e.into(),
        e => UsageError::new(e.to_string()),
    })?;
    crate::release_cmd::print_published(&d.release, &d.published);
    eprintln!(
        "demo built in {}: site in {}, links in {}",
        out.display(),
        d.site.display(),
        out.join("links.txt").display()
    );
    for (label, link) in &d.links {
        outln!("{label} {link}")?;
    }
    match serve_addr {
        Some(addr) => serve(&d.site, &addr),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The file a request names, as tower-http's `ServeDir` maps it (`index.html` for a
/// directory), if it resolves, symlinks followed, to a path under `root` (canonical);
/// `None` for anything outside (a symlink out, `..`), undecodable or missing.
fn resolve_inside(root: &Path, uri_path: &str) -> Option<PathBuf> {
    use std::path::Component;
    let decoded =
        percent_encoding::percent_decode_str(uri_path.trim_start_matches('/')).decode_utf8().ok()?;
    let mut path = root.to_path_buf();
    for c in Path::new(&*decoded).components() {
        match c {
            Component::Normal(n) => path.push(n),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let inside = |p: &Path| std::fs::canonicalize(p).ok().filter(|real| real.starts_with(root));
    let real = inside(&path)?;
    if !real.is_dir() {
        return Some(real);
    }
    // A directory is answered with its index.html (or a redirect to the slash form).
    let index = path.join("index.html");
    if std::fs::symlink_metadata(&index).is_err() { Some(real) } else { inside(&index) }
}

/// 404 for any request whose file is outside the served directory (a symlink out of it);
/// sets each response's Content-Security-Policy (an HTML page's own, else the default).
async fn confine(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<(PathBuf, String)>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri_path = req.uri().path().to_owned();
    let st = state.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let real = resolve_inside(&st.0, &uri_path)?;
        let is_html =
            real.extension().is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        let csp =
            is_html.then(|| std::fs::read_to_string(&real).ok().and_then(|h| demo::page_csp(&h))).flatten();
        Some(csp.unwrap_or_else(|| st.1.clone()))
    })
    .await
    .ok()
    .flatten();
    let (mut res, csp) = match checked {
        Some(csp) => (next.run(req).await, csp),
        None => {
            (axum::response::IntoResponse::into_response(axum::http::StatusCode::NOT_FOUND), state.1.clone())
        }
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        res.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Serves `dir` as static files on a loopback address until interrupted, with security
/// headers on every response and nothing outside `dir` reachable (not even by a symlink).
pub(crate) fn serve(dir: &Path, addr: &str) -> Result<ExitCode, UsageError> {
    use axum::http::{HeaderName, HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;

    let sock = crate::args::loopback_addr("--addr", addr)?;
    if !dir.is_dir() {
        return Err(UsageError::new(format!("{} is not a directory", dir.display())));
    }
    let root = std::fs::canonicalize(dir)
        .map_err(|e| UsageError::new(format!("cannot serve {}: {e}", dir.display())))?;
    let headers: [(HeaderName, HeaderValue); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    crate::output::run_server(addr, sock, |listener| async move {
        eprintln!("serving {} at http://{addr}/ (Ctrl-C to stop)", dir.display());
        let mut app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&root)).layer(
            axum::middleware::from_fn_with_state(std::sync::Arc::new((root, demo::default_csp())), confine),
        );
        // Outermost, so even the 404s of `confine` carry the headers.
        for (name, value) in headers {
            app = app.layer(SetResponseHeaderLayer::overriding(name, value));
        }
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| UsageError::new(format!("server error: {e}")))
    })
}
