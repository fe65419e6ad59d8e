//! Newtypes for the identifiers that flow through ArgusAI, so a PR number can
//! never be passed where an installation id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `owner/name` of a repository, as GitHub spells it in `repository.full_name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn new(owner: impl Into<String>, name: impl Into<String>) -> Self {
        Self { owner: owner.into(), name: name.into() }
    }

    /// Parses `owner/name`; both parts must be non-empty and contain no `/`.
    pub fn parse(full: &str) -> Option<Self> {
        let (owner, name) = full.split_once('/')?;
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            return None;
        }
        if !valid_segment(owner) || !valid_segment(name) {
            return None;
        }
        Some(Self::new(owner, name))
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// GitHub owners and repository names use ASCII letters, digits, `-`, `_` and `.`.
/// Rejecting anything else keeps KV keys and Durable Object names unambiguous.
fn valid_segment(s: &str) -> bool {
    s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A pull request number (1-based, as GitHub shows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrNumber(pub u64);

impl fmt::Display for PrNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A GitHub App installation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstallationId(pub u64);

impl fmt::Display for InstallationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A full 40-hex-digit commit SHA (GitHub sends these; short SHAs are never used).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitSha(pub String);

impl CommitSha {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The first 7 characters, for humans.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(7)]
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `X-GitHub-Delivery` GUID of one webhook delivery (redeliveries keep it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliveryId(pub String);

impl DeliveryId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One pull request: the unit a Durable Object coordinates.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PrRef {
    pub repo: RepoName,
    pub number: PrNumber,
}

impl PrRef {
    pub fn new(repo: RepoName, number: PrNumber) -> Self {
        Self { repo, number }
    }

    /// The Durable Object name for this PR: `owner/repo#number`. This is the only
    /// place the format is written; `idFromName` of it picks the PR's coordinator.
    pub fn durable_object_name(&self) -> String {
        format!("{}/{}#{}", self.repo.owner, self.repo.name, self.number.0)
    }

    /// The maintainers' status path for this PR.
    pub fn status_path(&self) -> String {
        format!("/status/{}/{}/{}", self.repo.owner, self.repo.name, self.number.0)
    }
}

impl fmt::Display for PrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.repo, self.number)
    }
}

/// Milliseconds since the Unix epoch. The core never reads a clock: callers pass `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    pub fn plus_secs(self, secs: u64) -> Self {
        UnixMillis(self.0.saturating_add(secs.saturating_mul(1000)))
    }
    pub fn plus_millis(self, ms: u64) -> Self {
        UnixMillis(self.0.saturating_add(ms))
    }
    pub fn secs(self) -> u64 {
        self.0 / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_name_parse_accepts_github_names_only() {
        assert_eq!(RepoName::parse("octo-org/hello.world_1"), Some(RepoName::new("octo-org", "hello.world_1")));
        for bad in ["", "a", "a/", "/b", "a/b/c", "a b/c", "a/b#1", "a/b?x"] {
            assert_eq!(RepoName::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durable_object_name_is_owner_repo_hash_number() {
        let pr = PrRef::new(RepoName::new("o", "r"), PrNumber(42));
        assert_eq!(pr.durable_object_name(), "o/r#42");
        assert_eq!(pr.status_path(), "/status/o/r/42");
    }
}
