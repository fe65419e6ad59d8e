//! `config_hash`: stable, short, and sensitive exactly to what changes findings.

use argus_config::{Config, PathInstruction, Profile, ReviewEvent, Severity, config_hash};

#[test]
fn hash_is_pinned() {
    // Pinned: a change here invalidates every cached review, so it must be deliberate
    // (bump `HASH_VERSION` when meaning changes without values changing).
    let h = config_hash(&Config::default(), "");
    assert_eq!(h.len(), argus_config::hash::HASH_HEX_LEN);
    assert!(h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    insta::assert_snapshot!("default_hash", h);
}

#[test]
fn what_changes_the_hash() {
    let base = Config::default();
    let base_hash = config_hash(&base, "");
    type Edit = fn(&mut Config);
    // (case, edit, changes the hash?)
    #[rustfmt::skip]
    let cases: &[(&str, Edit, bool)] = &[
        ("include",             |c| c.include = vec!["src/**".into()],                     true),
        ("ignore",              |c| c.ignore = vec!["*.md".into()],                        true),
        ("default ignores",     |c| c.default_ignores = false,                             true),
        ("max files",           |c| c.max_files = 51,                                      true),
        ("max lines",           |c| c.max_changed_lines_per_file = 1,                      true),
        ("severity",            |c| c.severity_threshold = Severity::High,                 true),
        ("inline comments",     |c| c.max_inline_comments = 3,                             true),
        ("profile",             |c| c.profile = Profile::Thorough,                         true),
        ("path instructions",   |c| c.path_instructions = vec![PathInstruction { path: "a".into(), instructions: "b".into() }], true),
        ("instructions",        |c| c.instructions = "be strict".into(),                   true),
        ("language",            |c| c.language = "Deutsch".into(),                         true),
        ("model",               |c| c.model = Some("openai/gpt-4.1".into()),               true),
        ("fallback models",     |c| c.fallback_models = vec!["a/b".into()],                true),
        ("verify off",          |c| c.verify = Some(false),                                true),
        ("verify confidence",   |c| c.verify_min_confidence = 80,                          true),
        // Unset and `true` resolve alike for the default (balanced) profile.
        ("verify as default",   |c| c.verify = Some(true),                                 false),
        ("auto review",         |c| c.auto_review = false,                                 false),
        ("events",              |c| c.events = vec![ReviewEvent::Opened],                  false),
        ("drafts",              |c| c.review_drafts = true,                                false),
        ("skip labels",         |c| c.skip_labels = vec!["x".into()],                      false),
        ("skip title",          |c| c.skip_title_keywords.clear(),                         false),
        ("skip authors",        |c| c.skip_authors = vec!["x".into()],                     false),
        ("skip branches",       |c| c.skip_base_branches = vec!["x".into()],               false),
        ("debounce",            |c| c.debounce_seconds = 60,                               false),
    ];
    for (case, edit, changes) in cases {
        let mut c = base.clone();
        edit(&mut c);
        assert_ne!(c, base, "{case}: the edit must change the config");
        assert_eq!(config_hash(&c, "") != base_hash, *changes, "{case}");
    }
    // The guidance text is part of it; the same inputs always hash the same.
    assert_ne!(config_hash(&base, "AGENTS.md says tabs"), base_hash);
    assert_eq!(config_hash(&base.clone(), ""), base_hash);
    // Moving text between fields cannot collide (fields are framed by JSON).
    let mut a = base.clone();
    a.instructions = "x".into();
    let mut b = base.clone();
    b.language = "x".into();
    assert_ne!(config_hash(&a, ""), config_hash(&b, ""));
}
