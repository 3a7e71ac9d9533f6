//! The log's side of witnessing, as kept in its data directory
//! (`witnessed.json`): the size each witness last cosigned — so a restart
//! sends the right `old` size at once instead of learning it from a 409 —
//! and the newest checkpoint whose cosignatures meet the operator's witness
//! policy, which `/checkpoint` serves and bundles are proved against.
//!
//! Written whole to a temporary file, synced, renamed over the old one and
//! the directory synced: a crash leaves the old state or the new, never a
//! mix. Losing it loses nothing a witness cannot tell again (its 409 names
//! its size) and a cosigned checkpoint the next round makes again.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{LedgerError, Result};

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
    /// The newest checkpoint that met the quorum: the log's signed note with
    /// the witnesses' cosignature lines added.
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
}
