//! Stage 6, decide (pure): from the model's findings to what gets posted —
//! the profile's category filter, placement on the PR's whole diff (what
//! GitHub validates anchors against), dedupe against what ArgusAI already
//! said, the severity threshold and the inline limit — as an
//! `argus_review::render::Review`, which render.rs turns into every posted word.

use super::guard::Tripped;
use super::model::Thought;
use super::plan::Plan;
use super::scope::Scope;
use crate::publication::{CacheEntry, CachedReview, PUBLICATION_VERSION, Publication};
use argus_config::Config;
use argus_core::ids::CommitSha;
use argus_diff::diff::{FileDiff, LineKind};
use argus_review::anchor::UnplacedReason;
use argus_review::contract::Side;
use argus_review::contract::{Category, Finding};
use argus_review::engine::apply_limits;
use argus_review::fingerprint::{Dedupe, FindingKey};
use argus_review::place::{DiffIndex, Placement, place};
use argus_review::render::{FileOutcome, FileRow, Notes, Pricing, Review, Usage};

/// For a path and a new-side line outside the diff: the nearest changed line of
/// the same function, and the function's name.
pub type ScopeRelocation<'a> = dyn Fn(&str, u32) -> Option<(u32, String)> + 'a;

/// What `decide` needs besides the findings.
pub struct Facts<'a> {
    pub head: &'a CommitSha,
    pub scope: &'a Scope,
    pub plan: &'a Plan,
    /// Files GitHub gave no patch for, with why.
    pub not_reviewable: Vec<(String, String)>,
    pub config_problems: Vec<String>,
    /// What ArgusAI already said on this PR about other heads.
    pub earlier: Vec<FindingKey>,
    /// Full new contents of files, by path, when known: placement uses them to
    /// move a finding cited on nearby code onto the lines that hold it.
    pub sources: Vec<(&'a str, &'a str)>,
    /// The files the plan was made of (this run's files).
    pub files: &'a [FileDiff<'a>],
    /// The input tripwire's findings and sentences (see [`super::guard`]).
    pub tripped: Tripped,
    /// For a finding on a line outside the diff (a `~` context line): the
    /// nearest changed line of the same function and the function's name, when
    /// the context engine knows one (see `argus_context::relocate`).
    pub scope_relocation: Option<&'a ScopeRelocation<'a>>,
    /// Files that got no context and why (fetch problems, size), for the summary.
    pub context_problems: Vec<String>,
}

/// The decision: what to post, and the figures for the coordinator.
pub struct Decided {
    pub publication: Publication,
    pub fresh: usize,
}

