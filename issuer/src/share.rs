//! Verification links and QR codes for bundles.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Why a verifier site's URL is refused: links must open an `http(s)` page on a named host,
/// never a `javascript:` or `data:` URL, a relative path or nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SiteUrlError {
    /// No URL at all.
    #[error("the site URL is empty: give the verifier site's address, e.g. https://verify.example.org/")]
    Empty,
    /// Not `http://` or `https://`.
    #[error("the site URL {0:?} must start with https:// (or http://), e.g. https://verify.example.org/")]
    Scheme(String),
    /// `http(s)://` with no host after it.
    #[error("the site URL {0:?} names no host, e.g. https://verify.example.org/")]
    NoHost(String),
    /// A character or part a site address cannot have.
    #[error("the site URL {0:?} is not a valid address: it has {1}")]
    Invalid(String, &'static str),
}

/// Checks that `site` is an absolute `http://` or `https://` URL with a host (and at most a
/// numeric port), with no user name, spaces, control or quoting characters.
///
/// # Errors
/// [`SiteUrlError`] naming what is wrong.
pub fn check_site_url(site: &str) -> Result<(), SiteUrlError> {
    let bad = |why| SiteUrlError::Invalid(site.to_owned(), why);
    if site.is_empty() {
        return Err(SiteUrlError::Empty);
    }
    if site.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("spaces or control characters"));
    }
    if site.chars().any(|c| matches!(c, '"' | '<' | '>' | '\\' | '`' | '{' | '}' | '|' | '^')) {
        return Err(bad("a character URLs cannot hold unescaped (\" < > \\ ` { } | ^)"));
    }
    let lower = site.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &site["https://".len()..]
    } else if lower.starts_with("http://") {
        &site["http://".len()..]
    } else {
        return Err(SiteUrlError::Scheme(site.to_owned()));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("a user name or password (@) before the host"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("an unclosed [ in the host"))?;
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Err(bad("a malformed IPv6 address"));
        }
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or_else(|| bad("text after the IPv6 address"))?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(SiteUrlError::NoHost(site.to_owned()));
    }
    if !authority.starts_with('[') {
        if !host.is_ascii() {
            return Err(bad("a non-ASCII host (use its xn-- form)"));
        }
        if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            || !host.chars().any(|c| c.is_ascii_alphanumeric())
        {
            return Err(bad("a character a host name cannot have"));
        }
    }
    if let Some(p) = port
        && (p.is_empty()
            || p.len() > 5
            || !p.chars().all(|c| c.is_ascii_digit())
            || p.parse::<u16>().is_err())
    {
        return Err(bad("a port that is not a number from 0 to 65535"));
    }
    Ok(())
}

/// Makes the older verification link `SITE#bundle=<base64url(compact bundle JSON)>`: the
/// bundle travels in the URL fragment, which browsers never send to the server. Prefer
/// [`compact_link`]: this form is about three times as long.
///
/// # Errors
/// A message if `site` is not an http(s) URL with a host ([`check_site_url`]) or the bundle
/// is not JSON.
pub fn share_link(site: &str, bundle_json: &[u8]) -> Result<String, String> {
    check_site_url(site).map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_slice(bundle_json).map_err(|e| format!("not a bundle: {e}"))?;
    let compact = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
    Ok(format!("{}#{}={}", site_base(site), verifier::JSON_LINK_KEY, URL_SAFE_NO_PAD.encode(compact)))
}

/// The site's URL without a fragment.
fn site_base(site: &str) -> &str {
    site.split('#').next().unwrap_or(site)
}

/// How a compact link writes the bundle: base64url for the shortest text, decimal digits for
/// the smallest QR code (QR numeric mode). Measured in docs/design/0012-compact-bundles.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkText {
    /// `SITE#c1u=<base64url>`: 1.33 characters a byte; the link to send as text.
    Base64Url,
    /// `SITE#c1=<digits>`: 2.43 characters a byte but 8.1 bits a byte in a QR code (base64url
    /// takes 10.7 in byte mode); the link a QR code holds.
    Digits,
}

/// Makes the compact verification link of a bundle (formats.md, "Compact bundles"), in the
/// URL fragment like every link.
///
/// # Errors
/// A message if `site` is not an http(s) URL with a host, or the bundle cannot be written in
/// compact form (then share its JSON form, [`share_link`]).
pub fn compact_link(site: &str, bundle: &verifier::Bundle, text: LinkText) -> Result<String, String> {
    check_site_url(site).map_err(|e| e.to_string())?;
    let binary = verifier::write::encode_compact(bundle).map_err(|e| e.to_string())?;
    Ok(match text {
        LinkText::Base64Url => format!(
            "{}#{}={}",
            site_base(site),
            verifier::COMPACT_LINK_KEY_BASE64URL,
            URL_SAFE_NO_PAD.encode(binary)
        ),
        LinkText::Digits => {
            format!("{}#{}={}", site_base(site), verifier::COMPACT_LINK_KEY, verifier::encode_digits(&binary))
        }
    })
}

