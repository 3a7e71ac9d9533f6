//! Helpers of the tests with witnesses: a real `tenderlog witness serve`,
//! and waiting for a log's cosigned checkpoint.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use verifier::cosignature::CosignerKey;

/// Starts `tenderlog witness serve` for `dir`; returns it and its URL.
pub(crate) fn witness_process(dir: &std::path::Path) -> (std::process::Child, String) {
    let mut child = super::bin()
        .args(["witness", "serve", "--dir", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("TENDERLOG_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = super::listening_url(&mut child);
    (child, url)
}

/// `tenderlog witness init`; returns the ML-DSA-44 vkey it printed.
pub(crate) fn make_witness(dir: &std::path::Path, name: &str, log_vkey: &str) -> String {
    let o = super::run(&["witness", "init", "--dir", dir.to_str().unwrap(), "--name", name], "");
    assert!(o.status.success(), "{}", super::err(&o));
    let keys = super::out(&o);
    assert_eq!(keys.lines().count(), 2, "{keys}");
    std::fs::write(dir.join("logs"), format!("log {log_vkey}\n")).unwrap();
    let pq = keys.lines().nth(1).unwrap().to_owned();
    assert_eq!(
        CosignerKey::parse(&pq).unwrap().algorithm(),
        verifier::cosignature::Algorithm::MlDsa44
    );
    pq
}

/// Waits (20 s at most) until the log at `url` shows a cosigned checkpoint
/// of at least `size`; returns its `/v1/witnesses`.
pub(crate) fn wait_cosigned(url: &str, size: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let v: serde_json::Value =
            reqwest::blocking::get(format!("{url}/v1/witnesses")).unwrap().json().unwrap();
        if v["cosigned_size"].as_u64().is_some_and(|s| s >= size) {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "never cosigned {size}: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
