//! Helpers shared by the CLI tests: run the built `tenderlog` binary.
#![allow(dead_code, clippy::unwrap_used)]

pub(crate) mod frontends;
pub(crate) mod witnesses;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// The `tenderlog` binary under test.
pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tenderlog"))
}

/// Runs `tenderlog ARGS` with `stdin` and returns its output.
pub(crate) fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The child may stop reading early (at a bad line); that is its answer, not ours.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

/// Stdout as text.
pub(crate) fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub(crate) fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `tenderlog init` in `dir`; returns the vkey line.
/// A new log with no rules in force (`--rules none`): the tests file
/// unsigned documents (`cli::init_puts_the_shipped_rules_in_force` tests the
/// default).
pub(crate) fn init(dir: &Path, origin: &str) -> String {
    let o =
        run(&["init", "--data", dir.to_str().unwrap(), "--origin", origin, "--rules", "none"], "");
    assert!(o.status.success(), "init failed: {}", err(&o));
    out(&o).trim().to_owned()
}

/// One document submission as a JSON line, distinct per `i`.
pub(crate) fn doc_line(i: u64, tender: &str) -> String {
    format!(
        r#"{{"kind":"document","tender":"{tender}","principal":"agency-{}","body":{{"document_type":"bid","sha256":"{:064x}","size":{},"media_type":"application/pdf"}}}}"#,
        i % 7,
        i + 1,
        1000 + i
    )
}

/// Starts `tenderlog serve --data DATA` on a free port with `extra`
/// arguments; returns the child and its base URL (http or https) once it
/// listens.
pub(crate) fn serve(data: &str, extra: &[&str]) -> (Child, String) {
    let mut child = bin()
        .args(["serve", "--data", data, "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("TENDERLOG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = listening_url(&mut child);
    (child, url)
}

/// Reads a starting server's stderr up to its `on http(s)://ADDR` line and
/// returns that URL; keeps draining the rest so it never blocks on a full
/// pipe, passing each line on to the test's own output (shown when it
/// fails).
pub(crate) fn listening_url(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let url = loop {
        let Some(line) = lines.next() else {
            panic!("server exited before listening:\n{}", said.join("\n"));
        };
        let line = line.unwrap();
        said.push(line.clone());
        // `on http://ADDR`, or `on https://ADDR` with --tls-cert.
        if let Some((scheme, rest)) = ["http", "https"]
            .iter()
            .find_map(|s| line.split(&format!("on {s}://")).nth(1).map(|r| (s, r)))
        {
            break format!("{scheme}://{}", rest.trim());
        }
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("[server] {line}");
        }
    });
    url
}

/// Serves `dir` with Python's static file server (an independent HTTP
/// server, as a CDN would be); returns it once it answers, and its URL.
pub(crate) fn static_server(dir: &Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 is needed for this test (the independent static server)");
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the static server never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, url)
}

/// A child process killed (and reaped) when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
