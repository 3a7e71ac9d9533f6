//! A database of its own for each PostgreSQL test, in the cluster that
//! `.ci/postgres` starts (its address in `TENDERLOG_TEST_POSTGRES`).
//! Without it a test says it skipped — unless `TENDERLOG_REQUIRE_FIXTURES`
//! is set (CI), when it fails.

use std::sync::atomic::{AtomicU64, Ordering};

/// A new, empty database, dropped with the value.
#[derive(Debug)]
pub struct TestDb {
    /// Its connection settings.
    pub url: String,
    admin: String,
    name: String,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A new database for `test`, or `None` (said) when there is no server.
pub fn database(test: &str) -> Option<TestDb> {
    let Ok(admin) = std::env::var("TENDERLOG_TEST_POSTGRES") else {
        crate::tool_missing(&format!(
            "{test} needs PostgreSQL: apt-get install postgresql, then `. .ci/postgres`"
        ));
        return None;
    };
    let name = format!(
        "tenderlog_t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("couldn't reach the test server ({admin}): {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    // Later settings win: the same server and user, this database.
    Some(TestDb { url: format!("{admin} dbname={name}"), admin, name })
}

/// The log's sequencer lock key, as `pg_try_advisory_lock` takes it.
pub use ledger::postgres::SEQUENCER_LOCK;

impl TestDb {
    /// A connection to it.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Ends the connection holding the sequencer lock of the log in it (a
    /// partition or a restarted server would), as an administrator; there
    /// must be exactly one.
    pub fn end_lock_connection(&self) {
        let ended = self
            .client()
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_locks
                 WHERE locktype = 'advisory' AND granted AND database =
                       (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ended.len(), 1, "one sequencer lock was held");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// Runs the test cluster's `pg_ctl` with `args` (as the `postgres` user
/// when root, as `.ci/postgres` started it).
fn pg_ctl(args: &[&str]) -> std::process::ExitStatus {
    let (Ok(pg_ctl), Ok(data)) =
        (std::env::var("TENDERLOG_TEST_PG_CTL"), std::env::var("TENDERLOG_TEST_PG_DATA"))
    else {
        panic!(
            "TENDERLOG_TEST_PG_CTL and TENDERLOG_TEST_PG_DATA are not set: start the cluster with `. .ci/postgres`"
        )
    };
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--", &pg_ctl]);
        c
    } else {
        std::process::Command::new(&pg_ctl)
    };
    cmd.args(["-D", &data]).args(args);
    cmd.stdout(std::process::Stdio::null());
    cmd.status().unwrap_or_else(|e| panic!("{pg_ctl}: {e}"))
}

/// Stops the test cluster at once, as a power cut would (`pg_ctl stop -m
/// immediate`: no shutdown checkpoint; the restart replays the WAL).
pub fn stop_immediately() {
    assert!(pg_ctl(&["stop", "-m", "immediate", "-w"]).success(), "pg_ctl stop -m immediate");
}

/// Starts the test cluster again, on the socket and port it had.
pub fn start() {
    let admin = std::env::var("TENDERLOG_TEST_POSTGRES").unwrap_or_default();
    let setting = |key: &str| {
        admin
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_default()
            .to_owned()
    };
    let options = format!(
        "-k {} -p {} -c listen_addresses= -c max_connections=200",
        setting("host"),
        setting("port")
    );
    let data = std::env::var("TENDERLOG_TEST_PG_DATA").unwrap_or_default();
    let log = std::path::Path::new(&data).with_file_name("server.log");
    let log = log.to_string_lossy();
    assert!(pg_ctl(&["start", "-w", "-l", &log, "-o", &options]).success(), "pg_ctl start");
}
