//! Learnings applied and taught, pure: when a reply in ArgusAI's thread rejects
//! its finding, the rule that comes of it; which findings a learning suppresses
//! (same title, same scope); the prompt section of the rules (bounded, most
//! specific first); and the notes `@argusai learnings` / `forget N` post.

use crate::contract::Finding;
use crate::render::{code_span, sanitize_inline, truncate};
use argus_core::learning::{Learning, MAX_RULE_CHARS};
use std::fmt::Write;

/// Rules in one prompt, at most, and their characters.
pub const MAX_PROMPT_RULES: usize = 10;
pub const MAX_PROMPT_CHARS: usize = 1500;

/// Whether a reply says the finding does not apply ("false positive",
/// "intended", "we don't do that here"…). Quoted lines are skipped.
pub fn rejects(body: &str) -> bool {
    let text: String = body.lines().filter(|l| !l.trim_start().starts_with('>')).collect::<Vec<_>>().join(" ").to_lowercase();
    const PHRASES: [&str; 12] = [
        "false positive",
        "intended",
        "intentional",
        "by design",
        "not a bug",
        "not an issue",
        "we don't do that here",
        "we do not do that here",
        "won't fix",
        "wontfix",
        "expected behavior",
        "expected behaviour",
    ];
    PHRASES.iter().any(|p| text.contains(p)) && !text.contains("not intended") && !text.contains("unintended")
}

/// The rule of `@<handle> learn: <rule>` (the text after `learn` up to the
/// end of its line, bounded); `None` without a rule. Quoted lines are skipped.
pub fn taught_rule(body: &str) -> Option<String> {
    for line in body.lines().filter(|l| !l.trim_start().starts_with('>')) {
        for (at, _) in line.match_indices('@') {
            let after = &line[at + 1..];
            let handle_end = after.find(char::is_whitespace).unwrap_or(after.len());
            let rest = after[handle_end..].trim_start();
            if rest.len() >= 5 && rest.is_char_boundary(5) && rest[..5].eq_ignore_ascii_case("learn") {
                let rule = rest[5..].trim_start_matches([':', ' ']).trim();
                return (!rule.is_empty()).then(|| truncate(rule, MAX_RULE_CHARS));
            }
        }
    }
    None
}

/// The category and title of an ArgusAI inline comment (`**badge** · category · **title**`).
pub fn finding_heading(body: &str) -> Option<(String, String)> {
    let first = body.lines().next()?;
    let mut parts = first.split(" · ");
    let _badge = parts.next()?;
    let category = parts.next()?.trim().to_string();
    let title = parts.next()?.trim().trim_matches('*').trim().to_string();
    (!title.is_empty()).then_some((category, title))
}

/// The rule a rejected finding teaches, in plain words.
pub fn rejection_rule(category: &str, title: &str) -> String {
    truncate(&format!("Do not report \"{title}\" ({category}): a maintainer said it does not apply in this repository."), MAX_RULE_CHARS)
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `path` is in a learning's scope: no path (the repository), the same
/// file, or a `dir/**` glob over it.
fn in_scope(scope: Option<&str>, path: &str) -> bool {
    match scope {
        None => true,
        Some(s) => match s.strip_suffix("/**") {
            Some(dir) => path.starts_with(dir) && path[dir.len()..].starts_with('/'),
            None => s == path,
        },
    }
}

/// Whether a learning suppresses a finding: it rejected a finding with the
/// same title (compared word by word, case aside), in the same category when
/// it names one, on a path in its scope.
pub fn suppresses(l: &Learning, f: &Finding) -> bool {
    let Some(title) = &l.title else { return false };
    let same_title = !words(title).is_empty() && words(title) == words(&f.title);
    let same_category = l.category.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(f.category.as_str()));
    same_title && same_category && in_scope(l.path.as_deref(), &f.path)
}

