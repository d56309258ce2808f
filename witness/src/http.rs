//! The witness's HTTP interface (axum): `POST /add-checkpoint`, a body limit and a request
//! timeout around [`Witness::add_checkpoint`].

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
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
/// A connection that sends nothing for this long is closed (slow or stalled clients, and idle
/// keep-alive connections); longer than [`REQUEST_TIMEOUT`], so an answer is never cut off.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// A TCP connection closed after [`IDLE_TIMEOUT`] without a byte from the client.
struct IdleTimeout {
    io: tokio::net::TcpStream,
    idle: Pin<Box<tokio::time::Sleep>>,
}

impl tokio::io::AsyncRead for IdleTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let next = tokio::time::Instant::now() + IDLE_TIMEOUT;
                    self.idle.as_mut().reset(next);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client sent nothing for too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl tokio::io::AsyncWrite for IdleTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A listener whose connections close when idle ([`IdleTimeout`]).
struct IdleListener(tokio::net::TcpListener);

impl axum::serve::Listener for IdleListener {
    type Io = IdleTimeout;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (IdleTimeout, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((io, addr)) => {
                    let idle = Box::pin(tokio::time::sleep(IDLE_TIMEOUT));
                    return (IdleTimeout { io, idle }, addr);
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

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

/// Serves [`router`] on `listener` until `shutdown` completes; a connection idle for
/// [`IDLE_TIMEOUT`] is closed.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve(
    listener: tokio::net::TcpListener,
    witness: Arc<Witness>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(IdleListener(listener), router(witness)).with_graceful_shutdown(shutdown).await
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
