//! Every real webhook payload in ../shared/corpora/webhooks parses into a domain
//! event or is classified as ignored with a reason — none is an error, none panics —
//! and the filter's decision for each is stable (a data table).

use argus_core::event::{self, Parsed};
use argus_core::filter::{self, Decision, FilterConfig};
use argus_core::ids::{DeliveryId, UnixMillis};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/webhooks")
}

fn decide(name: &str) -> String {
    let body = std::fs::read(corpus_dir().join(name)).unwrap();
    let event_name = name.split('.').next().unwrap();
    match event::parse(event_name, &body).unwrap_or_else(|e| panic!("{name}: {e}")) {
        Parsed::Ignored(reason) => format!("ignored: {reason}"),
        Parsed::Event(e) => match filter::decide(&FilterConfig::default(), e, DeliveryId("d".into()), UnixMillis(0)) {
            Decision::Pong => "pong".into(),
            Decision::Ignore(r) => format!("ignored: {r}"),
            Decision::Route(i) => format!("route {} {}", i.signal.kind(), i.pr),
        },
    }
}

#[test]
fn every_corpus_payload_parses_or_is_ignored() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("../shared/corpora/webhooks must sit beside the repo")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 89);
    let mut routed = 0;
    for name in &names {
        let d = decide(name);
        if d.starts_with("route") {
            routed += 1;
        }
    }
    assert!(routed >= 8, "only {routed} routed");
}

#[test]
fn decisions_on_real_payloads() {
    let table = [
        ("ping.none.0.json", "pong"),
        ("pull_request.opened.12.json", "route review Codertocat/Hello-World#2"),
        ("pull_request.synchronize.22.json", "route review Codertocat/Hello-World#2"),
        ("pull_request.reopened.18.json", "route review Codertocat/Hello-World#2"),
        ("pull_request.closed.3.json", "route closed Codertocat/Hello-World#2"),
        ("pull_request.converted_to_draft.6.json", "route converted_to_draft Codertocat/Hello-World#2"),
        ("pull_request.opened.0.json", "ignored: delivery has no installation: ArgusAI acts only as an installed GitHub App"),
        ("pull_request.labeled.8.json", "ignored: pull_request action `labeled` is not used by ArgusAI"),
        ("issue_comment.created.0.json", "ignored: comment is on an issue, not a pull request"),
        ("push.none.0.json", "ignored: event `push` is not used by ArgusAI"),
        ("installation.created.1.json", "ignored: installation created acknowledged; nothing to review"),
        ("check_suite.rerequested.7.json", "ignored: event `check_suite` is not used by ArgusAI"),
    ];
    for (name, want) in table {
        assert_eq!(decide(name), want, "{name}");
    }
}
