//! The restore drill: `tenderlog backup` while the server takes
//! submissions; the backup audits clean, holds the same checkpoints as the
//! log it was taken from, keeps its keys private, and, served, continues the
//! log where the backup stands, with the tokens it had.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{err, init, out, run};

/// A document submission for the token's own principal.
fn line(i: u64, tender: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&common::doc_line(i, tender)).unwrap();
    v.as_object_mut().unwrap().remove("principal");
    v.to_string()
}

#[test]
fn a_backup_taken_while_serving_restores_and_continues() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    init(&data, "backup.tenderlog.example/log");
    let o = run(&["token", "create", "--data", &d, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = out(&o).trim().to_owned();

    let (mut server, base) = common::serve(&d, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, base, token) = (stop.clone(), base.clone(), token.clone());
        std::thread::spawn(move || {
            let http = reqwest::blocking::Client::new();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let r = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(line(i, "ZB2026-BACKUP"))
                    .send()
                    .unwrap();
                assert_eq!(r.status(), 201, "{:?}", r.text());
                i += 1;
            }
            i
        })
    };
    // Two backups while submissions go on.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut backups = Vec::new();
    for k in 0..2 {
        let b = t.path().join(format!("backup-{k}"));
        let o = run(&["backup", "--data", &d, "--to", b.to_str().unwrap(), "--json"], "");
        assert!(o.status.success(), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        assert!(v["tree_size"].as_u64().unwrap() > 0, "{v}");
        backups.push((
            b,
            v["tree_size"].as_u64().unwrap(),
            v["checkpoint"].as_str().unwrap().to_owned(),
        ));
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    stop.store(true, Ordering::SeqCst);
    let sent = writer.join().unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(sent > 0);

    // Into a folder that holds something: refused.
    let o = run(&["backup", "--data", &d, "--to", backups[0].0.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("not empty"), "{}", err(&o));

    let original = ledger::Store::open(&data).unwrap();
    for (b, size, note) in &backups {
        // The same checkpoint as the log signed at that size.
        assert_eq!(original.checkpoint_at(*size).unwrap().as_deref(), Some(note.as_str()));
        let o = run(&["audit", "--data", b.to_str().unwrap()], "");
        assert!(o.status.success(), "audit of the backup: {}{}", out(&o), err(&o));
        #[cfg(unix)]
        for key in ["log.key", "log-mldsa44.key", "commit.key", "tsa/tsa.key"] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(b.join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        assert!(!b.join("index.db").exists(), "the index is rebuilt, not copied");
    }

    // Restore the first backup: it serves, takes the old token, and
    // continues the log from where the backup stands.
    let (b, size, _) = &backups[0];
    let (mut restored, base) = common::serve(b.to_str().unwrap(), &[]);
    let r = reqwest::blocking::Client::new()
        .post(format!("{base}/v1/events"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(line(1_000_000, "ZB2026-RESTORED"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt: serde_json::Value = r.json().unwrap();
    assert_eq!(receipt["index"].as_u64(), Some(*size), "{receipt}");
    restored.kill().unwrap();
    restored.wait().unwrap();
    let o = run(&["audit", "--data", b.to_str().unwrap()], "");
    assert!(o.status.success(), "audit after the restore: {}{}", out(&o), err(&o));
}
