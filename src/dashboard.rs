//! Sign in with GitHub and the maintainers' dashboard: `/auth/login`,
//! `/auth/callback`, `/auth/logout`, `GET /dashboard[/{owner}/{repo}[/pull/{n}]]`
//! and the actions (`POST /dashboard/{owner}/{repo}/pull/{n}`). argus-dashboard
//! decides and renders; this shell reads cookies, KV and the Durable Objects.
//!
//! Who sees what: a signed-in user's access list (their role on every
//! repository their token reaches through the App) is cached in KV for five
//! minutes; below `DASHBOARD_MIN_PERMISSION` a repository is a 404. An action
//! also needs the form's CSRF token and is re-checked live against GitHub (the
//! user's role, asked with the installation's token) before it reaches the PR's
//! coordinator. `Authorization: Bearer $STATUS_TOKEN` reads every JSON twin
//! (automation), and acts on nothing.

use crate::github_app;
use crate::platform::config::settings;
use crate::platform::http::WorkerHttp;
use crate::platform::kv;
use crate::platform::log::{Level, Logger};
use crate::platform::random::CryptoRandom;
use crate::{respond, web};
use argus_config::{Sources, resolve_traced};
use argus_coordinator::operator::{OperatorAction, OperatorRequest};
use argus_core::ids::{InstallationId, PrRef, RepoName};
use argus_core::keys::{ConfigKey, DashboardAccessKey};
use argus_core::secret::{SecretString, constant_time_eq};
use argus_dashboard::access::{AccessList, Decision, Role};
use argus_dashboard::github_user::{GitHubWeb, UserApiError};
use argus_dashboard::html::Viewer;
use argus_dashboard::routes::{self, DashRoute};
use argus_dashboard::session::{OAUTH_COOKIE, OAUTH_TTL_SECS, SESSION_COOKIE, SESSION_TTL_SECS, Session, SessionKeys};
use argus_dashboard::views::{ConfigView, HomeView, PrView, RepoView};
use argus_dashboard::{cookie, form, pages};
use serde_json::json;
use worker::{Date, Env, Request, Response, Result};

/// The dashboard's settings; `None` until the App's OAuth client and session keys are set.
struct DashConfig {
    client_id: String,
    client_secret: SecretString,
    keys: SessionKeys,
    min_role: Role,
    web_url: String,
    api_url: Option<String>,
}

/// The dashboard's settings, when sign-in is configured (client id, its secret
/// and at least one session key); their problems are logged once per isolate
/// with the rest of the deployment's settings.
fn config(env: &Env) -> Option<DashConfig> {
    let settings = settings(env);
    let d = &settings.dashboard;
    if d.session_keys.is_empty() {
        return None;
    }
    Some(DashConfig {
        client_id: d.client_id.clone()?,
        client_secret: d.client_secret.clone()?,
        keys: d.session_keys.clone(),
        min_role: d.min_role,
        web_url: settings.web_url.clone(),
        api_url: Some(settings.github.config.api_url.clone()),
    })
}

fn now_secs() -> u64 {
    Date::now().as_millis() / 1000
}

fn github<'a>(cfg: &DashConfig, http: &'a WorkerHttp) -> GitHubWeb<'a, WorkerHttp> {
    GitHubWeb::new(http, cfg.api_url.as_deref(), Some(&cfg.web_url))
}

fn not_found(wants_json: bool, viewer: Option<&Viewer<'_>>) -> Result<Response> {
    if wants_json {
        return respond::error(404, "not found");
    }
    web::html(pages::message("Not found", "There is nothing here, or nothing you may see.", viewer), 404, None)
}

// ----- signing in -----------------------------------------------------------

