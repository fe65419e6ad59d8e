//! Repository guidance files: order, blank files, and the size bound with its note.

use argus_config::guidance::{GuidanceFiles, repository_guidance, repository_guidance_within};

#[test]
fn guidance_table() {
    let long_agents: String = (0..40).map(|i| format!("Rule {i}: keep functions short and named.\n")).collect();
    // (case, argusai.md, AGENTS.md, bound, expected sources, truncated)
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<&str>, Option<&str>, usize, Vec<&str>, bool)> = vec![
        ("none",              None,              None,                  500,  vec![], false),
        ("blank files",       Some("  \n"),      Some("\u{feff}\n"),    500,  vec![], false),
        ("agents only",       None,              Some("Use tabs."),     500,  vec!["AGENTS.md"], false),
        ("both, argusai first", Some("Be brief."), Some("Use tabs."),   500,  vec![".github/argusai.md", "AGENTS.md"], false),
        ("agents cut",        Some("Be brief."), Some(&long_agents),    500,  vec![".github/argusai.md", "AGENTS.md"], true),
        ("no room for agents", Some(&long_agents), Some("Use tabs."),   500,  vec![".github/argusai.md"], true),
    ];
    for (case, argusai_md, agents_md, bound, sources, truncated) in cases {
        let g = repository_guidance_within(&GuidanceFiles { agents_md, argusai_md, ..Default::default() }, bound);
        assert_eq!(g.sources, sources, "{case}");
        assert_eq!(g.truncated, truncated, "{case}");
        assert!(g.text.chars().count() <= bound, "{case}: {} chars", g.text.chars().count());
        assert_eq!(g.text.is_empty(), g.sources.is_empty() && !g.truncated, "{case}");
    }
}

#[test]
fn truncation_note_says_how_much() {
    let agents: String = (0..400).map(|i| format!("Rule {i}: é ü — keep it short.\n")).collect();
    let g = repository_guidance(&GuidanceFiles { agents_md: Some(&agents), argusai_md: Some("Focus on security."), ..Default::default() });
    assert!(g.truncated);
    assert!(g.text.chars().count() <= argus_config::guidance::GUIDANCE_CHARS);
    // Cut at a line end, then the note.
    let (body, note) = g.text.rsplit_once("\n\n").unwrap();
    assert!(body.ends_with("keep it short."), "{:?}", &body[body.len() - 40..]);
    insta::assert_snapshot!("guidance_note", note);
    insta::assert_snapshot!("guidance_head", g.text.lines().take(5).collect::<Vec<_>>().join("\n"));
}

#[test]
fn sizes_never_exceed_the_bound() {
    // Every bound from tiny to roomy, with multi-byte text and no line ends.
    let text = "ünïcödé ".repeat(300);
    for bound in (0..400).chain([1000, 2400, 5000]) {
        let g = repository_guidance_within(&GuidanceFiles { agents_md: Some(&text), argusai_md: Some(&text), ..Default::default() }, bound);
        assert!(g.text.chars().count() <= bound, "bound {bound}: {}", g.text.chars().count());
    }
}

/// Teams keep their rules in Copilot's instructions and CONTRIBUTING.md too:
/// all four files are read, ArgusAI's own first, the contributors' guide (the
/// most general, usually the longest) cut first.
#[test]
fn copilot_instructions_and_contributing_join_in_order() {
    let contributing = "Run the tests before opening a PR.\n".repeat(400);
    let mut files = GuidanceFiles::default();
    files.set(".github/copilot-instructions.md", Some("Prefer `Result` over panics."));
    files.set("CONTRIBUTING.md", Some(&contributing));
    files.set("AGENTS.md", Some("Use tabs."));
    files.set(".github/argusai.md", Some("Be brief."));
    files.set("README.md", Some("not guidance"));
    let g = repository_guidance(&files);
    assert_eq!(g.sources, [".github/argusai.md", "AGENTS.md", ".github/copilot-instructions.md", "CONTRIBUTING.md"]);
    assert!(g.truncated && g.text.contains("`CONTRIBUTING.md` truncated"), "{}", &g.text[g.text.len() - 200..]);
    assert!(g.text.contains("Prefer `Result` over panics.") && !g.text.contains("not guidance"));
}
