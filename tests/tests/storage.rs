//! The storage seam: one conformance suite every backend must pass (SQLite,
//! and the fault-injecting wrapper with no fault), and the fault matrix
//! (after Sunlight's `TestSequenceErrors`): at each storage step, fail
//! before persisting and after persisting; the log either goes on or stops
//! cleanly, no acknowledged entry is lost, no second root is stored for a
//! size, and a reopen plus a full audit pass.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use ledger::storage::{Batch, LogReader, LogWriter, TreeHead};
use ledger::{Ledger, LedgerError, ManualClock, Store};
use tenderlog_tests::faults::{Calls, Fault, FaultyLog, STEPS, When};
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::{Body, Content, Schedule};
use verifier::merkle::{CompactRange, NodeSource};
use verifier::note::NoteSigner;
use verifier::{EMPTY_ROOT, Hash, leaf_hash};

const ORIGIN: &str = "storage.tenderlog.example/log";

fn content(i: u64) -> Content {
    Content {
        tender: format!("T-{}", i % 3),
        principal: "agency".into(),
        // Deadlines ahead of the test clock: a schedule is fixed once its
        // deadline has passed.
        body: Body::Schedule(Schedule::new((1 << 40) + i, (1 << 40) + i)),
    }
}

fn new_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), ORIGIN, &ManualClock::new(1_000)).unwrap();
    dir
}

/// The key the conformance suite signs with (the backend stores notes; it
/// does not check whose key signed them).
fn suite_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[5; 32])).unwrap()
}

/// A batch of `n` leaves on top of `frontier`, signed.
struct Made {
    leaves: Vec<(u64, Vec<u8>)>,
    nodes: Vec<(u32, u64, Hash)>,
    head: TreeHead,
    note: String,
    frontier: CompactRange,
}

fn make_batch(signer: &NoteSigner, frontier: &CompactRange, n: u64, tag: u8) -> Made {
    let mut frontier = frontier.clone();
    let (mut leaves, mut nodes) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let index = frontier.size();
        let leaf = vec![tag, index as u8, (index >> 8) as u8, 0xAB];
        frontier.push(leaf_hash(&leaf), |level, i, h| nodes.push((level, i, *h)));
        leaves.push((index, leaf));
    }
    let head = TreeHead { size: frontier.size(), root: frontier.root() };
    let note = signer.sign(&Checkpoint::new(ORIGIN, head.size, head.root).to_text()).unwrap();
    Made { leaves, nodes, head, note, frontier }
}

fn commit(w: &mut dyn LogWriter, expected: &TreeHead, m: &Made, ms: u64) -> ledger::Result<()> {
    let batch =
        Batch { leaves: &m.leaves, nodes: &m.nodes, head: m.head, note: &m.note, signed_ms: ms };
    w.commit(expected, &batch)
}

/// Tree nodes read from a backend's reader, through its tile rows.
struct ReaderNodes<'a>(&'a mut dyn LogReader);

impl NodeSource for ReaderNodes<'_> {
    type Error = LedgerError;
    fn node(&mut self, level: u32, index: u64) -> ledger::Result<Hash> {
        let row = self.0.tile(level, index / 256)?.unwrap_or_default();
        let at = (index % 256) as usize * 32;
        Ok(Hash::from_slice(row.get(at..at + 32).ok_or(LedgerError::Corrupt("no node".into()))?)
            .unwrap())
    }
}

/// The stored root of the tree of `size`, folded from the tiles.
fn root_at(r: &mut dyn LogReader, size: u64) -> Hash {
    CompactRange::load(&mut ReaderNodes(r), size).unwrap().root()
}

/// Every stored leaf in `[from, to)`.
fn leaves(r: &mut dyn LogReader, from: u64, to: u64) -> Vec<(u64, Vec<u8>)> {
    let mut got = Vec::new();
    r.leaves(from, to, &mut |i, l| {
        got.push((i, l.to_vec()));
        Ok(())
    })
    .unwrap();
    got
}

/// The stored note of checkpoint `size`.
fn note_at(r: &mut dyn LogReader, size: u64) -> Option<String> {
    let mut got = None;
    r.checkpoints(size, size, &mut |_, _, n| {
        got = Some(n.to_owned());
        Ok(())
    })
    .unwrap();
    got
}

