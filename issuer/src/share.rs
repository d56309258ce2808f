//! Verification links and QR codes for bundles.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The most bytes a QR code (version 40, low error correction) holds in byte mode.
pub const QR_MAX_BYTES: usize = 2953;

/// Makes the verification link `SITE#bundle=<base64url(compact bundle JSON)>`: the bundle
/// travels in the URL fragment, which browsers never send to the server.
///
/// # Errors
/// A message if the bundle is not JSON.
pub fn share_link(site: &str, bundle_json: &[u8]) -> Result<String, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bundle_json).map_err(|e| format!("not a bundle: {e}"))?;
    let compact = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
    let site = site.split('#').next().unwrap_or(site);
    Ok(format!("{site}#bundle={}", URL_SAFE_NO_PAD.encode(compact)))
}

/// Renders `link` as an SVG QR code.
///
/// # Errors
/// A message if the link is too long for a QR code (disclose fewer claims).
pub fn qr_svg(link: &str) -> Result<String, String> {
    if link.len() > QR_MAX_BYTES {
        return Err(format!(
            "the link is {} bytes; a QR code holds at most {QR_MAX_BYTES}: disclose fewer claims (ledgerless disclose) or share the link itself",
            link.len()
        ));
    }
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::L)
        .map_err(|e| format!("QR code: {e}"))?;
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
