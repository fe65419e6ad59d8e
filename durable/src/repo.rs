//! The `Repository` Durable Object (binding `REPOSITORY`, one object per
//! `owner/repo`, SQLite-backed): the per-repository index the dashboard lists
//! come from. PR coordinators tell it their summary after their own work is
//! done ([`tell`], deferred with `waitUntil`, never on the webhook's answer);
//! the dashboard reads [`overview`]. The schema, statements, bounds and queries
//! are argus-index's; this shell only runs them. The object is named for the
//! repository so per-repository learnings can join it later.

use argus_core::ids::RepoName;
use argus_core::learning::Learning;
use argus_index::{Arg, Overview, Pruner, RepoUpdate, Stmt, StoredPr, Totals, routes};
use std::cell::RefCell;
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result, SqlStorageValue, State, console_error, durable_object,
    wasm_bindgen::JsValue,
};

/// The binding (see wrangler.toml).
pub const BINDING: &str = "REPOSITORY";

#[durable_object]
pub struct Repository {
    state: State,
    schema_ready: RefCell<bool>,
    pruner: RefCell<Pruner>,
}

fn bind(args: &[Arg]) -> Vec<SqlStorageValue> {
    args.iter()
        .map(|a| match a {
            Arg::Null => SqlStorageValue::Null,
            Arg::Int(i) => SqlStorageValue::Integer(*i),
            Arg::Text(t) => SqlStorageValue::String(t.clone()),
        })
        .collect()
}

impl DurableObject for Repository {
    fn new(state: State, _env: Env) -> Self {
        Self { state, schema_ready: RefCell::new(false), pruner: RefCell::new(Pruner::default()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.ensure_schema()?;
        match (req.method(), req.path().as_str()) {
            (Method::Post, routes::UPDATE) => {
                let update: RepoUpdate = match req.json().await {
                    Ok(u) => u,
                    Err(e) => return Ok(Response::from_json(&serde_json::json!({ "code": "bad_request", "error": e.to_string() }))?.with_status(400)),
                };
                self.apply(&update)?;
                Response::from_json(&serde_json::json!({ "applied": true }))
            }
            (Method::Get, routes::ACTED) => Response::from_json(&self.acted()?),
            (Method::Get, routes::LEARNINGS) => Response::from_json(&self.learnings()?),
            (Method::Post, routes::LEARNINGS) => {
                let learning: Learning = match req.json().await {
                    Ok(l) => l,
                    Err(e) => return Ok(Response::from_json(&serde_json::json!({ "code": "bad_request", "error": e.to_string() }))?.with_status(400)),
                };
                let sql = self.state.storage().sql();
                for s in argus_index::learn_statements(&learning) {
                    sql.exec(s.sql, bind(&s.args))?;
                }
                let stored = sql.exec(argus_index::LEARNING_BY_COMMENT_SQL, bind(&[learning.source_comment.into()]))?.to_array::<Learning>()?.pop();
                Response::from_json(&stored)
            }
            (Method::Post, routes::FORGET) => {
                let id = match req.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_u64()) {
                    Some(id) => id,
                    None => {
                        return Ok(
                            Response::from_json(&serde_json::json!({ "code": "bad_request", "error": "expected {\"id\": n}" }))?.with_status(400)
                        );
                    }
                };
                let sql = self.state.storage().sql();
                let s = argus_index::forget_statement(id);
                sql.exec(s.sql, bind(&s.args))?;
                let left = sql.exec(argus_index::LEARNING_EXISTS_SQL, bind(&[id.into()]))?.to_array::<serde_json::Value>()?;
                let removed = left.first().and_then(|v| v["n"].as_u64()) == Some(0);
                Response::from_json(&serde_json::json!({ "removed": removed }))
            }
            (Method::Get, routes::OVERVIEW) => {
                let repo = req.url()?.query_pairs().find(|(k, _)| k == "repo").map(|(_, v)| v.to_string()).unwrap_or_default();
                Response::from_json(&self.overview(repo)?)
            }
            (m, p) => Ok(Response::from_json(&serde_json::json!({ "code": "bad_request", "error": format!("no route {m} {p}") }))?.with_status(404)),
        }
    }
}

impl Repository {
    fn ensure_schema(&self) -> Result<()> {
        if *self.schema_ready.borrow() {
            return Ok(());
        }
        let sql = self.state.storage().sql();
        for s in argus_index::SCHEMA {
            sql.exec(s, None)?;
        }
        *self.schema_ready.borrow_mut() = true;
        Ok(())
    }

    /// Runs the update's statements (one synchronous stretch, so the runtime
    /// commits them together), and prunes now and then.
    fn apply(&self, update: &RepoUpdate) -> Result<()> {
        let sql = self.state.storage().sql();
        let run = |stmts: Vec<Stmt>| -> Result<()> {
            for s in stmts {
                sql.exec(s.sql, bind(&s.args))?;
            }
            Ok(())
        };
        run(argus_index::update_statements(update))?;
        if self.pruner.borrow_mut().after_update() {
            run(argus_index::prune_statements())?;
        }
        Ok(())
    }

