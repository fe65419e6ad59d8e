//! Learnings applied and taught, pure: when a reply in ArgusAI's thread rejects
//! its finding, the rule that comes of it; which findings a learning suppresses
//! (same title, same scope); the prompt section of the rules (bounded, most
//! specific first); the notes `@argusai learnings` / `forget N` post; and the
//! TOML a team commits as `[[learnings]]` in `.github/argusai.toml`.

use crate::contract::Finding;
use crate::render::{MAX_BODY, code_span, fence_for, sanitize_inline, truncate};
use argus_core::learning::{Learning, MAX_RULE_CHARS};
use argus_glob::GlobSet;
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

/// Whether two finding titles are the same for learnings: word by word, case
/// and punctuation aside (an empty title matches nothing).
pub fn same_title(a: &str, b: &str) -> bool {
    let a = words(a);
    !a.is_empty() && a == words(b)
}

/// The learnings a review applies: the team's `[[learnings]]` from the
/// configuration and those ArgusAI learned in threads, their path scopes
/// compiled once into one glob set. A learning whose scope is not a glob
/// applies nowhere.
pub struct Rules<'a> {
    /// Each learning and its scope's index in `scopes` (`None`: the repository).
    all: Vec<(&'a Learning, Option<usize>)>,
    scopes: GlobSet,
}

impl<'a> Rules<'a> {
    /// `committed` first (the team's file), then `learned`; learnings equal in
    /// rule, scope, category and title (compared word by word, case aside)
    /// count once, the first kept: an export the team pasted, or a finding
    /// rejected twice, does not repeat its rule in the prompt.
    pub fn new(committed: &'a [Learning], learned: &'a [Learning]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut all = Vec::new();
        let mut scopes = Vec::new();
        let mut n = 0;
        for l in committed.iter().chain(learned) {
            let key = (words(&l.rule), l.path.as_deref(), l.category.as_deref(), l.title.as_deref().map(words));
            if !seen.insert(key) {
                continue;
            }
            match l.path.as_deref() {
                None => all.push((l, None)),
                Some(p) => {
                    if let Ok(g) = argus_glob::path_glob(p) {
                        scopes.push(g);
                        all.push((l, Some(n)));
                        n += 1;
                    }
                }
            }
        }
        Rules { all, scopes: GlobSet::new(scopes) }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Whether a learning suppresses a finding: it rejected a finding with the
    /// same title (compared word by word, case aside), in the same category when
    /// it names one, on a path in its scope (`in_scope`: the scopes matching the path).
    fn suppresses(l: &Learning, scope: Option<usize>, in_scope: &[usize], f: &Finding) -> bool {
        let Some(title) = &l.title else { return false };
        let same_title = same_title(title, &f.title);
        let same_category = l.category.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(f.category.as_str()));
        same_title && same_category && scope.is_none_or(|i| in_scope.contains(&i))
    }

    /// Drops the findings the learnings suppress; returns how many.
    pub fn suppress(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain(|f| {
            let in_scope = self.scopes.matches(&f.path);
            !self.all.iter().any(|(l, scope)| Self::suppresses(l, *scope, &in_scope, f))
        });
        before - findings.len()
    }

