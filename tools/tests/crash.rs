//! Durability under SIGKILL: `tenderlog append` is killed at random moments
//! while it ingests a steady stream; after every kill the audit passes and
//! every receipt it had printed names an entry still in the log, at the same
//! index with the same leaf hash.
//!
//! `TENDERLOG_CRASH_ROUNDS` sets the number of kills (default 20).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{bin, doc_line, err, init, run};
use verifier::Hash;

#[test]
fn sigkill_under_load_loses_no_acknowledged_entry() {
    let rounds: u64 =
        std::env::var("TENDERLOG_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "crash.example/log");
    let data = dir.to_str().unwrap().to_owned();

    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = seed | 1;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };

    let acked: Arc<Mutex<Vec<(u64, Hash)>>> = Arc::default();
    let mut line_no = 0u64;
    let mut total_killed_with_acks = 0;
    for round in 0..rounds {
        let mut child = bin()
            .args(["append", "--data", &data, "--batch", &(1 + next(512)).to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let start = line_no;
        // Feed a steady stream until the pipe breaks (the child died).
        let feeder = std::thread::spawn(move || {
            let mut i = start;
            loop {
                let mut chunk = String::new();
                for _ in 0..64 {
                    chunk.push_str(&doc_line(i, &format!("T-{}", i % 17)));
                    chunk.push('\n');
                    i += 1;
                }
                if stdin.write_all(chunk.as_bytes()).is_err() {
                    return i;
                }
            }
        });
        let stdout = child.stdout.take().unwrap();
        let sink = acked.clone();
        let reader = std::thread::spawn(move || {
            let mut n = 0;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Only whole lines count as acknowledged.
                let v: serde_json::Value = match serde_json::from_str(&line) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                let h = Hash::from_hex(v["leaf_hash"].as_str().unwrap()).unwrap();
                sink.lock().unwrap().push((v["index"].as_u64().unwrap(), h));
                n += 1;
            }
            n
        });
        std::thread::sleep(Duration::from_millis(20 + next(400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        line_no = feeder.join().unwrap();
        let n = reader.join().unwrap();
        if n > 0 {
            total_killed_with_acks += 1;
        }

        let o = run(&["audit", "--data", &data], "");
        assert!(o.status.success(), "round {round}: audit failed after SIGKILL: {}", err(&o));
        let store = ledger::Store::open(&dir).unwrap();
        let size = store.tree_size().unwrap();
        for (index, hash) in acked.lock().unwrap().iter() {
            assert!(*index < size, "round {round}: acknowledged entry {index} lost (size {size})");
            let leaf = store.leaf(*index).unwrap();
            assert_eq!(verifier::leaf_hash(&leaf), *hash, "round {round}: entry {index} changed");
        }
        eprintln!("round {round}: {n} receipts this round, log size {size}");
    }
    assert!(total_killed_with_acks > 0, "no round acknowledged anything; the test proved nothing");
    assert!(!acked.lock().unwrap().is_empty());
}
