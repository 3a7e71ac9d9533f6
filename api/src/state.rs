//! What every handler shares: the sequencer, a pool of read connections,
//! the token store, metrics and settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ledger::Store;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::sequencer::Sequencer;
use crate::tokens::TokenStore;

/// Read connections, reused across requests. Reads run on tokio's blocking
/// pool, each with its own connection: SQLite in WAL mode lets them all read
/// beside the sequencer.
pub struct Readers {
    dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 16;

impl Readers {
    /// A pool over the store in `dir`.
    pub fn new(dir: PathBuf) -> Readers {
        Readers { dir, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `f` with a read connection on the blocking pool.
    pub async fn with<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let store = match me.idle.lock().ok().and_then(|mut v| v.pop()) {
                Some(s) => s,
                None => Store::open(&me.dir)?,
            };
            let out = f(&store);
            if let Ok(mut idle) = me.idle.lock()
                && idle.len() < MAX_IDLE_READERS
            {
                idle.push(store);
            }
            out
        })
        .await
        .map_err(|e| ApiError::new("internal", format!("a read task failed: {e}")))?
    }
}

/// Settings the handlers read.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted.
    pub body_bytes: usize,
    /// `/healthz` fails when the latest checkpoint was signed longer ago.
    pub health_max_age: Duration,
}

/// The shared state.
pub struct AppState {
    /// The data directory.
    pub dir: PathBuf,
    /// The log's key, for signing tender heads in bundles.
    pub signer: Arc<verifier::note::NoteSigner>,
    /// The sequencer.
    pub sequencer: Sequencer,
    /// Read connections.
    pub readers: Arc<Readers>,
    /// Bearer tokens.
    pub tokens: TokenStore,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Limits.
    pub limits: Limits,
}
