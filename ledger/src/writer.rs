//! The write side's core: the [`Ledger`] the sequencer drives
//! ([`crate::Appender`] owns both).
//!
//! Lifecycle of an entry (the words the rest of the code and docs use):
//!
//! * **pending**: handed to [`Ledger::append`], not yet committed;
//! * **durable**: its batch's transaction committed (WAL fsynced): it survives
//!   SIGKILL and power loss;
//! * **checkpointed**: covered by a signed checkpoint. In tenderlog these two
//!   happen together, in the same transaction, so every acknowledged entry is
//!   already checkpointed — there is no merge delay;
//! * **witnessed**: a checkpoint covering it carries witness cosignatures
//!   (a later issue).
//!
//! Crash windows. A batch writes its leaves, tile rows and the new checkpoint
//! in one SQLite transaction (index rows follow, on the index follower); nothing is acknowledged before the
//! commit returns. A crash before the commit leaves the store at the previous
//! checkpoint, and the batch is simply not acknowledged. The checkpoint note is
//! signed inside the transaction: a crash after signing but before the commit
//! loses a signature nobody has seen, and the size it named may later be signed
//! again over other leaves — no one can hold two conflicting signed checkpoints,
//! because the first one never left the process.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::cosignature::CosignerKey;
use verifier::event::{Body, Content, Event, EventLink, Request};
use verifier::log_keys::KeyHistory;
use verifier::merkle::CompactRange;
use verifier::note::NoteVerifier;
use verifier::{EMPTY_ROOT, Hash, leaf_hash};

use crate::admission::Admitted;
use crate::clock::Clock;
use crate::error::{LedgerError, Result};
use crate::indexer::{Follower, IndexRow, IndexWriter};
use crate::keys;
use crate::sqlite::SqliteLog;
use crate::storage::{Batch, LogWriter, TreeHead};
use crate::store::{self, Location, Store};

mod admission;
mod committer;
use admission::Admission;
use committer::{Committer, Pending};

/// Tender heads kept in memory between batches; beyond this, heads already in
/// `index.db` are dropped (memory stays bounded).
const HEAD_CACHE_LIMIT: usize = 100_000;
/// Most entries the index follower may lag behind before appends wait.
pub(crate) const MAX_PENDING: u64 = 65_536;
/// How long appends wait for a stalled index follower before failing.
const INDEX_STALL_LIMIT: Duration = Duration::from_secs(60);

/// The last event of a tender.
#[derive(Clone, Copy, Debug)]
struct TenderHead {
    seq: u64,
    index: u64,
    leaf_hash: Hash,
}

/// What happened to one submission of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index.
    pub index: u64,
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// True when equal content was already logged; `index` is the earlier entry.
    pub duplicate: bool,
}

/// Why one submission of a batch was not logged as submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The rule or check it broke.
    pub error: verifier::Error,
    /// When a document check refused it (not the format): the
    /// `submission_rejected` event logged in its place, so the submitter can
    /// prove it tried, when, and why it was refused.
    pub logged: Option<Appended>,
    /// For a refused sealed submission: the opening of the commitment its
    /// logged refusal carries, for the submitter alone. With it, and only
    /// with it, the refusal can be linked to the file and the filer.
    pub opening: Option<verifier::event::Reveal>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(a) = &self.logged {
            write!(f, " (the rejection is logged as entry {})", a.index)?;
        }
        Ok(())
    }
}

/// The result of one batch.
#[derive(Clone, Debug)]
pub struct BatchOutcome {
    /// One result per submission, in order; a refused submission takes no
    /// index of its own (its rejection may, see [`Refused::logged`]).
    pub results: Vec<std::result::Result<Appended, Refused>>,
    /// Per submission, for a sealed document: the opening (salt, filer,
    /// document, and the sealed entry) its submitter needs to reveal it.
    pub openings: Vec<Option<verifier::event::Reveal>>,
    /// The checkpoint that covers every appended entry of the batch.
    pub checkpoint: SignedCheckpoint,
}

/// The one writer of a data directory.
pub struct Ledger {
    dir: PathBuf,
    store: Store,
    signer: Arc<keys::LogSigner>,
    clock: Arc<dyn Clock>,
    frontier: CompactRange,
    last_leaf: Option<Hash>,
    last_received_ms: u64,
    /// Latest event of recently written tenders; always holds every tender
    /// with an entry not yet in `index.db`.
    heads: HashMap<String, TenderHead>,
    /// Content digests of entries not yet in `index.db`, for idempotency.
    pending: HashMap<Hash, Appended>,
    /// The same entries in index order, to forget them once indexed.
    pending_order: VecDeque<(u64, Hash)>,
    latest: SignedCheckpoint,
    /// CA roots certificates must chain to (`trust::load`).
    trust: verifier::pki::TrustStore,
    /// TSA roots timestamp tokens must chain to (`trust::load_tsa`).
    tsa: verifier::pki::TrustStore,
    /// The rule pack in force and the event that logged it.
    policy: Option<(EventLink, verifier::policy::RulePack)>,
    /// Registered certificates, parsed, by fingerprint (a cache).
    cert_cache: HashMap<Hash, verifier::signing::CertRecord>,
    /// Tenders' procedure states at their committed heads (a cache; a
    /// tender not in it is replayed from its chain when first needed).
    tender_cache: HashMap<String, verifier::procedure::TenderState>,
    /// The key sealed documents' salts are derived from (`keys::commit_key`).
    commit_key: [u8; 32],
    /// Total time appends waited for the index follower.
    index_wait: Duration,
    /// Where batches are committed (the backend's writer, or a test's
    /// wrapper around it), on a thread of its own.
    committer: Committer,
    /// The state as of the last finished commit. The fields above
    /// (`frontier`, `latest`, the caches) run ahead of it by the batch in
    /// flight, which the next batch is sequenced on.
    committed: Committed,
    /// The batch whose commit runs ([`Ledger::start`]).
    in_flight: Option<InFlight>,
    /// The batch sequenced on it, not yet started ([`Ledger::sequence`]).
    next: Option<Sequenced>,
    /// The batch in flight failed while `next` was sequenced on it: `next`
    /// was withdrawn, and [`Ledger::start`] says so.
    withdrawn: bool,
    /// A commit failed: before sequencing or signing anything else, the
    /// stored head must be found still ours (the failed write may have
    /// landed).
    suspect: bool,
    follower: Option<Follower>,
    // Last: the lock is released only after everything above is closed.
    _lock: (File, File),
}

