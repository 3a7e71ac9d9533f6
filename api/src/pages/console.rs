//! The regulator's console: log health, the tenders (each with its stage,
//! violations and refusals), and a tender's timeline and compliance report,
//! violations first. For admin and supervisor tokens.
//!
//! The token is given once in a form and kept in a cookie the page's script
//! cannot read (`HttpOnly`), sent to `/console` only and never from another
//! site (`SameSite=Strict`); every request checks it against the token
//! store, so a revoked token ends the session at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use verifier::event::{Body, Event};
use verifier::rules::{Compliance, Outcome, Reading};

use super::{Nav, describe, error_page, page};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::{Caller, Role};

type Shared = State<Arc<AppState>>;

const COOKIE: &str = "tenderlog_console";
/// A console session lasts a working day.
const SESSION_SECS: u32 = 8 * 3600;
/// Tenders listed on the console's first page.
const TENDERS_LISTED: usize = 50;

/// The console's caller, from the session cookie: an admin or supervisor
/// whose token is still valid.
fn caller(state: &AppState, headers: &HeaderMap) -> Option<Caller> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))?;
    let caller = state.tokens.check(token).ok()??;
    matches!(caller.role, Role::Admin | Role::Supervisor).then_some(caller)
}

fn login_page(status: StatusCode, message: Option<&str>) -> Response {
    let body = html! {
        h1 { "监管台" br; span.en { "Regulator's console" } }
        p.lead { "请使用管理员或监管令牌登录。" br; span.en { "Sign in with an admin or supervisor token." } }
        @if let Some(m) = message { p.answer.bad { (m) } }
        form.login method="post" action="/console/login" {
            label for="token" { "令牌 Token" }
            input #token name="token" type="password" autocomplete="current-password" required;
            button type="submit" { "登录 Sign in" }
        }
        p.en { "令牌由平台管理员签发：tenderlog token create --role supervisor。 Tokens are issued by the platform's administrator: tenderlog token create --role supervisor." }
    };
    let mut r = page("监管台 Console", Nav::Console, false, body);
    *r.status_mut() = status;
    r
}

/// The login form's fields.
#[derive(serde::Deserialize)]
pub(crate) struct Login {
    token: String,
}

/// `POST /console/login`: checks the token and starts a session.
pub(crate) async fn login(State(state): Shared, Form(form): Form<Login>) -> Response {
    let token = form.token.trim();
    match state.tokens.check(token) {
        Ok(Some(c)) if matches!(c.role, Role::Admin | Role::Supervisor) => {
            let secure = if state.limits.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}{secure}"
            );
            match HeaderValue::from_str(&cookie) {
                Ok(v) => (
                    StatusCode::SEE_OTHER,
                    [(header::SET_COOKIE, v)],
                    [(header::LOCATION, "/console")],
                )
                    .into_response(),
                Err(_) => {
                    login_page(StatusCode::BAD_REQUEST, Some("令牌格式错误 That is not a token"))
                }
            }
        }
        Ok(Some(_)) => login_page(
            StatusCode::FORBIDDEN,
            Some(
                "此令牌无权查看监管台（需管理员或监管角色） This token's role may not read the console (it needs admin or supervisor)",
            ),
        ),
        Ok(None) => login_page(
            StatusCode::UNAUTHORIZED,
            Some("令牌无效或已撤销 The token is unknown or revoked"),
        ),
        Err(e) => {
            tracing::error!(error = %e, "token store");
            login_page(StatusCode::INTERNAL_SERVER_ERROR, Some("令牌库出错 The token store failed"))
        }
    }
}

/// `POST /console/logout`: ends the session.
pub(crate) async fn logout() -> Response {
    let cookie = format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0");
    (StatusCode::SEE_OTHER, [(header::SET_COOKIE, cookie)], [(header::LOCATION, "/console")])
        .into_response()
}

/// A tender as the console lists it.
struct TenderRow {
    tender: String,
    events: u64,
    latest: u64,
    stage: String,
    refusals: usize,
    compliance: Option<Compliance>,
}

fn count(c: &Compliance, o: Outcome) -> usize {
    c.verdicts.iter().filter(|v| v.outcome == o).count()
}