/// `GET /auth/login?next=…`: off to GitHub, with a signed state and a PKCE challenge.
pub async fn login(req: &Request, env: &Env) -> Result<Response> {
    let Some(cfg) = config(env) else {
        return respond::error(404, "not found");
    };
    let q = web::query(req)?;
    let start = cfg.keys.start_oauth(form::get(&q, "next").unwrap_or("/dashboard"), now_secs(), &mut CryptoRandom);
    let callback = format!("{}/auth/callback", web::origin(req)?);
    let location = format!(
        "{}/login/oauth/authorize?{}",
        cfg.web_url,
        form::encode_pairs(&[
            ("client_id", &cfg.client_id),
            ("redirect_uri", &callback),
            ("state", &start.state),
            ("code_challenge", &start.challenge),
            ("code_challenge_method", "S256"),
            ("allow_signup", "false"),
        ])
    );
    web::set_cookies(web::redirect(&location, 302)?, &[cookie::set(OAUTH_COOKIE, &start.cookie, OAUTH_TTL_SECS)])
}

/// `GET /auth/callback?code=…&state=…`: GitHub sends the user back.
pub async fn oauth_callback(req: &Request, env: &Env) -> Result<Response> {
    let Some(cfg) = config(env) else {
        return respond::error(404, "not found");
    };
    let log = Logger::from_env(env);
    let q = web::query(req)?;
    let failed = |why: &str| -> Result<Response> {
        let page = pages::message("Sign-in did not finish", &format!("{why} Try again from the dashboard."), None);
        web::set_cookies(web::html(page, 400, None)?, &[cookie::clear(OAUTH_COOKIE)])
    };
    if let Some(e) = form::get(&q, "error") {
        log.log(Level::Warn, "sign_in", json!({ "step": "refused_by_github", "error": e }));
        return failed(&format!("GitHub answered `{}`.", e.chars().take(60).collect::<String>()));
    }
    let state = form::get(&q, "state").unwrap_or("");
    let now = now_secs();
    let started = web::cookies(req, OAUTH_COOKIE)?.iter().find_map(|c| cfg.keys.finish_oauth(c, state, now).ok());
    let Some(started) = started else {
        return failed("This sign-in was not started in this browser, or took longer than ten minutes.");
    };
    let Some(code) = form::get(&q, "code").filter(|c| !c.is_empty()) else {
        return failed("GitHub sent no code.");
    };
    let http = WorkerHttp;
    let gh = github(&cfg, &http);
    let callback = format!("{}/auth/callback", web::origin(req)?);
    let token = match gh.exchange_code(&cfg.client_id, &cfg.client_secret, code, &callback, &started.verifier).await {
        Ok(t) => t,
        Err(e) => {
            log.log(Level::Warn, "sign_in", json!({ "step": "exchange_failed", "error": e.to_string() }));
            return failed("GitHub did not accept the sign-in.");
        }
    };
    let (user_id, login) = match gh.user(&token).await {
        Ok(u) => u,
        Err(e) => {
            log.log(Level::Warn, "sign_in", json!({ "step": "user_failed", "error": e.to_string() }));
            return failed("GitHub did not say who you are.");
        }
    };
    let (_, value) = cfg.keys.issue(user_id, &login, &token, now, &mut CryptoRandom);
    log.log(Level::Info, "sign_in", json!({ "step": "signed_in", "user": login }));
    web::set_cookies(web::redirect(&started.next, 303)?, &[cookie::set(SESSION_COOKIE, &value, SESSION_TTL_SECS), cookie::clear(OAUTH_COOKIE)])
}

/// `POST /auth/logout` (with the session's CSRF token).
pub async fn logout(mut req: Request, env: &Env) -> Result<Response> {
    let Some(cfg) = config(env) else {
        return respond::error(404, "not found");
    };
    let session = session(&req, &cfg)?;
    let fields = web::form_body(&mut req).await?.unwrap_or_default();
    let ok = session.as_ref().is_some_and(|s| cfg.keys.check_csrf(s, form::get(&fields, "csrf").unwrap_or("")));
    if !ok {
        return web::html(pages::message("Not signed out", "The form expired; reload the page and try again.", None), 403, None);
    }
    let page = pages::message("Signed out", "You are signed out of the ArgusAI dashboard.", None);
    web::set_cookies(web::html(page, 200, None)?, &[cookie::clear(SESSION_COOKIE)])
}

