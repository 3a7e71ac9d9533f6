//! The RFC 3161 client against an independent TSA: OpenSSL's `ts -reply`
//! behind HTTP on 127.0.0.1 (`application/timestamp-query` in,
//! `application/timestamp-reply` out). Tokens for arbitrary digests and for
//! every checkpoint verify — with our code and with `openssl ts -verify` —
//! and are refused when the TSA is not trusted or does not answer; a dead
//! first URL falls back to the next.
#![allow(clippy::unwrap_used)]

use ledger::storage::StampTable as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ledger::SystemClock;
use ledger::stamper::{Stamper, Stamps, checkpoint_body, stamp_checkpoints};
use ledger::tsa::ImprintAlg;
use sha2::{Digest as _, Sha256};
use tenderlog_tests::fixtures::{Fixtures, have_openssl, openssl};

/// Serves OpenSSL's TSA `stem` of `fx` over HTTP; returns its URL.
async fn openssl_tsa(dir: PathBuf, stem: &'static str) -> String {
    let lock = Arc::new(Mutex::new(0u32));
    let app = axum::Router::new().route(
        "/tsa",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (dir, lock) = (dir.clone(), lock.clone());
            async move {
                tokio::task::spawn_blocking(move || {
                    // One at a time: the serial file is shared.
                    let mut n = lock.lock().unwrap();
                    *n += 1;
                    let (q, r) = (format!("q{n}.tsq"), format!("r{n}.tsr"));
                    std::fs::write(dir.join(&q), &body).unwrap();
                    std::fs::write(dir.join("serial"), format!("{:02x}\n", *n)).unwrap();
                    let (cnf, key, pem) =
                        (format!("{stem}.cnf"), format!("{stem}.key"), format!("{stem}.pem"));
                    openssl(
                        &dir,
                        &[
                            "ts",
                            "-reply",
                            "-config",
                            &cnf,
                            "-section",
                            "tsa_config",
                            "-queryfile",
                            &q,
                            "-inkey",
                            &key,
                            "-signer",
                            &pem,
                            "-out",
                            &r,
                        ],
                    );
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/timestamp-reply")],
                        std::fs::read(dir.join(&r)).unwrap(),
                    )
                })
                .await
                .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/tsa")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_digests_are_stamped_by_an_openssl_tsa_over_http() {
    if !have_openssl() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let fx = Fixtures::new(&t.path().join("fx"));
    let root = fx.tsa("http-tsa", "critical,timeStamping");
    let url = openssl_tsa(fx.dir.clone(), "http-tsa").await;
    let data = t.path().join("data");
    let fx_dir = fx.dir.clone();

    let url2 = url.clone();
    tokio::task::spawn_blocking(move || {
        ledger::init(&data, "tsa-test.example/log", &SystemClock).unwrap();
        // Not trusted yet: the token is refused, not kept.
        let s = Stamper::open(&data, std::slice::from_ref(&url2)).unwrap().unwrap();
        let err = s.stamp(&[1; 32], ImprintAlg::Sha256, 0).unwrap_err().to_string();
        assert!(err.contains("does not verify"), "{err}");
        ledger::trust::add_tsa(&data, &root.der).unwrap();

        // A dead URL first: the next one answers.
        let urls = vec!["http://127.0.0.1:9/tsa".to_owned(), url2.clone()];
        let s = Stamper::open(&data, &urls).unwrap().unwrap();
        for alg in [ImprintAlg::Sha256, ImprintAlg::Sm3] {
            let stamp = s.stamp(&[7; 32], alg, 0).unwrap();
            assert_eq!(stamp.tsa, url2);
            assert!(stamp.gen_ms > 1_700_000_000_000);
        }
        // Nobody answers.
        let dead = Stamper::open(&data, &["http://127.0.0.1:9/tsa".to_owned()]).unwrap().unwrap();
        let err = dead.stamp(&[7; 32], ImprintAlg::Sha256, 0).unwrap_err().to_string();
        assert!(err.contains("no TSA answered"), "{err}");
        // Only http:// URLs.
        assert!(Stamper::open(&data, &["ftp://x".to_owned()]).is_err());

        // Some checkpoints, then one stamping round: each gets its token.
        let mut l = ledger::Ledger::open(&data, Arc::new(SystemClock)).unwrap();
        for i in 0..3 {
            let line = format!(
                r#"{{"kind":"schedule","tender":"T-{i}","body":{{"bid_deadline_ms":1,"opening_ms":2}}}}"#
            );
            let c = verifier::event::Submission::from_json(line.as_bytes())
                .unwrap()
                .into_content(Some("agency"))
                .unwrap();
            l.append(vec![c]).unwrap();
        }
        drop(l);
        let stamps = Stamps::open(&data).unwrap();
        let store = ledger::Store::open(&data).unwrap();
        let n = stamp_checkpoints(&store, &s, &stamps, || 0).unwrap();
        assert_eq!(n, 3, "sizes 1, 2 and 3 (the empty tree is not stamped)");
        assert_eq!(stamp_checkpoints(&store, &s, &stamps, || 0).unwrap(), 0, "all done");
        let note = store.checkpoint_at(3).unwrap().unwrap();
        let stamp = stamps.get(3).unwrap().unwrap();
        let digest: [u8; 32] = Sha256::digest(checkpoint_body(&note).as_bytes()).into();
        let trust = ledger::trust::load_tsa(&data).unwrap();
        verifier::tsp::verify_token(&stamp.token, &digest, &trust).unwrap();
        // OpenSSL agrees.
        std::fs::write(fx_dir.join("cp3.tst"), &stamp.token).unwrap();
        let root_pem = "http-tsa-root.pem";
        openssl(
            &fx_dir,
            &[
                "ts", "-verify", "-digest", &hex::encode(digest), "-token_in", "-in", "cp3.tst",
                "-CAfile", root_pem, "-untrusted", "http-tsa.pem",
            ],
        );
    })
    .await
    .unwrap();
}