/// A backend under test: a new, empty log (its empty checkpoint signed by
/// [`suite_signer`]), its writer and its readers.
pub(crate) struct Backend {
    pub(crate) writer: Box<dyn Fn() -> Box<dyn LogWriter>>,
    pub(crate) reader: Box<dyn Fn() -> Box<dyn LogReader>>,
}

/// What every backend must do, given a new, empty log.
pub(crate) fn conformance(b: &Backend) {
    let signer = suite_signer();
    let mut w = (b.writer)();
    let empty = TreeHead { size: 0, root: EMPTY_ROOT };
    assert_eq!(w.head().unwrap(), empty, "a new store's head is the empty tree");

    // A commit lands whole and is read back exactly. 300 leaves: full and
    // partial tile rows, and a second level.
    let a = make_batch(&signer, &CompactRange::default(), 300, 1);
    commit(w.as_mut(), &empty, &a, 2_000).unwrap();
    assert_eq!(w.head().unwrap(), a.head);
    {
        let mut r = (b.reader)();
        assert_eq!(r.latest().unwrap(), a.head);
        assert_eq!(note_at(r.as_mut(), 300).as_deref(), Some(a.note.as_str()));
        assert_eq!(leaves(r.as_mut(), 0, 300), a.leaves);
        assert_eq!(root_at(r.as_mut(), 300), a.head.root, "tiles fold to the signed root");
        assert_eq!(root_at(r.as_mut(), 0), EMPTY_ROOT);
        assert_eq!(r.signed_ms(300).unwrap(), Some(2_000));
    }

    // A stale expected head: refused, nothing written.
    let b1 = make_batch(&signer, &a.frontier, 3, 2);
    let err = commit(w.as_mut(), &empty, &b1, 3_000).unwrap_err();
    assert!(matches!(err, LedgerError::HeadMoved { expected: 0, found: 300 }), "{err}");
    // A second root for a size already signed: refused.
    let other = make_batch(&signer, &CompactRange::default(), 300, 9);
    let err = commit(w.as_mut(), &empty, &other, 3_000).unwrap_err();
    assert!(matches!(err, LedgerError::HeadMoved { .. }), "{err}");
    // The right size with another root: refused.
    let forged = TreeHead { size: 300, root: other.head.root };
    let err = commit(w.as_mut(), &forged, &b1, 3_000).unwrap_err();
    assert!(matches!(err, LedgerError::HeadMoved { .. }), "{err}");
    // A batch that does not grow the tree: refused.
    let same = Made { leaves: vec![], nodes: vec![], ..make_batch(&signer, &a.frontier, 0, 3) };
    assert!(matches!(
        commit(w.as_mut(), &a.head, &same, 3_000),
        Err(LedgerError::HeadMoved { .. })
    ));
    assert_eq!(w.head().unwrap(), a.head, "refused commits wrote nothing");
    assert!(leaves((b.reader)().as_mut(), 300, 303).is_empty());

    // Durable on return: a new writer and a new reader see it; older
    // checkpoints stay as they were.
    commit(w.as_mut(), &a.head, &b1, 3_000).unwrap();
    drop(w);
    let mut w = (b.writer)();
    assert_eq!(w.head().unwrap(), b1.head);
    {
        let mut r = (b.reader)();
        assert_eq!(root_at(r.as_mut(), 303), b1.head.root);
        assert_eq!(root_at(r.as_mut(), 300), a.head.root);
        assert_eq!(note_at(r.as_mut(), 300).as_deref(), Some(a.note.as_str()));
        assert_eq!(leaves(r.as_mut(), 298, 400).len(), 5);
        let proof = r.consistency_proof(300, 303).unwrap().unwrap();
        verifier::merkle::verify_consistency(300, 303, &proof, &a.head.root, &b1.head.root)
            .unwrap();
    }

    // A reader keeps its snapshot while the writer goes on.
    let mut before = (b.reader)();
    let c = make_batch(&signer, &b1.frontier, 1, 4);
    commit(w.as_mut(), &b1.head, &c, 4_000).unwrap();
    assert_eq!(before.latest().unwrap(), b1.head, "a reader sees one snapshot");
    assert_eq!((b.reader)().latest().unwrap(), c.head);

    // Touch moves the signed time of the newest checkpoint, nothing else.
    w.touch(304, 9_000).unwrap();
    let mut r = (b.reader)();
    assert_eq!(r.signed_ms(304).unwrap(), Some(9_000));
    assert_eq!(r.signed_ms(303).unwrap(), Some(3_000));
    assert_eq!(note_at(r.as_mut(), 304).as_deref(), Some(c.note.as_str()));
}