pub fn decide(config: &Config, pr_diffs: &[FileDiff<'_>], thought: &Thought, facts: Facts<'_>) -> Decided {
    // The profile's category filter is the pipeline's; the severity threshold and the
    // inline limit are argus-review's `apply_limits`, as in the `argus` CLI.
    let threshold = config.severity_threshold;
    let quiet = config.profile == argus_config::Profile::Quiet;
    let (mut kept, off_profile): (Vec<Finding>, Vec<Finding>) =
        thought.findings.iter().cloned().partition(|f| !(quiet && matches!(f.category, Category::Style | Category::Docs | Category::Tests)));
    // Text addressed to AI reviewers is reported whatever the model said (and
    // once: its finding is deterministic, so dedupe drops it on later pushes).
    kept.extend(facts.tripped.findings.iter().cloned());
    let mut index = DiffIndex::new(pr_diffs);
    for (path, text) in &facts.sources {
        index = index.with_source(path, text);
    }
    let mut dedupe = Dedupe::new(facts.earlier);
    let mut placement = place(&index, kept, &mut dedupe);
    if let Some(relocate) = facts.scope_relocation {
        relocate_into_scope(&index, &mut placement, &mut dedupe, relocate);
    }
    let below_threshold = off_profile.len() + apply_limits(&mut placement, threshold, config.max_inline_comments as usize);

    let totals = thought.ledger.totals();
    let verified = thought.verification.as_ref();
    let mut redactions = thought.redactions.clone();
    if let Some(v) = verified {
        redactions.merge(&v.redactions);
    }
    let pricing = facts.plan.llm.price_for(&thought.model).map(|p| Pricing { input_per_mtok: p.input_per_mtok, output_per_mtok: p.output_per_mtok });
    let review = Review {
        head: facts.head.clone(),
        model: thought.model.clone(),
        model_summaries: thought.model_summaries.clone(),
        duplicates: placement.duplicates.len(),
        placed: placement.placed,
        unplaced: placement.unplaced,
        files: rows_after_quiet(rows_after_failures(&facts.plan.file_rows, facts.plan, &thought.failed_chunks, facts.files), thought),
        usage: Usage {
            requests: (thought.requests + verified.map_or(0, |v| v.requests) + thought.fix_checks) as u32,
            input_tokens: totals.prompt_tokens,
            output_tokens: totals.completion_tokens,
        },
        pricing,
        redactions,
        rejected: thought.rejected_by_parser,
        notes: Notes {
            scope: facts.scope.sentence(),
            unusable: (thought.unusable > 0).then_some((thought.unusable, thought.requests)),
            below_threshold,
            threshold: Some(threshold),
            from_cache: thought.from_cache,
            not_reviewable: facts.not_reviewable,
            config_problems: facts.config_problems,
            reply_problems: thought.reply_problems.clone(),
            addressed_to_ai: facts.tripped.sentences,
            context: thought.context.as_ref().map(|c| {
                let mut line = if c.files.is_empty() {
                    // Nothing was shown: say only why.
                    std::iter::once("context: none".to_string()).chain(c.cut_sentences()).collect::<Vec<_>>().join("; ")
                } else {
                    c.summary_line()
                };
                for p in &facts.context_problems {
                    line.push_str("; ");
                    line.push_str(p);
                }
                line
            }),
            steering_discarded: thought.steering_discarded,
            verified: verified.filter(|v| v.requests > 0).map(|v| (v.checked, v.requests)),
            verified_away: verified.map_or(0, |v| v.removed),
            verify_failed: verified.and_then(|v| v.failed.clone()),
            quiet: thought.quiet.as_ref().map(|q| q.sentence()),
            // Counted when publishing: only threads GitHub resolved.
            resolved_threads: 0,
            acted_on: None,
            // Set by the service, which applies the learnings before placement.
            suppressed_by_learnings: 0,
        },
        not_placed: Vec::new(),
        subrequests: None,
    };
    // Cache only what a rerun would reproduce: complete, usable results (verified
    // when verification ran, so a hit does not verify again); never code. A
    // quiet run asked no model: there is nothing to save.
    let cache = (!thought.from_cache && !review.neutral() && thought.quiet.is_none()).then(|| CacheEntry {
        config_hash: facts.plan.config_hash.clone(),
        value: serde_json::to_string(&CachedReview {
            v: PUBLICATION_VERSION,
            findings: thought
                .findings
                .iter()
                .cloned()
                .map(|mut f| {
                    f.replacement = None;
                    f
                })
                .collect(),
            model_summaries: thought.model_summaries.clone(),
            model: thought.model.clone(),
        })
        .expect("cache value serializes"),
    });
    let fresh = review.fresh();
    Decided {
        publication: Publication {
            v: PUBLICATION_VERSION,
            head_sha: facts.head.to_string(),
            skipped: None,
            review: Some(review),
            cache,
            resolutions: Vec::new(),
        },
        fresh,
    }
}

/// Findings the model cited outside the diff (on context it was shown) move to
/// the nearest changed line of the same function, saying so; the rest stay
/// listed in the summary. Either way nothing outside the diff reaches GitHub
/// as an inline comment, so no anchor can be refused.
fn relocate_into_scope(index: &DiffIndex<'_, '_>, placement: &mut Placement, dedupe: &mut Dedupe, relocate: &ScopeRelocation<'_>) {
    let mut moved = Vec::new();
    placement.unplaced.retain(|u| {
        if !matches!(u.reason, UnplacedReason::OutsideDiff { .. }) || u.finding.side != Side::Right {
            return true;
        }
        match relocate(&u.finding.path, u.finding.end_line) {
            Some((line, scope)) => {
                moved.push((u.finding.clone(), line, scope));
                false
            }
            None => true,
        }
    });
    for (mut f, line, scope) in moved {
        let cited = match f.start_line {
            Some(s) if s < f.end_line => format!("lines {s}–{}", f.end_line),
            _ => format!("line {}", f.end_line),
        };
        f.body
            .push_str(&format!("\n\n(The model cited {cited}, outside the diff in `{scope}`; this comment sits on the nearest changed line of it.)"));
        f.start_line = None;
        f.end_line = line;
        // A replacement was written for the cited lines, not these.
        f.replacement = None;
        let p = place(index, vec![f], dedupe);
        placement.placed.extend(p.placed);
        placement.unplaced.extend(p.unplaced);
        placement.duplicates.extend(p.duplicates);
    }
}

/// The file table of a change the risk rule kept from the model: each file
/// says why it was not sent.
fn rows_after_quiet(mut rows: Vec<FileRow>, thought: &Thought) -> Vec<FileRow> {
    let Some(q) = &thought.quiet else { return rows };
    for row in &mut rows {
        if let (FileOutcome::Reviewed, Some((_, kind))) = (&row.status, q.files.iter().find(|(p, _)| *p == row.path)) {
            row.status = FileOutcome::Skipped { reason: format!("not sent to the model: {}", kind.noun()) };
        }
    }
    rows
}

/// The file table after the model: a file whose request failed or whose reply
/// could not be used was not reviewed (whole, or the lines of that request),
/// and the table says so with the reason instead of "reviewed".
fn rows_after_failures(rows: &[FileRow], plan: &Plan, failed: &[(usize, String)], files: &[FileDiff<'_>]) -> Vec<FileRow> {
    let mut rows = rows.to_vec();
    for (chunk, reason) in failed {
        let Some(c) = plan.chunks.chunks.get(*chunk) else { continue };
        for part in &c.files {
            let Some(row) = rows.iter_mut().find(|r| r.path == part.path) else { continue };
            let lost: u32 = part
                .segments
                .iter()
                .filter_map(|s| files.get(part.file)?.hunks.get(s.hunk)?.lines.get(s.lines.clone()))
                .map(|ls| ls.iter().filter(|l| l.kind != LineKind::Context).count() as u32)
                .sum();
            row.status = match std::mem::replace(&mut row.status, FileOutcome::Reviewed) {
                FileOutcome::Reviewed if lost >= row.changed_lines => FileOutcome::Skipped { reason: format!("not reviewed: {reason}") },
                FileOutcome::Reviewed => FileOutcome::Partial { lines: lost, reason: reason.clone() },
                FileOutcome::Partial { lines, reason: r } => FileOutcome::Partial { lines: (lines + lost).min(row.changed_lines), reason: r },
                skipped => skipped,
            };
        }
    }
    rows
}
