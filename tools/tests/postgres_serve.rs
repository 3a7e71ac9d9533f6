//! The ledger on PostgreSQL, end to end: `tenderlog serve --store` runs the
//! sequencer, reads and lookups there, while submitters keep posting; the
//! front-end is killed (SIGKILL) at random moments, and PostgreSQL itself
//! is stopped at once (`pg_ctl stop -m immediate`, as a power cut) under
//! load and started again. After each, every receipt the server returned
//! names an entry still in the log, at the same index with the same leaf
//! hash; at the end every receipt verifies against the final checkpoint, no
//! index is used twice, and the audit of the database passes.
//!
//! Needs the test cluster of `.ci/postgres`; it stops and starts that
//! cluster, so this file holds one test.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::frontends::{
    Receipt, check_served, load, log_in_postgres, no_index_twice, serve, stop, verify_against_final,
};
use common::{err, run};

#[test]
fn the_log_on_postgresql_survives_killed_front_ends_and_a_database_crash() {
    let Some(db) = tenderlog_tests::pg::database("the PostgreSQL crash test") else { return };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    let token = log_in_postgres(&dir, &db.url);
    let data = dir.to_str().unwrap().to_owned();

    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("postgres crash test seed {seed}");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let receipts: Arc<Mutex<Vec<Receipt>>> = Arc::default();
    let rounds = 4u64;
    for round in 0..rounds {
        let (mut child, url) = serve(&data, &db.url);
        let acked = receipts.lock().unwrap().clone();
        rt.block_on(check_served(&url, &acked, &format!("round {round}")));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let first = round * 1_000_000;
        let load_task = rt.spawn(load(url, token.clone(), 8, first, receipts.clone(), stop_rx));
        std::thread::sleep(Duration::from_millis(300 + (seed.rotate_left(round as u32 * 9) % 700)));
        if round == rounds - 1 {
            // The database stops as in a power cut, under load; the server
            // stays up, fails what it cannot commit, and goes on once the
            // database is back.
            let before = receipts.lock().unwrap().len();
            tenderlog_tests::pg::stop_immediately();
            std::thread::sleep(Duration::from_millis(500));
            tenderlog_tests::pg::start();
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while receipts.lock().unwrap().len() < before + 50 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no receipts after PostgreSQL came back (had {before})"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            stop_tx.send(true).unwrap();
            rt.block_on(load_task).unwrap();
            stop(child, "the server after the database crash");
        } else {
            child.kill().unwrap(); // SIGKILL, under load
            child.wait().unwrap();
            stop_tx.send(true).unwrap();
            rt.block_on(load_task).unwrap();
        }
        eprintln!("round {round}: {} receipts so far", receipts.lock().unwrap().len());
    }
    let acked = receipts.lock().unwrap().clone();
    assert!(acked.len() > 100, "only {} submissions were acknowledged", acked.len());
    no_index_twice(&acked);

    // A last start: everything is there, and every receipt verifies against
    // the final checkpoint.
    let (child, url) = serve(&data, &db.url);
    rt.block_on(check_served(&url, &acked, "after the crashes"));
    rt.block_on(verify_against_final(&url, &dir, &acked));
    stop(child, "the last server");
    let o = run(&["audit", "--store", &db.url], "");
    assert!(o.status.success(), "audit after the crashes: {}", err(&o));
}