/// A new SQLite log in `dir`, its empty checkpoint signed by the suite's key.
fn sqlite_backend(dir: &Path) -> Backend {
    let signer = suite_signer();
    let empty = signer.sign(&Checkpoint::new(ORIGIN, 0, EMPTY_ROOT).to_text()).unwrap();
    ledger::sqlite::create(dir, ORIGIN, &signer.verifier().vkey(), None, &empty, 1_000).unwrap();
    let (wd, rd) = (dir.to_owned(), dir.to_owned());
    Backend {
        writer: Box::new(move || sqlite(&wd)),
        reader: Box::new(move || {
            Box::new(
                ledger::storage::LogSource::reader(&ledger::sqlite::audit::SqliteSource::new(&rd))
                    .unwrap(),
            )
        }),
    }
}

fn sqlite(dir: &Path) -> Box<dyn LogWriter> {
    Box::new(ledger::sqlite::SqliteLog::open(dir).unwrap())
}

#[test]
fn sqlite_passes_the_conformance_suite() {
    let t = tempfile::tempdir().unwrap();
    conformance(&sqlite_backend(t.path()));
}

#[test]
fn the_fault_store_without_faults_passes_the_conformance_suite() {
    let t = tempfile::tempdir().unwrap();
    let b = sqlite_backend(t.path());
    let d = t.path().to_owned();
    conformance(&Backend {
        writer: Box::new(move || {
            Box::new(FaultyLog::new(sqlite(&d), vec![], Arc::new(Calls::default())))
        }),
        reader: b.reader,
    });
}

#[test]
fn postgres_passes_the_conformance_suite() {
    let Some(db) = tenderlog_tests::pg::database("the PostgreSQL conformance suite") else {
        return;
    };
    let signer = suite_signer();
    let empty = signer.sign(&Checkpoint::new(ORIGIN, 0, EMPTY_ROOT).to_text()).unwrap();
    ledger::postgres::create(&db.url, ORIGIN, &signer.verifier().vkey(), None, &empty, 1_000)
        .unwrap();
    let (wu, ru) = (db.url.clone(), db.url.clone());
    conformance(&Backend {
        writer: Box::new(move || Box::new(ledger::postgres::PgLog::open(&wu).unwrap())),
        reader: Box::new(move || {
            Box::new(
                ledger::storage::LogSource::reader(&ledger::postgres::PgSource::new(&ru)).unwrap(),
            )
        }),
    });
}

/// Where a run of the matrix keeps its log: a data directory, and the
/// PostgreSQL database holding its log when there is one.
struct Place {
    dir: tempfile::TempDir,
    db: Option<tenderlog_tests::pg::TestDb>,
}

impl Place {
    fn sqlite() -> Place {
        Place { dir: new_store(), db: None }
    }

    /// A new log copied into a database of its own (keys stay in the
    /// directory); `None` when there is no PostgreSQL server.
    fn postgres(name: &str) -> Option<Place> {
        let db = tenderlog_tests::pg::database(name)?;
        let dir = new_store();
        ledger::migrate::migrate(
            &ledger::migrate::Place::Dir(dir.path().to_owned()),
            &ledger::migrate::Place::Postgres(db.url.clone()),
            &mut |_, _| {},
        )
        .unwrap();
        Some(Place { dir, db: Some(db) })
    }

    fn location(&self) -> ledger::Location {
        ledger::Location::new(self.dir.path(), self.db.as_ref().map(|d| d.url.as_str()))
    }

