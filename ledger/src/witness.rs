//! A witness (C2SP `tlog-witness`): the party the operator does not
//! control — a supervising department — that cosigns a log's checkpoints
//! only when each is consistent with the last one it cosigned, so a log
//! cannot show one history to a bidder and another to a court.
//!
//! It lives in its own directory, apart from any log's data:
//!
//! * `witness.key` — its Ed25519 and ML-DSA-44 cosigning keys (0600), one
//!   name ([`init`] makes them);
//! * `logs` — the logs it witnesses, one `log <vkey>` line each (the
//!   origin is the key's name; several keys of one origin are all
//!   trusted), reread by [`Witness::reload`];
//! * `witness.db` — per origin the latest cosigned checkpoint, and every
//!   checkpoint refused as inconsistent with it ([`Evidence`]).
//!
//! [`Witness::add_checkpoint`] runs the spec's checks in its order (404
//! unknown origin, 403 no valid trusted signature, 400, 409 with the size
//! held, 422), then compares-and-swaps the stored size and fsyncs it
//! **before** the cosignature is returned: of two racing requests from
//! one size only the first commits, the other gets 409. Commits of
//! concurrent requests (for different logs) share one fsync: a single
//! committer thread takes everything queued and commits it in one
//! transaction, each row still compared-and-swapped on its own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use verifier::checkpoint::Checkpoint;
use verifier::cosignature::{Algorithm, Cosigner, CosignerKey};
use verifier::hash::{EMPTY_ROOT, Hash};
use verifier::note::{Note, NoteVerifier};
use verifier::witness_request::AddCheckpoint;

use crate::clock::Clock;
use crate::error::{LedgerError, Result};

/// The witness's keys, in its directory.
pub const KEY_FILE: &str = "witness.key";
/// The logs it witnesses, in its directory.
pub const LOGS_FILE: &str = "logs";
/// Its state, in its directory.
pub const STATE_FILE: &str = "witness.db";
/// Most requests committed in one transaction.
const MAX_COMMIT_BATCH: usize = 512;

/// Why a checkpoint was not cosigned: each variant is one status of the
/// spec, in the order it checks them.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404: the origin is not a log this witness knows.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 403: no signature of a trusted key, or one that does not verify.
    #[error("{0}")]
    Forbidden(String),
    /// 400: a malformed request, or an old size above the checkpoint's.
    #[error("{0}")]
    BadRequest(String),
    /// 409: the old size is not the size this witness last cosigned (it).
    #[error("the witness last cosigned size {0}")]
    Conflict(u64),
    /// 422: inconsistent with what the witness cosigned, or a bad proof.
    #[error("{0}")]
    Inconsistent(String),
    /// 500: the state could not be written; nothing was cosigned.
    #[error("couldn't store the witness state: {0}")]
    Store(String),
}

impl Refusal {
    /// The HTTP status the spec gives it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::UnknownOrigin(_) => 404,
            Refusal::Forbidden(_) => 403,
            Refusal::BadRequest(_) => 400,
            Refusal::Conflict(_) => 409,
            Refusal::Inconsistent(_) => 422,
            Refusal::Store(_) => 500,
        }
    }
}

/// A checkpoint refused as inconsistent, with the one it contradicts:
/// two signed roots for one size prove a split view on their own; a failed
/// consistency proof asks the log for one that verifies.
#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    /// Its number in the witness's record.
    pub id: u64,
    /// The log.
    pub origin: String,
    /// `same_size_different_root` or `consistency_proof_failed`.
    pub reason: String,
    /// When it was refused, ms since the epoch.
    pub received_ms: u64,
    /// The checkpoint the witness held (log-signed and cosigned).
    pub held: String,
    /// The refused checkpoint, as sent (its log signature verified).
    pub refused: String,
    /// The request's old size.
    pub old: u64,
    /// The request's consistency proof, base64 lines.
    pub proof: Vec<String>,
}

