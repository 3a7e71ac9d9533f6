//! The sequencer service: one thread owns the [`Ledger`] and commits
//! submissions in batches; HTTP handlers wait for their entry's commit.
//!
//! There is no merge delay: the thread takes everything queued (up to the
//! batch limit) the moment the previous batch is committed, so under load
//! batches grow by themselves and when idle a submission is committed alone.
//! While no submissions arrive it re-signs the latest checkpoint every
//! `heartbeat` interval ([`Ledger::heartbeat`]), which `/healthz` watches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ledger::{Appended, Ledger};
use tokio::sync::oneshot;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::Content;

use crate::metrics::Metrics;

/// A committed submission: its entry and a checkpoint that covers it.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The entry (an earlier one when the content was already logged).
    pub appended: Appended,
    /// The checkpoint signed with the entry's batch (or the latest, for a duplicate).
    pub checkpoint: SignedCheckpoint,
    /// For a sealed document: what its submitter needs to reveal it.
    pub opening: Option<verifier::event::Reveal>,
}

/// Why a submission was not committed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The queue is full; try again shortly.
    #[error("the sequencer queue is full")]
    Overloaded,
    /// The sequencer stopped (a fatal store error, or shutting down).
    #[error("the sequencer has stopped: {0}")]
    Stopped(String),
    /// The content breaks a format rule or failed a check.
    #[error("{refused}")]
    Refused {
        /// Why, and the rejection logged for it, if any.
        refused: ledger::Refused,
        /// The checkpoint of the batch (it covers a logged rejection).
        checkpoint: SignedCheckpoint,
    },
    /// The batch could not be written; nothing of it was.
    #[error("couldn't commit the batch: {0}")]
    Failed(String),
}

struct Job {
    content: Content,
    reply: oneshot::Sender<Result<Committed, SubmitError>>,
    queued: Instant,
}

/// State the sequencer shares with the server.
#[derive(Debug, Default)]
pub struct Status {
    /// Entries in the log.
    pub tree_size: AtomicU64,
    /// When the latest checkpoint was last signed, ms since the epoch.
    pub signed_ms: AtomicU64,
    /// Why the sequencer stopped, once it has.
    pub stopped: Mutex<Option<String>>,
}

/// Settings of the sequencer thread.
#[derive(Clone, Copy, Debug)]
pub struct SequencerConfig {
    /// Most entries per batch.
    pub max_batch: usize,
    /// Most submissions waiting; beyond it submissions get 503.
    pub queue: usize,
    /// Re-sign the latest checkpoint after this long without a batch.
    pub heartbeat: Duration,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        SequencerConfig { max_batch: 4096, queue: 65_536, heartbeat: Duration::from_secs(10) }
    }
}

/// The handle handlers submit through.
pub struct Sequencer {
    tx: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Shared status.
    pub status: Arc<Status>,
}

impl Sequencer {
    /// Starts the thread that owns `ledger`.
    pub fn start(
        ledger: Ledger,
        config: SequencerConfig,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Sequencer> {
        let status = Arc::new(Status::default());
        status.tree_size.store(ledger.size(), Ordering::SeqCst);
        let signed = ledger.store().latest_signed_ms().unwrap_or(0);
        status.signed_ms.store(signed, Ordering::SeqCst);
        metrics.tree_size.set(ledger.size() as i64);
        metrics.checkpoint_time.set((signed / 1000) as i64);
        let (tx, rx) = sync_channel::<Job>(config.queue);
        let st = status.clone();
        let thread = std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || run(ledger, rx, config, &st, &metrics))?;
        Ok(Sequencer { tx: Mutex::new(Some(tx)), thread: Mutex::new(Some(thread)), status })
    }

    /// Queues `content` and waits until it is committed.
    pub async fn submit(&self, content: Content) -> Result<Committed, SubmitError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { content, reply, queued: Instant::now() };
        {
            let guard = self.tx.lock().map_err(|_| SubmitError::Stopped("poisoned".into()))?;
            let Some(tx) = guard.as_ref() else {
                return Err(SubmitError::Stopped("shutting down".into()));
            };
            match tx.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => return Err(SubmitError::Overloaded),
                Err(TrySendError::Disconnected(_)) => return Err(self.stopped()),
            }
        }
        answer.await.map_err(|_| self.stopped())?
    }

    fn stopped(&self) -> SubmitError {
        let why = self.status.stopped.lock().ok().and_then(|s| s.clone());
        SubmitError::Stopped(why.unwrap_or_else(|| "shutting down".into()))
    }

    /// Stops taking submissions, commits what is queued, closes the ledger.
    pub fn shutdown(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(t) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = t.join();
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn run(
    mut ledger: Ledger,
    rx: Receiver<Job>,
    config: SequencerConfig,
    status: &Status,
    metrics: &Metrics,
) {
    let stop = |why: String| {
        tracing::error!(error = %why, "sequencer stopped");
        if let Ok(mut s) = status.stopped.lock() {
            *s = Some(why);
        }
    };
    loop {
        let first = match rx.recv_timeout(config.heartbeat) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                match ledger.heartbeat() {
                    Ok(ms) => {
                        status.signed_ms.store(ms, Ordering::SeqCst);
                        metrics.checkpoint_time.set((ms / 1000) as i64);
                    }
                    Err(e) if e.is_fatal() => return stop(e.to_string()),
                    Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut jobs = vec![first];
        while jobs.len() < config.max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let (contents, waiting): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|j| (j.content, (j.reply, j.queued))).unzip();
        match ledger.append(contents) {
            Ok(outcome) => {
                let ms = now_ms();
                status.tree_size.store(outcome.checkpoint.checkpoint.size, Ordering::SeqCst);
                status.signed_ms.store(ms, Ordering::SeqCst);
                metrics.tree_size.set(outcome.checkpoint.checkpoint.size as i64);
                metrics.checkpoint_time.set((ms / 1000) as i64);
                let mut fresh = 0u64;
                for (((reply, queued), result), opening) in
                    waiting.into_iter().zip(outcome.results).zip(outcome.openings)
                {
                    metrics.append_seconds.observe(queued.elapsed().as_secs_f64());
                    let answer = match result {
                        Ok(appended) => {
                            if appended.duplicate {
                                metrics.duplicates.inc();
                            } else {
                                fresh += 1;
                                metrics.appends.inc();
                            }
                            Ok(Committed {
                                appended,
                                checkpoint: outcome.checkpoint.clone(),
                                opening,
                            })
                        }
                        Err(refused) => {
                            metrics.refused.inc();
                            Err(SubmitError::Refused {
                                refused,
                                checkpoint: outcome.checkpoint.clone(),
                            })
                        }
                    };
                    // A caller that went away does not undo its entry.
                    let _ = reply.send(answer);
                }
                metrics.batch_size.observe(fresh as f64);
            }
            Err(e) => {
                let fatal = e.is_fatal();
                let why = e.to_string();
                for (reply, _) in waiting {
                    let _ = reply.send(Err(SubmitError::Failed(why.clone())));
                }
                if fatal {
                    return stop(why);
                }
                tracing::warn!(error = %why, "batch failed; nothing of it was written");
            }
        }
    }
    // Closing: the ledger's drop finishes indexing what was committed.
    drop(ledger);
}