fn session(req: &Request, cfg: &DashConfig) -> Result<Option<Session>> {
    let now = now_secs();
    Ok(web::cookies(req, SESSION_COOKIE)?.iter().find_map(|c| cfg.keys.open(c, now).ok()))
}

// ----- who may see what -------------------------------------------------------

enum Who {
    User(Session),
    /// `Authorization: Bearer $STATUS_TOKEN`: reads everything, acts on nothing.
    Operator,
}

fn operator(req: &Request, env: &Env) -> Result<bool> {
    let Some(expected) = env.secret("STATUS_TOKEN").ok().map(|s| s.to_string()).filter(|s| !s.trim().is_empty()) else {
        return Ok(false);
    };
    Ok(web::bearer(req)?.is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes())))
}

enum AccessError {
    /// The user's token no longer works: sign in again.
    SignIn,
    GitHub(String),
}

/// The user's access list: from KV while fresh, else from GitHub (then cached).
async fn access(env: &Env, cfg: &DashConfig, s: &Session, refresh: bool) -> std::result::Result<AccessList, AccessError> {
    let key = DashboardAccessKey { user_id: s.user_id };
    let now = Date::now().as_millis();
    if !refresh
        && let Some(list) = kv::get_text(env, &key).await.ok().flatten().and_then(|t| serde_json::from_str::<AccessList>(&t).ok())
        && list.fresh(now)
        && list.login == s.login
    {
        return Ok(list);
    }
    let http = WorkerHttp;
    match github(cfg, &http).access_list(&s.token, s.user_id, &s.login, now).await {
        Ok(list) => {
            if let Ok(text) = serde_json::to_string(&list) {
                let _ = kv::put_text(env, &key, &text).await;
            }
            Ok(list)
        }
        Err(UserApiError::Unauthorized) => Err(AccessError::SignIn),
        Err(e) => Err(AccessError::GitHub(e.to_string())),
    }
}

fn sign_in_again(path: &str, wants_json: bool) -> Result<Response> {
    if wants_json {
        let mut resp = respond::error(401, "sign in at /auth/login")?;
        resp.headers_mut().set("www-authenticate", "Bearer")?;
        return Ok(resp);
    }
    let next = argus_dashboard::session::safe_next(path);
    web::set_cookies(web::redirect(&format!("/auth/login?{}", form::encode_pairs(&[("next", &next)])), 302)?, &[cookie::clear(SESSION_COOKIE)])
}

fn unavailable(why: &str) -> Result<Response> {
    web::html(pages::message("GitHub is not answering", &format!("The dashboard could not check your access: {why}"), None), 502, None)
}

// ----- pages --------------------------------------------------------------

