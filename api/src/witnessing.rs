//! The log's witness client: each new signed checkpoint goes to every
//! witness of the operator's policy (C2SP tlog-policy, `serve
//! --witness-policy FILE`) at once, each request with a timeout; the
//! cosignatures that verify are added to the checkpoint, and once the
//! policy's quorum is met that cosigned checkpoint is kept
//! (`ledger::witnessed`), served by `/checkpoint`, and proved against by
//! bundles.
//!
//! Receipts never wait for this: they carry the log-signed checkpoint of
//! their batch at once, and the cosigned one follows.
//!
//! Per witness the size it last cosigned is kept on disk, so a restart
//! sends the right `old` size at once. A 409 gives the witness's size in its
//! body: the client takes it and asks again once. A 422 (the witness saw a
//! history this checkpoint is not consistent with) or a witness holding a
//! size above the log's own is an **alarm**: logged as an error, counted in
//! `tenderlog_witness_alarms_total`, shown on `/v1/witnesses`, and that
//! witness is not asked again until the operator restarts the server —
//! never retried.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ledger::witnessed::Witnessed;
use serde::Serialize;
use verifier::cosignature::CosignerKey;
use verifier::hash::Hash;
use verifier::note::Note;
use verifier::witness_policy::WitnessPolicy;
use verifier::witness_request::{AddCheckpoint, parse_size};

use crate::metrics::Metrics;
use crate::state::Readers;

/// How the log reaches its witnesses.
#[derive(Clone, Debug)]
pub struct WitnessingConfig {
    /// The policy: the witnesses (with their URLs) and the quorum.
    pub policy: Arc<WitnessPolicy>,
    /// Each request's timeout.
    pub timeout: Duration,
}

/// One witness as `/v1/witnesses` shows it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WitnessView {
    /// Its verifier key.
    pub key: String,
    /// Its submission URL.
    pub url: Option<String>,
    /// The size it last cosigned.
    pub size: u64,
    /// When it last cosigned, ms since the epoch.
    pub cosigned_ms: Option<u64>,
    /// The last error talking to it (cleared by its next cosignature).
    pub last_error: Option<String>,
    /// Why it is no longer asked, if it raised an alarm.
    pub alarm: Option<String>,
}

/// What `/v1/witnesses` shows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WitnessingView {
    /// The quorum's name in the policy.
    pub quorum: String,
    /// The witnesses by name.
    pub witnesses: BTreeMap<String, WitnessView>,
    /// The newest checkpoint that met the quorum.
    pub cosigned: Option<String>,
    /// Its size.
    pub cosigned_size: Option<u64>,
    /// Whether this front-end asks the witnesses: the log's sequencer does;
    /// a standby shows what the sequencer kept (its per-witness sizes are
    /// its own last ones).
    pub asking: bool,
}

/// The client and what it knows.
pub struct Witnessing {
    config: WitnessingConfig,
    dir: PathBuf,
    http: reqwest::Client,
    view: Mutex<WitnessingView>,
    /// Every cosigned checkpoint (`cosigned.db`), open for the server's life.
    kept: Arc<Mutex<Box<dyn ledger::storage::CosignedTable + Send>>>,
    /// Recent cosigning latencies, from a checkpoint's signing to the quorum
    /// met (the last [`RECENT`]), for the benchmark and `/v1/witnesses`.
    recent: Mutex<std::collections::VecDeque<Duration>>,
}

/// How many cosigning latencies are kept.
const RECENT: usize = 10_000;

/// The shortest time between the starts of two rounds. Under load a batch
/// is signed every few milliseconds; asking the witnesses for each would
/// spend their fsyncs (and, on a shared machine, the sequencer's disk and
/// cores) for nothing, since a cosignature on the newest checkpoint covers
/// every earlier one. A checkpoint waits at most this long for its round.
pub const MIN_ROUND_INTERVAL: Duration = Duration::from_millis(40);

impl std::fmt::Debug for Witnessing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Witnessing({} witnesses)", self.config.policy.witnesses.len())
    }
}

/// What one witness answered for one checkpoint.
enum Outcome {
    Cosigned(String),
    Failed(String),
    Alarm(String),
}

