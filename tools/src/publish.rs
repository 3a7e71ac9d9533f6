//! `tenderlog publish`: the log's read path as static C2SP tiles in a
//! folder, once or continuously (see `ledger::publish`).

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use ledger::Store;
use ledger::publish::{Published, Publisher};

/// Which checkpoint to publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Which {
    /// The newest checkpoint the log signed.
    Latest,
    /// The newest checkpoint its witnesses cosigned (the one `/checkpoint`
    /// serves when the server runs with a witness policy).
    Cosigned,
}

/// How to publish.
pub(crate) struct Options<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) out: &'a Path,
    pub(crate) which: Which,
    /// Publish again every this often, until stopped.
    pub(crate) watch: Option<Duration>,
    pub(crate) json: bool,
}

/// The checkpoint to publish: its note and size.
fn checkpoint(store: &Store, which: Which) -> anyhow::Result<(String, u64)> {
    let latest = store.latest_checkpoint()?;
    match which {
        Which::Latest => Ok((latest.note, latest.checkpoint.size)),
        Which::Cosigned => {
            let c = store.newest_cosigned()?.context(
                "the log has no cosigned checkpoint yet: run the server with --witness-policy, or publish --checkpoint latest",
            )?;
            // Only a checkpoint whose body this log signed at that size.
            let ours = store
                .checkpoint_at(c.size)?
                .with_context(|| format!("the log has no checkpoint of size {}", c.size))?;
            let body = |n: &str| verifier::note::Note::parse(n.as_bytes()).map(|n| n.text);
            anyhow::ensure!(
                body(&ours).ok() == body(&c.note).ok() && body(&ours).is_ok(),
                "the cosigned checkpoint of size {} is not the one this log signed",
                c.size
            );
            Ok((c.note, c.size))
        }
    }
}

/// Runs `tenderlog publish`.
pub(crate) fn run(o: &Options<'_>) -> anyhow::Result<()> {
    let store = Store::open(o.dir)?;
    let mut publisher = Publisher::new(o.out)?;
    let bar = crate::inspect::progress_bar("tiles", o.json);
    let mut last: Option<String> = None;
    loop {
        let (note, size) = checkpoint(&store, o.which)?;
        if last.as_deref() != Some(note.as_str()) {
            let r = publisher.publish(&store, &note, size, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })?;
            bar.finish_and_clear();
            say(o, &r, &store)?;
            last = Some(note);
        }
        match o.watch {
            Some(every) => std::thread::sleep(every),
            None => return Ok(()),
        }
    }
}

fn say(o: &Options<'_>, r: &Published, store: &Store) -> anyhow::Result<()> {
    if o.json {
        println!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    println!(
        "published the checkpoint of size {} to {}: {} tiles written ({} bytes){}",
        r.size,
        o.out.display(),
        r.written,
        r.bytes,
        if r.checkpoint_replaced { "" } else { ", checkpoint unchanged" }
    );
    if o.watch.is_none() {
        println!(
            "serve {} with any web server (nginx: root {};), then audit it from anywhere:\n  tenderlog audit --url http://HOST --key '{}'",
            o.out.display(),
            o.out.display(),
            store.verifier().vkey()
        );
    }
    Ok(())
}