/// `GET /console`: log health and the tenders.
pub(crate) async fn home(State(state): Shared, headers: HeaderMap) -> Response {
    let Some(who) = caller(&state, &headers) else {
        return login_page(StatusCode::OK, None);
    };
    let rows = state
        .readers
        .with(|s| {
            let mut rows = Vec::new();
            let listed = ledger::storage::Lookups::tenders(s, usize::MAX)?
                .into_iter()
                .filter(|t| !verifier::event::reserved_tender(&t.tender))
                .take(TENDERS_LISTED);
            for t in listed {
                let events = tender_events(s, &t.tender)?;
                let stage = events.last().map(|(_, e)| describe(e)).unwrap_or_default();
                let refusals = events
                    .iter()
                    .filter(|(_, e)| matches!(e.body, Body::SubmissionRejected(_)))
                    .count();
                let compliance = s.compliance(&t.tender, Reading::default())?.map(|(_, c)| c);
                rows.push(TenderRow {
                    tender: t.tender,
                    events: t.events,
                    latest: t.latest,
                    stage,
                    refusals,
                    compliance,
                });
            }
            Ok(rows)
        })
        .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return error_page(e),
    };
    let health = health(&state).await;
    let body = html! {
        (session_bar(&who))
        h1 { "监管台" br; span.en { "Regulator's console" } }
        (health)
        section.tenders {
            h2 { "项目 Tenders" }
            @if rows.is_empty() { p { "暂无项目 No tenders yet." } }
            @else {
                table {
                    thead { tr {
                        th { "项目 Tender" } th { "当前阶段 Stage" } th { "事件 Events" }
                        th { "违规 Violations" } th { "无法判定 Undecided" } th { "拒收 Refusals" }
                    } }
                    tbody {
                        @for r in &rows {
                            @let fails = r.compliance.as_ref().map_or(0, |c| count(c, Outcome::Fail));
                            tr.(if fails > 0 { "fail" } else { "" }) {
                                td { a href={ "/console/tenders/" (r.tender) } { (r.tender) } }
                                td { (r.stage) " (" a href={ "/entries/" (r.latest) } { "#" (r.latest) } ")" }
                                td { (r.events) }
                                td.o { (fails) }
                                td { (r.compliance.as_ref().map_or(0, |c| count(c, Outcome::Indeterminate))) }
                                td { (r.refusals) }
                            }
                        }
                    }
                }
            }
        }
    };
    page("监管台 Console", Nav::Console, false, body)
}

fn session_bar(who: &Caller) -> Markup {
    html! {
        form.session method="post" action="/console/logout" {
            "已登录 Signed in: " b { (who.name) } " (" (who.role.as_str()) ") "
            button type="submit" { "退出 Sign out" }
        }
    }
}

/// The log's health: size, checkpoint age, the sequencer, TSA stamps,
/// witnesses and their alarms, and how to audit.
async fn health(state: &AppState) -> Markup {
    let status = state.sequencing.status();
    let size = status.tree_size.load(Ordering::SeqCst);
    let signed = status.signed_ms.load(Ordering::SeqCst);
    let age_s = ledger::Clock::now_ms(&ledger::SystemClock).saturating_sub(signed) / 1000;
    let stale = age_s > state.limits.health_max_age.as_secs();
    let stopped = status.stopped();
    let stamp = state
        .readers
        .quick(|s| {
            let Some(stamps) = s.stamps()? else { return Ok(None) };
            let Some(size) = stamps.latest_size()? else { return Ok(None) };
            Ok(stamps.get(size)?.map(|stamp| (size, stamp)))
        })
        .await
        .ok()
        .flatten();
    let witnesses = state.witnessing.as_ref().map(|w| w.view());
    html! {
        section.health {
            h2 { "日志状态 Log health" }
            dl {
                dt { "条目数 Entries" } dd { (size) }
                dt { "最新检查点 Latest checkpoint" }
                dd.(if stale { "bad" } else { "ok" }) { (age_s) " 秒前签名 s ago" @if stale { " — 超时 STALE" } }
                dt { "排序器 Sequencer" }
                dd.(if stopped.is_some() { "bad" } else { "ok" }) {
                    @match &stopped { Some(why) => { "已停止 STOPPED: " (why) }, None => { "运行中 running" } }
                }
                dt { "可信时间戳 TSA stamps" }
                dd {
                    @match &stamp {
                        Some((s, st)) => { "检查点 " (s) " 由 " (st.tsa) " 于 " (verifier::calendar::when(st.gen_ms)) " 盖时间戳 · checkpoint " (s) " stamped by " (st.tsa) },
                        None => { "尚无 none yet" },
                    }
                }
                dt { "见证 Witnesses" }
                dd {
                    @match &witnesses {
                        None => { "未配置 none configured (tenderlog serve --witness-policy FILE)" },
                        Some(v) => {
                            "法定人数 quorum " (v.quorum) " · 共同签名至 cosigned up to " (v.cosigned_size.map_or("—".to_owned(), |s| s.to_string()))
                            ul.witnesses {
                                @for (name, w) in &v.witnesses {
                                    li.(if w.alarm.is_some() { "bad" } else { "" }) {
                                        b { (name) } ": size " (w.size)
                                        @if let Some(a) = &w.alarm { " — 分叉告警 SPLIT-VIEW ALARM: " (a) }
                                        @if let Some(e) = &w.last_error { " — 最近错误 last error: " (e) }
                                    }
                                }
                            }
                        }
                    }
                }
                dt { "审计 Audit" }
                dd { "从另一台机器核查整个日志 From another machine: " code { "tenderlog audit --url <this server> --key <log.vkey>" } }
            }
        }
    }
}

