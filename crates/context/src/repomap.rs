//! The repository map: the project's shape in a few hundred tokens, from one
//! recursive tree listing and a handful of manifests — languages, top
//! folders with file counts, each manifest's project name and main
//! dependencies, and where the tests live. Deterministic: the same tree and
//! manifests give the same text.
//!
//! The tree entries are GitHub's Git trees API items
//! (<https://docs.github.com/en/rest/git/trees#get-a-tree>, `recursive=1`):
//! `path`, `type` (`blob`, `tree` or `commit` for a submodule) and `size`
//! (blobs only); [`TreeEntry`] deserializes them as they come.

use argus_diff::select::{FileClass, Language};
use argus_diff::tokens::estimate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One entry of a recursive tree listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Blob,
    Tree,
    /// A submodule.
    Commit,
}

/// Manifest file names read for the map, in priority order.
const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "go.mod",
    "pyproject.toml",
    "setup.cfg",
    "pom.xml",
    "build.gradle.kts",
    "build.gradle",
    "Gemfile",
    "composer.json",
    "Package.swift",
    "build.sbt",
];

/// At most this many manifests are asked for.
pub const MAX_MANIFESTS: usize = 8;

fn manifest_rank(name: &str) -> Option<usize> {
    MANIFESTS.iter().position(|m| *m == name).or_else(|| name.ends_with(".csproj").then_some(MANIFESTS.len()))
}

/// The manifests worth reading for the map: those at the root, then those
/// one folder down, in a fixed order, at most [`MAX_MANIFESTS`].
pub fn manifests_wanted(tree: &[TreeEntry]) -> Vec<String> {
    let mut found: Vec<(usize, usize, &str)> = tree
        .iter()
        .filter(|e| e.kind == EntryKind::Blob)
        .filter_map(|e| {
            let depth = e.path.matches('/').count();
            if depth > 1 {
                return None;
            }
            let name = e.path.rsplit('/').next().unwrap_or(&e.path);
            manifest_rank(name).map(|r| (depth, r, e.path.as_str()))
        })
        .collect();
    argus_core::sort::sort(&mut found);
    found.into_iter().take(MAX_MANIFESTS).map(|(_, _, p)| p.to_string()).collect()
}

fn is_test_dir(name: &str) -> bool {
    matches!(name, "test" | "tests" | "__tests__" | "spec" | "specs" | "testdata" | "e2e" | "integration")
}

