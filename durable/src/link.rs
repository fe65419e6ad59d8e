//! Calls from Workers code to a PR's coordinator through its Durable Object
//! stub: JSON in, JSON out, refusals decoded into `ErrorReply`.

use crate::BINDING;
use argus_coordinator::consumer::{CoordinatorLink, LinkError};
use argus_coordinator::protocol::*;
use argus_core::ids::PrRef;
use argus_core::subrequests::{SubrequestKind, Subrequests};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub, wasm_bindgen::JsValue};

fn stub(env: &Env, pr: &PrRef) -> worker::Result<Stub> {
    env.durable_object(BINDING)?.id_from_name(&pr.durable_object_name())?.get_stub()
}

/// POSTs `body` (or GETs when `None`) to `path` on `pr`'s coordinator.
/// `Ok(Err(..))` is a refusal the coordinator explained; `Err` is a transport failure.
pub async fn call<B: Serialize, R: DeserializeOwned>(env: &Env, pr: &PrRef, path: &str, body: Option<&B>) -> worker::Result<Result<R, ErrorReply>> {
    let mut init = RequestInit::new();
    if let Some(body) = body {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&serde_json::to_string(body)?)));
    }
    let req = Request::new_with_init(&format!("{BASE_URL}{path}"), &init)?;
    let mut resp = stub(env, pr)?.fetch_with_request(req).await?;
    let status = resp.status_code();
    let text = resp.text().await?;
    if (200..300).contains(&status) {
        return Ok(Ok(serde_json::from_str(&text)?));
    }
    match serde_json::from_str::<ErrorReply>(&text) {
        Ok(refused) => Ok(Err(refused)),
        Err(_) => Err(worker::Error::RustError(format!("coordinator answered {status}: {}", text.chars().take(200).collect::<String>()))),
    }
}

/// GETs `path` and returns the coordinator's response as it is.
pub async fn get(env: &Env, pr: &PrRef, path: &str) -> worker::Result<Response> {
    stub(env, pr)?.fetch_with_str(&format!("{BASE_URL}{path}")).await
}

/// The consumer's [`CoordinatorLink`] over Durable Object stubs; every call is
/// counted in the invocation's ledger.
pub struct StubLink<'a> {
    pub env: &'a Env,
    pub ledger: &'a Subrequests,
}

impl CoordinatorLink for StubLink<'_> {
    async fn call<R: Route>(&self, pr: &PrRef, req: &R::Request) -> Result<R::Reply, LinkError> {
        self.ledger.record(SubrequestKind::DurableObject, R::PATH);
        match call(self.env, pr, R::PATH, Some(req)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(refused)) => Err(LinkError::Refused(refused)),
            Err(e) => Err(LinkError::Transport(e.to_string())),
        }
    }
}