fn tender_events(s: &ledger::Store, tender: &str) -> Result<Vec<(u64, Event)>, ApiError> {
    let mut out = Vec::new();
    for (_, index) in ledger::storage::Lookups::tender_events(s, tender)? {
        let event = super::stored_event(s, index)?;
        out.push((index, event));
    }
    Ok(out)
}

/// `GET /console/tenders/{id}`: a tender's compliance report (violations
/// first), its refusals and its timeline.
pub(crate) async fn tender(
    State(state): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(who) = caller(&state, &headers) else {
        return login_page(StatusCode::UNAUTHORIZED, Some("请先登录 Sign in first"));
    };
    if id.is_empty() || id.len() > verifier::event::MAX_TENDER_ID_BYTES {
        return error_page(ApiError::new(
            crate::error::Code::BadParameter,
            "tender ID must be 1-128 bytes",
        ));
    }
    let t = id.clone();
    let found = state
        .readers
        .with(move |s| {
            let events = tender_events(s, &t)?;
            let compliance = s.compliance(&t, Reading::default())?.map(|(_, c)| c);
            Ok((events, compliance))
        })
        .await;
    let (events, compliance) = match found {
        Ok(f) => f,
        Err(e) => return error_page(e),
    };
    if events.is_empty() {
        return error_page(ApiError::new(
            crate::error::Code::NotFound,
            format!("no events for tender {id:?}"),
        ));
    }
    let refusals: Vec<_> =
        events.iter().filter(|(_, e)| matches!(e.body, Body::SubmissionRejected(_))).collect();
    let body = html! {
        (session_bar(&who))
        p { a href="/console" { "← 全部项目 All tenders" } }
        @if let Some(c) = &compliance { section.compliance { (c.to_fragment(true)) } }
        section.refusals {
            h2 { "拒收 Refusals (" (refusals.len()) ")" }
            @if refusals.is_empty() { p { "无 None." } }
            ul { @for (i, e) in &refusals {
                li { a href={ "/entries/" (i) } { "#" (i) } " · " (verifier::calendar::when(e.received_ms)) " · " (e.principal) " · "
                    @if let Body::SubmissionRejected(r) = &e.body { (r.check) ": " (r.reason) } }
            } }
        }
        section.timeline {
            h2 { "时间线 Timeline (" (events.len()) ")" }
            table {
                thead { tr { th { "条目 Entry" } th { "平台接收时间 Received" } th { "提交人 Filed by" } th { "事件 Event" } } }
                tbody {
                    @for (i, e) in &events {
                        tr.(if matches!(e.body, Body::SubmissionRejected(_)) { "fail" } else { "" }) {
                            td { a href={ "/entries/" (i) } { (i) } }
                            td { (verifier::calendar::when(e.received_ms)) }
                            td { (e.principal) }
                            td { (describe(e)) }
                        }
                    }
                }
            }
        }
        p { a href={ "/v1/bundles?tender=" (id) } download { "下载项目证据包 Download the tender's evidence bundle" } }
    };
    page(&format!("{id} — 监管台 Console"), Nav::Console, false, body)
}
