//! The end-to-end demo on synthetic data: an issuer log with a few hundred credentials (one
//! revoked, one expired), a witness cosignature, the site with `trust.json`, and four links.

use std::path::{Path, PathBuf};

use verifier::write::format_verifier_key;
use verifier::{Bundle, KeyKind, parse_tlog_proof};

use crate::issue::{IssueError, Witnessing, issue, read_rows, revoke};

/// The demo issuer's log origin.
pub const DEMO_ISSUER: &str = "demo.gmc.example/register";
/// The demo witness.
pub const DEMO_WITNESS: &str = "witness.demo.example/w1";

/// What the demo made.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The static site (app, `trust.json`, `log/`).
    pub site: PathBuf,
    /// `(label, link)` for `valid`, `revoked`, `expired`, `tampered`.
    pub links: Vec<(String, String)>,
}

fn io<'a>(what: &'static str, p: &'a Path) -> impl FnOnce(std::io::Error) -> IssueError + 'a {
    move |e| IssueError::Io(what, p.to_owned(), e)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), IssueError> {
    std::fs::create_dir_all(to).map_err(io("create", to))?;
    for e in std::fs::read_dir(from).map_err(io("read", from))? {
        let e = e.map_err(io("read", from))?;
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &target)?;
        } else {
            std::fs::copy(&p, &target).map_err(io("copy", &p))?;
        }
    }
    Ok(())
}

/// Adds a Content-Security-Policy to the app's `index.html`: no inline script runs except
/// Trunk's loader, allowed by its SHA-256 hash (not `unsafe-inline`); scripts, styles and
/// fetches only from the site's own origin, plus `connect_to` (issuer log origins elsewhere).
///
/// # Errors
/// [`IssueError::Input`] if the page has no `<meta charset>` to anchor the policy.
pub fn add_csp(html: &str, connect_to: &[String]) -> Result<String, IssueError> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<script") {
        let after = &rest[i..];
        let open_end =
            after.find('>').ok_or_else(|| IssueError::Input("unterminated <script> tag".to_owned()))?;
        let body_and_more = &after[open_end + 1..];
        let close =
            body_and_more.find("</script>").ok_or_else(|| IssueError::Input("no </script>".to_owned()))?;
        let tag = &after[..open_end];
        if !tag.contains("src=") {
            let digest = sha2::Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body_and_more[close..];
    }
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{}{}; base-uri 'none'; form-action 'none'; object-src 'none'",
        hashes.join(" "),
        if connect_to.is_empty() { "" } else { " " },
        connect_to.join(" ")
    );
    let anchor = "<meta charset=\"utf-8\" />";
    if !html.contains(anchor) {
        return Err(IssueError::Input(
            "index.html has no <meta charset=\"utf-8\" /> to put the policy after".to_owned(),
        ));
    }
    Ok(html.replacen(
        anchor,
        &format!("{anchor}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />"),
        1,
    ))
}

/// Re-proves a bundle (and nothing else) against the log's current checkpoint, as a holder
/// refreshing their proof would: same entry and index, newer (here: witnessed) checkpoint.
fn refresh(log: &Path, bundle: &mut Bundle) -> Result<(), IssueError> {
    let index =
        parse_tlog_proof(bundle.tlog_proof.as_bytes()).map_err(|e| IssueError::Input(e.to_string()))?.index;
    bundle.tlog_proof = tlog::tlog_proof(&tlog::DirFetch(log.to_owned()), index)?;
    Ok(())
}

