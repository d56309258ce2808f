//! A file picker: a label and its file input, handing the chosen files on.

use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// The picker's properties.
#[derive(Debug, Clone, PartialEq, Properties)]
pub(crate) struct Props {
    /// The input's id (the label's `for`).
    pub id: AttrValue,
    /// The label's text.
    pub label: AttrValue,
    /// The input's `accept`, if any.
    #[prop_or_default]
    pub accept: Option<AttrValue>,
    /// Whether several files may be chosen.
    #[prop_or_default]
    pub multiple: bool,
    /// Called with the files chosen.
    pub on_files: Callback<web_sys::FileList>,
}

/// `<label>` and `<input type="file">`.
#[function_component(FilePicker)]
pub(crate) fn file_picker(props: &Props) -> Html {
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            if let Some(files) = e.target_dyn_into::<web_sys::HtmlInputElement>().and_then(|i| i.files()) {
                on_files.emit(files);
            }
        })
    };
    html! {
        <>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <input id={props.id.clone()} type="file" accept={props.accept.clone()} multiple={props.multiple} {onchange} />
        </>
    }
}

/// Reads every file of `files`: its name and bytes, or why they could not be read.
pub(crate) async fn read_files(files: web_sys::FileList) -> Vec<(String, Result<Vec<u8>, String>)> {
    let mut out = Vec::new();
    for i in 0..files.length() {
        let Some(f) = files.get(i) else { continue };
        out.push((f.name(), read_file(&f).await));
    }
    out
}

/// Reads one file's bytes, or says it could not.
pub(crate) async fn read_file(f: &web_sys::File) -> Result<Vec<u8>, String> {
    match JsFuture::from(f.array_buffer()).await {
        Ok(buf) => Ok(js_sys::Uint8Array::new(&buf).to_vec()),
        Err(_) => Err(format!("could not read {}", f.name())),
    }
}
