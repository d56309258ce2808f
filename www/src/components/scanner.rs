//! Scanning a verification link's QR code with the camera: frames from `getUserMedia` are
//! drawn to a canvas four times a second and read with rqrr ([`crate::qr`]), in this browser
//! only. The first code found is handed to the app and the camera is switched off.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

/// The scanner's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// Called with the text of the QR code found.
    pub on_text: Callback<String>,
    /// Called with a message when the camera cannot be used.
    pub on_error: Callback<String>,
}

/// A running camera: its stream, the frame timer and the closure the timer calls.
struct Running {
    stream: web_sys::MediaStream,
    timer: i32,
    _tick: Closure<dyn FnMut()>,
}

fn stop_tracks(stream: &web_sys::MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
            t.stop();
        }
    }
}

fn stop(running: &Rc<RefCell<Option<Running>>>) {
    if let Some(r) = running.borrow_mut().take() {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(r.timer);
        }
        stop_tracks(&r.stream);
    }
}

/// Reads one frame of `video` through `canvas`; the QR code's text, if one is in view.
fn read_frame(video: &web_sys::HtmlVideoElement, canvas: &web_sys::HtmlCanvasElement) -> Option<String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE);
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context_with_context_options("2d", &options).ok()??.dyn_into().ok()?;
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0).ok()?;
    let data = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h)).ok()?.data();
    crate::qr::decode_rgba(w as usize, h as usize, &data)
}

async fn open_camera() -> Result<web_sys::MediaStream, String> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or("this browser gives no access to a camera")?;
    // The back camera on a phone, any camera elsewhere.
    let video = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&video, &"facingMode".into(), &"environment".into());
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video);
    let promise =
        devices.get_user_media_with_constraints(&constraints).map_err(|_| "the camera cannot be opened")?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        let name =
            js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => {
                "the camera was not allowed; allow it in the browser, or paste the link".to_owned()
            }
            "NotFoundError" => {
                "no camera was found; paste the link or choose the bundle file instead".to_owned()
            }
            _ => format!("the camera cannot be used ({name})"),
        }
    })?;
    stream.dyn_into().map_err(|_| "the camera gave no video".to_owned())
}

/// The "Scan a QR code" button and, while scanning, the camera view.
#[function_component(Scanner)]
pub(crate) fn scanner(props: &Props) -> Html {
    let video = use_node_ref();
    let running: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    // Bumped by every start, stop and unmount: a camera that opens after its start was
    // cancelled (Stop pressed during the permission prompt, page left) is switched off at once.
    let attempt: Rc<RefCell<u32>> = use_mut_ref(|| 0);
    let active = use_state(|| false);
    // Switch the camera off when the component goes away.
    {
        let (running, attempt) = (running.clone(), attempt.clone());
        use_effect_with((), move |_| {
            move || {
                *attempt.borrow_mut() += 1;
                stop(&running);
            }
        });
    }
    let supported = web_sys::window().is_some_and(|w| w.navigator().media_devices().is_ok());
    if !supported {
        return html! {};
    }
    let on_start = {
        let (video, running, active, props) = (video.clone(), running.clone(), active.clone(), props.clone());
        Callback::from(move |_: MouseEvent| {
            if running.borrow().is_some() {
                return;
            }
            let (video, running, active, props) =
                (video.clone(), running.clone(), active.clone(), props.clone());
            active.set(true);
            spawn_local(async move {
                let stream = match open_camera().await {
                    Ok(s) => s,
                    Err(e) => {
                        active.set(false);
                        props.on_error.emit(e);
                        return;
                    }
                };
                let (Some(v), Some(canvas)) = (
                    video.cast::<web_sys::HtmlVideoElement>(),
                    web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.create_element("canvas").ok())
                        .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok()),
                ) else {
                    stop_tracks(&stream);
                    return;
                };
                v.set_src_object(Some(&stream));
                let _ = v.play();
                let found = Rc::new(RefCell::new(false));
                let tick = {
                    let (running, active, on_text) = (running.clone(), active.clone(), props.on_text.clone());
                    Closure::<dyn FnMut()>::new(move || {
                        if *found.borrow() {
                            return;
                        }
                        if let Some(text) = read_frame(&v, &canvas) {
                            *found.borrow_mut() = true;
                            // Stop after this tick returns (the timer's closure is dropped then).
                            let (running, active) = (running.clone(), active.clone());
                            spawn_local(async move {
                                stop(&running);
                                active.set(false);
                            });
                            on_text.emit(text);
                        }
                    })
                };
                let Some(timer) = web_sys::window().and_then(|w| {
                    w.set_interval_with_callback_and_timeout_and_arguments_0(
                        tick.as_ref().unchecked_ref(),
                        250,
                    )
                    .ok()
                }) else {
                    return;
                };
                *running.borrow_mut() = Some(Running { stream, timer, _tick: tick });
            });
        })
    };
    let on_stop = {
        let (running, active, attempt) = (running.clone(), active.clone(), attempt.clone());
        Callback::from(move |_: MouseEvent| {
            *attempt.borrow_mut() += 1;
            stop(&running);
            active.set(false);
        })
    };
    html! {
        <div class="scanner">
            if *active {
                <button id="scan-stop" type="button" onclick={on_stop}>{ "Stop the camera" }</button>
                <p id="scanning" aria-live="polite">{ "Point the camera at the credential's QR code…" }</p>
            } else {
                <button id="scan" type="button" onclick={on_start}>{ "Scan a QR code with the camera" }</button>
            }
            <video ref={video} hidden={!*active} autoplay=true playsinline=true muted=true aria-label="Camera view" />
        </div>
    }
}
