//! What every handler shares: the appender, a pool of read connections,
//! the token store, metrics and settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ledger::{Location, Store};

use crate::error::{ApiError, Code};
use crate::metrics::Metrics;
use crate::tokens::TokenStore;

/// Read connections, reused across requests. Reads run on tokio's blocking
/// pool, each with its own connection: SQLite in WAL mode lets them all read
/// beside the sequencer.
///
/// The pool is fixed in size: a request waits for a free connection rather
/// than opening one. A fresh connection costs an open, a schema read and a
/// cold page cache, which under load made most proofs read their pages from
/// the file again; and more connections than cores only add switching.
pub struct Readers {
    at: Location,
    idle: Mutex<Vec<Store>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Reads that grow with the log or a tender (bundles, timelines) take
    /// one of these first: at most half the pool, so however many clients
    /// ask for large reads, proofs and receipts keep the other half.
    heavy: Arc<tokio::sync::Semaphore>,
}

impl Readers {
    /// A pool over the log at `at`: twice as many connections as cores,
    /// at least 4 (a read may wait on the disk).
    pub fn new(at: Location) -> Readers {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Readers::with_size(at, (2 * cores).max(4))
    }

    /// A pool of at most `size` connections.
    pub fn with_size(at: Location, size: usize) -> Readers {
        let size = size.max(1);
        Readers {
            at,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Arc::new(tokio::sync::Semaphore::new(size)),
            heavy: Arc::new(tokio::sync::Semaphore::new((size / 2).max(1))),
        }
    }

    /// Takes an idle connection (or opens one), runs `f` in one read
    /// transaction, and puts the connection back. Callers hold a permit.
    fn run<T>(&self, f: impl FnOnce(&Store) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let store = match self.idle.lock().ok().and_then(|mut v| v.pop()) {
            Some(s) => s,
            None => Store::open_at(&self.at)?,
        };
        let out = store.snapshot(f);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(store);
        }
        out
    }

    /// Runs `f` with a read connection on the calling task's thread, inside
    /// one read transaction: for reads bounded by O(log n) page reads (a
    /// proof, a checkpoint, one entry, one tile), where handing the work to
    /// the blocking pool and back costs more than the read itself. Reads that
    /// grow with the log or a tender use [`Readers::with`].
    ///
    /// Nothing awaits between taking the connection and putting it back, so
    /// a dropped request cannot lose one.
    pub async fn quick<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Store) -> Result<T, ApiError>,
    {
        let _permit = self.permits.acquire().await.map_err(|e| {
            ApiError::new(Code::Internal, format!("the reader pool is closed: {e}"))
        })?;
        if self.at.postgres.is_some() {
            // The PostgreSQL client blocks on a runtime of its own, which
            // cannot run on this one's worker (the server's runtime is
            // multi-threaded: the worker's other tasks move elsewhere).
            return tokio::task::block_in_place(|| self.run(f));
        }
        self.run(f)
    }

    /// Runs `f` with a read connection on the blocking pool, inside one read
    /// transaction (see [`Store::snapshot`]).
    pub async fn with<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
    {
        let closed = |e| ApiError::new(Code::Internal, format!("the reader pool is closed: {e}"));
        let heavy = self.heavy.clone().acquire_owned().await.map_err(closed)?;
        let permit = self.permits.clone().acquire_owned().await.map_err(closed)?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let out = me.run(f);
            // The permits live as long as the task, even when the request is
            // dropped meanwhile: at most one store per permit exists, so the
            // pool never grows beyond its size.
            drop((permit, heavy));
            out
        })
        .await
        .map_err(|e| ApiError::new(Code::Internal, format!("a read task failed: {e}")))?
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        // A PostgreSQL connection closes by blocking on its own runtime,
        // which must not happen on a worker of this one.
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if self.at.postgres.is_some() && tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

