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