/// The writer's state as of its last finished commit: what the state is
/// rolled back to when a commit fails.
#[derive(Clone, Debug)]
struct Committed {
    frontier: CompactRange,
    last_leaf: Option<Hash>,
    last_received_ms: u64,
    latest: SignedCheckpoint,
}

/// A batch sequenced and signed on top of the state before it (the batch in
/// flight included), not yet committed: [`Ledger::start`] commits it.
#[derive(Debug)]
struct Sequenced {
    outcome: BatchOutcome,
    commit: Option<Commit>,
}

/// What a batch's commit writes, owned: it runs on the committer's thread.
#[derive(Debug)]
struct Commit {
    leaves: Arc<Vec<(u64, Vec<u8>)>>,
    nodes: Vec<(u32, u64, Hash)>,
    expected: TreeHead,
    head: TreeHead,
    note: String,
    signed_ms: u64,
    rows: Vec<IndexRow>,
    after: Committed,
}

/// The batch whose commit runs.
struct InFlight {
    outcome: BatchOutcome,
    /// None for a batch of duplicates and refusals only.
    commit: Option<Committing>,
}

/// A commit running on the committer's thread.
struct Committing {
    /// Its answer.
    done: Pending<()>,
    /// Its leaves: found here until committed.
    leaves: Arc<Vec<(u64, Vec<u8>)>>,
    /// Its lookup rows, for the follower once committed.
    rows: Vec<IndexRow>,
    /// The state it commits.
    after: Committed,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ledger({}, size {})", self.dir.display(), self.frontier.size())
    }
}

/// Takes the writer lock: `writer.lock`, and the data directory itself, so
/// that deleting the lock file (by hand, or a cleanup script) still lets no
/// second writer in. Both are released when the process ends, however it
/// ends.
fn lock(dir: &Path) -> Result<(File, File)> {
    let path = store::lock_path(dir);
    let f =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(
            |source| LedgerError::Io { action: "open lock file", path: path.clone(), source },
        )?;
    let d = File::open(dir).map_err(|source| LedgerError::Io {
        action: "open the data directory",
        path: dir.to_owned(),
        source,
    })?;
    for (file, path) in [(&f, &path), (&d, &dir.to_owned())] {
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LedgerError::Locked { path: path.clone() });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(LedgerError::Io { action: "lock", path: path.clone(), source });
            }
        }
    }
    Ok((f, d))
}

/// Creates a new store and its signing keys in `dir` (Ed25519 and
/// ML-DSA-44), and the directory's local TSA (not accredited) with its root
/// trusted, and signs the empty tree. Returns the Ed25519 verifier key.
pub fn init(dir: &Path, origin: &str, clock: &dyn Clock) -> Result<NoteVerifier> {
    init_with(dir, origin, clock, true)
}

/// [`init`], with `post_quantum` false making a log as logs were made
/// before the ML-DSA-44 key: Ed25519 alone. For benchmarks (the cost of
/// the second signature, side by side) and compatibility tests.
pub fn init_with(
    dir: &Path,
    origin: &str,
    clock: &dyn Clock,
    post_quantum: bool,
) -> Result<NoteVerifier> {
    init_in(&Location::dir(dir), origin, clock, post_quantum)
}

/// [`init`] for a log at `at`: with a PostgreSQL store, the keys and the
/// local TSA go in the data directory and the log in the database, which
/// must not hold one yet.
pub fn init_at(at: &Location, origin: &str, clock: &dyn Clock) -> Result<NoteVerifier> {
    init_in(at, origin, clock, true)
}