    fn audit(&self) -> ledger::Result<ledger::AuditReport> {
        match &self.db {
            None => ledger::audit(self.dir.path(), &mut |_, _| {}),
            Some(db) => ledger::postgres::audit(&db.url, ledger::AuditScope::Full, &mut |_, _| {}),
        }
    }
}

/// One run of the matrix: a writer whose `faults` strike once each,
/// appending batches and heartbeats until it stops; then the checks.
fn run_with_faults(place: &Place, faults: &[Fault]) {
    let fault = faults.to_vec();
    let at = place.location();
    let clock = Arc::new(ManualClock::new(10_000));
    let calls = Arc::new(Calls::default());
    let mut acked: Vec<(u64, Hash)> = Vec::new();
    let mut checkpoints: Vec<SignedCheckpoint> = Vec::new();
    let mut stopped = None;
    let mut next = 0u64;
    let c = calls.clone();
    match Ledger::open_with(&at, clock.clone(), move |log| Box::new(FaultyLog::new(log, fault, c)))
    {
        Err(e) => stopped = Some(e.to_string()),
        Ok(mut ledger) => {
            for round in 0..6u64 {
                clock.set(10_000 + round * 1_000);
                let batch: Vec<Content> = (next..next + 3).map(content).collect();
                next += 3;
                match ledger.append(batch) {
                    Ok(out) => {
                        for r in &out.results {
                            let a = r.as_ref().unwrap();
                            acked.push((a.index, a.leaf_hash));
                        }
                        checkpoints.push(out.checkpoint);
                    }
                    Err(e) if e.is_fatal() => {
                        stopped = Some(e.to_string());
                        break;
                    }
                    Err(_) => {}
                }
                match ledger.heartbeat() {
                    Ok(_) => {}
                    Err(e) if e.is_fatal() => {
                        stopped = Some(e.to_string());
                        break;
                    }
                    Err(_) => {}
                }
            }
        }
    }
    let case = format!("{faults:?} (stopped: {stopped:?})");
    let struck = calls.injected.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(struck, faults.len() as u64, "{case}: not every fault struck");
    let second = calls.second_roots.lock().unwrap().clone();
    assert!(second.is_empty(), "{case}: a second root was signed for sizes {second:?}");

    // A reopen succeeds, continues from the stored head, and the whole log
    // passes a full audit.
    let mut ledger =
        Ledger::open_at(&at, clock.clone()).unwrap_or_else(|e| panic!("{case}: reopen: {e}"));
    let more = ledger.append(vec![content(1_000)]).unwrap();
    assert!(more.results[0].is_ok(), "{case}");
    drop(ledger);
    place.audit().unwrap_or_else(|e| panic!("{case}: audit: {e}"));

    // No acknowledged entry is lost, and every acknowledged checkpoint is
    // the one stored for its size: no second root was stored for a size.
    let store = Store::open_at(&at).unwrap();
    for (index, lh) in &acked {
        assert_eq!(store.leaf_hash(*index).unwrap(), *lh, "{case}: entry {index}");
    }
    let key = store.verifier().clone();
    for cp in &checkpoints {
        SignedCheckpoint::verify(cp.note.as_bytes(), &key).unwrap();
        let size = cp.checkpoint.size;
        assert_eq!(store.root_at(size).unwrap(), cp.checkpoint.root, "{case}: size {size}");
        assert_eq!(store.checkpoint_at(size).unwrap().as_deref(), Some(cp.note.as_str()), "{case}");
    }
    // A writer that did not stop lost at most the batches a fault struck.
    if stopped.is_none() {
        assert!(acked.len() >= 3 * (6 - faults.len()), "{case}: acknowledged {}", acked.len());
    }
}

#[test]
fn every_storage_fault_leaves_a_log_that_goes_on_or_stops_cleanly() {
    fault_matrix(&mut || Some(Place::sqlite()));
}

#[test]
fn every_storage_fault_on_postgres_leaves_a_log_that_goes_on_or_stops_cleanly() {
    if tenderlog_tests::pg::database("the PostgreSQL fault matrix").is_none() {
        return;
    }
    fault_matrix(&mut || Place::postgres("the PostgreSQL fault matrix"));
}

