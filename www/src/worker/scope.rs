//! The worker's side of the protocol (wasm32 only): takes one job at a time, reads the posted
//! `File` slice by slice or streams the site's file, feeds [`FileCheck`] and posts [`Reply`]s.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use verifier::RecountSpec;

use super::{CHUNK, Job, Reply};
use crate::dataset::{Checked, FileCheck};

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    if let Ok(json) = serde_json::to_string(reply) {
        let _ = scope().post_message(&JsValue::from_str(&json));
    }
}

/// Starts the worker: handles one message at a time.
pub fn run() {
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
        let data = e.data();
        let job = Reflect::get(&data, &"job".into()).ok().and_then(|j| j.as_string());
        let Some(job) = job.and_then(|j| serde_json::from_str::<Job>(&j).ok()) else {
            return;
        };
        let file = Reflect::get(&data, &"file".into()).ok().and_then(|f| f.dyn_into::<web_sys::File>().ok());
        wasm_bindgen_futures::spawn_local(async move {
            let id = job.id;
            let reply = match (&job.url, file) {
                (Some(url), _) => fetch_and_check(url, job.recount.clone(), id).await,
                (None, Some(f)) => read_and_check(&f, job.recount.clone(), id),
                (None, None) => Err("nothing to check".to_owned()),
            };
            post(&match reply {
                Ok(Some(c)) => Reply::Done(id, c),
                Ok(None) => Reply::Missing(id),
                Err(e) => Reply::Failed(id, e),
            });
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&Reply::Ready);
}

/// Reads a dropped/picked file slice by slice (`FileReaderSync`, allowed in workers).
fn read_and_check(f: &web_sys::File, spec: Option<RecountSpec>, id: u32) -> Result<Option<Checked>, String> {
    let reader = web_sys::FileReaderSync::new().map_err(|_| "this browser cannot read files in a worker")?;
    let total = f.size() as u64;
    let mut check = FileCheck::new(spec);
    let mut buf = vec![0u8; CHUNK as usize];
    let mut at = 0u64;
    while at < total {
        let end = (at + CHUNK).min(total);
        let slice = f
            .slice_with_f64_and_f64(at as f64, end as f64)
            .map_err(|_| format!("{}: cannot slice the file", f.name()))?;
        let ab = reader
            .read_as_array_buffer(&slice)
            .map_err(|_| format!("{}: reading failed at byte {at}", f.name()))?;
        let arr = Uint8Array::new(&ab);
        let n = arr.length() as usize;
        arr.copy_to(&mut buf[..n]);
        check.update(&buf[..n]);
        at += n as u64;
        if n == 0 {
            break;
        }
        post(&Reply::Progress(id, at, total));
    }
    Ok(Some(check.finish()))
}

/// Fetches a file from the site and streams its body through the check.
async fn fetch_and_check(url: &str, spec: Option<RecountSpec>, id: u32) -> Result<Option<Checked>, String> {
    // `no-store`: hash what the site serves now, not a cached copy, and keep a large file
    // out of the browser's HTTP cache (in a private window that cache is in memory).
    let init = web_sys::RequestInit::new();
    init.set_cache(web_sys::RequestCache::NoStore);
    let resp = JsFuture::from(scope().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| format!("could not fetch {url}"))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "fetch returned no response".to_owned())?;
    if resp.status() == 404 {
        return Ok(None);
    }
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let total =
        resp.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let body = resp.body().ok_or_else(|| format!("{url}: no body"))?;
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| "cannot read the response body".to_owned())?;
    let mut check = FileCheck::new(spec);
    let mut buf = Vec::new();
    let mut last = 0u64;
    loop {
        let r = JsFuture::from(reader.read()).await.map_err(|_| format!("{url}: the download failed"))?;
        if Reflect::get(&r, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&r, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or_else(|| format!("{url}: unexpected body chunk"))?;
        buf.resize(chunk.length() as usize, 0);
        chunk.copy_to(&mut buf);
        check.update(&buf);
        if check.bytes() - last >= CHUNK {
            last = check.bytes();
            post(&Reply::Progress(id, last, total));
        }
    }
    Ok(Some(check.finish()))
}
