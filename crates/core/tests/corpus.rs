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
        ("pull_request_review_comment.created.1.json", "ignored: review comment starts a thread without mentioning @argusai"),
        ("pull_request_review_comment.edited.4.json", "ignored: only new review comments are answered"),
        ("pull_request_review_comment.deleted.3.json", "ignored: only new review comments are answered"),
    ];
    for (name, want) in table {
        assert_eq!(decide(name), want, "{name}");
    }
}

/// The real review comment, made a reply in a thread and then a mention: both
/// are routed as a body-free thread reply to the thread's first comment.
#[test]
fn a_real_review_comment_as_a_reply_and_as_a_mention() {
    let raw = std::fs::read_to_string(corpus_dir().join("pull_request_review_comment.created.1.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    v["comment"]["in_reply_to_id"] = serde_json::json!(7);
    let reply = v.to_string();
    v["comment"].as_object_mut().unwrap().remove("in_reply_to_id");
    v["comment"]["body"] = serde_json::json!("@argusai fix");
    let mention = v.to_string();
    for (body, want_root, want_intent) in [(reply, 7, "plain"), (mention, v["comment"]["id"].as_u64().unwrap(), "fix")] {
        let Parsed::Event(e) = event::parse("pull_request_review_comment", body.as_bytes()).unwrap() else { panic!("not an event") };
        let Decision::Route(i) = filter::decide(&FilterConfig::default(), e, DeliveryId("d".into()), UnixMillis(0)) else { panic!("not routed") };
        let json = serde_json::to_value(&i.signal).unwrap();
        assert_eq!(
            (json["type"].as_str(), json["root_id"].as_u64(), json["intent"].as_str()),
            (Some("thread_reply"), Some(want_root), Some(want_intent))
        );
        assert!(json.get("body").is_none() && !json.to_string().contains("emoji"), "the body stays at the front door: {json}");
    }
}
