//! A fault-injecting storage backend: it wraps a real [`LogWriter`] and
//! fails one chosen call, either *before* passing it on (nothing persisted)
//! or *after* (persisted, but reported as failed: a timeout after the write
//! landed). The fault matrix runs every step with both.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ledger::storage::{Batch, LogWriter, TreeHead};
use ledger::{LedgerError, Result, StorageError};

/// The storage calls a writer makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// [`LogWriter::head`].
    Head,
    /// [`LogWriter::commit`].
    Commit,
    /// [`LogWriter::touch`].
    Touch,
}

/// Every step, for the matrix.
pub const STEPS: [Step; 3] = [Step::Head, Step::Commit, Step::Touch];

/// When the fault strikes, relative to the real call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Fail without calling the backend.
    Before,
    /// Call the backend, then fail whatever it did.
    After,
}

/// Which call fails: the `nth` call (from 0) of `step`.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// The step.
    pub step: Step,
    /// Which of its calls.
    pub nth: u64,
    /// Before or after the real call.
    pub when: When,
}

/// Counts of calls per step, shared with the test.
#[derive(Debug, Default)]
pub struct Calls {
    head: AtomicU64,
    commit: AtomicU64,
    touch: AtomicU64,
    /// How many faults were injected.
    pub injected: AtomicU64,
    /// Every root that reached the backend in a commit, by size: a writer
    /// must never send two roots for one size (the backend's
    /// compare-and-swap would refuse the second, but it must not be relied
    /// on alone).
    signed: std::sync::Mutex<std::collections::HashMap<u64, verifier::Hash>>,
    /// Sizes for which a second, different root reached the backend.
    pub second_roots: std::sync::Mutex<Vec<u64>>,
}

impl Calls {
    fn next(&self, step: Step) -> u64 {
        let c = match step {
            Step::Head => &self.head,
            Step::Commit => &self.commit,
            Step::Touch => &self.touch,
        };
        c.fetch_add(1, Ordering::SeqCst)
    }
}

/// A [`LogWriter`] that fails as its [`Fault`]s say (or never, without any).
pub struct FaultyLog {
    inner: Box<dyn LogWriter>,
    faults: Vec<Fault>,
    calls: Arc<Calls>,
}

impl FaultyLog {
    /// Wraps `inner`; `calls` lets the test see what happened.
    pub fn new(inner: Box<dyn LogWriter>, faults: Vec<Fault>, calls: Arc<Calls>) -> FaultyLog {
        FaultyLog { inner, faults, calls }
    }

    fn run<T>(
        &mut self,
        step: Step,
        call: impl FnOnce(&mut dyn LogWriter) -> Result<T>,
    ) -> Result<T> {
        let n = self.calls.next(step);
        let fault = self.faults.iter().find(|f| f.step == step && f.nth == n).copied();
        let injected = || {
            LedgerError::Storage(StorageError::msg(format!("injected fault: {step:?} call {n}")))
        };
        match fault.map(|f| f.when) {
            None => call(self.inner.as_mut()),
            Some(When::Before) => {
                self.calls.injected.fetch_add(1, Ordering::SeqCst);
                Err(injected())
            }
            Some(When::After) => {
                let _ = call(self.inner.as_mut());
                self.calls.injected.fetch_add(1, Ordering::SeqCst);
                Err(injected())
            }
        }
    }
}

impl LogWriter for FaultyLog {
    fn head(&mut self) -> Result<TreeHead> {
        self.run(Step::Head, |w| w.head())
    }

    fn commit(&mut self, expected: &TreeHead, batch: &Batch<'_>) -> Result<()> {
        let calls = self.calls.clone();
        self.run(Step::Commit, |w| {
            // Only what reaches the backend could be stored (and seen): a
            // note that never left the writer is no fork.
            if let Ok(mut signed) = calls.signed.lock() {
                let root = *signed.entry(batch.head.size).or_insert(batch.head.root);
                if root != batch.head.root
                    && let Ok(mut v) = calls.second_roots.lock()
                {
                    v.push(batch.head.size);
                }
            }
            w.commit(expected, batch)
        })
    }

    fn touch(&mut self, size: u64, signed_ms: u64) -> Result<()> {
        self.run(Step::Touch, |w| w.touch(size, signed_ms))
    }
}