impl Witnessing {
    /// The client for the log `at`, resuming from its saved state.
    pub fn new(
        config: WitnessingConfig,
        at: &ledger::Location,
    ) -> Result<Witnessing, ledger::LedgerError> {
        let dir = at.dir.clone();
        let saved = Witnessed::load(&dir)?;
        let kept = at.cosigned()?;
        let newest = ledger::witnessed::with_legacy_newest(kept.latest()?, &dir)?;
        let mut view = WitnessingView {
            quorum: config.policy.quorum().to_owned(),
            cosigned_size: newest.as_ref().map(|c| c.size),
            cosigned: newest.map(|c| c.note),
            ..WitnessingView::default()
        };
        for (name, (key, url)) in &config.policy.witnesses {
            view.witnesses.insert(
                name.clone(),
                WitnessView {
                    key: key.vkey(),
                    url: url.clone(),
                    size: saved.sizes.get(name).copied().unwrap_or(0),
                    ..WitnessView::default()
                },
            );
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ledger::LedgerError::Corrupt(format!("witness HTTP client: {e}")))?;
        let kept = Arc::new(Mutex::new(kept));
        Ok(Witnessing {
            config,
            dir,
            http,
            view: Mutex::new(view),
            kept,
            recent: Mutex::new(std::collections::VecDeque::new()),
        })
    }

    /// The operator's witness policy.
    pub fn policy(&self) -> Arc<WitnessPolicy> {
        self.config.policy.clone()
    }

    /// The newest checkpoint that met the quorum.
    pub fn cosigned(&self) -> Option<String> {
        self.view.lock().ok()?.cosigned.clone()
    }

