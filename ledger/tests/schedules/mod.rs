//! Test logs filled with schedule changes: events every log takes (no
//! signatures, no rule pack), appended through the real appender in
//! batches of two.

use std::path::Path;
use std::sync::Arc;

use ledger::{Appender, AppenderConfig, ManualClock};
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::{Body, Content, Schedule};

/// Schedule change `i` of `tender`, its times far in the future.
pub(crate) fn content(tender: &str, i: u64) -> Content {
    let when = 1_900_000_000_000 + i;
    Content {
        tender: tender.into(),
        principal: "agency".into(),
        body: Body::Schedule(Schedule::new(when, when)),
    }
}

/// Appends changes `from..from + n` of `tender` at `now_ms`; returns the
/// checkpoints answered.
pub(crate) fn append(
    dir: &Path,
    tender: &str,
    now_ms: u64,
    from: u64,
    n: u64,
) -> Vec<SignedCheckpoint> {
    let config = AppenderConfig {
        clock: Arc::new(ManualClock::new(now_ms)),
        max_batch: 2,
        stamp_checkpoints: false,
        ..AppenderConfig::default()
    };
    let appender = Appender::open(dir, config).unwrap();
    let answers = appender.append((from..from + n).map(|i| content(tender, i)).collect()).unwrap();
    assert_eq!(appender.shutdown(), None);
    answers.into_iter().map(|a| (*a.unwrap().checkpoint).clone()).collect()
}