/// The latest checkpoint cosigned for one log.
#[derive(Clone, Debug, Serialize)]
pub struct Latest {
    /// Its size.
    pub size: u64,
    /// Its root hash, base64.
    pub root: String,
    /// The checkpoint with the log's verified signatures and this witness's
    /// cosignatures (what `GET /<origin hash>/checkpoint` serves).
    pub note: String,
    /// When it was cosigned, ms since the epoch.
    pub cosigned_ms: u64,
}

/// What `GET /status` shows.
#[derive(Clone, Debug, Serialize)]
pub struct WitnessStatus {
    /// The witness's name.
    pub name: String,
    /// Its verifier keys (Ed25519, ML-DSA-44).
    pub keys: Vec<String>,
    /// The logs it witnesses, by origin.
    pub logs: BTreeMap<String, LogStatus>,
    /// Every checkpoint refused as inconsistent, oldest first.
    pub split_view_evidence: Vec<Evidence>,
}

/// One witnessed log in [`WitnessStatus`].
#[derive(Clone, Debug, Serialize)]
pub struct LogStatus {
    /// Its trusted keys.
    pub keys: Vec<String>,
    /// The latest checkpoint cosigned, if any.
    pub latest: Option<Latest>,
}

/// Answers by status code, for metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// 200.
    pub cosigned: AtomicU64,
    /// 404, 403, 400, 409, 422, 500.
    pub refused: [AtomicU64; 6],
    /// Split-view evidence rows stored.
    pub evidence: AtomicU64,
}

impl Counters {
    fn slot(status: u16) -> usize {
        match status {
            404 => 0,
            403 => 1,
            400 => 2,
            409 => 3,
            422 => 4,
            _ => 5,
        }
    }

    /// The statuses [`Counters::refused`] counts, in order.
    pub const REFUSED: [u16; 6] = [404, 403, 400, 409, 422, 500];
}

/// Makes a witness directory: the keys of `name` (Ed25519 and ML-DSA-44,
/// mode 0600), an empty `logs` file and the state. Returns the verifier
/// keys to give log operators and policy writers.
pub fn init(dir: &Path, name: &str) -> Result<Vec<CosignerKey>> {
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| LedgerError::Io { action, path, source }
    };
    std::fs::create_dir_all(dir).map_err(io("create witness directory", dir))?;
    let keys = crate::keys::create_cosigners(
        &dir.join(KEY_FILE),
        name,
        &[Algorithm::Ed25519, Algorithm::MlDsa44],
    )?;
    let logs = dir.join(LOGS_FILE);
    if !logs.exists() {
        std::fs::write(
            &logs,
            "# The logs this witness cosigns: one line each,\n#   log <the log's verifier key>\n\
             # then reload the witness (SIGHUP) or restart it.\n",
        )
        .map_err(io("write", &logs))?;
    }
    drop(StateStore::open(&dir.join(STATE_FILE))?);
    Ok(keys.iter().map(|k| k.public().clone()).collect())
}

/// Reads a `logs` file: `log <vkey>` lines, `#` comments, blank lines.
pub fn parse_logs(text: &str) -> std::result::Result<HashMap<String, Vec<NoteVerifier>>, String> {
    let mut logs: HashMap<String, Vec<NoteVerifier>> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            [w, ..] if w.starts_with('#') => {}
            ["log", vkey] => {
                let key = NoteVerifier::parse(vkey).map_err(|e| format!("line {}: {e}", i + 1))?;
                let keys = logs.entry(key.name().to_owned()).or_default();
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            _ => return Err(format!("line {}: expected `log <verifier key>`", i + 1)),
        }
    }
    Ok(logs)
}

type Hook = Arc<dyn Fn() + Send + Sync>;

/// A running witness.
pub struct Witness {
    dir: PathBuf,
    name: String,
    cosigners: Vec<Cosigner>,
    logs: RwLock<Arc<HashMap<String, Vec<NoteVerifier>>>>,
    state: StateStore,
    clock: Arc<dyn Clock>,
    pause: RwLock<Option<Hook>>,
    /// Answers so far.
    pub counters: Counters,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Witness({}, {})", self.name, self.dir.display())
    }
}