/// Renders the map, at most `max_tokens` (estimated) tokens, every line
/// starting with `~` (context, not citable). `manifests` are `(path, text)`
/// pairs for the paths [`manifests_wanted`] named.
pub fn repo_map(tree: &[TreeEntry], manifests: &[(&str, &str)], max_tokens: u32) -> String {
    let blobs: Vec<&TreeEntry> = tree.iter().filter(|e| e.kind == EntryKind::Blob).collect();
    let mut lines: Vec<String> = vec![format!("~repository map: {} files", blobs.len())];

    // Languages by file count.
    let mut langs: BTreeMap<&'static str, u32> = BTreeMap::new();
    for b in &blobs {
        if let Some(l) = Language::from_path(&b.path)
            && !matches!(l, Language::Markdown | Language::Json | Language::Yaml | Language::Toml)
        {
            *langs.entry(l.name()).or_default() += 1;
        }
    }
    let mut langs: Vec<(&str, u32)> = langs.into_iter().collect();
    argus_core::sort::sort_by(&mut langs, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !langs.is_empty() {
        let list: Vec<String> = langs.iter().take(6).map(|(l, n)| format!("{l} {n}")).collect();
        lines.push(format!("~languages: {}", list.join(", ")));
    }

    // Top folders with file counts and a few subfolders.
    let mut top: BTreeMap<&str, (u32, Vec<&str>)> = BTreeMap::new();
    let mut root_files = 0u32;
    for b in &blobs {
        match b.path.split_once('/') {
            Some((d, rest)) => {
                let e = top.entry(d).or_default();
                e.0 += 1;
                if let Some((sub, _)) = rest.split_once('/')
                    && !e.1.contains(&sub)
                {
                    e.1.push(sub);
                }
            }
            None => root_files += 1,
        }
    }
    let mut top: Vec<(&str, (u32, Vec<&str>))> = top.into_iter().collect();
    argus_core::sort::sort_by(&mut top, |a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    if !top.is_empty() {
        let list: Vec<String> = top
            .iter()
            .take(10)
            .map(|(d, (n, subs))| {
                let mut s = format!("{d}/ {n}");
                if is_test_dir(d) {
                    s.push_str(" tests");
                } else if (2..=8).contains(&subs.len()) {
                    let mut subs = subs.clone();
                    argus_core::sort::sort(&mut subs);
                    s.push_str(&format!(" [{}]", subs.join(", ")));
                }
                s
            })
            .collect();
        let more = if top.len() > 10 { format!(", +{} more", top.len() - 10) } else { String::new() };
        lines.push(format!("~folders: {}{more}; {root_files} files at the root", list.join(", ")));
    }

    // Manifests.
    for (path, text) in manifests {
        if let Some(s) = describe_manifest(path, text) {
            lines.push(format!("~{path}: {s}"));
        }
    }

    // Tests: the shallowest test folders, and the test file count.
    let mut test_dirs: Vec<String> = Vec::new();
    let mut test_files = 0u32;
    for b in &blobs {
        if FileClass::from_path(&b.path) == FileClass::Test {
            test_files += 1;
        }
        let mut acc = String::new();
        for seg in b.path.split('/').take(b.path.matches('/').count()) {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(seg);
            if is_test_dir(seg) {
                if !test_dirs.iter().any(|t| acc.starts_with(t.as_str())) {
                    test_dirs.push(acc.clone());
                }
                break;
            }
        }
    }
    argus_core::sort::sort_by(&mut test_dirs, |a, b| a.matches('/').count().cmp(&b.matches('/').count()).then(a.cmp(b)));
    if test_files > 0 || !test_dirs.is_empty() {
        let shown: Vec<String> = test_dirs.iter().take(5).map(|d| format!("{d}/")).collect();
        let more = if test_dirs.len() > 5 { format!(" +{} more", test_dirs.len() - 5) } else { String::new() };
        lines.push(format!("~tests: {test_files} files; {}{more}", if shown.is_empty() { "beside the code".into() } else { shown.join(", ") }));
    }

    // Within budget: whole lines in order; a line that does not fit is
    // shortened at a list boundary when possible, else left out.
    let mut out = String::new();
    let mut used = 0u32;
    for l in lines {
        let cost = estimate(&l) + 1;
        if used + cost <= max_tokens {
            used += cost;
            out.push_str(&l);
            out.push('\n');
            continue;
        }
        let mut cut = l.as_str();
        while let Some(i) = cut.rfind(", ") {
            cut = &cut[..i];
            let short = format!("{cut}, …");
            let c = estimate(&short) + 1;
            if used + c <= max_tokens && cut.len() > 20 {
                used += c;
                out.push_str(&short);
                out.push('\n');
                break;
            }
        }
    }
    out
}

/// `name; deps: a, b, c (+N more)` for one manifest, or `None` when nothing
/// useful was found in it.
fn describe_manifest(path: &str, text: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (project, deps): (Option<String>, Vec<String>) = match name {
        "Cargo.toml" => cargo(text),
        "package.json" | "composer.json" => json_manifest(text),
        "go.mod" => go_mod(text),
        "pyproject.toml" => pyproject(text),
        "setup.cfg" => setup_cfg(text),
        "pom.xml" => pom(text),
        "build.gradle" | "build.gradle.kts" => gradle(text),
        "Gemfile" => (None, quoted_after(text, &["gem "])),
        "Package.swift" => swift_package(text),
        "build.sbt" => sbt(text),
        n if n.ends_with(".csproj") => (Some(n.trim_end_matches(".csproj").to_string()), attr_values(text, "<PackageReference", "Include")),
        _ => return None,
    };
    if project.is_none() && deps.is_empty() {
        return None;
    }
    let mut s = project.unwrap_or_else(|| "(unnamed)".into());
    if !deps.is_empty() {
        let shown: Vec<&str> = deps.iter().take(12).map(String::as_str).collect();
        s.push_str(&format!("; deps: {}", shown.join(", ")));
        if deps.len() > 12 {
            s.push_str(&format!(" (+{} more)", deps.len() - 12));
        }
    }
    Some(s)
}

fn table_keys(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(toml::Value::as_table).map(|t| t.keys().cloned().collect()).unwrap_or_default()
}

fn cargo(text: &str) -> (Option<String>, Vec<String>) {
    let Ok(v) = text.parse::<toml::Table>() else {
        return (None, Vec::new());
    };
    let name = v.get("package").and_then(|p| p.get("name")).and_then(toml::Value::as_str).map(String::from);
    let members: Vec<String> = v
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let mut project = name;
    if !members.is_empty() {
        let ws = format!("workspace [{}]", members.join(", "));
        project = Some(match project {
            Some(n) => format!("{n}, {ws}"),
            None => ws,
        });
    }
    let mut deps = table_keys(v.get("dependencies"));
    if deps.is_empty() {
        deps = table_keys(v.get("workspace").and_then(|w| w.get("dependencies")));
    }
    (project, deps)
}

fn json_manifest(text: &str) -> (Option<String>, Vec<String>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return (None, Vec::new());
    };
    let name = v.get("name").and_then(|n| n.as_str()).map(String::from);
    let mut deps: Vec<String> = Vec::new();
    for key in ["dependencies", "require"] {
        if let Some(o) = v.get(key).and_then(|d| d.as_object()) {
            deps.extend(o.keys().filter(|k| k.as_str() != "php" && !k.starts_with("ext-")).cloned());
        }
    }
    if deps.is_empty()
        && let Some(o) = v.get("devDependencies").and_then(|d| d.as_object())
    {
        deps.extend(o.keys().map(|k| format!("{k} (dev)")));
    }
    (name, deps)
}

fn go_mod(text: &str) -> (Option<String>, Vec<String>) {
    let mut name = None;
    let mut deps = Vec::new();
    let mut in_require = false;
    for l in text.lines() {
        let t = l.trim();
        if let Some(m) = t.strip_prefix("module ") {
            name = Some(m.trim().to_string());
        } else if t.starts_with("require (") {
            in_require = true;
        } else if in_require && t == ")" {
            in_require = false;
        } else if let Some(r) = t.strip_prefix("require ").or(in_require.then_some(t))
            && !t.ends_with("// indirect")
            && let Some(m) = r.split_whitespace().next()
            && !m.is_empty()
            && m != "//"
        {
            deps.push(m.to_string());
        }
    }
    (name, deps)
}

/// A requirement string's package name: `requests>=2.0; python_version…` → `requests`.
fn requirement_name(s: &str) -> Option<String> {
    let n: String = s.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    (!n.is_empty()).then_some(n)
}

fn pyproject(text: &str) -> (Option<String>, Vec<String>) {
    let Ok(v) = text.parse::<toml::Table>() else {
        return (None, Vec::new());
    };
    let project = v.get("project");
    let poetry = v.get("tool").and_then(|t| t.get("poetry"));
    let name = project.or(poetry).and_then(|p| p.get("name")).and_then(toml::Value::as_str).map(String::from);
    let mut deps: Vec<String> = project
        .and_then(|p| p.get("dependencies"))
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().and_then(requirement_name)).collect())
        .unwrap_or_default();
    if deps.is_empty() {
        deps = table_keys(poetry.and_then(|p| p.get("dependencies"))).into_iter().filter(|d| d != "python").collect();
    }
    (name, deps)
}

