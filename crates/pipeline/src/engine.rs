//! The findings half between the model's reply and the review GitHub accepts:
//! placement of a finding on a commentable diff line, line-shift-robust
//! fingerprints for dedupe against ArgusAI's earlier comments, sanitizing of
//! model text (no mentions, links or HTML reach GitHub), and rendering of the
//! inline comments. Pure functions, tested in `tests/engine.rs`.

use argus_diff::diff::{DiffPos, FileDiff, NewLine, OldLine};
use argus_review::contract::{Finding, Side};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hidden marker carrying a finding's fingerprint inside the comment body, so a
/// later run recognises it whatever line it moved to.
pub const FINGERPRINT_PREFIX: &str = "<!-- argusai:fp=";
const MARKER_END: &str = " -->";

/// Where a finding lands on GitHub's diff: `line`/`side`, and `start_line`/
/// `start_side` for a range within one hunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub path: String,
    pub line: u32,
    pub side: Side,
    pub start_line: Option<u32>,
    /// The anchor covers exactly the lines the finding cited, on the new side,
    /// so a `suggestion` block replaces the right lines.
    pub exact_right_range: bool,
}

fn pos(line: u32, side: Side) -> Option<DiffPos> {
    match side {
        Side::Right => NewLine::new(line).map(DiffPos::Right),
        Side::Left => OldLine::new(line).map(DiffPos::Left),
    }
}

/// Places `f` on `file` (the PR's diff of that path), or says why it cannot be.
/// A range whose start is outside the end's hunk shrinks to its end line; a
/// range whose end is outside the diff falls back to its start line.
pub fn place(f: &Finding, file: Option<&FileDiff<'_>>) -> Result<Anchor, String> {
    let Some(file) = file else {
        return Err(format!("`{}` is not among the pull request's changed files", f.path));
    };
    let c = file.commentable();
    let hunk_at = |line: u32| pos(line, f.side).and_then(|p| c.hunk(p));
    let start = f.start_line.filter(|s| *s < f.end_line);
    match (hunk_at(f.end_line), start) {
        (Some(h), Some(s)) if hunk_at(s) == Some(h) => Ok(Anchor {
            path: f.path.clone(),
            line: f.end_line,
            side: f.side,
            start_line: Some(s),
            exact_right_range: f.side == Side::Right,
        }),
        (Some(_), _) => Ok(Anchor {
            path: f.path.clone(),
            line: f.end_line,
            side: f.side,
            start_line: None,
            exact_right_range: f.side == Side::Right && start.is_none(),
        }),
        (None, Some(s)) if hunk_at(s).is_some() => {
            Ok(Anchor { path: f.path.clone(), line: s, side: f.side, start_line: None, exact_right_range: false })
        }
        (None, _) => Err(format!(
            "line {} ({}) of `{}` is not part of the diff",
            f.end_line,
            if f.side == Side::Right { "new side" } else { "old side" },
            f.path
        )),
    }
}

/// A fingerprint that survives line shifts: the path, the category and the
/// title's words (lower-cased, punctuation dropped). Two runs that report the
/// same problem in the same file get the same fingerprint.
pub fn fingerprint(f: &Finding) -> String {
    let words: Vec<String> = f
        .title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut h = Sha256::new();
    h.update(f.path.as_bytes());
    h.update([0]);
    h.update(f.category.as_str().as_bytes());
    h.update([0]);
    h.update(words.join(" ").as_bytes());
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprints found in earlier comment bodies.
pub fn fingerprints_in(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(FINGERPRINT_PREFIX) {
        rest = &rest[i + FINGERPRINT_PREFIX.len()..];
        if let Some(end) = rest.find(MARKER_END) {
            let fp = &rest[..end];
            if !fp.is_empty() && fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(fp.to_string());
            }
        }
    }
    out
}

