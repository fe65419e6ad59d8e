//! The dashboard's pages as HTML, rendered from the views (`views`): the
//! repositories a maintainer sees, one repository (reviews, PRs in flight,
//! dead letters, learnings, effective configuration), one pull request (its
//! coordinator's state, history, actions). Every value is escaped; every action
//! is a POST form carrying the session's CSRF token.

use crate::html::{self, Viewer, ago, cost, duration, esc, opt_num, sha, table};
use crate::views::{ConfigView, HomeView, PrView, RepoView};
use argus_coordinator::machine::{HistoryEntry, Outcome};
use argus_coordinator::operator::OperatorRecord;
use argus_core::severity::SeverityCounts;
use argus_index::{DeadLetterRow, PrRow, ReviewRow};
use std::fmt::Write;

fn outcome_name(o: Outcome) -> String {
    serde_json::to_value(o).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default().replace('_', " ")
}

fn outcome_cell(outcome: &str) -> String {
    let class = match outcome {
        "posted" => "ok",
        "failed" | "dead lettered" | "dead_lettered" => "bad",
        "superseded" | "cancelled" | "late" => "muted",
        _ => "",
    };
    format!("<span class=\"{class}\">{}</span>", esc(&outcome.replace('_', " ")))
}

fn phase_cell(phase: &str) -> String {
    let class = match phase {
        "running" | "queued" | "debouncing" => "warn",
        "failed" => "bad",
        "archived" => "muted",
        _ => "ok",
    };
    format!("<strong class=\"{class}\">{}</strong>", esc(phase))
}

fn severities(c: &SeverityCounts) -> String {
    let parts: Vec<String> = [("critical", c.critical), ("high", c.high), ("medium", c.medium), ("low", c.low)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    if parts.is_empty() { String::new() } else { format!(" <span class=\"muted\">({})</span>", parts.join(", ")) }
}

fn pr_link(repo: &str, n: u64) -> String {
    format!("<a href=\"/dashboard/{}/pull/{n}\">#{n}</a>", esc(repo))
}

/// A POST form with one button. `fields` are (name, value) hidden inputs.
fn action_form(action: &str, csrf: &str, fields: &[(&str, &str)], label: &str, primary: bool) -> String {
    let mut f =
        format!("<form class=\"inline\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(action), esc(csrf));
    for (k, v) in fields {
        let _ = write!(f, "<input type=\"hidden\" name=\"{}\" value=\"{}\">", esc(k), esc(v));
    }
    let class = if primary { " class=\"primary\"" } else { "" };
    let _ = write!(f, "<button type=\"submit\"{class}>{}</button></form>", esc(label));
    f
}

/// `/dashboard`.
pub fn home(v: &HomeView, viewer: &Viewer<'_>) -> String {
    let mut b = String::from("<h1>Your repositories</h1>");
    let _ = write!(
        b,
        "<p class=\"hint\">Repositories where ArgusAI is installed and your role is at least <strong>{}</strong>.</p>",
        esc(v.min_role.as_str())
    );
    if v.installations.is_empty() {
        b.push_str(
            "<p class=\"notice\">No repository to show. ArgusAI lists a repository once its App is installed there and \
             GitHub reports your role on it as high enough; ask an owner of the App to install it, or to lower \
             <code>DASHBOARD_MIN_PERMISSION</code>.</p>",
        );
    }
    for inst in &v.installations {
        let _ = write!(b, "<h2>{}</h2><ul>", esc(&inst.account));
        for r in &inst.repos {
            let _ = write!(
                b,
                "<li><a href=\"/dashboard/{0}\">{0}</a> <span class=\"muted\">{1}{2}</span></li>",
                esc(&r.full_name),
                esc(r.role.as_str()),
                if r.private { ", private" } else { "" }
            );
        }
        b.push_str("</ul>");
        if inst.truncated {
            b.push_str("<p class=\"hint\">More repositories exist than were listed.</p>");
        }
    }
    html::layout("Your repositories", Some(viewer), &b)
}

fn pr_rows(repo: &str, rows: &[PrRow], now: u64) -> Vec<Vec<String>> {
    rows.iter()
        .map(|p| {
            let mut state = phase_cell(&p.phase);
            if p.paused {
                state.push_str(" <span class=\"muted\">paused</span>");
            }
            if p.draft {
                state.push_str(" <span class=\"muted\">draft</span>");
            }
            vec![
                pr_link(repo, p.number),
                state,
                sha(p.head_sha.as_deref()),
                sha(p.last_reviewed_sha.as_deref()),
                ago(now, p.updated_at),
                p.last_error.as_deref().map(esc).unwrap_or_default(),
            ]
        })
        .collect()
}

fn review_rows(repo: &str, rows: &[ReviewRow], now: u64) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            let counts = SeverityCounts { critical: r.critical as u32, high: r.high as u32, medium: r.medium as u32, low: r.low as u32 };
            vec![
                pr_link(repo, r.pr),
                sha(Some(&r.head_sha)),
                esc(&r.mode),
                outcome_cell(&r.outcome),
                format!("{}{}", opt_num(r.findings), severities(&counts)),
                format!("{} / {}", opt_num(r.tokens_in), opt_num(r.tokens_out)),
                cost(r.cost_micro_usd),
                duration(r.duration_ms),
                ago(now, r.finished_at),
            ]
        })
        .collect()
}

