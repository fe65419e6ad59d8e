//! Shared helpers for the integration tests: locating and loading the corpora.

use std::path::{Path, PathBuf};

/// `../shared/corpora` relative to the repository root.
pub fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

/// Every file under `dir` (recursively), sorted, as (relative name, bytes).
pub fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).expect("under dir").to_string_lossy().into_owned();
                out.push((name, std::fs::read(&p).expect("read corpus file")));
            }
        }
    }
    out.sort();
    out
}

/// The real diffs as strings; a few hold Latin-1 bytes, decoded lossily (GitHub hands us JSON strings, always UTF-8).
pub fn real_diffs() -> Vec<(String, String)> {
    files_under(&corpora().join("diffs/real")).into_iter().map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned())).collect()
}

/// Every diff-like file under diffs/ (real and edge), lossily decoded.
pub fn all_diffs() -> Vec<(String, String)> {
    files_under(&corpora().join("diffs"))
        .into_iter()
        .filter(|(n, _)| !n.ends_with("LICENSE") && !n.ends_with(".go"))
        .map(|(n, b)| (n, String::from_utf8_lossy(&b).into_owned()))
        .collect()
}