/// `GET /dashboard…`.
pub async fn get(req: &Request, env: &Env) -> Result<Response> {
    let Some(cfg) = config(env) else {
        return respond::error(404, "not found");
    };
    let path = req.path();
    let q = web::query(req)?;
    let wants_json = routes::wants_json(&q, req.headers().get("accept")?.as_deref());
    let Some(route) = routes::parse(&path) else {
        return not_found(wants_json, None);
    };
    let who = if operator(req, env)? {
        Who::Operator
    } else {
        match session(req, &cfg)? {
            Some(s) => Who::User(s),
            None => return sign_in_again(&path, wants_json),
        }
    };
    let csrf = match &who {
        Who::User(s) => cfg.keys.csrf(s),
        Who::Operator => String::new(),
    };
    let viewer = match &who {
        Who::User(s) => Some(Viewer { login: &s.login, csrf: &csrf }),
        Who::Operator => None,
    };
    // The role and installation for a repository, or a 404.
    let list = match &who {
        Who::User(s) => match access(env, &cfg, s, false).await {
            Ok(l) => Some(l),
            Err(AccessError::SignIn) => return sign_in_again(&path, wants_json),
            Err(AccessError::GitHub(e)) => return unavailable(&e),
        },
        Who::Operator => None,
    };
    let allow = |repo: &RepoName| -> Option<(Option<u64>, Option<Role>)> {
        match &list {
            Some(l) => match l.decide(repo, cfg.min_role) {
                Decision::Allow { installation, role } => Some((Some(installation), Some(role))),
                Decision::NotFound => None,
            },
            None => Some((None, None)),
        }
    };
    match route {
        DashRoute::Home => {
            let (Who::User(s), Some(l)) = (&who, &list) else {
                return not_found(wants_json, None);
            };
            let v = HomeView { login: s.login.clone(), min_role: cfg.min_role, installations: l.visible(cfg.min_role).installations };
            render(wants_json, &v, || pages::home(&v, viewer.as_ref().expect("a user")))
        }
        DashRoute::Repo(repo) => {
            let Some((installation, role)) = allow(&repo) else {
                return not_found(wants_json, viewer.as_ref());
            };
            let overview = match argus_durable::repo::overview(env, &repo).await {
                Ok(o) => o,
                Err(e) => {
                    return web::html(pages::message("The repository index is not answering", &e.to_string(), viewer.as_ref()), 502, None);
                }
            };
            let installation = installation.or_else(|| overview.recent_prs.iter().find_map(|p| p.installation));
            let config = config_view(env, &cfg, &repo, installation).await;
            let v = RepoView { repo: repo.full_name(), role, overview, config, now: Date::now().as_millis() };
            let anon = Viewer { login: "operator", csrf: "" };
            render(wants_json, &v, || pages::repo(&v, viewer.as_ref().unwrap_or(&anon)))
        }
        DashRoute::Pr(pr) => {
            let Some((_, role)) = allow(&pr.repo) else {
                return not_found(wants_json, viewer.as_ref());
            };
            let Some(status) = argus_durable::status_view(env, &pr).await? else {
                return not_found(wants_json, viewer.as_ref());
            };
            let flash = (form::get(&q, "done") == Some("1")).then(|| status.operator_log.last().cloned()).flatten();
            let v = PrView { repo: pr.repo.full_name(), number: pr.number.0, role, status };
            let anon = Viewer { login: "operator", csrf: "" };
            render(wants_json, &v, || pages::pr(&v, viewer.as_ref().unwrap_or(&anon), flash.as_ref()))
        }
    }
}

fn render<T: serde::Serialize>(wants_json: bool, view: &T, page: impl FnOnce() -> String) -> Result<Response> {
    if wants_json {
        return respond::json(&serde_json::to_value(view)?, 200);
    }
    web::html(page(), 200, None)
}

/// The effective configuration for the repository's default branch, with each
/// key's layer; a layer that cannot be read is named, the rest still shown.
async fn config_view(env: &Env, cfg: &DashConfig, repo: &RepoName, installation: Option<u64>) -> ConfigView {
    let env_pairs = crate::platform::config::settings(env).config_env.clone();
    let mut unavailable = Vec::new();
    let global = kv::get_text(env, &ConfigKey::GlobalDefaults).await.unwrap_or_else(|e| {
        unavailable.push(format!("KV CONFIG could not be read: {e}"));
        None
    });
    let repo_layer = kv::get_text(env, &ConfigKey::Repo(repo.clone())).await.ok().flatten();
    let (mut branch, mut file) = (None, None);
    match installation {
        None => unavailable.push("The App's installation for this repository is not known yet, so its file was not read.".into()),
        Some(id) => match repo_file(env, cfg, repo, id).await {
            Ok((b, f)) => {
                branch = Some(b);
                file = f;
            }
            Err(e) => unavailable.push(format!("The repository's .github/argusai.toml could not be read: {e}")),
        },
    }
    let traced = resolve_traced(&Sources {
        env: &env_pairs,
        kv_global_defaults: global.as_deref(),
        kv_repo: repo_layer.as_deref(),
        base_branch_toml: file.as_deref(),
    });
    ConfigView::of(&traced, branch, file.is_some(), unavailable)
}

