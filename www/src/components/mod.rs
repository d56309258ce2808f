//! The app's components (wasm32 only): each renders one part of a page from its properties and
//! reports what the user did through callbacks; the element ids, classes and texts are the
//! ones the browser suite (`cli/tests/webdriver.rs`) reads.

pub(crate) mod credential_result;
pub(crate) mod file_picker;
pub(crate) mod file_table;
pub(crate) mod local_keys;
pub(crate) mod nav;
pub(crate) mod release_verdict;
pub(crate) mod row_verdict;
pub(crate) mod scanner;
pub(crate) mod steps;
