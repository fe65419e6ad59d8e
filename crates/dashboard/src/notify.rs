//! Optional Slack and Discord notifications through incoming webhooks: a
//! review posted with findings at or above a severity, a review that failed
//! for good, a job dead-lettered.
//!
//! The PR's coordinator puts an [`AlertMessage`] on `ALERT_QUEUE` when such a
//! review ends (never while a review runs, so a notification can never block
//! or fail one). The consumer reads the repository's [`NotifySettings`] (the
//! URLs come from operator secrets or KV `CONFIG`, never from the repository's
//! file: a pull request must not be able to send data elsewhere), fans the
//! alert out as one message per destination, and posts each; a destination
//! that fails is retried on its own and given up after the queue's retries.

use argus_coordinator::machine::{HistoryEntry, Outcome};
use argus_core::ids::RepoName;
use argus_core::severity::{Severity, SeverityCounts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where a notification goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Slack,
    Discord,
}

impl Target {
    pub const ALL: [Target; 2] = [Target::Slack, Target::Discord];
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Slack => "slack",
            Target::Discord => "discord",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    ReviewPosted,
    ReviewFailed,
    DeadLettered,
}

/// One notable end of a review. Figures and reasons only, never code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub repo: RepoName,
    pub pr: u64,
    pub job_id: String,
    pub head_sha: String,
    pub findings: u32,
    pub severities: SeverityCounts,
    /// Why it failed (the coordinator's note), for failures.
    pub reason: Option<String>,
    pub at: u64,
}

/// A message on `ALERT_QUEUE`. Without a target it is fanned out by the
/// consumer; with one it is posted to that destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum AlertMessage {
    #[serde(rename = "alert/1")]
    V1 { alert: Alert, target: Option<Target> },
}

impl AlertMessage {
    pub const TAG: &'static str = "alert/1";
}

/// The alerts for history entries the coordinator just recorded.
pub fn alerts_for(repo: &RepoName, pr: u64, entries: &[HistoryEntry]) -> Vec<Alert> {
    entries
        .iter()
        .filter_map(|h| {
            let kind = match h.outcome {
                Outcome::Posted if h.findings.unwrap_or(0) > 0 => AlertKind::ReviewPosted,
                Outcome::Failed => AlertKind::ReviewFailed,
                Outcome::DeadLettered => AlertKind::DeadLettered,
                _ => return None,
            };
            Some(Alert {
                kind,
                repo: repo.clone(),
                pr,
                job_id: h.job_id.clone(),
                head_sha: h.head_sha.to_string(),
                findings: h.findings.unwrap_or(0),
                severities: h.severities,
                reason: (kind != AlertKind::ReviewPosted).then(|| h.note.clone()).flatten(),
                at: h.finished_at.0,
            })
        })
        .collect()
}

/// One repository's notification settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifySettings {
    pub slack: Option<String>,
    pub discord: Option<String>,
    /// Posted reviews notify when a finding is at least this serious.
    pub min_severity: Severity,
    /// Notify failed and dead-lettered reviews.
    pub failures: bool,
}

/// The KV `CONFIG` `notify:{owner}/{repo}` value (JSON), every key optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    slack_webhook_url: Option<String>,
    discord_webhook_url: Option<String>,
    min_severity: Option<String>,
    failures: Option<bool>,
}

/// Operator-level defaults (secrets `SLACK_WEBHOOK_URL`, `DISCORD_WEBHOOK_URL`,
/// var `NOTIFY_MIN_SEVERITY`), overridden per repository by KV. An empty
/// string in KV switches a destination off for that repository.
pub fn settings(slack: Option<&str>, discord: Option<&str>, min_severity: Option<&str>, kv_repo: Option<&str>) -> (NotifySettings, Vec<String>) {
    let mut problems = Vec::new();
    let mut url = |name: &str, v: Option<&str>| -> Option<String> {
        let v = v?.trim();
        if v.is_empty() {
            return None;
        }
        if webhook_url_ok(v) {
            Some(v.to_string())
        } else {
            problems.push(format!("{name} is not an https URL; notifications to it are off"));
            None
        }
    };
    let mut s = NotifySettings {
        slack: url("SLACK_WEBHOOK_URL", slack),
        discord: url("DISCORD_WEBHOOK_URL", discord),
        min_severity: Severity::High,
        failures: true,
    };
    let mut severity = |name: &str, v: &str, problems: &mut Vec<String>| match Severity::parse(v) {
        Some(sev) => s.min_severity = sev,
        None => problems.push(format!("{name} must be critical, high, medium or low; using {}", s.min_severity)),
    };
    if let Some(v) = min_severity.filter(|v| !v.trim().is_empty()) {
        severity("NOTIFY_MIN_SEVERITY", v, &mut problems);
    }
    if let Some(text) = kv_repo.filter(|t| !t.trim().is_empty()) {
        match serde_json::from_str::<RawSettings>(text) {
            Ok(raw) => {
                if let Some(v) = raw.min_severity {
                    severity("min_severity", &v, &mut problems);
                }
                if let Some(f) = raw.failures {
                    s.failures = f;
                }
                for (target, v) in [(Target::Slack, raw.slack_webhook_url), (Target::Discord, raw.discord_webhook_url)] {
                    let Some(v) = v else { continue };
                    let v = v.trim();
                    let parsed = if v.is_empty() {
                        None
                    } else if webhook_url_ok(v) {
                        Some(v.to_string())
                    } else {
                        problems.push(format!("KV {}_webhook_url is not an https URL; ignored", target.as_str()));
                        continue;
                    };
                    match target {
                        Target::Slack => s.slack = parsed,
                        Target::Discord => s.discord = parsed,
                    }
                }
            }
            Err(e) => problems.push(format!("KV notify settings are not valid JSON ({e}); using the defaults")),
        }
    }
    (s, problems)
}

