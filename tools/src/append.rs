//! `tenderlog append`: JSON lines in, one receipt line out per event.

use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::Context as _;
use ledger::{Appender, AppenderConfig, SubmitError, Ticket};
use serde_json::json;
use verifier::event::{Request, Submission};

/// Longest input line accepted.
const MAX_LINE_BYTES: usize = 1 << 20;

type Line = (u64, Result<Request, String>);
/// A line handed to the appender, or the reason it could not be.
type Queued = (u64, Result<Ticket, String>);

fn read_lines(input: Box<dyn Read + Send>, principal: String, tx: mpsc::SyncSender<Line>) {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        line_no += 1;
        let n = match (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send((line_no, Err(format!("couldn't read input: {e}"))));
                return;
            }
        };
        if n == 0 {
            return;
        }
        let item = if buf.len() > MAX_LINE_BYTES {
            Err(format!("line is longer than {MAX_LINE_BYTES} bytes"))
        } else if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            Submission::from_json(&buf)
                .and_then(|s| s.into_request(Some(&principal)))
                .map_err(|e| e.to_string())
        };
        let stop = item.is_err();
        if tx.send((line_no, item)).is_err() || stop {
            return;
        }
    }
}

/// Admits and queues each line in order (so the sequencer batches them),
/// handing the tickets on; stops at the first line that cannot be read or
/// queued, or once `stop` is set.
fn queue_lines(
    appender: &Appender,
    lines: mpsc::Receiver<Line>,
    tickets: mpsc::SyncSender<Queued>,
    stop: &AtomicBool,
) {
    for (n, item) in lines {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let queued =
            item.and_then(|c| appender.submit(appender.admit(c)).map_err(|e| e.to_string()));
        let last = queued.is_err();
        if tickets.send((n, queued)).is_err() || last {
            return;
        }
    }
}

pub(crate) fn run(
    dir: &Path,
    file: Option<&Path>,
    principal: &str,
    batch: usize,
) -> anyhow::Result<()> {
    let appender = Appender::open(
        dir,
        AppenderConfig { max_batch: batch, queue: batch * 2, ..AppenderConfig::default() },
    )?;
    let input: Box<dyn Read + Send> = match file {
        None => Box::new(std::io::stdin()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin()),
        Some(p) => Box::new(
            std::fs::File::open(p).with_context(|| format!("couldn't open {}", p.display()))?,
        ),
    };
    let (line_tx, line_rx) = mpsc::sync_channel::<Line>(batch * 2);
    let principal = principal.to_owned();
    std::thread::spawn(move || read_lines(input, principal, line_tx));

    let mut out = std::io::stdout().lock();
    let mut failure: Option<(u64, String)> = None;
    let mut refused: Vec<(u64, String)> = Vec::new();
    let mut appended = 0u64;
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (ticket_tx, ticket_rx) = mpsc::sync_channel::<Queued>(batch * 2);
        let (app, stop) = (&appender, &stop);
        scope.spawn(move || queue_lines(app, line_rx, ticket_tx, stop));
        // Every ticket handed over is answered and printed, even after a
        // refusal: what was queued is logged.
        for (n, queued) in ticket_rx {
            let ticket = match queued {
                Ok(t) => t,
                Err(e) => {
                    failure = Some((n, e));
                    continue;
                }
            };
            match ticket.wait_blocking() {
                Ok(c) => {
                    let a = c.appended;
                    appended += u64::from(!a.duplicate);
                    let mut line = json!({
                        "line": n,
                        "index": a.index,
                        "leaf_hash": a.leaf_hash,
                        "checkpoint_size": c.checkpoint.checkpoint.size,
                        "duplicate": a.duplicate,
                    });
                    // A sealed document's opening: the body of its reveal.
                    if let Some(o) = c.opening {
                        line["sealed"] = serde_json::to_value(o)?;
                    }
                    serde_json::to_writer(&mut out, &line)?;
                    writeln!(out)?;
                }
                Err(SubmitError::Refused { refused: r, checkpoint }) => {
                    // Refused by the ledger's own checks (e.g. a certificate
                    // no trusted CA issued, a signature that does not
                    // verify). A refused document's rejection is logged:
                    // print its receipt too.
                    if let Some(a) = r.logged {
                        let mut line = json!({
                            "line": n,
                            "rejected": r.error.to_string(),
                            "index": a.index,
                            "leaf_hash": a.leaf_hash,
                            "checkpoint_size": checkpoint.checkpoint.size,
                            "duplicate": a.duplicate,
                        });
                        // A sealed refusal's opening: links it to the file.
                        if let Some(o) = &r.opening {
                            line["sealed"] = serde_json::to_value(o)?;
                        }
                        serde_json::to_writer(&mut out, &line)?;
                        writeln!(out)?;
                    }
                    refused.push((n, r.to_string()));
                    stop.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    failure = Some((n, e.to_string()));
                    stop.store(true, Ordering::SeqCst);
                }
            }
            out.flush()?;
        }
        Ok(())
    })?;
    let stopped = appender.shutdown();
    if !refused.is_empty() {
        let list: Vec<String> = refused.iter().map(|(n, r)| format!("line {n}: {r}")).collect();
        anyhow::bail!(
            "{}\nthe other lines read so far were appended ({appended} new entries); input after them was not read\nhint: fix the refused lines and append again (logged lines are recognised as duplicates)",
            list.join("\n")
        );
    }
    if let Some((line, reason)) = failure {
        anyhow::bail!(
            "line {line}: {reason}\n{appended} new entries from the lines before it were appended; nothing from line {line} on was\nhint: fix line {line} and append the rest again (already logged lines are recognised as duplicates)"
        );
    }
    if let Some(why) = stopped {
        anyhow::bail!("the sequencer stopped: {why}");
    }
    Ok(())
}
