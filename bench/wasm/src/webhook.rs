//! `webhook` mode: the CPU the front door spends on one delivery in wasm,
//! split into its pure steps — the HMAC over the raw body, the typed JSON parse,
//! the filter — over the 89 real webhook payloads (each signed at start-up).
//! It says how much of a delivery's time in workerd is ours to cut and how much
//! is the runtime's (receiving the body, the KV read, the Durable Object hop).

use crate::{ms, time_rounds};
use argus_core::event::{self, Parsed};
use argus_core::filter::{self, FilterConfig};
use argus_core::ids::{DeliveryId, UnixMillis};
use argus_core::signature::{self, WebhookSecrets};
use std::path::Path;

const SECRET: &str = "bench-webhook-secret";

/// `(event name, body)` for every `corpora/webhooks/<event>.<action>.<n>.json`.
fn payloads(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("webhooks"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let event = name.split('.').next()?.to_string();
                    name.ends_with(".json").then(|| Some((event, std::fs::read(e.path()).ok()?))).flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn webhook_figures(dir: &Path, rounds: usize) {
    let all = payloads(dir);
    if all.is_empty() {
        println!("webhook: no payloads under {}/webhooks", dir.display());
        return;
    }
    let bytes: usize = all.iter().map(|(_, b)| b.len()).sum();
    let secrets = WebhookSecrets::parse(SECRET);
    let signed: Vec<(String, Vec<u8>, String)> = all.into_iter().map(|(e, b)| {
        let sig = signature::sign(SECRET, &b);
        (e, b, sig)
    }).collect();
    let cfg = FilterConfig::default();
    let n = signed.len() as f64;
    let (best_sig, med_sig) = time_rounds(rounds, || {
        for (_, body, sig) in &signed {
            std::hint::black_box(signature::verify(&secrets, Some(sig), body).is_ok());
        }
    });
    let (best_parse, med_parse) = time_rounds(rounds, || {
        for (event, body, _) in &signed {
            std::hint::black_box(event::parse(event, body).is_ok());
        }
    });
    let (best_all, med_all) = time_rounds(rounds, || {
        for (i, (event, body, sig)) in signed.iter().enumerate() {
            if signature::verify(&secrets, Some(sig), body).is_err() {
                continue;
            }
            if let Ok(Parsed::Event(ev)) = event::parse(event, body) {
                std::hint::black_box(filter::decide(&cfg, ev, DeliveryId(format!("d-{i}")), UnixMillis(1_700_000_000_000)));
            }
        }
    });
    println!(
        "webhook: {} real payloads, {:.1} KB on average; per delivery, best (median) of {rounds} rounds:",
        signed.len(),
        bytes as f64 / n / 1024.0
    );
    println!("  HMAC-SHA256 over the body  {:.3} ms ({:.3})  {:.0} MB/s", ms(best_sig) / n, ms(med_sig) / n, bytes as f64 / best_sig.as_secs_f64() / 1e6);
    println!("  typed JSON parse           {:.3} ms ({:.3})  {:.0} MB/s", ms(best_parse) / n, ms(med_parse) / n, bytes as f64 / best_parse.as_secs_f64() / 1e6);
    println!("  verify + parse + filter    {:.3} ms ({:.3})", ms(best_all) / n, ms(med_all) / n);
}
