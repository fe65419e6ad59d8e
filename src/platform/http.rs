//! `HttpClient` and `Clock` over the Workers runtime: `worker::Fetch` with a
//! per-request deadline (the request is aborted when it passes), `Date::now`,
//! and `worker::Delay` for sleeping. The pure GitHub and LLM clients run on these.

use argus_core::http::{Clock, HttpClient, HttpRequest, HttpResponse, Method as CoreMethod, TransportError};
use argus_core::ids::UnixMillis;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use std::time::Duration;
use worker::{AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Added to a response whose event stream broke before its end; the value is the error.
pub const PARTIAL_BODY_HEADER: &str = "x-argus-partial-body";

#[derive(Clone, Copy, Debug, Default)]
pub struct WorkerHttp;

#[derive(Clone, Copy, Debug, Default)]
pub struct WorkerClock;

fn method(m: CoreMethod) -> Method {
    match m {
        CoreMethod::Get => Method::Get,
        CoreMethod::Post => Method::Post,
        CoreMethod::Patch => Method::Patch,
        CoreMethod::Put => Method::Put,
        CoreMethod::Delete => Method::Delete,
    }
}

fn network(e: impl std::fmt::Display) -> TransportError {
    TransportError::Network(e.to_string())
}

impl HttpClient for WorkerHttp {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let headers = Headers::new();
        for (name, value) in &req.headers {
            headers.append(name, value).map_err(network)?;
        }
        let mut init = RequestInit::new();
        init.with_method(method(req.method)).with_headers(headers);
        if let Some(body) = &req.body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let request = Request::new_with_init(&req.url, &init).map_err(network)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = async {
            let mut resp = Fetch::Request(request).send_with_signal(&signal).await.map_err(network)?;
            let status = resp.status_code();
            let mut headers: Vec<(String, String)> = resp.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
            let streamed = headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("text/event-stream"));
            let body = if streamed {
                // An event stream cut mid-way still carries every event received
                // before the cut; the SSE parser keeps what is complete. Other
                // bodies are all or nothing.
                let mut body = Vec::new();
                let mut stream = resp.stream().map_err(network)?;
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(bytes) => body.extend_from_slice(&bytes),
                        Err(e) if !body.is_empty() => {
                            headers.push((PARTIAL_BODY_HEADER.into(), e.to_string()));
                            break;
                        }
                        Err(e) => return Err(network(e)),
                    }
                }
                body
            } else {
                resp.bytes().await.map_err(network)?
            };
            Ok(HttpResponse { status, headers, body })
        };
        let deadline = Delay::from(Duration::from_millis(req.timeout_ms));
        match select(Box::pin(exchange), deadline).await {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => {
                controller.abort();
                Err(TransportError::Timeout(req.timeout_ms))
            }
        }
    }
}

impl Clock for WorkerClock {
    fn now(&self) -> UnixMillis {
        UnixMillis(Date::now().as_millis())
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }
}
