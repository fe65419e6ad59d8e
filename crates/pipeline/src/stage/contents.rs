//! Stage 5a, contents (only when the review cache misses): the full text of
//! every selected file at head — and at the comparison's base where a hunk
//! removes more than it adds, so the old side's scope is known — plus, for
//! `context = "full"`, the head tree and a few manifests for the repository
//! map. Everything comes through `argus_github`'s batched reads (one tree per
//! revision, then GraphQL batches of blobs, or one REST request per file where
//! GraphQL is unavailable), within [`CONTENT_REQUESTS`] together with the
//! configuration read. A file that cannot be fetched, is binary or is over
//! `context_max_file_bytes` loses its context, never its review.
//!
//! Then [`Context::prepare`] hands the texts to `argus-context` (pure), whose
//! `Prepared` the plan's requests and the placement use.

use crate::platform::Platform;
use crate::service::ReviewService;
use argus_config::{Config, ContextMode};
use argus_context::{ContextInput, ContextOptions, EntryKind, Mode, Prepared, TreeEntry, manifests_wanted, repo_map};
use argus_core::job::ReviewJob;
use argus_diff::diff::{FileDiff, FileStatus, LineKind};
use argus_diff::select::Selection;
use argus_github::{BlobRequest, BlobResult, ContentLimits, WantedFile};

/// GitHub requests a review may spend on file contents in all (issue: a 50-file
/// PR spends at most 8): the configuration stage's one batched read, the trees,
/// the blobs and the manifests.
pub const CONTENT_REQUESTS: u32 = 8;
/// Spent by the configuration stage (configuration and guidance files, one request).
const CONFIGURATION_REQUESTS: u32 = 1;
/// The repository map's size in tokens.
pub const MAP_TOKENS: u32 = 300;

/// The texts context is made from, and what fetching them cost.
#[derive(Debug, Default)]
pub struct Contents {
    /// Per file of the run (same indices as the run's `files`): the text at head.
    pub head: Vec<Option<String>>,
    /// Per file: the text at the comparison's base, where fetched.
    pub base: Vec<Option<String>>,
    /// The repository map (`~` lines), for `context = "full"`.
    pub map: Option<String>,
    /// GitHub requests spent here.
    pub requests: u32,
    /// Why some files have no context (not fetched, binary, too large, failed),
    /// and what went wrong without stopping the fetch, for the summary.
    pub problems: Vec<String>,
}

/// Whether the old side of `f` is worth reading: a modified or renamed file with
/// a hunk that removes more lines than it adds (a rewrite or a deletion).
fn wants_base(f: &FileDiff<'_>) -> bool {
    matches!(f.status, FileStatus::Modified | FileStatus::Renamed)
        && f.hunks.iter().any(|h| {
            let removed = h.lines.iter().filter(|l| l.kind == LineKind::Removed).count();
            let added = h.lines.iter().filter(|l| l.kind == LineKind::Added).count();
            removed > added
        })
}

/// The engine's options for a configuration.
pub fn context_options(config: &Config) -> ContextOptions {
    ContextOptions {
        mode: match config.context {
            ContextMode::Off => Mode::Off,
            ContextMode::Scope => Mode::Scope,
            ContextMode::Full => Mode::Full,
        },
        max_file_bytes: config.context_max_file_bytes as usize,
        ..ContextOptions::default()
    }
}

