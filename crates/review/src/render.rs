//! Rendering and sanitizing what ArgusAI posts: the inline review comments, the summary,
//! the hidden markers that carry the reviewed head SHA and finding fingerprints, and the
//! "create a review" request — always a COMMENT, never an approval or a change request.
//!
//! Model text is untrusted: before it reaches GitHub, @mentions and issue references are
//! made inert, links and images are reduced to their text, bare URLs become code, and
//! HTML is escaped. Every body stays within GitHub's 65536-character limit.

use crate::anchor::{Placed, Unplaced};
use crate::contract::{Finding, Severity, Side};
use crate::fingerprint::{FindingKey, Fingerprint};
use crate::redact::RedactionReport;
use argus_core::ids::CommitSha;
use argus_core::subrequests::SubrequestCounts;
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::OnceLock;

/// GitHub rejects comment and review bodies longer than this ("body is too long (maximum is
/// 65536 characters)"). We count UTF-16 code units, which is never less than characters.
pub const MAX_BODY: usize = 65536;

/// Prefix of every hidden marker ArgusAI writes. Model text can never produce it: the
/// sanitizer breaks it up (see [`sanitize_markdown`]).
pub const MARKER_TAG: &str = "argus-review:v1";

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Cuts `s` to at most `max` UTF-16 units, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if utf16_len(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() + 1 > max {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("sanitizer pattern is valid")
}

/// Markdown links and images `[text](url)`, `![alt](url)`, reference links `[text][ref]`.
fn link_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(r"!?\[([^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])"))
}

/// A link reference definition `[ref]: url` (a whole line).
fn link_def_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(r"^\s{0,3}\[[^\]\n]+\]:\s*\S+"))
}

/// Things GitHub would turn into links or notifications: URLs and `www.` autolinks,
/// e-mail addresses, `@user`/`@org/team` mentions, `owner/repo#123`, `#123` and `GH-123`
/// references. See <https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/autolinked-references-and-urls>.
fn inert_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        re(concat!(
            r"(?i:(?:https?|ftp)://|www\.|mailto:)[^\s<>`]+",
            r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}",
            r"|@[A-Za-z0-9][A-Za-z0-9\-]*(?:/[A-Za-z0-9_.\-]+)?",
            r"|[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+#[0-9]+",
            r"|(?:\bGH-|#)[0-9]+\b",
        ))
    })
}

/// Wraps `s` in a code span that no backtick inside it can close.
pub fn code_span(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let longest = longest_backtick_run(&s);
    let fence = "`".repeat(longest + 1);
    // A space on each side keeps a leading or trailing backtick out of the fence.
    let pad = if s.starts_with('`') || s.ends_with('`') || longest > 0 { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn longest_backtick_run(s: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// A code fence for `code`: three backticks, or more than any backtick run inside.
pub fn fence_for(code: &str) -> String {
    "`".repeat(longest_backtick_run(code).max(2) + 1)
}

/// Makes model-written Markdown safe to post: see the module docs. Code blocks and code
/// spans are kept as written (GitHub renders them literally); an unclosed code block is
/// closed so it cannot swallow what follows. Our marker tag is broken up everywhere.
pub fn sanitize_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut fence: Option<(char, usize)> = None;
    for line in text.lines() {
        let line = line.replace(MARKER_TAG, "argus-review\u{200B}:v1");
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = fence_char.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        match fence {
            Some((c, n)) => {
                if indent <= 3 && fence_char == Some(c) && run >= n && trimmed[run..].trim().is_empty() {
                    fence = None;
                }
                out.push_str(&line);
            }
            None if indent <= 3 && run >= 3 => {
                let c = fence_char.unwrap_or('`');
                // A backtick fence's info string may not contain backticks (CommonMark 4.5).
                if c == '~' || !trimmed[run..].contains('`') {
                    fence = Some((c, run));
                    out.push_str(&line);
                } else {
                    sanitize_line(&line, &mut out);
                }
            }
            None => {
                if link_def_re().is_match(&line) {
                    continue;
                }
                sanitize_line(&line, &mut out);
            }
        }
        out.push('\n');
    }
    if let Some((c, n)) = fence {
        out.extend(std::iter::repeat_n(c, n));
        out.push('\n');
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    out
}

/// One line outside code blocks: code spans are kept, the text between them sanitized.
fn sanitize_line(line: &str, out: &mut String) {
    let b = line.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < b.len() && b[i] == b'`' {
            i += 1;
        }
        let n = i - run_start;
        // Find a closing run of exactly n backticks.
        let mut j = i;
        let mut close = None;
        while j < b.len() {
            if b[j] == b'`' {
                let s = j;
                while j < b.len() && b[j] == b'`' {
                    j += 1;
                }
                if j - s == n {
                    close = Some(j);
                    break;
                }
            } else {
                j += 1;
            }
        }
        if let Some(end) = close {
            sanitize_text(&line[text_start..run_start], out);
            out.push_str(&line[run_start..end]);
            i = end;
            text_start = end;
        }
        // An unmatched run is literal text; it stays in the text part.
    }
    sanitize_text(&line[text_start..], out);
}

/// Plain text: links reduced to their text, autolinks and mentions made code, HTML escaped.
fn sanitize_text(text: &str, out: &mut String) {
    if text.is_empty() {
        return;
    }
    // Each pattern runs only where its literals appear (an exact check: a link
    // needs `[`; a URL, address, mention or reference one of `: @ #`, `www.` or
    // `GH-`): regex-lite runs a PikeVM over all the text it is given.
    let text = if text.contains('[') { link_re().replace_all(text, "$1") } else { std::borrow::Cow::Borrowed(text) };
    let inert = text.contains([':', '@', '#']) || text.contains("GH-") || text.to_ascii_lowercase().contains("www.");
    let mut last = 0;
    for m in inert.then(|| inert_re().find_iter(&text)).into_iter().flatten() {
        let before = &text[..m.start()];
        // `a@b` inside a word is not a mention; leave it to the e-mail rule or as text.
        if m.as_str().starts_with('@') && before.chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        escape_html(&text[last..m.start()], out);
        out.push_str(&code_span(m.as_str()));
        last = m.end();
    }
    escape_html(&text[last..], out);
}

fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // An entity like `&#64;` would otherwise decode to a character we neutralized.
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
}

/// Sanitized `text` within `max` UTF-16 units. Sanitizing can lengthen text (escapes,
/// code spans), so the raw text is cut until the sanitized result fits; cutting before
/// sanitizing keeps code blocks closed and spans whole.
pub fn sanitize_within(text: &str, max: usize) -> String {
    let mut raw_max = max;
    for _ in 0..8 {
        let s = sanitize_markdown(&truncate(text, raw_max));
        let len = utf16_len(&s);
        if len <= max {
            return s;
        }
        // Shrink in proportion to the expansion seen, with some slack.
        raw_max = (raw_max as u128 * max as u128 / len as u128) as usize * 9 / 10;
    }
    // Pathological expansion: plain escaped text always fits once cut to a fifth
    // (the longest escape, `&amp;`, is five characters for one).
    let mut out = String::new();
    escape_html(&truncate(text, max / 5), &mut out);
    out
}

/// One line of model text (a title): sanitized, line breaks folded.
pub fn sanitize_inline(text: &str) -> String {
    sanitize_markdown(&text.replace(['\n', '\r'], " ")).replace('\n', " ")
}

/// What the hidden markers of ArgusAI's earlier comments say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostedState {
    /// The head SHA of the most recent summary among the bodies read.
    pub last_head: Option<CommitSha>,
    /// The findings already posted (markers from before keys existed give exact fingerprints only).
    pub keys: Vec<FindingKey>,
}

