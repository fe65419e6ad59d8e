//! Validation problems, snapshotted with `insta`: one fixture file per case
//! under tests/fixtures/layers (each read as the base-branch file), plus
//! tables for the environment and the KV layers. Each snapshot shows the
//! problems and what the layer still changed, which proves that one bad key
//! does not discard the layer's good ones.

use crate::util::{changed_keys, problem_lines, resolve_all};
use argus_config::{Effect, Layer, check_base_branch_toml, problems_markdown};
use std::path::Path;

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layers")
}

#[test]
fn base_branch_file_fixtures() {
    let mut names: Vec<_> =
        std::fs::read_dir(fixtures_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    names.sort();
    assert!(names.len() >= 9, "fixtures missing: {names:?}");
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let r = resolve_all(&[], None, None, Some(&text));
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let snap = format!("{}\n--- resolved (changed keys) ---\n{}", problem_lines(&r.problems), changed_keys(&r.config));
        insta::assert_snapshot!(format!("layer__{name}"), snap);
    }
}

#[test]
fn env_problems_name_the_variable() {
    let r = resolve_all(
        &[
            ("MAX_FILES_PER_REVIEW", "lots"),
            ("REVIEW_DRAFTS", "maybe"),
            ("REVIEW_ENABLED_EVENTS", "pull_request.opened,pull_request.edited"),
            ("REVIEW_IGNORE", "docs/**,src/[,*.snap"),
            ("MAX_INLINE_COMMENTS", "500"),
            ("REVIEW_PROFILE", "chatty"),
            ("GITHUB_MODEL", "openai/gpt-4o-mini"),
            ("LLM_FALLBACK_MODELS", "openai/gpt-4.1,not a model"),
            ("UNRELATED_VAR", "whatever"),
        ],
        None,
        None,
        None,
    );
    let snap = format!("{}\n--- resolved (changed keys) ---\n{}", problem_lines(&r.problems), changed_keys(&r.config));
    insta::assert_snapshot!("env_problems", snap);
}

