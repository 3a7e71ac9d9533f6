//! The platform's trust anchors: CA root certificates (DER) in
//! `DIR/trust/ca/` and TSA roots in `DIR/trust/tsa/`, one file per root named
//! by its SHA-256 fingerprint. Several CA providers may sit side by side (the
//! seed's platform accepts two). The writer loads them on open; a running
//! server needs a restart to see a new root.

use std::path::{Path, PathBuf};

use verifier::Hash;
use verifier::pki::{Cert, TrustStore};

use crate::error::{LedgerError, Result};

/// The folder of CA roots inside a data directory.
pub fn ca_dir(dir: &Path) -> PathBuf {
    dir.join("trust").join("ca")
}

/// The folder of TSA roots inside a data directory.
pub fn tsa_dir(dir: &Path) -> PathBuf {
    dir.join("trust").join("tsa")
}

/// Loads the CA roots of `dir` (none when the folder is absent).
pub fn load(dir: &Path) -> Result<TrustStore> {
    load_folder(ca_dir(dir))
}

/// Loads the TSA roots of `dir` (none when the folder is absent).
pub fn load_tsa(dir: &Path) -> Result<TrustStore> {
    load_folder(tsa_dir(dir))
}

/// The DER of every root in a trust folder, in file-name order.
pub fn root_ders(folder: &Path) -> Result<Vec<Vec<u8>>> {
    Ok(load_folder(folder.to_owned())?.roots().iter().map(|c| c.der().to_vec()).collect())
}

fn load_folder(folder: PathBuf) -> Result<TrustStore> {
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
    add_root(&ca_dir(dir), der)
}

/// Adds a TSA root (DER, self-signed, a CA); returns its fingerprint.
pub fn add_tsa(dir: &Path, der: &[u8]) -> Result<Hash> {
    add_root(&tsa_dir(dir), der)
}

fn add_root(folder: &Path, der: &[u8]) -> Result<Hash> {
    let cert = Cert::from_der(der).map_err(|e| LedgerError::Key {
        path: folder.to_owned(),
        reason: format!("not a certificate: {e}"),
    })?;
    if !cert.is_ca() {
        return Err(LedgerError::Key {
            path: folder.to_owned(),
            reason: format!("{} is not a CA", cert.subject()),
        });
    }
    TrustStore::new(vec![cert.clone()])
        .map_err(|e| LedgerError::Key { path: folder.to_owned(), reason: e.to_string() })?;
    let folder = folder.to_owned();
    std::fs::create_dir_all(&folder).map_err(|source| LedgerError::Io {
        action: "create trust folder",
        path: folder.clone(),
        source,
    })?;
    let fp = cert.fingerprint();
    let path = folder.join(format!("{fp}.der"));
    std::fs::write(&path, der).map_err(|source| LedgerError::Io {
        action: "write root",
        path,
        source,
    })?;
    Ok(fp)
}

/// What a bundle's trust policy proposes beside the log's keys: the CA
/// and TSA roots (DER in standard base64, in file-name order) and the
/// witnesses whose cosignatures its newest checkpoint should carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proposed {
    /// CA roots, for signature checks.
    pub ca_roots: Vec<String>,
    /// TSA roots, for timestamp checks.
    pub tsa_roots: Vec<String>,
    /// The witnesses' verifier keys.
    pub witness_keys: Vec<String>,
    /// How many of them must have cosigned (0: none proposed).
    pub witness_quorum: u32,
}

impl Proposed {
    /// Also proposes the operator's witness policy, when it can be put as
    /// "any k of these keys" (see `WitnessPolicy::as_any_of`); a policy of
    /// nested groups is left for the verifier's user to give.
    pub fn with_witnesses(mut self, policy: &verifier::witness_policy::WitnessPolicy) -> Proposed {
        if let Some((keys, k)) = policy.as_any_of() {
            self.witness_keys = keys;
            self.witness_quorum = k;
        }
        self
    }
}

/// The trusted roots of `dir` as a bundle proposes them (no witnesses: add
/// the operator's policy with [`Proposed::with_witnesses`]).
pub fn bundle_roots(dir: &Path) -> Result<Proposed> {
    use base64::Engine as _;
    let b64 = |ders: Vec<Vec<u8>>| {
        ders.iter().map(|d| base64::engine::general_purpose::STANDARD.encode(d)).collect()
    };
    Ok(Proposed {
        ca_roots: b64(root_ders(&ca_dir(dir))?),
        tsa_roots: b64(root_ders(&tsa_dir(dir))?),
        ..Proposed::default()
    })
}