impl<P: Platform> ReviewService<P> {
    /// Fetches what context needs for the selected files of `files`. `base_rev`
    /// is the revision the run's diff starts from (the PR's base, or the last
    /// reviewed commit for an incremental review). With `context = "off"`, nothing.
    pub(crate) async fn contents(&self, job: &ReviewJob, config: &Config, files: &[FileDiff<'_>], selection: &Selection, base_rev: &str) -> Contents {
        let mut out = Contents { head: vec![None; files.len()], base: vec![None; files.len()], ..Contents::default() };
        if config.context == ContextMode::Off || selection.kept.is_empty() {
            return out;
        }
        let full = config.context == ContextMode::Full;
        let head_rev = job.head_sha.as_str();
        // Head texts first, in review order; base texts after every head text.
        let mut wanted: Vec<(WantedFile, usize, bool)> = Vec::new();
        for (rank, k) in selection.kept.iter().enumerate() {
            let Some(f) = files.get(k.index) else { continue };
            let Some(path) = f.new_path.as_deref() else { continue };
            wanted.push((WantedFile::new(head_rev, path, rank as u32), k.index, true));
        }
        for (rank, k) in selection.kept.iter().enumerate() {
            let Some(f) = files.get(k.index) else { continue };
            if !wants_base(f) {
                continue;
            }
            let Some(path) = f.old_path.as_deref().or(f.new_path.as_deref()) else { continue };
            wanted.push((WantedFile::new(base_rev, path, 10_000 + rank as u32), k.index, false));
        }
        let limits = ContentLimits {
            max_file_bytes: u64::from(config.context_max_file_bytes),
            // One request is kept for the manifests when the map is wanted.
            max_requests: CONTENT_REQUESTS - CONFIGURATION_REQUESTS - u32::from(full),
            ..ContentLimits::default()
        };
        let inst = self.github.installation(job.installation);
        let list: Vec<WantedFile> = wanted.iter().map(|(w, _, _)| w.clone()).collect();
        let fetched = inst.fetch_contents(&job.pr.repo, &list, &limits).await;
        out.requests += fetched.requests;
        out.problems.extend(fetched.problems.iter().cloned());
        let mut too_large = 0;
        let mut not_fetched = 0;
        for ((_, index, head), result) in wanted.iter().zip(fetched.results) {
            let text = match result {
                BlobResult::Text { text, .. } => Some(text),
                BlobResult::TooLarge { .. } => {
                    too_large += usize::from(*head);
                    None
                }
                // A cut text would put scopes in the wrong places: no context for it.
                BlobResult::Truncated { .. } | BlobResult::Binary { .. } | BlobResult::Missing => None,
                BlobResult::Skipped | BlobResult::Failed { .. } => {
                    not_fetched += usize::from(*head);
                    None
                }
            };
            let slot = if *head { &mut out.head } else { &mut out.base };
            slot[*index] = text;
        }
        if too_large > 0 {
            out.problems.push(format!("{too_large} of them over `context_max_file_bytes` ({} bytes)", config.context_max_file_bytes));
        }
        if not_fetched > 0 {
            out.problems.push(format!("{not_fetched} of them not fetched within the request budget"));
        }
        if let Some(e) = &fetched.error {
            self.log(job, "contents_stopped", serde_json::json!({ "error": e.to_string() }));
        }
        if full && let Some((_, tree)) = fetched.trees.iter().find(|(rev, _)| rev == head_rev) {
            let entries: Vec<TreeEntry> = tree
                .entries
                .iter()
                .filter_map(|e| {
                    let kind = match e.kind.as_str() {
                        "blob" => EntryKind::Blob,
                        "tree" => EntryKind::Tree,
                        "commit" => EntryKind::Commit,
                        _ => return None,
                    };
                    Some(TreeEntry { path: e.path.clone(), kind, size: e.size })
                })
                .collect();
            // An empty listing says nothing about the project.
            if !entries.iter().any(|e| e.kind == EntryKind::Blob) {
                return self.logged(job, selection, out);
            }
            let manifests = manifests_wanted(&entries);
            let mut texts: Vec<(String, String)> = Vec::new();
            if !manifests.is_empty() {
                let index = tree.index();
                let requests: Vec<BlobRequest> = manifests
                    .iter()
                    .map(|m| {
                        let r = BlobRequest::new(head_rev, m.clone());
                        match tree.lookup(&index, m) {
                            argus_github::contents::TreeLookup::Blob { size, sha } => r.known(size, sha),
                            _ => r,
                        }
                    })
                    .collect();
                let got = inst
                    .blobs(&job.pr.repo, &requests, &ContentLimits { max_requests: 1, max_file_bytes: 64 * 1024, ..ContentLimits::default() })
                    .await;
                out.requests += got.requests;
                for (m, r) in manifests.iter().zip(got.results) {
                    if let BlobResult::Text { text, .. } = r {
                        texts.push((m.clone(), text));
                    }
                }
            }
            let refs: Vec<(&str, &str)> = texts.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            let map = repo_map(&entries, &refs, MAP_TOKENS);
            out.map = (!map.trim().is_empty()).then_some(map);
        }
        self.logged(job, selection, out)
    }

    fn logged(&self, job: &ReviewJob, selection: &Selection, out: Contents) -> Contents {
        self.log(
            job,
            "contents",
            serde_json::json!({ "files": selection.kept.len(), "head": out.head.iter().filter(|t| t.is_some()).count(),
                "base": out.base.iter().filter(|t| t.is_some()).count(), "map": out.map.is_some(), "requests": out.requests, "problems": out.problems.len() }),
        );
        out
    }
}

/// The fetched texts as `argus-context` borrows them.
pub struct TextRefs<'a> {
    pub head: Vec<Option<&'a str>>,
    base: Vec<Option<&'a str>>,
}

impl Contents {
    pub fn refs(&self) -> TextRefs<'_> {
        TextRefs { head: self.head.iter().map(|t| t.as_deref()).collect(), base: self.base.iter().map(|t| t.as_deref()).collect() }
    }
}

/// Parses the fetched texts (`argus-context`'s `prepare`: scope trees and
/// definitions), for the requests and the placement.
pub fn prepare_context<'a>(config: &Config, files: &'a [FileDiff<'a>], texts: &'a TextRefs<'a>) -> Prepared<'a> {
    argus_context::prepare(ContextInput { files, head: &texts.head, base: &texts.base, options: context_options(config) })
}
