//! How long resolving a configuration takes per review (all five layers, the
//! documented example as the repository file), plus the hash and the skip
//! decision. Printed figures only; run with
//! `cargo bench -p argus-config -- --warm-up-time 1 --measurement-time 3`.

use argus_config::{GuidanceFiles, PrFacts, ReviewEvent, Sources, Trigger, config_hash, repository_guidance, resolve, should_review};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let example = include_str!("../../../config/argusai.example.toml");
    let env: Vec<(String, String)> = [
        ("REVIEW_ENABLED_EVENTS", "pull_request.opened,pull_request.synchronize,pull_request.reopened,pull_request.ready_for_review"),
        ("MAX_FILES_PER_REVIEW", "50"),
        ("GITHUB_MODEL", "openai/gpt-4o-mini"),
        ("REVIEW_DEBOUNCE_SECONDS", "5"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let global = r#"{"ignore": ["**/testdata/**"], "skip_authors": ["renovate[bot]"], "severity_threshold": "low"}"#;
    let repo = "profile = \"quiet\"\nmax_inline_comments = 10\n";
    let sources = Sources { env: &env, kv_global_defaults: Some(global), kv_repo: Some(repo), base_branch_toml: Some(example) };

    c.bench_function("resolve: env + KV JSON + KV TOML + example file", |b| b.iter(|| resolve(black_box(&sources))));
    c.bench_function("resolve: env only", |b| b.iter(|| resolve(black_box(&Sources { env: &env, ..Sources::default() }))));

    let config = resolve(&sources).config;
    let agents: String = (0..200).map(|i| format!("Rule {i}: keep functions short.\n")).collect();
    let guidance = repository_guidance(&GuidanceFiles { agents_md: Some(&agents), argusai_md: Some("Focus on security."), ..Default::default() });
    c.bench_function("repository_guidance (6 KB AGENTS.md, cut)", |b| {
        b.iter(|| repository_guidance(black_box(&GuidanceFiles { agents_md: Some(&agents), argusai_md: Some("Focus."), ..Default::default() })))
    });
    c.bench_function("config_hash", |b| b.iter(|| config_hash(black_box(&config), black_box(&guidance.text))));
    let labels = vec!["bug".to_string()];
    let facts = PrFacts {
        trigger: Trigger::Event(ReviewEvent::Synchronize),
        draft: false,
        labels: &labels,
        title: "Fix the parser",
        author: "alice",
        base_branch: "release/1.2",
    };
    c.bench_function("should_review", |b| b.iter(|| should_review(black_box(&config), black_box(&facts))));
    let matcher = config.path_instruction_matcher();
    c.bench_function("path instructions for one path (compiled)", |b| b.iter(|| matcher.for_path(black_box("src/a/b/c.rs")).len()));
}

criterion_group!(benches, bench);

fn parts(c: &mut Criterion) {
    let example = include_str!("../../../config/argusai.example.toml");
    c.bench_function("part: check_base_branch_toml(example)", |b| b.iter(|| argus_config::check_base_branch_toml(black_box(example))));
    c.bench_function("part: toml::from_str::<toml::Table>(example)", |b| b.iter(|| toml::from_str::<toml::Table>(black_box(example)).unwrap()));
    c.bench_function("part: DeTable::parse(example)", |b| b.iter(|| toml::de::DeTable::parse(black_box(example)).unwrap().get_ref().len()));
}
criterion_group!(parts_group, parts);
criterion_main!(benches, parts_group);
