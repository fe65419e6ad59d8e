//! The hidden HTML markers ArgusAI puts in what it posts, so it can find its own
//! posts again without knowing its bot login: the review for a head SHA (a retry
//! never posts twice), the summary comment (updated in place), its inline
//! comments (fed to dedupe) and its validation probes (cleaned up after a crash).
//! GitHub renders HTML comments invisibly in Markdown.

use argus_core::ids::CommitSha;

const REVIEW_PREFIX: &str = "<!-- argusai:review head=";
const MARKER_END: &str = " -->";

/// In the summary issue comment; there is one per PR.
pub const SUMMARY_MARKER: &str = "<!-- argusai:summary -->";
/// In every inline review comment ArgusAI posts.
pub const COMMENT_MARKER: &str = "<!-- argusai:comment -->";
/// Marks ArgusAI's short notes on a PR (help, paused, failures).
pub const NOTE_MARKER: &str = "<!-- argusai:note -->";
/// In the pending reviews created only to validate comment anchors; they are deleted.
pub const PROBE_MARKER: &str = "<!-- argusai:probe -->";

/// The marker carried by the review ArgusAI posts for `head`.
pub fn review_marker(head: &CommitSha) -> String {
    format!("{REVIEW_PREFIX}{}{MARKER_END}", head.as_str())
}

/// The head SHA named by a review marker in `body`, if any.
pub fn review_marker_head(body: &str) -> Option<&str> {
    let start = body.find(REVIEW_PREFIX)? + REVIEW_PREFIX.len();
    let rest = &body[start..];
    let end = rest.find(MARKER_END)?;
    let sha = &rest[..end];
    (!sha.is_empty() && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
}

/// `body` with `marker` on its own last line, unless it already carries it.
pub fn with_marker(body: &str, marker: &str) -> String {
    if body.contains(marker) { body.to_string() } else { format!("{}\n\n{marker}", body.trim_end()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_marker_round_trips() {
        let sha = CommitSha("0123456789abcdef0123456789abcdef01234567".into());
        let body = with_marker("Looks fine.", &review_marker(&sha));
        assert_eq!(body, "Looks fine.\n\n<!-- argusai:review head=0123456789abcdef0123456789abcdef01234567 -->");
        assert_eq!(review_marker_head(&body), Some(sha.as_str()));
        assert_eq!(with_marker(&body, &review_marker(&sha)), body, "never doubled");
        for other in ["", "no marker", "<!-- argusai:review head= -->", "<!-- argusai:review head=zz -->", "<!-- argusai:review head=ab"] {
            assert_eq!(review_marker_head(other), None, "{other:?}");
        }
    }
}
