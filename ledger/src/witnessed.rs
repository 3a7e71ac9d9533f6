//! The log's side of witnessing, as kept in its data directory:
//!
//! * `cosigned.db` ([`CosignedCheckpoints`]; for a log in PostgreSQL, the
//!   table `cosigned_checkpoints` every front-end shares) — every checkpoint whose
//!   cosignatures met the operator's witness policy, by size: the newest is
//!   what `/checkpoint` serves and bundles are proved against; the first
//!   one covering an entry is what its certificate and page name.
//! * `witnessed.json` ([`Witnessed`]) — the size each witness last
//!   cosigned, so a restart sends the right `old` size at once instead of
//!   learning it from a 409.
//!
//! `witnessed.json` is written whole to a temporary file, synced, renamed over the old one and
//! the directory synced: a crash leaves the old state or the new, never a
//! mix. Losing it loses nothing a witness cannot tell again (its 409 names
//! its size) and a cosigned checkpoint the next round makes again.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{LedgerError, Result};
pub use crate::sqlite::cosigned::{COSIGNED_SCHEMA_VERSION, CosignedCheckpoints, cosigned_path};
use crate::storage::Cosigned;

/// The file, in the data directory.
pub const FILE: &str = "witnessed.json";
/// Its format.
pub const FORMAT_V1: &str = "tenderlog-witnessed/v1";

/// What the log keeps about its witnesses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnessed {
    /// [`FORMAT_V1`].
    pub format: String,
    /// Per witness (its name in the policy), the size it last cosigned.
    pub sizes: BTreeMap<String, u64>,
    /// The newest checkpoint that met the quorum, as builds before
    /// `cosigned.db` kept it (read by [`newest`] and [`first_from`]; no
    /// longer written).
    pub cosigned: Option<String>,
}

impl Witnessed {
    /// The state in `dir`; empty when there is none yet.
    pub fn load(dir: &Path) -> Result<Witnessed> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let w: Witnessed = serde_json::from_slice(&bytes)
                    .map_err(|e| LedgerError::Corrupt(format!("{}: {e}", path.display())))?;
                if w.format != FORMAT_V1 {
                    return Err(LedgerError::Corrupt(format!(
                        "{}: format {:?}, this build reads {FORMAT_V1}",
                        path.display(),
                        w.format
                    )));
                }
                Ok(w)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Witnessed { format: FORMAT_V1.into(), ..Witnessed::default() })
            }
            Err(source) => Err(LedgerError::Io { action: "read", path, source }),
        }
    }

    /// Replaces the state in `dir`, durably.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        let io = |action, p: &Path| {
            let p = p.to_owned();
            move |source| LedgerError::Io { action, path: p, source }
        };
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        let mut f = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(&bytes).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("install", &path))?;
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync", dir))?;
        Ok(())
    }
}

/// The newer of `kept` (from the cosigned table) and the one an older
/// build kept in `dir`'s `witnessed.json`.
pub fn with_legacy_newest(kept: Option<Cosigned>, dir: &Path) -> Result<Option<Cosigned>> {
    Ok(newer(kept, legacy(dir)?))
}

/// The first of `kept` (the cosigned table's first of at least `size`)
/// and the one an older build kept in `dir`'s `witnessed.json`.
pub(crate) fn with_legacy_first(
    kept: Option<Cosigned>,
    dir: &Path,
    size: u64,
) -> Result<Option<Cosigned>> {
    let old = legacy(dir)?.filter(|c| c.size >= size);
    Ok(match (kept, old) {
        (Some(k), Some(o)) if o.size < k.size => Some(o),
        (k, o) => k.or(o),
    })
}

/// The cosigned checkpoint an older build kept in `witnessed.json`.
fn legacy(dir: &Path) -> Result<Option<Cosigned>> {
    let Some(note) = Witnessed::load(dir)?.cosigned else { return Ok(None) };
    let size = verifier::note::Note::parse(note.as_bytes())
        .ok()
        .and_then(|n| verifier::checkpoint::Checkpoint::parse_text(&n.text).ok())
        .map(|c| c.size);
    Ok(size.map(|size| Cosigned { size, note, cosigned_ms: 0 }))
}

fn newer(a: Option<Cosigned>, b: Option<Cosigned>) -> Option<Cosigned> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.size > a.size { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_state_loads_back_and_a_missing_file_is_empty() {
        let t = tempfile::tempdir().unwrap();
        let empty = Witnessed::load(t.path()).unwrap();
        assert!(empty.sizes.is_empty() && empty.cosigned.is_none());
        let mut w = empty;
        w.sizes.insert("fgw".into(), 17);
        w.cosigned = Some("note\n".into());
        w.save(t.path()).unwrap();
        assert_eq!(Witnessed::load(t.path()).unwrap(), w);
        std::fs::write(t.path().join(FILE), b"{\"format\":\"x\",\"sizes\":{},\"cosigned\":null}")
            .unwrap();
        assert!(Witnessed::load(t.path()).is_err());
    }

    /// A data directory an older build left (its newest cosigned checkpoint
    /// in `witnessed.json` only) still has it, beside the table's.
    #[test]
    fn the_table_and_an_older_builds_checkpoint_are_read_together() {
        let t = tempfile::tempdir().unwrap();
        crate::init(t.path(), "log.example/x", &crate::clock::SystemClock).unwrap();
        let store = crate::Store::open(t.path()).unwrap();
        let note = |size: u64| {
            let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
            let s = verifier::note::NoteSigner::new("log.example/x", key).unwrap();
            let text = verifier::checkpoint::Checkpoint {
                origin: "log.example/x".into(),
                size,
                root: verifier::EMPTY_ROOT,
                extensions: Vec::new(),
            }
            .to_text();
            s.sign(&text).unwrap()
        };
        assert_eq!(store.newest_cosigned().unwrap(), None);
        let old =
            Witnessed { format: FORMAT_V1.into(), cosigned: Some(note(7)), ..Default::default() };
        old.save(t.path()).unwrap();
        assert_eq!(store.newest_cosigned().unwrap().map(|c| c.size), Some(7));
        let table = CosignedCheckpoints::open(t.path()).unwrap();
        use crate::storage::CosignedTable as _;
        table.insert(4, &note(4), 1).unwrap();
        table.insert(9, &note(9), 2).unwrap();
        assert_eq!(store.newest_cosigned().unwrap().map(|c| c.size), Some(9));
        assert_eq!(store.first_cosigned_from(1).unwrap().map(|c| c.size), Some(4));
        assert_eq!(store.first_cosigned_from(5).unwrap().map(|c| c.size), Some(7));
        assert_eq!(store.first_cosigned_from(8).unwrap().map(|c| c.size), Some(9));
        assert_eq!(store.first_cosigned_from(10).unwrap(), None);
    }
}
