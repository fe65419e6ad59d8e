//! Thin adapters between the pure core and the Workers platform: configuration
//! from `Env`, structured logs, and KV access through typed keys.

pub mod config;
pub mod http;
pub mod kv;
pub mod log;
pub mod random;
pub mod stores;
pub mod webcrypto;