impl PostedState {
    /// The exact fingerprints, for tests and logs.
    pub fn fingerprints(&self) -> BTreeSet<Fingerprint> {
        self.keys.iter().map(|k| k.exact).collect()
    }
}

fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| re(r"<!-- argus-review:v1((?: [a-z]+=[0-9a-fA-F,.\-]*)*) -->"))
}

/// The hidden marker of an inline comment: the finding's key.
pub fn comment_marker(key: &FindingKey) -> String {
    format!("<!-- {MARKER_TAG} k={} -->", key.encode())
}

/// The hidden marker of a summary or a review body: the reviewed head and the findings' keys.
pub fn summary_marker<'a>(head: &CommitSha, keys: impl IntoIterator<Item = &'a FindingKey>) -> String {
    let list: Vec<String> = keys.into_iter().map(FindingKey::encode).collect();
    format!("<!-- {MARKER_TAG} head={} k={} -->", head.as_str(), list.join(","))
}

/// The hidden marker of an answer in a review thread: the comment it answers.
/// Checked before posting, so a retry never answers a comment twice.
pub fn reply_marker(comment_id: u64) -> String {
    format!("<!-- {MARKER_TAG} reply={comment_id} -->")
}

/// The comment an answer's body says it answers: its last line's marker only
/// (model text cannot write one: the sanitizer breaks the tag up).
pub fn replied_to(body: &str) -> Option<u64> {
    let last = body.trim_end().lines().next_back()?.trim();
    last.strip_prefix(&format!("<!-- {MARKER_TAG} reply="))?.strip_suffix(" -->")?.parse().ok()
}

/// ArgusAI's reply when it resolves its thread because a writer asked
/// (`@argusai resolve`): who asked (never a live mention), the resolution
/// marker (so a push never resolves it again once reopened) and, last, the
/// answer marker naming the comment.
pub fn resolved_on_request(author: &str, comment_id: u64, commit: &str) -> String {
    format!("✅ Resolved at the request of {}.\n\n{}\n{}", code_span(author), crate::resolution::resolution_marker(commit), reply_marker(comment_id))
}

/// An answer in a review thread: the model's text sanitized, the vetted
/// suggestion (if any) as a committable block, a line when a fix was asked
/// for but none could be offered, and the marker naming the answered comment.
pub fn thread_answer(answer: &crate::reply::Answer, comment_id: u64) -> String {
    let marker = reply_marker(comment_id);
    let mut body = sanitize_within(&answer.text, 8_000);
    if body.is_empty() && answer.suggestion.is_none() {
        body = "I have nothing to add here.".into();
    }
    if let Some(s) = &answer.suggestion {
        // Code is posted as written, except our marker tag: a forged marker in
        // ArgusAI's own comment would count as one of its findings or answers.
        let s = &s.replace(MARKER_TAG, "argus-review\u{200B}:v1");
        let fence = fence_for(s);
        let _ = write!(body, "\n\n{fence}suggestion\n{}\n{fence}", s.trim_end_matches('\n'));
    } else if let Some(why) = answer.no_suggestion {
        let reason = match why {
            crate::place::NoSuggestion::Empty => "the fix is not a change of these lines alone",
            crate::place::NoSuggestion::SameAsCurrent => "the proposed code equals the current lines",
            crate::place::NoSuggestion::OutsideRange => "the proposed code reaches beyond these lines",
            crate::place::NoSuggestion::DiffMarkup => "the proposed code was not plain code",
            crate::place::NoSuggestion::LeftSide | crate::place::NoSuggestion::UnknownLines => "these lines are no longer in the diff",
        };
        let _ = write!(body, "\n\n_No committable suggestion: {reason}._");
    }
    let _ = write!(body, "\n\n{marker}");
    body
}

/// The note posted in a thread instead of an answer when a bound is reached (once).
pub fn reply_limit_note(limit: argus_core::job::ReplyLimit, comment_id: u64) -> String {
    let why = match limit {
        argus_core::job::ReplyLimit::PerPr { max } => {
            format!(
                "ArgusAI has answered {max} comments on this pull request, the most this repository allows (`[replies] max_per_pr`). Further replies on this pull request get no answer."
            )
        }
        argus_core::job::ReplyLimit::PerHour { max } => format!(
            "ArgusAI has answered {max} comments on this pull request in the last hour, the most this repository allows (`[replies] max_per_hour`). Replies get answers again within the hour."
        ),
    };
    format!("{why}\n\n{}", reply_marker(comment_id))
}

/// The longest a key is written in a marker (`exact.site.words`, eight words), plus its comma.
const KEY_MARKER_LEN: usize = 16 + 1 + 16 + 1 + 32 + 1;

/// Reads the markers out of comment bodies, oldest first. The caller passes only bodies
/// authored by ArgusAI's own app: anyone can type a marker into a comment of their own.
pub fn parse_markers<'a>(bodies: impl IntoIterator<Item = &'a str>) -> PostedState {
    let mut state = PostedState::default();
    for body in bodies {
        for caps in marker_re().captures_iter(body) {
            for pair in caps[1].split_whitespace() {
                match pair.split_once('=') {
                    Some(("k", list)) => state.keys.extend(list.split(',').filter_map(FindingKey::decode)),
                    // Markers written before keys existed: exact fingerprints only.
                    Some(("fp", list)) => state.keys.extend(list.split(',').filter_map(Fingerprint::parse).map(FindingKey::exact_only)),
                    Some(("head", sha)) if sha.len() == 40 => state.last_head = Some(CommitSha(sha.to_ascii_lowercase())),
                    _ => {}
                }
            }
        }
    }
    state
}

fn severity_badge(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🔴 Critical",
        Severity::High => "🟠 High",
        Severity::Medium => "🟡 Medium",
        Severity::Low => "🔵 Low",
    }
}