/// Every fault of the matrix, each in a new log from `place`.
fn fault_matrix(place: &mut dyn FnMut() -> Option<Place>) {
    use tenderlog_tests::faults::Step;
    let mut run = |faults: &[Fault]| run_with_faults(&place().unwrap(), faults);
    for step in STEPS {
        for when in [When::Before, When::After] {
            // The head is read once at open, and again only after a failed
            // commit (below); commits and heartbeats at several points.
            let calls = if step == Step::Head { 0..1 } else { 0..3 };
            for nth in calls {
                run(&[Fault { step, nth, when }]);
            }
        }
    }
    // A commit fails (before or after it lands), and so does the check of
    // the stored head that must come before anything else is signed.
    for when in [When::Before, When::After] {
        for head_when in [When::Before, When::After] {
            run(&[
                Fault { step: Step::Commit, nth: 1, when },
                Fault { step: Step::Head, nth: 1, when: head_when },
            ]);
        }
    }
}

/// A batch is sequenced while the one before it commits; when that commit
/// fails, the batch sequenced on it is withdrawn (it never reaches the
/// store), the writer's state goes back to the last commit, and the log
/// goes on from there: the failed batch's contents are new again (not
/// duplicates of entries never written), they take the failed batch's
/// indexes, every tender chain links to its real head, and the audit
/// passes. A commit that landed although it reported failure stops the
/// writer at its next batch; a reopen goes on from the stored head.
fn a_failed_commit_withdraws_the_batch_sequenced_on_it(place: &Place, when: When) {
    use tenderlog_tests::faults::Step;
    let at = place.location();
    let clock = Arc::new(ManualClock::new(10_000));
    let calls = Arc::new(Calls::default());
    let fault = vec![Fault { step: Step::Commit, nth: 1, when }];
    let c = calls.clone();
    let mut ledger =
        Ledger::open_with(&at, clock.clone(), move |log| Box::new(FaultyLog::new(log, fault, c)))
            .unwrap();
    let batch = |r: std::ops::Range<u64>| r.map(content).collect::<Vec<_>>();
    ledger.append(batch(0..3)).unwrap();
    ledger.sequence(batch(3..6)).unwrap();
    ledger.start().unwrap();
    // Sequenced on the second while it commits: new entries after it, and
    // a duplicate of its first content, answered with its entry.
    let mut third = batch(6..9);
    third.push(content(3));
    ledger.sequence(third).unwrap();
    assert!(ledger.finish().unwrap().is_err(), "the second batch's commit was to fail");
    assert!(matches!(ledger.start(), Err(LedgerError::BatchWithdrawn)));
    assert!(ledger.finish().is_none());
    assert_eq!(ledger.size(), 3);
    match when {
        When::Before => {
            let again = ledger.append(batch(3..9)).unwrap();
            for (k, r) in again.results.iter().enumerate() {
                let a = r.as_ref().unwrap();
                assert!(!a.duplicate, "content {} was never written", 3 + k);
                assert_eq!(a.index, 3 + k as u64);
            }
            assert_eq!(again.checkpoint.checkpoint.size, 9);
        }
        When::After => {
            let e = ledger.append(batch(9..10)).unwrap_err();
            assert!(matches!(e, LedgerError::HeadMoved { expected: 3, found: 6 }), "{e}");
        }
    }
    drop(ledger);
    let mut ledger = Ledger::open_at(&at, clock).unwrap();
    let size = ledger.size();
    let more = ledger.append(batch(20..22)).unwrap();
    assert_eq!(more.results[0].as_ref().unwrap().index, size);
    drop(ledger);
    place.audit().unwrap();
    assert!(calls.second_roots.lock().unwrap().is_empty());
}

#[test]
fn a_failed_commit_withdraws_the_batch_sequenced_on_it_and_the_log_goes_on() {
    for when in [When::Before, When::After] {
        a_failed_commit_withdraws_the_batch_sequenced_on_it(&Place::sqlite(), when);
    }
}

#[test]
fn a_failed_commit_on_postgres_withdraws_the_batch_sequenced_on_it() {
    for when in [When::Before, When::After] {
        let Some(place) = Place::postgres("the pipelined fault test") else { return };
        a_failed_commit_withdraws_the_batch_sequenced_on_it(&place, when);
    }
}
