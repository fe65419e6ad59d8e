//! Maintainers' actions from the dashboard, as a pull request's coordinator
//! receives them on its `POST /operator` route: the wire types, and what the
//! coordinator keeps of them (shown on the PR page as the PR's action history).
//! The decisions themselves are the state machine's (`machine/operate.rs`).

use argus_core::ids::UnixMillis;
use serde::{Deserialize, Serialize};

/// What a maintainer asked for. The Worker checked their permission and the
/// form's CSRF token before it got here; the coordinator decides whether the
/// action applies to the pull request's current state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OperatorAction {
    /// Review what changed since the last reviewed commit (like `@argusai review`).
    Review,
    /// Review the whole pull request again.
    FullReview,
    /// Stop automatic reviews on this pull request.
    Pause,
    Resume,
    /// Run a dead-lettered job's review again, once.
    Replay {
        job_id: String,
    },
}

impl OperatorAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            OperatorAction::Review => "review",
            OperatorAction::FullReview => "full_review",
            OperatorAction::Pause => "pause",
            OperatorAction::Resume => "resume",
            OperatorAction::Replay { .. } => "replay",
        }
    }

    /// From a dashboard form: the `action` field, and `job_id` for a replay.
    pub fn parse(action: &str, job_id: Option<&str>) -> Option<Self> {
        Some(match action {
            "review" => OperatorAction::Review,
            "full_review" => OperatorAction::FullReview,
            "pause" => OperatorAction::Pause,
            "resume" => OperatorAction::Resume,
            "replay" => {
                let id = job_id?.trim();
                // Job ids are `{sequence}-{millis}`; anything else cannot name a job.
                if id.is_empty() || id.len() > 40 || !id.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    return None;
                }
                OperatorAction::Replay { job_id: id.to_string() }
            }
            _ => return None,
        })
    }
}

/// `POST /operator`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRequest {
    #[serde(flatten)]
    pub action: OperatorAction,
    /// The signed-in maintainer's GitHub login.
    pub actor: String,
}

/// The coordinator's answer: whether the action took effect, and why (not).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorReply {
    pub accepted: bool,
    pub note: String,
    /// The coordinator's phase after the action.
    pub state: String,
}

/// One line of the PR's action history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRecord {
    pub at: UnixMillis,
    pub actor: String,
    /// [`OperatorAction::as_str`].
    pub action: String,
    pub job_id: Option<String>,
    pub accepted: bool,
    pub note: String,
}

/// A dead-lettered job that was replayed (each job is replayed at most once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayRecord {
    pub job_id: String,
    pub at: UnixMillis,
    pub actor: String,
}

/// A GitHub login as it may be shown and posted: its own characters only
/// (letters, digits, `-`), at most 39 of them; anything else becomes `unknown`.
pub fn clean_login(login: &str) -> String {
    let login = login.trim();
    let ok = !login.is_empty() && login.len() <= 39 && login.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok { login.to_string() } else { "unknown".to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_from_forms() {
        assert_eq!(OperatorAction::parse("full_review", None), Some(OperatorAction::FullReview));
        assert_eq!(OperatorAction::parse("replay", Some(" 3-1700000000000 ")), Some(OperatorAction::Replay { job_id: "3-1700000000000".into() }));
        for (action, job) in [("replay", None), ("replay", Some("")), ("replay", Some("1; drop")), ("dance", None), ("", None)] {
            assert_eq!(OperatorAction::parse(action, job), None, "{action} {job:?}");
        }
    }

    #[test]
    fn request_wire_shape() {
        let req = OperatorRequest { action: OperatorAction::Replay { job_id: "2-5".into() }, actor: "octocat".into() };
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json, serde_json::json!({"action": "replay", "job_id": "2-5", "actor": "octocat"}));
        assert_eq!(serde_json::from_value::<OperatorRequest>(json).unwrap(), req);
    }

    #[test]
    fn logins_are_cleaned() {
        assert_eq!(clean_login("octo-cat1"), "octo-cat1");
        for bad in ["", "a b", "<script>", "@octocat", &"x".repeat(40)] {
            assert_eq!(clean_login(bad), "unknown", "{bad}");
        }
    }
}