/// The body of one inline review comment.
pub fn render_comment(p: &Placed) -> String {
    let f = &p.finding;
    let marker = comment_marker(&p.key);
    let mut head = format!("**{}** · {} · **{}**\n\n", severity_badge(f.severity), f.category, sanitize_inline(&truncate(&f.title, 200)));
    if let Some(m) = p.moved_from {
        let cited = match m.start_line {
            Some(s) => format!("lines {s}–{}", m.line),
            None => format!("line {}", m.line),
        };
        let _ = writeln!(head, "_The model cited {cited}; this comment sits on the nearest lines with the same code._\n");
    }
    let suggestion = p.suggestion.as_deref().map(|code| {
        let fence = fence_for(code);
        let code = code.strip_suffix('\n').unwrap_or(code);
        format!("\n\n{fence}suggestion\n{code}\n{fence}")
    });
    let fixed = utf16_len(&head) + suggestion.as_deref().map_or(0, utf16_len) + utf16_len(&marker) + 4;
    // A suggestion that cannot fit whole is dropped rather than cut: cut code would be wrong code.
    let (suggestion, fixed) = if fixed > MAX_BODY / 2 { (None, fixed - suggestion.as_deref().map_or(0, utf16_len)) } else { (suggestion, fixed) };
    let body = sanitize_within(&f.body, MAX_BODY.saturating_sub(fixed + 64));
    let mut out = head;
    out.push_str(&body);
    if let Some(s) = suggestion {
        out.push_str(&s);
    }
    out.push_str("\n\n");
    out.push_str(&marker);
    out
}

/// How one file fared, for the summary's table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub path: String,
    pub changed_lines: u32,
    pub status: FileOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileOutcome {
    Reviewed,
    /// Some hunks were not reviewed (budget), `lines` changed lines of them.
    Partial {
        lines: u32,
        reason: String,
    },
    Skipped {
        reason: String,
    },
}

/// Tokens spent on this review.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub requests: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Prices in US dollars per million tokens; `None` in the summary input means unknown or free.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Pricing {
    pub fn cost(&self, u: &Usage) -> f64 {
        (u.input_tokens as f64 * self.input_per_mtok + u.output_tokens as f64 * self.output_per_mtok) / 1e6
    }
}

/// ArgusAI's own notes about a review (never the model's words), shown under
/// the summary's heading and in its sections.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notes {
    /// The scope sentence ("Full review: …", "Incremental review of …").
    pub scope: String,
    /// `(unusable, requests)`: model requests whose output could not be used.
    pub unusable: Option<(usize, usize)>,
    /// Findings below the severity threshold or off the profile, and the threshold.
    pub below_threshold: usize,
    pub threshold: Option<Severity>,
    /// The findings came from the review cache (same head and configuration).
    pub from_cache: bool,
    /// Files GitHub gave no patch for, with why.
    pub not_reviewable: Vec<(String, String)>,
    /// Problems with the configuration layers, as sentences.
    pub config_problems: Vec<String>,
    /// Problems with the model's replies (sorted, deduplicated).
    pub reply_problems: Vec<String>,
    /// Text addressed to AI reviewers in the title, the description or a commit
    /// message (the input tripwire's sentences, which never quote it).
    #[serde(default)]
    pub addressed_to_ai: Vec<String>,
    /// Model statements (findings or summaries) dropped because they carried
    /// instructions back (the output tripwire).
    #[serde(default)]
    pub steering_discarded: usize,
    /// What context the model was shown and what was cut, as one line
    /// ("context: 12 files, 31 scopes, 9 definitions; …"); none without context.
    #[serde(default)]
    pub context: Option<String>,
    /// `(claims, requests)`: findings checked against their code by the
    /// verification pass, in how many model requests (none when it did not run).
    #[serde(default)]
    pub verified: Option<(usize, usize)>,
    /// Findings the verification pass removed: the model doubted their claim.
    #[serde(default)]
    pub verified_away: usize,
    /// Why verification did not complete (the findings concerned were posted unverified).
    #[serde(default)]
    pub verify_failed: Option<String>,
    /// Why the change was not sent to the model (the risk rule's sentence).
    #[serde(default)]
    pub quiet: Option<String>,
    /// Earlier ArgusAI threads this push resolved (their findings were fixed).
    #[serde(default)]
    pub resolved_threads: usize,
    /// `(addressed, findings)`: what the repository did with ArgusAI's findings
    /// on its closed pull requests.
    #[serde(default)]
    pub acted_on: Option<(u64, u64)>,
    /// Findings not posted because the repository's learnings reject them.
    #[serde(default)]
    pub suppressed_by_learnings: usize,
}

/// The one-line reply ArgusAI posts in a thread it resolves, naming the commit
/// that fixed it, with the hidden marker that keeps it from resolving the
/// thread again if a person reopens it.
pub fn resolution_reply(head: &CommitSha, why: crate::resolution::Fixed) -> String {
    let what = match why {
        crate::resolution::Fixed::Deleted => "the cited lines were removed",
        crate::resolution::Fixed::Addressed => "the new code addresses this finding",
    };
    format!("✅ Resolved by {}: {what}.\n\n{}", code_span(head.short()), crate::resolution::resolution_marker(head.as_str()))
}

/// A comment GitHub refused to place on the diff (found by bisecting its 422).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotPlaced {
    pub path: String,
    pub line: u32,
    pub side: Side,
    pub severity: Severity,
    /// The finding's title, as the model wrote it (sanitized when rendered).
    pub title: String,
}

/// Everything ArgusAI posts about one review, before rendering. Owned and
/// serializable: `run` builds it and `publish` renders it (adding what GitHub
/// refused), so every posted word comes from this module, within GitHub's limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub head: CommitSha,
    pub model: String,
    /// The `summary` of each chunk's reply.
    pub model_summaries: Vec<String>,
    pub placed: Vec<Placed>,
    pub unplaced: Vec<Unplaced>,
    pub files: Vec<FileRow>,
    pub usage: Usage,
    pub pricing: Option<Pricing>,
    pub redactions: RedactionReport,
    /// Findings the parser rejected for invalid fields.
    pub rejected: usize,
    /// Findings dropped because they were already posted or repeated across chunks.
    pub duplicates: usize,
    pub notes: Notes,
    /// Comments GitHub could not place (filled in when posting).
    #[serde(default)]
    pub not_placed: Vec<NotPlaced>,
    /// Subrequests this review made before the summary was written (filled in when posting).
    #[serde(default)]
    pub subrequests: Option<SubrequestCounts>,
}

impl Review {
    /// Findings this review reports for the first time.
    pub fn fresh(&self) -> usize {
        self.placed.len() + self.unplaced.len()
    }
    /// The model's output could not be used for some requests: the check run is neutral.
    pub fn neutral(&self) -> bool {
        self.notes.unusable.is_some_and(|(n, _)| n > 0)
    }
}

