//! The page's side of the hashing Web Worker ([`crate::worker`]): started on first use, jobs
//! queued until it has loaded, its replies dispatched to the release page's store, and stopped
//! when the page leaves or loads another release.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::use_store::Store;
use crate::state::release::{ReleaseAction, ReleaseState};
use crate::worker::{Job, Reply};

/// The hashing worker, the closure that receives its replies (kept alive together), and the
/// jobs waiting for it to load.
pub(crate) struct Hasher {
    worker: web_sys::Worker,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    ready: bool,
    queue: Vec<js_sys::Object>,
}

impl Drop for Hasher {
    /// Leaving the page, or a new release, stops whatever the worker was hashing.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

pub(crate) type Slot = Rc<RefCell<Option<Hasher>>>;

/// The worker's script, built by Trunk next to the app (a relative URL: works from a sub-path).
const WORKER_URL: &str = "./hasher_loader.js";

/// Starts the worker on first use.
pub(crate) fn hasher(slot: &Slot, store: &UseReducerHandle<Store<ReleaseState>>) -> bool {
    if slot.borrow().is_some() {
        return true;
    }
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(w) => w,
        Err(_) => {
            store.dispatch(ReleaseAction::Error("this browser cannot start the hashing worker".to_owned()));
            return false;
        }
    };
    let (s, weak) = (store.clone(), Rc::downgrade(slot));
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let Some(reply) = e.data().as_string().and_then(|j| serde_json::from_str::<Reply>(&j).ok()) else {
            return;
        };
        if reply == Reply::Ready {
            if let Some(slot) = weak.upgrade()
                && let Some(h) = slot.borrow_mut().as_mut()
            {
                h.ready = true;
                for msg in h.queue.drain(..) {
                    let _ = h.worker.post_message(&msg);
                }
            }
            return;
        }
        s.dispatch(ReleaseAction::Worker(reply));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker's script failed to load, or its wasm aborted: say so instead of hashing forever.
    let (s, weak) = (store.clone(), Rc::downgrade(slot));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        s.dispatch(ReleaseAction::WorkerFailed(
            "the hashing worker stopped (see the browser console)".to_owned(),
        ));
        if let Some(slot) = weak.upgrade() {
            // Dropped after this event, so the next check starts a fresh worker.
            spawn_local(async move {
                slot.borrow_mut().take();
            });
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    *slot.borrow_mut() = Some(Hasher {
        worker,
        _on_message: on_message,
        _on_error: on_error,
        ready: false,
        queue: Vec::new(),
    });
    true
}

/// Sends a job to the worker, or queues it until the worker has loaded.
pub(crate) fn send(slot: &Slot, job: &Job, file: Option<&web_sys::File>) {
    let msg = js_sys::Object::new();
    let json = serde_json::to_string(job).unwrap_or_default();
    let _ = js_sys::Reflect::set(&msg, &"job".into(), &JsValue::from_str(&json));
    if let Some(f) = file {
        let _ = js_sys::Reflect::set(&msg, &"file".into(), f);
    }
    if let Some(h) = slot.borrow_mut().as_mut() {
        if h.ready {
            let _ = h.worker.post_message(&msg);
        } else {
            h.queue.push(msg);
        }
    }
}

/// The page's worker slot: empty until the first file is checked; emptied (stopping the worker)
/// to drop every job running.
#[hook]
pub(crate) fn use_hasher() -> Slot {
    use_mut_ref(|| None)
}
