//! `tenderlog append`: JSON lines in, one receipt line out per event.

use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use anyhow::Context as _;
use ledger::{Ledger, SystemClock};
use serde_json::json;
use verifier::event::{Content, Submission};

/// Longest input line accepted.
const MAX_LINE_BYTES: usize = 1 << 20;

type Line = (u64, Result<Content, String>);

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
                .and_then(|s| s.into_content(Some(&principal)))
                .map_err(|e| e.to_string())
        };
        let stop = item.is_err();
        if tx.send((line_no, item)).is_err() || stop {
            return;
        }
    }
}

pub fn run(dir: &Path, file: Option<&Path>, principal: &str, batch: usize) -> anyhow::Result<()> {
    let mut ledger = Ledger::open(dir, Arc::new(SystemClock))?;
    let input: Box<dyn Read + Send> = match file {
        None => Box::new(std::io::stdin()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin()),
        Some(p) => Box::new(
            std::fs::File::open(p).with_context(|| format!("couldn't open {}", p.display()))?,
        ),
    };
    let (tx, rx) = mpsc::sync_channel::<Line>(batch * 2);
    let principal = principal.to_owned();
    std::thread::spawn(move || read_lines(input, principal, tx));

    let mut out = std::io::stdout().lock();
    let mut failure: Option<(u64, String)> = None;
    let mut refused: Vec<(u64, String)> = Vec::new();
    let mut appended = 0u64;
    'outer: while let Ok(first) = rx.recv() {
        let mut lines = vec![first];
        while lines.len() < batch {
            match rx.try_recv() {
                Ok(l) => lines.push(l),
                Err(_) => break,
            }
        }
        let mut numbers = Vec::with_capacity(lines.len());
        let mut contents = Vec::with_capacity(lines.len());
        for (n, item) in lines {
            match item {
                Ok(c) => {
                    numbers.push(n);
                    contents.push(c);
                }
                Err(e) => {
                    failure = Some((n, e));
                    break;
                }
            }
        }
        if !contents.is_empty() {
            let outcome = ledger.append(contents)?;
            let size = outcome.checkpoint.checkpoint.size;
            for ((n, r), opening) in numbers.into_iter().zip(outcome.results).zip(outcome.openings)
            {
                match r {
                    Ok(a) => {
                        appended += u64::from(!a.duplicate);
                        let mut line = json!({
                            "line": n,
                            "index": a.index,
                            "leaf_hash": a.leaf_hash,
                            "checkpoint_size": size,
                            "duplicate": a.duplicate,
                        });
                        // A sealed document's opening: the body of its reveal.
                        if let Some(o) = opening {
                            line["sealed"] = serde_json::to_value(o)?;
                        }
                        serde_json::to_writer(&mut out, &line)?;
                        writeln!(out)?;
                    }
                    Err(r) => {
                        // Refused by the ledger's own checks (e.g. a certificate
                        // no trusted CA issued, a signature that does not
                        // verify); the rest of the batch stands. A refused
                        // document's rejection is logged: print its receipt too.
                        if let Some(a) = r.logged {
                            serde_json::to_writer(
                                &mut out,
                                &json!({
                                    "line": n,
                                    "rejected": r.error.to_string(),
                                    "index": a.index,
                                    "leaf_hash": a.leaf_hash,
                                    "checkpoint_size": size,
                                    "duplicate": a.duplicate,
                                }),
                            )?;
                            writeln!(out)?;
                        }
                        refused.push((n, r.to_string()));
                    }
                }
            }
            out.flush()?;
        }
        if failure.is_some() || !refused.is_empty() {
            break 'outer;
        }
    }
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
    Ok(())
}
