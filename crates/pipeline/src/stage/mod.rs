//! The review as a short sequence of named stages, each with its inputs and
//! outputs in plain view, so "where does X come from" is one hop:
//!
//! | stage | module | reads | gives |
//! |---|---|---|---|
//! | pull request | [`pull`] | GitHub: the PR | [`pull::Pull`] or a skip (closed, head moved) |
//! | configuration | [`configure`] | KV layers, base-branch TOML and guidance | [`configure::Configured`] or a skip (the repository's rules) |
//! | scope | [`scope`] | GitHub: comparison, PR files | [`scope::Scoped`] (full / incremental and why) or a skip (nothing new) |
//! | plan | [`plan`] | nothing (pure) | [`plan::Plan`]: selection, chunks, file table, then the model requests |
//! | tripwire | [`guard`] | GitHub: the PR's commits | [`guard::Tripped`]: text addressed to AI reviewers, as findings and summary sentences |
//! | risk | `argus_diff::risk` | nothing (pure) | a trivial change (docs, lockfiles, generated, formatting, renames) is not sent to the model |
//! | model | [`model`] | KV cache, the LLM | [`model::Thought`]: findings and figures |
//! | verify | [`verify`] | the LLM | the findings the model confirms against their code, one batched request |
//! | resolve | [`resolve`] | GitHub: review threads, the cited files; the LLM when lines changed | the open ArgusAI threads this push fixed |
//! | decide | [`decide`] | nothing (pure) | the [`crate::Publication`]: what to post, rendered by `argus_review::render` |
//! | publish | [`publish`] | GitHub writes | the review, the summary, the check run, the cache entry |
//!
//! `run` is every stage but the last and never writes to GitHub; `publish` runs
//! after the coordinator's stale-head check.

pub mod configure;
pub mod contents;
pub mod decide;
pub mod guard;
pub mod model;
pub mod plan;
pub mod publish;
pub mod pull;
pub mod resolve;
pub mod scope;
pub mod verify;

use argus_coordinator::PipelineError;
use argus_core::error::Classify;
use argus_github::GitHubError;

/// A GitHub error as the pipeline reports it: the step, GitHub's answer, and
/// for a refused App the settings to check.
pub(crate) fn gh_err(step: &str, e: GitHubError) -> PipelineError {
    let mut message = format!("{step}: {e}");
    if matches!(e, GitHubError::Unauthorized { .. }) {
        message.push_str(" (check the GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY settings, and that the app is installed)");
    }
    PipelineError { class: e.class(), message }
}

/// What a stage that may end the review early gives.
pub enum Next<T> {
    Go(T),
    /// Nothing to review, and why (for the log, the check run and the status page).
    Skip(String),
}
