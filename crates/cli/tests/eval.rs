//! `argus eval` end to end: three synthetic pull requests, golden comments
//! served as the benchmark's files by a loopback GitHub, diffs fetched by PR
//! and cached under the user cache directory, a scripted model that reviews
//! and judges — and the expected precision and recall, exactly. A second run
//! resumes from the JSONL results without calling anyone.

use crate::model::{completion, finding, llm_env, reply};
use crate::stub::{Req, Resp, Stub};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DIFF_ONE: &str = "diff --git a/src/loop.rs b/src/loop.rs\n--- a/src/loop.rs\n+++ b/src/loop.rs\n@@ -1,3 +1,6 @@\n fn run() {\n-    step();\n+    loop {\n+        step();\n+    }\n+    let x = 1;\n }\n";
const DIFF_TWO: &str = "diff --git a/src/auth.rs b/src/auth.rs\n--- a/src/auth.rs\n+++ b/src/auth.rs\n@@ -1,2 +1,3 @@\n fn login(token: &str) {\n+    log::info!(\"token {token}\");\n }\n";
const DIFF_THREE: &str = "diff --git a/src/util.rs b/src/util.rs\n--- a/src/util.rs\n+++ b/src/util.rs\n@@ -1,2 +1,2 @@\n fn take(v: &[u8]) -> &[u8] {\n-    v\n+    &v[..v.len() - 1]\n }\n";

/// The reviewer: two findings on the loop (one real, one noise), one on the token, none on util.
fn findings(path: &str, _first_added: u32) -> Vec<Value> {
    match path {
        "src/loop.rs" => vec![
            finding(path, 2, "high", "bug", "Loop never ends (alpha)", "This loop has no exit condition."),
            finding(path, 5, "medium", "maintainability", "Unused binding (zulu)", "`x` is never read."),
        ],
        "src/auth.rs" => vec![finding(path, 2, "critical", "security", "Token logged (charlie)", "The secret ends up in the logs.")],
        _ => vec![],
    }
}

fn golden() -> Value {
    json!([
        { "pr_title": "Loop until done", "url": "https://github.com/acme/one/pull/1", "comments": [
            { "comment": "The loop never terminates (alpha).", "severity": "High", "category": "bug" },
            { "comment": "The name run is unclear (bravo).", "severity": "Low", "category": "style" } ] },
        { "pr_title": "Log logins", "url": "https://github.com/acme/two/pull/2", "comments": [
            { "comment": "The token is written to the log (charlie).", "severity": "Critical", "category": "security" } ] },
        { "pr_title": "Trim", "url": "https://github.com/acme/three/pull/3", "comments": [
            { "comment": "take drops the last byte and panics on empty input (delta).", "severity": "High", "category": "bug" } ] }
    ])
}

/// Another tool's published evaluation of the same PRs: it found the token leak only, with 3 false positives.
fn peers() -> Value {
    let miss = |c: &str| json!({ "golden_comment": c });
    json!({
        "https://github.com/acme/one/pull/1": { "tool-z": { "true_positives": [], "false_negatives": [miss("The loop never terminates (alpha)."), miss("The name run is unclear (bravo).")], "fp": 2 } },
        "https://github.com/acme/two/pull/2": { "tool-z": { "true_positives": [miss("The token is written to the log (charlie).")], "false_negatives": [], "fp": 1 } },
        "https://github.com/acme/three/pull/3": { "tool-z": { "true_positives": [], "false_negatives": [miss("take drops the last byte and panics on empty input (delta).")], "fp": 0 } }
    })
}

fn token() -> String {
    ["ghp_", &"e2e".repeat(12)].concat()
}