/// Makes model-written text safe to post: outside code spans and fenced blocks,
/// `@mentions`, `#123` references and URLs become code spans (no notification,
/// no cross-reference, no link), `[` is escaped (no Markdown link or image
/// syntax survives), `<` becomes `&lt;` (no HTML). Control characters go.
/// The model is told not to write these; this makes sure it did not
/// (Cloudflare's triage bot does the same check on its own output).
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line: String = line.chars().filter(|c| !c.is_control() || *c == '\t').collect();
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            // A fence's info string could carry anything; keep only the fence itself.
            out.push_str(line.trim_start().split_at(3).0);
            continue;
        }
        if in_fence {
            out.push_str(&line);
            continue;
        }
        // Odd segments are inside `inline code`; an unmatched backtick leaves the rest as text.
        let parts: Vec<&str> = line.split('`').collect();
        let closed = parts.len() % 2 == 1;
        for (k, part) in parts.iter().enumerate() {
            if k > 0 {
                out.push('`');
            }
            let is_code = k % 2 == 1 && (closed || k + 1 < parts.len());
            if is_code { out.push_str(part) } else { defuse(part, &mut out) }
        }
    }
    if in_fence {
        out.push_str("\n```");
    }
    out
}

fn defuse(text: &str, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let boundary = |i: usize| i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let starts = |i: usize, p: &str| chars[i..].iter().take(p.len()).copied().eq(p.chars());
    while i < chars.len() {
        let c = chars[i];
        let url = boundary(i) && (starts(i, "http://") || starts(i, "https://") || starts(i, "www."));
        let mention = c == '@' && boundary(i) && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric());
        let reference = c == '#' && boundary(i) && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if url || mention || reference {
            let end = chars[i..]
                .iter()
                .position(|ch| ch.is_whitespace() || matches!(ch, ')' | ']' | '"' | '\'' | '<' | '>' | '`' | ','))
                .map_or(chars.len(), |p| i + p);
            out.push('`');
            out.extend(&chars[i..end]);
            out.push('`');
            i = end;
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '[' => out.push_str("\\["),
            c => out.push(c),
        }
        i += 1;
    }
}

/// One line, for titles.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        let mut s: String = flat.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The inline comment's body: severity and category, the title, the
/// explanation, a `suggestion` block when the anchor covers exactly the cited
/// new-side lines, and the hidden fingerprint. GitHub adds nothing; the GitHub
/// client appends ArgusAI's comment marker.
pub fn render_comment(f: &Finding, anchor: &Anchor, fp: &str) -> String {
    let mut out = format!(
        "**{}** · {} · {}\n\n{}",
        f.severity.as_str(),
        f.category.as_str(),
        sanitize(&one_line(&f.title, 120)),
        sanitize(f.body.trim())
    );
    if let Some(code) = f.replacement.as_deref()
        && anchor.exact_right_range
        && !code.contains("```")
    {
        // <https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/commenting-on-a-pull-request#adding-line-comments-to-a-pull-request>
        out.push_str("\n\n```suggestion\n");
        out.push_str(code.trim_end_matches('\n'));
        out.push_str("\n```");
    }
    out.push_str(&format!("\n\n{FINGERPRINT_PREFIX}{fp}{MARKER_END}"));
    out
}

/// A finding listed in the summary instead of inline.
pub fn render_listed(f: &Finding, note: Option<&str>) -> String {
    let lines = match f.start_line {
        Some(s) if s < f.end_line => format!("lines {s}–{}", f.end_line),
        _ => format!("line {}", f.end_line),
    };
    let side = if f.side == Side::Left { " (old side)" } else { "" };
    let mut body = one_line(f.body.trim(), 300);
    if let Some(n) = note {
        body.push_str(&format!(" _({n})_"));
    }
    format!(
        "- **{}** · {} · `{}` {lines}{side}: {} — {}",
        f.severity.as_str(),
        f.category.as_str(),
        f.path.replace('`', "'"),
        sanitize(&one_line(&f.title, 120)),
        sanitize(&body)
    )
}
