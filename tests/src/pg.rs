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

impl TestDb {
    /// A connection to it.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
