//! `tenderlog witness …`: the witness a supervising department runs on its
//! own machine, with its own keys and state (`ledger::witness`), to cosign
//! a log's checkpoints only while they stay consistent.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;

/// `tenderlog witness …`
#[derive(Subcommand, Debug)]
pub(crate) enum WitnessCommand {
    /// Make a witness: its keys (Ed25519 and ML-DSA-44, mode 0600), an empty
    /// list of logs and its state, in DIR; prints its verifier keys.
    ///
    /// Give the keys to the log operators (for their witness policy) and to
    /// whoever verifies bundles (`tenderlog-verify --policy`). Then add each
    /// log's verifier key to DIR/logs as a line `log <vkey>` and start
    /// `tenderlog witness serve`.
    Init {
        /// The witness directory (kept apart from any log's data).
        #[arg(long, env = "TENDERLOG_WITNESS_DIR")]
        dir: PathBuf,
        /// The witness's name, a schema-less URL, e.g. `witness.fgw.example.gov.cn`.
        #[arg(long)]
        name: String,
        /// Print the keys as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve the witness (C2SP tlog-witness) until SIGINT or SIGTERM.
    ///
    /// POST /add-checkpoint cosigns a checkpoint consistent with the last one
    /// it cosigned for that log; GET /status shows every log's latest
    /// checkpoint and any split-view evidence; GET /metrics for Prometheus.
    /// SIGHUP rereads DIR/logs.
    Serve {
        /// The witness directory.
        #[arg(long, env = "TENDERLOG_WITNESS_DIR")]
        dir: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Print the witness's verifier keys.
    Keys {
        /// The witness directory.
        #[arg(long, env = "TENDERLOG_WITNESS_DIR")]
        dir: PathBuf,
    },
}

pub(crate) fn run(cmd: WitnessCommand) -> anyhow::Result<()> {
    match cmd {
        WitnessCommand::Init { dir, name, json } => {
            let keys = ledger::witness::init(&dir, &name)
                .with_context(|| format!("couldn't make a witness in {}", dir.display()))?;
            let vkeys: Vec<String> = keys.iter().map(|k| k.vkey()).collect();
            if json {
                println!("{}", serde_json::json!({ "name": name, "keys": vkeys }));
            } else {
                for k in &keys {
                    println!("{}", k.vkey());
                }
                eprintln!(
                    "tenderlog: witness {name} made in {}\n  keys: Ed25519 and ML-DSA-44, in {} (mode 0600; keep them secret and backed up)\n  next: add each log as a line `log <its verifier key>` to {}, then `tenderlog witness serve --dir {}`",
                    dir.display(),
                    dir.join(ledger::witness::KEY_FILE).display(),
                    dir.join(ledger::witness::LOGS_FILE).display(),
                    dir.display()
                );
            }
            Ok(())
        }
        WitnessCommand::Keys { dir } => {
            let keys = ledger::keys::load_cosigners(&dir.join(ledger::witness::KEY_FILE))?;
            for k in keys {
                println!("{}", k.public().vkey());
            }
            Ok(())
        }
        WitnessCommand::Serve { dir, listen, quiet } => {
            crate::serve::init_tracing(false);
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut config = api::witness::WitnessConfig::new(dir.clone());
                config.listen = listen;
                let running =
                    api::witness::start_witness(config, crate::serve::shutdown_signal()).await?;
                if !quiet {
                    eprintln!(
                        "tenderlog: witness {} serving {} on http://{}\n  status: http://{}/status",
                        running.witness.name(),
                        dir.display(),
                        running.addr,
                        running.addr
                    );
                }
                #[cfg(unix)]
                {
                    let witness = running.witness.clone();
                    let mut hup =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
                    tokio::spawn(async move {
                        while hup.recv().await.is_some() {
                            match witness.reload() {
                                Ok(n) => tracing::info!(logs = n, "reloaded the list of logs"),
                                Err(e) => tracing::error!(error = %e, "kept the list of logs: the file does not parse"),
                            }
                        }
                    });
                }
                running.task.await.context("the witness task failed")?;
                Ok(())
            })
        }
    }
}
