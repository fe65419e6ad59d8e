//! The repository map: which manifests are asked for, and the map itself
//! (snapshot), within its token bound.

use argus_context::{EntryKind, TreeEntry, manifests_wanted, repo_map};
use argus_diff::tokens::estimate;

fn tree(paths: &[&str]) -> Vec<TreeEntry> {
    let mut v: Vec<TreeEntry> = Vec::new();
    for p in paths {
        // Every parent folder is a tree entry, as GitHub lists them.
        let mut acc = String::new();
        let segs: Vec<&str> = p.split('/').collect();
        for s in &segs[..segs.len() - 1] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(s);
            if !v.iter().any(|e| e.path == acc) {
                v.push(TreeEntry { path: acc.clone(), kind: EntryKind::Tree, size: None });
            }
        }
        v.push(TreeEntry { path: p.to_string(), kind: EntryKind::Blob, size: Some(100) });
    }
    v
}

const PATHS: &[&str] = &[
    "Cargo.toml",
    "README.md",
    "src/lib.rs",
    "src/webhook.rs",
    "src/status.rs",
    "crates/core/Cargo.toml",
    "crates/core/src/lib.rs",
    "crates/diff/Cargo.toml",
    "crates/diff/src/lib.rs",
    "crates/diff/tests/corpus.rs",
    "web/package.json",
    "web/src/app.tsx",
    "web/src/index.ts",
    "tests/e2e/review.test.mjs",
    "tests/fakes/github.mjs",
    "deep/a/b/Cargo.toml",
    "go.mod",
    "tools/gen.go",
    "tools/gen_test.go",
    "docs/guide.md",
    "bench/run.mjs",
];

#[test]
fn manifests_wanted_root_first_then_first_level() {
    let t = tree(PATHS);
    assert_eq!(manifests_wanted(&t), ["Cargo.toml", "go.mod", "web/package.json"]);
    // Bounded, and deterministic whatever the listing order.
    let many: Vec<String> = (0..20).map(|i| format!("m{i:02}/Cargo.toml")).collect();
    let mut t = tree(&many.iter().map(String::as_str).collect::<Vec<_>>());
    t.reverse();
    let w = manifests_wanted(&t);
    assert_eq!(w.len(), argus_context::repomap::MAX_MANIFESTS);
    assert_eq!(w[0], "m00/Cargo.toml");
}

#[test]
fn map_names_projects_dependencies_folders_and_tests() {
    let t = tree(PATHS);
    let cargo = "[package]\nname = \"argusai\"\n[workspace]\nmembers = [\".\", \"crates/*\"]\n[dependencies]\nworker = \"0.8\"\nserde = \"1\"\n";
    let go = "module example.com/tools\n\ngo 1.22\n\nrequire (\n\tgithub.com/spf13/cobra v1.8.0\n\tgolang.org/x/sys v0.1.0 // indirect\n)\n";
    let pkg = r#"{"name": "web", "dependencies": {"react": "^18"}, "devDependencies": {"vite": "^5"}}"#;
    let map = repo_map(&t, &[("Cargo.toml", cargo), ("go.mod", go), ("web/package.json", pkg)], 400);
    assert!(map.lines().all(|l| l.starts_with('~')), "{map}");
    insta::assert_snapshot!(map);
    // A tight bound keeps the first lines and stays under it.
    for bound in [10, 25, 40, 60] {
        let small = repo_map(&t, &[("Cargo.toml", cargo), ("go.mod", go), ("web/package.json", pkg)], bound);
        let cost: u32 = small.lines().map(|l| estimate(l) + 1).sum();
        assert!(cost <= bound, "{cost} > {bound}: {small}");
        assert!(map.starts_with(small.lines().next().unwrap_or("")), "the header goes first");
    }
}

#[test]
fn other_manifest_kinds() {
    let t = tree(&[
        "pom.xml",
        "a/Gemfile",
        "b/build.gradle.kts",
        "c/pyproject.toml",
        "d/App.csproj",
        "e/composer.json",
        "f/Package.swift",
        "g/build.sbt",
        "h/setup.cfg",
    ]);
    let pom = "<project><parent><artifactId>parent</artifactId></parent><artifactId>core</artifactId><dependencies><dependency><groupId>g</groupId><artifactId>guava</artifactId></dependency></dependencies></project>";
    let gem = "source 'https://rubygems.org'\ngem 'rails', '~> 7.0'\ngem \"puma\"\n";
    let gradle = "dependencies {\n    implementation(\"io.ktor:ktor-server-core:2.3.0\")\n    testImplementation(kotlin(\"test\"))\n    api(libs.koin.core)\n}\n";
    let py = "[project]\nname = \"tool\"\ndependencies = [\"requests>=2\", \"click\"]\n";
    let cs = "<Project><ItemGroup><PackageReference Include=\"Newtonsoft.Json\" Version=\"13\" /></ItemGroup></Project>";
    let composer = r#"{"name": "acme/app", "require": {"php": ">=8.1", "guzzlehttp/guzzle": "^7"}}"#;
    let swift = "let package = Package(\n    name: \"Kit\",\n    dependencies: [\n        .package(url: \"https://github.com/apple/swift-log.git\", from: \"1.0.0\"),\n    ]\n)\n";
    let sbt = "name := \"svc\"\nlibraryDependencies += \"org.typelevel\" %% \"cats-core\" % \"2.10.0\"\n";
    let cfg = "[metadata]\nname = legacy\n[options]\ninstall_requires =\n    six\n    attrs>=20\n";
    let manifests = [
        ("pom.xml", pom),
        ("a/Gemfile", gem),
        ("b/build.gradle.kts", gradle),
        ("c/pyproject.toml", py),
        ("d/App.csproj", cs),
        ("e/composer.json", composer),
        ("f/Package.swift", swift),
        ("g/build.sbt", sbt),
        ("h/setup.cfg", cfg),
    ];
    insta::assert_snapshot!(repo_map(&t, &manifests, 600));
}