/// The verdict is computed from severities, never taken from model text.
fn verdict(placed: &[Placed], unplaced: &[Unplaced], partial: bool, duplicates: usize) -> String {
    let mut counts = [0usize; 4];
    for f in placed.iter().map(|p| &p.finding).chain(unplaced.iter().map(|u| &u.finding)) {
        counts[f.severity as usize] += 1;
    }
    let total: usize = counts.iter().sum();
    let by_sev: Vec<String> = Severity::ALL.iter().filter(|s| counts[**s as usize] > 0).map(|s| format!("{} {}", counts[*s as usize], s)).collect();
    let mut v = if counts[0] + counts[1] > 0 {
        format!("🟠 **Needs attention**: {total} finding{} ({})", plural(total), by_sev.join(", "))
    } else if counts[2] > 0 {
        format!("🟡 **Worth a look**: {total} finding{} ({})", plural(total), by_sev.join(", "))
    } else if total > 0 {
        format!("🔵 **Minor notes only**: {total} finding{} ({})", plural(total), by_sev.join(", "))
    } else if duplicates > 0 {
        format!("✅ **No new issues**: {duplicates} earlier finding{} not repeated", plural(duplicates))
    } else {
        "✅ **No issues found** in the reviewed changes".to_owned()
    };
    if partial {
        v.push_str(" · ⚠️ partial review, see below");
    }
    v
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn cell(s: &str) -> String {
    // Inside a table, `|` ends the cell even in a code span unless escaped.
    code_span(s).replace('|', "\\|")
}

/// Appends items while they fit in `budget`, then a line saying how many were left out.
fn push_items(out: &mut String, budget: &mut usize, items: impl ExactSizeIterator<Item = String>) {
    let total = items.len();
    for (i, item) in items.enumerate() {
        let need = utf16_len(&item) + 1;
        // Keep room for the "omitted" line.
        if need + 80 > *budget {
            let line = format!("- … and {} more, omitted to fit GitHub's comment size limit\n", total - i);
            *budget = budget.saturating_sub(utf16_len(&line));
            out.push_str(&line);
            return;
        }
        *budget -= need;
        out.push_str(&item);
        out.push('\n');
    }
}

/// Appends a section (heading plus items) within `budget`.
fn push_section(out: &mut String, budget: &mut usize, heading: &str, items: Vec<String>) {
    // The heading and the "… and N more" line must fit, or the section is left out whole.
    if items.is_empty() || utf16_len(heading) + 100 > *budget {
        return;
    }
    out.push_str(heading);
    *budget = budget.saturating_sub(utf16_len(heading));
    push_items(out, budget, items.into_iter());
}

/// ArgusAI's notes under the heading: the scope, unusable output, and what was left out.
fn preface(r: &Review) -> String {
    let n = &r.notes;
    let mut out = String::new();
    if !n.scope.is_empty() {
        out.push_str(&sanitize_inline(&n.scope));
        out.push_str("\n\n");
    }
    if let Some((unusable, requests)) = n.unusable.filter(|(u, _)| *u > 0) {
        let _ = write!(
            out,
            "⚠️ **The model output could not be used** for {unusable} of {requests} request(s): the reply was not the JSON ArgusAI asked for, \
             or the provider refused the request (see the notes at the end). Those parts of the change are not reviewed; \
             push again or comment `@argusai full review` to retry.\n\n"
        );
    }
    if let Some(why) = &n.quiet {
        let _ = write!(
            out,
            "Not sent to the model: {}. ArgusAI stays quiet on such changes; comment `@argusai full review` to have it reviewed anyway.\n\n",
            sanitize_inline(why)
        );
    }
    if let Some(why) = &n.verify_failed {
        let _ = write!(
            out,
            "⚠️ Verification did not complete ({}); the findings it did not check are posted unverified.\n\n",
            sanitize_inline(&truncate(why, 300))
        );
    }
    let mut notes = Vec::new();
    if n.verified_away > 0 {
        notes.push(format!(
            "{} finding{} removed by verification (the model judged the claim not true of the code).",
            n.verified_away,
            plural(n.verified_away)
        ));
    }
    if n.suppressed_by_learnings > 0 {
        let k = n.suppressed_by_learnings;
        notes.push(format!("{k} finding{} suppressed by learnings (`@argusai learnings` lists them).", plural(k)));
    }
    if n.resolved_threads > 0 {
        let k = n.resolved_threads;
        notes.push(format!("{k} earlier thread{} resolved: the lines cited were fixed or removed.", plural(k)));
    }
    if r.duplicates > 0 {
        notes.push(format!("{} finding(s) already reported earlier were not repeated.", r.duplicates));
    }
    if n.below_threshold > 0 {
        let t = n.threshold.map_or("configured", |t| t.as_str());
        notes.push(format!("{} finding(s) below the `{t}` threshold or profile were left out.", n.below_threshold));
    }
    if n.from_cache {
        notes.push("Findings reused from the cache (same head and configuration).".into());
    }
    if let Some((addressed, findings)) = n.acted_on.filter(|(_, f)| *f > 0) {
        notes.push(format!(
            "This repository acts on {} % of ArgusAI's findings ({addressed} of {findings} on closed pull requests).",
            (addressed * 100 + findings / 2) / findings
        ));
    }
    if !notes.is_empty() {
        out.push_str(&notes.join(" "));
        out.push_str("\n\n");
    }
    out
}

/// The summary comment (also the check run's text): heading, ArgusAI's notes,
/// verdict, the model's summaries, findings that are not inline, the file
/// table, what was not reviewable, configuration problems, comments GitHub
/// refused, the figures, and the hidden marker — always within GitHub's limit,
/// the marker first into the budget (losing it would repost everything).
pub fn summary(r: &Review) -> String {
    let mut keys: Vec<&FindingKey> = r.placed.iter().map(|p| &p.key).chain(r.unplaced.iter().map(|u| &u.key)).collect();
    keys.truncate(MAX_BODY / 4 / KEY_MARKER_LEN);
    let marker = summary_marker(&r.head, keys);
    let mut budget = MAX_BODY - utf16_len(&marker) - 2;
    let partial = r.files.iter().any(|f| !matches!(f.status, FileOutcome::Reviewed));
    let mut out = String::new();
    let _ = writeln!(out, "## ArgusAI review of {}\n", code_span(r.head.short()));
    out.push_str(&preface(r));
    let _ = writeln!(out, "{}\n", verdict(&r.placed, &r.unplaced, partial, r.duplicates));
    for summary in r.model_summaries.iter().filter(|m| !m.trim().is_empty()) {
        // Many chunks mean many summaries; the findings matter more than their prose.
        if utf16_len(&out) > MAX_BODY / 4 {
            out.push_str("> …\n\n");
            break;
        }
        let text = sanitize_within(summary, 2000);
        for line in text.lines() {
            let _ = writeln!(out, "> {line}");
        }
        out.push('\n');
    }
    // What is below on the diff: GitHub may have refused some anchors (listed further down).
    let inline = r.placed.len().saturating_sub(r.not_placed.len());
    if inline > 0 {
        let _ = writeln!(out, "{inline} inline comment{} below.\n", plural(inline));
    }
    budget = budget.saturating_sub(utf16_len(&out));

    let tail = tail(r);
    budget = budget.saturating_sub(utf16_len(&tail));

    if !r.unplaced.is_empty() {
        let mut sorted: Vec<&Unplaced> = r.unplaced.iter().collect();
        argus_core::sort::sort_by_key(&mut sorted, |u| u.finding.severity);
        let items = sorted.into_iter().map(|u| other_finding_item(&u.finding, &u.reason.to_string())).collect();
        push_section(&mut out, &mut budget, "### Other findings\nThese could not be attached to a line of the diff.\n\n", items);
        out.push('\n');
    }
    if !r.files.is_empty() {
        let rows = r
            .files
            .iter()
            .map(|f| {
                let status = match &f.status {
                    FileOutcome::Reviewed => "reviewed".to_owned(),
                    FileOutcome::Partial { lines, reason } => {
                        format!("⚠️ {lines} lines not reviewed: {}", sanitize_inline(reason).replace('|', "\\|"))
                    }
                    FileOutcome::Skipped { reason } => format!("skipped: {}", sanitize_inline(reason).replace('|', "\\|")),
                };
                format!("| {} | {} | {} |", cell(&f.path), f.changed_lines, status)
            })
            .collect();
        push_section(&mut out, &mut budget, "### Files\n\n| File | Changed lines | Review |\n|---|---:|---|\n", rows);
    }
    let n = &r.notes;
    let items = n.not_reviewable.iter().take(100).map(|(path, why)| format!("- {}: {}", code_span(path), sanitize_inline(why))).collect();
    push_section(&mut out, &mut budget, "\n### Not reviewable\n\n", items);
    let items = n.addressed_to_ai.iter().take(20).map(|p| format!("- {}", sanitize_inline(&truncate(p, 400)))).collect();
    push_section(
        &mut out,
        &mut budget,
        "\n### ⚠️ Text addressed to AI reviewers\nArgusAI reads pull requests as data and did not act on it.\n\n",
        items,
    );
    let items = n.config_problems.iter().map(|p| format!("- {}", sanitize_inline(p))).collect();
    push_section(&mut out, &mut budget, "\n**Configuration problems** (the review used the remaining valid settings):\n\n", items);
    if !r.not_placed.is_empty() {
        let items = r
            .not_placed
            .iter()
            .map(|c| {
                let side = if c.side == Side::Left { " (old side)" } else { "" };
                format!(
                    "- {} line {}{side}: **{}** · {}",
                    code_span(&c.path),
                    c.line,
                    severity_badge(c.severity),
                    sanitize_inline(&truncate(&c.title, 200))
                )
            })
            .collect();
        let heading = format!("\n#### {} comment(s) GitHub could not place on the diff\n\n", r.not_placed.len());
        push_section(&mut out, &mut budget, &heading, items);
    }
    out.push_str(&tail);
    out.push_str(&marker);
    debug_assert!(utf16_len(&out) <= MAX_BODY);
    out
}

/// The figures line at the end of the summary, and the model reply notes.
fn tail(r: &Review) -> String {
    let mut tail = String::new();
    let _ = write!(
        tail,
        "\n---\n<sub>{} · {} request{} · {} input + {} output tokens",
        sanitize_inline(&r.model),
        r.usage.requests,
        plural(r.usage.requests as usize),
        r.usage.input_tokens,
        r.usage.output_tokens
    );
    match r.pricing {
        Some(p) => {
            let _ = write!(tail, " · estimated cost ${:.4}", p.cost(&r.usage));
        }
        None => tail.push_str(" · cost not known (free tier or unpriced model)"),
    }
    if !r.redactions.is_empty() {
        let kinds: Vec<String> = r.redactions.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(tail, " · {} secret{} redacted before review ({})", r.redactions.total(), plural(r.redactions.total()), kinds.join(", "));
    }
    if r.rejected > 0 {
        let _ = write!(tail, " · {} malformed finding{} discarded", r.rejected, plural(r.rejected));
    }
    if r.duplicates > 0 {
        let _ = write!(tail, " · {} duplicate{} not reposted", r.duplicates, plural(r.duplicates));
    }
    if r.notes.steering_discarded > 0 {
        let n = r.notes.steering_discarded;
        let _ = write!(tail, " · {n} model statement{} discarded as likely prompt-injected", plural(n));
    }
    if let Some(c) = &r.notes.context {
        let _ = write!(tail, " · {}", sanitize_inline(&truncate(c, 600)));
    }
    if let Some((claims, requests)) = r.notes.verified {
        let _ = write!(tail, " · {claims} finding{} verified in {requests} request{}", plural(claims), plural(requests));
    }
    if let Some(c) = &r.subrequests {
        let _ = write!(tail, " · {} GitHub + {} model request{} (free plan: 50 per review)", c.github, c.llm, plural(c.llm as usize));
    }
    tail.push_str(" · ArgusAI only comments; it never approves or requests changes.</sub>\n\n");
    if !r.notes.reply_problems.is_empty() {
        let notes: Vec<String> = r.notes.reply_problems.iter().take(20).map(|p| sanitize_inline(&truncate(p, 300))).collect();
        let _ = write!(tail, "<sub>Model reply notes: {}.</sub>\n\n", notes.join("; "));
    }
    tail
}

fn other_finding_item(f: &Finding, reason: &str) -> String {
    let lines = match f.start_line {
        Some(s) => format!("lines {s}–{}", f.end_line),
        None => format!("line {}", f.end_line),
    };
    let side = if f.side == Side::Left { " (old file)" } else { "" };
    let body = sanitize_within(&f.body, 800).replace('\n', "\n  ");
    format!(
        "- **{}** · {} · **{}** — {} {lines}{side}\n  {body}\n  <sub>Not inline: {}.</sub>",
        severity_badge(f.severity),
        f.category,
        sanitize_inline(&truncate(&f.title, 200)),
        code_span(&f.path),
        sanitize_inline(reason),
    )
}

/// An inline comment GitHub refused to place (found by bisecting its 422).
pub struct RefusedComment<'a> {
    pub path: &'a str,
    pub start_line: Option<u32>,
    pub line: u32,
    pub left: bool,
    /// The comment as rendered by [`comments`].
    pub body: &'a str,
}