#[test]
fn kv_layers_accept_toml_or_json() {
    // (case, KV global text, expected problems as `layer key effect`)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &[(&str, Effect)])] = &[
        ("json ok",             r#"{"max_files": 9, "profile": "quiet"}"#,  &[]),
        ("toml ok",             "max_files = 9\nprofile = \"quiet\"",       &[]),
        ("json syntax",         r#"{"max_files": 9,"#,                      &[("", Effect::LayerIgnored)]),
        // A leading `[` is a TOML table header (here an empty table `max_files`), not JSON.
        ("toml table, not json", r#"["max_files"]"#,                        &[("max_files", Effect::KeyIgnored)]),
        ("json wrong type",     r#"{"max_files": "9", "profile": "quiet"}"#, &[("max_files", Effect::KeyIgnored)]),
        ("json null is unset",  r#"{"max_files": null, "profile": "quiet"}"#, &[]),
        ("json bad entry",      r#"{"path_instructions": [{"path": "a/**", "instructions": "x"}, {"path": "b/["}]}"#,
                                                                             &[("path_instructions[1]", Effect::EntryIgnored)]),
        ("json unknown key",    r#"{"maxfiles": 9}"#,                        &[("maxfiles", Effect::KeyIgnored)]),
    ];
    for (case, text, expected) in cases {
        let r = resolve_all(&[], Some(text), None, None);
        let got: Vec<_> = r.problems.iter().map(|p| (p.key.as_str(), p.effect)).collect();
        assert_eq!(&got, expected, "{case}: {:?}", r.problems);
        assert!(r.problems.iter().all(|p| p.layer == Layer::KvGlobalDefaults), "{case}");
    }
    let r = resolve_all(&[], Some(r#"{"max_files": "9", "profile": "quiet"}"#), None, None);
    insta::assert_snapshot!("kv_json_wrong_type", problem_lines(&r.problems));
}

#[test]
fn oversized_instructions_are_refused_not_cut() {
    // (case, text, expected problem keys)
    let long = "x".repeat(4001);
    let ok = "y".repeat(4000);
    let long_pi = format!("[[path_instructions]]\npath = \"a/**\"\ninstructions = \"{}\"\n", "z".repeat(2001));
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("4000 fits",   format!("instructions = \"{ok}\""),   vec![]),
        ("4001 refused", format!("instructions = \"{long}\""), vec!["instructions"]),
        ("path instruction over 2000", long_pi,               vec!["path_instructions[0].instructions"]),
    ];
    for (case, text, keys) in cases {
        let (_, problems) = check_base_branch_toml(&text);
        let got: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(got, keys, "{case}");
    }
    let (_, problems) = check_base_branch_toml(&format!("instructions = \"{long}\""));
    insta::assert_snapshot!("instructions_too_long", problem_lines(&problems));
}

#[test]
fn markdown_quotes_user_values_so_they_cannot_mention_or_link() {
    let text = concat!(
        "skip_authors = [\"@octocat\"]\n",
        "language = \"[x](https://evil.example) @team\"\n",
        "\"`@who`\" = 1\n",
        "max_files = \"@octocat see [here](https://evil.example)\"\n",
        "events = [\"@team`x\"]\n",
        "profile = \"<img src=x> @a\"\n",
    );
    let (_, problems) = check_base_branch_toml(text);
    let md = problems_markdown(&problems);
    insta::assert_snapshot!("problems_markdown", md);
    // Every `@` and `](` sits inside a code span: strip the spans and none remain.
    let outside: String = md.split('`').step_by(2).collect();
    assert!(!outside.contains('@') && !outside.contains("](") && !outside.contains('<'), "{outside}");
    assert_eq!(problems.len(), 6, "{problems:#?}");
    assert_eq!(problems_markdown(&[]), "");
}

#[test]
fn example_file_parses_validates_and_sets_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/argusai.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let (raw, problems) = check_base_branch_toml(&text);
    assert!(problems.is_empty(), "{problems:#?}");
    let json = serde_json::to_value(&raw).unwrap();
    let unset: Vec<_> = json.as_object().unwrap().iter().filter(|(_, v)| v.is_null()).map(|(k, _)| k.clone()).collect();
    assert!(unset.is_empty(), "the example should show every key; missing {unset:?}");
    let r = resolve_all(&[], None, None, Some(&text));
    assert!(r.problems.is_empty());
    assert_eq!(r.config.path_instructions.len(), 2);
    assert_eq!(r.config.learnings.len(), 2);
    assert_eq!(r.config.learnings[0].path.as_deref(), Some("tests/**"));
    assert_eq!(r.config.learnings[1].title, None);
}

#[test]
fn learnings_entries_are_checked_one_by_one_and_extend_lower_layers() {
    let text = concat!(
        "[[learnings]]\n",
        "rule = \"Keep it\"\n",
        "category = \"Bug\"\n",
        "[[learnings]]\n",
        "rule = \"  \"\n",
        "[[learnings]]\n",
        "rule = \"r\"\n",
        "category = \"typo\"\n",
        "[[learnings]]\n",
        "rule = \"r\"\n",
        "path = \"src/[\"\n",
        "[[learnings]]\n",
        "rule = \"r\"\n",
        "colour = 1\n",
    );
    let (raw, problems) = check_base_branch_toml(text);
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["learnings[1].rule", "learnings[2].category", "learnings[3].path", "learnings[4]"], "{problems:#?}");
    assert_eq!(raw.learnings.as_ref().map(Vec::len), Some(1));
    let long = format!("[[learnings]]\nrule = \"{}\"\n", "x".repeat(301));
    assert_eq!(check_base_branch_toml(&long).1[0].key, "learnings[0].rule");
    assert_eq!(check_base_branch_toml("learnings = 3\n").1[0].key, "learnings");
    // A repository layer extends the operator's list; equal entries count once.
    let operator = r#"{"learnings": [{"rule": "Keep it", "category": "bug"}, {"rule": "Operator rule"}]}"#;
    let r = resolve_all(&[], None, Some(operator), Some(text));
    let rules: Vec<&str> = r.config.learnings.iter().map(|l| l.rule.as_str()).collect();
    assert_eq!(rules, ["Keep it", "Operator rule"]);
    assert_eq!(r.config.learnings[0].category.as_deref(), Some("bug"));
    // At most 100 in the merged configuration; the rest are dropped and said.
    let many: String = (0..101).map(|i| format!("[[learnings]]\nrule = \"rule {i}\"\n")).collect();
    let r = resolve_all(&[], None, None, Some(&many));
    assert_eq!(r.config.learnings.len(), 100);
    assert_eq!(r.problems.len(), 1);
    assert_eq!(
        (r.problems[0].key.as_str(), r.problems[0].message.as_str()),
        ("learnings[100]", "is past the limit of 100 learnings in the merged configuration")
    );
}
