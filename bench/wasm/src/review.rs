//! `review` mode: the CPU one review spends in the Worker outside waiting for
//! the network — plan (selection, chunks, system prompt), the requests
//! (redaction, context prepared and rendered), the input tripwire, parsing and
//! screening the model's replies, placement and every posted word rendered —
//! for pull requests of 5, 20 and 50 files cut from the real corpus, with
//! stand-in contents (the hunks' new sides) and one scripted finding per file.
//! The free plan gives an invocation 10 ms of CPU.

use crate::{ms, pseudo_head, sections, time_rounds};
use argus_config::Config;
use argus_context::{ContextInput, ContextOptions as Context, prepare};
use argus_core::ids::CommitSha;
use argus_diff::diff::{LineKind, parse_unified};
use argus_llm::LlmConfig;
use argus_pipeline::stage::decide::{Facts, decide};
use argus_pipeline::stage::guard::tripwires;
use argus_pipeline::stage::model::Thought;
use argus_pipeline::stage::plan::{PlanInput, RequestContext, plan, requests};
use argus_pipeline::stage::scope::Scope;
use argus_review::render;
use std::time::Instant;

/// A pull request of `n` files: the corpus's file sections in order.
fn pr_of(texts: &[String], n: usize) -> String {
    texts.iter().flat_map(|t| sections(t)).filter(|s| s.contains("\n@@")).take(n).collect()
}

/// One finding on the first added line of every file: what a model might say.
fn reply_for(text: &str) -> String {
    let d = parse_unified(text);
    let findings: Vec<serde_json::Value> = d
        .files
        .iter()
        .filter_map(|f| {
            let line = f.hunks.iter().flat_map(|h| &h.lines).find(|l| l.kind == LineKind::Added)?.new?.get();
            Some(serde_json::json!({ "path": f.path(), "side": "RIGHT", "start_line": null, "end_line": line, "severity": "medium",
                "category": "bug", "title": format!("Check {}", f.path()), "body": "This changes behaviour without a test.", "replacement": null }))
        })
        .collect();
    serde_json::json!({ "findings": findings, "summary": "Small, low-risk change." }).to_string()
}

/// Every pure step of one review, as `ReviewService` runs them; returns the summary's length.
fn one_review(text: &str, reply: &str, config: &Config, llm: &LlmConfig) -> usize {
    let d = parse_unified(text);
    let scope = Scope::Full { reason: "this is the pull request's first review".into() };
    let input = PlanInput { config, guidance: "", llm, scope: &scope, title: "A change", description: "Fixes a bug.", files: &d.files };
    let p = plan(&input);
    let heads: Vec<Option<String>> = d.files.iter().map(|f| Some(pseudo_head(f))).collect();
    let head: Vec<Option<&str>> = heads.iter().map(Option::as_deref).collect();
    let prepared = prepare(ContextInput { files: &d.files, head: &head, base: &[], options: Context::default() });
    let ctx = RequestContext { prepared: &prepared, map: None };
    let (reqs, _, _) = requests(&p, &input, Some(&ctx));
    std::hint::black_box(serde_json::to_string(&reqs.iter().map(|r| r.messages.len()).collect::<Vec<_>>()).ok());
    let tripped = tripwires(&d.files, input.title, input.description, &[]);
    let thought = Thought::from_replies(&llm.model, std::iter::repeat_n(reply, reqs.len().max(1)));
    let head_sha = CommitSha("a".repeat(40));
    let facts = Facts {
        head: &head_sha,
        scope: &scope,
        plan: &p,
        not_reviewable: Vec::new(),
        config_problems: Vec::new(),
        earlier: Vec::new(),
        sources: Vec::new(),
        files: &d.files,
        tripped,
        scope_relocation: None,
        context_problems: Vec::new(),
    };
    let decided = decide(config, &d.files, &thought, facts);
    let review = decided.publication.review.expect("a review");
    let summary = render::summary(&review);
    std::hint::black_box((render::comments(&review), render::review_body(&review)));
    summary.len()
}

/// The first call of each lazily built piece (regex sets, glob sets): what an
/// isolate's first review pays once, on top of the review itself.
fn cold_starts() {
    let timed = |name: &str, f: &dyn Fn()| {
        let t = Instant::now();
        f();
        println!("  cold: {name:<34} {:>7.2} ms", ms(t.elapsed()));
    };
    timed("redaction patterns", &|| {
        std::hint::black_box(argus_review::redact::redact("let token = \"abc\";"));
    });
    timed("input tripwire", &|| {
        std::hint::black_box(argus_review::tripwire::scan_text(argus_review::tripwire::TextSource::Title, "Fix the build"));
    });
    timed("output tripwire", &|| {
        std::hint::black_box(argus_review::tripwire::steering("Check the bounds."));
    });
    timed("file selection globs", &|| {
        std::hint::black_box(argus_diff::select::Selector::new(&argus_diff::select::SelectConfig::default()).is_ok());
    });
    timed("summary sanitizer", &|| {
        std::hint::black_box(render::sanitize_inline("see @octocat <b>x</b>"));
    });
}

pub fn review_figures(texts: &[String], rounds: usize) {
    cold_starts();
    let config = Config::default();
    let llm = LlmConfig::from_env(|k| (k == "GITHUB_TOKEN").then(|| "bench".to_string())).expect("llm config");
    println!("CPU of one review's own work (plan, redact, context, tripwire, parse, place, render), {rounds} rounds:");
    for n in [5usize, 20, 50] {
        let text = pr_of(texts, n);
        let reply = reply_for(&text);
        let t0 = Instant::now();
        let len = one_review(&text, &reply, &config, &llm);
        let first = t0.elapsed();
        let (best, median) = time_rounds(rounds, || {
            std::hint::black_box(one_review(&text, &reply, &config, &llm));
        });
        println!(
            "  {n:>2} files, {:>6.1} KB diff: first {:>6.2} ms, best {:>6.2} ms, median {:>6.2} ms (summary {len} bytes)",
            text.len() as f64 / 1024.0,
            ms(first),
            ms(best),
            ms(median)
        );
    }
}