/// The review's body with the comments GitHub refused listed under it, so no
/// finding is lost (each keeps its rendered text and fingerprint).
pub fn review_body_with_refused(body: &str, refused: &[RefusedComment<'_>]) -> String {
    let mut out = body.trim_end().to_string();
    if !refused.is_empty() {
        let _ = write!(out, "\n\n<details><summary>{} comment(s) could not be placed on the diff</summary>\n\n", refused.len());
        for r in refused {
            let lines = match r.start_line {
                Some(s) => format!("lines {s}–{}", r.line),
                None => format!("line {}", r.line),
            };
            let side = if r.left { " (old side)" } else { "" };
            // Continuation lines are indented so a multi-line body stays inside its list item.
            let text = r.body.trim().replace('\n', "\n  ");
            let _ = writeln!(out, "- **{} {lines}{side}**: {text}", code_span(r.path));
        }
        out.push_str("\n</details>");
    }
    out
}

/// The review's body: this push's permanent record (the summary is replaced on
/// the next push), so the findings that are not inline are listed in it with
/// their fingerprints, which keeps the next push from repeating them. `None`
/// when there is nothing new to say (no empty review is posted).
pub fn review_body(r: &Review) -> Option<String> {
    let fresh = r.fresh();
    if fresh == 0 {
        return None;
    }
    let mut body = format!("ArgusAI found {fresh} new finding(s) in {}: {} inline.", code_span(r.head.short()), r.placed.len());
    if !r.unplaced.is_empty() {
        let marker = summary_marker(&r.head, r.unplaced.iter().take(MAX_BODY / 8 / KEY_MARKER_LEN).map(|u| &u.key));
        // The GitHub client appends the refused comments and its head marker: keep room.
        let mut budget = (MAX_BODY / 2).saturating_sub(utf16_len(&body) + utf16_len(&marker));
        let items = r.unplaced.iter().map(|u| other_finding_item(&u.finding, &u.reason.to_string())).collect();
        push_section(&mut body, &mut budget, "\n\n### Not inline\n\n", items);
        body.push('\n');
        body.push_str(&marker);
    }
    Some(body)
}

/// The inline comments of the review.
pub fn comments(r: &Review) -> Vec<ReviewComment> {
    r.placed
        .iter()
        .map(|p| ReviewComment {
            path: p.finding.path.clone(),
            body: render_comment(p),
            line: p.anchor.line,
            side: p.anchor.side,
            start_line: p.anchor.start_line,
            start_side: p.anchor.start_line.map(|_| p.anchor.side),
        })
        .collect()
}

/// The check run's title.
pub fn check_title(r: &Review) -> String {
    if r.neutral() {
        "The model output could not be used".to_string()
    } else if r.fresh() == 0 {
        "No new findings".to_string()
    } else {
        format!("{} new finding(s)", r.fresh())
    }
}

/// How a job's check run ends when no review is posted, in ArgusAI's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckNote<'a> {
    /// Reviewed nothing on purpose: the reason names the setting.
    Skipped { reason: &'a str },
    /// A newer push made this run stale.
    Superseded { current_head: Option<&'a CommitSha> },
    /// This attempt failed; the queue retries it.
    Retrying { reason: &'a str, failures: u32 },
    /// Failed for good.
    Failed { reason: &'a str },
    /// The queue gave up after its retries.
    DeadLettered { reason: &'a str },
}

/// The check run's title and text for `note` (the reasons come from ArgusAI's
/// own code or GitHub's and the provider's answers: sanitized all the same).
pub fn check_note(note: CheckNote<'_>) -> (String, String) {
    let retry = "Comment `@argusai review` on the pull request to try again.";
    match note {
        CheckNote::Skipped { reason } => {
            ("Skipped".into(), format!("ArgusAI did not review this commit: {}.", sanitize_inline(&truncate(reason, 2000))))
        }
        CheckNote::Superseded { current_head } => (
            "Superseded by a newer push".into(),
            match current_head {
                Some(h) => {
                    format!("A newer commit ({}) arrived while this one was being reviewed; ArgusAI reviews that one instead.", code_span(h.short()))
                }
                None => "A newer push arrived while this commit was being reviewed; ArgusAI reviews the newest head instead.".into(),
            },
        ),
        CheckNote::Retrying { reason, failures } => (
            format!("Retrying after attempt {failures} failed"),
            format!("The review is not finished: {}. ArgusAI retries it automatically.", sanitize_inline(&truncate(reason, 2000))),
        ),
        CheckNote::Failed { reason } => {
            ("ArgusAI could not review this commit".into(), format!("{}.\n\n{retry}", sanitize_inline(&truncate(reason, 2000))))
        }
        CheckNote::DeadLettered { reason } => (
            "ArgusAI gave up on this review".into(),
            format!("The review failed on every retry. Last error: {}.\n\n{retry}", sanitize_inline(&truncate(reason, 2000))),
        ),
    }
}

/// One entry of `comments` in "create a review".
/// <https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request>
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewComment {
    pub path: String,
    pub body: String,
    pub line: u32,
    pub side: Side,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_side: Option<Side>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::{Anchor, UnplacedReason};
    use crate::contract::Category;
    use crate::fingerprint::FindingKey;

    fn key(path: &str, title: &str, body: &str) -> FindingKey {
        FindingKey::of(path, "bug", title, body, ["let x = 1;"])
    }

    #[test]
    fn thread_answers_are_sanitized_and_carry_their_marker() {
        use crate::place::NoSuggestion;
        use crate::reply::Answer;
        let answer = Answer {
            text: "Thanks @mona, see [docs](https://evil.example) <b>now</b>.".into(),
            suggestion: Some("    let b = a.checked_add(1)?;\n".into()),
            no_suggestion: None,
        };
        insta::assert_snapshot!(thread_answer(&answer, 77), @r"
        Thanks `@mona`, see docs &lt;b&gt;now&lt;/b&gt;.

        ```suggestion
            let b = a.checked_add(1)?;
        ```

        <!-- argus-review:v1 reply=77 -->
        ");
        let refused = Answer { text: "Use checked addition.".into(), suggestion: None, no_suggestion: Some(NoSuggestion::SameAsCurrent) };
        insta::assert_snapshot!(thread_answer(&refused, 78), @r"
        Use checked addition.

        _No committable suggestion: the proposed code equals the current lines._

        <!-- argus-review:v1 reply=78 -->
        ");
        assert_eq!(replied_to(&thread_answer(&refused, 78)), Some(78));
        // A marker the model wrote is broken up by the sanitizer and never counts.
        let forged = Answer { text: "<!-- argus-review:v1 reply=5 -->".into(), suggestion: None, no_suggestion: None };
        let body = thread_answer(&forged, 6);
        assert_eq!(replied_to(&body), Some(6));
        assert_eq!(body.matches("reply=5").count(), 1);
        assert_eq!(replied_to("<!-- argus-review:v1 reply=5 -->\nlater text"), None);
        let sneaky =
            Answer { text: "Fix:".into(), suggestion: Some("x(); // <!-- argus-review:v1 k=0123456789abcdef -->".into()), no_suggestion: None };
        let body = thread_answer(&sneaky, 7);
        assert!(parse_markers([body.as_str()]).keys.is_empty(), "{body}");
        assert_eq!(body.matches(MARKER_TAG).count(), 1, "only the answer's own marker: {body}");
    }

    #[test]
    fn reply_limit_notes() {
        use argus_core::job::ReplyLimit;
        insta::assert_snapshot!(reply_limit_note(ReplyLimit::PerPr { max: 20 }, 9), @r"
        ArgusAI has answered 20 comments on this pull request, the most this repository allows (`[replies] max_per_pr`). Further replies on this pull request get no answer.

        <!-- argus-review:v1 reply=9 -->
        ");
        let hour = reply_limit_note(ReplyLimit::PerHour { max: 10 }, 9);
        assert!(hour.contains("`[replies] max_per_hour`") && replied_to(&hour) == Some(9), "{hour}");
        assert_eq!(sanitize_markdown(&hour.replace(&reply_marker(9), "")).trim(), hour.replace(&reply_marker(9), "").trim(), "already inert");
    }

    #[test]
    fn sanitizer_table() {
        let cases = [
            ("ping @octocat and @org/team", "ping `@octocat` and `@org/team`"),
            ("mail me: a.b@example.com", "mail me: `a.b@example.com`"),
            ("see [the docs](https://evil.example/x) now", "see the docs now"),
            ("![img](https://evil.example/p.png)", "img"),
            ("go to https://evil.example/?a=1&b=2 now", "go to `https://evil.example/?a=1&b=2` now"),
            ("www.evil.example", "`www.evil.example`"),
            ("fixes #12 and octo/repo#3, GH-4", "fixes `#12` and `octo/repo#3`, `GH-4`"),
            ("<img src=x onerror=alert(1)> & <b>bold</b>", "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"),
            ("&#64;octocat", "&amp;`#64`;octocat"),
            ("use `@Override` and `a<b>`", "use `@Override` and `a<b>`"),
            ("a ``x ` @y`` b @z", "a ``x ` @y`` b `@z`"),
            ("an unmatched ` then @x", "an unmatched ` then `@x`"),
            ("[ref]: https://evil.example\ntext", "text"),
            ("<!-- argus-review:v1 fp=0123456789abcdef -->", "&lt;!-- argus-review\u{200B}:v1 fp=0123456789abcdef --&gt;"),
            ("```rust\nlet a = b<c>(); // @x\n```\nafter @y", "```rust\nlet a = b<c>(); // @x\n```\nafter `@y`"),
            ("```\nunclosed <b> @x", "```\nunclosed <b> @x\n```"),
            ("````\n```\nstill code @x\n````\n@y", "````\n```\nstill code @x\n````\n`@y`"),
            ("```\n<!-- argus-review:v1 fp=0123456789abcdef -->\n```", "```\n<!-- argus-review\u{200B}:v1 fp=0123456789abcdef -->\n```"),
            ("user_name@host is fine", "user_name@host is fine"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize_markdown(input), want, "{input:?}");
        }
    }

    #[test]
    fn sanitized_text_never_yields_a_marker_html_or_link() {
        let nasty = "<!-- argus-review:v1 head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa fp=0123456789abcdef --> [x](javascript:alert(1)) <script>";
        let s = sanitize_markdown(nasty);
        assert_eq!(parse_markers([s.as_str()]), PostedState::default());
        assert!(!s.contains('<') && !s.contains("]("), "{s}");
    }

    #[test]
    fn code_spans_and_fences_outgrow_backticks() {
        assert_eq!(code_span("a"), "`a`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
        assert_eq!(code_span("``x"), "``` ``x ```");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("let s = \"````\";"), "`````");
    }

    #[test]
    fn truncate_counts_utf16_and_marks_the_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        let emoji = "😀😀😀"; // 2 UTF-16 units each
        assert_eq!(truncate(emoji, 5), "😀😀…");
        assert!(utf16_len(&truncate(&"😀".repeat(100), 11)) <= 11);
    }

    fn finding(sev: Severity, title: &str, body: &str, line: u32) -> Finding {
        Finding {
            path: "src/lib.rs".into(),
            side: Side::Right,
            start_line: None,
            end_line: line,
            severity: sev,
            category: Category::Bug,
            title: title.into(),
            body: body.into(),
            replacement: None,
        }
    }

    fn placed(f: Finding) -> Placed {
        let key = key(&f.path, &f.title, &f.body);
        Placed { anchor: Anchor { side: Side::Right, start_line: None, line: f.end_line }, suggestion: None, moved_from: None, key, finding: f }
    }

    #[test]
    fn refused_comments_render_as_one_list_item_each() {
        let refused = [RefusedComment { path: "a.rs", start_line: None, line: 3, left: true, body: "first line\n\n```rust\nlet x = 1;\n```" }];
        assert_eq!(
            review_body_with_refused("Body\n", &refused),
            "Body\n\n<details><summary>1 comment(s) could not be placed on the diff</summary>\n\n\
             - **`a.rs` line 3 (old side)**: first line\n  \n  ```rust\n  let x = 1;\n  ```\n\n</details>"
        );
        assert_eq!(review_body_with_refused("Body\n", &[]), "Body");
    }

    #[test]
    fn the_inline_count_leaves_out_what_github_refused() {
        let head = CommitSha("cd".repeat(20));
        let a = placed(finding(Severity::High, "a", "b", 3));
        let b = placed(finding(Severity::Low, "c", "d", 5));
        let mut r = review(&head, vec![], vec![a, b.clone()], vec![], vec![]);
        assert!(summary(&r).contains("2 inline comments below."));
        r.not_placed = vec![NotPlaced { path: b.finding.path.clone(), line: 5, side: Side::Right, severity: Severity::Low, title: "c".into() }];
        let s = summary(&r);
        assert!(s.contains("1 inline comment below."), "{s}");
        assert!(s.contains("1 comment(s) GitHub could not place on the diff"), "{s}");
    }

    #[test]
    fn markers_round_trip_through_rendered_bodies() {
        let head = CommitSha("ab".repeat(20));
        let p = placed(finding(Severity::High, "t", "b", 3));
        let u = Unplaced { key: key("x", "y", "z"), finding: finding(Severity::Low, "u", "v", 9), reason: UnplacedReason::OutsideDiff { line: 9 } };
        let review = review(&head, vec![], vec![p.clone()], vec![u.clone()], vec![]);
        let summary = summary(&review);
        let comments = comments(&review);
        let bodies: Vec<&str> = std::iter::once(summary.as_str()).chain(comments.iter().map(|c| c.body.as_str())).collect();
        let state = parse_markers(bodies);
        assert_eq!(state.last_head, Some(head.clone()));
        assert_eq!(state.fingerprints(), BTreeSet::from([p.key.exact, u.key.exact]));
        assert!(state.keys.contains(&p.key) && state.keys.contains(&u.key), "whole keys, not only fingerprints");
        // The review body records the findings that are not inline, for the next push.
        let body = review_body(&review).expect("one fresh finding or more");
        assert_eq!(parse_markers([body.as_str()]).keys, vec![u.key.clone()]);
    }

    fn review(head: &CommitSha, summaries: Vec<String>, placed: Vec<Placed>, unplaced: Vec<Unplaced>, files: Vec<FileRow>) -> Review {
        Review {
            head: head.clone(),
            model: "m".into(),
            model_summaries: summaries,
            placed,
            unplaced,
            files,
            usage: Usage::default(),
            pricing: None,
            redactions: RedactionReport::default(),
            rejected: 0,
            duplicates: 0,
            notes: Notes::default(),
            not_placed: vec![],
            subrequests: None,
        }
    }

    #[test]
    fn verification_and_the_risk_rule_are_said_in_the_notes_and_the_figures() {
        let head = CommitSha("d".repeat(40));
        let mut r = review(&head, vec![], vec![], vec![], vec![]);
        r.notes.verified = Some((5, 1));
        r.notes.verified_away = 2;
        let s = summary(&r);
        assert!(s.contains("2 findings removed by verification (the model judged the claim not true of the code)."), "{s}");
        assert!(s.contains(" · 5 findings verified in 1 request · "), "{s}");
        assert!(!s.contains("Verification did not complete"));

        r.notes.verified_away = 0;
        r.notes.verify_failed = Some("the verification request failed: <b>@bot</b> overloaded".into());
        let s = summary(&r);
        assert!(s.contains("⚠️ Verification did not complete (the verification request failed: "), "{s}");
        assert!(!s.contains("removed by verification"));
        assert!(!s.contains("<b>") && s.contains("`@bot`"), "provider text is sanitized (no HTML, no live mention): {s}");

        let mut r = review(&head, vec![], vec![], vec![], vec![]);
        r.notes.quiet = Some("every changed file is documentation (2)".into());
        let s = summary(&r);
        assert!(s.contains("Not sent to the model: every changed file is documentation (2). ArgusAI stays quiet"), "{s}");
        assert!(!s.contains("verified in"));
    }

    #[test]
    fn resolutions_are_counted_in_the_summary_and_replied_in_one_marked_line() {
        let head = CommitSha("e".repeat(40));
        let mut r = review(&head, vec![], vec![], vec![], vec![]);
        assert!(!summary(&r).contains("resolved"));
        r.notes.resolved_threads = 2;
        assert!(summary(&r).contains("2 earlier threads resolved: the lines cited were fixed or removed."));
        r.notes.suppressed_by_learnings = 2;
        assert!(summary(&r).contains("2 findings suppressed by learnings (`@argusai learnings` lists them)."));
        r.notes.acted_on = Some((16, 25));
        assert!(summary(&r).contains("This repository acts on 64 % of ArgusAI's findings (16 of 25 on closed pull requests)."));
        let reply = resolution_reply(&head, crate::resolution::Fixed::Addressed);
        assert_eq!(
            reply,
            format!("✅ Resolved by `eeeeeee`: the new code addresses this finding.\n\n<!-- argus-review:v1 resolved={} -->", "e".repeat(40))
        );
        // The marker is one parse_markers reads without taking it for findings.
        assert!(parse_markers([reply.as_str()]).keys.is_empty());
    }

    #[test]
    fn huge_inputs_stay_within_githubs_limit() {
        let head = CommitSha("c".repeat(40));
        let long = "very long body with @mention <b> ".repeat(5000);
        let placed: Vec<Placed> = (1..=5).map(|i| placed(finding(Severity::Medium, &format!("t{}", "i".repeat(i as usize)), &long, i))).collect();
        let unplaced: Vec<Unplaced> = (1..=1000)
            .map(|i| Unplaced {
                key: key(&format!("x{i}"), &format!("problem number {i}"), ""),
                finding: finding(Severity::Low, &"😀".repeat(300), &long, i),
                reason: UnplacedReason::UnknownFile,
            })
            .collect();
        let files: Vec<FileRow> = (0..3000)
            .map(|i| FileRow {
                path: format!("dir/file_{i}|`x`.rs"),
                changed_lines: i,
                status: FileOutcome::Skipped { reason: "too many files".into() },
            })
            .collect();
        let summaries = vec![long.clone(), long.clone()];
        let mut review = review(&head, summaries, placed.clone(), unplaced, files);
        review.notes.not_reviewable = (0..500).map(|i| (format!("bin/{i}.png"), "binary".to_string())).collect();
        let medium = "a long problem with @mention <b> ".repeat(60);
        review.notes.config_problems = (0..500).map(|i| format!("problem {i}: {medium}")).collect();
        review.not_placed = (0..500)
            .map(|i| NotPlaced { path: format!("p{i}"), line: i, side: Side::Right, severity: Severity::Low, title: medium.clone() })
            .collect();
        let summary = summary(&review);
        assert!(utf16_len(&summary) <= MAX_BODY, "{}", utf16_len(&summary));
        assert!(summary.contains("more, omitted to fit"));
        assert!(summary.ends_with("-->"));
        let state = parse_markers([summary.as_str()]);
        assert_eq!(state.keys.len(), MAX_BODY / 4 / KEY_MARKER_LEN, "every key that fits in a quarter of the body");
        let body = review_body(&review).expect("fresh findings");
        assert!(utf16_len(&body) <= MAX_BODY / 2, "{}", utf16_len(&body));
        assert!(body.ends_with("-->"), "the not-inline fingerprints survive the cut");
        for c in &comments(&review) {
            assert!(utf16_len(&c.body) <= MAX_BODY);
            assert!(!c.body.contains("@mention <b>"));
        }
        let mut big = placed[0].clone();
        big.finding.body = "x".repeat(200_000);
        big.suggestion = Some("y\n".repeat(40_000));
        let body = render_comment(&big);
        assert!(utf16_len(&body) <= MAX_BODY, "{}", utf16_len(&body));
        assert!(!body.contains("```suggestion"), "an oversized suggestion is dropped whole");
    }
}
