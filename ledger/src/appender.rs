//! The write side's lifecycle: one [`Appender`] per data directory.
//!
//! [`Appender::open`] takes the writer lock, loads the signing key and the
//! TSA client once, and starts every helper thread: the [sequencer]
//! (which owns the [`Ledger`](crate::Ledger) and, through it, the index
//! follower and the WAL checkpointer) and the checkpoint stamper.
//! [`Appender::shutdown`] (or dropping it) stops them in order: no new
//! submissions, the queued ones committed, the index brought up to date, the
//! newest checkpoint stamped.
//!
//! A submission goes through [admission](crate::admission) (which may call
//! the TSA, on the caller's thread), then the sequencer's queue, and comes
//! back as a [`Committed`] entry once durable and covered by a signed
//! checkpoint. `tenderlog serve`, `tenderlog append`, the demo and the
//! benchmarks all append this way.
//!
//! [sequencer]: crate::sequencer

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use verifier::event::Request;
use verifier::note::NoteVerifier;

use crate::admission::{Admission, Admitted, PolicyView};
use crate::clock::{Clock, SystemClock};
use crate::error::{LedgerError, Result};
use crate::sequencer::{Answer, Job, Loop, NoObserver, Observer, Status, SubmitError};
use crate::stamper::Stamper;
use crate::store::{Location, Store};
use crate::writer::Ledger;

/// How an [`Appender`] runs.
#[derive(Clone)]
pub struct AppenderConfig {
    /// The time source for received times and signatures.
    pub clock: Arc<dyn Clock>,
    /// RFC 3161 TSAs (HTTP URLs, tried in order) for checkpoint tokens and
    /// for documents that arrive without a required token; empty: the data
    /// directory's local TSA (not accredited), if it has one.
    pub tsa_urls: Vec<String>,
    /// Most entries per batch.
    pub max_batch: usize,
    /// Most submissions waiting; beyond it [`Appender::try_submit`] answers
    /// [`SubmitError::Overloaded`] and [`Appender::submit`] waits.
    pub queue: usize,
    /// Re-sign the latest checkpoint after this long without a batch.
    pub heartbeat: Duration,
    /// Whether a thread gets a TSA token for every new checkpoint.
    pub stamp_checkpoints: bool,
    /// Who watches the sequencer (metrics).
    pub observer: Arc<dyn Observer>,
    /// The PostgreSQL database that holds the log (a `postgres://` URL or
    /// `key=value` settings); `None` for the data directory's SQLite store.
    pub postgres: Option<String>,
}