/// Runs blocking `f` where it may block on a runtime of its own (the
/// PostgreSQL client does): on this thread outside a runtime, beside the
/// runtime's worker on a multi-threaded one, else on a thread of its own.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|s| s.spawn(f).join())
            .unwrap_or_else(|p| std::panic::resume_unwind(p)),
    }
}

/// Settings the handlers read.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted.
    pub body_bytes: usize,
    /// `/healthz` fails when the latest checkpoint was signed longer ago.
    pub health_max_age: Duration,
    /// A request body must arrive within this.
    pub body_timeout: Duration,
    /// Served over HTTPS: the console's session cookie is marked `Secure`.
    pub secure_cookies: bool,
}

/// The shared state.
pub struct AppState {
    /// The data directory.
    pub dir: PathBuf,
    /// The write side: this front-end's appender (admission, the sequencer,
    /// the checkpoint stamper), or the standby's way to the sequencer.
    pub sequencing: Arc<crate::sequencing::Sequencing>,
    /// Read connections.
    pub readers: Arc<Readers>,
    /// Bearer tokens.
    pub tokens: TokenStore,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Limits.
    pub limits: Limits,
    /// Rate limits per client.
    pub rate: crate::ratelimit::RateLimits,
    /// The witness client, when the operator gave a witness policy.
    pub witnessing: Option<Arc<crate::witnessing::Witnessing>>,
    /// The public address of the pages (certificates' QR codes link there).
    pub public_url: String,
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// However many requests arrive at once, no more reads run, and no more
    /// connections exist, than the pool's size, whichever way they read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pool_never_grows_beyond_its_size() {
        let dir = tempfile::tempdir().unwrap();
        ledger::init(dir.path(), "test.example/log", &ledger::clock::SystemClock).unwrap();
        let readers = Arc::new(Readers::with_size(ledger::Location::dir(dir.path()), 3));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = Vec::new();
        for i in 0..64 {
            let (readers, running, peak) = (readers.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let read = move |s: &Store| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(2));
                    let size = s.tree_size()?;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(size)
                };
                // Both ways of reading share the one pool.
                if i % 2 == 0 { readers.with(read).await } else { readers.quick(read).await }
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 0);
        }
        assert!(peak.load(Ordering::SeqCst) <= 3, "peak {}", peak.load(Ordering::SeqCst));
        assert!(peak.load(Ordering::SeqCst) >= 2, "reads never overlapped");
        assert!(readers.idle.lock().unwrap().len() <= 3);
    }

    /// Large reads take at most half the pool: with as many of them waiting
    /// as the pool has connections, a quick read still runs at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_reads_leave_room_for_quick_ones() {
        let dir = tempfile::tempdir().unwrap();
        ledger::init(dir.path(), "test.example/log", &ledger::clock::SystemClock).unwrap();
        let readers = Arc::new(Readers::with_size(ledger::Location::dir(dir.path()), 4));
        let (release, released) = tokio::sync::watch::channel(false);
        let started = Arc::new(AtomicUsize::new(0));
        let mut heavy = Vec::new();
        for _ in 0..8 {
            let (readers, mut released, started) =
                (readers.clone(), released.clone(), started.clone());
            heavy.push(tokio::spawn(async move {
                readers
                    .with(move |s: &Store| {
                        started.fetch_add(1, Ordering::SeqCst);
                        // Held until released: a slow bundle.
                        let handle = tokio::runtime::Handle::current();
                        handle.block_on(released.wait_for(|r| *r)).unwrap();
                        Ok(s.tree_size()?)
                    })
                    .await
            }));
        }
        while started.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let quick =
            tokio::time::timeout(Duration::from_secs(30), readers.quick(|s| Ok(s.tree_size()?)))
                .await
                .expect("a quick read waited behind the large ones");
        assert_eq!(quick.unwrap(), 0);
        assert_eq!(
            started.load(Ordering::SeqCst),
            2,
            "more than half the pool went to large reads"
        );
        release.send(true).unwrap();
        for h in heavy {
            assert_eq!(h.await.unwrap().unwrap(), 0);
        }
    }
}
