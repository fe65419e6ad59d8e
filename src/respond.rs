//! Small response helpers shared by the routes.

use worker::{Response, Result};

pub fn json(body: &serde_json::Value, status: u16) -> Result<Response> {
    let mut resp = Response::from_json(body)?.with_status(status);
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

pub fn error(status: u16, message: &str) -> Result<Response> {
    json(&serde_json::json!({ "error": message }), status)
}