/// `https://…`, or `http://` to a loopback host (local runs and tests).
pub fn webhook_url_ok(url: &str) -> bool {
    let loopback = ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/"];
    (url.starts_with("https://") && url.len() > 8) || loopback.iter().any(|p| url.starts_with(p))
}

impl NotifySettings {
    pub fn url(&self, t: Target) -> Option<&str> {
        match t {
            Target::Slack => self.slack.as_deref(),
            Target::Discord => self.discord.as_deref(),
        }
    }

    /// The destinations `alert` goes to.
    pub fn targets(&self, alert: &Alert) -> Vec<Target> {
        let wanted = match alert.kind {
            AlertKind::ReviewPosted => alert.severities.at_least(self.min_severity) > 0,
            AlertKind::ReviewFailed | AlertKind::DeadLettered => self.failures,
        };
        if !wanted {
            return Vec::new();
        }
        Target::ALL.into_iter().filter(|t| self.url(*t).is_some()).collect()
    }
}

fn headline(alert: &Alert) -> String {
    let pr = format!("{}#{}", alert.repo, alert.pr);
    let head = &alert.head_sha[..alert.head_sha.len().min(7)];
    match alert.kind {
        AlertKind::ReviewPosted => {
            let c = &alert.severities;
            let parts: Vec<String> = Severity::ALL.iter().filter(|s| c.get(**s) > 0).map(|s| format!("{} {}", c.get(*s), s)).collect();
            format!("ArgusAI reviewed {pr} at {head}: {} finding(s) ({})", alert.findings, parts.join(", "))
        }
        AlertKind::ReviewFailed => format!("ArgusAI could not review {pr} at {head}"),
        AlertKind::DeadLettered => {
            format!("ArgusAI gave up on the review of {pr} at {head} after its retries")
        }
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() <= max { flat } else { format!("{}…", flat.chars().take(max).collect::<String>()) }
}

/// Slack's incoming-webhook body (<https://api.slack.com/messaging/webhooks>):
/// `text` in mrkdwn, with `&`, `<`, `>` escaped as Slack requires.
pub fn slack_payload(alert: &Alert, pr_url: &str) -> Value {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut text = format!("{} <{}|view the pull request>", esc(&headline(alert)), esc(pr_url));
    if let Some(r) = &alert.reason {
        text.push_str(&format!("\n>{}", esc(&one_line(r, 300))));
    }
    json!({ "text": text, "unfurl_links": false })
}

/// Discord's webhook body (<https://discord.com/developers/docs/resources/webhook#execute-webhook>):
/// at most 2000 characters, and no mention can ping anyone.
pub fn discord_payload(alert: &Alert, pr_url: &str) -> Value {
    let mut content = format!("{}: <{}>", headline(alert), pr_url);
    if let Some(r) = &alert.reason {
        content.push_str(&format!("\n> {}", one_line(r, 300)));
    }
    json!({ "content": one_line_keep_newlines(&content, 1900), "allowed_mentions": { "parse": [] } })
}

fn one_line_keep_newlines(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max).collect::<String>()) }
}

/// What became of one post to a destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "delivery", rename_all = "snake_case")]
pub enum Delivery {
    Sent,
    /// Try again later (5xx, 429, network); `after_secs` when the far side said.
    Retry {
        after_secs: Option<u64>,
    },
    /// Retrying cannot help (the URL is wrong or revoked).
    GiveUp {
        reason: String,
    },
}

