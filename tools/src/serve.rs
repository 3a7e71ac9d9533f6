//! `tenderlog serve` and `tenderlog token`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use api::ServerConfig;
use api::tokens::Role;
use clap::{Args, Subcommand};
use ledger::SystemClock;
use serde::Deserialize;

/// Flags of `tenderlog serve`; each may also come from the environment or the
/// config file (flag > environment > file > default).
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The data directory; created and initialised on first run.
    #[arg(long, env = "TENDERLOG_DATA")]
    data: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TENDERLOG_LISTEN")]
    listen: Option<SocketAddr>,
    /// Origin for a log created on first run [default: tenderlog.local/log].
    #[arg(long, env = "TENDERLOG_ORIGIN")]
    origin: Option<String>,
    /// TOML file with any of: data, listen, origin, max_batch, queue,
    /// heartbeat_secs, body_limit_bytes, health_max_age_secs,
    /// header_timeout_secs, body_timeout_secs, max_connections,
    /// max_connections_per_address, rate_writes_per_token,
    /// rate_heavy_per_address, tls_cert, tls_key, log_format, tsa_urls (a
    /// list), witness_policy, witness_timeout_ms, public_url.
    #[arg(long, env = "TENDERLOG_CONFIG")]
    config: Option<PathBuf>,
    /// Most entries per batch [default: 4096].
    #[arg(long, env = "TENDERLOG_MAX_BATCH")]
    max_batch: Option<usize>,
    /// Most queued submissions before answering 503 [default: 65536].
    #[arg(long, env = "TENDERLOG_QUEUE")]
    queue: Option<usize>,
    /// Re-sign the checkpoint after this many idle seconds [default: 10].
    #[arg(long, env = "TENDERLOG_HEARTBEAT_SECS")]
    heartbeat_secs: Option<u64>,
    /// Largest request body in bytes [default: 262144].
    #[arg(long, env = "TENDERLOG_BODY_LIMIT_BYTES")]
    body_limit_bytes: Option<usize>,
    /// /healthz fails when no checkpoint was signed for this long [default: 60].
    #[arg(long, env = "TENDERLOG_HEALTH_MAX_AGE_SECS")]
    health_max_age_secs: Option<u64>,
    /// A client must send a request's headers within this many seconds;
    /// idle keep-alive connections are closed after it [default: 10].
    #[arg(long, env = "TENDERLOG_HEADER_TIMEOUT_SECS")]
    header_timeout_secs: Option<u64>,
    /// A request body must arrive within this many seconds (408 otherwise)
    /// [default: 30].
    #[arg(long, env = "TENDERLOG_BODY_TIMEOUT_SECS")]
    body_timeout_secs: Option<u64>,
    /// Most connections served at once; keep it well below `ulimit -n`
    /// [default: 512].
    #[arg(long, env = "TENDERLOG_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Most connections one client address may hold; beyond it, 429. Behind
    /// a reverse proxy all clients share its address: raise this to
    /// max_connections and limit per client at the proxy [default: 128].
    #[arg(long, env = "TENDERLOG_MAX_CONNECTIONS_PER_ADDRESS")]
    max_connections_per_address: Option<usize>,
    /// Submissions per second one token may make (bursts to twice it);
    /// beyond it, 429 rate_limited with Retry-After. 0: no limit
    /// [default: 5000].
    #[arg(long, env = "TENDERLOG_RATE_WRITES_PER_TOKEN")]
    rate_writes_per_token: Option<u32>,
    /// Bundles, timelines and compliance reports per second one client
    /// address may fetch (bursts to twice it). 0: no limit [default: 10].
    #[arg(long, env = "TENDERLOG_RATE_HEAVY_PER_ADDRESS")]
    rate_heavy_per_address: Option<u32>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs
    /// --tls-key. Without both, plain HTTP (put a TLS proxy in front, or
    /// keep to loopback).
    #[arg(long, env = "TENDERLOG_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS #8, PKCS #1 or SEC 1).
    #[arg(long, env = "TENDERLOG_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Log lines as `text` or `json` [default: text].
    #[arg(long, env = "TENDERLOG_LOG_FORMAT")]
    log_format: Option<String>,
    /// An RFC 3161 TSA (http:// URL) that stamps every checkpoint and the
    /// documents that arrive without a required token; repeat for fallbacks,
    /// tried in order. Its root must be trusted (`tenderlog trust add-tsa`).
    /// [default: the data directory's local TSA, NOT accredited]
    #[arg(long = "tsa-url", env = "TENDERLOG_TSA_URL", value_delimiter = ',')]
    tsa_urls: Vec<String>,
    /// A witness policy (C2SP tlog-policy: `witness NAME VKEY URL` lines,
    /// `group NAME K MEMBERS…`, `quorum NAME`): each new checkpoint goes to
    /// every witness with a URL; once the quorum's cosignatures verify,
    /// /checkpoint serves the cosigned checkpoint and bundles are proved
    /// against it. Receipts never wait for it. Progress: GET /v1/witnesses.
    #[arg(long, env = "TENDERLOG_WITNESS_POLICY")]
    witness_policy: Option<PathBuf>,
    /// Each witness request's timeout in milliseconds [default: 2000].
    #[arg(long, env = "TENDERLOG_WITNESS_TIMEOUT_MS")]
    witness_timeout_ms: Option<u64>,
    /// Keep the log in this PostgreSQL database instead of the data
    /// directory's SQLite file: postgres://user@host/db or key=value
    /// settings (host=/run/postgresql dbname=tenderlog). The data directory
    /// still holds the keys. Move a log there first with
    /// `tenderlog migrate --from DIR --to postgres://…`.
    #[arg(long, env = "TENDERLOG_STORE")]
    store: Option<String>,
    /// With --store: where the other front-ends of the log reach this one,
    /// e.g. http://10.0.0.5:8080 [default: this server's scheme and listen
    /// address]. Every front-end serves reads; the one holding the
    /// database's sequencer lock appends, and the others forward
    /// submissions to it and take over within seconds when it stops.
    #[arg(long, env = "TENDERLOG_ADVERTISE_URL", requires = "store")]
    advertise_url: Option<String>,
    /// The public address of the pages, e.g. https://ggzy.example.gov.cn:
    /// evidence certificates' QR codes link to {public_url}/entries/{index}
    /// [default: this server's scheme and listen address].
    #[arg(long, env = "TENDERLOG_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    store: Option<String>,
    advertise_url: Option<String>,
    listen: Option<SocketAddr>,
    origin: Option<String>,
    max_batch: Option<usize>,
    queue: Option<usize>,
    heartbeat_secs: Option<u64>,
    body_limit_bytes: Option<usize>,
    health_max_age_secs: Option<u64>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    rate_writes_per_token: Option<u32>,
    rate_heavy_per_address: Option<u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    log_format: Option<String>,
    tsa_urls: Option<Vec<String>>,
    witness_policy: Option<PathBuf>,
    witness_timeout_ms: Option<u64>,
    public_url: Option<String>,
}

