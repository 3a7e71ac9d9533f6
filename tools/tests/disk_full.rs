//! A full disk under HTTP load: the data directory sits on a small tmpfs
//! with a ballast file; clients post until the disk is full. While full,
//! submissions get 503 `unavailable` naming the full disk (never 500, and
//! tokens still authenticate) and reads go on; once the ballast is deleted
//! the same server takes submissions again, without a restart. No
//! acknowledged entry is lost, SIGTERM stops the server cleanly and the
//! audit passes.
//!
//! Needs root (to mount the tmpfs); skipped with a note otherwise, and
//! required under `TENDERLOG_REQUIRE_FIXTURES`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{err, init, run};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn new(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_owned()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn body(i: u64) -> String {
    serde_json::json!({"kind": "document", "tender": format!("FULL-{}", i % 4), "body": {
        "document_type": "tender_notice", "sha256": format!("{i:064x}"), "size": 1,
        "media_type": "application/pdf", "title": "x".repeat(1000)}})
    .to_string()
}

#[test]
fn a_full_disk_refuses_clearly_loses_nothing_and_recovers_without_a_restart() {
    let t = tempfile::tempdir().unwrap();
    let Some(mount) = Mount::new(&t.path().join("mnt"), "16m") else {
        assert!(
            std::env::var_os("TENDERLOG_REQUIRE_FIXTURES").is_none(),
            "mounting a tmpfs failed (run as root)"
        );
        tenderlog_tests::skipped("cannot mount a tmpfs for the disk-full test (not root?)");
        return;
    };
    let data = mount.0.join("data");
    let d = data.to_str().unwrap().to_owned();
    init(&data, "full.tenderlog.example/log");
    let o = run(&["token", "create", "--data", &d, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    let ballast = mount.0.join("ballast");
    std::fs::write(&ballast, vec![0u8; 3 << 20]).unwrap();

    let (mut server, url) = common::serve(&d, &[]);
    let http =
        reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let post = |i: u64| {
        let r = http
            .post(format!("{url}/v1/events"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body(i))
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().unwrap_or_default())
    };

    // Post until the disk is full.
    let mut acked = Vec::new();
    let mut i = 0u64;
    let full = loop {
        let (status, v) = post(i);
        i += 1;
        match status {
            201 => acked
                .push((v["index"].as_u64().unwrap(), v["leaf_hash"].as_str().unwrap().to_owned())),
            _ => break (status, v),
        }
        assert!(i < 200_000, "the disk never filled");
    };
    assert_eq!(full.0, 503, "a full disk is 503, not {}: {}", full.0, full.1);
    assert_eq!(full.1["code"], "unavailable", "{}", full.1);
    assert!(full.1["detail"].as_str().unwrap().contains("disk is full"), "{}", full.1);
    // Still full: the same answer; reads go on.
    assert_eq!(post(i).0, 503);
    let r = http.get(format!("{url}/v1/checkpoint")).send().unwrap();
    assert_eq!(r.status(), 200);

    // Free space: the same server takes submissions again.
    std::fs::remove_file(&ballast).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, v) = post(i);
        i += 1;
        if status == 201 {
            acked.push((v["index"].as_u64().unwrap(), v["leaf_hash"].as_str().unwrap().to_owned()));
            break;
        }
        assert!(Instant::now() < deadline, "no recovery after space was freed: {status} {v}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Nothing acknowledged was lost.
    for (index, hash) in &acked {
        let e: serde_json::Value =
            http.get(format!("{url}/v1/entries/{index}")).send().unwrap().json().unwrap();
        assert_eq!(e["leaf_hash"].as_str(), Some(hash.as_str()), "entry {index}");
    }
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(server.wait().unwrap().success(), "SIGTERM did not stop the server cleanly");
    let o = run(&["audit", "--data", &d], "");
    assert!(o.status.success(), "audit after the full disk: {}", err(&o));
    eprintln!(
        "disk full after {} acknowledged entries; recovered without a restart",
        acked.len() - 1
    );
}
