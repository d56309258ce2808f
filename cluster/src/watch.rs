//! Watching a Ballista cluster while our jobs run, so that losing an executor fails the command
//! at once instead of being retried silently.
//!
//! Ballista reruns a lost executor's tasks on the others and only notices a killed executor
//! when its heartbeats stop (180 s by default); the job then succeeds. A release must not be
//! built across a failure the operator did not see (a writer killed mid-file leaves partial
//! files, and the job's rerun writes a second set), so the client fails closed: every executor
//! registered when the run started must stay registered and reachable until it ends.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::parse::Executor;
use crate::parse::Job;

/// Why the cluster cannot be watched, or what went wrong on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// The scheduler's REST API did not answer.
    #[error("cannot reach the scheduler's REST API at {url}: {reason}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// Why.
        reason: String,
    },
    /// The scheduler has no executors.
    #[error("the scheduler at {0} has no executors registered; start at least one")]
    NoExecutors(String),
    /// An executor of the run is gone.
    #[error("executor {0} stopped during the run")]
    Lost(String),
}

/// The cluster's REST endpoint and the executors a run started with.
#[derive(Debug, Clone)]
pub struct Watch {
    base: String,
    agent: ureq::Agent,
    /// The executors of the run: those registered at the start, and any that joined since
    /// (the scheduler may give them tasks too).
    executors: Arc<Mutex<BTreeMap<String, Executor>>>,
}

impl Watch {
    /// Reads the executors registered at the scheduler `http://host:port` (its REST API).
    pub fn start(base: &str) -> Result<Watch, WatchError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .http_status_as_error(true)
            .build()
            .into();
        let w = Watch { base: base.trim_end_matches('/').to_string(), agent, executors: Default::default() };
        let list = w.list()?;
        if list.is_empty() {
            return Err(WatchError::NoExecutors(w.base.clone()));
        }
        *w.lock() = list.into_iter().map(|e| (e.id.clone(), e)).collect();
        Ok(w)
    }

    /// The executors of the run so far.
    pub fn executors(&self) -> Vec<Executor> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Executor>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.executors.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn list(&self) -> Result<Vec<Executor>, WatchError> {
        self.get("executors", crate::parse::executors)
    }

    /// `GET {base}/api/{path}`, its body parsed by `parse` (an error names what was expected).
    fn get<T>(&self, path: &str, parse: fn(&str) -> Result<T, String>) -> Result<T, WatchError> {
        let url = format!("{}/api/{path}", self.base);
        let unreachable = |reason: String| WatchError::Unreachable { url: url.clone(), reason };
        let mut resp = self.agent.get(&url).call().map_err(|e| unreachable(e.to_string()))?;
        let text = resp.body_mut().read_to_string().map_err(|e| unreachable(e.to_string()))?;
        parse(&text).map_err(unreachable)
    }

    /// Checks once that every executor of the run is still registered and its Flight port
    /// accepts connections (a killed process refuses at once, long before its heartbeat
    /// expires).
    pub fn check(&self) -> Result<(), WatchError> {
        for e in self.executors() {
            let reachable =
                (e.host.as_str(), e.port).to_socket_addrs().ok().and_then(|mut a| a.next()).is_some_and(
                    |a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok(),
                );
            if !reachable {
                return Err(WatchError::Lost(e.describe()));
            }
        }
        let now = self.list()?;
        let mut run = self.lock();
        if let Some(e) = run.values().find(|e| !now.iter().any(|n| n.id == e.id)) {
            return Err(WatchError::Lost(e.describe()));
        }
        // An executor that joined is watched from now on: losing it fails the run too.
        for n in now {
            run.entry(n.id.clone()).or_insert(n);
        }
        Ok(())
    }

    /// Cancels every queued or running job named `job_name` and waits (up to `patience`)
    /// until none is left running, so no task of the run still writes when its staging
    /// directory is removed. Best effort: returns how many were still running at the end.
    pub fn cancel_jobs(&self, job_name: &str, patience: Duration) -> usize {
        let start = std::time::Instant::now();
        // A job whose submission was in flight may be listed a moment later: look for a while
        // even if none is running at first.
        let settle = Duration::from_secs(1).min(patience);
        loop {
            let running: Vec<String> = match self.jobs() {
                Ok(jobs) => jobs
                    .into_iter()
                    .filter(|j| j.job_name == job_name && (j.status == "Queued" || j.status == "Running"))
                    .map(|j| j.job_id)
                    .collect(),
                Err(_) => return usize::MAX,
            };
            if (running.is_empty() && start.elapsed() >= settle) || start.elapsed() >= patience {
                if running.is_empty() {
                    // The scheduler marks a job failed before its executors have stopped its
                    // tasks: give those a moment to stop writing.
                    std::thread::sleep(Duration::from_millis(500));
                }
                return running.len();
            }
            for id in &running {
                let url = format!("{}/api/job/{id}", self.base);
                let _ = self.agent.patch(&url).send_empty();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn jobs(&self) -> Result<Vec<Job>, WatchError> {
        self.get("jobs", crate::parse::jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// A one-thread HTTP server answering every request with `body` (status 200).
    fn serve(body: &'static str) -> (String, std::thread::JoinHandle<()>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", l.local_addr().expect("addr"));
        let h = std::thread::spawn(move || {
            for s in l.incoming().take(8) {
                let Ok(mut s) = s else { return };
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (base, h)
    }

    #[test]
    fn a_scheduler_without_executors_or_out_of_reach_is_an_error() {
        let (base, _h) = serve("[]");
        assert_eq!(Watch::start(&base).expect_err("empty"), WatchError::NoExecutors(base.clone()));
        let (base, _h) = serve("<html>");
        assert!(matches!(Watch::start(&base), Err(WatchError::Unreachable { .. })));
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
        assert!(matches!(Watch::start(&format!("http://{closed}")), Err(WatchError::Unreachable { .. })));
    }

    #[test]
    fn an_executor_whose_port_refuses_is_lost() {
        // Listed by the scheduler, but nothing listens on its Flight port.
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let body: &'static str = Box::leak(
            format!(r#"[{{"id":"e1","host":"127.0.0.1","port":{port},"last_seen":1}}]"#).into_boxed_str(),
        );
        let (base, _h) = serve(body);
        let w = Watch::start(&base).expect("listed");
        assert_eq!(w.executors().len(), 1);
        assert_eq!(w.check(), Err(WatchError::Lost(format!("e1 at 127.0.0.1:{port}"))));
    }

    #[test]
    fn a_reachable_executor_still_listed_passes() {
        let flight = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = flight.local_addr().expect("addr").port();
        let body: &'static str =
            Box::leak(format!(r#"[{{"id":"e1","host":"127.0.0.1","port":{port}}}]"#).into_boxed_str());
        let (base, _h) = serve(body);
        let w = Watch::start(&base).expect("listed");
        assert_eq!(w.check(), Ok(()));
        drop(flight);
        assert_eq!(w.check(), Err(WatchError::Lost(format!("e1 at 127.0.0.1:{port}"))));
    }
}