fn setup_cfg(text: &str) -> (Option<String>, Vec<String>) {
    let mut name = None;
    let mut deps = Vec::new();
    let mut in_requires = false;
    for l in text.lines() {
        let t = l.trim();
        if in_requires {
            if l.starts_with([' ', '\t']) && !t.is_empty() {
                deps.extend(requirement_name(t));
                continue;
            }
            in_requires = false;
        }
        if let Some(v) = t.strip_prefix("name").map(str::trim_start).and_then(|r| r.strip_prefix('=')) {
            name.get_or_insert_with(|| v.trim().to_string());
        } else if let Some(v) = t.strip_prefix("install_requires").map(str::trim_start).and_then(|r| r.strip_prefix('=')) {
            in_requires = true;
            deps.extend(requirement_name(v));
        }
    }
    (name, deps)
}

/// Text of the first `<tag>…</tag>` in `s`.
fn xml_tag<'t>(s: &'t str, tag: &str) -> Option<&'t str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let a = s.find(&open)? + open.len();
    let b = s[a..].find(&close)? + a;
    Some(s[a..b].trim())
}

fn pom(text: &str) -> (Option<String>, Vec<String>) {
    // The project's own ids come after its <parent> block, if any.
    let own = match (text.find("<parent>"), text.find("</parent>")) {
        (Some(_), Some(e)) => &text[e..],
        _ => text,
    };
    let before_deps = own.split("<dependencies>").next().unwrap_or(own);
    let name = xml_tag(before_deps, "artifactId").map(String::from);
    let mut deps = Vec::new();
    for block in own.split("<dependency>").skip(1) {
        if let Some(a) = xml_tag(block, "artifactId") {
            deps.push(a.to_string());
        }
    }
    (name, deps)
}

