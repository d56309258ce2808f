//! Browser I/O: fetching the trust list, an issuer's log files and tiles.

use std::collections::HashMap;

use verifier::{Bundle, StatusEvidence, TILE_WIDTH, TileError, TileRecorder, TileSource, tile_path};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

/// Why a fetch gave nothing usable: no answer at all (offline), or an answer that was not the
/// file. The app tells the two apart: offline, revocation is "not checked — offline" with the
/// log's last-seen checkpoint; an answer in error is "could not check" with that error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetError {
    /// No answer: the browser says it is offline, or the request failed without a response
    /// (no network, the host down, or a request the page's policy refuses).
    Offline(String),
    /// The server answered, but not with the file (an HTTP error, a missing or malformed
    /// file, a body that could not be read).
    Answered(String),
}

impl NetError {
    /// Whether nothing answered.
    pub(crate) fn is_offline(&self) -> bool {
        matches!(self, NetError::Offline(_))
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Offline(s) | NetError::Answered(s) => f.write_str(s),
        }
    }
}

/// GETs `url`; `Ok(None)` on 404. Always asks the server (`no-cache`: a conditional request at
/// most), so a checkpoint or status list the site no longer serves is never answered from the
/// browser's cache (nor, offline, from the service worker's, which never keeps them).
pub(crate) async fn get(url: &str) -> Result<Option<Vec<u8>>, NetError> {
    Ok(get_with_headers(url).await?.map(|(body, _)| body))
}

/// [`get`], and when the answer is the service worker's saved copy (the network gave none;
/// see `www/sw.js`), when it was saved, in POSIX seconds. For `trust.json`.
pub(crate) async fn get_saved(url: &str) -> Result<Option<(Vec<u8>, Option<i64>)>, NetError> {
    Ok(get_with_headers(url).await?.map(|(body, headers)| {
        let saved = headers.get("x-ledgerless-saved-at").ok().flatten();
        (body, saved.and_then(|ms| ms.parse::<i64>().ok()).map(|ms| ms / 1000))
    }))
}

async fn get_with_headers(url: &str) -> Result<Option<(Vec<u8>, web_sys::Headers)>, NetError> {
    let answered = |s: String| NetError::Answered(s);
    let window = web_sys::window().ok_or_else(|| answered("no window".to_owned()))?;
    let init = web_sys::RequestInit::new();
    init.set_cache(web_sys::RequestCache::NoCache);
    // Always asked, even with the browser offline: the service worker answers for the files it
    // keeps (trust.json), and a request that fails tells us no more than `onLine` does.
    let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|_| {
        NetError::Offline(if crate::offline::browser_offline() {
            format!("this device is offline: could not reach {url}")
        } else {
            format!("could not reach {url}")
        })
    })?;
    let resp: web_sys::Response =
        resp.dyn_into().map_err(|_| answered("fetch returned no response".to_owned()))?;
    if resp.status() == 404 {
        return Ok(None);
    }
    if !resp.ok() {
        return Err(answered(format!("{url}: HTTP {}", resp.status())));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|_| answered("no body".to_owned()))?)
        .await
        .map_err(|_| answered(format!("{url}: reading the body failed")))?;
    Ok(Some((js_sys::Uint8Array::new(&buf).to_vec(), resp.headers())))
}

/// Tiles fetched ahead of a proof, served synchronously to the proof builder.
struct Fetched(HashMap<(u8, u64, u16), Vec<u8>>);

impl TileSource for Fetched {
    fn read_tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<u8>, TileError> {
        self.0.get(&(level, index, width)).cloned().ok_or_else(|| TileError::Unavailable {
            path: tile_path(level, index, width),
            reason: "not fetched".to_owned(),
        })
    }
}

fn size_of(checkpoint: &[u8]) -> Option<u64> {
    let n = verifier::parse_note(checkpoint).ok()?;
    Some(verifier::parse_checkpoint(&n.text).ok()?.size)
}

/// Builds a consistency proof from `old` to `new` from the log's tiles: fetches exactly the
/// tiles the proof needs (learned with a [`TileRecorder`]). Empty when there is nothing to
/// prove; `None` if tiles are missing.
pub(crate) async fn consistency_proof(log: &str, old: u64, new: u64) -> Option<Vec<verifier::Hash>> {
    if old == 0 || old >= new {
        return Some(Vec::new());
    }
    let rec = TileRecorder::default();
    let _ = verifier::prove_consistency(&rec, old, new);
    let mut tiles = HashMap::new();
    for (level, index, width) in rec.wanted() {
        let mut t = get(&format!("{log}/{}", tile_path(level, index, width))).await.ok()?;
        if t.is_none() && u64::from(width) < TILE_WIDTH {
            t = get(&format!("{log}/{}", tile_path(level, index, TILE_WIDTH as u16))).await.ok()?.map(
                |mut d| {
                    d.truncate(usize::from(width) * 32);
                    d
                },
            );
        }
        tiles.insert((level, index, width), t?);
    }
    verifier::prove_consistency(&Fetched(tiles), old, new).ok()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// This browser's memory of the last checkpoint seen per log (local storage).
pub(crate) fn last_seen(origin: &str) -> Option<Vec<u8>> {
    storage()?.get_item(&format!("ledgerless:last-seen:{origin}")).ok()?.map(String::into_bytes)
}

/// When this browser last saw `origin`'s log (POSIX seconds): the time [`remember`] last
/// stored a checkpoint for it; `None` if never (or before this was kept).
pub(crate) fn last_seen_at(origin: &str) -> Option<i64> {
    storage()?.get_item(&format!("ledgerless:last-seen-at:{origin}")).ok()??.parse().ok()
}

/// The time now, in POSIX seconds.
pub(crate) fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Remembers `checkpoint` as the last one seen for `origin`, and when (now).
pub(crate) fn remember(origin: &str, checkpoint: &[u8]) {
    if let (Some(s), Ok(text)) = (storage(), std::str::from_utf8(checkpoint)) {
        let _ = s.set_item(&format!("ledgerless:last-seen:{origin}"), text);
        let _ = s.set_item(&format!("ledgerless:last-seen-at:{origin}"), &now().to_string());
    }
}

/// Fetches revocation evidence for `bundle` from the issuer's log at `log`: the current
/// checkpoint, the status list and its proof, and the tiles for a consistency proof from the
/// bundle's tree. Nothing fetched is trusted; `verifier::check_bundle` checks it all.
pub(crate) async fn status_evidence(log: &str, bundle: &Bundle) -> Result<StatusEvidence, NetError> {
    let log = log.trim_end_matches('/');
    let need =
        |p: &str, v: Option<Vec<u8>>| v.ok_or_else(|| NetError::Answered(format!("{log}/{p} not found")));
    let latest_checkpoint = need("checkpoint", get(&format!("{log}/checkpoint")).await?)?;
    let list =
        need(verifier::STATUS_LIST_PATH, get(&format!("{log}/{}", verifier::STATUS_LIST_PATH)).await?)?;
    let list_proof =
        need(verifier::STATUS_PROOF_PATH, get(&format!("{log}/{}", verifier::STATUS_PROOF_PATH)).await?)?;
    let latest = size_of(&latest_checkpoint)
        .ok_or_else(|| NetError::Answered("the log's checkpoint is malformed".to_owned()))?;
    let old = verifier::parse_tlog_proof(bundle.tlog_proof.as_bytes())
        .ok()
        .and_then(|p| size_of(p.checkpoint.as_bytes()))
        .unwrap_or(0);
    let consistency = consistency_proof(log, old, latest).await;
    Ok(StatusEvidence { latest_checkpoint, list, list_proof, consistency })
}
