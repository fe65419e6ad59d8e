//! Merge order and list semantics as tables: which layer wins for scalars,
//! which lists extend and which replace, and that a bad key or layer falls
//! back to the layers below it.

use crate::util::{env, resolve_all};
use argus_config::{Layer, Profile, ReviewEvent, Severity, Sources, resolve};

#[test]
fn scalar_merge_order() {
    // (case, env, KV global, KV repo, base-branch file, expected max_files)
    #[rustfmt::skip]
    let cases: &[(&str, &[(&str, &str)], Option<&str>, Option<&str>, Option<&str>, u32)] = &[
        ("built-in default",          &[],                               None,                    None,                    None,                    50),
        ("env over default",          &[("MAX_FILES_PER_REVIEW", "40")], None,                    None,                    None,                    40),
        ("KV global over env",        &[("MAX_FILES_PER_REVIEW", "40")], Some("max_files = 30"),  None,                    None,                    30),
        ("KV repo over KV global",    &[("MAX_FILES_PER_REVIEW", "40")], Some("max_files = 30"),  Some("max_files = 20"),  None,                    20),
        ("base file over everything", &[("MAX_FILES_PER_REVIEW", "40")], Some("max_files = 30"),  Some("max_files = 20"),  Some("max_files = 10"),  10),
        ("base file alone",           &[],                               None,                    None,                    Some("max_files = 10"),  10),
        ("JSON KV layer",             &[("MAX_FILES_PER_REVIEW", "40")], Some(r#"{"max_files": 30}"#), None,              None,                    30),
        ("unset key inherits",        &[("MAX_FILES_PER_REVIEW", "40")], Some("profile = \"quiet\""), None,               Some("language = \"Deutsch\""), 40),
        ("bad base key falls back",   &[],                               None,                    Some("max_files = 20"),  Some("max_files = 0"),   20),
        ("base syntax error falls back", &[],                            None,                    Some("max_files = 20"),  Some("max_files = = 1"), 20),
        ("bad env value falls back",  &[("MAX_FILES_PER_REVIEW", "lots")], None,                  None,                    None,                    50),
        ("empty env value is unset",  &[("MAX_FILES_PER_REVIEW", " ")],  None,                    None,                    None,                    50),
        ("bad KV JSON falls back",    &[("MAX_FILES_PER_REVIEW", "40")], Some(r#"{"max_files": 30"#), None,               None,                    40),
    ];
    for (case, env_pairs, global, repo, base, expected) in cases {
        let r = resolve_all(env_pairs, *global, *repo, *base);
        assert_eq!(r.config.max_files, *expected, "{case}: problems {:?}", r.problems);
    }
}

#[test]
fn every_scalar_key_follows_the_order() {
    // Each key set differently in every layer; the base-branch file must win for all.
    let global = r#"
        auto_review = false
        review_drafts = false
        severity_threshold = "high"
        profile = "thorough"
        language = "Deutsch"
        model = "openai/gpt-4o"
        debounce_seconds = 30
    "#;
    let base = r#"
        auto_review = true
        review_drafts = true
        severity_threshold = "critical"
        profile = "quiet"
        language = "Français"
        model = "openai/gpt-4.1"
        debounce_seconds = 0
    "#;
    let env_pairs = [
        ("REVIEW_AUTO", "false"),
        ("REVIEW_PROFILE", "Balanced"),
        ("REVIEW_SEVERITY_THRESHOLD", "MEDIUM"),
        ("GITHUB_MODEL", "openai/gpt-4o-mini"),
        ("REVIEW_DEBOUNCE_SECONDS", "7"),
    ];
    let only_env = resolve_all(&env_pairs, None, None, None);
    assert!(only_env.problems.is_empty(), "{:?}", only_env.problems);
    assert_eq!(
        (only_env.config.auto_review, only_env.config.profile, only_env.config.severity_threshold),
        (false, Profile::Balanced, Severity::Medium)
    );
    assert_eq!((only_env.config.model.as_deref(), only_env.config.debounce_seconds), (Some("openai/gpt-4o-mini"), 7));

    let with_global = resolve_all(&env_pairs, Some(global), None, None);
    assert_eq!((with_global.config.profile, with_global.config.language.as_str()), (Profile::Thorough, "Deutsch"));

    let all = resolve_all(&env_pairs, Some(global), Some("profile = \"balanced\""), Some(base));
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    let c = all.config;
    assert_eq!(
        (c.auto_review, c.review_drafts, c.severity_threshold, c.profile, c.language.as_str(), c.model.as_deref(), c.debounce_seconds),
        (true, true, Severity::Critical, Profile::Quiet, "Français", Some("openai/gpt-4.1"), 0)
    );
}

#[test]
fn model_env_vars_follow_the_llm_crate() {
    // (env, expected model)
    #[rustfmt::skip]
    let cases: &[(&[(&str, &str)], Option<&str>)] = &[
        (&[],                                                                None),
        (&[("GITHUB_MODEL", "openai/gpt-4o-mini")],                          Some("openai/gpt-4o-mini")),
        (&[("GITHUB_MODEL", "openai/gpt-4o-mini"), ("LLM_MODEL", "a/b")],    Some("a/b")),
        (&[("LLM_PROVIDER", "anthropic"), ("GITHUB_MODEL", "openai/x")],     None),
        (&[("LLM_PROVIDER", "github-models"), ("GITHUB_MODEL", "openai/x")], Some("openai/x")),
        (&[("LLM_PROVIDER", "anthropic"), ("LLM_MODEL", "claude-sonnet-4")], Some("claude-sonnet-4")),
    ];
    for (env_pairs, expected) in cases {
        let r = resolve_all(env_pairs, None, None, None);
        assert_eq!(r.config.model.as_deref(), *expected, "{env_pairs:?}");
    }
}

#[test]
fn list_semantics() {
    // (case, KV global, base-branch file, key, expected JSON of the resolved list)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("ignore extends",             r#"ignore = ["a/**"]"#,          r#"ignore = ["b/**"]"#,                        "ignore",              r#"["a/**","b/**"]"#),
        ("ignore dedupes",             r#"ignore = ["a/**"]"#,          r#"ignore = ["a/**", "b/**"]"#,                "ignore",              r#"["a/**","b/**"]"#),
        ("reset_ignore replaces",      r#"ignore = ["a/**"]"#,          "ignore = [\"b/**\"]\nreset_ignore = true",    "ignore",              r#"["b/**"]"#),
        ("reset_ignore alone clears",  r#"ignore = ["a/**"]"#,          "reset_ignore = true",                         "ignore",              r#"[]"#),
        ("reset_ignore is per layer",  "ignore = [\"a/**\"]\nreset_ignore = true", r#"ignore = ["b/**"]"#,             "ignore",              r#"["a/**","b/**"]"#),
        ("default_ignores stays",      r#"ignore = ["a/**"]"#,          r#"ignore = ["b/**"]"#,                        "default_ignores",     "true"),
        ("default_ignores off",        "",                              "default_ignores = false",                     "default_ignores",     "false"),
        ("include replaces",           r#"include = ["src/**"]"#,       r#"include = ["lib/**"]"#,                     "include",             r#"["lib/**"]"#),
        ("include inherits",           r#"include = ["src/**"]"#,       "",                                            "include",             r#"["src/**"]"#),
        ("events replace",             r#"events = ["opened"]"#,        r#"events = ["synchronize", "opened"]"#,       "events",              r#"["opened","synchronize"]"#),
        ("events may be emptied",      "",                              "events = []",                                 "events",              r#"[]"#),
        ("fallbacks replace in order", r#"fallback_models = ["a/x"]"#,  r#"fallback_models = ["c/z", "b/y"]"#,         "fallback_models",     r#"["c/z","b/y"]"#),
        ("skip labels extend",         r#"skip_labels = ["wip"]"#,      r#"skip_labels = ["deps"]"#,                   "skip_labels",         r#"["wip","deps"]"#),
        ("title keywords extend defaults", "",                          r#"skip_title_keywords = ["WIP"]"#,            "skip_title_keywords", r#"["[skip review]","WIP"]"#),
        ("skip authors extend",        r#"skip_authors = ["a"]"#,       r#"skip_authors = ["b[bot]"]"#,                "skip_authors",        r#"["a","b[bot]"]"#),
        ("skip branches extend",       r#"skip_base_branches = ["gh-pages"]"#, r#"skip_base_branches = ["release/*"]"#, "skip_base_branches", r#"["gh-pages","release/*"]"#),
        ("path instructions extend",
            "[[path_instructions]]\npath = \"**/*.sql\"\ninstructions = \"org rule\"",
            "[[path_instructions]]\npath = \"src/**\"\ninstructions = \"repo rule\"",
            "path_instructions",
            r#"[{"instructions":"org rule","path":"**/*.sql"},{"instructions":"repo rule","path":"src/**"}]"#),
        ("scalar text replaces",       r#"instructions = "org""#,       r#"instructions = "repo""#,                    "instructions",        r#""repo""#),
    ];
    for (case, global, base, key, expected) in cases {
        let r = resolve_all(&[], Some(global), None, Some(base));
        assert!(r.problems.is_empty(), "{case}: {:?}", r.problems);
        let got = serde_json::to_value(&r.config).unwrap()[key].to_string();
        assert_eq!(&got, expected, "{case}");
    }
}

#[test]
fn env_lists_are_comma_separated() {
    let r = resolve_all(
        &[
            ("REVIEW_ENABLED_EVENTS", "pull_request.opened, pull_request.ready_for_review,,"),
            ("REVIEW_IGNORE", "docs/**, *.snap"),
            ("LLM_FALLBACK_MODELS", "openai/gpt-4o-mini, openai/gpt-4.1-nano"),
            ("REVIEW_DRAFTS", "yes"),
        ],
        None,
        None,
        None,
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.config.events, vec![ReviewEvent::Opened, ReviewEvent::ReadyForReview]);
    assert_eq!(r.config.ignore, vec!["docs/**", "*.snap"]);
    assert_eq!(r.config.fallback_models, vec!["openai/gpt-4o-mini", "openai/gpt-4.1-nano"]);
    assert!(r.config.review_drafts);
}

#[test]
fn path_instruction_limit_applies_to_the_merged_list() {
    let table = |prefix: &str, n: usize| -> String {
        (0..n).map(|i| format!("[[path_instructions]]\npath = \"{prefix}{i}/**\"\ninstructions = \"x\"\n")).collect()
    };
    let r = resolve_all(&[], Some(&table("org", 30)), None, Some(&table("repo", 30)));
    assert_eq!(r.config.path_instructions.len(), 50);
    let dropped: Vec<_> = r.problems.iter().map(|p| (p.layer, p.key.as_str())).collect();
    assert_eq!(dropped.len(), 10);
    assert_eq!(dropped[0], (Layer::BaseBranchFile, "path_instructions[20]"));
    assert_eq!(dropped[9], (Layer::BaseBranchFile, "path_instructions[29]"));
}

#[test]
fn instructions_for_path_applies_every_match_in_order() {
    let base = r#"
        [[path_instructions]]
        path = "src/**/*.rs"
        instructions = "rust"
        [[path_instructions]]
        path = "*.rs"
        instructions = "any depth"
        [[path_instructions]]
        path = "docs/*"
        instructions = "docs"
    "#;
    let c = resolve_all(&[], None, None, Some(base)).config;
    // (path, expected instructions)
    #[rustfmt::skip]
    let cases: &[(&str, &[&str])] = &[
        ("src/a/b.rs",     &["rust", "any depth"]),
        ("build.rs",       &["any depth"]),
        ("docs/x.md",      &["docs"]),
        ("docs/sub/x.md",  &[]),
        ("README.md",      &[]),
    ];
    let matcher = c.path_instruction_matcher();
    for (path, expected) in cases {
        assert_eq!(c.instructions_for_path(path), *expected, "{path}");
        assert_eq!(matcher.for_path(path), *expected, "{path} (compiled once)");
    }
}

#[test]
fn only_the_base_branch_file_is_an_input() {
    // A pull request must not change the rules it is reviewed under, so the
    // sources name the repository file for the base branch and offer no slot
    // for the head's copy (the compile_fail doctest on `Sources` checks the
    // same at compile time).
    let fields = format!("{:?}", Sources::default());
    assert!(fields.contains("base_branch_toml"), "{fields}");
    assert!(!fields.to_lowercase().contains("head"), "{fields}");
    // And the base text does decide.
    let env = env(&[]);
    let r = resolve(&Sources { env: &env, base_branch_toml: Some("max_files = 10"), ..Sources::default() });
    assert_eq!(r.config.max_files, 10);
}

#[test]
fn replies_bounds_merge_key_by_key_and_bad_ones_fall_back() {
    // (case, KV repo, base-branch file, expected (max_per_pr, max_per_hour), problems)
    #[rustfmt::skip]
    let cases: &[(&str, Option<&str>, Option<&str>, (u32, u32), usize)] = &[
        ("defaults",                 None,                                  None,                                       (20, 10), 0),
        ("base file sets one",       None,                                  Some("[replies]\nmax_per_hour = 3"),        (20, 3),  0),
        ("each key from its layer",  Some(r#"{"replies": {"max_per_pr": 5}}"#), Some("[replies]\nmax_per_hour = 3"),   (5, 3),   0),
        ("out of range is dropped",  None,                                  Some("[replies]\nmax_per_pr = 5000\nmax_per_hour = 2"), (20, 2), 1),
        ("unknown sub-key drops the table", None,                           Some("[replies]\nmax_per_day = 1"),         (20, 10), 1),
    ];
    for (case, repo, base, (pr, hour), problems) in cases {
        let r = resolve_all(&[], None, *repo, *base);
        assert_eq!((r.config.replies.max_per_pr, r.config.replies.max_per_hour), (*pr, *hour), "{case}: {:?}", r.problems);
        assert_eq!(r.problems.len(), *problems, "{case}: {:?}", r.problems);
    }
}
