//! The router and the serve loop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse as _, Response};
use ledger::AppenderConfig;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::sequencing::Sequencing;
use crate::state::{AppState, Limits, Readers};
use crate::tokens::TokenStore;
use crate::{openapi, v1};

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The data directory (must hold a store: see `ledger::init`).
    pub data: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The write side's settings (clock, TSAs, batch and queue sizes,
    /// heartbeat); its observer is the server's metrics.
    pub appender: AppenderConfig,
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// `/healthz` fails when the latest checkpoint is older than this.
    pub health_max_age: Duration,
    /// A client must send a request's headers within this, and an idle
    /// keep-alive connection is closed after it (against clients that hold
    /// connections open by sending slowly or not at all).
    pub header_timeout: Duration,
    /// A request's body must arrive within this (408 otherwise).
    pub body_timeout: Duration,
    /// Most connections served at once; more wait in the listen backlog
    /// until one closes (kept well below the file-descriptor limit, which
    /// the store's files and the TSA client need too).
    pub max_connections: usize,
    /// Most connections one client address may hold at once; a connection
    /// beyond it is answered 429 `too_many_connections` and closed, so one
    /// client cannot take every slot. Behind a reverse proxy every client
    /// shares the proxy's address: raise it to `max_connections` there, and
    /// limit per client at the proxy.
    pub max_connections_per_address: usize,
    /// Submissions per second one token may make (bursts to twice it);
    /// beyond it, 429 `rate_limited`. 0: no limit.
    pub rate_writes_per_token: u32,
    /// Expensive reads (bundles, timelines, compliance reports) per second
    /// one client address may make (bursts to twice it). 0: no limit.
    pub rate_heavy_per_address: u32,
    /// Serve HTTPS with this certificate and key; `None`: plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Send each checkpoint to these witnesses (`--witness-policy`).
    pub witnessing: Option<crate::witnessing::WitnessingConfig>,
    /// The public address of the pages, e.g. `https://ggzy.example.gov.cn`:
    /// evidence certificates' QR codes link to `{public_url}/entries/{index}`.
    /// `None`: `http://` (or `https://`) and the listen address.
    pub public_url: Option<String>,
    /// Where the other front-ends of a log in PostgreSQL reach this one
    /// (to forward submissions while it sequences). `None`: `http://` (or
    /// `https://`) and the listen address.
    pub advertise_url: Option<String>,
}

impl ServerConfig {
    /// Defaults for `data`: listen on 127.0.0.1:8080, 256 KiB bodies,
    /// heartbeat every 10 s, health fails after 60 s without a signature;
    /// headers within 10 s, bodies within 30 s, at most 512 connections and
    /// 128 from one address, 5,000 submissions a second per token and 10
    /// expensive reads a second per address.
    pub fn new(data: PathBuf) -> ServerConfig {
        ServerConfig {
            data,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            appender: AppenderConfig::default(),
            body_bytes: 256 * 1024,
            health_max_age: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_connections_per_address: 128,
            rate_writes_per_token: 5000,
            rate_heavy_per_address: 10,
            tls: None,
            witnessing: None,
            public_url: None,
            advertise_url: None,
        }
    }
}

/// The longest request target answered (longer: 414 `uri_too_long`).
const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields answered (more: 431 `headers_too_large`).
const MAX_HEADER_FIELDS: usize = 64;
/// The most header bytes, names and values, answered (more: 431).
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses an oversized request head with problem+json. The limits sit
/// below hyper's own (100 fields, a 400 KiB read buffer, 64 KiB targets),
/// which answer with a bare status and no body: anything hyper parses gets
/// a stable code, and only what it cannot parse as HTTP/1.1 at all gets its
/// bare 400 (there is no request to answer).
async fn head_limits(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return ApiError::new(
            Code::UriTooLong,
            format!("the request target is {target} bytes; at most {MAX_URI_BYTES} are read"),
        )
        .into_response();
    }
    let fields = req.headers().len();
    let bytes: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if fields > MAX_HEADER_FIELDS || bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            Code::HeadersTooLarge,
            format!(
                "{fields} header fields, {bytes} bytes; at most {MAX_HEADER_FIELDS} fields and \
                 {MAX_HEADER_BYTES} bytes are read"
            ),
        )
        .into_response();
    }
    next.run(req).await
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// The token store could not be opened.
    #[error(transparent)]
    Tokens(#[from] crate::tokens::TokenError),
    /// The TLS certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Binding or serving failed.
    #[error("couldn't serve on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// The application router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.limits.body_bytes;
    let body_timeout = state.limits.body_timeout;
    let mut app = Router::new();
    for (r, handler) in openapi::routes() {
        app = app.route(r.path, handler);
    }
    app.fallback(v1::not_found)
        .method_not_allowed_fallback(v1::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::ratelimit::limit))
        .layer(axum::middleware::from_fn(head_limits))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A running server: its address, and a handle to stop it.
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// The serve task; it ends after `shutdown` resolves and the last batch
    /// is committed.
    pub task: tokio::task::JoinHandle<Result<(), ServeError>>,
    /// The witness client, when witnesses are configured.
    pub witnessing: Option<Arc<crate::witnessing::Witnessing>>,
}

