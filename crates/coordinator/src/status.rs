//! What maintainers see at `GET /status/{owner}/{repo}/{number}`: a JSON view
//! of one coordinator's state, and the same as a small HTML page. Figures,
//! SHAs and delivery ids only: never code, never secrets.

use crate::machine::{HistoryEntry, OutboxItem, PrState};
use crate::operator::{OperatorRecord, ReplayRecord};
use argus_core::ids::{CommitSha, DeliveryId, UnixMillis};
use argus_core::job::ReviewMode;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// `owner/repo#n`.
    pub pr: String,
    pub state: String,
    pub paused: bool,
    pub draft: bool,
    pub head_sha: Option<CommitSha>,
    pub last_reviewed_sha: Option<CommitSha>,
    pub queued_at: Option<UnixMillis>,
    pub started_at: Option<UnixMillis>,
    pub finished_at: Option<UnixMillis>,
    pub attempts: u32,
    pub coalesced_pushes: u32,
    pub last_error: Option<String>,
    pub current_job: Option<JobView>,
    pub pending_review: Option<PendingView>,
    pub history: Vec<HistoryEntry>,
    /// Newest last.
    pub recent_deliveries: Vec<DeliveryId>,
    pub duplicates_ignored: u64,
    /// Notes and reactions waiting for the GitHub adapter to post them.
    pub pending_notes: Vec<OutboxItem>,
    pub next_wakeup: Option<UnixMillis>,
    pub now: UnixMillis,
    /// What maintainers did from the dashboard, newest last.
    #[serde(default)]
    pub operator_log: Vec<OperatorRecord>,
    /// Dead-lettered jobs already replayed.
    #[serde(default)]
    pub replayed: Vec<ReplayRecord>,
    /// What became of ArgusAI's findings, once the PR was merged or closed.
    #[serde(default)]
    pub acted_on: Option<crate::protocol::ActedOn>,
    /// Answers in review threads.
    #[serde(default)]
    pub replies: RepliesView,
}

/// Answers in review threads: counts only, never a comment's text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepliesView {
    /// Threads waiting for their quiet time (or for a running review).
    pub waiting: u32,
    /// Answers on the queue.
    pub in_flight: u32,
    /// Answers posted on this PR, and within the last hour.
    pub answered: u32,
    pub answered_last_hour: u32,
    /// The repository's `[replies]` bounds as the last review read them (`None`: the defaults).
    pub max_per_pr: Option<u32>,
    pub max_per_hour: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub job_id: String,
    pub head_sha: CommitSha,
    pub mode: ReviewMode,
    pub attempt: u32,
    pub leased: bool,
    pub lease_expires_at: Option<UnixMillis>,
    pub superseded: bool,
    pub failures: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingView {
    pub head_sha: CommitSha,
    pub mode: ReviewMode,
    pub due_at: UnixMillis,
    pub signals: u32,
}

impl StatusView {
    /// `None` for a coordinator that never saw its pull request (the endpoint answers 404).
    pub fn of(st: &PrState, next_wakeup: Option<UnixMillis>, now: UnixMillis) -> Option<Self> {
        let pr = st.pr.as_ref()?;
        Some(StatusView {
            pr: pr.to_string(),
            state: st.phase().as_str().into(),
            paused: st.paused,
            draft: st.draft,
            head_sha: st.head_sha.clone(),
            last_reviewed_sha: st.last_reviewed_sha.clone(),
            queued_at: st.queued_at,
            started_at: st.started_at,
            finished_at: st.finished_at,
            attempts: st.attempts,
            coalesced_pushes: st.coalesced_pushes,
            last_error: st.last_error.clone(),
            current_job: st.job.as_ref().map(|j| JobView {
                job_id: j.job.job_id.clone(),
                head_sha: j.job.head_sha.clone(),
                mode: j.job.mode,
                attempt: j.job.attempt,
                leased: j.lease.is_some(),
                lease_expires_at: j.lease.as_ref().map(|l| l.expires_at),
                superseded: j.superseded,
                failures: j.failures,
            }),
            pending_review: st.pending.as_ref().map(|p| PendingView {
                head_sha: p.head_sha.clone(),
                mode: p.mode,
                due_at: p.due_at,
                signals: p.pushes,
            }),
            history: st.history.iter().cloned().collect(),
            recent_deliveries: st.recent_deliveries.iter().cloned().collect(),
            duplicates_ignored: st.duplicates_ignored,
            pending_notes: st.outbox.iter().cloned().collect(),
            next_wakeup,
            now,
            operator_log: st.operator_log.iter().cloned().collect(),
            replayed: st.replayed.iter().cloned().collect(),
            acted_on: st.acted,
            replies: RepliesView {
                waiting: st.pending_replies.len() as u32,
                in_flight: st.replies_in_flight.len() as u32,
                answered: st.replies_answered,
                answered_last_hour: st.reply_times.iter().filter(|t| t.plus_millis(3_600_000) > now).count() as u32,
                max_per_pr: st.repo_replies_max_per_pr,
                max_per_hour: st.repo_replies_max_per_hour,
            },
        })
    }