/// Drops the findings learnings suppress; returns how many.
pub fn suppress(findings: &mut Vec<Finding>, learnings: &[Learning]) -> usize {
    let before = findings.len();
    findings.retain(|f| !learnings.iter().any(|l| suppresses(l, f)));
    before - findings.len()
}

/// The rules for a review of `paths`, for the prompt: scoped rules that match
/// a reviewed file first, then repository-wide ones; bounded. Empty without any.
pub fn prompt_section(learnings: &[Learning], paths: &[&str]) -> String {
    let mut ranked: Vec<(u8, &Learning)> = learnings
        .iter()
        .filter_map(|l| match l.path.as_deref() {
            Some(scope) if paths.iter().any(|p| in_scope(Some(scope), p)) => Some((0, l)),
            Some(_) => None,
            None => Some((if l.category.is_some() { 1 } else { 2 }, l)),
        })
        .collect();
    ranked.sort_by_key(|(r, l)| (*r, std::cmp::Reverse(l.id)));
    let mut out = String::new();
    for (_, l) in ranked.into_iter().take(MAX_PROMPT_RULES) {
        let line = format!("- {}\n", sanitize_inline(&l.rule));
        if out.len() + line.len() > MAX_PROMPT_CHARS {
            break;
        }
        out.push_str(&line);
    }
    if out.is_empty() {
        return out;
    }
    format!("Rules this repository's maintainers taught ArgusAI (follow them):\n{out}")
}

/// The note `@argusai learnings` posts: the list, numbered.
pub fn learnings_note(learnings: &[Learning]) -> String {
    if learnings.is_empty() {
        return "ArgusAI has learned nothing in this repository yet. Reply to a finding saying it is a false positive \
                or intended (or `@argusai learn: <rule>` in its thread), and it will remember."
            .into();
    }
    let mut out = format!("**What ArgusAI has learned in this repository** ({}):\n\n", learnings.len());
    for (i, l) in learnings.iter().enumerate() {
        let scope = l.path.as_deref().map(|p| format!(" · in {}", code_span(p))).unwrap_or_default();
        let _ = writeln!(out, "{}. {}{scope} · from #{} by {}", i + 1, sanitize_inline(&l.rule), l.source_pr, code_span(&l.author));
    }
    out.push_str("\n`@argusai forget N` removes one.");
    out
}

/// The note `@argusai forget N` posts.
pub fn forgot_note(n: u32, forgotten: Option<&Learning>) -> String {
    match forgotten {
        Some(l) => format!("Forgot learning {n}: {}", sanitize_inline(&l.rule)),
        None => format!("There is no learning {n}; `@argusai learnings` lists them."),
    }
}

