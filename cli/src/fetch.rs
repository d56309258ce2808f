//! Reading a log from an http(s) URL, for `audit` and `witness cosign`.

use std::time::Duration;

use tlog::Fetch;

/// The largest file we fetch: tiles are 8 KiB and entry bundles at most 16 MiB.
const MAX_FILE: u64 = 17 << 20;

/// A static log served over HTTP(S).
pub(crate) struct HttpFetch {
    base: String,
    agent: ureq::Agent,
}

impl HttpFetch {
    pub(crate) fn new(base: &str) -> Self {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))).build().into();
        HttpFetch { base: base.trim_end_matches('/').to_owned(), agent }
    }
}

impl Fetch for HttpFetch {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let url = format!("{}/{path}", self.base);
        match self.agent.get(&url).call() {
            Ok(mut resp) => resp
                .body_mut()
                .with_config()
                .limit(MAX_FILE)
                .read_to_vec()
                .map(Some)
                .map_err(|e| format!("GET {url}: {e}")),
            Err(ureq::Error::StatusCode(404)) => Ok(None),
            Err(e) => Err(format!("GET {url}: {e}")),
        }
    }

    fn location(&self) -> String {
        self.base.clone()
    }
}