fn gradle(text: &str) -> (Option<String>, Vec<String>) {
    let mut deps = Vec::new();
    for l in text.lines() {
        let t = l.trim();
        let conf = ["implementation", "api", "compileOnly", "runtimeOnly", "kapt", "ksp"];
        if !conf.iter().any(|c| t.starts_with(c)) {
            continue;
        }
        // `implementation("group:name:version")` or `implementation 'group:name:version'`.
        if let Some(q) = t.find(['"', '\'']) {
            let rest = &t[q + 1..];
            let coord = rest.split(['"', '\'']).next().unwrap_or("");
            let parts: Vec<&str> = coord.split(':').collect();
            if parts.len() >= 2 {
                deps.push(parts[1].to_string());
            }
        } else if let Some(a) = t.find('(') {
            // Version catalogs: `implementation(libs.ktor.server)`.
            let inner = t[a + 1..].trim_end_matches(')');
            deps.push(inner.trim_start_matches("libs.").to_string());
        }
    }
    (None, deps)
}

/// The first quoted word after any of `prefixes` at a line start.
fn quoted_after(text: &str, prefixes: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for l in text.lines() {
        let t = l.trim_start();
        if let Some(p) = prefixes.iter().find(|p| t.starts_with(**p)) {
            let rest = &t[p.len()..];
            if let Some(q) = rest.find(['"', '\'']) {
                let v = rest[q + 1..].split(['"', '\'']).next().unwrap_or("");
                if !v.is_empty() {
                    out.push(v.to_string());
                }
            }
        }
    }
    out
}

fn swift_package(text: &str) -> (Option<String>, Vec<String>) {
    let name = quoted_after(text, &["name:"]).into_iter().next();
    let deps = text
        .match_indices(".package(")
        .filter_map(|(i, _)| {
            let seg = &text[i..text.len().min(i + 300)];
            let url = seg.split("url:").nth(1)?;
            let v = url.split('"').nth(1)?;
            Some(v.trim_end_matches(".git").rsplit('/').next().unwrap_or(v).to_string())
        })
        .collect();
    (name, deps)
}

fn sbt(text: &str) -> (Option<String>, Vec<String>) {
    let name = quoted_after(text, &["name :=", "name:="]).into_iter().next();
    let mut deps = Vec::new();
    for l in text.lines() {
        // `"org" %% "name" % "version"`
        if l.contains('%') {
            let quoted: Vec<&str> = l.split('"').skip(1).step_by(2).collect();
            if quoted.len() >= 2 {
                deps.push(quoted[1].to_string());
            }
        }
    }
    (name, deps)
}

/// Values of attribute `attr` on elements starting with `element`.
fn attr_values(text: &str, element: &str, attr: &str) -> Vec<String> {
    text.match_indices(element)
        .filter_map(|(i, _)| {
            let seg = &text[i..text.len().min(i + 300)];
            let a = seg.find(&format!("{attr}=\""))? + attr.len() + 2;
            Some(seg[a..].split('"').next()?.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names() {
        assert_eq!(requirement_name("requests>=2.0; python_version<'3.8'"), Some("requests".into()));
        assert_eq!(requirement_name("  "), None);
    }
}
