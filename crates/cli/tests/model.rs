//! The scripted model of the CLI's tests, playing every role from one script:
//! the reviewer (ArgusAI's prompts: findings keyed by the files a prompt
//! shows), the verifier (it confirms every claim) and the judge (`argus
//! eval`'s prompts: a match when the candidate carries the golden comment's
//! code word, e.g. `(alpha)`). The same script
//! answers the Worker's pipeline in memory and the `argus` binary over HTTP.

use serde_json::{Value, json};

/// A finding on `path` at `line` (new side), with the code word in its title.
pub fn finding(path: &str, line: u32, severity: &str, category: &str, title: &str, body: &str) -> Value {
    json!({ "path": path, "side": "RIGHT", "start_line": null, "end_line": line, "severity": severity,
            "category": category, "title": title, "body": body, "replacement": null })
}

/// What the reviewer says about each file it is shown, given the file's first added line.
pub type Findings = fn(&str, u32) -> Vec<Value>;

/// The files a prompt shows (`## path` headers) with their first added line.
pub fn prompt_files(user: &str) -> Vec<(String, u32)> {
    let mut out: Vec<(String, Option<u32>)> = Vec::new();
    for line in user.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            let path = match h.rfind(" (") {
                Some(i) if h.ends_with(')') => &h[..i],
                _ => h,
            };
            out.push((path.to_string(), None));
            continue;
        }
        let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty()
            && line[digits.len()..].starts_with('+')
            && let Some(last) = out.last_mut()
            && last.1.is_none()
        {
            last.1 = digits.parse().ok();
        }
    }
    out.into_iter().filter_map(|(p, n)| n.map(|n| (p, n))).collect()
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    text.split_once(open).and_then(|(_, rest)| rest.split_once(close)).map(|(x, _)| x.trim()).unwrap_or("")
}

/// The reply text to one chat request body (OpenAI's shape).
pub fn reply(body: &Value, findings: Findings) -> String {
    let system = body["messages"][0]["content"].as_str().unwrap_or("");
    let user = body["messages"][1]["content"].as_str().unwrap_or("");
    if system == argus_eval::judge::JUDGE_SYSTEM {
        let golden = between(user, "<expected_comment>", "</expected_comment>");
        let cand = between(user, "<candidate>", "</candidate>");
        let word = golden.rsplit_once('(').map(|(_, w)| w.trim_end_matches(['.', ')'])).unwrap_or("");
        let matched = !word.is_empty() && cand.contains(&format!("({word})"));
        return json!({ "reasoning": "scripted", "match": matched, "confidence": 0.9 }).to_string();
    }
    if body["response_format"]["json_schema"]["name"] == argus_review::verify::SCHEMA_NAME {
        let verdicts: Vec<Value> =
            (1..=user.matches("<claim id=").count()).map(|id| json!({ "id": id, "holds": true, "confidence": 90, "reason": "scripted" })).collect();
        return json!({ "verdicts": verdicts }).to_string();
    }
    let all: Vec<Value> = prompt_files(user).iter().flat_map(|(p, n)| findings(p, *n)).collect();
    json!({ "findings": all, "summary": "Scripted review." }).to_string()
}

/// An OpenAI chat completion carrying `content`.
pub fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100 },
    })
}

/// The model's environment for the `argus` binary, pointed at `base` (the stub).
pub fn llm_env(base: &str) -> Vec<(String, String)> {
    let key: String = ["sk-", "test-", "key"].concat();
    [
        ("LLM_PROVIDER", "openai"),
        ("LLM_BASE_URL", &format!("{base}/v1")),
        ("LLM_API_KEY", key.as_str()),
        ("LLM_MODEL", "gpt-4o-mini"),
        ("LLM_STREAM", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}
