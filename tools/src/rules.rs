//! `tenderlog report` and `tenderlog rules`: a tender's compliance report
//! from the log, and the same rules over a timeline not taken from a log.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use verifier::rules::{Compliance, MinimumPeriods, Reading};

use crate::CheckFailed;

/// How periods are read where the law is read two ways (DOMAIN.md §1.2).
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct ReadingArgs {
    /// How "at least N days" is counted: `calendar-dates` (the starting day
    /// is not counted, the last is: 民法典 art. 201) or `whole-days` (neither
    /// end day is counted).
    #[arg(long, value_enum, default_value = "calendar-dates")]
    minimum_periods: Periods,
    /// Let a minimum period whose last day is a rest day run on to the next
    /// working day (民法典 art. 203 read as applying to minimums, as many local
    /// rules do).
    #[arg(long)]
    extend_minimums: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum Periods {
    CalendarDates,
    WholeDays,
}

impl ReadingArgs {
    fn reading(self) -> Reading {
        Reading {
            minimum_periods: match self.minimum_periods {
                Periods::CalendarDates => MinimumPeriods::CalendarDates,
                Periods::WholeDays => MinimumPeriods::WholeDays,
            },
            extend_minimums_over_rest_days: self.extend_minimums,
        }
    }
}

/// The rules of the tender procedure.
#[derive(Subcommand, Debug)]
pub(crate) enum RulesCommand {
    /// Judge a timeline not taken from a log: a planned schedule, or a case.
    ///
    /// FILE (or - for stdin) is a JSON array, in time order, of
    ///
    ///   {"at": "2026-03-02T09:00:00+08:00",
    ///    "event": {"kind": "document", "tender": "ZB2026-001",
    ///              "principal": "agency-01",
    ///              "body": {"document_type": "tender_documents",
    ///                       "sha256": "<64 hex>", "size": 1,
    ///                       "media_type": "application/pdf"}}}
    ///
    /// where "event" is exactly a submission to POST /v1/events and "at"
    /// plays the platform's received time. Kinds: registration, schedule,
    /// document, sealed_document, reveal (its sealed.index is the position of
    /// the sealed filing in the timeline, from 0) and procedure (the steps
    /// after the opening). Exit status 1 when a rule is broken.
    Check {
        /// The timeline, or - for stdin.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long, conflicts_with = "html")]
        json: bool,
        /// Print the report as one HTML page (Chinese first, with English;
        /// no script, prints as it is): `> report.html`.
        #[arg(long)]
        html: bool,
        #[command(flatten)]
        reading: ReadingArgs,
    },
    /// List the rules: ID, article, what each requires.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `rules` subcommand.
pub(crate) fn rules(cmd: RulesCommand) -> anyhow::Result<()> {
    match cmd {
        RulesCommand::Check { file, json, html, reading } => {
            let text = read_input(&file)?;
            let timeline = verifier::rules::timeline::read(&text)
                .with_context(|| format!("couldn't read the timeline {}", file.display()))?;
            let calendar = verifier::calendar::Calendar::shipped();
            let pack = verifier::policy::RulePack::default_pack();
            let ctx = verifier::rules::Context {
                calendar: &calendar,
                reading: reading.reading(),
                pack: &pack,
                certs: None,
            };
            let c = verifier::rules::judge(&timeline.tender, &timeline.steps(), &ctx);
            let format = match (json, html) {
                (true, _) => Format::Json(serde_json::json!({ "compliance": c })),
                (_, true) => Format::Html,
                _ => Format::Text,
            };
            print(&c, format)
        }
        RulesCommand::List { json } => {
            let list: Vec<_> = verifier::rules::catalogue().collect();
            let mut out = std::io::stdout().lock();
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|(id, article, title)| {
                        serde_json::json!({"rule": id, "article": article, "title": title})
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                for (id, article, title) in list {
                    writeln!(out, "{id}  {title} ({article})")?;
                }
            }
            Ok(())
        }
    }
}

/// `tenderlog report`: the compliance report of a tender in the log.
pub(crate) fn report(
    data: &Path,
    tender: &str,
    json: bool,
    html: bool,
    reading: ReadingArgs,
) -> anyhow::Result<()> {
    let store = ledger::Store::open(data)?;
    let Some((size, c)) = store.compliance(tender, reading.reading())? else {
        anyhow::bail!(
            "tender {tender:?} has no events in the log's newest checkpoint; check the ID (`tenderlog bundle --tender` lists nothing either)"
        );
    };
    let format = match (json, html) {
        (true, _) => Format::Json(serde_json::json!({ "tree_size": size, "compliance": c })),
        (_, true) => Format::Html,
        _ => Format::Text,
    };
    print(&c, format)
}

/// How a report is printed.
enum Format {
    Text,
    /// This JSON document.
    Json(serde_json::Value),
    Html,
}

/// Prints the report; a broken rule is exit 1.
fn print(c: &Compliance, format: Format) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json(v) => {
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Html => out.write_all(c.to_html().as_bytes())?,
        Format::Text => out.write_all(c.to_text().as_bytes())?,
    }
    let broken = c.failures().count();
    if broken > 0 {
        return Err(
            CheckFailed(format!("{broken} rule(s) of the tender's procedure broken")).into()
        );
    }
    Ok(())
}

fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    let limit = verifier::rules::timeline::MAX_TIMELINE_BYTES as u64 + 1;
    let mut buf = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut buf)?;
    } else {
        std::fs::File::open(file)
            .with_context(|| format!("couldn't open {}", file.display()))?
            .take(limit)
            .read_to_end(&mut buf)?;
    }
    Ok(buf)
}
