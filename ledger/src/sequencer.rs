//! The sequencer: the one batching loop of the project.
//!
//! One thread owns the [`Ledger`] and takes admitted submissions from a
//! bounded queue. There is no merge delay: it takes everything queued (up to
//! the batch limit) the moment the previous batch is sequenced, so under load
//! batches grow by themselves and when idle a submission is committed alone.
//! A batch is sequenced while the one before it commits (on the ledger's
//! committer thread); it is answered once its own commit is finished.
//! While no submissions arrive it re-signs the latest checkpoint every
//! heartbeat interval ([`Ledger::heartbeat`]), which `/healthz` watches.
//!
//! It never waits on the network: a platform timestamp is obtained by
//! [admission](crate::admission) before a submission is queued.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::Reveal;

use crate::admission::Admitted;

use crate::clock::Clock;
use crate::writer::{Appended, Ledger, Refused};

/// A committed submission: its entry and a checkpoint that covers it.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The entry (an earlier one when the content was already logged).
    pub appended: Appended,
    /// The checkpoint signed with the entry's batch (or the latest, for a
    /// duplicate); one copy shared by the whole batch.
    pub checkpoint: Arc<SignedCheckpoint>,
    /// For a sealed document: what its submitter needs to reveal it.
    pub opening: Option<Reveal>,
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
        refused: Box<Refused>,
        /// The checkpoint of the batch (it covers a logged rejection).
        checkpoint: Arc<SignedCheckpoint>,
    },
    /// The batch could not be written; nothing of it was.
    #[error("couldn't commit the batch: {0}")]
    Failed(String),
}

/// The answer to one submission.
pub type Answer = Result<Committed, SubmitError>;

/// Submissions queued together (never more than a batch holds) and where
/// their answers go: one message each way however many there are, which is
/// what keeps a bulk append as fast as the store.
pub(crate) struct Job {
    pub(crate) contents: Vec<Admitted>,
    pub(crate) reply: oneshot::Sender<Vec<Answer>>,
    pub(crate) queued: Instant,
}

impl Job {
    fn fail(self, error: impl Fn() -> SubmitError) {
        let answers = self.contents.iter().map(|_| Err(error())).collect();
        // A caller that went away needs no answer.
        let _ = self.reply.send(answers);
    }
}

/// A job's submitters, waiting for their batch: where the answers go, when
/// it was queued, how many submissions.
type Waiting = (oneshot::Sender<Vec<Answer>>, Instant, usize);

/// Answers every submission of `waiting` with `Failed(why)`: nothing of
/// their batch was written.
fn fail(waiting: impl Iterator<Item = Waiting>, why: &str) {
    for (reply, _, n) in waiting {
        let _ = reply.send((0..n).map(|_| Err(SubmitError::Failed(why.to_owned()))).collect());
    }
}

/// What the sequencer shares with its callers.
#[derive(Debug, Default)]
pub struct Status {
    /// Entries in the log.
    pub tree_size: AtomicU64,
    /// When the latest checkpoint was last signed, ms since the epoch.
    pub signed_ms: AtomicU64,
    /// Total time appends waited for the index follower, µs (near zero
    /// unless indexing is the bottleneck).
    pub index_wait_us: AtomicU64,
    /// Why the sequencer stopped, once it has.
    pub stopped: Mutex<Option<String>>,
}

impl Status {
    /// Why the sequencer stopped, if it has.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|s| s.clone())
    }
}

/// One committed batch, as an [`Observer`] sees it.
#[derive(Clone, Debug, Default)]
pub struct BatchReport {
    /// Entries in the log after the batch.
    pub tree_size: u64,
    /// When its checkpoint was signed, ms since the epoch.
    pub signed_ms: u64,
    /// Submissions that became new entries.
    pub appended: u64,
    /// Submissions answered with an earlier entry.
    pub duplicates: u64,
    /// Submissions refused.
    pub refused: u64,
    /// Per submission, from being queued to its batch's commit.
    pub waits: Vec<Duration>,
}

/// Watches the sequencer (metrics); every method has a no-op default.
pub trait Observer: Send + Sync {
    /// A batch was committed.
    fn batch(&self, _report: &BatchReport) {}
    /// The latest checkpoint was re-signed while idle, at `signed_ms`.
    fn heartbeat(&self, _signed_ms: u64) {}
}

/// An observer that watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// What the sequencer thread needs besides the ledger.
pub(crate) struct Loop {
    pub(crate) max_batch: usize,
    pub(crate) heartbeat: Duration,
    pub(crate) status: Arc<Status>,
    pub(crate) observer: Arc<dyn Observer>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The rule pack in force, published for admission after each batch.
    pub(crate) policy: Arc<RwLock<crate::admission::PolicyView>>,
}

impl Loop {
    fn stop(&self, why: String) {
        tracing::error!(error = %why, "sequencer stopped");
        if let Ok(mut s) = self.status.stopped.lock() {
            *s = Some(why);
        }
    }

