//! What each dashboard page shows, as data: the JSON twin of a page is its view
//! serialized, and the HTML is rendered from the same view (`pages`), so the two
//! can never disagree. Views hold figures, SHAs, logins and texts from other
//! systems; never code, never a token.

use crate::access::{InstallationAccess, Role};
use argus_config::{Layer, Problem, Traced};
use argus_coordinator::StatusView;
use argus_index::Overview;
use serde::Serialize;

/// `/dashboard`: the repositories the user may see.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HomeView {
    pub login: String,
    /// The role a repository needs to be listed (`DASHBOARD_MIN_PERMISSION`).
    pub min_role: Role,
    pub installations: Vec<InstallationAccess>,
}

/// `/dashboard/{owner}/{repo}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepoView {
    pub repo: String,
    /// The viewer's role; `None` for the operator's `STATUS_TOKEN`.
    pub role: Option<Role>,
    pub overview: Overview,
    pub config: ConfigView,
    pub now: u64,
}

/// The effective configuration for the repository's default branch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigView {
    /// The branch the repository file was read from.
    pub branch: Option<String>,
    pub file_found: bool,
    /// Why a layer could not be read (GitHub or KV unavailable); the values
    /// shown then come from the layers that were read.
    pub unavailable: Vec<String>,
    pub keys: Vec<ConfigKeyView>,
    pub problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigKeyView {
    pub key: String,
    pub value: serde_json::Value,
    /// The layer that decided the value.
    pub layer: Layer,
    /// Every layer that contributed (lists that extend have several).
    pub layers: Vec<Layer>,
}

impl ConfigView {
    pub fn of(traced: &Traced, branch: Option<String>, file_found: bool, unavailable: Vec<String>) -> ConfigView {
        let values = serde_json::to_value(&traced.resolution.config).unwrap_or_default();
        let keys = traced
            .origins
            .iter()
            .map(|o| ConfigKeyView {
                key: o.key.to_string(),
                value: values.get(o.key).cloned().unwrap_or(serde_json::Value::Null),
                layer: o.effective(),
                layers: if o.layers.is_empty() { vec![Layer::BuiltIn] } else { o.layers.clone() },
            })
            .collect();
        ConfigView { branch, file_found, unavailable, keys, problems: traced.resolution.problems.clone() }
    }
}

/// `/dashboard/{owner}/{repo}/pull/{n}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrView {
    pub repo: String,
    pub number: u64,
    /// The viewer's role; `None` for the operator's `STATUS_TOKEN`.
    pub role: Option<Role>,
    pub status: StatusView,
}

/// What a dashboard action came to, for the page after the redirect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub accepted: bool,
    pub note: String,
}
