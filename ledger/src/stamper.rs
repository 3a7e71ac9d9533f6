//! Trusted time for the log: an RFC 3161 client that gets a token for every
//! checkpoint (one per checkpoint, never one per event) and for documents
//! that arrive without the token their rule pack requires.
//!
//! The time source is either the configured TSAs, over HTTP
//! (`application/timestamp-query`, tried in order until one answers), or —
//! the embedded default — the data directory's local TSA (`crate::tsa`), NOT
//! ACCREDITED, which needs no network. Every token is checked with
//! [`verifier::tsp::verify_token`] against the data directory's TSA roots
//! before it is kept, so a TSA the operator does not trust, or one that
//! stamps another digest or drops the nonce, is refused, not recorded.
//!
//! Checkpoint tokens live in `DIR/timestamps.db` (a file of its own, so the
//! stamper never contends with the sequencer's commits), or for a log in
//! PostgreSQL in the table `checkpoint_tokens` beside it: one row per stamped
//! checkpoint size, the token over SHA-256 of the checkpoint's body (the
//! signed note's text before the signatures). A token over checkpoint N
//! proves every entry below N existed by its time; checkpoints signed while a
//! round trip was in flight are stamped in the next round, newest first.

use std::path::Path;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::error::{LedgerError, Result};
use crate::tsa::{ImprintAlg, LocalTsa};

/// Largest TSA reply read, in bytes.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// How long one TSA request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Most checkpoints stamped in one round.
pub const ROUND: usize = 64;

pub use crate::sqlite::stamps::{STAMPS_SCHEMA_VERSION, Stamps, stamps_path};

pub(crate) fn bad(reason: String) -> LedgerError {
    LedgerError::Tsa(reason)
}

/// Where trusted time comes from.
enum Source {
    /// The data directory's local TSA (not accredited).
    Local(Box<LocalTsa>),
    /// RFC 3161 over HTTP, tried in order.
    Http { urls: Vec<String>, client: reqwest::blocking::Client },
}

/// An RFC 3161 client with its trust.
pub struct Stamper {
    source: Source,
    trust: verifier::pki::TrustStore,
}

impl std::fmt::Debug for Stamper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stamper").field("source", &self.label()).finish_non_exhaustive()
    }
}

/// A token and who issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The token (CMS ContentInfo, DER).
    pub token: Vec<u8>,
    /// The TSA: its URL, or the local TSA's name.
    pub tsa: String,
    /// The token's genTime, ms.
    pub gen_ms: u64,
}

impl Stamper {
    /// The stamper of `dir`: the TSAs at `urls` when any are given, else the
    /// local TSA when the data directory has one, else `None`.
    pub fn open(dir: &Path, urls: &[String]) -> Result<Option<Stamper>> {
        let trust = crate::trust::load_tsa(dir)?;
        if !urls.is_empty() {
            for u in urls {
                if !u.starts_with("http://") {
                    return Err(bad(format!(
                        "TSA URL {u:?}: only http:// is supported (RFC 3161 replies are signed; put a TLS proxy in front for https)"
                    )));
                }
            }
            let client = reqwest::blocking::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .map_err(|e| bad(format!("HTTP client: {e}")))?;
            return Ok(Some(Stamper {
                source: Source::Http { urls: urls.to_vec(), client },
                trust,
            }));
        }
        if !crate::tsa::exists(dir) {
            return Ok(None);
        }
        Ok(Some(Stamper { source: Source::Local(Box::new(crate::tsa::load(dir)?)), trust }))
    }

    /// What stamps: the URLs, or the local TSA's name (which says it is not
    /// accredited).
    pub fn label(&self) -> String {
        match &self.source {
            Source::Local(_) => crate::tsa::NAME.to_owned(),
            Source::Http { urls, .. } => urls.join(", "),
        }
    }