pub(crate) fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file: FileConfig = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("couldn't read config file {}", p.display()))?;
            toml::from_str(&text)
                .with_context(|| format!("couldn't parse config file {}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let data = args.data.or(file.data).unwrap_or_else(|| PathBuf::from("tenderlog-data"));
    let mut config = ServerConfig::new(data.clone());
    if let Some(l) = args.listen.or(file.listen) {
        config.listen = l;
    }
    if let Some(n) = args.max_batch.or(file.max_batch) {
        anyhow::ensure!((1..=65_536).contains(&n), "max_batch must be 1..=65536");
        config.appender.max_batch = n;
    }
    if let Some(n) = args.queue.or(file.queue) {
        anyhow::ensure!(n >= 1, "queue must be at least 1");
        config.appender.queue = n;
    }
    if let Some(s) = args.heartbeat_secs.or(file.heartbeat_secs) {
        anyhow::ensure!(s >= 1, "heartbeat_secs must be at least 1");
        config.appender.heartbeat = Duration::from_secs(s);
    }
    if let Some(n) = args.body_limit_bytes.or(file.body_limit_bytes) {
        config.body_bytes = n;
    }
    if let Some(s) = args.health_max_age_secs.or(file.health_max_age_secs) {
        config.health_max_age = Duration::from_secs(s);
    }
    if let Some(s) = args.header_timeout_secs.or(file.header_timeout_secs) {
        anyhow::ensure!(s >= 1, "header_timeout_secs must be at least 1");
        config.header_timeout = Duration::from_secs(s);
    }
    if let Some(s) = args.body_timeout_secs.or(file.body_timeout_secs) {
        anyhow::ensure!(s >= 1, "body_timeout_secs must be at least 1");
        config.body_timeout = Duration::from_secs(s);
    }
    if let Some(n) = args.max_connections.or(file.max_connections) {
        anyhow::ensure!(n >= 1, "max_connections must be at least 1");
        config.max_connections = n;
    }
    if let Some(n) = args.max_connections_per_address.or(file.max_connections_per_address) {
        anyhow::ensure!(n >= 1, "max_connections_per_address must be at least 1");
        config.max_connections_per_address = n;
    }
    if let Some(n) = args.rate_writes_per_token.or(file.rate_writes_per_token) {
        config.rate_writes_per_token = n;
    }
    if let Some(n) = args.rate_heavy_per_address.or(file.rate_heavy_per_address) {
        config.rate_heavy_per_address = n;
    }
    config.tls = match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(api::tls::TlsFiles { cert, key }),
        (None, None) => None,
        _ => anyhow::bail!("give both tls_cert and tls_key, or neither"),
    };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    if let Some(path) = args.witness_policy.or(file.witness_policy) {
        let policy = crate::inspect::read_witness_policy(&path)?;
        anyhow::ensure!(
            policy.witnesses.values().any(|(_, url)| url.is_some()),
            "the witness policy {} gives no witness a URL: add one to each `witness NAME VKEY URL` line",
            path.display()
        );
        let timeout = args.witness_timeout_ms.or(file.witness_timeout_ms).unwrap_or(2000);
        anyhow::ensure!(timeout >= 1, "witness_timeout_ms must be at least 1");
        config.witnessing = Some(api::witnessing::WitnessingConfig {
            policy: std::sync::Arc::new(policy),
            timeout: Duration::from_millis(timeout),
        });
    }
    config.public_url = args.public_url.or(file.public_url);
    config.advertise_url = args.advertise_url.or(file.advertise_url);
    config.appender.tsa_urls =
        if args.tsa_urls.is_empty() { file.tsa_urls.unwrap_or_default() } else { args.tsa_urls };
    let json_logs = match args.log_format.or(file.log_format).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => anyhow::bail!("log_format must be text or json, not {other:?}"),
    };
    init_tracing(json_logs);

    config.appender.postgres = args.store.or(file.store).filter(|s| !s.trim().is_empty());
    if let Some(url) = &config.appender.postgres {
        anyhow::ensure!(
            ledger::store::key_path(&data).is_file(),
            "the data directory {} holds no log key, so this server cannot sign for the log in PostgreSQL\n  \
             a new log: tenderlog init --data {0} --store <URL>\n  \
             another front-end of the same log: copy the data directory's keys (log.key, log.vkey, log-mldsa44.*) and trust folders here",
            data.display()
        );
        ledger::postgres::meta_of(url).with_context(|| {
            format!(
                "couldn't open the log in PostgreSQL\n  hint: make one with tenderlog init --data {0} --store <URL>, or copy a log there with tenderlog migrate --from <DIR> --to <URL>",
                data.display()
            )
        })?;
    } else if !ledger::store::db_path(&data).exists() {
        let origin = args.origin.or(file.origin).unwrap_or_else(|| "tenderlog.local/log".into());
        let vkey = ledger::init(&data, &origin, &SystemClock)?;
        // A new log starts with the shipped rules in force, as `init` does.
        let (pack, calendar) = crate::inspect::shipped_rules(&(&data).into())?;
        eprintln!(
            "tenderlog: created a new log in {}\n  verifier key: {}\n  signing key:  {} (mode 0600; keep it secret and backed up)\n  rules: the shipped rule pack (entry {}) and holiday calendar (entry {}) are in force (`tenderlog init --rules none` first for a log that takes unsigned documents)",
            data.display(),
            vkey.vkey(),
            ledger::store::key_path(&data).display(),
            pack.appended.index,
            calendar.appended.index
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let running = api::start(config, shutdown_signal()).await?;
        eprintln!(
            "tenderlog: serving {} on {scheme}://{}\n  make a token: tenderlog token create --data {} --name <principal> --role submitter",
            data.display(),
            running.addr,
            data.display()
        );
        running.task.await.context("the server task failed")??;
        eprintln!("tenderlog: stopped; every acknowledged entry is committed");
        Ok(())
    })
}