impl std::fmt::Debug for AppenderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppenderConfig")
            .field("tsa_urls", &self.tsa_urls)
            .field("max_batch", &self.max_batch)
            .field("queue", &self.queue)
            .field("heartbeat", &self.heartbeat)
            .field("stamp_checkpoints", &self.stamp_checkpoints)
            .field("postgres", &self.postgres.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for AppenderConfig {
    /// The system clock, the local TSA, batches of up to 4,096, a queue of
    /// 65,536, a heartbeat every 10 s, checkpoints stamped.
    fn default() -> Self {
        AppenderConfig {
            clock: Arc::new(SystemClock),
            tsa_urls: Vec::new(),
            max_batch: 4096,
            queue: 65_536,
            heartbeat: Duration::from_secs(10),
            stamp_checkpoints: true,
            observer: Arc::new(NoObserver),
            postgres: None,
        }
    }
}

/// A submission in the queue: resolves once its batch is committed.
#[derive(Debug)]
pub struct Ticket {
    answer: oneshot::Receiver<Vec<Answer>>,
    status: Arc<Status>,
}

impl Ticket {
    fn stopped(status: &Status) -> SubmitError {
        SubmitError::Stopped(status.stopped().unwrap_or_else(|| "shutting down".into()))
    }

    fn first(answers: Vec<Answer>, status: &Status) -> Answer {
        answers.into_iter().next().unwrap_or_else(|| Err(Ticket::stopped(status)))
    }

    /// Waits for the commit (from async code).
    pub async fn wait(self) -> Answer {
        let Ticket { answer, status } = self;
        match answer.await {
            Ok(answers) => Ticket::first(answers, &status),
            Err(_) => Err(Ticket::stopped(&status)),
        }
    }

    /// Waits for the commit, blocking this thread (never from async code).
    pub fn wait_blocking(self) -> Answer {
        let Ticket { answer, status } = self;
        match answer.blocking_recv() {
            Ok(answers) => Ticket::first(answers, &status),
            Err(_) => Err(Ticket::stopped(&status)),
        }
    }
}

/// Submissions queued together: resolves once all are committed.
#[derive(Debug)]
pub struct Tickets {
    /// One per job (a batch's worth of submissions each), in order.
    parts: Vec<(usize, oneshot::Receiver<Vec<Answer>>)>,
    status: Arc<Status>,
}

impl Tickets {
    /// Waits for every commit, blocking this thread (never from async
    /// code): one answer per submission, in order.
    pub fn wait_blocking(self) -> Vec<Answer> {
        let Tickets { parts, status } = self;
        let mut answers = Vec::with_capacity(parts.iter().map(|(n, _)| n).sum());
        // Jobs are committed in order: waiting for the last one first parks
        // this thread once, not once per job.
        let mut parts: Vec<_> =
            parts.into_iter().rev().map(|(n, rx)| (n, rx.blocking_recv())).collect();
        parts.reverse();
        for (n, got) in parts {
            match got {
                Ok(part) if part.len() == n => answers.extend(part),
                _ => answers.extend((0..n).map(|_| Err(Ticket::stopped(&status)))),
            }
        }
        answers
    }
}

/// The one writer of a data directory and its helper threads.
pub struct Appender {
    dir: PathBuf,
    origin: String,
    verifier: NoteVerifier,
    signer: Arc<crate::keys::LogSigner>,
    admission: Admission,
    queue: Mutex<Option<SyncSender<Job>>>,
    max_batch: usize,
    sequencer: Mutex<Option<JoinHandle<()>>>,
    stamping: Mutex<Option<StampThread>>,
    status: Arc<Status>,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Appender({})", self.dir.display())
    }
}

