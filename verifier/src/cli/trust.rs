//! The trust file: log keys a user pinned once, so that later checks are
//! anchored without `--key` (and say where the key came from).
//!
//! `$TENDERLOG_TRUST`, else `$XDG_CONFIG_HOME/tenderlog/trust.json`, else
//! `~/.config/tenderlog/trust.json`. JSON, versioned:
//! `{"format": "tenderlog-trust/v1", "log_keys": [{"vkey": …, "note": …}]}`.

use std::path::{Path, PathBuf};

use crate::log_keys::LogAnchor;
use serde::{Deserialize, Serialize};

/// The format name of a trust file.
const FORMAT_V1: &str = "tenderlog-trust/v1";
/// The largest trust file read.
const MAX_BYTES: u64 = 1 << 20;

/// One pinned log key.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pinned {
    /// The C2SP vkey.
    pub(crate) vkey: String,
    /// Where the user got it, in their words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) note: String,
}

/// The trust file's contents.
#[derive(Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrustFile {
    format: String,
    pub(crate) log_keys: Vec<Pinned>,
}

impl Default for TrustFile {
    fn default() -> Self {
        TrustFile { format: FORMAT_V1.into(), log_keys: Vec::new() }
    }
}

/// Where the trust file is: `explicit`, `$TENDERLOG_TRUST`, or the user's
/// configuration folder.
pub(crate) fn path(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os("TENDERLOG_TRUST").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(c) => PathBuf::from(c),
        None => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or("no trust file: set TENDERLOG_TRUST or HOME, or give --trust FILE")?;
            PathBuf::from(home).join(".config")
        }
    };
    Ok(config.join("tenderlog").join("trust.json"))
}

/// Reads the trust file at `path`; an absent file is an empty one.
pub(crate) fn load(path: &Path) -> Result<TrustFile, String> {
    let bytes = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustFile::default()),
        Err(e) => return Err(format!("couldn't read the trust file {}: {e}", path.display())),
        Ok(m) if m.len() > MAX_BYTES => {
            return Err(format!("the trust file {} is over {MAX_BYTES} bytes", path.display()));
        }
        Ok(_) => std::fs::read(path)
            .map_err(|e| format!("couldn't read the trust file {}: {e}", path.display()))?,
    };
    let file: TrustFile = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the trust file {} is not readable: {e}", path.display()))?;
    if file.format != FORMAT_V1 {
        return Err(format!(
            "the trust file {} is of format {:?}; this verifier reads {FORMAT_V1:?}",
            path.display(),
            file.format
        ));
    }
    for p in &file.log_keys {
        LogAnchor::parse(&p.vkey)
            .map_err(|e| format!("the trust file {} holds a bad key: {e}", path.display()))?;
    }
    Ok(file)
}

/// Writes `file` to `path` whole (a temporary file renamed into place).
pub(crate) fn save(path: &Path, file: &TrustFile) -> Result<(), String> {
    let io = |e: std::io::Error| format!("couldn't write the trust file {}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut bytes = serde_json::to_vec_pretty(file).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

impl TrustFile {
    /// The pinned keys named for `origin` (Ed25519, and ML-DSA-44 ones).
    pub(crate) fn keys_for(&self, origin: &str) -> Vec<LogAnchor> {
        self.log_keys
            .iter()
            .filter_map(|p| LogAnchor::parse(&p.vkey).ok())
            .filter(|k| k.name() == origin)
            .collect()
    }
}