fn dead_letter_rows(repo: &str, rows: &[DeadLetterRow], now: u64, csrf: &str) -> Vec<Vec<String>> {
    rows.iter()
        .map(|d| {
            let replay = match (&d.replayed_by, d.replayed_at) {
                (Some(by), Some(at)) => format!("replayed by {} {}", esc(by), ago(now, at)),
                _ => action_form(&format!("/dashboard/{repo}/pull/{}", d.pr), csrf, &[("action", "replay"), ("job_id", &d.job_id)], "Replay", true),
            };
            vec![
                pr_link(repo, d.pr),
                format!("<code>{}</code>", esc(&d.job_id)),
                sha(Some(&d.head_sha)),
                d.note.as_deref().map(esc).unwrap_or_default(),
                ago(now, d.finished_at),
                replay,
            ]
        })
        .collect()
}

fn config_section(c: &ConfigView) -> String {
    let mut b = String::from("<h2 id=\"config\">Effective configuration</h2>");
    match (&c.branch, c.file_found) {
        (Some(branch), true) => {
            let _ = write!(
                b,
                "<p class=\"hint\">Including <code>.github/argusai.toml</code> from <code>{}</code>; a pull request is reviewed under its base branch's file.</p>",
                esc(branch)
            );
        }
        (Some(branch), false) => {
            let _ = write!(b, "<p class=\"hint\">No <code>.github/argusai.toml</code> on <code>{}</code>.</p>", esc(branch));
        }
        (None, _) => b.push_str("<p class=\"hint\">The repository file could not be read.</p>"),
    }
    for u in &c.unavailable {
        let _ = write!(b, "<p class=\"notice bad\">{}</p>", esc(u));
    }
    let rows: Vec<Vec<String>> = c
        .keys
        .iter()
        .map(|k| {
            let layers: Vec<String> = k.layers.iter().map(|l| esc(l.describe())).collect();
            vec![format!("<code>{}</code>", esc(&k.key)), format!("<code>{}</code>", esc(&setting_text(&k.value))), layers.join(" + ")]
        })
        .collect();
    b.push_str(&table("Effective configuration", &["key", "value", "set by"], &rows));
    if c.problems.is_empty() {
        b.push_str("<p class=\"ok\">No configuration problems.</p>");
    } else {
        b.push_str("<h3>Problems</h3><ul>");
        for p in &c.problems {
            let _ = write!(b, "<li>{}</li>", esc(&p.to_string()));
        }
        b.push_str("</ul>");
    }
    b
}

