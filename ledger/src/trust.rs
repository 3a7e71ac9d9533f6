//! The platform's trust anchors: CA root certificates (DER) in
//! `DIR/trust/ca/`, one file per root named by its SHA-256 fingerprint.
//! Several CA providers may sit side by side (the seed's platform accepts
//! two). The writer loads them on open; a running server needs a restart
//! to see a new root.

use std::path::{Path, PathBuf};

use verifier::Hash;
use verifier::pki::{Cert, TrustStore};

use crate::error::{LedgerError, Result};

/// The folder of CA roots inside a data directory.
pub fn ca_dir(dir: &Path) -> PathBuf {
    dir.join("trust").join("ca")
}

/// Loads the CA roots of `dir` (none when the folder is absent).
pub fn load(dir: &Path) -> Result<TrustStore> {
    let folder = ca_dir(dir);
    let mut roots = Vec::new();
    if folder.is_dir() {
        let io =
            |source| LedgerError::Io { action: "read trust folder", path: folder.clone(), source };
        let mut entries: Vec<_> =
            std::fs::read_dir(&folder).map_err(io)?.collect::<std::io::Result<_>>().map_err(io)?;
        entries.sort_by_key(std::fs::DirEntry::path);
        for e in entries {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "der") {
                continue;
            }
            let der = std::fs::read(&path).map_err(|source| LedgerError::Io {
                action: "read CA root",
                path: path.clone(),
                source,
            })?;
            let cert = Cert::from_der(&der).map_err(|e| LedgerError::Key {
                path: path.clone(),
                reason: format!("not a CA root certificate: {e}"),
            })?;
            roots.push(cert);
        }
    }
    TrustStore::new(roots).map_err(|e| LedgerError::Key { path: folder, reason: e.to_string() })
}

/// Adds a CA root (DER, self-signed, a CA); returns its fingerprint.
pub fn add_ca(dir: &Path, der: &[u8]) -> Result<Hash> {
    let cert = Cert::from_der(der).map_err(|e| LedgerError::Key {
        path: ca_dir(dir),
        reason: format!("not a certificate: {e}"),
    })?;
    if !cert.is_ca() {
        return Err(LedgerError::Key {
            path: ca_dir(dir),
            reason: format!("{} is not a CA", cert.subject()),
        });
    }
    TrustStore::new(vec![cert.clone()])
        .map_err(|e| LedgerError::Key { path: ca_dir(dir), reason: e.to_string() })?;
    let folder = ca_dir(dir);
    std::fs::create_dir_all(&folder).map_err(|source| LedgerError::Io {
        action: "create trust folder",
        path: folder.clone(),
        source,
    })?;
    let fp = cert.fingerprint();
    let path = folder.join(format!("{fp}.der"));
    std::fs::write(&path, der).map_err(|source| LedgerError::Io {
        action: "write CA root",
        path,
        source,
    })?;
    Ok(fp)
}