pub(crate) fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TENDERLOG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file keeps plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests and the batch in flight");
}

/// `tenderlog token ...`
#[derive(Subcommand, Debug)]
pub(crate) enum TokenCommand {
    /// Make a bearer token and print it (once: only its hash is stored).
    Create {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The PostgreSQL database holding the log (its tokens are shared by
        /// every front-end), as `serve --store`.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
        /// The principal its submissions are recorded under, e.g. agency-01.
        #[arg(long)]
        name: String,
        /// submitter (may POST /v1/events), supervisor (may read the
        /// regulator's console at /console) or admin (everything).
        #[arg(long, default_value = "submitter")]
        role: String,
        /// Issue another token for a principal that already has one (a
        /// rotation: revoke the old one after). Without it an existing name
        /// is refused, and so, always, is a name that looks like another's.
        #[arg(long)]
        reissue: bool,
    },
    /// List tokens (IDs, names, roles; never secrets).
    List {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The PostgreSQL database holding the log, as `serve --store`.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
    },
    /// Revoke a token by its ID (the hex part after `tlk_`).
    Revoke {
        /// The data directory.
        #[arg(long, env = "TENDERLOG_DATA", default_value = "tenderlog-data")]
        data: PathBuf,
        /// The PostgreSQL database holding the log, as `serve --store`.
        #[arg(long, env = "TENDERLOG_STORE")]
        store: Option<String>,
        /// The token ID.
        id: String,
    },
}

/// A data directory of a log: its SQLite store, or the keys of a log kept
/// in PostgreSQL.
fn need_store(dir: &Path) -> anyhow::Result<()> {
    if !ledger::store::db_path(dir).exists() && !ledger::store::key_path(dir).exists() {
        return Err(ledger::LedgerError::NoStore { dir: dir.to_owned() }.into());
    }
    Ok(())
}

pub(crate) fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { data, store, name, role, reissue } => {
            need_store(&data)?;
            let data = ledger::Location::new(&data, store.as_deref());
            let role = Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("--role must be submitter, admin or supervisor"))?;
            let token = if reissue {
                api::tokens::reissue(&data, &name, role)?
            } else {
                api::tokens::create(&data, &name, role)?
            };
            println!("{token}");
            eprintln!(
                "tenderlog: token for {name:?} ({}) — shown once; send it as `Authorization: Bearer <token>`",
                role.as_str()
            );
        }
        TokenCommand::List { data, store } => {
            need_store(&data)?;
            let data = ledger::Location::new(&data, store.as_deref());
            println!("{}", serde_json::to_string_pretty(&api::tokens::list(&data)?)?);
        }
        TokenCommand::Revoke { data, store, id } => {
            need_store(&data)?;
            let data = ledger::Location::new(&data, store.as_deref());
            api::tokens::revoke(&data, &id)?;
            eprintln!("tenderlog: revoked {id}");
        }
    }
    Ok(())
}