/// What ArgusAI says in the thread when it learned something there.
pub fn learned_line(l: &Learning) -> String {
    match &l.title {
        Some(t) => format!(
            "Noted: findings titled \"{}\" will not be posted again in this repository (`@argusai learnings` lists what ArgusAI has learned).",
            sanitize_inline(t)
        ),
        None => format!("Learned for this repository: {} (`@argusai learnings` lists them).", sanitize_inline(&l.rule)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Category, Severity, Side};

    fn finding(path: &str, title: &str) -> Finding {
        Finding {
            path: path.into(),
            side: Side::Right,
            start_line: None,
            end_line: 1,
            severity: Severity::Medium,
            category: Category::Bug,
            title: title.into(),
            body: "b".into(),
            replacement: None,
        }
    }
    fn learning(title: Option<&str>, path: Option<&str>, category: Option<&str>) -> Learning {
        Learning {
            id: 1,
            rule: "r".into(),
            path: path.map(Into::into),
            category: category.map(Into::into),
            title: title.map(Into::into),
            source_pr: 1,
            source_comment: 1,
            author: "a".into(),
            created_at: 0,
        }
    }

    #[test]
    fn rejections_are_recognised_and_negations_are_not() {
        for yes in ["This is intended.", "False positive: the lock is held", "we don't do that here", "By design, see ADR 7"] {
            assert!(rejects(yes), "{yes}");
        }
        for no in ["Why is this a problem?", "This was not intended, fixing", "> intended\nno, fixing it", "unintended side effect, good catch"] {
            assert!(!rejects(no), "{no}");
        }
    }

    #[test]
    fn taught_rules_and_headings_are_read_from_comments() {
        assert_eq!(taught_rule("@argusai learn: we allow unwrap in tests").as_deref(), Some("we allow unwrap in tests"));
        assert_eq!(taught_rule("ok. @ArgusAI learn prefer early returns\nmore").as_deref(), Some("prefer early returns"));
        assert_eq!(taught_rule("@argusai learn:"), None);
        assert_eq!(taught_rule("> @argusai learn: quoted\nno"), None);
        assert_eq!(taught_rule("é @argusai learn: ünïcode rule").as_deref(), Some("ünïcode rule"));
        let body = "**🟡 Medium** · bug · **Unused variable**\n\nIt is never read.\n\n<!-- argus-review:v1 k=1 -->";
        assert_eq!(finding_heading(body), Some(("bug".into(), "Unused variable".into())));
        assert_eq!(finding_heading("plain text"), None);
    }

    #[test]
    fn a_learning_suppresses_the_same_title_in_its_scope_only() {
        let f = finding("src/a.rs", "Unused  variable!");
        assert!(suppresses(&learning(Some("unused variable"), None, Some("bug")), &f));
        assert!(!suppresses(&learning(Some("unused variable"), None, Some("security")), &f));
        assert!(!suppresses(&learning(Some("unused import"), None, None), &f));
        assert!(!suppresses(&learning(None, None, None), &f), "a rule alone suppresses nothing");
        assert!(suppresses(&learning(Some("Unused variable"), Some("src/**"), None), &f));
        assert!(!suppresses(&learning(Some("Unused variable"), Some("tests/**"), None), &f));
        assert!(!suppresses(&learning(Some("Unused variable"), Some("src/b.rs"), None), &f));
        let mut all = vec![f.clone(), finding("src/a.rs", "Division by zero")];
        assert_eq!(suppress(&mut all, &[learning(Some("unused variable"), None, None)]), 1);
        assert_eq!(all[0].title, "Division by zero");
    }

    #[test]
    fn the_prompt_section_puts_scoped_rules_first_and_stays_bounded() {
        let mut ls: Vec<Learning> = (0..15).map(|i| Learning { id: i, rule: format!("repo rule {i}"), ..learning(None, None, None) }).collect();
        ls.push(Learning { id: 99, rule: "src rule".into(), ..learning(None, Some("src/**"), None) });
        ls.push(Learning { id: 98, rule: "docs rule".into(), ..learning(None, Some("docs/**"), None) });
        let s = prompt_section(&ls, &["src/a.rs"]);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "- src rule");
        assert_eq!(lines.len(), 1 + MAX_PROMPT_RULES);
        assert!(!s.contains("docs rule"), "a rule scoped elsewhere stays out");
        assert_eq!(prompt_section(&[], &["src/a.rs"]), "");
    }

    #[test]
    fn notes_list_number_and_never_mention() {
        let l = Learning { rule: "Ask @octocat first".into(), ..learning(Some("t"), Some("src/**"), None) };
        let note = learnings_note(std::slice::from_ref(&l));
        assert!(note.contains("1. Ask `@octocat` first · in `src/**` · from #1 by `a`"), "{note}");
        assert!(learnings_note(&[]).contains("learned nothing"));
        assert_eq!(forgot_note(2, None), "There is no learning 2; `@argusai learnings` lists them.");
        assert!(forgot_note(1, Some(&l)).starts_with("Forgot learning 1: Ask `@octocat` first"));
        assert!(learned_line(&l).contains("\"t\""));
    }
}