    /// A verified token over `digest`.
    pub fn stamp(&self, digest: &[u8; 32], alg: ImprintAlg, now_ms: u64) -> Result<Stamp> {
        let (token, tsa) = match &self.source {
            Source::Local(t) => (t.stamp(digest, alg, now_ms)?, crate::tsa::NAME.to_owned()),
            Source::Http { urls, client } => {
                let mut errors = Vec::new();
                let mut got = None;
                for url in urls {
                    match request(client, url, digest, alg) {
                        Ok(t) => {
                            got = Some((t, url.clone()));
                            break;
                        }
                        Err(e) => errors.push(format!("{url}: {e}")),
                    }
                }
                got.ok_or_else(|| bad(format!("no TSA answered: {}", errors.join("; "))))?
            }
        };
        let ts = verifier::tsp::verify_token(&token, digest, &self.trust)
            .map_err(|e| bad(format!("the token from {tsa} does not verify: {e}")))?;
        Ok(Stamp { token, tsa, gen_ms: ts.time_ms })
    }
}

/// One RFC 3161 request over HTTP; returns the token after checking the
/// nonce came back.
fn request(
    client: &reqwest::blocking::Client,
    url: &str,
    digest: &[u8; 32],
    alg: ImprintAlg,
) -> std::result::Result<Vec<u8>, String> {
    use der::{Decode as _, Encode as _};
    let mut n = [0u8; 8];
    getrandom::fill(&mut n).map_err(|e| format!("no randomness: {e}"))?;
    // 63 bits: any value, encoded in its shortest form, fits a signed INTEGER.
    let nonce = u64::from_be_bytes(n) >> 1;
    let oid = match alg {
        ImprintAlg::Sha256 => verifier::tsp::SHA256,
        ImprintAlg::Sm3 => verifier::tsp::SM3,
    };
    let req = verifier::tsp::TimeStampReq::new(digest, oid, nonce).map_err(|e| e.to_string())?;
    let resp = client
        .post(url)
        .header("content-type", "application/timestamp-query")
        .body(req.to_der().map_err(|e| e.to_string())?)
        .send()
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let body = resp.bytes().map_err(|e| e.to_string())?;
    if body.len() > MAX_REPLY_BYTES {
        return Err(format!("a reply of {} bytes (at most {MAX_REPLY_BYTES})", body.len()));
    }
    let token = verifier::tsp::token_from_response(&body).map_err(|e| e.to_string())?;
    // The nonce is inside the signed TSTInfo: read it from the token.
    let ci = cms::content_info::ContentInfo::from_der(&token).map_err(|e| e.to_string())?;
    let sd: cms::signed_data::SignedData =
        ci.content.decode_as().map_err(|e: der::Error| e.to_string())?;
    let content = sd.encap_content_info.econtent.ok_or("a token without TSTInfo")?;
    let info = verifier::tsp::TstInfo::from_der(content.value()).map_err(|e| e.to_string())?;
    if info.nonce != req.nonce {
        return Err("the token does not carry the request's nonce".into());
    }
    Ok(token)
}

/// The body of a signed note: the text up to the blank line before its
/// signatures — what a checkpoint token stamps.
pub fn checkpoint_body(note: &str) -> &str {
    note.find("\n\n").map_or(note, |i| &note[..=i])
}

/// One stamping round: a token for each signed checkpoint that has none,
/// newest first, at most [`ROUND`]. Returns how many were stamped.
pub fn stamp_checkpoints(
    store: &crate::Store,
    stamper: &Stamper,
    stamps: &dyn crate::storage::StampTable,
    now_ms: impl Fn() -> u64,
) -> Result<usize> {
    let mut done = 0;
    for (size, note) in store.newest_checkpoints(ROUND * 4)? {
        if size == 0 || stamps.get(size)?.is_some() {
            continue;
        }
        let digest: [u8; 32] = Sha256::digest(checkpoint_body(&note).as_bytes()).into();
        let s = stamper.stamp(&digest, ImprintAlg::Sha256, now_ms())?;
        stamps.insert(size, &s)?;
        done += 1;
        if done == ROUND {
            break;
        }
    }
    Ok(done)
}