async fn repo_file(env: &Env, cfg: &DashConfig, repo: &RepoName, installation: u64) -> std::result::Result<(String, Option<String>), String> {
    let app = github_app::client(env).await?;
    let token = app.installation_token(InstallationId(installation)).await.map_err(|e| e.to_string())?;
    let http = WorkerHttp;
    let branch = github(cfg, &http).default_branch(&token, repo).await.map_err(|e| e.to_string())?;
    let bytes = app
        .installation(InstallationId(installation))
        .file_content(repo, argus_github::ops::CONFIG_PATH, &branch)
        .await
        .map_err(|e| e.to_string())?;
    Ok((branch, bytes.map(|b| String::from_utf8_lossy(&b).into_owned())))
}

// ----- actions ------------------------------------------------------------

/// `POST /dashboard/{owner}/{repo}/pull/{n}`: one action on a PR.
pub async fn post(mut req: Request, env: &Env) -> Result<Response> {
    let Some(cfg) = config(env) else {
        return respond::error(404, "not found");
    };
    let path = req.path();
    let log = Logger::from_env(env);
    let Some(DashRoute::Pr(pr)) = routes::parse(&path) else {
        return respond::error(404, "not found");
    };
    let Some(s) = session(&req, &cfg)? else {
        return web::html(pages::message("Signed out", "Sign in again, then repeat the action.", None), 401, None);
    };
    // A cross-site form post carries a foreign Origin (browsers send it on POST).
    if let Some(origin) = req.headers().get("origin")?
        && origin != web::origin(&req)?
    {
        return web::html(pages::message("Refused", "This form was not sent from the ArgusAI dashboard.", None), 403, None);
    }
    let fields = web::form_body(&mut req).await?.unwrap_or_default();
    if !cfg.keys.check_csrf(&s, form::get(&fields, "csrf").unwrap_or("")) {
        log.log(Level::Warn, "dashboard_action", json!({ "user": s.login, "pr": pr.to_string(), "refused": "csrf" }));
        return web::html(pages::message("The form expired", "Reload the page and try again.", None), 403, None);
    }
    let csrf = cfg.keys.csrf(&s);
    let viewer = Viewer { login: &s.login, csrf: &csrf };
    let installation = match access(env, &cfg, &s, false).await {
        Ok(l) => match l.decide(&pr.repo, cfg.min_role) {
            Decision::Allow { installation, .. } => installation,
            Decision::NotFound => return not_found(false, Some(&viewer)),
        },
        Err(AccessError::SignIn) => return sign_in_again(&path, false),
        Err(AccessError::GitHub(e)) => return unavailable(&e),
    };
    // The cached list may be minutes old: ask GitHub again before acting.
    match recheck(env, &cfg, &pr, installation, &s.login).await {
        Ok(Some(role)) if role >= cfg.min_role => {}
        Ok(_) => {
            // Lost the role since the list was cached: drop the list, answer like any stranger.
            let _ = kv::delete(env, &DashboardAccessKey { user_id: s.user_id }).await;
            return not_found(false, Some(&viewer));
        }
        Err(e) => return unavailable(&e),
    }
    let Some(action) = OperatorAction::parse(form::get(&fields, "action").unwrap_or(""), form::get(&fields, "job_id")) else {
        return web::html(pages::message("Unknown action", "The dashboard does not know that action.", Some(&viewer)), 400, None);
    };
    let request = OperatorRequest { action, actor: s.login.clone() };
    match argus_durable::operate(env, &pr, &request).await? {
        Ok(reply) => {
            log.log(
                Level::Info,
                "dashboard_action",
                json!({ "user": s.login, "pr": pr.to_string(), "action": request.action.as_str(), "accepted": reply.accepted }),
            );
            web::redirect(&format!("{path}?done=1"), 303)
        }
        Err(refused) => web::html(pages::message("Not done", &refused.error, Some(&viewer)), 409, None),
    }
}

async fn recheck(env: &Env, cfg: &DashConfig, pr: &PrRef, installation: u64, login: &str) -> std::result::Result<Option<Role>, String> {
    let app = github_app::client(env).await?;
    let token = app.installation_token(InstallationId(installation)).await.map_err(|e| e.to_string())?;
    let http = WorkerHttp;
    github(cfg, &http).collaborator_role(&token, &pr.repo, login).await.map_err(|e| e.to_string())
}
