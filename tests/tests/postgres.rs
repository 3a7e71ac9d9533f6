//! The PostgreSQL backend beyond the conformance suite: exactly one of two
//! writers racing on one head commits (the fence a deposed sequencer meets),
//! and a database that is not a log of this schema version is refused.
//! Each test has a database of its own (`tenderlog_tests::pg`).
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Barrier};

use ledger::LedgerError;
use ledger::postgres::{PgLog, PgSource};
use ledger::storage::{Batch, LogReader, LogSource, LogWriter, TreeHead};
use verifier::checkpoint::Checkpoint;
use verifier::merkle::CompactRange;
use verifier::note::NoteSigner;
use verifier::{EMPTY_ROOT, leaf_hash};

const ORIGIN: &str = "pg.tenderlog.example/log";

fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, ed25519_dalek::SigningKey::from_bytes(&[6; 32])).unwrap()
}

fn new_log(db: &tenderlog_tests::pg::TestDb) {
    let s = signer();
    let empty = s.sign(&Checkpoint::new(ORIGIN, 0, EMPTY_ROOT).to_text()).unwrap();
    ledger::postgres::create(&db.url, ORIGIN, &s.verifier().vkey(), None, &empty, 1).unwrap();
}

/// One signed batch of `n` leaves tagged `tag` on top of `frontier`.
struct Made {
    leaves: Vec<(u64, Vec<u8>)>,
    nodes: Vec<(u32, u64, verifier::Hash)>,
    head: TreeHead,
    note: String,
    frontier: CompactRange,
}

fn make(frontier: &CompactRange, n: u64, tag: u8) -> Made {
    let mut frontier = frontier.clone();
    let (mut leaves, mut nodes) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let index = frontier.size();
        let leaf = vec![tag, index as u8, (index >> 8) as u8];
        frontier.push(leaf_hash(&leaf), |l, i, h| nodes.push((l, i, *h)));
        leaves.push((index, leaf));
    }
    let head = TreeHead { size: frontier.size(), root: frontier.root() };
    let note = signer().sign(&Checkpoint::new(ORIGIN, head.size, head.root).to_text()).unwrap();
    Made { leaves, nodes, head, note, frontier }
}

fn commit(w: &mut PgLog, expected: &TreeHead, m: &Made) -> ledger::Result<()> {
    w.commit(
        expected,
        &Batch { leaves: &m.leaves, nodes: &m.nodes, head: m.head, note: &m.note, signed_ms: 1 },
    )
}

