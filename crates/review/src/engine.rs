//! Glue between argus-diff's plan and this crate's findings half, shared by the Worker's
//! review job and the `argus` command line so both run exactly the same steps.

use crate::anchor::{Unplaced, UnplacedReason};
use crate::contract::{Severity, UserMessage, user_message};
use crate::place::Placement;
use crate::redact::RedactionReport;
use crate::render::{FileOutcome, FileRow};
use argus_diff::chunk::{Chunk, ChunkPlan, NotReviewedReason, render_chunk};
use argus_diff::diff::FileDiff;
use argus_diff::prompt::ContextOptions;
use argus_diff::select::Selection;

/// One row per file of the diff, in diff order: reviewed, partly reviewed (with the lines
/// left out and why) or skipped (with why), for the summary's table.
pub fn file_rows(files: &[FileDiff<'_>], selection: &Selection, plan: &ChunkPlan) -> Vec<FileRow> {
    let mut rows: Vec<Option<FileRow>> = vec![None; files.len()];
    for k in &selection.kept {
        if let Some(slot) = rows.get_mut(k.index) {
            *slot = Some(FileRow { path: k.path.clone(), changed_lines: k.changed_lines, status: FileOutcome::Reviewed });
        }
    }
    for s in &selection.skipped {
        if let Some(slot) = rows.get_mut(s.index) {
            *slot =
                Some(FileRow { path: s.path.clone(), changed_lines: s.changed_lines, status: FileOutcome::Skipped { reason: s.reason.sentence() } });
        }
    }
    for n in &plan.not_reviewed {
        if matches!(n.reason, NotReviewedReason::Skipped { .. }) {
            continue; // already a Skipped row
        }
        let Some(Some(row)) = rows.get_mut(n.file) else { continue };
        row.status = match std::mem::replace(&mut row.status, FileOutcome::Reviewed) {
            FileOutcome::Partial { lines, reason } => FileOutcome::Partial { lines: lines + n.changed_lines, reason },
            FileOutcome::Reviewed => FileOutcome::Partial { lines: n.changed_lines, reason: n.reason.sentence() },
            skipped => skipped,
        };
    }
    rows.into_iter().flatten().collect()
}

/// The PR facts every request of a review carries.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrText<'a> {
    pub title: &'a str,
    pub description: &'a str,
}

/// The whole user message of chunk `index` of `total`: the PR's title and description,
/// the language hints of the chunk's files, and its diff, all redacted and fenced.
#[allow(clippy::too_many_arguments)]
pub fn chunk_user_message(
    files: &[FileDiff<'_>],
    selection: &Selection,
    chunk: &Chunk,
    (index, total): (usize, usize),
    pr: PrText<'_>,
    sources: &[Option<&str>],
    opts: ContextOptions,
) -> (String, RedactionReport) {
    let diff = render_chunk(files, chunk, sources, opts);
    chunk_message_around(&diff, selection, chunk, (index, total), pr)
}

/// The user message of a chunk whose diff text is already rendered (by
/// `argus-context`, with `~` context lines): title, description, language hints
/// and the diff, redacted and fenced exactly as [`chunk_user_message`] does.
pub fn chunk_message_around(
    diff: &str,
    selection: &Selection,
    chunk: &Chunk,
    (index, total): (usize, usize),
    pr: PrText<'_>,
) -> (String, RedactionReport) {
    let mut hints: Vec<String> = Vec::new();
    for part in &chunk.files {
        let lang = selection.kept.iter().find(|k| k.index == part.file).and_then(|k| k.language);
        if let Some(l) = lang
            && let Some(h) = l.hint()
        {
            let line = format!("{}: {h}", l.name());
            if !hints.contains(&line) {
                hints.push(line);
            }
        }
    }
    let hint_refs: Vec<&str> = hints.iter().map(String::as_str).collect();
    user_message(&UserMessage { title: pr.title, description: pr.description, language_hints: &hint_refs, diff, part: Some((index, total)) })
}

/// Applies the repository's limits: findings less severe than `threshold` are dropped
/// (returned count), and beyond `max_inline` inline comments the least severe placed
/// findings move to the summary. Order among equals is kept.
pub fn apply_limits(placement: &mut Placement, threshold: Severity, max_inline: usize) -> usize {
    let before = placement.placed.len() + placement.unplaced.len();
    placement.placed.retain(|p| p.finding.severity <= threshold);
    placement.unplaced.retain(|u| u.finding.severity <= threshold);
    let dropped = before - placement.placed.len() - placement.unplaced.len();
    if placement.placed.len() > max_inline {
        // A stable sort by severity keeps the model's order within a severity.
        argus_core::sort::sort_by_key(&mut placement.placed, |p| p.finding.severity);
        for p in placement.placed.drain(max_inline..) {
            placement.unplaced.push(Unplaced { finding: p.finding, reason: UnplacedReason::OverInlineLimit { max: max_inline }, key: p.key });
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::{Anchor, Placed};
    use crate::contract::{Category, Finding, Side};
    use crate::fingerprint::{FindingKey, Fingerprint};

    fn placed(sev: Severity, i: u64) -> Placed {
        let finding = Finding {
            path: "a".into(),
            side: Side::Right,
            start_line: None,
            end_line: 1,
            severity: sev,
            category: Category::Bug,
            title: format!("{i}"),
            body: "b".into(),
            replacement: None,
        };
        Placed {
            finding,
            anchor: Anchor { side: Side::Right, start_line: None, line: 1 },
            suggestion: None,
            moved_from: None,
            key: FindingKey::exact_only(Fingerprint(i)),
        }
    }

    #[test]
    fn limits_drop_below_threshold_and_move_the_least_severe_past_the_cap() {
        use Severity::*;
        let mut p = Placement {
            placed: vec![placed(Low, 1), placed(High, 2), placed(Medium, 3), placed(Critical, 4), placed(High, 5)],
            ..Placement::default()
        };
        let dropped = apply_limits(&mut p, Medium, 2);
        assert_eq!(dropped, 1);
        let titles = |v: Vec<&Finding>| v.into_iter().map(|f| f.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(p.placed.iter().map(|x| &x.finding).collect()), ["4", "2"]);
        assert_eq!(titles(p.unplaced.iter().map(|x| &x.finding).collect()), ["5", "3"]);
        assert_eq!(p.unplaced[0].reason.to_string(), "over the limit of 2 inline comments per review");
    }
}