impl Appender {
    /// Opens the data directory for writing (see [`Ledger::open`]) and
    /// starts the sequencer and, if configured, the checkpoint stamper.
    pub fn open(dir: &Path, config: AppenderConfig) -> Result<Appender> {
        let at = Location::new(dir, config.postgres.as_deref());
        let stamper = Stamper::open(dir, &config.tsa_urls)?.map(Arc::new);
        let ledger = Ledger::open_at(&at, config.clock.clone())?;
        let signer = ledger.signer();
        let origin = ledger.store().origin().to_owned();
        let verifier = ledger.store().verifier().clone();
        let status = Arc::new(Status::default());
        status.tree_size.store(ledger.size(), Ordering::SeqCst);
        status.signed_ms.store(ledger.store().latest_signed_ms()?, Ordering::SeqCst);
        let policy = Arc::new(RwLock::new(PolicyView::default()));
        if let Ok(mut view) = policy.write() {
            view.publish(ledger.policy_in_force());
        }
        let stamping = match (&stamper, config.stamp_checkpoints) {
            (Some(s), true) => Some(StampThread::start(&at, s.clone(), config.clock.clone())?),
            (None, true) => {
                tracing::warn!("no TSA configured and no local TSA: checkpoints get no tokens");
                None
            }
            (_, false) => None,
        };
        let max_batch = config.max_batch.max(1);
        // The queue holds jobs; a job of a single submission is the common
        // case, so the bound is still about `config.queue` submissions.
        let (tx, rx) = sync_channel::<Job>(config.queue.max(1));
        let run = Loop {
            max_batch,
            heartbeat: config.heartbeat,
            status: status.clone(),
            observer: config.observer.clone(),
            clock: config.clock.clone(),
            policy: policy.clone(),
        };
        let sequencer = std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || run.run(ledger, rx))
            .map_err(|source| LedgerError::Io {
                action: "start the sequencer thread for",
                path: dir.to_owned(),
                source,
            })?;
        Ok(Appender {
            dir: dir.to_owned(),
            origin,
            verifier,
            signer,
            admission: Admission { stamper, policy, clock: config.clock },
            queue: Mutex::new(Some(tx)),
            max_batch,
            sequencer: Mutex::new(Some(sequencer)),
            stamping: Mutex::new(stamping),
            status,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The log's signing key (loaded once; bundles sign tender heads with it).
    pub fn signer(&self) -> Arc<crate::keys::LogSigner> {
        self.signer.clone()
    }

    /// The sequencer's shared status.
    pub fn status(&self) -> &Arc<Status> {
        &self.status
    }

    /// Whether [`Appender::admit`] will call the TSA for `content` (and so
    /// may block for up to its timeout): run it off async threads then.
    pub fn needs_token(&self, request: &Request) -> bool {
        self.admission.needs_token(request)
    }

    /// Admission (see [`crate::admission`]); may block on the TSA when
    /// [`Appender::needs_token`] says so.
    pub fn admit(&self, request: impl Into<Request>) -> Admitted {
        self.admission.admit(request.into())
    }

    fn sender(&self) -> std::result::Result<SyncSender<Job>, SubmitError> {
        let guard = self.queue.lock().map_err(|_| SubmitError::Stopped("poisoned".into()))?;
        guard.clone().ok_or_else(|| SubmitError::Stopped("shutting down".into()))
    }

    fn job(&self, items: Vec<Admitted>) -> (Job, oneshot::Receiver<Vec<Answer>>) {
        let (reply, answer) = oneshot::channel();
        (Job { contents: items, reply, queued: Instant::now() }, answer)
    }

    /// Queues an admitted submission; [`SubmitError::Overloaded`] at once
    /// when the queue is full.
    pub fn try_submit(&self, item: Admitted) -> std::result::Result<Ticket, SubmitError> {
        let (job, answer) = self.job(vec![item]);
        match self.sender()?.try_send(job) {
            Ok(()) => Ok(Ticket { answer, status: self.status.clone() }),
            Err(TrySendError::Full(_)) => Err(SubmitError::Overloaded),
            Err(TrySendError::Disconnected(_)) => Err(Ticket::stopped(&self.status)),
        }
    }

    /// Queues an admitted submission, waiting while the queue is full.
    pub fn submit(&self, item: Admitted) -> std::result::Result<Ticket, SubmitError> {
        let (job, answer) = self.job(vec![item]);
        self.sender()?.send(job).map_err(|_| Ticket::stopped(&self.status))?;
        Ok(Ticket { answer, status: self.status.clone() })
    }

    /// Queues admitted submissions, in order, waiting while the queue is
    /// full. They are sequenced in this order, and in one batch unless they
    /// exceed the batch limit (then in as few as fit).
    pub fn submit_all(&self, items: Vec<Admitted>) -> std::result::Result<Tickets, SubmitError> {
        let sender = self.sender()?;
        let mut parts = Vec::with_capacity(items.len().div_ceil(self.max_batch));
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let chunk: Vec<Admitted> = items.by_ref().take(self.max_batch).collect();
            let n = chunk.len();
            let (job, answer) = self.job(chunk);
            // Once a part is queued the caller must get its answers: a later
            // part that cannot be queued is answered "stopped" (its reply
            // dropped with the job), not turned into an error for all.
            if sender.send(job).is_err() && parts.is_empty() {
                return Err(Ticket::stopped(&self.status));
            }
            parts.push((n, answer));
        }
        Ok(Tickets { parts, status: self.status.clone() })
    }

    /// Admits, queues and waits for `contents`, blocking: one answer per
    /// submission, in order. For command-line tools, tests and benchmarks.
    pub fn append<R: Into<Request>>(
        &self,
        contents: Vec<R>,
    ) -> std::result::Result<Vec<Answer>, SubmitError> {
        let admitted = contents.into_iter().map(|c| self.admit(c)).collect();
        Ok(self.submit_all(admitted)?.wait_blocking())
    }

    /// Stops taking submissions, commits what is queued, closes the ledger
    /// (the index brought up to date), and stamps the newest checkpoint.
    /// Returns why the sequencer stopped early, if it did.
    pub fn shutdown(&self) -> Option<String> {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        if let Some(t) = self.sequencer.lock().ok().and_then(|mut t| t.take()) {
            let _ = t.join();
        }
        if let Some(s) = self.stamping.lock().ok().and_then(|mut s| s.take()) {
            s.stop();
        }
        self.status.stopped()
    }
}

impl Drop for Appender {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// How often the stamper looks for new checkpoints.
const STAMP_EVERY: Duration = Duration::from_millis(50);
/// The longest the stamper waits after failures (a dead TSA, a full disk):
/// it backs off from [`STAMP_EVERY`], doubling, so a lasting failure is
/// retried and logged a few times a minute, not twenty times a second.
const STAMP_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The stamper's wait before its next round, after one that `succeeded`
/// following a wait of `prev`.
fn stamp_wait(prev: Duration, succeeded: bool) -> Duration {
    if succeeded { STAMP_EVERY } else { (prev * 2).clamp(STAMP_EVERY, STAMP_BACKOFF_MAX) }
}

/// The checkpoint stamper: a thread that gets a token for every new
/// checkpoint ([`crate::stamper::stamp_checkpoints`]), off the request path.
struct StampThread {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl StampThread {
    fn start(at: &Location, stamper: Arc<Stamper>, clock: Arc<dyn Clock>) -> Result<StampThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let stamps = at.stamps()?;
        tracing::info!(tsa = %stamper.label(), "stamping every checkpoint");
        let store = Store::open_at(at)?;
        let flag = stop.clone();
        let round = move |wait: Duration| {
            let now = || clock.now_ms();
            let done = crate::stamper::stamp_checkpoints(&store, &stamper, &*stamps, now);
            match done {
                Ok(_) => stamp_wait(wait, true),
                Err(e) => {
                    let next = stamp_wait(wait, false);
                    tracing::warn!(error = %e, retry_in = ?next, "checkpoint stamping failed");
                    next
                }
            }
        };
        let thread = std::thread::Builder::new()
            .name("stamper".into())
            .spawn(move || {
                let mut wait = STAMP_EVERY;
                while !flag.load(Ordering::Relaxed) {
                    wait = round(wait);
                    // Sleep in steps, so a shutdown is not held up by a
                    // long back-off.
                    let until = std::time::Instant::now() + wait;
                    while !flag.load(Ordering::Relaxed) && std::time::Instant::now() < until {
                        std::thread::sleep(STAMP_EVERY);
                    }
                }
                // The last checkpoint gets its token before the stamper stops.
                round(wait);
            })
            .map_err(|source| LedgerError::Io {
                action: "start the stamping thread for",
                path: at.dir.clone(),
                source,
            })?;
        Ok(StampThread { stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamper_backs_off_while_failing_and_resets_on_success() {
        let mut wait = STAMP_EVERY;
        let mut waits = Vec::new();
        for _ in 0..12 {
            wait = stamp_wait(wait, false);
            waits.push(wait);
        }
        assert_eq!(waits[0], STAMP_EVERY * 2);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(*waits.last().unwrap(), STAMP_BACKOFF_MAX);
        assert_eq!(stamp_wait(wait, true), STAMP_EVERY);
    }
}
