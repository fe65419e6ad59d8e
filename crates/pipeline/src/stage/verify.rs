//! Stage 5b, verify (only when the model was asked, and `verify` is on): every
//! candidate finding goes back to the model with the code it cites — the hunk
//! lines around its anchor and the `~` signature of the function around them —
//! in as few requests as fit (all of them in one for a usual review, never more
//! than [`MAX_VERIFY_REQUESTS`], because each is a subrequest of the free
//! plan's 50), asking whether the claim is true of that code (the contract is
//! `argus_review::verify`). Findings whose claim the model doubts below
//! `verify_min_confidence` are dropped before placement, so they are neither
//! posted nor cached; the summary counts them. A check that fails in any way
//! keeps every finding and says so: the verifier never costs a review.

use super::model::Thought;
use super::plan::Plan;
use crate::platform::{ByRef, Platform};
use crate::service::ReviewService;
use argus_config::Config;
use argus_context::Prepared;
use argus_core::http::Clock;
use argus_core::ids::UnixMillis;
use argus_core::job::ReviewJob;
use argus_diff::diff::{DiffPos, FileDiff, NewLine, OldLine};
use argus_diff::prompt::{Numbering, hunk_lines};
use argus_diff::tokens;
use argus_llm::{BreakerStore, ChatRequest, JsonSchema, LlmClient, LlmProvider, Message};
use argus_review::contract::{Finding, Side};
use argus_review::redact::RedactionReport;
use argus_review::verify::{self, Claim};
use std::ops::Range;

/// At most this many verification requests per review (each is a model
/// request and a subrequest; one holds every claim of a usual review).
pub const MAX_VERIFY_REQUESTS: usize = 2;
/// Diff lines shown on each side of the cited lines.
const WINDOW: usize = 6;
/// At most this many code lines per claim, and characters per line.
const MAX_CODE_LINES: usize = 40;
const MAX_LINE_CHARS: usize = 240;
/// Output tokens a verdict needs (id, holds, confidence, a short reason).
const VERDICT_TOKENS: u32 = 60;

/// What verification did, for the summary and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Claims the model judged.
    pub checked: usize,
    /// Findings dropped: the model's confidence that the claim is true was
    /// under `verify_min_confidence`.
    pub removed: usize,
    /// Verification requests sent.
    pub requests: usize,
    /// Findings kept unchecked: over the request bound, or without a verdict.
    pub unchecked: usize,
    /// Why verification (or part of it) did not complete; the findings concerned were kept.
    pub failed: Option<String>,
    /// Secrets replaced in what was sent.
    pub redactions: RedactionReport,
}

/// The code a claim is checked against: the run's files, their head texts
/// where fetched, and the parsed context where there is one.
pub struct CodeView<'v, 'a> {
    pub files: &'v [FileDiff<'a>],
    pub head: &'v [Option<&'a str>],
    pub prepared: Option<&'v Prepared<'a>>,
}

