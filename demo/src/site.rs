//! The demo site's files: a copy of the built app whose `index.html` carries a
//! Content-Security-Policy, and the policy `serve` sends as a header.

use std::path::Path;

use crate::DemoError;

/// Copies the directory `from` to `to` (created), recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(to).map_err(DemoError::io("create", to))?;
    for e in std::fs::read_dir(from).map_err(DemoError::io("read", from))? {
        let e = e.map_err(DemoError::io("read", from))?;
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &target)?;
        } else {
            std::fs::copy(&p, &target).map_err(DemoError::io("copy", &p))?;
        }
    }
    Ok(())
}

/// Adds a Content-Security-Policy to the app's `index.html`: no inline script runs except
/// Trunk's loader, allowed by its SHA-256 hash (not `unsafe-inline`); scripts, styles and
/// fetches only from the site's own origin, plus `connect_to` (issuer log origins elsewhere).
///
/// # Errors
/// [`DemoError::Input`] if the page has no `<meta charset>` to anchor the policy.
pub fn add_csp(html: &str, connect_to: &[String]) -> Result<String, DemoError> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<script") {
        let after = &rest[i..];
        let open_end =
            after.find('>').ok_or_else(|| DemoError::Input("unterminated <script> tag".to_owned()))?;
        let body_and_more = &after[open_end + 1..];
        let close =
            body_and_more.find("</script>").ok_or_else(|| DemoError::Input("no </script>".to_owned()))?;
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
        return Err(DemoError::Input(
            "index.html has no <meta charset=\"utf-8\" /> to put the policy after".to_owned(),
        ));
    }
    Ok(html.replacen(
        anchor,
        &format!("{anchor}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />"),
        1,
    ))
}

const CSP_META: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"";

/// The Content-Security-Policy header for an HTML page: the policy of its `<meta>` tag (the
/// one [`add_csp`] writes), or else computed the same way (the page's inline scripts allowed by
/// hash, everything else only from the site's origin); plus `frame-ancestors 'none'`, which
/// only works as a header. `None` if the page has neither a policy nor `<meta charset>`.
pub fn page_csp(html: &str) -> Option<String> {
    let computed;
    let with_meta = if html.contains(CSP_META) {
        html
    } else {
        computed = add_csp(html, &[]).ok()?;
        &computed
    };
    let (_, rest) = with_meta.split_once(CSP_META)?;
    let (policy, _) = rest.split_once('"')?;
    Some(format!("{}; frame-ancestors 'none'", policy.trim().trim_end_matches(';')))
}

/// The policy for everything that is not an HTML page with its own (scripts, the worker,
/// data, a 404): the site's policy with no inline script.
pub fn default_csp() -> String {
    page_csp("<meta charset=\"utf-8\" />")
        .unwrap_or_else(|| "default-src 'none'; frame-ancestors 'none'".to_owned())
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