    /// Runs until the queue closes (every sender dropped), then commits what
    /// is left and closes the ledger.
    ///
    /// While a batch commits (on the ledger's committer thread) the next
    /// one is taken and sequenced; it starts committing once the one before
    /// it is finished and answered. With nothing queued, the batch in
    /// flight is finished first: its submitters never wait for a later
    /// arrival.
    pub(crate) fn run(self, mut ledger: Ledger, rx: Receiver<Job>) {
        // A job taken from the queue that did not fit in the last batch.
        let mut carry: Option<Job> = None;
        // The submitters of the batch in flight.
        let mut in_flight: Option<Vec<Waiting>> = None;
        loop {
            let mut jobs = Vec::new();
            let first = match (carry.take(), in_flight.is_some()) {
                (Some(job), _) => job,
                (None, true) => match rx.try_recv() {
                    Ok(job) => job,
                    Err(TryRecvError::Empty) => {
                        if let Err(why) = self.finish(&mut ledger, in_flight.take()) {
                            return self.stop(why);
                        }
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => break,
                },
                (None, false) => match rx.recv_timeout(self.heartbeat) {
                    Ok(first) => first,
                    Err(RecvTimeoutError::Timeout) => {
                        match ledger.heartbeat() {
                            Ok(ms) => {
                                self.status.signed_ms.store(ms, Ordering::SeqCst);
                                self.observer.heartbeat(ms);
                            }
                            Err(e) if e.is_fatal() => return self.stop(e.to_string()),
                            Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                },
            };
            // A job is never split (the appender queues at most a batch in
            // one), so a batch holds whole jobs in queue order.
            let mut size = first.contents.len();
            jobs.push(first);
            while size < self.max_batch {
                match rx.try_recv() {
                    Ok(more) if size + more.contents.len() > self.max_batch => {
                        carry = Some(more);
                        break;
                    }
                    Ok(more) => {
                        size += more.contents.len();
                        jobs.push(more);
                    }
                    Err(_) => break,
                }
            }
            let mut contents = Vec::with_capacity(size);
            let mut waiting = Vec::with_capacity(jobs.len());
            for job in jobs {
                waiting.push((job.reply, job.queued, job.contents.len()));
                contents.extend(job.contents);
            }
            let sequenced = ledger.sequence(contents);
            // The batch before it is finished and answered first: commits
            // go one at a time, in order.
            if let Err(why) = self.finish(&mut ledger, in_flight.take()) {
                return self.halt(why, waiting, carry);
            }
            match sequenced.and_then(|()| ledger.start()) {
                Ok(()) => in_flight = Some(waiting),
                Err(e) if e.is_fatal() => return self.halt(e.to_string(), waiting, carry),
                Err(e) => {
                    let why = e.to_string();
                    fail(waiting.into_iter(), &why);
                    tracing::warn!(error = %why, "batch failed; nothing of it was written");
                }
            }
        }
        // Closing: the batch in flight is finished and answered; the
        // ledger's drop finishes indexing what was committed.
        if let Err(why) = self.finish(&mut ledger, in_flight.take()) {
            self.stop(why);
        }
        drop(ledger);
    }

    /// Stops on a fatal error: the batch taken (`waiting`) failed, a job
    /// taken that did not fit it is told the sequencer stopped.
    fn halt(&self, why: String, waiting: Vec<Waiting>, carry: Option<Job>) {
        fail(waiting.into_iter(), &why);
        if let Some(job) = carry {
            job.fail(|| SubmitError::Stopped(why.clone()));
        }
        self.stop(why);
    }

    /// Finishes the batch in flight, if any, and answers its submitters;
    /// `Err` when the ledger must stop.
    fn finish(&self, ledger: &mut Ledger, waiting: Option<Vec<Waiting>>) -> Result<(), String> {
        let Some(waiting) = waiting else { return Ok(()) };
        let outcome = match ledger.finish() {
            Some(Ok(o)) => o,
            None => {
                let why = "the ledger had no batch in flight".to_string();
                fail(waiting.into_iter(), &why);
                return Err(why);
            }
            Some(Err(e)) => {
                let why = e.to_string();
                fail(waiting.into_iter(), &why);
                if e.is_fatal() {
                    return Err(why);
                }
                tracing::warn!(error = %why, "batch failed; nothing of it was written");
                return Ok(());
            }
        };
        let ms = self.clock.now_ms();
        let waited = u64::try_from(ledger.index_wait().as_micros()).unwrap_or(u64::MAX);
        self.status.index_wait_us.store(waited, Ordering::SeqCst);
        self.status.tree_size.store(outcome.checkpoint.checkpoint.size, Ordering::SeqCst);
        self.status.signed_ms.store(ms, Ordering::SeqCst);
        // The ledger's pack may already be the next batch's (sequenced, not
        // yet committed): admission only uses it to decide whether to ask
        // the TSA, and the sequencer checks every rule itself.
        if let Ok(mut view) = self.policy.write() {
            view.publish(ledger.policy_in_force());
        }
        let checkpoint = Arc::new(outcome.checkpoint);
        let mut report = BatchReport {
            tree_size: checkpoint.checkpoint.size,
            signed_ms: ms,
            waits: Vec::with_capacity(outcome.results.len()),
            ..BatchReport::default()
        };
        let answers: Vec<Answer> = outcome
            .results
            .into_iter()
            .zip(outcome.openings)
            .map(|(result, opening)| match result {
                Ok(appended) => {
                    if appended.duplicate {
                        report.duplicates += 1;
                    } else {
                        report.appended += 1;
                    }
                    Ok(Committed { appended, checkpoint: checkpoint.clone(), opening })
                }
                Err(refused) => {
                    report.refused += 1;
                    Err(SubmitError::Refused {
                        refused: Box::new(refused),
                        checkpoint: checkpoint.clone(),
                    })
                }
            })
            .collect();
        let mut answers = answers.into_iter();
        for (reply, queued, n) in waiting {
            let waited = queued.elapsed();
            report.waits.extend(std::iter::repeat_n(waited, n));
            // A caller that went away does not undo its entries.
            let _ = reply.send(answers.by_ref().take(n).collect());
        }
        self.observer.batch(&report);
        Ok(())
    }
}
