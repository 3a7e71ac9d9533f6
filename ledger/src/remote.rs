//! A log read from its public tiles over HTTP (C2SP tlog-tiles): the
//! [`LogSource`] behind `tenderlog audit --url`, so the audit that checks a
//! data directory checks a log someone else runs, from its checkpoint,
//! entry bundles and hash tiles alone.
//!
//! Trust: only the verifier key the user gives. The checkpoint is fetched
//! once and verified with that key before anything else is read; every
//! reader audits the tree that checkpoint signs, so a server that answers
//! each request differently is caught by the roots, not believed.

use std::io::Read as _;
use std::time::Duration;

use verifier::Hash;
use verifier::check::CheckName;
use verifier::checkpoint::SignedCheckpoint;
use verifier::log_keys::{KeyHistory, LogAnchor, LogKeys};
use verifier::tiles::{TilePath, decode_entry_bundle, tile_width_at};

use crate::audit::{AuditReport, AuditScope, fail};
use crate::error::{LedgerError, Result};
use crate::storage::{LogReader, LogSource, TreeHead};

/// Longest checkpoint note read.
const MAX_CHECKPOINT_BYTES: u64 = 64 << 10;
/// Longest hash tile: 256 hashes.
const MAX_TILE_BYTES: u64 = 256 * 32;
/// Longest entry bundle: 256 entries of at most 64 KiB, with their prefixes.
const MAX_BUNDLE_BYTES: u64 = 256 * (2 + 65_535);
/// Upper bound on a key history file (256 rotations of ~0.5 KiB each).
const MAX_KEY_HISTORY_BYTES: u64 = 256 * 1024;
/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A log served at `base` (its `/checkpoint` and `/tile/…`), at the
/// checkpoint fetched when opened.
#[derive(Debug, Clone)]
pub struct TileSource {
    base: String,
    client: reqwest::blocking::Client,
    head: TreeHead,
    note: String,
}

impl TileSource {
    /// Fetches `base/checkpoint` and verifies it with `keys` (the anchors
    /// the user gave: the log's Ed25519 key, whose name is the log's
    /// origin, and its ML-DSA-44 key to require on the checkpoint besides),
    /// following the log's key history (`base/key-history.json`) when it
    /// has one: the history is checked against the Ed25519 key, so it is
    /// trusted only as far as that key vouches for it. Returns the source
    /// and the keys followed.
    pub fn open(base: &str, keys: &[LogAnchor]) -> Result<(TileSource, LogKeys)> {
        let origin = LogAnchor::origin(keys).unwrap_or_default().to_owned();
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(LedgerError::Remote {
                url: base,
                reason: "not an http:// or https:// URL".into(),
            });
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("tenderlog-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LedgerError::Remote { url: base.clone(), reason: e.to_string() })?;
        let url = format!("{base}/{}", verifier::bundle::members::KEY_HISTORY);
        let history = match get(&client, &url, MAX_KEY_HISTORY_BYTES)? {
            None => None,
            Some(bytes) => Some(KeyHistory::parse(&bytes).map_err(|e| {
                fail(CheckName::KeyHistory, None, format!("the key history at {url}: {e}"))
            })?),
        };
        let keys = LogKeys::from_anchors(&origin, keys, history.as_ref()).map_err(|e| {
            fail(CheckName::KeyHistory, None, format!("the key history at {url}: {e}"))
        })?;
        let url = format!("{base}/checkpoint");
        let bytes = get(&client, &url, MAX_CHECKPOINT_BYTES)?
            .ok_or_else(|| LedgerError::Remote { url: url.clone(), reason: "not found".into() })?;
        let signed = SignedCheckpoint::verify(&bytes, &keys).map_err(|e| {
            fail(CheckName::CheckpointSignature, None, format!("the checkpoint at {url}: {e}"))
        })?;
        let head = TreeHead { size: signed.checkpoint.size, root: signed.checkpoint.root };
        Ok((TileSource { base, client, head, note: signed.note }, keys))
    }

    /// The head of the checkpoint being audited.
    pub fn head(&self) -> TreeHead {
        self.head
    }
}

impl LogSource for TileSource {
    type Reader = TileSource;