    /// What `/v1/witnesses` shows.
    pub fn view(&self) -> WitnessingView {
        self.view.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The recent cosigning latencies (signing to quorum), oldest first.
    pub fn recent_latencies(&self) -> Vec<Duration> {
        self.recent.lock().map(|r| r.iter().copied().collect()).unwrap_or_default()
    }

    /// Runs until the process ends: one round per newly signed checkpoint.
    /// Only the log's sequencer asks the witnesses (several front-ends of
    /// a log in PostgreSQL would each ask them for the same checkpoints);
    /// a standby serves the newest cosigned checkpoint the sequencer kept
    /// in the database, and asks them itself once it takes over.
    pub async fn run(
        self: Arc<Self>,
        readers: Arc<Readers>,
        metrics: Arc<Metrics>,
        sequencing: Arc<crate::sequencing::Sequencing>,
    ) {
        let mut last_sent: Option<String> = None;
        let mut last_round = Instant::now() - MIN_ROUND_INTERVAL;
        if let Ok(mut view) = self.view.lock() {
            view.asking = sequencing.sequences();
        }
        loop {
            // Woken by each signature; a slow tick as well, so a witness
            // that was down gets the latest checkpoint when it is back.
            let _ = tokio::time::timeout(Duration::from_secs(5), metrics.signed.notified()).await;
            let asking = sequencing.sequences();
            if let Ok(mut view) = self.view.lock() {
                view.asking = asking;
            }
            if !asking {
                self.follow().await;
                last_sent = None;
                continue;
            }
            let signed_at = metrics.signed_at.lock().ok().and_then(|a| *a);
            let Ok(latest) = readers.quick(|s| Ok(s.latest_checkpoint()?)).await else {
                continue;
            };
            let behind =
                self.view().witnesses.values().any(|w| {
                    w.alarm.is_none() && w.url.is_some() && w.size < latest.checkpoint.size
                });
            if last_sent.as_deref() == Some(latest.note.as_str()) && !behind {
                continue;
            }
            tokio::time::sleep_until((last_round + MIN_ROUND_INTERVAL).into()).await;
            last_round = Instant::now();
            // The newest checkpoint after the wait; the latency counts from
            // the signing that woke this round (the oldest checkpoint it
            // covers that had no cosignature yet).
            let latest = match readers.quick(|s| Ok(s.latest_checkpoint()?)).await {
                Ok(l) => l,
                Err(_) => latest,
            };
            let started = signed_at.unwrap_or_else(Instant::now);
            if self.round(&readers, &metrics, &latest.note, latest.checkpoint.size).await {
                let took = started.elapsed();
                metrics.cosign_seconds.observe(took.as_secs_f64());
                metrics.cosigned_tree_size.set(latest.checkpoint.size as i64);
                if let Ok(mut r) = self.recent.lock() {
                    if r.len() == RECENT {
                        r.pop_front();
                    }
                    r.push_back(took);
                }
            }
            last_sent = Some(latest.note);
        }
    }

    /// Sends `note` (of `size`) to every witness at once; keeps the
    /// cosigned checkpoint if the quorum is met (returns whether).
    async fn round(
        self: &Arc<Self>,
        readers: &Arc<Readers>,
        metrics: &Metrics,
        note: &str,
        size: u64,
    ) -> bool {
        let mut tasks = tokio::task::JoinSet::new();
        let view = self.view();
        for (name, (key, url)) in &self.config.policy.witnesses {
            let Some(w) = view.witnesses.get(name) else { continue };
            let Some(url) = url.clone() else { continue };
            if w.alarm.is_some() {
                continue;
            }
            let (me, readers, name, key, note, old) =
                (self.clone(), readers.clone(), name.clone(), key.clone(), note.to_owned(), w.size);
            tasks.spawn(async move {
                let outcome = me.ask(&readers, &url, &key, &note, size, old).await;
                (name, outcome)
            });
        }
        let mut lines = String::new();
        let mut changed = false;
        while let Some(done) = tasks.join_next().await {
            let Ok((name, outcome)) = done else { continue };
            let mut view = match self.view.lock() {
                Ok(v) => v,
                Err(_) => return false,
            };
            let Some(w) = view.witnesses.get_mut(&name) else { continue };
            match outcome {
                Outcome::Cosigned(l) => {
                    lines += &l;
                    w.size = size;
                    w.cosigned_ms = Some(ledger::Clock::now_ms(&ledger::SystemClock));
                    w.last_error = None;
                    changed = true;
                }
                Outcome::Failed(e) => {
                    tracing::warn!(witness = %name, error = %e, "witness did not cosign");
                    w.last_error = Some(e);
                }
                Outcome::Alarm(e) => {
                    tracing::error!(witness = %name, error = %e, "WITNESS ALARM: not asking this witness again until restart");
                    metrics.witness_alarms.inc();
                    w.alarm = Some(e);
                }
            }
        }
        let cosigned = format!("{note}{lines}");
        let met = Note::parse(cosigned.as_bytes())
            .map(|n| self.config.policy.check(&n).met)
            .unwrap_or(false);
        let newer =
            met && self.view.lock().is_ok_and(|v| v.cosigned_size.is_none_or(|s| s <= size));
        let publish = newer.then_some((cosigned, size));
        if changed || publish.is_some() {
            self.save(publish).await;
        }
        met
    }

    /// A standby's round: the newest cosigned checkpoint the sequencer
    /// kept, if newer than the one shown.
    async fn follow(&self) {
        let kept = self.kept.clone();
        let newest = tokio::task::spawn_blocking(move || {
            kept.lock()
                .map_err(|_| ledger::LedgerError::Corrupt("cosigned table lock".into()))?
                .latest()
        })
        .await;
        match newest {
            Ok(Ok(Some(c))) => {
                if let Ok(mut view) = self.view.lock()
                    && view.cosigned_size.is_none_or(|s| s < c.size)
                {
                    view.cosigned = Some(c.note);
                    view.cosigned_size = Some(c.size);
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "couldn't read the cosigned checkpoints"),
            Err(e) => tracing::warn!(error = %e, "couldn't read the cosigned checkpoints"),
        }
    }

    /// One witness, one checkpoint: the cosignature lines that verify.
    async fn ask(
        &self,
        readers: &Readers,
        url: &str,
        key: &CosignerKey,
        note: &str,
        size: u64,
        mut old: u64,
    ) -> Outcome {
        // A 409 names the witness's size: one more try from there.
        for _ in 0..2 {
            if old > size {
                return Outcome::Alarm(format!(
                    "the witness holds size {old}, above this log's {size}: it saw a longer history"
                ));
            }
            let proof: Vec<Hash> = if old == 0 || old == size {
                Vec::new()
            } else {
                match readers.quick(move |s| Ok(s.consistency_proof(old, size)?)).await {
                    Ok(p) => p,
                    Err(e) => return Outcome::Failed(format!("consistency proof: {e:?}")),
                }
            };
            let body =
                AddCheckpoint { old, proof, checkpoint: note.as_bytes().to_vec() }.to_bytes();
            let sent = self
                .http
                .post(format!("{}/add-checkpoint", url.trim_end_matches('/')))
                .body(body)
                .send()
                .await;
            let r = match sent {
                Ok(r) => r,
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            let status = r.status().as_u16();
            let text = match r.bytes().await {
                Ok(b) if b.len() <= 64 * 1024 => b,
                Ok(_) => return Outcome::Failed("answer too large".into()),
                Err(e) => return Outcome::Failed(e.to_string()),
            };
            match status {
                200 => {
                    let Ok(lines) = std::str::from_utf8(&text) else {
                        return Outcome::Failed("cosignature lines are not UTF-8".into());
                    };
                    return match verified_lines(note, lines, key) {
                        Some(l) => Outcome::Cosigned(l),
                        None => Outcome::Failed(
                            "no cosignature by the policy's key verified in the answer".into(),
                        ),
                    };
                }
                409 => match parse_size(&text) {
                    Ok(held) => {
                        old = held;
                        if let Ok(mut view) = self.view.lock()
                            && let Some(w) =
                                view.witnesses.values_mut().find(|w| w.key == key.vkey())
                        {
                            w.size = held;
                        }
                    }
                    Err(_) => return Outcome::Failed("409 without a size".into()),
                },
                422 => {
                    return Outcome::Alarm(format!(
                        "the witness refused checkpoint {size} as inconsistent with what it cosigned: {}",
                        String::from_utf8_lossy(&text).trim()
                    ));
                }
                other => {
                    return Outcome::Failed(format!(
                        "{other}: {}",
                        String::from_utf8_lossy(&text).trim()
                    ));
                }
            }
        }
        Outcome::Failed("the witness's size kept changing".into())
    }

    /// Saves the witnesses' sizes and, with `publish`, keeps a new cosigned
    /// checkpoint (`cosigned.db`, or the database's table) — which `/checkpoint` and `/v1/witnesses`
    /// show only once it is on disk, where bundles read it.
    async fn save(&self, publish: Option<(String, u64)>) {
        let Ok(view) = self.view.lock().map(|v| v.clone()) else { return };
        let state = Witnessed {
            format: ledger::witnessed::FORMAT_V1.into(),
            sizes: view.witnesses.iter().map(|(n, w)| (n.clone(), w.size)).collect(),
            cosigned: None,
        };
        let dir = self.dir.clone();
        let (new, kept) = (publish.clone(), self.kept.clone());
        let saved = tokio::task::spawn_blocking(move || {
            if let Some((note, size)) = &new {
                let table = kept
                    .lock()
                    .map_err(|_| ledger::LedgerError::Corrupt("cosigned table lock".into()))?;
                table.insert(*size, note, ledger::Clock::now_ms(&ledger::SystemClock))?;
            }
            state.save(&dir)
        })
        .await;
        match saved {
            Ok(Ok(())) => {
                if let Some((note, size)) = publish
                    && let Ok(mut view) = self.view.lock()
                {
                    view.cosigned = Some(note);
                    view.cosigned_size = Some(size);
                }
            }
            Ok(Err(e)) => tracing::error!(error = %e, "couldn't save the witness state"),
            Err(e) => tracing::error!(error = %e, "couldn't save the witness state"),
        }
    }
}

/// The lines of `answer` that are valid cosignatures of `note` by `key`.
fn verified_lines(note: &str, answer: &str, key: &CosignerKey) -> Option<String> {
    let mut kept = String::new();
    for line in answer.split_inclusive('\n') {
        if !line.ends_with('\n') {
            continue;
        }
        let one = format!("{note}{line}");
        if Note::parse(one.as_bytes()).is_ok_and(|n| key.verify(&n).is_ok()) {
            kept += line;
        }
    }
    (!kept.is_empty()).then_some(kept)
}