fn cut(line: &str) -> &str {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// The code a finding cites, in the review prompt's format: the enclosing
/// function's signature as `~` lines (from the head text, when the scope
/// starts above what is shown), then the hunk's lines around the cited ones,
/// numbered; for a finding on a line outside the diff (cited on context), the
/// head text around it. Never empty.
pub fn excerpt(view: &CodeView<'_, '_>, f: &Finding) -> String {
    let Some(i) = view.files.iter().position(|d| d.path() == f.path || d.old_path.as_deref() == Some(f.path.as_str())) else {
        return "(this file is not in the diff)\n".to_string();
    };
    let file = &view.files[i];
    let start = f.start_line.unwrap_or(f.end_line).min(f.end_line);
    let pos = |n: u32| match f.side {
        Side::Right => NewLine::new(n).map(DiffPos::Right),
        Side::Left => OldLine::new(n).map(DiffPos::Left),
    };
    let head_lines: Vec<&str> = view.head.get(i).copied().flatten().map(|t| t.lines().collect()).unwrap_or_default();
    let mut out = String::new();
    let hunk = pos(f.end_line).and_then(|p| file.hunk_of(p)).or_else(|| pos(start).and_then(|p| file.hunk_of(p)));
    let first_shown = match hunk {
        Some(h) => {
            let h = &file.hunks[h];
            let cited = |l: &argus_diff::diff::Line<'_>| {
                let n = match f.side {
                    Side::Right => l.new.map(|n| n.get()),
                    Side::Left => l.old.map(|o| o.get()),
                };
                n.is_some_and(|n| (start..=f.end_line).contains(&n))
            };
            let lo = h.lines.iter().position(cited).unwrap_or(0);
            let hi = h.lines.iter().rposition(cited).unwrap_or(lo);
            let from = lo.saturating_sub(WINDOW);
            let to = (hi + WINDOW + 1).min(h.lines.len()).min(from + MAX_CODE_LINES);
            let mut body = String::new();
            hunk_lines(h, from..to, Numbering::AllNewSide, &mut body);
            for line in body.lines() {
                out.push_str(cut(line));
                out.push('\n');
            }
            h.lines[from..to].iter().find_map(|l| l.new).map(|n| n.get())
        }
        None if f.side == Side::Right && !head_lines.is_empty() => {
            // Cited on context (a `~` line of the review prompt): the head text around it.
            let from = (start as usize).saturating_sub(WINDOW + 1).min(head_lines.len());
            let to = (f.end_line as usize + WINDOW).min(head_lines.len()).min(from + MAX_CODE_LINES);
            for (k, line) in head_lines[from..to].iter().enumerate() {
                out.push_str(&format!("{} {}\n", from + k + 1, cut(line)));
            }
            (from < to).then_some(from as u32 + 1)
        }
        None => {
            out.push_str("(the cited lines are not in the diff)\n");
            None
        }
    };
    // The signature of the innermost function or type around the cited lines,
    // when it starts above what is shown: what the code belongs to.
    if f.side == Side::Right
        && let (Some(first), Some(tree)) = (first_shown, view.prepared.and_then(|p| p.head_scopes(i)))
        && let Some(scope) = tree.chain_at(f.end_line).into_iter().rev().find(|s| s.kind.is_callable() || s.kind.is_type())
        && scope.header_end < first
    {
        let mut sig = String::new();
        for n in scope.header().take(4) {
            if let Some(line) = head_lines.get(n as usize - 1) {
                sig.push('~');
                sig.push_str(cut(line));
                sig.push('\n');
            }
        }
        if !sig.is_empty() {
            sig.push_str(argus_context::render::ELISION);
            sig.push('\n');
            out.insert_str(0, &sig);
        }
    }
    out
}

/// Packs claims of the given token costs, in order, into at most
/// `max_requests` requests of at most `budget` tokens and `max_claims`
/// claims each. Returns the ranges and where the claims left out start.
pub fn batches(costs: &[u32], budget: u32, max_claims: usize, max_requests: usize) -> (Vec<Range<usize>>, usize) {
    let mut out: Vec<Range<usize>> = Vec::new();
    let (mut start, mut used) = (0, 0u32);
    for (i, &c) in costs.iter().enumerate() {
        if i > start && (used + c > budget || i - start >= max_claims) {
            out.push(start..i);
            if out.len() == max_requests {
                return (out, i);
            }
            (start, used) = (i, 0);
        }
        used += c;
    }
    if start < costs.len() && out.len() < max_requests {
        out.push(start..costs.len());
    }
    (out, costs.len())
}