/// Two writers (two sequencers that each believe they hold the lock) commit
/// different batches on the same head at the same moment, 40 times: each
/// time exactly one lands, the other is told the head moved and wrote
/// nothing — no index is used twice, no size gets a second root.
#[test]
fn of_two_writers_racing_on_one_head_exactly_one_commits() {
    let Some(db) = tenderlog_tests::pg::database("the writer race") else { return };
    new_log(&db);
    let mut frontier = CompactRange::default();
    let mut head = TreeHead { size: 0, root: EMPTY_ROOT };
    let mut writers = [PgLog::open(&db.url).unwrap(), PgLog::open(&db.url).unwrap()];
    let mut wins = [0u32; 2];
    for round in 0..40u8 {
        let batches = [make(&frontier, 1 + u64::from(round % 3), 1), make(&frontier, 2, 2)];
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<ledger::Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = writers
                .iter_mut()
                .zip(&batches)
                .map(|(w, m)| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        barrier.wait();
                        commit(w, &head, m)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won: Vec<usize> = (0..2).filter(|k| results[*k].is_ok()).collect();
        assert_eq!(won.len(), 1, "round {round}: {results:?}");
        let (w, l) = (won[0], 1 - won[0]);
        assert!(
            matches!(results[l], Err(LedgerError::HeadMoved { .. })),
            "round {round}: {:?}",
            results[l]
        );
        wins[w] += 1;
        head = batches[w].head;
        frontier = batches[w].frontier.clone();
        for writer in &mut writers {
            assert_eq!(writer.head().unwrap(), head);
        }
    }
    // Every stored leaf is a winner's, once; every checkpoint the winner's.
    let mut r = PgSource::new(&db.url).reader().unwrap();
    assert_eq!(r.latest().unwrap(), head);
    let mut n = 0u64;
    r.leaves(0, head.size + 10, &mut |i, _| {
        assert_eq!(i, n);
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, head.size, "no leaf beyond the head, none missing");
    let mut sizes = Vec::new();
    r.checkpoints(0, u64::MAX, &mut |size, _, _| {
        sizes.push(size);
        Ok(())
    })
    .unwrap();
    assert_eq!(sizes.len(), 41, "one checkpoint per round and the empty one: {sizes:?}");
    eprintln!("rounds won by each writer: {wins:?}");
}

/// A database with no log, a log of another schema version, and a second
/// log in one database are refused, each with a message that says so; the
/// tables are made idempotently.
#[test]
fn a_database_that_is_not_this_log_is_refused() {
    let Some(db) = tenderlog_tests::pg::database("the schema checks") else { return };
    let e = PgLog::open(&db.url).unwrap_err().to_string();
    assert!(e.contains("holds no tenderlog log"), "{e}");
    new_log(&db);
    let s = signer();
    let empty = s.sign(&Checkpoint::new(ORIGIN, 0, EMPTY_ROOT).to_text()).unwrap();
    let e = ledger::postgres::create(&db.url, ORIGIN, &s.verifier().vkey(), None, &empty, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("already holds a tenderlog log"), "{e}");
    PgLog::open(&db.url).unwrap();
    db.client().execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", &[]).unwrap();
    let e = PgLog::open(&db.url).unwrap_err();
    assert!(matches!(e, LedgerError::StoreVersion { .. }), "{e}");
    assert!(PgSource::new(&db.url).reader().is_err());
}

/// A new log (keys in a directory) moved into `db`, and a copy of its
/// directory: the data directory of a second front-end.
fn log_with_two_front_ends(
    db: &tenderlog_tests::pg::TestDb,
) -> (tempfile::TempDir, ledger::Location, ledger::Location) {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    ledger::init(&a, ORIGIN, &ledger::ManualClock::new(1_000)).unwrap();
    ledger::migrate::migrate(
        &ledger::migrate::Place::Dir(a.clone()),
        &ledger::migrate::Place::Postgres(db.url.clone()),
        &mut |_, _| {},
    )
    .unwrap();
    let cp = std::process::Command::new("cp").arg("-a").arg(&a).arg(&b).status().unwrap();
    assert!(cp.success());
    let at = |dir: &std::path::Path| ledger::Location::new(dir, Some(&db.url));
    (t, at(&a), at(&b))
}

fn doc(i: u64) -> verifier::event::Content {
    verifier::event::Content {
        tender: "T-deposed".into(),
        principal: "agency".into(),
        body: verifier::event::Body::Schedule(verifier::event::Schedule::new(
            (1 << 40) + i,
            (1 << 40) + i,
        )),
    }
}

/// The sequencer lock elects one sequencer: a second ledger on the same
/// database is refused while the first holds it. When the first loses the
/// lock (its connection is ended, as a partition or a restarted server
/// would) while it still runs, a second takes over and commits; the deposed
/// one's next batches fail, and nothing forks: the stored head is the new
/// sequencer's, and the audit passes.
#[test]
fn a_deposed_sequencer_cannot_commit() {
    let Some(db) = tenderlog_tests::pg::database("the deposed-sequencer test") else { return };
    let (_t, a, b) = log_with_two_front_ends(&db);
    let clock = Arc::new(ledger::ManualClock::new(10_000));
    let mut first = ledger::Ledger::open_at(&a, clock.clone()).unwrap();
    first.append(vec![doc(0), doc(1)]).unwrap();
    match ledger::Ledger::open_at(&b, clock.clone()) {
        Err(LedgerError::SequencerElsewhere) => {}
        other => panic!("a second sequencer opened beside the first: {other:?}"),
    }

    // The first loses its lock while it still runs.
    db.end_lock_connection();
    let mut second = ledger::Ledger::open_at(&b, clock.clone()).unwrap();
    let taken = second.append(vec![doc(2)]).unwrap();
    assert_eq!(taken.checkpoint.checkpoint.size, 3);

    // The deposed one's batches fail, however many it tries.
    for i in 0..3 {
        let refused = first.append(vec![doc(10 + i)]);
        assert!(
            refused.is_err(),
            "the deposed sequencer committed: {:?}",
            refused.map(|o| o.checkpoint)
        );
    }
    drop(first);
    second.append(vec![doc(3)]).unwrap();
    drop(second);
    let store = ledger::Store::open_at(&a).unwrap();
    assert_eq!(store.tree_size().unwrap(), 4, "only the sequencers' own entries");
    let report =
        ledger::postgres::audit(&db.url, ledger::AuditScope::Full, &mut |_, _| {}).unwrap();
    assert_eq!(report.entries, 4);
}

/// The fence is the lock, not only the head: a sequencer that lost its
/// lock to another process commits nothing even while the stored head is
/// still the one it expects (the other has not committed yet) — its batch
/// fails with "another process is the sequencer", which stops it. One that
/// lost its lock to nobody (its connection ended, no one took the lock)
/// takes it again and commits.
#[test]
fn a_sequencer_that_lost_its_lock_commits_nothing() {
    let Some(db) = tenderlog_tests::pg::database("the lost-lock test") else { return };
    let (_t, a, _b) = log_with_two_front_ends(&db);
    let clock = Arc::new(ledger::ManualClock::new(10_000));
    let mut first = ledger::Ledger::open_at(&a, clock.clone()).unwrap();
    first.append(vec![doc(0)]).unwrap();

    // Lost to nobody: taken again, and the batch commits.
    db.end_lock_connection();
    let again = first.append(vec![doc(1)]).unwrap();
    assert_eq!(again.checkpoint.checkpoint.size, 2);

    // Lost to another process, which holds it and has committed nothing.
    db.end_lock_connection();
    let mut other = db.client();
    let key = tenderlog_tests::pg::SEQUENCER_LOCK;
    let got: bool = other.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).unwrap().get(0);
    assert!(got, "the lock was free once its connection ended");
    match first.append(vec![doc(2)]) {
        Err(e @ LedgerError::SequencerElsewhere) => assert!(e.is_fatal()),
        other => panic!("a sequencer without its lock committed: {other:?}"),
    }
    drop(first);
    let store = ledger::Store::open_at(&a).unwrap();
    assert_eq!(store.tree_size().unwrap(), 2, "nothing committed without the lock");
}

/// The checkpoints' tokens and cosigned checkpoints live in the database
/// every front-end shares: what one front-end's stamper or witness client
/// keeps, another's readers see at once (through their own connection), a
/// second row for a size leaves the first, and the data directory gets no
/// side file.
#[test]
fn stamps_and_cosigned_checkpoints_are_shared_by_every_front_end() {
    let Some(db) = tenderlog_tests::pg::database("the shared side tables") else { return };
    new_log(&db);
    let t = tempfile::tempdir().unwrap();
    let at = ledger::Location::new(t.path(), Some(&db.url));
    let (stamps, cosigned) = (at.stamps().unwrap(), at.cosigned().unwrap());
    let elsewhere = ledger::Store::open_at(&at).unwrap();
    assert_eq!(elsewhere.first_stamp_covering(0).unwrap(), None);
    assert_eq!(elsewhere.newest_cosigned().unwrap(), None);

    let stamp = |n: u8| ledger::stamper::Stamp {
        token: vec![n; 3],
        tsa: format!("tsa{n}"),
        gen_ms: n as u64,
    };
    stamps.insert(4, &stamp(4)).unwrap();
    stamps.insert(9, &stamp(9)).unwrap();
    stamps.insert(4, &stamp(5)).unwrap();
    cosigned.insert(6, "six\n", 60).unwrap();
    cosigned.insert(12, "twelve\n", 120).unwrap();
    cosigned.insert(6, "another six\n", 61).unwrap();

    assert_eq!(elsewhere.first_stamp_covering(0).unwrap(), Some((4, stamp(4))), "the first stays");
    assert_eq!(elsewhere.first_stamp_covering(4).unwrap(), Some((9, stamp(9))));
    assert_eq!(elsewhere.first_stamp_covering(9).unwrap(), None);
    let table = elsewhere.stamps().unwrap().unwrap();
    assert_eq!(table.latest_size().unwrap(), Some(9));
    assert_eq!(
        elsewhere.newest_cosigned().unwrap().map(|c| (c.size, c.note)),
        Some((12, "twelve\n".into()))
    );
    let first = elsewhere.first_cosigned_from(1).unwrap().unwrap();
    assert_eq!((first.size, first.note.as_str(), first.cosigned_ms), (6, "six\n", 60));
    assert_eq!(elsewhere.first_cosigned_from(7).unwrap().map(|c| c.size), Some(12));
    assert_eq!(elsewhere.first_cosigned_from(13).unwrap(), None);
    for file in ["timestamps.db", "cosigned.db"] {
        assert!(!t.path().join(file).exists(), "{file} was made beside a log in PostgreSQL");
    }
}

/// The audit of a log in PostgreSQL checks what the audit of a data
/// directory does beyond the tree: each lookup table equals what the leaves
/// imply, and no leaf, checkpoint or tile row lies beyond the tree. Each
/// change made by hand below is found, by the check named for it, and the
/// audit passes again once it is undone.
#[test]
fn the_audit_of_a_log_in_postgresql_finds_each_changed_table() {
    use verifier::check::CheckName;
    let Some(db) = tenderlog_tests::pg::database("the audit of the lookup tables") else { return };
    let (_t, a, _b) = log_with_two_front_ends(&db);
    let clock = Arc::new(ledger::ManualClock::new(10_000));
    let mut ledger = ledger::Ledger::open_at(&a, clock).unwrap();
    ledger.append((0..20).map(doc).collect()).unwrap();
    drop(ledger);
    let store = ledger::Store::open_at(&a).unwrap();
    let started = std::time::Instant::now();
    while store.indexed_upto().unwrap() < 20 {
        assert!(started.elapsed().as_secs() < 30, "the lookup tables never caught up");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let audit = || ledger::postgres::audit(&db.url, ledger::AuditScope::Full, &mut |_, _| {});
    let report = audit().unwrap();
    assert_eq!((report.entries, report.indexed), (20, 20));

    let mut admin = db.client();
    let changes: [(&str, &str, CheckName); 7] = [
        (
            "DELETE FROM contents WHERE idx = 5",
            "INSERT INTO contents SELECT prefix, idx FROM contents_kept",
            CheckName::IndexContents,
        ),
        (
            "UPDATE tender_events SET seq = seq + 100 WHERE idx = 3",
            "UPDATE tender_events SET seq = seq - 100 WHERE idx = 3",
            CheckName::IndexTenderEvents,
        ),
        (
            "UPDATE leaf_hashes SET prefix = prefix + 1 WHERE idx = 7",
            "UPDATE leaf_hashes SET prefix = prefix - 1 WHERE idx = 7",
            CheckName::IndexLeafHashes,
        ),
        (
            "INSERT INTO documents (prefix, idx) VALUES (42, 25)",
            "DELETE FROM documents WHERE idx = 25",
            CheckName::IndexDocuments,
        ),
        (
            "INSERT INTO leaves (idx, leaf) VALUES (20, '\\x00')",
            "DELETE FROM leaves WHERE idx = 20",
            CheckName::LeafSequence,
        ),
        (
            // A row at no size of the log (no pass reads it): only the count finds it.
            "INSERT INTO checkpoints (size, root, note, signed_ms)
             SELECT -1, root, note, signed_ms FROM checkpoints WHERE size = 20",
            "DELETE FROM checkpoints WHERE size = -1",
            CheckName::CheckpointRoot,
        ),
        (
            "UPDATE tiles SET hashes = hashes || '\\x00000000000000000000000000000000000000000000000000000000000000ff'::BYTEA WHERE id = 0",
            "UPDATE tiles SET hashes = substring(hashes FROM 1 FOR length(hashes) - 32) WHERE id = 0",
            CheckName::TileExtent,
        ),
    ];
    admin
        .batch_execute("CREATE TABLE contents_kept AS SELECT * FROM contents WHERE idx = 5")
        .unwrap();
    for (change, undo, check) in changes {
        admin.batch_execute(change).unwrap();
        match audit() {
            Err(LedgerError::AuditFailed { check: found, .. }) if found == check => {}
            other => panic!("after {change:?} the audit gave {other:?}, not {check:?}"),
        }
        admin.batch_execute(undo).unwrap();
        audit().unwrap_or_else(|e| panic!("after undoing {change:?}: {e}"));
    }
}
