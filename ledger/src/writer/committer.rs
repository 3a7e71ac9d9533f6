//! The thread that owns the log's writer, so that a batch commits while the
//! sequencer sequences the next one.
//!
//! Why a thread. A commit is mostly waiting: on the database's work and on
//! the WAL's fsync. Sequencing (lookups, admission checks, leaf encoding
//! and hashing) is work of the sequencer's own. Done one after the other,
//! each batch costs both; with the commit here the two overlap and a busy
//! log's batches cost the larger of them (see docs/BENCHMARKS.md).
//!
//! Commits still go one at a time and in order: the writer starts a commit
//! only once the one before it finished ([`crate::Ledger::start`]), since a
//! batch sequenced on a failed one must never reach the log.

use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::thread::JoinHandle;

use crate::error::{LedgerError, Result};
use crate::storage::LogWriter;

/// A call the thread makes on the writer.
type Call = Box<dyn FnOnce(&mut dyn LogWriter) + Send>;

/// The log's writer, on a thread of its own.
pub(super) struct Committer {
    calls: Option<Sender<Call>>,
    thread: Option<JoinHandle<()>>,
}

/// The answer to a call made with [`Committer::start`].
pub(super) struct Pending<T>(Receiver<Result<T>>);

impl<T> Pending<T> {
    /// Waits for the answer.
    pub(super) fn wait(self) -> Result<T> {
        self.0.recv().unwrap_or_else(|_| Err(gone()))
    }
}

fn gone() -> LedgerError {
    LedgerError::Corrupt("the log's writer thread ended".into())
}

impl Committer {
    /// Moves `log` onto a new thread.
    pub(super) fn spawn(mut log: Box<dyn LogWriter>) -> Result<Committer> {
        let (calls, rx) = channel::<Call>();
        let thread = std::thread::Builder::new()
            .name("committer".into())
            .spawn(move || {
                for call in rx {
                    call(&mut *log);
                }
            })
            .map_err(|e| LedgerError::Io {
                action: "start a thread for",
                path: "the log's writer".into(),
                source: e,
            })?;
        Ok(Committer { calls: Some(calls), thread: Some(thread) })
    }

    /// Makes `f` on the writer's thread; the answer comes later.
    pub(super) fn start<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn LogWriter) -> Result<T> + Send + 'static,
    ) -> Pending<T> {
        let (tx, rx) = sync_channel(1);
        let call: Call = Box::new(move |log| {
            let _ = tx.send(f(log));
        });
        // A send fails only when the thread ended; the answer says so.
        if let Some(calls) = &self.calls {
            let _ = calls.send(call);
        }
        Pending(rx)
    }

    /// Makes `f` on the writer's thread and waits for its answer.
    pub(super) fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn LogWriter) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.start(f).wait()
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // The writer (and, on PostgreSQL, its sequencer lock) is closed
        // before this returns.
        self.calls.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
