//! The front Worker's view of the deployment's settings: one
//! `argus_settings::Settings`, resolved once per isolate (see
//! `argus_durable::settings`), and the webhook size limit.

pub use argus_durable::settings::settings;

/// Webhook bodies above this are refused with 413. GitHub caps payloads at 25 MB
/// (<https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap>).
pub const MAX_WEBHOOK_BYTES: usize = 25 * 1024 * 1024;
