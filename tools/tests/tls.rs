//! HTTPS: `serve --tls-cert --tls-key` with a certificate made by the
//! `openssl` CLI, checked by independent clients — `curl` fetches the
//! checkpoint and submits an event against the CA file, `openssl s_client`
//! completes a verified TLS 1.3 handshake — while plain HTTP to the same
//! port gets no answer, and a key that does not fit the certificate stops
//! the server at start with a message naming the file.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};

use common::{err, init, out, run};

/// Runs a tool, or skips (fails under `TENDERLOG_REQUIRE_FIXTURES`) when it is missing.
fn tool(name: &str) -> bool {
    let found = Command::new(name).arg("--version").output().is_ok()
        || Command::new(name).arg("version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("TENDERLOG_REQUIRE_FIXTURES").is_none(),
            "{name} is required (TENDERLOG_REQUIRE_FIXTURES is set)"
        );
        tenderlog_tests::skipped(&format!("{name} is not installed"));
    }
    found
}

fn openssl(args: &[&str]) {
    let o = Command::new("openssl").args(args).output().unwrap();
    assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn https_with_curl_and_openssl_s_client() {
    if !tool("openssl") || !tool("curl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let p = |n: &str| t.path().join(n).to_str().unwrap().to_owned();
    // A CA and a server certificate for 127.0.0.1 and localhost.
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=tenderlog test CA",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &p("server.key"),
        "-out",
        &p("server.csr"),
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(p("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-out",
        &p("server.pem"),
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
    ]);

    let data = t.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    init(&data, "tls.tenderlog.example/log");
    let o = run(&["token", "create", "--data", &d, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = out(&o).trim().to_owned();

    // A key that does not fit: refused at start, naming the file.
    tenderlog_tests::fixtures::p256_key(t.path(), "other.key");
    let tls =
        |key: &str| ["--tls-cert".to_owned(), p("server.pem"), "--tls-key".to_owned(), p(key)];
    let bad = tls("other.key");
    let mut args = vec!["serve", "--data", &d, "--listen", "127.0.0.1:0"];
    args.extend(bad.iter().map(String::as_str));
    let o = run(&args, "");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("other.key"), "{}", err(&o));

    let good = tls("server.key");
    let (mut server, url) = common::serve(&d, &good.iter().map(String::as_str).collect::<Vec<_>>());
    let addr = url.strip_prefix("https://").expect("served over https").to_owned();

    let curl = |args: &[&str]| {
        Command::new("curl").args(["-sS", "--cacert", &p("ca.pem")]).args(args).output().unwrap()
    };
    let o = curl(&[&format!("{url}/v1/checkpoint")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("tls.tenderlog.example/log\n"));
    let body = r#"{"kind":"document","tender":"ZB2026-TLS","body":{"document_type":"tender_notice","sha256":"1111111111111111111111111111111111111111111111111111111111111111","size":1,"media_type":"application/pdf"}}"#;
    let o = curl(&[
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        body,
        &format!("{url}/v1/events"),
    ]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "201", "{}", String::from_utf8_lossy(&o.stderr));
    // Without the CA, curl refuses the certificate.
    let o = Command::new("curl").args(["-sS", &format!("{url}/v1/checkpoint")]).output().unwrap();
    assert!(!o.status.success());

    // openssl s_client: a verified handshake, TLS 1.3.
    let mut s = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr,
            "-servername",
            "localhost",
            "-CAfile",
            &p("ca.pem"),
            "-verify_return_error",
            "-brief",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    s.stdin.take().unwrap().write_all(b"").unwrap();
    let o = s.wait_with_output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("TLSv1.3"), "{text}");
    assert!(text.contains("Verification: OK") || text.contains("Verify return code: 0"), "{text}");

    // Plain HTTP to the TLS port: no HTTP answer.
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    tcp.write_all(b"GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = tcp.read_to_end(&mut buf);
    assert!(!buf.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf));

    server.kill().unwrap();
    server.wait().unwrap();
}