fn init_in(
    at: &Location,
    origin: &str,
    clock: &dyn Clock,
    post_quantum: bool,
) -> Result<NoteVerifier> {
    let dir = at.dir.as_path();
    if let Some(url) = &at.postgres {
        // Before any key is made: a database that holds a log is refused.
        crate::postgres::check_empty(url)?;
    }
    std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
        action: "create data directory",
        path: dir.to_owned(),
        source,
    })?;
    let db = store::db_path(dir);
    let key_path = store::key_path(dir);
    if (at.postgres.is_none() && db.exists()) || key_path.exists() {
        return Err(LedgerError::AlreadyInitialized { dir: dir.to_owned() });
    }
    let _lock = lock(dir)?;
    // The embedded default's trusted time: a local TSA, labelled not
    // accredited everywhere it names itself (production trusts an
    // accredited TSA's root instead, with `tenderlog trust add-tsa`).
    if !crate::tsa::exists(dir) {
        crate::tsa::create(dir, clock.now_ms())?;
    }
    let signer = keys::LogSigner::new(
        keys::create(&key_path, origin)?,
        if post_quantum { Some(keys::create_post_quantum(dir, origin)?) } else { None },
    );
    let verifier = signer.verifier();
    let now = clock.now_ms();
    let note = signer.sign_checkpoint(&Checkpoint::new(origin, 0, EMPTY_ROOT).to_text(), now)?;
    let pq = signer.post_quantum().map(CosignerKey::vkey);
    match &at.postgres {
        None => crate::sqlite::create(dir, origin, &verifier.vkey(), pq.as_deref(), &note, now)?,
        Some(url) => {
            crate::postgres::create(url, origin, &verifier.vkey(), pq.as_deref(), &note, now)?
        }
    }
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| LedgerError::Io { action, path, source }
    };
    std::fs::write(store::vkey_path(dir), format!("{}\n", verifier.vkey()))
        .map_err(io("write", &store::vkey_path(dir)))?;
    File::open(dir).and_then(|f| f.sync_all()).map_err(io("sync", dir))?;
    Ok(verifier)
}

/// What [`rotate_key`] did.
#[derive(Clone, Debug)]
pub struct Rotated {
    /// The key retired.
    pub old: NoteVerifier,
    /// The key that signs from now on.
    pub new: NoteVerifier,
    /// The tree size handed over.
    pub size: u64,
    /// The rotation checkpoint, signed by both keys.
    pub note: String,
    /// Where the retired private key now lies.
    pub retired: std::path::PathBuf,
}

/// Rotates the log's checkpoint signing key, with continuity: makes a new
/// key, signs the latest checkpoint with a `key-rotation/v1` extension line
/// naming both keys with the old key and then the new one, records that
/// note in the store's key history together with the new key (one
/// transaction: from then on the log signs with the new key), and moves the
/// old private key aside. Needs the writer lock: the server must be
/// stopped. A crash at any point leaves either the old key in force (the
/// next rotation reuses the new key made) or the new one, which the next
/// open puts in place.
pub fn rotate_key(dir: &Path) -> Result<Rotated> {
    rotate_key_at(&Location::dir(dir))
}

/// [`rotate_key`] for the log at `at`. On PostgreSQL it also takes the
/// database's sequencer lock for the rotation, so no front-end sequences
/// meanwhile (one that does is [`LedgerError::SequencerElsewhere`]: stop
/// the front-ends first). The new key is in `at.dir` alone: every other
/// front-end's data directory needs it copied in before that front-end
/// starts again (one that still holds the retired key refuses to start and
/// says so).
pub fn rotate_key_at(at: &Location) -> Result<Rotated> {
    let dir = at.dir.as_path();
    if !at.exists() {
        return Err(LedgerError::NoStore { dir: dir.to_owned() });
    }
    let _lock = lock(dir)?;
    let _sequencer = match &at.postgres {
        Some(url) => Some(crate::postgres::SequencerLock::take(url)?),
        None => None,
    };
    let store = Store::open_at(at)?;
    keys::finish_rotation(dir, store.verifier())?;
    let old = keys::load(&store::key_path(dir), store.origin())?;
    if old.verifier() != *store.verifier() {
        return Err(LedgerError::Key {
            path: store::key_path(dir),
            reason: "the key does not match the store's verifier key".into(),
        });
    }
    let latest = store.latest_checkpoint()?;
    let new = keys::next_key(dir, store.origin())?;
    let text = verifier::log_keys::Rotation::text(
        store.origin(),
        latest.checkpoint.size,
        latest.checkpoint.root,
        &old.verifier(),
        &new.verifier(),
    );
    let note = new.cosign(&old.sign(&text)?)?;
    let mut history = store.key_history().unwrap_or_else(|| KeyHistory::new(store.origin()));
    history.rotations.push(note.clone());
    // What the store records must be what every verifier will follow.
    verifier::log_keys::LogKeys::follow(store.origin(), &[old.verifier()], Some(&history))
        .map_err(|e| LedgerError::Corrupt(format!("the new key history: {e}")))?;
    let bytes = history.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    match &at.postgres {
        None => crate::sqlite::record_rotation(dir, &new.verifier().vkey(), &text)?,
        Some(url) => crate::postgres::record_rotation(url, &new.verifier().vkey(), &text)?,
    }
    keys::finish_rotation(dir, &new.verifier())?;
    Ok(Rotated {
        old: old.verifier(),
        new: new.verifier(),
        size: latest.checkpoint.size,
        note,
        retired: keys::retired_key_path(dir, old.verifier().key_id()),
    })
}

