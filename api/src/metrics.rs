//! Prometheus metrics: appends, batch sizes, latencies, tree size.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Entries appended.
    pub appends: Counter,
    /// Submissions answered with an existing entry.
    pub duplicates: Counter,
    /// Submissions refused (bad content, overload).
    pub refused: Counter,
    /// Requests refused by a rate limit.
    pub rate_limited: Counter,
    /// Entries per committed batch.
    pub batch_size: Histogram,
    /// Seconds from a submission's arrival at the sequencer to its commit.
    pub append_seconds: Histogram,
    /// Seconds to serve a proof.
    pub proof_seconds: Histogram,
    /// Entries in the log.
    pub tree_size: Gauge,
    /// When the latest checkpoint was signed, seconds since the epoch.
    pub checkpoint_time: Gauge,
    /// Seconds from a checkpoint's signing to its cosigned form meeting the
    /// witness quorum.
    pub cosign_seconds: Histogram,
    /// Size of the newest checkpoint that met the witness quorum.
    pub cosigned_tree_size: Gauge,
    /// Witness alarms: a 422 (the witness saw another history) or a witness
    /// holding a size above the log's. Any increase needs a person.
    pub witness_alarms: Counter,
    /// Woken whenever a checkpoint is signed (a batch or a heartbeat): the
    /// witness client waits on it.
    pub signed: tokio::sync::Notify,
    /// When the latest checkpoint was signed (the witness client measures
    /// its cosigning latency from it).
    pub signed_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tenderlog");
        let m = Metrics {
            appends: Counter::default(),
            duplicates: Counter::default(),
            refused: Counter::default(),
            rate_limited: Counter::default(),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
            append_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
            proof_seconds: Histogram::new(exponential_buckets(0.00002, 2.0, 14)),
            tree_size: Gauge::default(),
            checkpoint_time: Gauge::default(),
            cosign_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            cosigned_tree_size: Gauge::default(),
            witness_alarms: Counter::default(),
            signed: tokio::sync::Notify::new(),
            signed_at: std::sync::Mutex::new(None),
            registry: Registry::default(),
        };
        registry.register("appends", "Entries appended", m.appends.clone());
        registry.register(
            "duplicates",
            "Submissions answered with an existing entry",
            m.duplicates.clone(),
        );
        registry.register("refused", "Submissions refused", m.refused.clone());
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit (429 rate_limited)",
            m.rate_limited.clone(),
        );
        registry.register("batch_size", "Entries per committed batch", m.batch_size.clone());
        registry.register(
            "append_seconds",
            "Seconds from a submission reaching the sequencer to its commit",
            m.append_seconds.clone(),
        );
        registry.register("proof_seconds", "Seconds to build a proof", m.proof_seconds.clone());
        registry.register("tree_size", "Entries in the log", m.tree_size.clone());
        registry.register(
            "checkpoint_time",
            "When the latest checkpoint was signed, seconds since the epoch",
            m.checkpoint_time.clone(),
        );
        registry.register(
            "cosign_seconds",
            "Seconds from a checkpoint's signing to its cosignatures meeting the witness quorum",
            m.cosign_seconds.clone(),
        );
        registry.register(
            "cosigned_tree_size",
            "Size of the newest checkpoint that met the witness quorum",
            m.cosigned_tree_size.clone(),
        );
        registry.register(
            "witness_alarms",
            "Witness alarms: a witness refused a checkpoint as inconsistent (422) or holds a size above the log's",
            m.witness_alarms.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// A checkpoint was signed just now: wakes the witness client.
    fn checkpoint_signed(&self) {
        if let Ok(mut at) = self.signed_at.lock() {
            *at = Some(std::time::Instant::now());
        }
        self.signed.notify_one();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl ledger::Observer for Metrics {
    fn batch(&self, report: &ledger::BatchReport) {
        self.appends.inc_by(report.appended);
        self.duplicates.inc_by(report.duplicates);
        self.refused.inc_by(report.refused);
        for w in &report.waits {
            self.append_seconds.observe(w.as_secs_f64());
        }
        self.batch_size.observe(report.appended as f64);
        self.tree_size.set(report.tree_size as i64);
        self.checkpoint_time.set((report.signed_ms / 1000) as i64);
        self.checkpoint_signed();
    }

    fn heartbeat(&self, signed_ms: u64) {
        self.checkpoint_time.set((signed_ms / 1000) as i64);
        self.checkpoint_signed();
    }
}
