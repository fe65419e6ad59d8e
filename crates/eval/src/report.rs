//! The results of a run: one [`PrResult`] per pull request (a line of the
//! resumable JSONL file), the [`Report`] that sums them per profile (the JSON
//! report), its Markdown tables, and [`compare`] of two reports.

use crate::candidates::Candidate;
use crate::judge::PrEvaluation;
use crate::score::{Profile, Score, Tally, score};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One pull request reviewed and judged: a line of `results.jsonl`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrResult {
    pub url: String,
    /// Why this PR has no review (no diff, nothing reviewable): left out of the scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Why this PR failed (GitHub, the model, the judge); a resumed run tries it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub candidates: Vec<Candidate>,
    pub dedupe_groups: Vec<Vec<usize>>,
    /// The judge's evaluation.
    pub judged: PrEvaluation,
    /// The cheap matcher's evaluation.
    pub cheap: PrEvaluation,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// `None` when a model's price is unknown.
    pub cost_usd: Option<f64>,
    pub model_calls: u64,
    pub judge_calls: u64,
    pub duration_ms: u64,
}

impl PrResult {
    /// Whether a resumed run may keep this line instead of redoing the PR.
    pub fn is_final(&self) -> bool {
        self.error.is_none() && self.judged.errors.is_empty()
    }
    fn scored(&self) -> bool {
        self.error.is_none() && self.skipped.is_none()
    }
}

/// Reads a JSONL results file: the last line per URL wins; unreadable lines are
/// reported (a run killed mid-write leaves half a line) and otherwise ignored.
pub fn read_jsonl(text: &str) -> (BTreeMap<String, PrResult>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<PrResult>(line) {
            Ok(r) => {
                out.insert(r.url.clone(), r);
            }
            Err(e) => problems.push(format!("line {}: {e}", i + 1)),
        }
    }
    (out, problems)
}

/// Averages per reviewed pull request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PerPr {
    pub findings: f64,
    pub tokens: f64,
    /// `None` when any PR's cost is unknown.
    pub cost_usd: Option<f64>,
    pub seconds: f64,
}

/// The JSON report of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What this run was (`--label`; e.g. "context on", "gpt-4o-mini, balanced").
    pub label: String,
    pub model: String,
    pub judge: String,
    pub prs: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Judge pairs that could not be decided (counted as no match).
    pub judge_errors: usize,
    pub scores: BTreeMap<Profile, Score>,
    /// The cheap matcher's scores: a quick local figure, not comparable with `scores`.
    pub cheap: BTreeMap<Profile, Score>,
    pub per_pr: PerPr,
    /// Other tools scored from the benchmark's published evaluations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peers: BTreeMap<String, BTreeMap<Profile, Score>>,
}