    fn reader(&self) -> Result<TileSource> {
        Ok(self.clone())
    }
}

impl TileSource {
    fn fetch(&self, path: TilePath, max: u64) -> Result<Option<Vec<u8>>> {
        get(&self.client, &format!("{}/tile/{}", self.base, path.to_path()), max)
    }
}

impl LogReader for TileSource {
    fn latest(&mut self) -> Result<TreeHead> {
        Ok(self.head)
    }

    fn leaves(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let to = to.min(self.head.size);
        if from >= to {
            return Ok(());
        }
        for bundle in from / 256..=(to - 1) / 256 {
            let Some(width) = tile_width_at(0, bundle, self.head.size) else { break };
            let path = TilePath::Entries { index: bundle, width: (width < 256).then_some(width) };
            let Some(bytes) = self.fetch(path, MAX_BUNDLE_BYTES)? else {
                // Not served: the audit reports the first missing leaf.
                return Ok(());
            };
            let entries = decode_entry_bundle(&bytes).map_err(|e| {
                fail(
                    CheckName::CanonicalLeaf,
                    Some(bundle * 256),
                    format!("entry bundle {bundle}: {e}"),
                )
            })?;
            if entries.len() != usize::from(width) {
                return Err(fail(
                    CheckName::LeafSequence,
                    Some(bundle * 256),
                    format!("entry bundle {bundle} holds {} entries, not {width}", entries.len()),
                ));
            }
            for (k, leaf) in (bundle * 256..).zip(&entries) {
                if (from..to).contains(&k) {
                    each(k, leaf)?;
                }
            }
        }
        Ok(())
    }

    fn keeps_level(&self, level: u32) -> bool {
        level.is_multiple_of(8)
    }

    fn tile(&mut self, level: u32, tile: u64) -> Result<Option<Vec<u8>>> {
        let Ok(level) = u8::try_from(level / 8) else { return Ok(None) };
        let Some(width) = tile_width_at(level, tile, self.head.size) else { return Ok(None) };
        let path = TilePath::Hashes { level, index: tile, width: (width < 256).then_some(width) };
        self.fetch(path, MAX_TILE_BYTES)
    }

    fn checkpoints(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, Hash, &str) -> Result<()>,
    ) -> Result<()> {
        if (from..=to).contains(&self.head.size) {
            each(self.head.size, self.head.root, &self.note)?;
        }
        Ok(())
    }

    fn consistency_proof(&mut self, _size: u64, _total: u64) -> Result<Option<Vec<Hash>>> {
        // Only the newest checkpoint is published: there is nothing older
        // to prove consistent.
        Ok(None)
    }
}

/// GETs `url`: its body (at most `max` bytes), `None` on 404.
fn get(client: &reqwest::blocking::Client, url: &str, max: u64) -> Result<Option<Vec<u8>>> {
    let remote = |reason: String| LedgerError::Remote { url: url.to_owned(), reason };
    let resp = client.get(url).send().map_err(|e| remote(e.to_string()))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(remote(format!("HTTP {}", resp.status())));
    }
    let mut body = Vec::new();
    resp.take(max + 1).read_to_end(&mut body).map_err(|e| remote(e.to_string()))?;
    if body.len() as u64 > max {
        return Err(remote(format!("the answer is longer than {max} bytes")));
    }
    Ok(Some(body))
}

/// Audits the log at `source` with the checks of `scope` that need only
/// its tiles: every leaf (decoded in full unless `scope` is
/// [`AuditScope::Integrity`]), both hash chains, the received-time order,
/// every published tree node and the checkpoint's root and signature. A
/// server keeps more than it publishes (older checkpoints, index tables):
/// those are its operator's to audit with `tenderlog audit --data`.
pub fn audit(
    source: &TileSource,
    key: &LogKeys,
    scope: AuditScope,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    crate::audit::audit_source(source, key, scope, progress)
}
