//! Who sequences the submissions a front-end takes.
//!
//! With the log in the data directory, the front-end is its sequencer. With
//! the log in PostgreSQL, several front-ends may serve it: the one holding
//! the database's sequencer lock runs the [`Appender`] and advertises its
//! address in the database; the others are standbys. A standby serves every
//! read itself and forwards each `POST /v1/events` as it came (the caller's
//! token, its body) to the sequencer, returning the sequencer's answer
//! unchanged: the same receipt, the same idempotency (one sequencer sees
//! every submission). Once a second it tries to take the lock, so when the
//! sequencer's process dies (PostgreSQL drops its lock with its connection)
//! a standby opens the log from its committed state and sequences within
//! about a second. A sequencer that loses its lock while it runs (its
//! lock's connection ended by a partition or a restarted server, and
//! another front-end took the lock) steps down to a standby as soon as it
//! notices — its own commit refused by the head's compare-and-swap, or
//! another address on the board — and forwards from then on. DESIGN.md
//! gives the reasoning and the cost.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ledger::keys::LogSigner;
use ledger::{Appender, AppenderConfig, LedgerError, Location, Status};

use crate::error::{ApiError, Code};

/// Marks a submission a standby forwarded: the front-end it reaches does
/// not forward it again.
const FORWARDED: &str = "tenderlog-forwarded";

/// How often a standby tries to become the sequencer.
const TAKEOVER_EVERY: Duration = Duration::from_secs(1);
/// Most submissions a standby forwards at once: its forwarded connections
/// all come from one address, and must stay well within the sequencer's
/// connections per address (128 by default); more wait their turn.
const FORWARDS_AT_ONCE: usize = 64;

/// The front-end's part in sequencing: the sequencer, or a standby.
pub struct Sequencing {
    appender: RwLock<Option<Arc<Appender>>>,
    signer: Arc<LogSigner>,
    /// A standby's view of the log's progress (read from the database).
    standby_status: Arc<Status>,
    /// A log in PostgreSQL: where the sequencer is, and how to reach it.
    forward: Option<Forward>,
}

struct Forward {
    at: Location,
    http: reqwest::Client,
    /// The sequencer's address, as last read from the database.
    url: RwLock<Option<String>>,
    /// This front-end's own advertised address: never forwarded to (it is
    /// still on the board after stepping down, until another takes over).
    own: RwLock<Option<String>>,
    /// Forwards in flight (at most [`FORWARDS_AT_ONCE`]).
    permits: tokio::sync::Semaphore,
    /// The standby's reads of the log's progress and of the sequencer's
    /// address: kept open between rounds.
    store: Mutex<Option<ledger::Store>>,
    board: Mutex<Option<ledger::postgres::tables::SequencerBoard>>,
    /// The server is stopping: no more standby rounds.
    stopping: std::sync::atomic::AtomicBool,
}

impl Sequencing {
    /// Opens the log at `at` as its sequencer, or — a log in PostgreSQL
    /// whose sequencer lock another front-end holds — as a standby.
    pub fn open(at: &Location, config: AppenderConfig) -> Result<Sequencing, LedgerError> {
        let forward = at.postgres.as_ref().map(|_| Forward {
            at: at.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            url: RwLock::new(None),
            own: RwLock::new(None),
            permits: tokio::sync::Semaphore::new(FORWARDS_AT_ONCE),
            store: Mutex::new(None),
            board: Mutex::new(None),
            stopping: Default::default(),
        });
        let (appender, signer) = match Appender::open(&at.dir, config) {
            Ok(a) => {
                let signer = a.signer();
                (Some(Arc::new(a)), signer)
            }
            Err(LedgerError::SequencerElsewhere) if forward.is_some() => {
                let store = ledger::Store::open_at(at)?;
                (None, Arc::new(ledger::keys::log_signer(&at.dir, &store)?))
            }
            Err(e) => return Err(e),
        };
        let sequencing = Sequencing {
            appender: RwLock::new(appender),
            signer,
            standby_status: Arc::default(),
            forward,
        };
        sequencing.refresh()?;
        Ok(sequencing)
    }

    /// The appender, when this front-end is the sequencer.
    pub fn appender(&self) -> Option<Arc<Appender>> {
        self.appender.read().ok().and_then(|a| a.clone())
    }

    /// Whether this front-end is the log's sequencer now.
    pub fn sequences(&self) -> bool {
        self.appender().is_some()
    }

    /// The log's signing keys.
    pub fn signer(&self) -> Arc<LogSigner> {
        self.signer.clone()
    }

