//! Online copies of the data directory's databases: `VACUUM INTO` from a
//! read transaction, so the copy is one consistent snapshot taken while the
//! writer goes on (WAL readers never block it, nor it them).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{LedgerError, Result};

/// Copies the SQLite database at `src` to the new file `dst`, as of one
/// snapshot. `dst` must not exist.
pub(crate) fn copy_database(src: &Path, dst: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let to = dst.to_str().ok_or_else(|| {
        LedgerError::Corrupt(format!("backup path {} is not UTF-8", dst.display()))
    })?;
    conn.execute("VACUUM INTO ?1", [to])?;
    Ok(())
}