/// A setting's value as a maintainer writes it: a table (`[replies]`) as
/// `key = value` pairs, anything else as its JSON.
fn setting_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => m.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// `/dashboard/{owner}/{repo}`.
pub fn repo(v: &RepoView, viewer: &Viewer<'_>) -> String {
    let o = &v.overview;
    let mut b = String::new();
    let _ = write!(b, "<p><a href=\"/dashboard\">← Your repositories</a></p><h1>{}</h1>", esc(&v.repo));
    let t = &o.totals;
    let _ = write!(
        b,
        "<dl class=\"facts\"><dt>Your role</dt><dd>{}</dd><dt>Reviews run</dt><dd>{}</dd><dt>Findings</dt><dd>{}</dd>\
         <dt>Tokens in / out</dt><dd>{} / {}</dd><dt>Model cost</dt><dd>{}</dd><dt>Findings acted on</dt><dd>{}</dd><dt>Acceptance (👍 of 👍 + 👎)</dt><dd>{}</dd></dl>",
        v.role.map(|r| esc(r.as_str())).unwrap_or_else(|| "operator token".into()),
        t.reviews,
        opt_num(t.findings),
        opt_num(t.tokens_in),
        opt_num(t.tokens_out),
        cost(t.cost_micro_usd),
        match o.acted.percent() {
            Some(p) => format!("{p} % ({} of {} findings, {} closed pull requests)", o.acted.addressed, o.acted.findings, o.acted.prs),
            None => "– (counted when reviewed pull requests are merged or closed)".into(),
        },
        match o.acted.acceptance() {
            Some(p) => format!("{p} % (👍 on {}, 👎 on {} findings)", o.acted.liked, o.acted.disliked),
            None => "– (reactions on findings are counted when pull requests close)".into(),
        }
    );
    b.push_str("<h2>Pull requests in flight</h2>");
    if o.in_flight.is_empty() {
        b.push_str("<p class=\"muted\">None right now.</p>");
    } else {
        b.push_str(&table(
            "Pull requests in flight",
            &["PR", "state", "head", "last reviewed", "updated", "last error"],
            &pr_rows(&v.repo, &o.in_flight, v.now),
        ));
    }
    b.push_str("<h2>Recent reviews</h2>");
    if o.reviews.is_empty() {
        b.push_str("<p class=\"muted\">No review has run yet.</p>");
    } else {
        b.push_str(&table(
            "Recent reviews",
            &["PR", "head", "mode", "outcome", "#findings", "#tokens in / out", "#cost", "#duration", "finished"],
            &review_rows(&v.repo, &o.reviews, v.now),
        ));
    }
    b.push_str("<h2>Dead-lettered jobs</h2>");
    if o.dead_letters.is_empty() {
        b.push_str("<p class=\"muted\">None: every job ended within its retries.</p>");
    } else {
        b.push_str(&table(
            "Dead-lettered jobs",
            &["PR", "job", "head", "reason", "when", ""],
            &dead_letter_rows(&v.repo, &o.dead_letters, v.now, viewer.csrf),
        ));
    }
    b.push_str("<h2>Recently active pull requests</h2>");
    if o.recent_prs.is_empty() {
        b.push_str("<p class=\"muted\">ArgusAI has not seen a pull request here yet.</p>");
    } else {
        b.push_str(&table(
            "Recently active pull requests",
            &["PR", "state", "head", "last reviewed", "updated", "last error"],
            &pr_rows(&v.repo, &o.recent_prs, v.now),
        ));
    }
    b.push_str("<h2>Learnings</h2>");
    match &o.learnings {
        Some(items) if !items.is_empty() => {
            // Numbered as `@argusai learnings` numbers them, for `@argusai forget N`.
            b.push_str("<ol>");
            for l in items {
                let scope = l.path.as_deref().map(|p| format!(" · in <code>{}</code>", esc(p))).unwrap_or_default();
                let _ = write!(b, "<li>{}{scope} <span class=\"muted\">· from #{} by {}</span></li>", esc(&l.rule), l.source_pr, esc(&l.author));
            }
            b.push_str("</ol><p class=\"muted\">Remove one with <code>@argusai forget N</code> on any pull request.</p>");
            // The same learnings as TOML, for a team that keeps its rules in the repository.
            let toml: Vec<String> = items.iter().map(|l| l.toml_entry()).collect();
            let _ = write!(
                b,
                "<details><summary>As <code>[[learnings]]</code> for <code>.github/argusai.toml</code></summary><pre><code>{}</code></pre></details>",
                esc(toml.join("\n").trim_end())
            );
        }
        Some(_) => b.push_str("<p class=\"muted\">No learnings recorded for this repository yet.</p>"),
        None => b.push_str("<p class=\"muted\">The learnings could not be read.</p>"),
    }
    b.push_str(&config_section(&v.config));
    html::layout(&v.repo, Some(viewer), &b)
}

