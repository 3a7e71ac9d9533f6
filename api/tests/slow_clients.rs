//! Clients that hold connections open cannot stop the server: a silent
//! connection, headers sent a byte at a time, and a body that never
//! finishes are each cut off after their timeout; with every connection
//! slot held by silent clients, a real request is still answered once they
//! are cut off. (Waits are bounded so a regression fails instead of
//! hanging; no assertion is about speed.)
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_secs(1);
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
const SLOTS: usize = 4;

async fn server(dir: &std::path::Path) -> (api::Running, tokio::sync::oneshot::Sender<()>) {
    start(dir, |config| {
        config.header_timeout = HEADER_TIMEOUT;
        config.body_timeout = BODY_TIMEOUT;
        config.max_connections = SLOTS;
        // All the test's clients share 127.0.0.1: its share is every slot.
        config.max_connections_per_address = SLOTS;
    })
    .await
}

/// Starts a server on `dir` (initialised here) on a free port, with `set`
/// applied to its configuration; the sender stops it.
async fn start(
    dir: &std::path::Path,
    set: impl FnOnce(&mut api::ServerConfig),
) -> (api::Running, tokio::sync::oneshot::Sender<()>) {
    if !ledger::store::db_path(dir).exists() {
        ledger::init(dir, "slow.tenderlog.example/log", &ledger::SystemClock).unwrap();
    }
    let mut config = api::ServerConfig::new(dir.to_owned());
    config.listen = "127.0.0.1:0".parse().unwrap();
    set(&mut config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = api::start(config, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    (running, stop)
}

/// Reads until the server closes the connection; what it sent. Fails if it
/// is still open after 20 s.
async fn until_closed(conn: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 1024];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the server kept the connection open");
    got
}

async fn healthz(addr: std::net::SocketAddr) -> String {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    String::from_utf8_lossy(&until_closed(&mut c).await).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_the_server_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "slow.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let token = api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let (running, stop) = server(dir.path()).await;
    let addr = running.addr;

    // Silent: connects and sends nothing.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    assert!(until_closed(&mut silent).await.is_empty() || started.elapsed() >= HEADER_TIMEOUT);

    // Slow headers: one byte every 200 ms never completes a request.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let request = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut = false;
    for b in request {
        if slow.write_all(&[*b]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut probe = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut = true;
            break;
        }
    }
    assert!(cut, "a request sent a byte every 200 ms was served to the end");

    // A body that never finishes, from an authenticated submitter: 408.
    let mut body = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"kind\""
    );
    body.write_all(head.as_bytes()).await.unwrap();
    let answer = String::from_utf8_lossy(&until_closed(&mut body).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"body_timeout""#), "{answer}");

    // Every slot held by a silent client: a real request waits for a slot,
    // and is answered once the silent ones are cut off.
    let mut holders = Vec::new();
    for _ in 0..SLOTS {
        holders.push(TcpStream::connect(addr).await.unwrap());
    }
    let answer = tokio::time::timeout(Duration::from_secs(30), healthz(addr)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(holders);

    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}

/// One address cannot take every slot: beyond its share a connection gets
/// 429 `too_many_connections` (problem+json) and is closed; once it closes
/// some, it is served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hold_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (running, stop) = start(dir.path(), |config| {
        config.max_connections = 16;
        config.max_connections_per_address = 2;
    })
    .await;
    let addr = running.addr;
    let holders =
        [TcpStream::connect(addr).await.unwrap(), TcpStream::connect(addr).await.unwrap()];
    // Let the server account for both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = healthz(addr).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains(r#""code":"too_many_connections""#), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    drop(holders);
    let answer = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let a = healthz(addr).await;
            if !a.starts_with("HTTP/1.1 429") {
                break a;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let _ = stop.send(());
    running.task.await.unwrap().unwrap();
}

/// With every slot held by clients that never send a request, a new
/// connection does not wait for them to time out: the one that has waited
/// longest is closed to make room. (The header timeout here is a minute
/// and the client waits at most 20 s: only eviction answers in time.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_house_of_silent_clients_makes_room_for_a_real_one() {
    let dir = tempfile::tempdir().unwrap();
    let (running, stop) = start(dir.path(), |config| {
        config.header_timeout = Duration::from_secs(60);
        config.max_connections = SLOTS;
        config.max_connections_per_address = SLOTS * 4;
    })
    .await;
    let addr = running.addr;
    let mut silent = Vec::new();
    for _ in 0..SLOTS {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = tokio::time::timeout(Duration::from_secs(20), healthz(addr))
        .await
        .expect("the real request waited for the silent ones");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The oldest silent connection was the one closed.
    let closed = tokio::time::timeout(Duration::from_secs(5), until_closed(&mut silent[0])).await;
    assert!(closed.is_ok(), "the oldest silent connection is still open");
    let _ = stop.send(());
    drop(silent);
    running.task.await.unwrap().unwrap();
}