/// The verification requests for `candidates` (indices into `findings`):
/// their ranges of `candidates`, the requests, the claims left out, redactions.
fn requests(
    plan: &Plan,
    findings: &[Finding],
    candidates: &[usize],
    codes: &[String],
) -> (Vec<Range<usize>>, Vec<ChatRequest>, usize, RedactionReport) {
    let system = verify::system_prompt();
    let limits = plan.llm.chunk_limits();
    let max_output = limits.max_output_tokens.min(4000);
    let overhead = tokens::estimate(&system) + tokens::estimate(&verify::schema().to_string()) + 200;
    let budget = limits.max_input_tokens.saturating_sub(overhead);
    let max_claims = ((max_output.saturating_sub(100)) / VERDICT_TOKENS).max(1) as usize;
    let costs: Vec<u32> = candidates
        .iter()
        .zip(codes)
        .map(|(&k, code)| tokens::estimate(code) + tokens::estimate(&findings[k].title) + tokens::estimate(&findings[k].body).min(400) + 40)
        .collect();
    let (ranges, left_from) = batches(&costs, budget, max_claims, MAX_VERIFY_REQUESTS);
    let mut redactions = RedactionReport::default();
    let reqs = ranges
        .iter()
        .map(|r| {
            let claims: Vec<Claim<'_>> = r.clone().map(|j| Claim { finding: &findings[candidates[j]], code: &codes[j] }).collect();
            let (user, report) = verify::user_message(&claims);
            redactions.merge(&report);
            let out_tokens = (claims.len() as u32 * VERDICT_TOKENS + 100).min(max_output);
            ChatRequest::new(vec![Message::system(system.clone()), Message::user(user)], out_tokens).with_schema(JsonSchema {
                name: verify::SCHEMA_NAME.into(),
                schema: verify::schema(),
                strict: true,
            })
        })
        .collect();
    (ranges, reqs, candidates.len() - left_from, redactions)
}

impl<P: Platform> ReviewService<P> {
    /// Verifies `thought`'s findings when `config` asks for it (see the module
    /// docs) with the review's model client and deadline.
    pub(crate) async fn verify(
        &self,
        job: &ReviewJob,
        started: UnixMillis,
        plan: &Plan,
        config: &Config,
        thought: &mut Thought,
        view: &CodeView<'_, '_>,
    ) {
        let seed = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (self.seed, &job.job_id, job.attempt, "verify").hash(&mut h);
            h.finish()
        };
        let client = LlmClient::new(ByRef(&self.llm.provider), ByRef(&self.clock), ByRef(&self.llm.breakers), plan.llm.clone(), seed);
        verify_findings(&client, Some(plan.llm.retry.review_deadline(started)), plan, config, thought, view).await;
        if let Some(v) = &thought.verification {
            self.log(
                job,
                "verified",
                serde_json::json!({ "requests": v.requests, "checked": v.checked, "removed": v.removed, "unchecked": v.unchecked, "failed": v.failed }),
            );
        }
    }
}

