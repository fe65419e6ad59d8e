//! Shared helpers: the corpora, and files rebuilt from corpus diffs.

use argus_diff::diff::{FileDiff, FileStatus, LineKind};
use std::path::{Path, PathBuf};

/// `../shared/corpora` relative to the repository root.
pub fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora")
}

/// The real diffs as (file name, text), sorted; Latin-1 bytes decoded lossily.
pub fn real_diffs() -> Vec<(String, String)> {
    let dir = corpora().join("diffs/real");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "diff"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, String::from_utf8_lossy(&std::fs::read(&p).expect("read")).into_owned())
        })
        .collect()
}

/// The full text of an added file: its added lines (a new file's diff is
/// the whole file).
pub fn added_text(f: &FileDiff<'_>) -> Option<String> {
    if f.status != FileStatus::Added || f.binary || f.hunks.is_empty() {
        return None;
    }
    let mut s = String::new();
    for h in &f.hunks {
        for l in &h.lines {
            if l.kind == LineKind::Added {
                s.push_str(l.content());
                s.push('\n');
            }
        }
    }
    Some(s)
}