impl Ledger {
    /// Opens the store in `dir` for writing: takes the writer lock, loads the
    /// key, and checks the stored tree against the last signed checkpoint.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Ledger> {
        Ledger::open_at(&Location::dir(dir), clock)
    }

    /// [`Ledger::open`] for the log at `at`: on PostgreSQL, the data
    /// directory still holds the keys and the writer lock, and the database
    /// gives its sequencer lock to one writer at a time.
    pub fn open_at(at: &Location, clock: Arc<dyn Clock>) -> Result<Ledger> {
        Ledger::open_with(at, clock, |log| log)
    }

    /// [`Ledger::open_at`], committing through `wrap` applied to the
    /// backend's writer: for tests (a fault-injecting store) and
    /// instrumentation.
    pub fn open_with(
        at: &Location,
        clock: Arc<dyn Clock>,
        wrap: impl FnOnce(Box<dyn LogWriter>) -> Box<dyn LogWriter>,
    ) -> Result<Ledger> {
        let dir = at.dir.as_path();
        if !at.exists() {
            return Err(LedgerError::NoStore { dir: dir.to_owned() });
        }
        let lock = lock(dir)?;
        // The sequencer's own reads (leaves, tree nodes, lookups) go
        // through a store of its own; commits go through `log`; the lookup
        // tables are written by the follower through `index`.
        let (log, store, mut index): (Box<dyn LogWriter>, _, Box<dyn IndexWriter>) =
            match &at.postgres {
                None => (
                    Box::new(SqliteLog::open(dir)?),
                    crate::sqlite::reads::open(dir, true)?,
                    Box::new(crate::sqlite::indexer::SqliteIndex(
                        crate::sqlite::indexer::open_for_writing(dir)?,
                    )),
                ),
                // First the sequencer lock: a second sequencer must not even
                // read as one.
                Some(url) => (
                    Box::new(crate::postgres::PgLog::sequencer(url)?),
                    crate::postgres::reads::open(url, dir)?,
                    Box::new(crate::postgres::reads::PgIndex::open(url)?),
                ),
            };
        // A rotation the store recorded but a crash left unfinished.
        keys::finish_rotation(dir, store.verifier())?;
        let signer = keys::log_signer(dir, &store)?;
        let latest = store.latest_checkpoint()?;
        let verified = SignedCheckpoint::verify(latest.note.as_bytes(), store.log_keys())
            .map_err(|e| LedgerError::Corrupt(format!("latest checkpoint: {e}")))?;
        if verified.checkpoint != latest.checkpoint {
            return Err(LedgerError::Corrupt("latest checkpoint note differs from its row".into()));
        }
        let size = latest.checkpoint.size;
        let leaves = store.stored_leaves()?;
        let mut log = wrap(log);
        // The writer's own view of the head must be the reader's.
        let head = log.head()?;
        if head.size != latest.checkpoint.size || head.root != latest.checkpoint.root {
            return Err(LedgerError::Corrupt(format!(
                "the committed head (size {}) is not the latest checkpoint (size {})",
                head.size, latest.checkpoint.size
            )));
        }
        if leaves != size {
            return Err(LedgerError::Corrupt(format!(
                "{leaves} leaves stored, but the latest checkpoint covers {size}"
            )));
        }
        let frontier = CompactRange::load(&mut store.nodes(), size)?;
        if frontier.root() != latest.checkpoint.root {
            return Err(LedgerError::Corrupt(format!(
                "stored tree root at size {size} differs from the signed checkpoint"
            )));
        }
        let (last_leaf, last_received_ms) = if size == 0 {
            (None, 0)
        } else {
            let leaf = store.leaf(size - 1)?;
            let ev = Event::decode(&leaf)
                .map_err(|e| LedgerError::Corrupt(format!("leaf {}: {e}", size - 1)))?;
            (Some(leaf_hash(&leaf)), ev.received_ms)
        };
        // Index what a crash (or a deleted index.db) left unindexed, so that
        // nothing is pending when the follower starts.
        crate::indexer::catch_up(&store, &mut *index, size)?;
        let committed = Committed {
            frontier: frontier.clone(),
            last_leaf,
            last_received_ms,
            latest: latest.clone(),
        };
        let mut ledger = Ledger {
            follower: Some(Follower::spawn(index, size)?),
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            index_wait: Duration::ZERO,
            trust: crate::trust::load(dir)?,
            tsa: crate::trust::load_tsa(dir)?,
            policy: None,
            cert_cache: HashMap::new(),
            tender_cache: HashMap::new(),
            commit_key: keys::commit_key(dir)?,
            dir: dir.to_owned(),
            committer: Committer::spawn(log)?,
            committed,
            in_flight: None,
            next: None,
            withdrawn: false,
            suspect: false,
            _lock: lock,
            store,
            signer: Arc::new(signer),
            clock,
            frontier,
            last_leaf,
            last_received_ms,
            heads: HashMap::new(),
            latest,
        };
        ledger.policy = ledger.load_policy()?;
        Ok(ledger)
    }

    /// Signs the latest checkpoint again and records when: evidence that the
    /// sequencer, its key and its store still work while no entries arrive.
    /// The Ed25519 signature is byte-identical (same size and root, and
    /// Ed25519 is deterministic) and the stored ML-DSA-44 line verifies, so
    /// no second checkpoint ever exists for a size.
    /// Returns the time recorded, ms since the epoch.
    pub fn heartbeat(&mut self) -> Result<u64> {
        if !self.signer.signed(&self.latest.checkpoint.to_text(), &self.latest.note)? {
            return Err(LedgerError::Corrupt(
                "re-signing the latest checkpoint gave a different note".into(),
            ));
        }
        if self.suspect {
            self.resync()?;
        }
        let now = self.clock.now_ms();
        let size = self.latest.checkpoint.size;
        self.committer.call(move |log| log.touch(size, now))?;
        Ok(now)
    }

    /// Total time appends have waited for the index follower to catch up
    /// (it stays near zero unless indexing is the bottleneck).
    pub fn index_wait(&self) -> Duration {
        self.index_wait
    }

    /// Reads through the writer's own connection.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The log's signing key.
    pub fn signer(&self) -> Arc<keys::LogSigner> {
        self.signer.clone()
    }

    /// The rule pack in force and the index of the event that logged it.
    pub fn policy_in_force(&self) -> Option<(u64, &verifier::policy::RulePack)> {
        self.policy.as_ref().map(|(link, pack)| (link.index, pack))
    }

    /// The newest committed checkpoint.
    pub fn latest_checkpoint(&self) -> &SignedCheckpoint {
        &self.committed.latest
    }

    /// The number of committed entries.
    pub fn size(&self) -> u64 {
        self.committed.frontier.size()
    }

    /// After a failed commit: the stored head must still be the last one
    /// committed, or the writer stops ([`LedgerError::HeadMoved`] is fatal;
    /// reopening resumes from the stored head).
    fn resync(&mut self) -> Result<()> {
        let stored = self.committer.call(|log| log.head())?;
        let ours = &self.committed.latest.checkpoint;
        if stored.size != ours.size || stored.root != ours.root {
            return Err(LedgerError::HeadMoved { expected: ours.size, found: stored.size });
        }
        self.policy = self.load_policy()?;
        self.suspect = false;
        Ok(())
    }

    /// Takes back what a failed commit's batch, and the batch sequenced on
    /// it (`next`), assumed: the state goes back to the last finished
    /// commit, their entries leave the pending set, each tender they
    /// extended goes back to the head its first event there linked to, and
    /// the parsed caches are dropped (they are rebuilt from the chains).
    /// `leaves` are theirs, in index order.
    fn roll_back<'a>(&mut self, leaves: impl Iterator<Item = &'a (u64, Vec<u8>)>) -> Result<()> {
        let Committed { frontier, last_leaf, last_received_ms, latest } = self.committed.clone();
        let size = frontier.size();
        (self.frontier, self.last_leaf, self.last_received_ms, self.latest) =
            (frontier, last_leaf, last_received_ms, latest);
        while let Some(&(index, digest)) = self.pending_order.back() {
            if index < size {
                break;
            }
            self.pending.remove(&digest);
            self.pending_order.pop_back();
        }
        let mut seen = std::collections::HashSet::new();
        for (index, leaf) in leaves {
            let ev = Event::decode(leaf)
                .map_err(|e| LedgerError::Corrupt(format!("uncommitted leaf {index}: {e}")))?;
            if !seen.insert(ev.tender.clone()) {
                continue;
            }
            match (ev.prev_tender, ev.seq.checked_sub(1)) {
                (Some(link), Some(seq)) => {
                    let head = TenderHead { seq, index: link.index, leaf_hash: link.leaf_hash };
                    self.heads.insert(ev.tender, head);
                }
                _ => {
                    self.heads.remove(&ev.tender);
                }
            }
        }
        self.tender_cache.clear();
        self.cert_cache.clear();
        Ok(())
    }

    /// Appends a batch and signs one checkpoint over it, in one transaction.
    ///
    /// Returns when the batch is durable and checkpointed. A submission whose
    /// content was already logged gets the earlier entry (`duplicate`); one the
    /// format refuses (e.g. a leaf over 64 KiB) gets an error and takes no index.
    /// An `Err` means nothing of the batch was written.
    ///
    /// [`Ledger::sequence`], [`Ledger::start`] and [`Ledger::finish`] are
    /// the same in three steps, so that the next batch can be sequenced
    /// while one commits.
    pub fn append<R: Into<Admitted>>(&mut self, batch: Vec<R>) -> Result<BatchOutcome> {
        self.sequence(batch)?;
        self.start()?;
        self.finish().unwrap_or_else(|| Err(LedgerError::Corrupt("no batch in flight".into())))
    }

    /// Sequences a batch and signs the checkpoint over it, on top of the
    /// batch in flight if there is one: the writer's state moves on at once,
    /// and is taken back if that batch's commit fails (then this batch is
    /// withdrawn). Nothing is written; [`Ledger::start`] commits it. An
    /// `Err` leaves the state unchanged.
    pub fn sequence<R: Into<Admitted>>(&mut self, batch: Vec<R>) -> Result<()> {
        if self.next.is_some() || self.withdrawn {
            return Err(LedgerError::Corrupt("a batch is already sequenced ahead".into()));
        }
        if self.suspect {
            self.resync()?;
        }
        self.wait_for_index()?;
        let sequenced = self.sequence_batch(batch.into_iter().map(Into::into).collect())?;
        self.next = Some(sequenced);
        Ok(())
    }

    /// Starts committing the batch [`Ledger::sequence`] made; the batch
    /// before it must be finished ([`Ledger::finish`]): commits go one at a
    /// time, in order. [`LedgerError::BatchWithdrawn`] when the batch it was
    /// sequenced on failed (nothing of it reaches the store).
    pub fn start(&mut self) -> Result<()> {
        if std::mem::take(&mut self.withdrawn) {
            return Err(LedgerError::BatchWithdrawn);
        }
        if self.in_flight.is_some() {
            return Err(LedgerError::Corrupt("a batch was started while another commits".into()));
        }
        let Some(batch) = self.next.take() else {
            return Err(LedgerError::Corrupt("no batch was sequenced".into()));
        };
        let commit = batch.commit.map(|c| {
            let Commit { leaves, nodes, expected, head, note, signed_ms, rows, after } = c;
            let written = leaves.clone();
            let done = self.committer.start(move |log| {
                let batch = Batch { leaves: &written, nodes: &nodes, head, note: &note, signed_ms };
                log.commit(&expected, &batch)
            });
            Committing { done, leaves, rows, after }
        });
        self.in_flight = Some(InFlight { outcome: batch.outcome, commit });
        Ok(())
    }

    /// Waits for the batch in flight to commit: its outcome once durable
    /// and checkpointed, or why nothing of it was written (the state is then
    /// taken back, and a batch sequenced on it is withdrawn). `None` when
    /// no batch is in flight.
    pub fn finish(&mut self) -> Option<Result<BatchOutcome>> {
        let InFlight { outcome, commit } = self.in_flight.take()?;
        let Some(Committing { done, leaves, rows, after }) = commit else {
            return Some(Ok(outcome));
        };
        Some(match done.wait() {
            Ok(()) => {
                self.committed = after;
                if let Some(f) = &self.follower {
                    f.send(rows);
                }
                Ok(outcome)
            }
            Err(e) => {
                // It may have landed nonetheless (a timeout after the
                // write): nothing more is signed until the stored head is
                // checked ([`Ledger::resync`]).
                self.suspect = true;
                let next = self.next.take();
                self.withdrawn = next.is_some();
                let ahead = next.iter().filter_map(|n| n.commit.as_ref());
                let rolled =
                    self.roll_back(leaves.iter().chain(ahead.flat_map(|c| c.leaves.iter())));
                Err(rolled.err().unwrap_or(e))
            }
        })
    }

    /// A leaf of the batch in flight (not yet in the store).
    fn leaf_in_flight(&self, index: u64) -> Option<&[u8]> {
        let leaves = &self.in_flight.as_ref()?.commit.as_ref()?.leaves;
        let first = leaves.first()?.0;
        let (i, leaf) = leaves.get(usize::try_from(index.checked_sub(first)?).ok()?)?;
        (*i == index).then_some(leaf.as_slice())
    }

    /// Forgets pending entries the follower has indexed, and holds the batch
    /// back while the follower is more than [`MAX_PENDING`] entries behind, so
    /// that memory stays bounded.
    fn wait_for_index(&mut self) -> Result<()> {
        let Some(f) = &self.follower else { return Ok(()) };
        let started = Instant::now();
        loop {
            let indexed = f.indexed.load(Ordering::SeqCst);
            while let Some(&(idx, digest)) = self.pending_order.front() {
                if idx >= indexed {
                    break;
                }
                self.pending.remove(&digest);
                self.pending_order.pop_front();
            }
            if self.heads.len() > HEAD_CACHE_LIMIT {
                self.heads.retain(|_, h| h.index >= indexed);
            }
            if (self.pending_order.len() as u64) <= MAX_PENDING {
                self.index_wait += started.elapsed();
                return Ok(());
            }
            if started.elapsed() > INDEX_STALL_LIMIT {
                let why = f.error.lock().ok().and_then(|e| e.clone());
                return Err(LedgerError::IndexStalled {
                    behind: self.pending_order.len() as u64,
                    reason: why.unwrap_or_else(|| "no error reported".into()),
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The entry holding this content, if any: this batch, then the pending
    /// tail, then `index.db`.
    fn find_content(
        &self,
        in_batch: &HashMap<Hash, Appended>,
        digest: &Hash,
    ) -> Result<Option<Appended>> {
        if let Some(a) = in_batch.get(digest).or_else(|| self.pending.get(digest)) {
            return Ok(Some(Appended { duplicate: true, ..*a }));
        }
        match self.store.indexed_content(digest)? {
            Some(index) => {
                let leaf_hash = self.store.leaf_hash(index)?;
                Ok(Some(Appended { index, leaf_hash, duplicate: true }))
            }
            None => Ok(None),
        }
    }

    /// The latest event of `tender`: this batch, the cache (which holds every
    /// tender with pending entries), then `index.db`.
    fn find_head(
        &self,
        new_heads: &HashMap<String, TenderHead>,
        tender: &str,
    ) -> Result<Option<TenderHead>> {
        if let Some(h) = new_heads.get(tender).or_else(|| self.heads.get(tender)) {
            return Ok(Some(*h));
        }
        let Some((seq, index)) = self.store.indexed_tender_head(tender)? else { return Ok(None) };
        Ok(Some(TenderHead { seq, index, leaf_hash: self.store.leaf_hash(index)? }))
    }

    fn sequence_batch(&mut self, batch: Vec<Admitted>) -> Result<Sequenced> {
        let received_ms = self.clock.now_ms().max(self.last_received_ms);
        let mut st = BatchState {
            frontier: self.frontier.clone(),
            last_leaf: self.last_leaf,
            received_ms,
            new_heads: HashMap::new(),
            in_batch: HashMap::new(),
            nodes: Vec::with_capacity(batch.len() * 2),
            leaves: Vec::with_capacity(batch.len()),
            rows: Vec::with_capacity(batch.len()),
            policy: self.policy.clone(),
            certs: HashMap::new(),
            certs_changed: Vec::new(),
            tenders: HashMap::new(),
        };
        let mut results = Vec::with_capacity(batch.len());
        let mut openings = Vec::with_capacity(batch.len());

        // Sequence the batch in memory first; lookups read committed state.
        // One read transaction on index.db for all of them: a snapshot per
        // statement would cost more than the lookup itself.
        // The batch's content digests are looked up in one query first: on
        // PostgreSQL a query per submission would cost a round trip each.
        let digests: Vec<Hash> = batch
            .iter()
            .filter_map(|a| match (&a.request, a.digest) {
                (_, Some(d)) => Some(d),
                (Request::Log(c), None) => c.digest().ok(),
                (Request::Seal(_), None) => None,
            })
            .collect();
        let sequenced = self.store.in_index_snapshot(|| {
            self.store.prefetch_contents(&digests)?;
            let mut out = Vec::with_capacity(batch.len());
            for content in batch {
                out.push(self.sequence_one(content, &mut st)?);
            }
            Ok::<_, LedgerError>(out)
        });
        self.store.forget_prefetched();
        let sequenced = sequenced?;
        for (result, opening) in sequenced {
            results.push(result);
            openings.push(opening);
        }
        let BatchState { frontier, last_leaf, new_heads, in_batch, nodes, leaves, rows, .. } = st;
        let (policy, certs, certs_changed) = (st.policy, st.certs, st.certs_changed);
        let tenders = st.tenders;
        let mut latest = self.latest.clone();
        let mut commit = None;
        if !leaves.is_empty() {
            let cp = Checkpoint::new(self.store.origin(), frontier.size(), frontier.root());
            let note = self.signer.sign_checkpoint(&cp.to_text(), self.clock.now_ms())?;
            let expected =
                TreeHead { size: self.latest.checkpoint.size, root: self.latest.checkpoint.root };
            let head = TreeHead { size: cp.size, root: cp.root };
            latest = SignedCheckpoint { checkpoint: cp, note: note.clone() };
            commit = Some(Commit {
                leaves: Arc::new(leaves),
                nodes,
                expected,
                head,
                note,
                signed_ms: self.clock.now_ms(),
                rows,
                after: Committed {
                    frontier: frontier.clone(),
                    last_leaf,
                    last_received_ms: received_ms,
                    latest: latest.clone(),
                },
            });
        }

        self.frontier = frontier;
        self.last_leaf = last_leaf;
        self.last_received_ms = received_ms;
        self.heads.extend(new_heads);
        self.policy = policy;
        if self.cert_cache.len() > CERT_CACHE_LIMIT {
            self.cert_cache.clear();
        }
        self.cert_cache.extend(certs);
        if self.tender_cache.len() > TENDER_CACHE_LIMIT {
            self.tender_cache.clear();
        }
        // Every batch event of these tenders was applied: they are the
        // states at the heads just committed.
        self.tender_cache.extend(tenders);
        for fp in certs_changed {
            self.cert_cache.remove(&fp);
        }
        // The pruning walks the queue in index order: `in_batch` is
        // unordered, and every entry of it comes after those queued.
        let mut added: Vec<(u64, Hash)> = in_batch.iter().map(|(d, a)| (a.index, *d)).collect();
        added.sort_unstable_by_key(|(i, _)| *i);
        self.pending_order.extend(added);
        self.pending.extend(in_batch);
        self.latest = latest.clone();
        Ok(Sequenced { outcome: BatchOutcome { results, openings, checkpoint: latest }, commit })
    }

    /// Sequences one submission: a duplicate, an admitted entry, a refusal
    /// (with its logged rejection, if a check refused it) — and for a sealed
    /// document, the opening its submitter needs to reveal it later.
    fn sequence_one(
        &self,
        admitted: Admitted,
        st: &mut BatchState,
    ) -> Result<(std::result::Result<Appended, Refused>, Option<verifier::event::Reveal>)> {
        let Admitted { request, digest } = admitted;
        let (content, opening) = match request {
            Request::Seal(req) => match self.seal(req, st)? {
                admission::Sealing::Seal { content, opening } => (*content, Some(*opening)),
                admission::Sealing::Refuse(error) => {
                    return Ok((Err(Refused { error, logged: None, opening: None }), None));
                }
                admission::Sealing::Reject { rejection, error, opening } => {
                    let logged = self.log_rejection(*rejection, st)?;
                    let opening = logged.as_ref().map(|a| verifier::event::Reveal {
                        sealed: EventLink { index: a.index, leaf_hash: a.leaf_hash },
                        ..*opening
                    });
                    return Ok((Err(Refused { error, logged, opening }), None));
                }
            },
            Request::Log(content) => (content, None),
        };
        let digest = match digest.map_or_else(|| content.digest(), Ok) {
            Ok(d) => d,
            Err(error) => return Ok((Err(Refused { error, logged: None, opening: None }), None)),
        };
        let done = |a: Appended| {
            let opening = opening.clone().map(|mut o: verifier::event::Reveal| {
                o.sealed = EventLink { index: a.index, leaf_hash: a.leaf_hash };
                o
            });
            (Ok(a), opening)
        };
        if let Some(a) = self.find_content(&st.in_batch, &digest)? {
            return Ok(done(a));
        }
        // A sealed document was checked in the clear by `seal`.
        let admission =
            if opening.is_some() { Admission::Accept } else { self.admit(&content, false, st)? };
        Ok(match admission {
            Admission::Accept => match self.push(content, digest, st)? {
                Ok(a) => done(a),
                Err(error) => (Err(Refused { error, logged: None, opening: None }), None),
            },
            Admission::Refuse(error) => (Err(Refused { error, logged: None, opening: None }), None),
            Admission::Reject { rejection, error } => {
                // The refusal itself is evidence: log it (once per identical
                // refusal) and tell the submitter where.
                let logged = self.log_rejection(*rejection, st)?;
                (Err(Refused { error, logged, opening: None }), None)
            }
        })
    }

    /// Logs a rejection, or finds the identical one already logged.
    fn log_rejection(&self, rejection: Content, st: &mut BatchState) -> Result<Option<Appended>> {
        let rd = rejection.digest()?;
        Ok(match self.find_content(&st.in_batch, &rd)? {
            Some(a) => Some(a),
            None => self.push(rejection, rd, st)?.ok(),
        })
    }

    /// Sequences one admitted submission into the batch: envelope, leaf,
    /// tree nodes, index rows. `Ok(Err(_))` when the format refuses it (it
    /// then takes no index).
    fn push(
        &self,
        content: Content,
        digest: Hash,
        st: &mut BatchState,
    ) -> Result<std::result::Result<Appended, verifier::Error>> {
        let head = self.find_head(&st.new_heads, &content.tender)?;
        let index = st.frontier.size();
        let policy = match &content.body {
            Body::Document(_) | Body::SealedDocument(_) => {
                st.policy.as_ref().map(|(link, _)| *link)
            }
            _ => None,
        };
        let event = Event {
            v: verifier::event::EVENT_VERSION,
            tender: content.tender,
            seq: head.map_or(0, |h| h.seq + 1),
            prev_tender: head.map(|h| EventLink { index: h.index, leaf_hash: h.leaf_hash }),
            prev_leaf: st.last_leaf,
            received_ms: st.received_ms,
            principal: content.principal,
            body: content.body,
            policy,
        };
        let leaf = match event.encode() {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        let lh = leaf_hash(&leaf);
        let nodes = &mut st.nodes;
        st.frontier.push(lh, |level, i, h| nodes.push((level, i, *h)));
        st.last_leaf = Some(lh);
        st.rows.push(IndexRow {
            idx: index,
            leaf: store::prefix(&lh),
            content: store::prefix(&digest),
            document: event.body.document().map(|d| store::prefix(&d.sha256)),
            tender: event.tender.clone(),
            seq: event.seq,
        });
        self.track_procedure(&event, st);
        match &event.body {
            Body::Policy(pack) => {
                st.policy = Some((EventLink { index, leaf_hash: lh }, pack.clone()));
            }
            Body::Certificate(c) => {
                let fp = verifier::pki::fingerprint_of(&c.der.0);
                st.certs.remove(&fp);
                st.certs_changed.push(fp);
            }
            _ => {}
        }
        st.new_heads.insert(event.tender, TenderHead { seq: event.seq, index, leaf_hash: lh });
        let a = Appended { index, leaf_hash: lh, duplicate: false };
        st.in_batch.insert(digest, a);
        st.leaves.push((index, leaf));
        Ok(Ok(a))
    }
}

/// Registered certificates kept parsed between batches.
const CERT_CACHE_LIMIT: usize = 10_000;
/// Most tenders whose procedure state the writer keeps.
const TENDER_CACHE_LIMIT: usize = 100_000;

/// A batch being sequenced: what it has added so far, not yet committed.
pub(crate) struct BatchState {
    frontier: CompactRange,
    last_leaf: Option<Hash>,
    received_ms: u64,
    new_heads: HashMap<String, TenderHead>,
    in_batch: HashMap<Hash, Appended>,
    nodes: Vec<(u32, u64, Hash)>,
    leaves: Vec<(u64, Vec<u8>)>,
    rows: Vec<IndexRow>,
    /// The rule pack in force, with the event that logged it.
    policy: Option<(EventLink, verifier::policy::RulePack)>,
    /// Certificate records loaded during this batch.
    certs: HashMap<Hash, verifier::signing::CertRecord>,
    /// Certificates whose chain this batch extended.
    certs_changed: Vec<Hash>,
    /// Procedure states of the tenders this batch looked at, with every
    /// event of the batch applied.
    tenders: HashMap<String, verifier::procedure::TenderState>,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some(f) = self.follower.take() {
            f.stop();
        }
    }
}