/// The decision for an HTTP answer (`None` = no answer: network error or timeout).
pub fn delivery(status: Option<u16>, retry_after: Option<&str>) -> Delivery {
    match status {
        Some(s) if (200..300).contains(&s) => Delivery::Sent,
        Some(429) | Some(500..=599) | None => {
            Delivery::Retry { after_secs: retry_after.and_then(|v| v.trim().parse::<f64>().ok()).map(|v| v.ceil() as u64) }
        }
        Some(s) => Delivery::GiveUp { reason: format!("the webhook answered {s}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_core::ids::{CommitSha, UnixMillis};
    use argus_core::job::ReviewMode;

    fn entry(outcome: Outcome, findings: Option<u32>, sev: &[Severity]) -> HistoryEntry {
        HistoryEntry {
            job_id: "1-5".into(),
            head_sha: CommitSha("a".repeat(40)),
            mode: ReviewMode::Full,
            outcome,
            queued_at: UnixMillis(1),
            finished_at: UnixMillis(2),
            duration_ms: Some(3),
            findings,
            tokens_in: None,
            tokens_out: None,
            runs: 1,
            coalesced_pushes: 0,
            note: Some("dead-lettered after 5 failed attempts: <@everyone>".into()),
            cost_micro_usd: None,
            severities: sev.iter().copied().collect(),
            subrequests: Default::default(),
        }
    }

    #[test]
    fn which_reviews_notify() {
        let repo = RepoName::new("o", "r");
        let entries = [
            entry(Outcome::Posted, Some(2), &[Severity::High, Severity::Low]),
            entry(Outcome::Posted, Some(0), &[]),
            entry(Outcome::Superseded, Some(3), &[Severity::Critical]),
            entry(Outcome::Failed, None, &[]),
            entry(Outcome::DeadLettered, None, &[]),
        ];
        let kinds: Vec<AlertKind> = alerts_for(&repo, 1, &entries).iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AlertKind::ReviewPosted, AlertKind::ReviewFailed, AlertKind::DeadLettered]);
        let alerts = alerts_for(&repo, 1, &entries);
        let (s, problems) = settings(Some("https://hooks.slack.com/services/x"), None, Some("critical"), None);
        assert!(problems.is_empty());
        assert!(s.targets(&alerts[0]).is_empty(), "no critical finding");
        assert_eq!(s.targets(&alerts[2]), [Target::Slack]);
        let (s, _) = settings(
            Some("https://hooks.slack.com/services/x"),
            None,
            Some("medium"),
            Some(r#"{"discord_webhook_url": "https://discord.com/api/webhooks/1/t", "failures": false}"#),
        );
        assert_eq!(s.targets(&alerts[0]), [Target::Slack, Target::Discord]);
        assert!(s.targets(&alerts[1]).is_empty(), "failures switched off for this repository");
    }

    #[test]
    fn settings_refuse_what_is_not_a_webhook() {
        let (s, problems) = settings(Some("ftp://x"), Some("http://evil.example/"), Some("severe"), Some(r#"{"slack_webhook_url": ""}"#));
        assert_eq!((s.slack, s.discord, s.min_severity), (None, None, Severity::High));
        assert_eq!(problems.len(), 3, "{problems:?}");
        let (_, problems) = settings(None, None, None, Some(r#"{"channel": "x"}"#));
        assert_eq!(problems.len(), 1, "unknown keys are refused: {problems:?}");
        assert!(webhook_url_ok("http://127.0.0.1:9000/hook") && !webhook_url_ok("http://127.0.0.1.evil.example/"));
    }

    #[test]
    fn payloads_cannot_ping_or_break_out() {
        let repo = RepoName::new("o", "r");
        let a = alerts_for(&repo, 7, &[entry(Outcome::DeadLettered, None, &[])]).remove(0);
        let slack = slack_payload(&a, "https://github.com/o/r/pull/7");
        assert_eq!(
            slack["text"],
            "ArgusAI gave up on the review of o/r#7 at aaaaaaa after its retries <https://github.com/o/r/pull/7|view the pull request>\n>dead-lettered after 5 failed attempts: &lt;@everyone&gt;"
        );
        let discord = discord_payload(&a, "https://github.com/o/r/pull/7");
        assert_eq!(discord["allowed_mentions"], json!({"parse": []}));
        assert!(discord["content"].as_str().unwrap().starts_with("ArgusAI gave up on the review of o/r#7"));
        let posted = alerts_for(&repo, 7, &[entry(Outcome::Posted, Some(2), &[Severity::High, Severity::Low])]).remove(0);
        assert_eq!(headline(&posted), "ArgusAI reviewed o/r#7 at aaaaaaa: 2 finding(s) (1 high, 1 low)");
    }

    #[test]
    fn delivery_decisions() {
        assert_eq!(delivery(Some(200), None), Delivery::Sent);
        assert_eq!(delivery(Some(204), None), Delivery::Sent);
        assert_eq!(delivery(Some(429), Some("2.5")), Delivery::Retry { after_secs: Some(3) });
        assert_eq!(delivery(Some(503), None), Delivery::Retry { after_secs: None });
        assert_eq!(delivery(None, None), Delivery::Retry { after_secs: None });
        assert!(matches!(delivery(Some(404), None), Delivery::GiveUp { .. }));
        let msg = AlertMessage::V1 {
            alert: alerts_for(&RepoName::new("o", "r"), 1, &[entry(Outcome::Failed, None, &[])]).remove(0),
            target: Some(Target::Discord),
        };
        let v = serde_json::to_value(&msg).unwrap();
        assert_eq!((v["v"].as_str(), v["target"].as_str()), (Some(AlertMessage::TAG), Some("discord")));
        assert_eq!(serde_json::from_value::<AlertMessage>(v).unwrap(), msg);
    }
}
