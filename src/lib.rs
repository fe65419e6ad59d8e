//! ArgusAI's Worker: the entry points Cloudflare calls (`fetch` for HTTP,
//! `queue` for review jobs) and the routes of the front door. The logic lives in
//! the pure crates under `crates/`; this crate only adapts them to the platform.

mod alerts;
mod dashboard;
mod github_app;
mod platform;
mod respond;
mod review;
mod setup;
mod status;
mod web;
mod webhook;

use worker::{Context, Env, MessageBatch, Method, Request, Response, Result, event};

/// The per-pull-request coordinator class. Re-exported from the deployable crate
/// so the wasm linker keeps its exports (see ARCHITECTURE.md).
pub use argus_durable::PrCoordinator;
/// The per-repository index class (dashboard lists), kept for the same reason.
pub use argus_durable::Repository;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let path = req.path();
    let method = req.method();
    match (method, path.as_str()) {
        (Method::Post, "/webhooks/github") => webhook::handle(req, &env, &ctx).await,
        (_, "/webhooks/github") => method_not_allowed("POST"),
        (Method::Get, "/health") => health(&env),
        (_, "/health") => method_not_allowed("GET"),
        (Method::Get, p) if p.starts_with("/status/") => status::handle(&req, &env).await,
        (_, p) if p.starts_with("/status/") => method_not_allowed("GET"),
        (Method::Get, "/setup") => setup::page(&req, &env).await,
        (Method::Get, "/setup/callback") => setup::callback(&req, &env).await,
        (Method::Get, "/auth/login") => dashboard::login(&req, &env).await,
        (Method::Get, "/auth/callback") => dashboard::oauth_callback(&req, &env).await,
        (Method::Post, "/auth/logout") => dashboard::logout(req, &env).await,
        (Method::Get, p) if p == "/dashboard" || p.starts_with("/dashboard/") => dashboard::get(&req, &env).await,
        (Method::Post, p) if p.starts_with("/dashboard/") => dashboard::post(req, &env).await,
        _ => respond::error(404, "not found"),
    }
}

/// Review jobs, and the dead-letter queue's messages (told apart by the queue's
/// name inside the consumer); Slack/Discord alerts from their own queue.
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    // Notifications have their own queue and consumer (src/alerts.rs).
    if alerts::is_alert_queue(&batch.queue()) {
        return alerts::handle_batch(batch, &env).await;
    }
    // One ledger per invocation: the free plan's 50 subrequests are per invocation.
    let ledger = argus_core::subrequests::Subrequests::new();
    let pipeline = review::Pipeline::from_env(&env, &ledger).await;
    argus_durable::consumer::handle_batch(batch, &env, &pipeline, &ledger).await
}

fn method_not_allowed(allow: &str) -> Result<Response> {
    let mut resp = respond::error(405, &format!("method not allowed; use {allow}"))?;
    resp.headers_mut().set("allow", allow)?;
    Ok(resp)
}

/// `GET /health`: liveness plus what is configured (the same resolution the
/// reviews use), never a secret's value.
fn health(env: &Env) -> Result<Response> {
    respond::json(&serde_json::to_value(platform::config::settings(env).health())?, 200)
}
