//! The router and the serve loop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use ledger::{Ledger, SystemClock};
use tower_http::trace::TraceLayer;

use crate::metrics::Metrics;
use crate::sequencer::{Sequencer, SequencerConfig};
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
    /// Sequencer settings.
    pub sequencer: SequencerConfig,
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// `/healthz` fails when the latest checkpoint is older than this.
    pub health_max_age: Duration,
    /// RFC 3161 TSAs (HTTP URLs, tried in order) for checkpoint tokens and
    /// for documents that arrive without a required token; empty: the data
    /// directory's local TSA (not accredited).
    pub tsa_urls: Vec<String>,
}

impl ServerConfig {
    /// Defaults for `data`: listen on 127.0.0.1:8080, 256 KiB bodies,
    /// heartbeat every 10 s, health fails after 60 s without a signature.
    pub fn new(data: PathBuf) -> ServerConfig {
        ServerConfig {
            data,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            sequencer: SequencerConfig::default(),
            body_bytes: 256 * 1024,
            health_max_age: Duration::from_secs(60),
            tsa_urls: Vec::new(),
        }
    }
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
    let mut app = Router::new();
    for (r, handler) in openapi::routes() {
        app = app.route(r.path, handler);
    }
    app.fallback(v1::not_found)
        .method_not_allowed_fallback(v1::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
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
}

/// Opens the store, starts the sequencer and serves until `shutdown`
/// resolves; then stops accepting, finishes requests and the batch in
/// flight, and closes the store.
pub async fn start(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, ServeError> {
    let metrics = Arc::new(Metrics::default());
    let mut ledger = Ledger::open(&config.data, Arc::new(SystemClock))?;
    ledger.set_stamper(ledger::stamper::Stamper::open(&config.data, &config.tsa_urls)?);
    let stamping = StampThread::start(&config.data, &config.tsa_urls)?;
    let signer = Arc::new(ledger::keys::load(
        &ledger::store::key_path(&config.data),
        ledger.store().origin(),
    )?);
    let sequencer = Sequencer::start(ledger, config.sequencer, metrics.clone())
        .map_err(|source| ServeError::Io { addr: config.listen, source })?;
    let state = Arc::new(AppState {
        dir: config.data.clone(),
        signer,
        sequencer,
        readers: Arc::new(Readers::new(config.data.clone())),
        tokens: TokenStore::new(&config.data)?,
        metrics,
        limits: Limits { body_bytes: config.body_bytes, health_max_age: config.health_max_age },
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Io { addr: config.listen, source })?;
    let addr =
        listener.local_addr().map_err(|source| ServeError::Io { addr: config.listen, source })?;
    tracing::info!(%addr, data = %config.data.display(), "listening");
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        // Requests are done: commit what is queued and close the store.
        let st = state.clone();
        let _ = tokio::task::spawn_blocking(move || st.sequencer.shutdown()).await;
        // The last checkpoint gets its token before the stamper stops.
        let _ = tokio::task::spawn_blocking(move || stamping.stop()).await;
        served.map_err(|source| ServeError::Io { addr, source })
    });
    Ok(Running { addr, task })
}

/// The checkpoint stamper: a thread that gets a token for every new
/// checkpoint (`ledger::stamper::stamp_checkpoints`), off the request path,
/// every [`STAMP_EVERY`].
struct StampThread {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often the stamper looks for new checkpoints.
const STAMP_EVERY: Duration = Duration::from_millis(50);

impl StampThread {
    fn start(dir: &std::path::Path, urls: &[String]) -> Result<StampThread, ServeError> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let Some(stamper) = ledger::stamper::Stamper::open(dir, urls)? else {
            tracing::warn!("no TSA configured and no local TSA: checkpoints get no tokens");
            return Ok(StampThread { stop, thread: None });
        };
        let stamps = ledger::stamper::Stamps::open(dir)?;
        tracing::info!(tsa = %stamper.label(), "stamping every checkpoint");
        let (dir, flag) = (dir.to_owned(), stop.clone());
        let round = move || {
            let now = || ledger::clock::Clock::now_ms(&SystemClock);
            if let Err(e) = ledger::stamper::stamp_checkpoints(&dir, &stamper, &stamps, now) {
                tracing::warn!(error = %e, "checkpoint stamping failed; retrying");
            }
        };
        let thread = std::thread::Builder::new()
            .name("stamper".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    round();
                    std::thread::sleep(STAMP_EVERY);
                }
                round();
            })
            .map_err(|source| ServeError::Io {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
        Ok(StampThread { stop, thread: Some(thread) })
    }

    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