    /// The rules for a review of `paths`, for the prompt: scoped rules that
    /// match a reviewed file first, then repository-wide ones in a category,
    /// then the rest (newest first within each; the team's file before what was
    /// learned); bounded. Empty without any.
    pub fn prompt_section(&self, paths: &[&str]) -> String {
        let covered: std::collections::HashSet<usize> = paths.iter().flat_map(|p| self.scopes.matches(p)).collect();
        let mut ranked: Vec<(u8, usize, &Learning)> = self
            .all
            .iter()
            .enumerate()
            .filter_map(|(i, (l, scope))| match scope {
                Some(s) if covered.contains(s) => Some((0, i, *l)),
                Some(_) => None,
                None => Some((if l.category.is_some() { 1 } else { 2 }, i, *l)),
            })
            .collect();
        // Committed entries (id 0) keep file order, before learned ones, newest first.
        argus_core::sort::sort_by_key(&mut ranked, |(r, i, l)| (*r, l.id != 0, std::cmp::Reverse(l.id), *i));
        let mut out = String::new();
        for (_, _, l) in ranked.into_iter().take(MAX_PROMPT_RULES) {
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
}

/// The room a learnings note takes at most, leaving space for the marker.
const NOTE_BUDGET: usize = MAX_BODY - 1_000;

/// The note `@argusai learnings` posts: the list, numbered, then the same
/// learnings as `[[learnings]]` TOML to commit into `.github/argusai.toml`
/// (collapsed), and how many rules that file already holds (`committed`).
/// Within GitHub's comment limit: past it, the list and the TOML say how many
/// they left out.
pub fn learnings_note(learnings: &[Learning], committed: usize) -> String {
    let from_file = match committed {
        0 => String::new(),
        1 => "\n\n1 more rule applies from `.github/argusai.toml` on the base branch (`[[learnings]]`).".into(),
        n => format!("\n\n{n} more rules apply from `.github/argusai.toml` on the base branch (`[[learnings]]`)."),
    };
    if learnings.is_empty() {
        return format!(
            "ArgusAI has learned nothing in this repository's threads yet. Reply to a finding saying it is a false positive \
             or intended (or `@argusai learn: <rule>` in its thread), and it will remember.{from_file}"
        );
    }
    let mut out = format!("**What ArgusAI has learned in this repository** ({}):\n\n", learnings.len());
    for (i, l) in learnings.iter().enumerate() {
        let scope = l.path.as_deref().map(|p| format!(" · in {}", code_span(p))).unwrap_or_default();
        let line = format!("{}. {}{scope} · from #{} by {}\n", i + 1, sanitize_inline(&l.rule), l.source_pr, code_span(&l.author));
        if out.len() + line.len() > NOTE_BUDGET / 2 {
            let _ = writeln!(out, "… and {} more (the dashboard lists them all).", learnings.len() - i);
            break;
        }
        out.push_str(&line);
    }
    out.push_str("\n`@argusai forget N` removes one.");
    out.push_str(&from_file);
    let mut toml = String::new();
    let mut kept = 0;
    for l in learnings {
        let entry = l.toml_entry();
        if out.len() + toml.len() + entry.len() + 300 > NOTE_BUDGET {
            break;
        }
        toml.push_str(&entry);
        toml.push('\n');
        kept += 1;
    }
    if kept > 0 {
        let part = if kept < learnings.len() { format!(" (the first {kept} of {})", learnings.len()) } else { String::new() };
        let fence = fence_for(&toml);
        let _ = write!(
            out,
            "\n\n<details><summary>Keep them in the repository{part}: add this to .github/argusai.toml on the default branch, \
             then forget them here</summary>\n\n{fence}toml\n{}\n{fence}\n\n</details>",
            toml.trim_end()
        );
    }
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

    fn suppresses(l: Learning, f: &Finding) -> bool {
        let one = [l];
        let mut fs = vec![f.clone()];
        Rules::new(&[], &one).suppress(&mut fs) == 1
    }

    #[test]
    fn a_learning_suppresses_the_same_title_in_its_scope_only() {
        let f = finding("src/a.rs", "Unused  variable!");
        assert!(suppresses(learning(Some("unused variable"), None, Some("bug")), &f));
        assert!(!suppresses(learning(Some("unused variable"), None, Some("security")), &f));
        assert!(!suppresses(learning(Some("unused import"), None, None), &f));
        assert!(!suppresses(learning(None, None, None), &f), "a rule alone suppresses nothing");
        assert!(suppresses(learning(Some("Unused variable"), Some("src/**"), None), &f));
        assert!(!suppresses(learning(Some("Unused variable"), Some("tests/**"), None), &f));
        assert!(!suppresses(learning(Some("Unused variable"), Some("src/b.rs"), None), &f));
        // Globs as in `.github/argusai.toml`: without `/` at any depth, `*` within a directory.
        assert!(suppresses(learning(Some("Unused variable"), Some("*.rs"), None), &f));
        assert!(suppresses(learning(Some("Unused variable"), Some("src/*.rs"), None), &f));
        assert!(!suppresses(learning(Some("Unused variable"), Some("*/x/*.rs"), None), &f));
        assert!(!suppresses(learning(Some("Unused variable"), Some("src/[.rs"), None), &f), "a broken glob applies nowhere");
        let mut all = vec![f.clone(), finding("src/a.rs", "Division by zero")];
        let ls = [learning(Some("unused variable"), None, None)];
        assert_eq!(Rules::new(&ls, &[]).suppress(&mut all), 1);
        assert_eq!(all[0].title, "Division by zero");
    }

    #[test]
    fn equal_learnings_count_once() {
        let committed = [Learning { id: 0, source_pr: 0, ..learning(Some("Unused variable"), Some("src/**"), Some("bug")) }];
        let learned = [learning(Some("unused  VARIABLE"), Some("src/**"), Some("bug")), learning(None, None, None), learning(None, None, None)];
        assert_eq!(Rules::new(&committed, &learned).len(), 2, "the pasted one and the repeated one count once");
    }

    #[test]
    fn the_prompt_section_puts_scoped_rules_first_and_stays_bounded() {
        let mut ls: Vec<Learning> = (0..15).map(|i| Learning { id: i, rule: format!("repo rule {i}"), ..learning(None, None, None) }).collect();
        ls.push(Learning { id: 99, rule: "src rule".into(), ..learning(None, Some("src/**"), None) });
        ls.push(Learning { id: 98, rule: "docs rule".into(), ..learning(None, Some("docs/**"), None) });
        let s = Rules::new(&[], &ls).prompt_section(&["src/a.rs"]);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "- src rule");
        assert_eq!(lines.len(), 1 + MAX_PROMPT_RULES);
        assert!(!s.contains("docs rule"), "a rule scoped elsewhere stays out");
        assert_eq!(Rules::new(&[], &[]).prompt_section(&["src/a.rs"]), "");
        // The team's file comes first, in file order.
        let committed = [Learning { id: 0, rule: "team rule".into(), ..learning(None, None, None) }];
        let s = Rules::new(&committed, &ls).prompt_section(&["src/a.rs"]);
        assert_eq!(s.lines().nth(1), Some("- src rule"));
        assert_eq!(s.lines().nth(2), Some("- team rule"));
    }

    #[test]
    fn notes_list_number_and_never_mention() {
        let l = Learning { rule: "Ask @octocat first".into(), ..learning(Some("t"), Some("src/**"), None) };
        let note = learnings_note(std::slice::from_ref(&l), 0);
        assert!(note.contains("1. Ask `@octocat` first · in `src/**` · from #1 by `a`"), "{note}");
        assert!(learnings_note(&[], 0).contains("learned nothing"));
        assert!(learnings_note(&[], 2).ends_with("2 more rules apply from `.github/argusai.toml` on the base branch (`[[learnings]]`)."));
        assert!(learnings_note(std::slice::from_ref(&l), 1).contains("removes one.\n\n1 more rule applies from"));
        assert_eq!(forgot_note(2, None), "There is no learning 2; `@argusai learnings` lists them.");
        assert!(forgot_note(1, Some(&l)).starts_with("Forgot learning 1: Ask `@octocat` first"));
        assert!(learned_line(&l).contains("\"t\""));
        assert!(
            note.contains("<details>") && note.contains("```toml\n# learned in #1 from a\n[[learnings]]\nrule = \"Ask @octocat first\""),
            "{note}"
        );
    }

    #[test]
    fn the_toml_export_escapes_and_the_note_stays_within_githubs_limit() {
        let l =
            Learning { rule: "say \"no\" \\ then\nstop\u{7}".into(), author: "ev\nil\"".into(), ..learning(Some("t"), Some("src/**"), Some("bug")) };
        assert_eq!(
            l.toml_entry(),
            "# learned in #1 from evil\n[[learnings]]\nrule = \"say \\\"no\\\" \\\\ then\\nstop\\u0007\"\npath = \"src/**\"\ncategory = \"bug\"\ntitle = \"t\"\n"
        );
        let many: Vec<Learning> =
            (0..200).map(|i| Learning { id: i, rule: format!("{i} {}", "r".repeat(290)), ..learning(Some("t"), None, None) }).collect();
        let note = learnings_note(&many, 100);
        assert!(note.encode_utf16().count() <= NOTE_BUDGET, "{}", note.len());
        assert!(note.contains("more (the dashboard lists them all)") && note.contains("(the first "), "{note}");
        // A rule with a fence in it cannot close the export's block.
        let fenced = [Learning { rule: "```\n</details> @x".into(), ..learning(None, None, None) }];
        let note = learnings_note(&fenced, 0);
        assert!(note.contains("````toml"), "{note}");
    }
}