fn history_rows(h: &[HistoryEntry], now: u64) -> Vec<Vec<String>> {
    h.iter()
        .rev()
        .map(|e| {
            vec![
                format!("<code>{}</code>", esc(&e.job_id)),
                sha(Some(e.head_sha.as_str())),
                esc(&format!("{:?}", e.mode).to_lowercase()),
                outcome_cell(&outcome_name(e.outcome)),
                format!("{}{}", opt_num(e.findings.map(u64::from)), severities(&e.severities)),
                format!("{} / {}", opt_num(e.tokens_in), opt_num(e.tokens_out)),
                cost(e.cost_micro_usd),
                duration(e.duration_ms),
                ago(now, e.finished_at.0),
                e.note.as_deref().map(esc).unwrap_or_default(),
            ]
        })
        .collect()
}

fn operator_rows(log: &[OperatorRecord], now: u64) -> Vec<Vec<String>> {
    log.iter()
        .rev()
        .map(|r| {
            let what = match &r.job_id {
                Some(j) => format!("{} <code>{}</code>", esc(&r.action.replace('_', " ")), esc(j)),
                None => esc(&r.action.replace('_', " ")),
            };
            vec![
                ago(now, r.at.0),
                esc(&r.actor),
                what,
                if r.accepted { "<span class=\"ok\">done</span>".into() } else { "<span class=\"muted\">refused</span>".into() },
                esc(&r.note),
            ]
        })
        .collect()
}

