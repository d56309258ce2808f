//! The witness's HTTP interface (axum routes, served by hyper's HTTP/1.1 connections):
//! `POST /add-checkpoint`, a body limit, a header deadline, a request timeout and a
//! connection cap around [`Witness::add_checkpoint`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::request::MAX_REQUEST_SIZE;
use crate::server::{AddCheckpointError, SIZE_CONTENT_TYPE, Witness};

/// How long one request may take, from its headers to the answer (else 408).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection must deliver a request's complete headers within this long of starting to
/// read them (a new or idle keep-alive connection included), however slowly bytes trickle
/// in; else it is closed without an answer (slow-header clients, idle connections).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many connections are served at once; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 256;
/// On shutdown, connections still open are given this long to finish, then dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// The answer to a connection over [`MAX_CONNECTIONS`].
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";

fn text(status: u16, content_type: &'static str, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

const PLAIN: &str = "text/plain; charset=utf-8";

async fn add_checkpoint(State(w): State<Arc<Witness>>, headers: HeaderMap, body: Body) -> Response {
    let too_large =
        || text(413, PLAIN, format!("the request body is larger than {MAX_REQUEST_SIZE} bytes\n"));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_SIZE as u64) {
        return too_large();
    }
    let bytes = match Limited::new(body, MAX_REQUEST_SIZE).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Err(e) => return text(400, PLAIN, format!("couldn't read the request body: {e}\n")),
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    match tokio::task::spawn_blocking(move || w.add_checkpoint(&bytes, now)).await {
        Ok(Ok(lines)) => text(200, PLAIN, lines),
        Ok(Err(AddCheckpointError::Conflict(n))) => text(409, SIZE_CONTENT_TYPE, format!("{n}\n")),
        Ok(Err(e)) => text(e.status(), PLAIN, format!("{e}\n")),
        Err(_) => text(500, PLAIN, "witness error\n".to_owned()),
    }
}

async fn with_timeout(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => text(408, PLAIN, "the request took too long\n".to_owned()),
    }
}

async fn latest_checkpoint(
    State(w): State<Arc<Witness>>,
    axum::extract::Path(origin_hash): axum::extract::Path<String>,
) -> Response {
    match tokio::task::spawn_blocking(move || w.latest_checkpoint(&origin_hash)).await {
        Ok(Ok(Some(bytes))) => text_bytes(200, bytes),
        Ok(Ok(None)) => text(404, PLAIN, "no checkpoint cosigned for that origin\n".to_owned()),
        Ok(Err(_)) | Err(_) => text(500, PLAIN, "witness error\n".to_owned()),
    }
}

fn text_bytes(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(PLAIN))], body).into_response()
}

/// The witness's HTTP interface, rooted at its submission and monitoring prefix:
/// `POST /add-checkpoint`, and `GET /<origin hash>/checkpoint` (the last checkpoint it
/// cosigned for that log, with its cosignature). Other paths get 404, other methods 405.
pub fn router(witness: Arc<Witness>) -> axum::Router {
    axum::Router::new()
        .route("/add-checkpoint", axum::routing::post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", axum::routing::get(latest_checkpoint))
        .with_state(witness)
        .layer(axum::middleware::from_fn(with_timeout))
}

/// Serves [`router`] on `listener` (HTTP/1.1) until `shutdown` completes, then gives open
/// connections [`SHUTDOWN_GRACE`] to finish. Headers must arrive within [`HEADER_TIMEOUT`],
/// at most [`MAX_CONNECTIONS`] are served at once.
///
/// # Errors
/// None at present: accept errors (out of file descriptors and the like) are waited out.
pub async fn serve(
    listener: tokio::net::TcpListener,
    witness: Arc<Witness>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    enum Next {
        Conn(std::io::Result<(tokio::net::TcpStream, SocketAddr)>),
        Stop,
    }
    let app = router(witness);
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let next = std::future::poll_fn(|cx| {
            if shutdown.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Next::Stop);
            }
            listener.poll_accept(cx).map(Next::Conn)
        })
        .await;
        let io = match next {
            Next::Stop => break,
            Next::Conn(Ok((io, _))) => io,
            // Out of file descriptors and the like: wait a little rather than spin.
            Next::Conn(Err(_)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            // A best effort: the socket's send buffer is empty, so this fits at once.
            let _ = io.try_write(BUSY);
            continue;
        };
        let conn = builder
            .serve_connection(TokioIo::new(io), hyper_util::service::TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    // Connections still open after the grace period are dropped with the runtime.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// A witness served on a thread of its own (the demo's, tests'): stops when dropped.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its submission prefix, `http://ADDR`, as a policy's `witness` line carries it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it and waits until it has (its state directory is then unlocked).
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the witness server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Starts `witness` on `addr` (port 0: one the OS picks) on a thread of its own.
///
/// # Errors
/// If the address cannot be bound or the runtime cannot start.
pub fn spawn(witness: Witness, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("witness".to_owned()).spawn(move || {
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            serve(listener, Arc::new(witness), async {
                let _ = rx.await;
            })
            .await
        })
    })?;
    Ok(Running { addr, stop: Some(tx), thread: Some(thread) })
}
