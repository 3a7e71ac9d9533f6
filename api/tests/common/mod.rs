//! Helpers shared by the API's tests.
#![allow(dead_code, clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::Value;

/// `POST /v1/events` with `body` as `token`: the status and the JSON answer.
pub(crate) async fn post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/v1/events"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Starts the server on a free port with `config` (its `listen` is
/// replaced); returns it, its base URL, and the sender that stops it.
pub(crate) async fn start(
    mut config: api::ServerConfig,
) -> (api::Running, String, tokio::sync::oneshot::Sender<()>) {
    config.listen = "127.0.0.1:0".parse().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = api::start(config, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let base = format!("http://{}", running.addr);
    (running, base, stop)
}
