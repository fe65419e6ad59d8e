//! A user's permission on a repository, for `@argusai` commands and replies.
//!
//! `author_association: MEMBER` means "member of the organisation", not "may write
//! to this repository", so ArgusAI asks GitHub instead:
//! `GET /repos/{o}/{r}/collaborators/{username}/permission` answers `permission`
//! (`admin`, `write`, `read` or `none`) and `role_name` (`admin`, `maintain`,
//! `write`, `triage`, `read` or a custom role). The `maintain` role reports
//! `permission: "write"`, `triage` reports `read`, and a custom role reports the
//! base role it extends
//! (<https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user>).
//! Write access, as GitHub defines it, is therefore `admin` or `write`.

use crate::auth::{JwtSigner, TokenCache};
use crate::client::encode_path;
use crate::error::GitHubError;
use crate::ops::Installation;
use argus_core::http::{Clock, HttpClient, Method};
use argus_core::ids::{RepoName, UnixMillis};
use argus_core::keys::{KvKey, RepoPermissionKey};
use serde::{Deserialize, Serialize};

/// The fields of the permission answer ArgusAI reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RepoPermission {
    /// `admin`, `write`, `read` or `none`.
    pub permission: String,
    /// `admin`, `maintain`, `write`, `triage`, `read` or a custom role's name.
    #[serde(default)]
    pub role_name: Option<String>,
}

impl RepoPermission {
    /// Admin, maintain and write roles (and custom roles built on write) can write.
    pub fn has_write(&self) -> bool {
        matches!(self.permission.as_str(), "admin" | "write") || matches!(self.role_name.as_deref(), Some("admin" | "maintain" | "write"))
    }
}

/// What the cache seam keeps for a permission: the answer and when it goes stale.
#[derive(Serialize, Deserialize)]
struct CachedPermission {
    write: bool,
    expires_at_ms: u64,
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> Installation<'_, H, C, S, T> {
    /// `GET /repos/{o}/{r}/collaborators/{login}/permission`. A user GitHub does
    /// not know (404) has permission `none`.
    pub async fn permission(&self, repo: &RepoName, login: &str) -> Result<RepoPermission, GitHubError> {
        let path = format!("/repos/{}/{}/collaborators/{}/permission", repo.owner, repo.name, encode_path(login).replace('/', "%2F"));
        let url = self.gh.url(&path);
        match self.gh.send_installation(self.id, Method::Get, &url, None).await {
            Ok(resp) => crate::client::decode(&self.gh.route(Method::Get, &url), &resp),
            Err(GitHubError::NotFound { .. }) => Ok(RepoPermission { permission: "none".into(), role_name: None }),
            Err(e) => Err(e),
        }
    }

    /// Whether `login` has write access to `repo`, as GitHub defines it. Answers
    /// are kept for [`RepoPermissionKey::TTL_SECS`] (in memory and through the
    /// cache seam), so a burst of commands costs one request and a revoked
    /// permission stops working within minutes.
    pub async fn has_write(&self, repo: &RepoName, login: &str) -> Result<bool, GitHubError> {
        if login.trim().is_empty() {
            return Ok(false);
        }
        let key = RepoPermissionKey { repo: repo.clone(), login: login.to_string() };
        let cache_key = key.key();
        let now = self.gh.clock.now();
        if let Some(&(write, until)) = self.gh.permissions.borrow().get(&cache_key)
            && now < until
        {
            return Ok(write);
        }
        if let Some(cached) = self.gh.tokens().get_value(&key).await.and_then(|v| serde_json::from_str::<CachedPermission>(&v).ok())
            && now.0 < cached.expires_at_ms
        {
            self.gh.permissions.borrow_mut().insert(cache_key, (cached.write, UnixMillis(cached.expires_at_ms)));
            return Ok(cached.write);
        }
        let write = self.permission(repo, login).await?.has_write();
        let until = now.plus_secs(RepoPermissionKey::TTL_SECS);
        let value = serde_json::to_string(&CachedPermission { write, expires_at_ms: until.0 }).expect("serializes");
        self.gh.tokens().put_value(&key, &value).await;
        self.gh.permissions.borrow_mut().insert(cache_key, (write, until));
        Ok(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_access_as_github_defines_it() {
        let p = |permission: &str, role: Option<&str>| RepoPermission { permission: permission.into(), role_name: role.map(str::to_string) };
        let cases = [
            (p("admin", Some("admin")), true),
            (p("write", Some("maintain")), true),
            (p("write", Some("write")), true),
            (p("write", Some("security-reviewer")), true),
            (p("read", Some("triage")), false),
            (p("read", Some("read")), false),
            (p("read", Some("auditor")), false),
            (p("none", None), false),
        ];
        for (perm, want) in cases {
            assert_eq!(perm.has_write(), want, "{perm:?}");
        }
    }
}
