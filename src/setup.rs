//! `GET /setup` and `GET /setup/callback`: create ArgusAI's GitHub App from a
//! manifest (argus-dashboard `app` and `setup` decide and render; this is the
//! shell). The manifest round trip is bound to the browser by a random `state`
//! in a cookie. The callback exchanges GitHub's code and shows the App's
//! credentials once: nothing is stored, and nothing secret is logged.
//!
//! Once an App is configured (`GITHUB_APP_ID` is set), both routes answer 404
//! unless the operator presents `SETUP_TOKEN` (`?token=` or a bearer header;
//! the callback is reached only through a page that had it).

use crate::platform::config::settings;
use crate::platform::http::WorkerHttp;
use crate::platform::log::{Level, Logger};
use crate::platform::random;
use crate::{respond, web};
use argus_core::secret::{SecretString, constant_time_eq};
use argus_dashboard::app::{self, Account, GeneratedSecrets, Urls};
use argus_dashboard::github_user::{GitHubWeb, UserApiError};
use argus_dashboard::setup::{self, SetupForm};
use argus_dashboard::{cookie, form};
use serde_json::json;
use worker::{Env, Request, Response, Result};

const SETUP_COOKIE: &str = "argus_setup";
/// GitHub wants the three steps of the manifest flow done within an hour.
const SETUP_COOKIE_SECS: u64 = 3600;

fn configured(env: &Env) -> bool {
    settings(env).github.app_id_given
}

fn web_url(env: &Env) -> String {
    settings(env).web_url.clone()
}

/// Whether the request may use setup now: always before an App exists, and
/// afterwards only with the operator's setup token.
fn allowed(req: &Request, env: &Env, q: &[(String, String)]) -> Result<bool> {
    if !configured(env) {
        return Ok(true);
    }
    let settings = settings(env);
    let Some(expected) = settings.dashboard.setup_token.as_ref() else {
        return Ok(false);
    };
    let presented = web::bearer(req)?.or_else(|| form::get(q, "token").map(str::to_string)).unwrap_or_default();
    Ok(constant_time_eq(presented.trim().as_bytes(), expected.expose().trim().as_bytes()))
}

/// `GET /setup`: the form, then (once submitted) the page that posts the manifest to GitHub.
pub async fn page(req: &Request, env: &Env) -> Result<Response> {
    let q = web::query(req)?;
    if !allowed(req, env, &q)? {
        return respond::error(404, "not found");
    }
    let urls = Urls::new(&web::origin(req)?);
    let f = SetupForm::from_query(&q);
    if !f.submitted() {
        return web::html(setup::form_page(&f, &urls, &[]), 200, None);
    }
    let account = match Account::parse(&f.account, &f.org) {
        Ok(a) => a,
        Err(e) => return web::html(setup::form_page(&f, &urls, &[e]), 400, None),
    };
    let name = app::clean_name(&f.name);
    let state = random::token(24);
    let fallbacks = app::fallback_names(&name, &account, &random::token(3).to_ascii_lowercase().replace(['-', '_'], "x"));
    let web_url = web_url(env);
    let page = setup::confirm_page(&name, &account, &urls, &web_url, &state, &fallbacks, f.token.as_deref());
    web::set_cookies(web::html(page, 200, Some(&web_url))?, &[cookie::set(SETUP_COOKIE, &state, SETUP_COOKIE_SECS)])
}

/// `GET /setup/callback?code=…&state=…`: GitHub sends the operator back here.
pub async fn callback(req: &Request, env: &Env) -> Result<Response> {
    let q = web::query(req)?;
    let state = form::get(&q, "state").unwrap_or("");
    let ours = web::cookies(req, SETUP_COOKIE)?;
    let matches = !state.is_empty() && ours.iter().any(|c| constant_time_eq(c.as_bytes(), state.as_bytes()));
    if !matches {
        if configured(env) {
            return respond::error(404, "not found");
        }
        return web::html(
            setup::failed_page("This answer from GitHub does not belong to a setup started in this browser (the state does not match). Start again."),
            400,
            None,
        );
    }
    let Some(code) = form::get(&q, "code").filter(|c| !c.is_empty()) else {
        return web::html(setup::failed_page("GitHub sent no code."), 400, None);
    };
    let log = Logger::from_env(env);
    let gh = GitHubWeb::new(&WorkerHttp, Some(settings(env).github.config.api_url.as_str()), Some(&web_url(env)));
    let creds = match gh.convert_manifest(code).await {
        Ok(c) => c,
        Err(e) => {
            log.log(Level::Warn, "setup", json!({ "step": "conversion_failed", "error": e.to_string() }));
            let why = match e {
                UserApiError::NotFound => "GitHub did not accept the code: it was used already or is more than an hour old. Start again.".to_string(),
                other => format!("GitHub did not complete the registration: {other}"),
            };
            return web::html(setup::failed_page(&why), 502, None);
        }
    };
    // Only the App's public ids are logged.
    log.log(Level::Info, "setup", json!({ "step": "app_registered", "app_id": creds.id, "slug": creds.slug }));
    let generated = GeneratedSecrets {
        webhook_secret: SecretString::new(random::token(32)),
        session_keys: SecretString::new(random::token(32)),
        setup_token: SecretString::new(random::token(32)),
    };
    let page = setup::done_page(&creds, &generated, &Urls::new(&web::origin(req)?));
    web::set_cookies(web::html(page, 200, None)?, &[cookie::clear(SETUP_COOKIE)])
}