/// Builds the demo in `out`: keys in `out/keys` (never served), the site in `out/site`
/// (a copy of the built app in `app`, plus `trust.json` and the issuer's `log/`), bundles in
/// `out/bundles`, and `out/links.txt`. `now` is POSIX seconds.
///
/// # Errors
/// [`IssueError`] if `app` is not a built app or anything cannot be written.
pub fn build(out: &Path, app: &Path, site_url: &str, now: i64) -> Result<Demo, IssueError> {
    if !app.join("index.html").is_file() {
        return Err(IssueError::Input(format!(
            "{} is not a built app (no index.html); build it first with `trunk build --release` (scripts/setup.sh does)",
            app.display()
        )));
    }
    if out.exists() && std::fs::read_dir(out).map_err(io("read", out))?.next().is_some() {
        return Err(IssueError::OutputNotEmpty(out.to_path_buf()));
    }
    let (site, keys, bundles) = (out.join("site"), out.join("keys"), out.join("bundles"));
    copy_dir(app, &site)?;
    // The demo's log is served from the site's own origin, so 'self' is the only connect-src.
    let index = site.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(io("read", &index))?;
    std::fs::write(&index, add_csp(&html, &[])?).map_err(io("write", &index))?;
    std::fs::create_dir_all(&keys).map_err(io("create", &keys))?;
    let key = tlog::generate_key(DEMO_ISSUER, KeyKind::Ed25519)?;
    let witness = tlog::generate_key(DEMO_WITNESS, KeyKind::CosignatureV1)?;
    tlog::write_key_pair(&keys.join("issuer"), &key)?;
    tlog::write_key_pair(&keys.join("witness"), &witness)?;
    let log = site.join("log");
    drop(tlog::Log::init(&log, key.clone())?);

    let mut csv = Vec::new();
    crate::synth::registrants_csv(300, 2026, &mut csv).map_err(io("generate", out))?;
    let rows = read_rows(&csv)?;
    let valid_now = |r: &crate::issue::Row| {
        let t = |s: &Option<String>| s.as_deref().and_then(|s| verifier::parse_time(s).ok());
        t(&r.valid_from).is_none_or(|f| f <= now) && t(&r.valid_until).is_none_or(|u| u >= now)
    };
    let pick = |want: &dyn Fn(&crate::issue::Row) -> bool, skip: &[String]| {
        rows.iter().find(|r| want(r) && !skip.contains(&r.id)).map(|r| r.id.clone())
    };
    let is_entry = |r: &crate::issue::Row| r.credential_type == "RegisterEntry" && valid_now(r);
    let valid =
        pick(&is_entry, &[]).ok_or_else(|| IssueError::Input("no valid register entry".to_owned()))?;
    let revoked = pick(&is_entry, std::slice::from_ref(&valid))
        .ok_or_else(|| IssueError::Input("no second entry".to_owned()))?;
    let expired = pick(
        &|r: &crate::issue::Row| {
            r.valid_until.as_deref().and_then(|u| verifier::parse_time(u).ok()).is_some_and(|u| u < now)
        },
        &[],
    )
    .ok_or_else(|| IssueError::Input("no expired credential in the synthetic data".to_owned()))?;

    let policy = format!(
        "log {}\nwitness w1 {}\nquorum w1\n",
        format_verifier_key(&key.verifier),
        format_verifier_key(&witness.verifier)
    );
    let parsed_policy =
        verifier::parse_policy(policy.as_bytes()).map_err(|e| IssueError::Input(e.to_string()))?;
    let state = keys.join("witness-state");
    let mut l = tlog::Log::open(&log, key.clone(), tlog::LockMode::Fail, &mut || {})?;
    // Every bundle is handed out under a checkpoint the witness has cosigned.
    let witnessing = Witnessing { policy: Some(&parsed_policy), local: Some((&witness, &state)) };
    let batch = crate::issue::Batch { rows, input: crate::issue::sha256_hex(&csv) };
    match issue(&mut l, &key, batch, &bundles, now, witnessing, &mut |_, _| {})? {
        crate::issue::IssueOutcome::Done(_) => {}
        crate::issue::IssueOutcome::AwaitingWitnesses { detail, .. } => {
            return Err(IssueError::Input(format!("the demo witness did not cosign: {detail}")));
        }
    }
    revoke(&mut l, &key, &revoked, now)?;
    // The witness cosigns the checkpoint that commits the revocation.
    tlog::cosign_open_log(&witness, &l, &state, now as u64).map_err(|e| IssueError::Input(e.to_string()))?;
    drop(l);
    let trust = serde_json::json!({
        "issuers": [{
            "name": "General Medical Council (demo)",
            "vkey": format_verifier_key(&key.verifier),
            "log": "log",
            "policy": policy,
        }],
        "publishers": [],
    });
    let trust_path = site.join("trust.json");
    std::fs::write(
        &trust_path,
        serde_json::to_vec_pretty(&trust).map_err(|e| IssueError::Input(e.to_string()))?,
    )
    .map_err(io("write", &trust_path))?;

    let load = |id: &str| -> Result<Bundle, IssueError> {
        let p = bundles.join(format!("{id}.json"));
        let mut b = Bundle::parse(&std::fs::read(&p).map_err(io("read", &p))?)
            .map_err(|e| IssueError::Input(e.to_string()))?;
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
        let json = serde_json::to_vec(&b).map_err(|e| IssueError::Input(e.to_string()))?;
        links.push((label.to_owned(), crate::share::share_link(site_url, &json).map_err(IssueError::Input)?));
    }
    let text: String = links.iter().map(|(l, u)| format!("{l} {u}\n")).collect();
    let links_path = out.join("links.txt");
    std::fs::write(&links_path, text).map_err(io("write", &links_path))?;
    Ok(Demo { site, links })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_hashes_inline_scripts_only() {
        let html = "<head><meta charset=\"utf-8\" /><script type=\"module\">go()</script><script src=\"x.js\"></script></head>";
        let out = add_csp(html, &["https://log.example".to_owned()]).unwrap();
        assert!(out.contains("'sha256-"));
        assert_eq!(out.matches("'sha256-").count(), 1);
        assert!(out.contains("connect-src 'self' https://log.example"));
        assert!(!out.contains("unsafe-inline"));
        assert!(add_csp("<head></head>", &[]).is_err());
    }
}