/// The verification pass with any model client (the Worker's, or the `argus`
/// CLI's on a local diff): when `config` verifies and the findings are not
/// from the cache, asks the model about every candidate, drops the findings it
/// doubts, records the calls in the thought's ledger and what happened in
/// `thought.verification`. Never fails: a failed check keeps the findings.
pub async fn verify_findings<Pv: LlmProvider, K: Clock, S: BreakerStore>(
    client: &LlmClient<Pv, K, S>,
    deadline: Option<UnixMillis>,
    plan: &Plan,
    config: &Config,
    thought: &mut Thought,
    view: &CodeView<'_, '_>,
) {
    // Findings under the severity threshold are dropped later anyway: not worth a check.
    let candidates: Vec<usize> = (0..thought.findings.len()).filter(|&k| thought.findings[k].severity <= config.severity_threshold).collect();
    if !config.verifies() || thought.from_cache || candidates.is_empty() {
        return;
    }
    let codes: Vec<String> = candidates.iter().map(|&k| excerpt(view, &thought.findings[k])).collect();
    let (ranges, reqs, left_out, redactions) = requests(plan, &thought.findings, &candidates, &codes);
    let results = client.complete_all(&reqs, deadline).await;
    let mut v = Verification { requests: reqs.len(), unchecked: left_out, redactions, ..Verification::default() };
    let mut drop = vec![false; thought.findings.len()];
    let mut failures = Vec::new();
    for (range, r) in ranges.into_iter().zip(results) {
        let verdicts = match r {
            Ok(done) => {
                thought.ledger.record(done.usage.clone());
                verify::parse_verdicts(&done.response.text, range.len())
            }
            Err(f) => {
                thought.ledger.record_failure();
                Err(format!("the verification request failed: {}", f.error))
            }
        };
        match verdicts {
            Ok(verdicts) => {
                for (j, verdict) in range.zip(verdicts.by_claim) {
                    match verdict {
                        Some(verdict) => {
                            v.checked += 1;
                            if verdict.truth() < config.verify_min_confidence {
                                drop[candidates[j]] = true;
                            }
                        }
                        None => v.unchecked += 1,
                    }
                }
            }
            Err(why) => {
                v.unchecked += range.len();
                failures.push(why);
            }
        }
    }
    failures.dedup();
    v.failed = (!failures.is_empty()).then(|| failures.join("; "));
    let mut k = 0;
    thought.findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    v.removed = drop.iter().filter(|d| **d).count();
    thought.verification = Some(v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_diff::diff::parse_patch;
    use argus_review::contract::{Category, Severity};

    fn finding(path: &str, side: Side, line: u32) -> Finding {
        Finding {
            path: path.into(),
            side,
            start_line: None,
            end_line: line,
            severity: Severity::Medium,
            category: Category::Bug,
            title: "t".into(),
            body: "b".into(),
            replacement: None,
        }
    }

    const PATCH: &str = "@@ -10,7 +10,8 @@ fn handle(x: u32) -> u32 {\n     let a = 1;\n     let b = 2;\n-    let c = a + b;\n+    let c = a - b;\n+    let d = c * 2;\n     let e = 5;\n     let f = 6;\n     let g = 7;\n";

    #[test]
    fn the_excerpt_is_the_hunk_around_the_anchor_with_the_signature_above() {
        let file = parse_patch("src/a.rs", PATCH).file;
        let mut head: Vec<String> = (1..=20).map(|n| format!("    let v{n} = {n};")).collect();
        head[0] = "//! A module.".into();
        head[1] = "fn handle(x: u32) -> u32 {".into();
        head[19] = "}".into();
        let head = head.join("\n");
        let files = [file];
        let texts = [Some(head.as_str())];
        let refs = argus_context::ContextInput { files: &files, head: &texts, base: &[None], options: argus_context::ContextOptions::default() };
        let prepared = argus_context::prepare(refs);
        let view = CodeView { files: &files, head: &texts, prepared: Some(&prepared) };
        let e = excerpt(&view, &finding("src/a.rs", Side::Right, 13));
        assert_eq!(
            e,
            "~fn handle(x: u32) -> u32 {\n~…\n10     let a = 1;\n11     let b = 2;\n12-    let c = a + b;\n12+    let c = a - b;\n13+    let d = c * 2;\n14     let e = 5;\n15     let f = 6;\n16     let g = 7;\n"
        );
        // The old side is cited by old numbers; without contents there is no signature.
        let view = CodeView { files: &files, head: &[None], prepared: None };
        assert!(excerpt(&view, &finding("src/a.rs", Side::Left, 12)).starts_with("10     let a = 1;\n"));
        // Outside the diff, from the head text; unknown files say so.
        let view = CodeView { files: &files, head: &texts, prepared: None };
        assert_eq!(excerpt(&view, &finding("src/a.rs", Side::Right, 2)).lines().nth(1), Some("2 fn handle(x: u32) -> u32 {"));
        assert_eq!(excerpt(&view, &finding("src/b.rs", Side::Right, 2)), "(this file is not in the diff)\n");
    }

    #[test]
    fn batches_pack_in_order_within_the_budget_and_the_request_bound() {
        let one = |r: Range<usize>| std::iter::once(r).collect::<Vec<_>>();
        assert_eq!(batches(&[10, 10, 10], 100, 20, 2), (one(0..3), 3));
        assert_eq!(batches(&[60, 60, 60], 100, 20, 2), (vec![0..1, 1..2], 2));
        assert_eq!(batches(&[10; 5], 100, 2, 3), (vec![0..2, 2..4, 4..5], 5));
        // A claim over the budget alone still goes (the request may be refused; then it is kept).
        assert_eq!(batches(&[500], 100, 20, 2), (one(0..1), 1));
        assert_eq!(batches(&[], 100, 20, 2), (vec![], 0));
    }
}