    fn overview(&self, repo: String) -> Result<Overview> {
        let sql = self.state.storage().sql();
        let prs =
            |q: &str| -> Result<Vec<argus_index::PrRow>> { Ok(sql.exec(q, None)?.to_array::<StoredPr>()?.into_iter().map(Into::into).collect()) };
        Ok(Overview {
            repo,
            in_flight: prs(argus_index::IN_FLIGHT_SQL)?,
            recent_prs: prs(argus_index::RECENT_PRS_SQL)?,
            reviews: sql.exec(argus_index::RECENT_REVIEWS_SQL, None)?.to_array()?,
            dead_letters: sql.exec(argus_index::DEAD_LETTERS_SQL, None)?.to_array()?,
            totals: sql.exec(argus_index::TOTALS_SQL, None)?.to_array::<Totals>()?.pop().unwrap_or_default(),
            learnings: Some(self.learnings()?),
            acted: self.acted()?,
        })
    }

    fn learnings(&self) -> Result<Vec<Learning>> {
        self.state.storage().sql().exec(argus_index::LEARNINGS_SQL, None)?.to_array::<Learning>()
    }

    fn acted(&self) -> Result<argus_index::ActedTotals> {
        Ok(self.state.storage().sql().exec(argus_index::ACTED_SQL, None)?.to_array::<argus_index::ActedTotals>()?.pop().unwrap_or_default())
    }
}

fn url(path: &str) -> String {
    format!("{}{path}", routes::BASE_URL)
}

/// Tells `update.repo`'s object about one PR; whether it took it. Failures are
/// logged, never raised: the index is a view, and the next change tells it again.
pub async fn tell(env: &Env, update: &RepoUpdate) -> bool {
    let sent = async {
        let stub = env.durable_object(BINDING)?.id_from_name(&argus_index::object_name(&update.repo))?.get_stub()?;
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&serde_json::to_string(update)?)));
        let mut resp = stub.fetch_with_request(Request::new_with_init(&url(routes::UPDATE), &init)?).await?;
        if resp.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "repository index answered {}: {}",
                resp.status_code(),
                resp.text().await.unwrap_or_default()
            )));
        }
        Ok::<(), worker::Error>(())
    };
    match sent.await {
        Ok(()) => true,
        Err(e) => {
            console_error!(
                "{}",
                serde_json::json!({ "component": "repository_index", "step": "tell_failed", "repo": update.repo.full_name(), "pr": update.pr.number, "error": e.to_string() })
            );
            false
        }
    }
}

/// The share of ArgusAI's findings `repo` acted on (for a review's summary).
pub async fn acted(env: &Env, repo: &RepoName) -> Result<argus_index::ActedTotals> {
    let stub = env.durable_object(BINDING)?.id_from_name(&argus_index::object_name(repo))?.get_stub()?;
    let mut resp = stub.fetch_with_str(&url(routes::ACTED)).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("repository index answered {}", resp.status_code())));
    }
    resp.json().await
}

/// The repository's learnings, oldest first.
pub async fn learnings(env: &Env, repo: &RepoName) -> Result<Vec<Learning>> {
    let stub = env.durable_object(BINDING)?.id_from_name(&argus_index::object_name(repo))?.get_stub()?;
    let mut resp = stub.fetch_with_str(&url(routes::LEARNINGS)).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("repository index answered {}", resp.status_code())));
    }
    resp.json().await
}

/// POSTs JSON to one of the repository object's routes and reads the answer.
async fn post_json<T: serde::de::DeserializeOwned>(env: &Env, repo: &RepoName, path: &str, body: &impl serde::Serialize) -> Result<T> {
    let stub = env.durable_object(BINDING)?.id_from_name(&argus_index::object_name(repo))?.get_stub()?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    let body = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&body)));
    let mut resp = stub.fetch_with_request(Request::new_with_init(&url(path), &init)?).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("repository index answered {}", resp.status_code())));
    }
    resp.json().await
}

/// Stores a learning (once per source comment); the learning as stored.
pub async fn learn(env: &Env, repo: &RepoName, learning: &Learning) -> Result<Option<Learning>> {
    post_json(env, repo, routes::LEARNINGS, learning).await
}

/// Forgets the learning with this id; whether it was there.
pub async fn forget(env: &Env, repo: &RepoName, id: u64) -> Result<bool> {
    let v: serde_json::Value = post_json(env, repo, routes::FORGET, &serde_json::json!({ "id": id })).await?;
    Ok(v["removed"].as_bool() == Some(true))
}

/// What the dashboard lists for `repo`.
pub async fn overview(env: &Env, repo: &RepoName) -> Result<Overview> {
    let stub = env.durable_object(BINDING)?.id_from_name(&argus_index::object_name(repo))?.get_stub()?;
    let path = format!("{}?repo={}", routes::OVERVIEW, repo.full_name());
    let mut resp = stub.fetch_with_str(&url(&path)).await?;
    if resp.status_code() != 200 {
        return Err(worker::Error::RustError(format!("repository index answered {}", resp.status_code())));
    }
    resp.json().await
}
