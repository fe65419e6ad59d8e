//! A user's permission on a repository, for `@argusai` commands.
//!
//! `author_association: MEMBER` means "member of the organisation", not "may
//! write to this repository", so ArgusAI asks GitHub:
//! `GET /repos/{o}/{r}/collaborators/{username}/permission` answers
//! `permission` (`admin`, `write`, `read` or `none`) and `role_name` (`admin`,
//! `maintain`, `write`, `triage`, `read` or a custom role); `maintain` reports
//! `permission: "write"` and `triage` reports `read`
//! (<https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user>).

use crate::auth::{JwtSigner, TokenCache};
use crate::client::encode_path;
use crate::error::GitHubError;
use crate::ops::Installation;
use argus_core::http::{Clock, HttpClient};
use argus_core::ids::RepoName;
use serde::Deserialize;

/// The fields of the permission answer ArgusAI reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RepoPermission {
    /// `admin`, `write`, `read` or `none`.
    pub permission: String,
    #[serde(default)]
    pub role_name: Option<String>,
}

impl RepoPermission {
    /// Write access as GitHub defines it: the admin, maintain and write roles.
    pub fn has_write(&self) -> bool {
        matches!(self.permission.as_str(), "admin" | "write") || matches!(self.role_name.as_deref(), Some("admin" | "maintain" | "write"))
    }
}

impl<H: HttpClient, C: Clock, S: JwtSigner, T: TokenCache> Installation<'_, H, C, S, T> {
    /// The user's permission on `repo`; a user GitHub does not know (404) has `none`.
    pub async fn permission(&self, repo: &RepoName, login: &str) -> Result<RepoPermission, GitHubError> {
        let path = format!("/repos/{}/{}/collaborators/{}/permission", repo.owner, repo.name, encode_path(login).replace('/', "%2F"));
        match self.get_json(&path).await {
            Ok(p) => Ok(p),
            Err(GitHubError::NotFound { .. }) => Ok(RepoPermission { permission: "none".into(), role_name: None }),
            Err(e) => Err(e),
        }
    }
}
