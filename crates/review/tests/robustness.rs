//! Robustness over many inputs: every cut of a reply keeps exactly the complete findings
//! before the cut; sanitizing and redacting arbitrary text never panics, never lets a
//! marker through, and never changes the line count of a prompt.

use argus_review::contract::{ReplyProblem, parse_reply};
use argus_review::redact::redact;
use argus_review::render::{parse_markers, sanitize_markdown};
use proptest::prelude::*;
use std::path::PathBuf;

#[test]
fn every_truncation_keeps_a_prefix_of_complete_findings() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies/ripgrep-2a2b1506d42c.txt");
    let reply = std::fs::read_to_string(p).unwrap();
    let full = parse_reply(&reply);
    assert_eq!(full.findings.len(), 6);
    let mut seen_counts = std::collections::BTreeSet::new();
    for cut in (0..reply.len()).filter(|i| reply.is_char_boundary(*i)) {
        let part = parse_reply(&reply[..cut]);
        let n = part.findings.len();
        assert_eq!(part.findings[..], full.findings[..n], "cut at {cut}: a finding changed");
        // Nothing past a cut is invented: the rejected one (index 5) is only seen whole.
        assert!(part.rejected.iter().all(|r| r.index == 5 && r.reasons.len() == 1), "cut at {cut}: {:?}", part.rejected);
        if n > 0 {
            assert!(part.problems.contains(&ReplyProblem::Truncated) || cut > reply.rfind('}').unwrap(), "cut at {cut}");
        }
        seen_counts.insert(n);
    }
    assert_eq!(seen_counts.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 5, 6]);
}

proptest! {
    #[test]
    fn sanitizer_never_lets_a_marker_or_tag_through(s in "(<!-- argus-review:v1 fp=0123456789abcdef -->|```|`|<b>|@[a-z]{1,5}|\\[x\\]\\(http://y\\)|[a-z ]{0,8}|\n){0,24}") {
        let out = sanitize_markdown(&s);
        prop_assert!(parse_markers([out.as_str()]).keys.is_empty(), "{:?} -> {:?}", s, out);
        // Code blocks are always closed: what we append after model text stays outside them.
        let again = sanitize_markdown(&format!("{out}\n@tail"));
        prop_assert!(again.ends_with("`@tail`"), "{:?} -> {:?}", s, again);
    }

    #[test]
    fn redaction_keeps_lines_and_never_panics(s in "(\\PC|\n|-----BEGIN (RSA )?PRIV(ATE) KEY-----|[A-Za-z0-9+/]{16,40}|password = \"|token: ){0,30}") {
        let r = redact(&s);
        prop_assert_eq!(r.text.lines().count(), s.lines().count());
        prop_assert_eq!(r.text.matches('\n').count(), s.matches('\n').count());
    }

    #[test]
    fn parser_never_panics_on_json_like_noise(s in "([{}\\[\\]\",:]|\"findings\"|\"summary\"|[a-z0-9 ]{0,6}|\\\\|\n){0,60}") {
        let _ = parse_reply(&s);
    }
}