    /// The sequencer's status, or a standby's view of the log's progress.
    pub fn status(&self) -> Arc<Status> {
        match self.appender() {
            Some(a) => a.status().clone(),
            None => self.standby_status.clone(),
        }
    }

    /// Stops the sequencer (committing what is queued), if this is it, and
    /// a standby's rounds (blocking: call it off the runtime's workers).
    pub fn shutdown(&self) {
        if let Some(a) = self.appender() {
            a.shutdown();
        }
        if let Some(f) = &self.forward {
            f.stopping.store(true, Ordering::SeqCst);
            // The standby's connections close here, not wherever the last
            // reference happens to go (a PostgreSQL connection closes by
            // blocking, which a runtime's worker must not).
            let _ = f.store.lock().map(|mut s| s.take());
            let _ = f.board.lock().map(|mut b| b.take());
        }
    }

    /// A standby's round (blocking): the log's progress and the
    /// sequencer's address from the database.
    fn refresh(&self) -> Result<(), LedgerError> {
        let Some(f) = &self.forward else { return Ok(()) };
        let Some(db) = &f.at.postgres else { return Ok(()) };
        if self.appender().is_some() || f.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        {
            let mut store = f.store.lock().map_err(|_| poisoned())?;
            if store.is_none() {
                *store = Some(ledger::Store::open_at(&f.at)?);
            }
            if let Some(s) = store.as_ref() {
                let latest = s.latest_checkpoint()?;
                self.standby_status.tree_size.store(latest.checkpoint.size, Ordering::SeqCst);
                self.standby_status.signed_ms.store(s.latest_signed_ms()?, Ordering::SeqCst);
            }
        }
        let url = with_board(f, db, |b| b.current())?;
        if let Ok(mut slot) = f.url.write() {
            *slot = url;
        }
        Ok(())
    }

    /// Advertises `url` as the sequencer's address, when this front-end is
    /// the sequencer of a log in PostgreSQL.
    pub fn advertise(&self, url: &str) -> Result<(), LedgerError> {
        let (Some(f), Some(_)) = (&self.forward, self.appender()) else { return Ok(()) };
        let Some(db) = &f.at.postgres else { return Ok(()) };
        let now = ledger::Clock::now_ms(&ledger::SystemClock);
        with_board(f, db, |b| b.advertise(url, now))
    }

