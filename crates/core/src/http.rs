//! The HTTP seam between pure clients (GitHub, LLM providers) and the platform.
//! Clients build [`HttpRequest`]s and interpret [`HttpResponse`]s; the Worker
//! adapter sends them with `worker::Fetch`, native tests with an in-memory fake.

use crate::ids::UnixMillis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The adapter aborts the request after this long and reports [`TransportError::Timeout`].
    pub timeout_ms: u64,
}

impl HttpRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self { method, url: url.into(), headers: Vec::new(), body: None, timeout_ms: 30_000 }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn json_body(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("serializable request body"));
        self.headers.push(("content-type".into(), "application/json".into()));
        self
    }
    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.timeout_ms = ms;
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased by the adapter.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("request timed out after {0} ms")]
    Timeout(u64),
    #[error("network error: {0}")]
    Network(String),
}

/// Sends one request. Not `Send`: Workers futures live on one thread.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Time for clients that wait (backoff, spacing writes). The core never reads a
/// clock itself.
#[allow(async_fn_in_trait)]
pub trait Clock {
    fn now(&self) -> UnixMillis;
    async fn sleep(&self, ms: u64);
}