/// Opens the store, starts the sequencer and serves until `shutdown`
/// resolves; then stops accepting, finishes requests and the batch in
/// flight, and closes the store.
pub async fn start(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, ServeError> {
    let metrics = Arc::new(Metrics::default());
    // Opening starts threads and an HTTP client for the TSA that blocks:
    // off the async threads.
    let appender_config = AppenderConfig { observer: metrics.clone(), ..config.appender.clone() };
    let at = ledger::Location::new(&config.data, config.appender.postgres.as_deref());
    let (place, standby_config) = (at.clone(), appender_config.clone());
    let sequencing = tokio::task::spawn_blocking(move || Sequencing::open(&place, appender_config))
        .await
        .map_err(|e| ServeError::Io { addr: config.listen, source: std::io::Error::other(e) })??;
    let sequencing = Arc::new(sequencing);
    // Opening the cosigned-checkpoint table may connect to PostgreSQL,
    // which blocks: off the async threads.
    let witnessing = match config.witnessing.clone() {
        Some(w) => {
            let place = at.clone();
            let made =
                tokio::task::spawn_blocking(move || crate::witnessing::Witnessing::new(w, &place))
                    .await
                    .map_err(|e| ServeError::Io {
                        addr: config.listen,
                        source: std::io::Error::other(e),
                    })??;
            Some(Arc::new(made))
        }
        None => None,
    };
    let tls = config.tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Io { addr: config.listen, source })?;
    let addr =
        listener.local_addr().map_err(|source| ServeError::Io { addr: config.listen, source })?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{}://{addr}", if tls.is_some() { "https" } else { "http" }));
    // Where the other front-ends of a log in PostgreSQL reach this one.
    let advertised = config
        .advertise_url
        .clone()
        .unwrap_or_else(|| format!("{}://{addr}", if tls.is_some() { "https" } else { "http" }));
    {
        let (s, url) = (sequencing.clone(), advertised.clone());
        tokio::task::spawn_blocking(move || s.advertise(&url))
            .await
            .map_err(|e| ServeError::Io { addr, source: std::io::Error::other(e) })??;
    }
    tokio::spawn(sequencing.clone().watch(standby_config, advertised));
    let state = Arc::new(AppState {
        dir: config.data.clone(),
        sequencing,
        readers: Arc::new(Readers::new(at.clone())),
        tokens: TokenStore::new(&at)?,
        metrics,
        limits: Limits {
            body_bytes: config.body_bytes,
            health_max_age: config.health_max_age,
            body_timeout: config.body_timeout,
            secure_cookies: config.tls.is_some(),
        },
        rate: crate::ratelimit::RateLimits::new(
            config.rate_writes_per_token,
            config.rate_heavy_per_address,
        ),
        witnessing: witnessing.clone(),
        public_url,
    });
    if let Some(w) = witnessing.clone() {
        tokio::spawn(w.run(state.readers.clone(), state.metrics.clone(), state.sequencing.clone()));
    }
    tracing::info!(%addr, data = %config.data.display(), "listening");
    let app = router(state.clone());
    let limits = ConnLimits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
        per_address: config.max_connections_per_address,
    };
    let task = tokio::spawn(async move {
        serve_connections(listener, app, tls, limits, shutdown).await;
        // Requests are done: commit what is queued, close the store, and
        // stamp the last checkpoint.
        // The last reference to the state goes there too.
        tokio::task::spawn_blocking(move || {
            state.sequencing.shutdown();
            drop(state);
        })
        .await
        .map_err(|e| ServeError::Io { addr, source: std::io::Error::other(e) })
    });
    Ok(Running { addr, task, witnessing })
}

/// How long connections still open at shutdown may take to finish.
const DRAIN: Duration = Duration::from_secs(30);

/// The accept loop's limits (see [`ServerConfig`]).
#[derive(Clone, Copy)]
pub(crate) struct ConnLimits {
    pub(crate) header_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) per_address: usize,
}

/// Connections held per client address.
#[derive(Clone, Default)]
struct PerAddress(Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>);

/// One connection counted against its address until dropped.
struct AddressSlot(PerAddress, std::net::IpAddr);

