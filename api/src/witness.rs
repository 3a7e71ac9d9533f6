//! The witness's HTTP service (C2SP `tlog-witness`), served by
//! `tenderlog witness serve` from the witness's own directory:
//!
//! * `POST /add-checkpoint` — the spec's request and answers: 200 with the
//!   cosignature lines; 404, 403, 400, 422 with a one-line reason; 409 with
//!   the size held as `text/x.tlog.size`.
//! * `GET /<SHA-256 of the origin, hex>/checkpoint` — the latest cosigned
//!   checkpoint of a log (the spec's monitoring path).
//! * `GET /status` — JSON: the witness's keys, each log's latest
//!   checkpoint, and every split-view evidence pair it kept.
//! * `GET /metrics` — Prometheus: answers by status, evidence kept.
//!
//! The checks and the state are `ledger::witness`; this module only speaks
//! HTTP. Bodies are capped at the largest valid request and must arrive in
//! time; requests are served by the same connection loop as the log's API
//! (header timeout, connection caps per address).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ledger::witness::{Counters, Refusal, Witness};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::server::{ConnLimits, ServeError, serve_connections};

/// Everything `witness serve` needs.
#[derive(Clone, Debug)]
pub struct WitnessConfig {
    /// The witness directory (`ledger::witness::init`).
    pub dir: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// A request's headers must arrive within this; idle keep-alive
    /// connections are closed after it.
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
    /// Most connections at once.
    pub max_connections: usize,
    /// Most connections from one address.
    pub max_connections_per_address: usize,
}

impl WitnessConfig {
    /// Defaults for `dir`: 127.0.0.1:8090, headers within 10 s, bodies
    /// within 10 s, 512 connections, 128 per address.
    pub fn new(dir: PathBuf) -> WitnessConfig {
        WitnessConfig {
            dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_connections_per_address: 128,
        }
    }
}

/// A running witness service.
pub struct RunningWitness {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The witness (to reload its log list, or for tests' hooks).
    pub witness: Arc<Witness>,
    /// The serve task; it ends after `shutdown` resolves.
    pub task: tokio::task::JoinHandle<()>,
}

/// The witness's router.
pub fn router(witness: Arc<Witness>, body_timeout: Duration) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/status", get(status))
        .route("/metrics", get(metrics))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "no such path\n".into()) })
        .layer(DefaultBodyLimit::max(verifier::witness_request::MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(body_timeout))
        .with_state(witness)
}

/// Opens the witness in `config.dir` and serves it until `shutdown`.
pub async fn start_witness(
    config: WitnessConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<RunningWitness, ServeError> {
    let dir = config.dir.clone();
    let witness =
        tokio::task::spawn_blocking(move || Witness::open(&dir, Arc::new(ledger::SystemClock)))
            .await
            .map_err(|e| ServeError::Io {
                addr: config.listen,
                source: std::io::Error::other(e),
            })??;
    let witness = Arc::new(witness);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Io { addr: config.listen, source })?;
    let addr =
        listener.local_addr().map_err(|source| ServeError::Io { addr: config.listen, source })?;
    tracing::info!(%addr, name = witness.name(), "witness listening");
    let app = router(witness.clone(), config.body_timeout);
    let limits = ConnLimits {
        header_timeout: config.header_timeout,
        max_connections: config.max_connections,
        per_address: config.max_connections_per_address,
    };
    let task = tokio::spawn(serve_connections(listener, app, None, limits, shutdown));
    Ok(RunningWitness { addr, witness, task })
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let answer = tokio::task::spawn_blocking(move || w.add_checkpoint(&body)).await;
    match answer {
        Ok(Ok(lines)) => text(StatusCode::OK, lines),
        Ok(Err(Refusal::Conflict(size))) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{size}\n"),
        )
            .into_response(),
        Ok(Err(r)) => {
            let status =
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            text(status, format!("{r}\n"))
        }
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

async fn checkpoint(State(w): State<Arc<Witness>>, Path(origin_hash): Path<String>) -> Response {
    match w.checkpoint_by_origin_hash(&origin_hash) {
        Some(note) => text(StatusCode::OK, note),
        None => text(StatusCode::NOT_FOUND, "this witness has cosigned no such log\n".into()),
    }
}

async fn status(State(w): State<Arc<Witness>>) -> Response {
    match tokio::task::spawn_blocking(move || w.status()).await {
        Ok(Ok(s)) => axum::Json(s).into_response(),
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

async fn metrics(State(w): State<Arc<Witness>>) -> Response {
    let mut registry = Registry::with_prefix("tenderlog_witness");
    let c = &w.counters;
    registry.register(
        "cosigned",
        "Checkpoints cosigned (200)",
        ConstCounter::new(c.cosigned.load(Ordering::Relaxed)),
    );
    for (status, n) in Counters::REFUSED.iter().zip(&c.refused) {
        registry.register(
            format!("refused_{status}"),
            format!("add-checkpoint requests answered {status}"),
            ConstCounter::new(n.load(Ordering::Relaxed)),
        );
    }
    // A gauge of everything kept (not only since start): an alarm fires on
    // any value above zero.
    let kept = tokio::task::spawn_blocking(move || w.status().map(|s| s.split_view_evidence.len()))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    registry.register(
        "split_view_evidence",
        "Checkpoints refused as inconsistent and kept as evidence of a split view",
        ConstGauge::new(kept as i64),
    );
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