/// GitHub as strict as the routes used: the token is required, the diff only
/// with the diff media type, the dataset's files only raw and on `main`.
fn github_and_model(req: &Req) -> Resp {
    if req.target == "/v1/chat/completions" && req.method == "POST" {
        return Resp::json(200, &completion(&reply(&req.json(), findings)));
    }
    if req.method != "GET" {
        return Resp::json(404, &json!({ "message": "Not Found" }));
    }
    if req.header("authorization") != Some(&format!("Bearer {}", token())) {
        return Resp::json(401, &json!({ "message": "Bad credentials" }));
    }
    let base = "/repos/withmartian/code-review-benchmark/contents/offline/golden_comments/";
    if let Some(rest) = req.target.strip_prefix(base) {
        let Some(file) = rest.strip_suffix("?ref=main") else { return Resp::json(404, &json!({ "message": "No commit found for the ref" })) };
        if req.header("accept") != Some("application/vnd.github.raw+json") {
            return Resp::json(200, &json!({ "type": "file", "encoding": "base64", "content": "" }));
        }
        let body = if file == "cal_dot_com.json" { golden().to_string() } else { "[]".to_string() };
        return Resp::text(200, "application/vnd.github.raw+json", body);
    }
    if req.target == "/repos/withmartian/code-review-benchmark/contents/offline/results/judge-x/evaluations.json?ref=main"
        && req.header("accept") == Some("application/vnd.github.raw+json")
    {
        return Resp::text(200, "application/vnd.github.raw+json", peers().to_string());
    }
    let diff = match req.target.as_str() {
        "/repos/acme/one/pulls/1" => DIFF_ONE,
        "/repos/acme/two/pulls/2" => DIFF_TWO,
        "/repos/acme/three/pulls/3" => DIFF_THREE,
        _ => return Resp::json(404, &json!({ "message": "Not Found" })),
    };
    if req.header("accept") == Some("application/vnd.github.diff") {
        Resp::text(200, "text/plain; charset=utf-8", diff)
    } else {
        Resp::json(200, &json!({ "number": 1, "state": "closed" }))
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("argus-eval-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn argus(stub: &Stub, cache: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_argus"));
    // Nothing from the developer's environment (a real token, a real model) leaks in.
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("ARGUS_CACHE_DIR", cache).env("HOME", cache);
    cmd.env("GITHUB_API_URL", stub.url()).env("GITHUB_TOKEN", token());
    for (k, v) in llm_env(&stub.url()) {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("the argus binary runs")
}

#[test]
fn eval_over_three_prs_scores_exactly_and_resumes() {
    let stub = Stub::start(|| github_and_model);
    let cache = temp("martian");
    let out = cache.join("run");
    let run = || {
        argus(
            &stub,
            &cache,
            &["eval", "--dataset", "martian-offline", "--out", out.to_str().unwrap(), "--label", "e2e", "--peers", "martian:judge-x"],
        )
    };
    let o = run();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    // Judge: alpha and charlie found; zulu is noise; bravo (style) and delta missed.
    let want = [("strict", 2, 1, 1, 2.0 / 3.0, 2.0 / 3.0), ("core", 2, 1, 1, 2.0 / 3.0, 2.0 / 3.0), ("all", 2, 1, 2, 2.0 / 3.0, 0.5)];
    for (profile, tp, fp, fnn, precision, recall) in want {
        let s = &report["scores"][profile];
        assert_eq!((s["tp"].as_u64().unwrap(), s["fp"].as_u64().unwrap(), s["fn"].as_u64().unwrap()), (tp, fp, fnn), "{profile}: {s}");
        assert_eq!(s["precision"].as_f64().unwrap(), precision, "{profile}");
        assert_eq!(s["recall"].as_f64().unwrap(), recall, "{profile}");
    }
    assert_eq!(report["prs"], 3);
    assert_eq!(report["per_pr"]["findings"], 1.0);
    // Three reviews (PR 3 too, with no finding) and two verifications (PR 3 has
    // nothing to verify): 1100 tokens per call, over 3 PRs.
    assert_eq!(report["per_pr"]["tokens"], 5.0 * 1100.0 / 3.0);
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(md.contains("| ArgusAI (e2e) | 66.7% | 66.7% |"), "{md}");
    // The peer, scored by the same rules over the same PRs (categories from the golden files).
    assert!(md.contains("| tool-z | 25.0% | 33.3% | 28.6% | 31.2% | 1 | 3 | 2 | 3 |"), "{md}");
    assert!(cache.join("martian-offline/results/judge-x/evaluations.json").exists());
    // The dataset and the diffs are cached under the user cache directory.
    assert!(cache.join("martian-offline/golden_comments/cal_dot_com.json").exists());
    assert!(cache.join("martian-offline/diffs/acme__one__1.diff").exists());
    // Reviews: 3; verifications: 2; judge pairs: 2 golden × 2 candidates + 1 × 1 + 0.
    let model_calls = stub.count(|r| r.target == "/v1/chat/completions");
    assert_eq!(model_calls, 3 + 2 + 4 + 1);

    // Resumed: every PR is in the JSONL already; nobody is asked again.
    let before = stub.requests.lock().unwrap().len();
    let again = run();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(String::from_utf8_lossy(&again.stderr).contains("3 PRs, 0 to do"), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(stub.requests.lock().unwrap().len(), before);
    let report2: Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report2["scores"], report["scores"]);
}

#[test]
fn a_local_dataset_with_cached_diffs_needs_no_github_and_runs_compare() {
    let stub = Stub::start(|| github_and_model);
    let dir = temp("local");
    std::fs::create_dir_all(dir.join("data/diffs")).unwrap();
    std::fs::write(dir.join("data/golden.json"), golden().to_string()).unwrap();
    for (name, diff) in [("acme__one__1.diff", DIFF_ONE), ("acme__two__2.diff", DIFF_TWO), ("acme__three__3.diff", DIFF_THREE)] {
        std::fs::write(dir.join("data/diffs").join(name), diff).unwrap();
    }
    let data = dir.join("data");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let o = argus(&stub, &dir, &["eval", "--dataset", data.to_str().unwrap(), "--out", a.to_str().unwrap(), "--cheap-only", "--label", "cheap"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stub.count(|r| r.target.starts_with("/repos/")), 0, "cached diffs: no GitHub request");
    assert_eq!(stub.count(|r| r.target == "/v1/chat/completions"), 3 + 2, "reviews and their verifications only: no judge");
    let o = argus(&stub, &dir, &["eval", "--dataset", data.to_str().unwrap(), "--out", b.to_str().unwrap(), "--limit", "1", "--label", "judged"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cmp = argus(&stub, &dir, &["eval", "--compare", a.join("report.json").to_str().unwrap(), b.join("report.json").to_str().unwrap()]);
    assert!(cmp.status.success(), "{}", String::from_utf8_lossy(&cmp.stderr));
    let text = String::from_utf8_lossy(&cmp.stdout);
    assert!(text.starts_with("# cheap → judged\n"), "{text}");
    assert!(text.contains("judged by different models (none (cheap matcher only) and gpt-4o-mini)"), "{text}");
    assert!(text.contains("scored over different numbers of PRs (3 and 1)"), "{text}");
    // PR 1 alone, judged: 1 of 1 strict golden found, 1 of 2 candidates noise.
    assert!(text.contains("| strict | 66.7% → 50.0% (-16.7 pt) | 66.7% → 100.0% (+33.3 pt) |"), "{text}");
}
