//! `tenderlog migrate`: a data directory's log copied into PostgreSQL and
//! back, with every leaf, tile row and signed checkpoint as it was; the
//! audit passes on each copy with the same root; an interrupted copy
//! continues; a grown source adds only what is new; a destination holding
//! another log, or one that diverged, is refused. Needs the throwaway
//! cluster of `.ci/postgres` (`tenderlog_tests::pg`).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{doc_line, err, init, out, run};
use ledger::storage::{LogReader, LogSource};
use serde_json::Value;

fn append(d: &str, from: u64, to: u64) {
    let lines: String = (from..to).map(|i| doc_line(i, &format!("T-{}", i % 5)) + "\n").collect();
    let o = run(&["append", "--data", d, "--batch", "64"], &lines);
    assert!(o.status.success(), "append: {}", err(&o));
}

fn json(args: &[&str]) -> Value {
    let o = run(args, "");
    assert!(o.status.success(), "{args:?}: {}{}", out(&o), err(&o));
    serde_json::from_str(out(&o).trim()).unwrap()
}

/// A signed checkpoint as stored: size, root, note, signed time.
type Stored = (u64, String, String, Option<u64>);

/// Everything a reader sees: checkpoints, leaves, and every tile row of the
/// newest tree.
#[derive(Debug, PartialEq)]
struct Contents {
    checkpoints: Vec<Stored>,
    leaves: Vec<Vec<u8>>,
    tiles: Vec<Vec<u8>>,
}

fn contents(r: &mut dyn LogReader) -> Contents {
    let size = r.latest().unwrap().size;
    let mut cps = Vec::new();
    r.checkpoints(0, size, &mut |s, root, note| {
        cps.push((s, root.to_hex(), note.to_owned(), None));
        Ok(())
    })
    .unwrap();
    for cp in &mut cps {
        cp.3 = r.signed_ms(cp.0).unwrap();
    }
    let mut leaves = Vec::new();
    r.leaves(0, size, &mut |_, l| {
        leaves.push(l.to_vec());
        Ok(())
    })
    .unwrap();
    let mut tiles = Vec::new();
    for level in 0..64 {
        let nodes = size >> level;
        if nodes == 0 {
            break;
        }
        for t in 0..nodes.div_ceil(256) {
            tiles.push(r.tile(level, t).unwrap().unwrap());
        }
    }
    Contents { checkpoints: cps, leaves, tiles }
}

fn sqlite(dir: &Path) -> Box<dyn LogReader> {
    Box::new(ledger::sqlite::audit::SqliteSource::new(dir).reader().unwrap())
}

fn pg(url: &str) -> Box<dyn LogReader> {
    Box::new(ledger::postgres::PgSource::new(url).reader().unwrap())
}

#[test]
fn a_log_moves_to_postgres_and_back_unchanged() {
    let Some(db) = tenderlog_tests::pg::database("the migration test") else { return };
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("log");
    let d = data.to_str().unwrap();
    init(&data, "migrate.tenderlog.example/log");
    // Several batches (many checkpoints), three tile levels' worth of rows.
    append(d, 0, 700);
    let local = json(&["audit", "--data", d, "--json"]);

    let r = json(&["migrate", "--from", d, "--to", &db.url, "--json"]);
    assert_eq!((r["size"].as_u64(), r["leaves_copied"].as_u64()), (Some(700), Some(700)), "{r}");
    let audit = json(&["audit", "--store", &db.url, "--json"]);
    assert_eq!(audit["report"]["root"], local["report"]["root"], "{audit}");
    assert_eq!(audit["report"]["entries"], 700);
    assert_eq!(audit["report"]["checkpoints"], local["report"]["checkpoints"]);
    let source = contents(sqlite(&data).as_mut());
    assert!(source.checkpoints.len() > 10, "several checkpoints");
    assert_eq!(contents(pg(&db.url).as_mut()), source, "every checkpoint, leaf and tile row");

    // Interrupted: the head, the leaves from 300 and the checkpoints above
    // 200 never arrived. Run again: it continues.
    let mut c = db.client();
    c.batch_execute(
        "DELETE FROM head; DELETE FROM leaves WHERE idx >= 300; DELETE FROM checkpoints WHERE size > 200;",
    )
    .unwrap();
    let r = json(&["migrate", "--from", d, "--to", &db.url, "--json"]);
    assert_eq!(r["leaves_copied"], 400, "{r}");
    assert_eq!(contents(pg(&db.url).as_mut()), source);
    // The source grows: only the new leaves are copied.
    append(d, 700, 900);
    let r = json(&["migrate", "--from", d, "--to", &db.url, "--json"]);
    assert_eq!((r["size"].as_u64(), r["leaves_copied"].as_u64()), (Some(900), Some(200)), "{r}");
    let grown = contents(sqlite(&data).as_mut());
    assert_eq!(contents(pg(&db.url).as_mut()), grown);
    assert_eq!(json(&["audit", "--store", &db.url, "--json"])["report"]["entries"], 900);

    // And back, into a new data directory: the same again, and its audit passes.
    let back = t.path().join("back");
    let r = json(&["migrate", "--from", &db.url, "--to", back.to_str().unwrap(), "--json"]);
    assert_eq!(r["size"], 900);
    assert_eq!(contents(sqlite(&back).as_mut()), grown);
    let audit = json(&["audit", "--data", back.to_str().unwrap(), "--json"]);
    assert_eq!(audit["report"]["root"], json(&["audit", "--data", d, "--json"])["report"]["root"]);

    // Another log into the same database: refused.
    let other = t.path().join("other");
    init(&other, "other.tenderlog.example/log");
    let o = run(&["migrate", "--from", other.to_str().unwrap(), "--to", &db.url], "");
    assert!(!o.status.success());
    assert!(err(&o).contains("holds another log"), "{}", err(&o));
    // A copy whose checkpoint is not the source's (written to since): refused.
    c.execute(
        "UPDATE checkpoints SET root = decode(repeat('00', 32), 'hex')
         WHERE size = (SELECT MAX(size) FROM checkpoints)",
        &[],
    )
    .unwrap();
    let o = run(&["migrate", "--from", d, "--to", &db.url], "");
    assert!(!o.status.success());
    assert!(err(&o).contains("diverged"), "{}", err(&o));
    // An empty database is no log to audit.
    let Some(empty) = tenderlog_tests::pg::database("the migration test") else { return };
    let o = run(&["audit", "--store", &empty.url], "");
    assert!(!o.status.success());
    assert!(err(&o).contains("holds no tenderlog log"), "{}", err(&o));
}
