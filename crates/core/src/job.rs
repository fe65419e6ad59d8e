//! The queue message: a small, versioned description of one review job. It
//! never carries the diff (a Queue message is capped at 128 KB); the consumer
//! fetches what it needs from GitHub.

use crate::ids::{CommitSha, DeliveryId, InstallationId, PrRef, UnixMillis};
use serde::{Deserialize, Serialize};

/// Every message on `REVIEW_QUEUE`. The `v` tag lets a consumer of a newer
/// version drain messages written by an older producer during a deploy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum QueueMessage {
    #[serde(rename = "1")]
    V1(ReviewJob),
}

impl QueueMessage {
    pub fn job(&self) -> &ReviewJob {
        match self {
            QueueMessage::V1(j) => j,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMode {
    /// Only what changed since `since_sha` (falls back to full when that is not an ancestor).
    Incremental,
    Full,
}

/// Why a job exists: the PR's own events, or a person's `@argusai` command. A
/// command overrides the repository's automatic-review rules (skip labels,
/// drafts, `auto_review`…): it was asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    #[default]
    Automatic,
    Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewJob {
    /// Unique per job; the lease names it, so a stale consumer cannot report for a newer job.
    pub job_id: String,
    pub pr: PrRef,
    pub installation: InstallationId,
    pub head_sha: CommitSha,
    /// The PR's base commit when the job was made.
    pub base_sha: CommitSha,
    /// The last reviewed head, for incremental reviews.
    pub since_sha: Option<CommitSha>,
    pub mode: ReviewMode,
    /// Absent in messages from before the field existed: those were automatic.
    #[serde(default)]
    pub trigger: JobTrigger,
    /// 1 for the first run of this job; the coordinator counts reruns after a lease expiry.
    pub attempt: u32,
    /// The deliveries coalesced into this job (bounded; for logs and the status page).
    pub deliveries: Vec<DeliveryId>,
    pub enqueued_at: UnixMillis,
}

/// A message on `REVIEW_QUEUE` asking the consumer to post what a PR's
/// coordinator decided to say: notes (help, paused, why a review failed) and
/// reactions to command comments. Its own `v` tag keeps it apart from review
/// jobs; it carries no code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum NotifyMessage {
    #[serde(rename = "notify/1")]
    V1(Notify),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    pub pr: PrRef,
    pub installation: InstallationId,
    /// Comment bodies, posted in order as separate comments.
    pub notes: Vec<String>,
    pub reactions: Vec<NotifyReaction>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyReaction {
    pub comment_id: u64,
    /// A GitHub reaction name, e.g. `eyes`.
    pub content: String,
}

impl NotifyMessage {
    /// The `v` tag of notify messages, for a consumer that peeks before parsing.
    pub const TAG: &'static str = "notify/1";
}

/// At most this many delivery ids ride along in a job; the rest are only counted.
pub const MAX_DELIVERIES_PER_JOB: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PrNumber, RepoName};

    #[test]
    fn message_is_tagged_and_small() {
        let job = ReviewJob {
            job_id: "j1".into(),
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(3)),
            installation: InstallationId(1),
            head_sha: CommitSha("a".repeat(40)),
            base_sha: CommitSha("b".repeat(40)),
            since_sha: None,
            mode: ReviewMode::Full,
            trigger: JobTrigger::Automatic,
            attempt: 1,
            deliveries: (0..MAX_DELIVERIES_PER_JOB).map(|i| DeliveryId(format!("{i:036}"))).collect(),
            enqueued_at: UnixMillis(5),
        };
        let msg = QueueMessage::V1(job);
        let json = serde_json::to_string(&msg).unwrap();
        assert!(json.starts_with(r#"{"v":"1","job_id":"j1""#), "{json}");
        assert!(json.len() < 2048, "{} bytes", json.len());
        assert_eq!(serde_json::from_str::<QueueMessage>(&json).unwrap(), msg);
    }

    #[test]
    fn notify_message_is_told_apart_from_jobs() {
        let n = NotifyMessage::V1(Notify {
            pr: PrRef::new(RepoName::new("o", "r"), PrNumber(3)),
            installation: InstallationId(1),
            notes: vec!["Paused.".into()],
            reactions: vec![NotifyReaction { comment_id: 9, content: "eyes".into() }],
        });
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["v"], NotifyMessage::TAG);
        assert!(serde_json::from_value::<QueueMessage>(json.clone()).is_err());
        assert_eq!(serde_json::from_value::<NotifyMessage>(json).unwrap(), n);
    }
}
