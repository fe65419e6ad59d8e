//! Reply parsing: non-streamed bodies, SSE streams per provider fed in
//! arbitrary pieces, cut streams that keep the text received, and error bodies.

use argus_core::http::HttpResponse;
use argus_core::ids::UnixMillis;
use argus_llm::providers::anthropic::AnthropicStream;
use argus_llm::providers::openai::OpenAiStream;
use argus_llm::providers::workers_ai::parse_output;
use argus_llm::providers::{CallOptions, Wire};
use argus_llm::testkit::response;
use argus_llm::{ChatRequest, FinishReason, LlmError, Message, StructuredMode, Usage};
use proptest::prelude::*;
use serde_json::json;

const FINDINGS: &str = r#"{"findings":[{"line":12,"body":"`unwrap()` panics on None — handle it ✓"}]}"#;

fn openai_stream(text: &str, finish: &str, usage: bool) -> String {
    let mut s = String::from(": OPENROUTER PROCESSING\n\n");
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(7) {
        let piece: String = piece.iter().collect();
        s.push_str(&format!(
            "data: {}\n\n",
            json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-4o-mini-2024-07-18", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}], "usage": null})
        ));
    }
    s.push_str(&format!(
        "data: {}\n\n",
        json!({"id": "c1", "model": "gpt-4o-mini-2024-07-18", "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    ));
    if usage {
        s.push_str("data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":31,\"total_tokens\":843}}\n\n");
    }
    s.push_str("data: [DONE]\n\n");
    s
}

fn anthropic_stream(json_text: &str) -> String {
    let mut s = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"usage\":{\"input_tokens\":900,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n",
    );
    s.push_str("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"review\",\"input\":{}}}\n\n");
    s.push_str("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    let chars: Vec<char> = json_text.chars().collect();
    for piece in chars.chunks(9) {
        let piece: String = piece.iter().collect();
        s.push_str(&format!(
            "event: content_block_delta\ndata: {}\n\n",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": piece}})
        ));
    }
    s.push_str("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
    s.push_str("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":40}}\n\n");
    s.push_str("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    s
}

fn call(model: &str, mode: Option<StructuredMode>) -> CallOptions {
    CallOptions { model: model.into(), mode, stream: true, timeout_ms: 1000, now: UnixMillis(0) }
}

fn gh_wire() -> Wire {
    Wire::from_config(&crate::config(&[("GITHUB_TOKEN", "t")])).unwrap()
}

fn anthropic_wire() -> Wire {
    Wire::from_config(&crate::config(&[("LLM_PROVIDER", "anthropic"), ("LLM_API_KEY", "k")])).unwrap()
}

#[test]
fn openai_stream_whole() {
    let r = gh_wire()
        .parse(
            &response(200, &[("content-type", "text/event-stream")], &openai_stream(FINDINGS, "stop", true)),
            &call("openai/gpt-4o-mini", Some(StructuredMode::JsonSchema)),
        )
        .unwrap();
    assert_eq!(r.text, FINDINGS);
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.usage, Some(Usage { prompt_tokens: 812, completion_tokens: 31 }));
    assert_eq!(r.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(r.structured, Some(StructuredMode::JsonSchema));
}

#[test]
fn openai_length_is_reported() {
    let r = gh_wire().parse(&response(200, &[], &openai_stream("{\"findings\":[{\"li", "length", true)), &call("m", None)).unwrap();
    assert_eq!(r.finish_reason, FinishReason::Length);
    let body = json!({"model": "m", "choices": [{"message": {"content": "{\"a\""}, "finish_reason": "length"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2}});
    let r = gh_wire().parse(&response(200, &[], &body.to_string()), &call("m", None)).unwrap();
    assert_eq!((r.finish_reason, r.usage), (FinishReason::Length, Some(Usage { prompt_tokens: 1, completion_tokens: 2 })));
}

#[test]
fn cut_streams_keep_the_text_received() {
    let full = openai_stream(FINDINGS, "stop", true);
    // Cut in the middle of the content: everything before the cut survives.
    let cut = &full[..full.len() / 2];
    let r = gh_wire().parse(&response(200, &[("content-type", "text/event-stream")], cut), &call("m", None)).unwrap();
    assert_eq!(r.finish_reason, FinishReason::Incomplete);
    assert!(!r.text.is_empty() && FINDINGS.starts_with(&r.text), "{:?}", r.text);
    assert_eq!(r.usage, None);

    let full = anthropic_stream(FINDINGS);
    let cut = &full[..full.find("content_block_stop").unwrap()];
    let r = anthropic_wire()
        .parse(&response(200, &[("content-type", "text/event-stream")], cut), &call("claude", Some(StructuredMode::ToolUse)))
        .unwrap();
    assert_eq!(r.text, FINDINGS, "all deltas arrived before the cut");
    assert_eq!(r.finish_reason, FinishReason::Incomplete);
    assert_eq!(r.usage, Some(Usage { prompt_tokens: 1000, completion_tokens: 1 }), "input usage came with message_start");
}

#[test]
fn anthropic_stream_tool_use() {
    let r = anthropic_wire()
        .parse(
            &response(200, &[("content-type", "text/event-stream")], &anthropic_stream(FINDINGS)),
            &call("claude-sonnet-4-5", Some(StructuredMode::ToolUse)),
        )
        .unwrap();
    assert_eq!(r.text, FINDINGS);
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.usage, Some(Usage { prompt_tokens: 1000, completion_tokens: 40 }));
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(r.structured, Some(StructuredMode::ToolUse));
}

#[test]
fn anthropic_non_streamed() {
    let body = json!({"id": "m", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": "Here you go."}, {"type": "tool_use", "id": "t", "name": "review", "input": {"findings": []}}],
        "stop_reason": "max_tokens", "usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "output_tokens": 7}});
    let r = anthropic_wire()
        .parse(&response(200, &[("content-type", "application/json")], &body.to_string()), &call("c", Some(StructuredMode::ToolUse)))
        .unwrap();
    assert_eq!(r.text, r#"{"findings":[]}"#);
    assert_eq!(r.finish_reason, FinishReason::Length);
    assert_eq!(r.usage, Some(Usage { prompt_tokens: 15, completion_tokens: 7 }));
}

#[test]
fn bad_replies_are_errors_not_panics() {
    let cases: &[(Wire, HttpResponse, &str)] = &[
        (gh_wire(), response(200, &[("content-type", "application/json")], ""), "unreadable reply from the LLM provider: empty body"),
        (
            gh_wire(),
            response(200, &[("content-type", "application/json")], "{\"choices\": [{\"mess"),
            "unreadable reply from the LLM provider: not JSON",
        ),
        (gh_wire(), response(200, &[], "{\"choices\": []}"), "unreadable reply from the LLM provider: no choices"),
        (gh_wire(), response(200, &[("content-type", "text/event-stream")], ""), "the stream ended before any event"),
        (
            gh_wire(),
            response(200, &[("content-type", "text/event-stream")], "data: {\"error\":{\"message\":\"overloaded\"}}\n\n"),
            "error event in the stream: overloaded",
        ),
        (
            anthropic_wire(),
            response(
                200,
                &[("content-type", "text/event-stream")],
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
            ),
            "overloaded_error: Overloaded",
        ),
        (
            anthropic_wire(),
            response(401, &[], "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}"),
            "rejected the credentials in LLM_API_KEY (HTTP 401)",
        ),
    ];
    for (wire, resp, want) in cases {
        let e: LlmError = wire.parse(resp, &call("m", None)).unwrap_err();
        assert!(e.to_string().contains(want), "{e} does not contain {want}");
    }
    // An empty but complete reply is a reply: the engine decides what no findings mean.
    let r = gh_wire().parse(&response(200, &[("content-type", "text/event-stream")], &openai_stream("", "stop", false)), &call("m", None)).unwrap();
    assert_eq!((r.text.as_str(), r.finish_reason), ("", FinishReason::Stop));
}

#[test]
fn workers_ai_output() {
    let req = ChatRequest::new(vec![Message::user("x")], 50);
    let c = call("@cf/meta/llama-3.3-70b-instruct-fp8-fast", Some(StructuredMode::JsonSchema));
    let cases = [
        (json!({"response": "{\"findings\":[]}", "usage": {"prompt_tokens": 9, "completion_tokens": 4}}), "{\"findings\":[]}", FinishReason::Stop),
        (json!({"response": {"findings": []}, "usage": {"prompt_tokens": 9, "completion_tokens": 50}}), "{\"findings\":[]}", FinishReason::Length),
        (json!({"response": null, "tool_calls": [{"name": "r", "arguments": {"a": 1}}]}), "{\"a\":1}", FinishReason::Stop),
    ];
    for (out, text, finish) in cases {
        let r = parse_output(&out, &req, &c).unwrap();
        assert_eq!((r.text.as_str(), r.finish_reason), (text, finish));
    }
    assert!(parse_output(&json!({"result": 1}), &req, &c).is_err());
}

/// Feeds `body` to an accumulator cut at `cuts` and returns (text, finish).
fn feed_split<A>(mut acc: A, body: &[u8], cuts: &[usize], feed: impl Fn(&mut A, &[u8])) -> A {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    let mut start = 0;
    for c in cuts.into_iter().chain([body.len()]) {
        feed(&mut acc, &body[start..c]);
        start = c;
    }
    acc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// However the network splits the bytes (even inside a UTF-8 character),
    /// the accumulated reply is the same.
    #[test]
    fn stream_accumulators_ignore_split_points(cuts in proptest::collection::vec(0usize..5000, 0..30)) {
        let body = openai_stream(FINDINGS, "stop", true);
        let acc = feed_split(OpenAiStream::new("m", None), body.as_bytes(), &cuts, |a, b| a.feed(b));
        let r = acc.finish().unwrap();
        prop_assert_eq!(r.text, FINDINGS);
        prop_assert_eq!(r.usage, Some(Usage { prompt_tokens: 812, completion_tokens: 31 }));

        let body = anthropic_stream(FINDINGS);
        let acc = feed_split(AnthropicStream::new("m", Some(StructuredMode::ToolUse)), body.as_bytes(), &cuts, |a, b| a.feed(b));
        let r = acc.finish().unwrap();
        prop_assert_eq!(r.text, FINDINGS);
        prop_assert_eq!(r.finish_reason, FinishReason::Stop);
    }

    /// A stream cut at any byte yields a prefix of the full text, never an error
    /// once the first event is in, and never a finish reason it did not receive.
    #[test]
    fn any_cut_yields_a_prefix(cut in 0usize..5000) {
        let body = openai_stream(FINDINGS, "stop", true);
        let cut = cut % (body.len() + 1);
        let mut acc = OpenAiStream::new("m", None);
        acc.feed(&body.as_bytes()[..cut]);
        match acc.finish() {
            Ok(r) => {
                prop_assert!(FINDINGS.starts_with(&r.text), "{:?}", r.text);
                if r.finish_reason == FinishReason::Stop {
                    prop_assert_eq!(r.text, FINDINGS);
                }
            }
            Err(e) => prop_assert!(cut < body.find("data: {").unwrap() + 200, "{} at {}", e, cut),
        }
    }
}