/// Sums the results of a run.
pub fn build_report(label: &str, model: &str, judge: &str, results: &[PrResult], peers: &BTreeMap<String, Vec<Tally>>) -> Report {
    let scored: Vec<&PrResult> = results.iter().filter(|r| r.scored()).collect();
    let judged: Vec<Tally> = scored.iter().map(|r| Tally::from(&r.judged)).collect();
    let cheap: Vec<Tally> = scored.iter().map(|r| Tally::from(&r.cheap)).collect();
    let n = scored.len().max(1) as f64;
    let costs: Option<Vec<f64>> = scored.iter().map(|r| r.cost_usd).collect();
    let per_pr = PerPr {
        findings: scored.iter().map(|r| r.candidates.len()).sum::<usize>() as f64 / n,
        tokens: scored.iter().map(|r| r.tokens_in + r.tokens_out).sum::<u64>() as f64 / n,
        cost_usd: costs.map(|c| c.iter().sum::<f64>() / n),
        seconds: scored.iter().map(|r| r.duration_ms).sum::<u64>() as f64 / 1000.0 / n,
    };
    Report {
        label: label.to_string(),
        model: model.to_string(),
        judge: judge.to_string(),
        prs: scored.len(),
        skipped: results.iter().filter(|r| r.error.is_none() && r.skipped.is_some()).count(),
        failed: results.iter().filter(|r| r.error.is_some()).count(),
        judge_errors: scored.iter().map(|r| r.judged.errors.len()).sum(),
        scores: Profile::EVERY.iter().map(|p| (*p, score(&judged, *p))).collect(),
        cheap: Profile::EVERY.iter().map(|p| (*p, score(&cheap, *p))).collect(),
        per_pr,
        peers: peers.iter().map(|(tool, t)| (tool.clone(), Profile::EVERY.iter().map(|p| (*p, score(t, *p))).collect())).collect(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn row(out: &mut String, name: &str, s: &Score) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
        pct(s.precision),
        pct(s.recall),
        pct(s.f1),
        pct(s.f2),
        s.tp,
        s.fp,
        s.fn_,
        s.prs
    );
}

/// The report as Markdown: one table per profile (ArgusAI first, then peers by
/// F2), the per-PR figures, and the cheap matcher's table apart.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let name = if r.label.is_empty() { format!("ArgusAI ({})", r.model) } else { format!("ArgusAI ({})", r.label) };
    let _ = writeln!(out, "# ArgusAI against the golden comments\n");
    let _ = writeln!(
        out,
        "Model: {} · judge: {} · {} PRs scored, {} skipped, {} failed, {} undecided judge pairs\n",
        r.model, r.judge, r.prs, r.skipped, r.failed, r.judge_errors
    );
    for p in Profile::EVERY {
        let _ = writeln!(out, "## Profile {} ({})\n", p.name(), p.categories().join(", "));
        let _ = writeln!(out, "| tool | precision | recall | F1 | F2 | TP | FP | FN | PRs |\n|---|---|---|---|---|---|---|---|---|");
        row(&mut out, &name, &r.scores[&p]);
        let mut peers: Vec<(&String, &Score)> = r.peers.iter().filter_map(|(t, s)| Some((t, s.get(&p)?))).collect();
        peers.sort_by(|a, b| b.1.f2.total_cmp(&a.1.f2).then(a.0.cmp(b.0)));
        for (tool, s) in peers {
            row(&mut out, tool, s);
        }
        out.push('\n');
    }
    let cost = r.per_pr.cost_usd.map_or("unknown".to_string(), |c| format!("${c:.4}"));
    let _ = writeln!(out, "Per PR: {:.1} findings · {:.0} tokens · {cost} · {:.1} s\n", r.per_pr.findings, r.per_pr.tokens, r.per_pr.seconds);
    let _ = writeln!(out, "## Cheap matcher (keywords, no model; not comparable with the judge's figures)\n");
    let _ = writeln!(out, "| profile | precision | recall | F1 | F2 | TP | FP | FN | PRs |\n|---|---|---|---|---|---|---|---|---|");
    for p in Profile::EVERY {
        row(&mut out, p.name(), &r.cheap[&p]);
    }
    out
}

fn delta(a: f64, b: f64) -> String {
    let d = (b - a) * 100.0;
    format!("{} → {} ({}{:.1} pt)", pct(a), pct(b), if d >= 0.0 { "+" } else { "" }, d)
}

/// What changed from report `a` to report `b`, per profile and per PR.
pub fn compare(a: &Report, b: &Report) -> String {
    let mut out = String::new();
    let label = |r: &Report| if r.label.is_empty() { r.model.clone() } else { r.label.clone() };
    let _ = writeln!(out, "# {} → {}\n", label(a), label(b));
    if a.judge != b.judge {
        let _ = writeln!(out, "Warning: judged by different models ({} and {}); the figures are not strictly comparable.\n", a.judge, b.judge);
    }
    if a.prs != b.prs {
        let _ = writeln!(out, "Warning: scored over different numbers of PRs ({} and {}).\n", a.prs, b.prs);
    }
    let _ = writeln!(out, "| profile | precision | recall | F1 | F2 |\n|---|---|---|---|---|");
    for p in Profile::EVERY {
        let (x, y) = (a.scores.get(&p).copied().unwrap_or_default(), b.scores.get(&p).copied().unwrap_or_default());
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            p.name(),
            delta(x.precision, y.precision),
            delta(x.recall, y.recall),
            delta(x.f1, y.f1),
            delta(x.f2, y.f2)
        );
    }
    let cost = |r: &Report| r.per_pr.cost_usd.map_or("unknown".to_string(), |c| format!("${c:.4}"));
    let _ = writeln!(
        out,
        "\nPer PR: findings {:.1} → {:.1} · tokens {:.0} → {:.0} · cost {} → {} · time {:.1} s → {:.1} s",
        a.per_pr.findings,
        b.per_pr.findings,
        a.per_pr.tokens,
        b.per_pr.tokens,
        cost(a),
        cost(b),
        a.per_pr.seconds,
        b.per_pr.seconds
    );
    out
}