/// `/dashboard/{owner}/{repo}/pull/{n}`. `flash` is the action just taken (after its redirect).
pub fn pr(v: &PrView, viewer: &Viewer<'_>, flash: Option<&OperatorRecord>) -> String {
    let s = &v.status;
    let now = s.now.0;
    let here = format!("/dashboard/{}/pull/{}", v.repo, v.number);
    let mut b = String::new();
    let _ = write!(b, "<p><a href=\"/dashboard/{0}\">← {0}</a></p><h1>{0} #{1}</h1>", esc(&v.repo), v.number);
    if let Some(f) = flash {
        let class = if f.accepted { "notice" } else { "notice bad" };
        let _ = write!(b, "<p class=\"{class}\" role=\"status\"><strong>{}</strong>: {}</p>", esc(&f.action.replace('_', " ")), esc(&f.note));
    }
    let opt_ago = |t: Option<argus_core::ids::UnixMillis>| t.map(|t| ago(now, t.0)).unwrap_or_else(|| "–".into());
    let _ = write!(
        b,
        "<dl class=\"facts\"><dt>State</dt><dd>{}{}{}</dd><dt>Head</dt><dd>{}</dd><dt>Last reviewed</dt><dd>{}</dd>\
         <dt>Queued</dt><dd>{}</dd><dt>Started</dt><dd>{}</dd><dt>Finished</dt><dd>{}</dd><dt>Runs of the last job</dt><dd>{}</dd>\
         <dt>Pushes coalesced</dt><dd>{}</dd><dt>Last error</dt><dd>{}</dd><dt>Duplicate deliveries ignored</dt><dd>{}</dd></dl>",
        phase_cell(&s.state),
        if s.paused { " <span class=\"muted\">(automatic reviews paused)</span>" } else { "" },
        if s.draft { " <span class=\"muted\">(draft)</span>" } else { "" },
        sha(s.head_sha.as_ref().map(|h| h.as_str())),
        sha(s.last_reviewed_sha.as_ref().map(|h| h.as_str())),
        opt_ago(s.queued_at),
        opt_ago(s.started_at),
        opt_ago(s.finished_at),
        s.attempts,
        s.coalesced_pushes,
        s.last_error.as_deref().map(esc).unwrap_or_else(|| "–".into()),
        s.duplicates_ignored
    );
    if let Some(j) = &s.current_job {
        let _ = write!(
            b,
            "<p class=\"notice\">Job <code>{}</code> ({}) for {} is {}{}.</p>",
            esc(&j.job_id),
            esc(&format!("{:?}", j.mode).to_lowercase()),
            sha(Some(j.head_sha.as_str())),
            if j.leased { "running" } else { "waiting on the queue" },
            if j.failures > 0 { format!(" after {} failed attempt(s)", j.failures) } else { String::new() }
        );
    }
    if let Some(p) = &s.pending_review {
        let _ = write!(
            b,
            "<p class=\"notice\">A {} review of {} is due {}.</p>",
            esc(&format!("{:?}", p.mode).to_lowercase()),
            sha(Some(p.head_sha.as_str())),
            if p.due_at.0 <= now { "now".to_string() } else { format!("in {} s", (p.due_at.0 - now) / 1000) }
        );
    }

    b.push_str("<h2>Actions</h2><p class=\"hint\">Each action is checked against your role on GitHub again and recorded below.</p>");
    b.push_str(&action_form(&here, viewer.csrf, &[("action", "review")], "Review new changes", true));
    b.push_str(&action_form(&here, viewer.csrf, &[("action", "full_review")], "Full review", false));
    if s.paused {
        b.push_str(&action_form(&here, viewer.csrf, &[("action", "resume")], "Resume automatic reviews", false));
    } else {
        b.push_str(&action_form(&here, viewer.csrf, &[("action", "pause")], "Pause automatic reviews", false));
    }

    let dead: Vec<&HistoryEntry> = s.history.iter().filter(|h| h.outcome == Outcome::DeadLettered).collect();
    b.push_str("<h2>Dead-lettered jobs</h2>");
    if dead.is_empty() {
        b.push_str("<p class=\"muted\">None.</p>");
    } else {
        let rows: Vec<Vec<String>> = dead
            .iter()
            .rev()
            .map(|h| {
                let replayed = s.replayed.iter().find(|r| r.job_id == h.job_id);
                let cell = match replayed {
                    Some(r) => format!("replayed by {} {}", esc(&r.actor), ago(now, r.at.0)),
                    None => action_form(&here, viewer.csrf, &[("action", "replay"), ("job_id", &h.job_id)], "Replay", true),
                };
                vec![
                    format!("<code>{}</code>", esc(&h.job_id)),
                    sha(Some(h.head_sha.as_str())),
                    h.note.as_deref().map(esc).unwrap_or_default(),
                    ago(now, h.finished_at.0),
                    cell,
                ]
            })
            .collect();
        b.push_str(&table("Dead-lettered jobs", &["job", "head", "reason", "when", ""], &rows));
    }

    b.push_str("<h2>Review history</h2>");
    if s.history.is_empty() {
        b.push_str("<p class=\"muted\">No review has finished yet.</p>");
    } else {
        b.push_str(&table(
            "Review history",
            &["job", "head", "mode", "outcome", "#findings", "#tokens in / out", "#cost", "#duration", "finished", "note"],
            &history_rows(&s.history, now),
        ));
    }
    b.push_str("<h2>Action history</h2>");
    if s.operator_log.is_empty() {
        b.push_str("<p class=\"muted\">Nobody has acted on this pull request from the dashboard.</p>");
    } else {
        b.push_str(&table("Action history", &["when", "who", "action", "result", "note"], &operator_rows(&s.operator_log, now)));
    }
    if !s.pending_notes.is_empty() {
        let _ = write!(
            b,
            "<h2>Recent notes and reactions</h2><p class=\"hint\">{} item(s) ArgusAI decided to post on the pull request.</p>",
            s.pending_notes.len()
        );
    }
    if !s.recent_deliveries.is_empty() {
        b.push_str("<h2>Recent deliveries</h2><ul>");
        for d in s.recent_deliveries.iter().rev().take(10) {
            let _ = write!(b, "<li><code>{}</code></li>", esc(d.as_str()));
        }
        b.push_str("</ul>");
    }
    html::layout(&format!("{} #{}", v.repo, v.number), Some(viewer), &b)
}

/// A short page: not found, sign-in failed, not configured.
pub fn message(title: &str, text: &str, viewer: Option<&Viewer<'_>>) -> String {
    html::layout(title, viewer, &format!("<h1>{}</h1><p>{}</p><p><a href=\"/dashboard\">Your repositories</a></p>", esc(title), esc(text)))
}
