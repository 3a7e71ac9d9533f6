//! The appender's one batching loop: submissions larger than a batch are
//! split across batches and answered in order, each with a checkpoint that
//! covers it; a duplicate in the same submission gets the first entry; what
//! was acknowledged is there after a shutdown and reopen.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ledger::{Appender, AppenderConfig, Ledger, ManualClock};
use verifier::event::{Body, Content, Schedule};

fn content(i: u64) -> Content {
    Content {
        tender: format!("T-{}", i % 2),
        principal: "agency".into(),
        // Deadlines after the clock: a schedule change is refused once its
        // deadline has passed.
        body: Body::Schedule(Schedule::new(10_000 + i, 10_000 + i)),
    }
}

#[test]
fn batches_are_split_and_answered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "appender.tenderlog.example/log", &ManualClock::new(1)).unwrap();
    let clock = Arc::new(ManualClock::new(1_000));
    let config = AppenderConfig {
        clock: clock.clone(),
        max_batch: 3,
        stamp_checkpoints: false,
        ..AppenderConfig::default()
    };
    let appender = Appender::open(dir.path(), config).unwrap();
    // Ten new contents, then the fourth again: eleven answers, in order.
    let mut batch: Vec<Content> = (0..10).map(content).collect();
    batch.push(content(3));
    let answers = appender.append(batch).unwrap();
    assert_eq!(answers.len(), 11);
    let mut sizes = Vec::new();
    for (i, a) in answers.iter().take(10).enumerate() {
        let c = a.as_ref().unwrap();
        assert_eq!((c.appended.index, c.appended.duplicate), (i as u64, false));
        let size = c.checkpoint.checkpoint.size;
        assert!(size > c.appended.index, "entry {i} answered with checkpoint {size}");
        sizes.push(size);
    }
    // Split into batches of at most three, each with its own checkpoint.
    assert_eq!(sizes, [3, 3, 3, 6, 6, 6, 9, 9, 9, 10]);
    let again = answers[10].as_ref().unwrap();
    assert_eq!((again.appended.index, again.appended.duplicate), (3, true));
    assert_eq!(appender.status().tree_size.load(std::sync::atomic::Ordering::SeqCst), 10);
    assert_eq!(appender.shutdown(), None);
    drop(appender);

    let ledger = Ledger::open(dir.path(), clock).unwrap();
    assert_eq!(ledger.size(), 10);
    assert_eq!(ledger.latest_checkpoint().checkpoint.size, 10);
}