    /// The front-end's role, kept right for the server's life (a log in
    /// PostgreSQL; on a data directory the front-end is always the
    /// sequencer). Every second: a standby refreshes its view and takes
    /// over when the lock is free (then advertises `url`); the sequencer
    /// checks that it still is one, and steps down to a standby when not
    /// ([`Sequencing::demote`]).
    pub async fn watch(self: Arc<Self>, config: AppenderConfig, url: String) {
        let Some(f) = &self.forward else { return };
        if let Ok(mut own) = f.own.write() {
            *own = Some(url.clone());
        }
        let mut tick = tokio::time::interval(TAKEOVER_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.forward.as_ref().is_some_and(|f| f.stopping.load(Ordering::SeqCst)) {
                return;
            }
            let (me, config, url) = (self.clone(), config.clone(), url.clone());
            let round = tokio::task::spawn_blocking(move || match me.appender() {
                Some(a) => me.still_sequencer(a, &url).map(|_| ()),
                None => me.take_over(config, &url).map(|took| {
                    if took {
                        tracing::warn!("this front-end is now the log's sequencer");
                    }
                }),
            })
            .await;
            match round {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "sequencing round failed"),
                Err(e) => tracing::warn!(error = %e, "sequencing round failed"),
            }
        }
    }

    /// The sequencer's check of itself (blocking): it stops being one when
    /// its sequencer thread stopped (its lock lost to another front-end, a
    /// head that moved under it, a fatal store error) or when another
    /// front-end advertised itself since — which only the holder of the
    /// lock does. Whether it still is.
    fn still_sequencer(&self, appender: Arc<Appender>, url: &str) -> Result<bool, LedgerError> {
        let Some(f) = &self.forward else { return Ok(true) };
        let Some(db) = &f.at.postgres else { return Ok(true) };
        let why = match appender.status().stopped() {
            Some(why) => why,
            None => match with_board(f, db, |b| b.current())? {
                Some(other) if other != url => {
                    format!("{other} advertised itself as the log's sequencer")
                }
                _ => return Ok(true),
            },
        };
        self.demote(appender, &why)?;
        Ok(false)
    }

    /// Steps down from sequencer to standby (blocking): submissions go to
    /// the new sequencer from now on; those still queued here are answered
    /// with a retryable error (their batch cannot commit: the head's
    /// compare-and-swap fences a deposed sequencer), and nothing
    /// acknowledged is lost. A front-end that stepped down for a fatal
    /// error of its own tries to take over again like any standby, which
    /// reopens the log from its committed state.
    fn demote(&self, appender: Arc<Appender>, why: &str) -> Result<(), LedgerError> {
        tracing::warn!(reason = %why, "this front-end is no longer the log's sequencer; it serves as a standby");
        if let Ok(mut slot) = self.appender.write() {
            slot.take();
        }
        // Its lock and connections go with it.
        appender.shutdown();
        drop(appender);
        self.refresh()
    }

    /// One try to become the sequencer (blocking); whether it did.
    fn take_over(&self, config: AppenderConfig, url: &str) -> Result<bool, LedgerError> {
        let Some(f) = &self.forward else { return Ok(false) };
        if f.stopping.load(Ordering::SeqCst) {
            return Ok(false);
        }
        match Appender::open(&f.at.dir, config) {
            Ok(a) => {
                if let Ok(mut slot) = self.appender.write() {
                    *slot = Some(Arc::new(a));
                }
                // The standby's own reads are the appender's now.
                let _ = f.store.lock().map(|mut s| s.take());
                // Only a sequencer that advertised itself after taking the
                // lock may read another's address on the board as its
                // deposition ([`Sequencing::still_sequencer`]).
                if let Err(e) = self.advertise(url) {
                    if let Some(a) = self.appender() {
                        self.demote(a, &format!("couldn't advertise itself: {e}"))?;
                    }
                    return Err(e);
                }
                Ok(true)
            }
            Err(LedgerError::SequencerElsewhere) => {
                self.refresh()?;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends a submission to the sequencer as it came, and returns its
    /// answer unchanged (status, type, body).
    pub async fn forward(
        &self,
        headers: &axum::http::HeaderMap,
        body: axum::body::Bytes,
    ) -> Result<axum::response::Response, ApiError> {
        use axum::http::header;
        let unavailable = |why: String| {
            ApiError::new(
                Code::Unavailable,
                format!("{why}; a standby front-end takes over within seconds: try again"),
            )
            .retry_after(1)
        };
        let Some(f) = &self.forward else {
            return Err(unavailable("this front-end has no sequencer".into()));
        };
        let Some(url) = f.url.read().ok().and_then(|u| u.clone()) else {
            return Err(unavailable("no front-end has advertised itself as the sequencer".into()));
        };
        // One hop at most: a front-end that stepped down is still on the
        // board until another takes over, and two standbys with stale views
        // could send a submission back and forth.
        if f.own.read().ok().is_some_and(|own| own.as_deref() == Some(url.as_str())) {
            return Err(unavailable("this front-end stepped down as the sequencer".into()));
        }
        if headers.contains_key(FORWARDED) {
            return Err(unavailable(format!(
                "a forwarded submission reached a standby (the sequencer is no longer {url})"
            )));
        }
        let _permit = f
            .permits
            .acquire()
            .await
            .map_err(|e| unavailable(format!("the forwarding queue is closed: {e}")))?;
        let mut request = f.http.post(format!("{url}/v1/events")).header(FORWARDED, "1").body(body);
        for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
            if let Some(v) = headers.get(&name) {
                request = request.header(name, v);
            }
        }
        let answer = request.send().await.map_err(|e| {
            unavailable(format!("the sequencing front-end ({url}) is unreachable: {e}"))
        })?;
        let status = answer.status();
        let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
        let retry = answer.headers().get(header::RETRY_AFTER).cloned();
        let bytes = answer.bytes().await.map_err(|e| {
            unavailable(format!("the sequencing front-end's answer broke off: {e}"))
        })?;
        let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
        *response.status_mut() = status;
        if let Some(k) = kind {
            response.headers_mut().insert(header::CONTENT_TYPE, k);
        }
        if let Some(r) = retry {
            response.headers_mut().insert(header::RETRY_AFTER, r);
        }
        Ok(response)
    }
}

fn poisoned() -> LedgerError {
    LedgerError::Corrupt("a standby's lock was poisoned".into())
}

/// Runs `f` on the standby's board of the sequencer's address (opened on
/// first use).
fn with_board<T>(
    f: &Forward,
    db: &str,
    run: impl FnOnce(&mut ledger::postgres::tables::SequencerBoard) -> Result<T, LedgerError>,
) -> Result<T, LedgerError> {
    let mut board = f.board.lock().map_err(|_| poisoned())?;
    if board.is_none() {
        *board = Some(ledger::postgres::tables::SequencerBoard::open(db)?);
    }
    match board.as_mut() {
        Some(b) => run(b),
        None => Err(poisoned()),
    }
}
