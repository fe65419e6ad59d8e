//! Who may see what: a maintainer's role on each repository the App is
//! installed on, as GitHub reports it to their user token, and the decision
//! the dashboard makes from it. Below the configured minimum (`maintain` by
//! default) a repository does not exist for that user: 404, never 403, so the
//! dashboard does not even confirm that a private repository uses ArgusAI.

use argus_core::ids::RepoName;
use serde::{Deserialize, Serialize};

/// How long a user's access list is reused before GitHub is asked again.
pub const ACCESS_TTL_SECS: u64 = 300;

/// A repository role, weakest first
/// (<https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

/// The `permissions` object GitHub puts on each repository listed for a user token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct RepoPermissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub maintain: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub triage: bool,
    #[serde(default)]
    pub pull: bool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Triage => "triage",
            Role::Write => "write",
            Role::Maintain => "maintain",
            Role::Admin => "admin",
        }
    }

    /// The strongest role the flags grant; `None` without even `pull`.
    pub fn from_permissions(p: &RepoPermissions) -> Option<Role> {
        [(p.admin, Role::Admin), (p.maintain, Role::Maintain), (p.push, Role::Write), (p.triage, Role::Triage), (p.pull, Role::Read)]
            .into_iter()
            .find(|(on, _)| *on)
            .map(|(_, r)| r)
    }

    /// From `GET /repos/{o}/{r}/collaborators/{user}/permission`: `role_name`
    /// is the full role; a custom role's name is unknown here, so its legacy
    /// `permission` (`admin`, `write`, `read`, `none`) decides.
    pub fn from_collaborator(role_name: &str, permission: &str) -> Option<Role> {
        let by_name = |s: &str| match s {
            "admin" => Some(Role::Admin),
            "maintain" => Some(Role::Maintain),
            "write" | "push" => Some(Role::Write),
            "triage" => Some(Role::Triage),
            "read" | "pull" => Some(Role::Read),
            _ => None,
        };
        by_name(role_name).or_else(|| by_name(permission))
    }

    /// `DASHBOARD_MIN_PERMISSION`: `maintain` (default), `write` or `admin`.
    /// Anything else keeps the default and says why.
    pub fn parse_min(raw: Option<&str>) -> (Role, Option<String>) {
        match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("maintain") => (Role::Maintain, None),
            Some("write") => (Role::Write, None),
            Some("admin") => (Role::Admin, None),
            Some(_) => (Role::Maintain, Some("DASHBOARD_MIN_PERMISSION must be maintain, write or admin; using maintain".into())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoAccess {
    pub full_name: String,
    pub role: Role,
    pub private: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationAccess {
    pub id: u64,
    /// The account the App is installed on.
    pub account: String,
    pub repos: Vec<RepoAccess>,
    /// More repositories exist than were listed (the listing is bounded).
    pub truncated: bool,
}

/// Everything a user's token can reach through the App, with their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessList {
    pub user_id: u64,
    pub login: String,
    /// Milliseconds since the epoch.
    pub fetched_at: u64,
    pub installations: Vec<InstallationAccess>,
}

/// The dashboard's answer for one repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow {
        installation: u64,
        role: Role,
    },
    /// Not installed there, no access, or a role below the minimum: all look the same.
    NotFound,
}

impl AccessList {
    pub fn fresh(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.fetched_at) < ACCESS_TTL_SECS * 1000
    }

    /// GitHub names are case-insensitive.
    pub fn find(&self, repo: &RepoName) -> Option<(u64, &RepoAccess)> {
        let want = repo.full_name();
        self.installations.iter().flat_map(|i| i.repos.iter().map(move |r| (i.id, r))).find(|(_, r)| r.full_name.eq_ignore_ascii_case(&want))
    }

    pub fn decide(&self, repo: &RepoName, min: Role) -> Decision {
        match self.find(repo) {
            Some((installation, r)) if r.role >= min => Decision::Allow { installation, role: r.role },
            _ => Decision::NotFound,
        }
    }

    /// Only what the user may see: repositories at or above `min`, and the
    /// installations that still have one.
    pub fn visible(&self, min: Role) -> AccessList {
        let installations = self
            .installations
            .iter()
            .filter_map(|i| {
                let repos: Vec<RepoAccess> = i.repos.iter().filter(|r| r.role >= min).cloned().collect();
                (!repos.is_empty()).then(|| InstallationAccess { repos, ..i.clone() })
            })
            .collect();
        AccessList { installations, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> AccessList {
        let repo = |n: &str, role| RepoAccess { full_name: n.into(), role, private: true };
        AccessList {
            user_id: 1,
            login: "alice".into(),
            fetched_at: 10_000,
            installations: vec![
                InstallationAccess {
                    id: 7,
                    account: "acme".into(),
                    repos: vec![repo("acme/a", Role::Maintain), repo("acme/b", Role::Write)],
                    truncated: false,
                },
                InstallationAccess { id: 8, account: "alice".into(), repos: vec![repo("alice/c", Role::Read)], truncated: false },
            ],
        }
    }

    #[test]
    fn decisions_follow_the_minimum_role() {
        let l = list();
        let r = |s: &str| RepoName::parse(s).unwrap();
        // (repo, minimum, decision)
        let cases = [
            ("acme/a", Role::Maintain, Decision::Allow { installation: 7, role: Role::Maintain }),
            ("ACME/A", Role::Maintain, Decision::Allow { installation: 7, role: Role::Maintain }),
            ("acme/b", Role::Maintain, Decision::NotFound),
            ("acme/b", Role::Write, Decision::Allow { installation: 7, role: Role::Write }),
            ("alice/c", Role::Write, Decision::NotFound),
            ("acme/zzz", Role::Read, Decision::NotFound),
        ];
        for (repo, min, want) in cases {
            assert_eq!(l.decide(&r(repo), min), want, "{repo} {min:?}");
        }
        let v = l.visible(Role::Maintain);
        assert_eq!(v.installations.len(), 1);
        assert_eq!(v.installations[0].repos.iter().map(|r| r.full_name.as_str()).collect::<Vec<_>>(), ["acme/a"]);
        assert!(l.fresh(10_000 + 299_999) && !l.fresh(10_000 + 300_000));
    }

    #[test]
    fn roles_from_github() {
        let p = |admin, maintain, push, triage, pull| RepoPermissions { admin, maintain, push, triage, pull };
        assert_eq!(Role::from_permissions(&p(false, true, true, true, true)), Some(Role::Maintain));
        assert_eq!(Role::from_permissions(&p(true, true, true, true, true)), Some(Role::Admin));
        assert_eq!(Role::from_permissions(&p(false, false, false, false, true)), Some(Role::Read));
        assert_eq!(Role::from_permissions(&p(false, false, false, false, false)), None);
        assert_eq!(Role::from_collaborator("maintain", "write"), Some(Role::Maintain));
        assert_eq!(Role::from_collaborator("security-reviewer", "write"), Some(Role::Write));
        assert_eq!(Role::from_collaborator("x", "none"), None);
        assert_eq!(Role::parse_min(Some(" Write ")), (Role::Write, None));
        assert_eq!(Role::parse_min(Some("triage")).0, Role::Maintain);
        assert!(Role::parse_min(Some("triage")).1.is_some());
    }
}