    /// A small page for a browser. Every value is escaped: SHAs and ids come
    /// from webhooks, and error texts from other systems.
    pub fn to_html(&self) -> String {
        let mut h = String::with_capacity(4096);
        let title = format!("ArgusAI · {}", self.pr);
        let _ = write!(
            h,
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font:14px system-ui,sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}\
             td,th{{border:1px solid #ccc;padding:.25em .5em;text-align:left}}code{{font-size:90%}}</style></head><body><h1>{}</h1><table>",
            esc(&title),
            esc(&title)
        );
        let opt_sha = |s: &Option<CommitSha>| s.as_ref().map(|s| format!("<code>{}</code>", esc(s.short()))).unwrap_or_else(|| "–".into());
        let opt_ms = |t: Option<UnixMillis>| t.map(|t| ago(self.now, t)).unwrap_or_else(|| "–".into());
        let acted = match self.acted_on {
            Some(a) if a.findings > 0 => format!("{} of {} ({} %)", a.addressed, a.findings, a.addressed * 100 / a.findings),
            Some(_) => "no inline findings".into(),
            None => "– (counted when the pull request is merged or closed)".into(),
        };
        let reactions = match self.acted_on {
            Some(a) if a.liked + a.disliked > 0 => format!("👍 on {} · 👎 on {} of {} findings", a.liked, a.disliked, a.findings),
            Some(_) => "none".into(),
            None => "–".into(),
        };
        let r = &self.replies;
        let bound = |b: Option<u32>| b.map(|b| b.to_string()).unwrap_or_else(|| "default".into());
        let rows: [(&str, String); 14] = [
            ("state", format!("<b>{}</b>", esc(&self.state))),
            ("paused", self.paused.to_string()),
            ("head", opt_sha(&self.head_sha)),
            ("last reviewed", opt_sha(&self.last_reviewed_sha)),
            ("queued", opt_ms(self.queued_at)),
            ("started", opt_ms(self.started_at)),
            ("finished", opt_ms(self.finished_at)),
            ("attempts", self.attempts.to_string()),
            ("coalesced pushes", self.coalesced_pushes.to_string()),
            ("last error", self.last_error.as_deref().map(esc).unwrap_or_else(|| "–".into())),
            ("duplicates ignored", self.duplicates_ignored.to_string()),
            ("findings acted on", acted),
            ("reactions on findings", reactions),
            (
                "thread answers",
                format!(
                    "{} posted ({} in the last hour), {} waiting, {} on the queue; bounds {} per PR, {} per hour",
                    r.answered,
                    r.answered_last_hour,
                    r.waiting,
                    r.in_flight,
                    bound(r.max_per_pr),
                    bound(r.max_per_hour)
                ),
            ),
        ];
        for (k, v) in rows {
            let _ = write!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
        }
        h.push_str("</table><h2>Recent reviews</h2><table><tr><th>job</th><th>head</th><th>mode</th><th>outcome</th><th>finished</th><th>duration</th><th>findings</th><th>tokens in/out</th><th>note</th></tr>");
        for e in self.history.iter().rev() {
            let num = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{:?}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>",
                esc(&e.job_id),
                esc(e.head_sha.short()),
                e.mode,
                e.outcome,
                ago(self.now, e.finished_at),
                e.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "–".into()),
                num(e.findings.map(u64::from)),
                num(e.tokens_in),
                num(e.tokens_out),
                e.note.as_deref().map(esc).unwrap_or_default()
            );
        }
        h.push_str("</table><h2>Recent deliveries</h2><ul>");
        for d in &self.recent_deliveries {
            let _ = write!(h, "<li><code>{}</code></li>", esc(d.as_str()));
        }
        h.push_str("</ul></body></html>");
        h
    }
}

fn ago(now: UnixMillis, t: UnixMillis) -> String {
    let secs = now.0.saturating_sub(t.0) / 1000;
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

use argus_core::html::escape as esc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_it_prints() {
        assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(ago(UnixMillis(10_000_000), UnixMillis(9_999_000)), "1 s ago");
        assert_eq!(ago(UnixMillis(0), UnixMillis(5)), "0 s ago");
    }
}
