//! Scope-finder fixtures (`tests/fixtures/scopes`): the chain stated by each
//! `scope:` marker must be what the finder reports at that line, and every
//! fixture's whole tree is snapshotted.

use argus_context::{ScopeTree, scopes_for_path};
use std::path::Path;

fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scopes");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| (p.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read_to_string(&p).expect("read")))
        .collect();
    out.sort();
    out
}

/// `impl Server > method handle`, or `-` for no scope.
fn chain_text(tree: &ScopeTree, line: u32) -> String {
    let chain = tree.chain_at(line);
    if chain.is_empty() {
        return "-".into();
    }
    chain
        .iter()
        .map(|s| if s.name.is_empty() { s.kind.word().to_string() } else { format!("{} {}", s.kind.word(), s.name) })
        .collect::<Vec<_>>()
        .join(" > ")
}

/// The expectation a line states, if any.
fn marker(line: &str) -> Option<String> {
    let at = line.find("scope:")?;
    let rest = &line[at + "scope:".len()..];
    let rest = rest.split("*/").next().unwrap_or(rest);
    let rest = rest.split("-->").next().unwrap_or(rest);
    Some(rest.trim().to_string())
}

fn dump(tree: &ScopeTree) -> String {
    let mut out = String::new();
    for s in &tree.scopes {
        let mut depth = 0;
        let mut p = s.parent;
        while let Some(i) = p {
            depth += 1;
            p = tree.scopes[i as usize].parent;
        }
        out.push_str(&format!(
            "{:indent$}{} {:?} lines {}..={} header {}..={} name@{}\n",
            "",
            s.kind.word(),
            s.name,
            s.start,
            s.end,
            s.start,
            s.header_end,
            s.name_line,
            indent = depth * 2
        ));
    }
    out
}

#[test]
fn markers_match_the_finder() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, text) in fixtures() {
        let tree = scopes_for_path(&name, &text);
        for (i, line) in text.lines().enumerate() {
            let Some(want) = marker(line) else { continue };
            checked += 1;
            let got = chain_text(&tree, i as u32 + 1);
            if got != want {
                failures.push(format!("{name}:{}: want `{want}`, got `{got}`", i + 1));
            }
        }
    }
    assert!(checked >= 120, "only {checked} markers: fixtures went missing");
    assert!(failures.is_empty(), "{} of {checked} markers disagree:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn trees_snapshot() {
    for (name, text) in fixtures() {
        let tree = scopes_for_path(&name, &text);
        insta::assert_snapshot!(format!("tree_{name}"), dump(&tree));
    }
}