/// The QR code of `link` at error-correction level L (the densest, as the link is long; a
/// screen or clean print reads it), each part in its densest mode (digits in numeric mode).
///
/// # Errors
/// A message if the link is too long for a QR code (disclose fewer claims).
pub fn qr_code(link: &str) -> Result<qrcode::QrCode, String> {
    qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::L).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => format!(
            "the link ({} characters) does not fit in a QR code: disclose fewer claims (ledgerless disclose) or share the link itself",
            link.len()
        ),
        e => format!("QR code: {e}"),
    })
}

/// The QR version (1 to 40) of a code: its size is 17 + 4 × version modules a side.
pub fn qr_version(code: &qrcode::QrCode) -> i16 {
    match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    }
}

/// Renders `link` as an SVG QR code.
///
/// # Errors
/// A message if the link is too long for a QR code (disclose fewer claims).
pub fn qr_svg(link: &str) -> Result<String, String> {
    let code = qr_code(link)?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build())
}

/// Fetches the revocation evidence for `bundle` from its issuer's log: the current
/// checkpoint, the status list and its proof, and a consistency proof (built from the log's
/// tiles) from the bundle's tree to the current one. Nothing fetched is trusted: the
/// verifier checks all of it.
///
/// # Errors
/// A message naming what could not be fetched.
pub fn status_evidence(
    fetch: &dyn tlog::Fetch,
    bundle: &verifier::Bundle,
) -> Result<verifier::StatusEvidence, String> {
    let get = |p: &str| -> Result<Vec<u8>, String> {
        fetch
            .fetch(p)?
            .ok_or_else(|| format!("{}/{p} not found (is this the issuer's log?)", fetch.location()))
    };
    let latest_checkpoint = get("checkpoint")?;
    let list = get(verifier::STATUS_LIST_PATH)?;
    let list_proof = get(verifier::STATUS_PROOF_PATH)?;
    let latest = verifier::parse_note(&latest_checkpoint)
        .ok()
        .and_then(|n| verifier::parse_checkpoint(&n.text).ok())
        .ok_or("the log's checkpoint is malformed")?;
    let old = verifier::parse_tlog_proof(bundle.tlog_proof.as_bytes())
        .ok()
        .and_then(|p| verifier::parse_note(p.checkpoint.as_bytes()).ok())
        .and_then(|n| verifier::parse_checkpoint(&n.text).ok())
        .map(|c| c.size);
    let consistency = match old {
        Some(m) if m > 0 && m < latest.size => verifier::prove_consistency(
            &tlog::FetchTiles::new(fetch).with_latest(latest.size),
            m,
            latest.size,
        )
        .ok(),
        _ => Some(Vec::new()),
    };
    Ok(verifier::StatusEvidence { latest_checkpoint, list, list_proof, consistency })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_must_be_http_with_a_host() {
        for ok in [
            "https://verify.example.org/",
            "http://127.0.0.1:8080/",
            "http://localhost:8080",
            "https://[::1]:8443/app/?x=1",
            "HTTPS://Example.org/#old",
        ] {
            assert_eq!(check_site_url(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_site_url(""), Err(SiteUrlError::Empty));
        for scheme in ["javascript:alert(1)//", "data:text/html,x", "ftp://x.org/", "/relative", "not a url"]
        {
            assert!(check_site_url(scheme).is_err(), "{scheme}");
        }
        assert!(matches!(check_site_url("javascript:alert(1)//"), Err(SiteUrlError::Scheme(_))));
        assert!(matches!(check_site_url("https://"), Err(SiteUrlError::NoHost(_))));
        assert!(matches!(check_site_url("https:///path"), Err(SiteUrlError::NoHost(_))));
        for bad in [
            "https://user:pw@example.org/",
            "https://exa mple.org/",
            "https://example.org:99999/",
            "https://example.org:/",
            "https://example.org/\"onload=",
            "https://[zz]/",
            "https://...:80/",
        ] {
            assert!(matches!(check_site_url(bad), Err(SiteUrlError::Invalid(..))), "{bad}");
        }
        assert!(share_link("javascript:alert(1)//", b"{}").is_err());
        assert!(share_link("https://v.example/", b"{}").is_ok());
        assert!(qr_svg(&"9".repeat(7089)).is_ok(), "version 40 holds 7,089 digits");
        assert!(qr_svg(&"9".repeat(7090)).expect_err("too long").contains("does not fit"));
    }
}