impl Witness {
    /// Opens the witness in `dir` (made by [`init`]).
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Witness> {
        let cosigners = crate::keys::load_cosigners(&dir.join(KEY_FILE))?;
        let name = cosigners[0].public().name().to_owned();
        if cosigners.iter().any(|c| c.public().name() != name) {
            return Err(LedgerError::Key {
                path: dir.join(KEY_FILE),
                reason: "the keys name different witnesses".into(),
            });
        }
        let w = Witness {
            dir: dir.to_owned(),
            name,
            cosigners,
            logs: RwLock::new(Arc::new(HashMap::new())),
            state: StateStore::open(&dir.join(STATE_FILE))?,
            clock,
            pause: RwLock::new(None),
            counters: Counters::default(),
        };
        w.reload()?;
        Ok(w)
    }

    /// Rereads the `logs` file; returns how many logs are witnessed. A file
    /// that does not parse leaves the list as it was.
    pub fn reload(&self) -> Result<usize> {
        let path = self.dir.join(LOGS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| LedgerError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let logs = parse_logs(&text).map_err(|reason| LedgerError::Key { path, reason })?;
        let n = logs.len();
        if let Ok(mut l) = self.logs.write() {
            *l = Arc::new(logs);
        }
        Ok(n)
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its verifier keys.
    pub fn keys(&self) -> Vec<CosignerKey> {
        self.cosigners.iter().map(|c| c.public().clone()).collect()
    }

    /// For tests: `hook` runs in every request between its checks and its
    /// commit (to stall one request while another commits).
    pub fn pause_before_commit(&self, hook: Option<Hook>) {
        if let Ok(mut p) = self.pause.write() {
            *p = hook;
        }
    }

    /// Handles one `add-checkpoint` body: the cosignature lines to answer,
    /// or why not. Blocking (signatures, fsync).
    pub fn add_checkpoint(&self, body: &[u8]) -> std::result::Result<String, Refusal> {
        let answer = self.check_and_cosign(body);
        match &answer {
            Ok(_) => self.counters.cosigned.fetch_add(1, Ordering::Relaxed),
            Err(r) => {
                self.counters.refused[Counters::slot(r.status())].fetch_add(1, Ordering::Relaxed)
            }
        };
        answer
    }

    fn check_and_cosign(&self, body: &[u8]) -> std::result::Result<String, Refusal> {
        let bad = |e: verifier::Error| Refusal::BadRequest(e.to_string());
        let req = AddCheckpoint::parse(body).map_err(bad)?;
        let note = Note::parse(&req.checkpoint).map_err(bad)?;
        let cp = Checkpoint::parse_text(&note.text).map_err(bad)?;
        let logs = self.logs.read().map(|l| l.clone()).unwrap_or_default();
        let keys = logs.get(&cp.origin).ok_or_else(|| Refusal::UnknownOrigin(cp.origin.clone()))?;
        let mut verified = Vec::new();
        for key in keys {
            match note.verify(key) {
                Ok(_) => verified.push(key),
                Err(verifier::Error::NoteUnsigned { .. }) => {}
                Err(_) => {
                    return Err(Refusal::Forbidden(format!(
                        "the signature of trusted key {}+{:08x} does not verify",
                        key.name(),
                        key.key_id()
                    )));
                }
            }
        }
        if verified.is_empty() {
            return Err(Refusal::Forbidden(format!(
                "no signature of a key trusted for {}",
                cp.origin
            )));
        }
        if req.old > cp.size {
            return Err(Refusal::BadRequest(format!(
                "old size {} is above the checkpoint's size {}",
                req.old, cp.size
            )));
        }
        let held = self.state.latest(&cp.origin);
        let (held_size, held_root) = match &held {
            Some(l) => (l.size, Hash::from_base64(&l.root).unwrap_or(EMPTY_ROOT)),
            None => (0, EMPTY_ROOT),
        };
        if req.old != held_size {
            return Err(Refusal::Conflict(held_size));
        }
        if cp.size == 0 && cp.root != EMPTY_ROOT {
            return Err(Refusal::Inconsistent("a checkpoint of size 0 has the empty root".into()));
        }
        if req.old == 0 {
            if !req.proof.is_empty() {
                return Err(Refusal::Inconsistent("a proof from size 0 is empty".into()));
            }
        } else if let Err(e) =
            verifier::merkle::verify_consistency(req.old, cp.size, &req.proof, &held_root, &cp.root)
        {
            let same_size = req.old == cp.size && cp.root != held_root;
            let reason =
                if same_size { "same_size_different_root" } else { "consistency_proof_failed" };
            if let Some(held) = held {
                self.keep_evidence(&cp.origin, reason, held.note, &req)?;
            }
            return Err(Refusal::Inconsistent(if same_size {
                format!("size {} was cosigned with another root: kept as evidence", cp.size)
            } else {
                format!("the consistency proof from {} does not verify: {e}", req.old)
            }));
        }
        if let Some(hook) = self.pause.read().ok().and_then(|p| p.clone()) {
            hook();
        }
        // Keep the log's verified signatures only, then ours.
        let now = self.clock.now_ms();
        let mut kept = format!("{}\n", note.text);
        for sig in &note.signatures {
            if verified.iter().any(|k| k.name() == sig.name && k.key_id() == sig.key_id) {
                let mut raw = sig.key_id.to_be_bytes().to_vec();
                raw.extend_from_slice(&sig.signature);
                kept += &format!("\u{2014} {} {}\n", sig.name, B64.encode(raw));
            }
        }
        let mut lines = String::new();
        for c in &self.cosigners {
            lines += &c.line(&note.text, now / 1000).map_err(|e| Refusal::Store(e.to_string()))?;
        }
        kept += &lines;
        self.state.commit(Write::Advance {
            origin: cp.origin.clone(),
            old: req.old,
            latest: Latest {
                size: cp.size,
                root: cp.root.to_base64(),
                note: kept,
                cosigned_ms: now,
            },
        })?;
        Ok(lines)
    }

    fn keep_evidence(
        &self,
        origin: &str,
        reason: &str,
        held: String,
        req: &AddCheckpoint,
    ) -> std::result::Result<(), Refusal> {
        self.state.commit(Write::Evidence(Evidence {
            id: 0,
            origin: origin.to_owned(),
            reason: reason.to_owned(),
            received_ms: self.clock.now_ms(),
            held,
            refused: String::from_utf8_lossy(&req.checkpoint).into_owned(),
            old: req.old,
            proof: req.proof.iter().map(|h| h.to_base64()).collect(),
        }))?;
        self.counters.evidence.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The latest cosigned checkpoint of the log whose origin hashes (SHA-256,
    /// lowercase hex) to `origin_hash`.
    pub fn checkpoint_by_origin_hash(&self, origin_hash: &str) -> Option<String> {
        use sha2::Digest as _;
        let logs = self.logs.read().ok()?.clone();
        let origin =
            logs.keys().find(|o| hex::encode(sha2::Sha256::digest(o.as_bytes())) == origin_hash)?;
        self.state.latest(origin).map(|l| l.note)
    }

    /// Everything the status page shows.
    pub fn status(&self) -> Result<WitnessStatus> {
        let logs = self.logs.read().map(|l| l.clone()).unwrap_or_default();
        Ok(WitnessStatus {
            name: self.name.clone(),
            keys: self.keys().iter().map(CosignerKey::vkey).collect(),
            logs: logs
                .iter()
                .map(|(origin, keys)| {
                    (
                        origin.clone(),
                        LogStatus {
                            keys: keys.iter().map(NoteVerifier::vkey).collect(),
                            latest: self.state.latest(origin),
                        },
                    )
                })
                .collect(),
            split_view_evidence: self.state.evidence()?,
        })
    }
}

/// A write to the witness's state.
#[derive(Clone, Debug)]
pub enum Write {
    /// Compare-and-swap `origin` from size `old` to `latest`.
    Advance {
        /// The log.
        origin: String,
        /// The size the row must hold.
        old: u64,
        /// What it holds after.
        latest: Latest,
    },
    /// Keep a refused checkpoint.
    Evidence(Evidence),
}

/// Where a witness keeps its state: behind this trait, so the checks and
/// the committer never see SQL (SQLite: [`crate::sqlite::witness`]).
pub trait WitnessState: Send {
    /// Every log's latest cosigned checkpoint, by origin.
    fn all_latest(&mut self) -> Result<HashMap<String, Latest>>;
    /// Applies `writes` in one durable transaction, each advance
    /// compared-and-swapped on its own (a lost swap answers
    /// [`Refusal::Conflict`] with the size held). An error means nothing
    /// was written.
    fn commit(&mut self, writes: &[Write]) -> Result<Vec<std::result::Result<(), Refusal>>>;
    /// The split-view evidence kept, oldest first.
    fn evidence(&mut self) -> Result<Vec<Evidence>>;
}

type Reply = Sender<std::result::Result<(), Refusal>>;

/// The state behind one committer thread, with the latest checkpoints
/// cached for the checks.
struct StateStore {
    cache: Arc<Mutex<HashMap<String, Latest>>>,
    queue: Mutex<Option<Sender<(Write, Reply)>>>,
    reader: Mutex<Box<dyn WitnessState>>,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl StateStore {
    fn open(path: &Path) -> Result<StateStore> {
        let mut writer = crate::sqlite::witness::open(path)?;
        let cache = Arc::new(Mutex::new(writer.all_latest()?));
        let (tx, rx) = std::sync::mpsc::channel();
        let c = cache.clone();
        let committer = std::thread::Builder::new()
            .name("witness-committer".into())
            .spawn(move || commit_loop(writer, rx, c))
            .map_err(|source| LedgerError::Io {
                action: "start the witness committer for",
                path: path.to_owned(),
                source,
            })?;
        Ok(StateStore {
            cache,
            queue: Mutex::new(Some(tx)),
            reader: Mutex::new(crate::sqlite::witness::open(path)?),
            committer: Mutex::new(Some(committer)),
        })
    }

    fn latest(&self, origin: &str) -> Option<Latest> {
        self.cache.lock().ok()?.get(origin).cloned()
    }

    fn commit(&self, w: Write) -> std::result::Result<(), Refusal> {
        let (tx, rx) = std::sync::mpsc::channel();
        let stopped = || Refusal::Store("the witness is stopping".into());
        self.queue
            .lock()
            .map_err(|_| stopped())?
            .as_ref()
            .ok_or_else(stopped)?
            .send((w, tx))
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }

    fn evidence(&self) -> Result<Vec<Evidence>> {
        self.reader
            .lock()
            .map_err(|_| LedgerError::Corrupt("the witness state reader is poisoned".into()))?
            .evidence()
    }
}

impl Drop for StateStore {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        if let Some(t) = self.committer.lock().ok().and_then(|mut c| c.take()) {
            let _ = t.join();
        }
    }
}

/// The committer: takes everything queued, commits it at once (one
/// fsync), then updates the cache and answers. A failed commit fails every
/// write in it.
fn commit_loop(
    mut db: Box<dyn WitnessState>,
    rx: Receiver<(Write, Reply)>,
    cache: Arc<Mutex<HashMap<String, Latest>>>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_COMMIT_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let writes: Vec<Write> = batch.iter().map(|(w, _)| w.clone()).collect();
        match db.commit(&writes) {
            Ok(out) => {
                if let Ok(mut cache) = cache.lock() {
                    for (w, r) in writes.iter().zip(&out) {
                        if let (Write::Advance { origin, latest, .. }, Ok(())) = (w, r) {
                            cache.insert(origin.clone(), latest.clone());
                        }
                    }
                }
                for ((_, reply), r) in batch.into_iter().zip(out) {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "witness state commit failed");
                for (_, reply) in batch {
                    let _ = reply.send(Err(Refusal::Store(e.to_string())));
                }
            }
        }
    }
}