impl PerAddress {
    /// A slot for a connection from `ip`, unless it holds `max` already.
    fn take(&self, ip: std::net::IpAddr, max: usize) -> Option<AddressSlot> {
        let mut held = self.0.lock().ok()?;
        let n = held.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(AddressSlot(self.clone(), ip))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut held) = (self.0).0.lock()
            && let Some(n) = held.get_mut(&self.1)
        {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.1);
            }
        }
    }
}

/// Accepts and serves HTTP/1 connections until `shutdown` resolves: each
/// must send its headers within `header_timeout` (idle keep-alive ones are
/// closed after it too), at most `max_connections` at once and
/// `per_address` from one address (beyond it: 429, and closed). Then the
/// listener closes and open connections finish their request, for at most
/// [`DRAIN`].
pub(crate) async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    // A connection over its address's share gets one answer and is closed.
    let mut refuse_http = http.clone();
    refuse_http.keep_alive(false);
    let refuse: Router = Router::new().fallback(|| async {
        ApiError::new(
            Code::TooManyConnections,
            "this address holds too many connections; close some and retry",
        )
        .retry_after(1)
    });
    let per_address = PerAddress::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let waiting = Waiting::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most often: wait for
                    // connections to close rather than spin.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // At capacity, the connection that has waited longest without
        // sending a request gives way: a slow or silent client cannot hold
        // a slot that a real one needs.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                waiting.evict_oldest();
                tokio::select! {
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (id, evicted) = waiting.add();
        let slot = per_address.take(peer.ip(), limits.per_address);
        let (tls, app, refuse, watcher) =
            (tls.clone(), app.clone(), refuse.clone(), graceful.watcher());
        let waiting = waiting.clone();
        let (http, refuse_http, header_timeout) =
            (http.clone(), refuse_http.clone(), limits.header_timeout);
        tokio::spawn(async move {
            let _registered = Registered(waiting.clone(), id);
            // The TLS handshake, if any, within the header timeout.
            let stream: Box<dyn Io> = match &tls {
                None => Box::new(stream),
                Some(acceptor) => {
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => Box::new(s),
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, %peer, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            let Some(slot) = slot else {
                // Over its address's share: one answer, then closed.
                let service = TowerToHyperService::new(refuse);
                let conn =
                    watcher.watch(refuse_http.serve_connection(TokioIo::new(stream), service));
                tokio::select! {
                    _ = conn => {}
                    () = evicted.notified() => {}
                }
                drop(permit);
                return;
            };
            // Handlers and the rate limits see the client's address; the
            // first request takes the connection off the eviction list.
            let client = crate::ratelimit::ClientAddr(peer.ip());
            let seen = waiting.clone();
            let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
            let app =
                tower::ServiceExt::map_request(app, move |mut r: axum::extract::Request<_>| {
                    if first.swap(false, std::sync::atomic::Ordering::Relaxed) {
                        seen.remove(id);
                    }
                    r.extensions_mut().insert(client);
                    r
                });
            let service = TowerToHyperService::new(app);
            let conn = watcher.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                r = conn => if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                () = evicted.notified() => {
                    tracing::debug!(%peer, "closed a connection that sent no request, to make room");
                }
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open {DRAIN:?} after shutdown; closing them");
    }
}

/// A connection's byte stream: TCP, or TLS over TCP.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Connections that have not sent a request yet, oldest first: at
/// capacity, the oldest is closed to make room.
#[derive(Clone, Default)]
struct Waiting(Arc<std::sync::Mutex<WaitingList>>);

#[derive(Default)]
struct WaitingList {
    next: u64,
    list: std::collections::VecDeque<(u64, Arc<tokio::sync::Notify>)>,
}

impl Waiting {
    /// Registers a new connection: its ID, and what tells it to close.
    fn add(&self) -> (u64, Arc<tokio::sync::Notify>) {
        let notify = Arc::new(tokio::sync::Notify::new());
        let Ok(mut w) = self.0.lock() else { return (u64::MAX, notify) };
        let id = w.next;
        w.next += 1;
        w.list.push_back((id, notify.clone()));
        (id, notify)
    }

    /// Takes `id` off the list (it sent a request, or it closed).
    fn remove(&self, id: u64) {
        if let Ok(mut w) = self.0.lock()
            && let Some(at) = w.list.iter().position(|(i, _)| *i == id)
        {
            w.list.remove(at);
        }
    }

    /// Tells the oldest connection without a request to close.
    fn evict_oldest(&self) {
        if let Ok(mut w) = self.0.lock()
            && let Some((_, notify)) = w.list.pop_front()
        {
            notify.notify_one();
        }
    }
}

/// Takes a connection off the list when its task ends.
struct Registered(Waiting, u64);

impl Drop for Registered {
    fn drop(&mut self) {
        self.0.remove(self.1);
    }
}
