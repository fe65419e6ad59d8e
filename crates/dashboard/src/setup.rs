//! The `/setup` pages: choose a name and an account, review what the App will
//! be allowed to do, post the manifest to GitHub, and, once GitHub sends the
//! operator back, show the App's credentials **once** as the exact commands
//! that install them. Nothing here is stored: the page is the only copy.

use crate::app::{self, Account, AppCredentials, EVENTS, GeneratedSecrets, PERMISSIONS, Urls};
use crate::form;
use crate::html::{self, esc};
use std::fmt::Write;

/// The wrangler environment the printed commands target (README: `wrangler deploy --env production`).
pub const DEPLOY_ENV: &str = "production";

/// What the first form asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetupForm {
    pub name: String,
    /// `personal` or `organization`.
    pub account: String,
    pub org: String,
    /// The operator's setup token, carried along once an App is configured.
    pub token: Option<String>,
}

impl SetupForm {
    pub fn from_query(pairs: &[(String, String)]) -> SetupForm {
        SetupForm {
            name: form::get(pairs, "name").unwrap_or("").to_string(),
            account: form::get(pairs, "account").unwrap_or("").to_string(),
            org: form::get(pairs, "org").unwrap_or("").to_string(),
            token: form::get(pairs, "token").filter(|t| !t.is_empty()).map(str::to_string),
        }
    }

    /// Whether the operator submitted the first form (and should see the confirmation).
    pub fn submitted(&self) -> bool {
        !self.account.is_empty()
    }
}

fn requirements() -> String {
    let mut b = String::from("<h2>What the App may do</h2><ul>");
    for p in PERMISSIONS {
        let _ = write!(
            b,
            "<li><strong>{}</strong>: {} — {}</li>",
            esc(p.label),
            if p.access == app::Access::Write { "read &amp; write" } else { "read" },
            esc(p.why)
        );
    }
    b.push_str("</ul><p>Webhook events:</p><ul>");
    for e in EVENTS {
        let _ = write!(b, "<li><strong>{}</strong> — {}</li>", esc(e.label), esc(e.why));
    }
    b.push_str("</ul>");
    b
}

/// Step 1: name and account.
pub fn form_page(f: &SetupForm, urls: &Urls, errors: &[String]) -> String {
    let mut b = String::from("<h1>Set up ArgusAI on GitHub</h1>");
    let _ = write!(
        b,
        "<p>ArgusAI creates its GitHub App for you from a manifest: GitHub asks you to confirm, then sends you back here \
         with the App's credentials. Webhooks will go to <code>{}</code>.</p>",
        esc(&urls.webhook())
    );
    for e in errors {
        let _ = write!(b, "<p class=\"notice bad\" role=\"alert\">{}</p>", esc(e));
    }
    let name = if f.name.is_empty() { app::DEFAULT_NAME.to_string() } else { f.name.clone() };
    let org_checked = f.account == "organization";
    b.push_str("<form method=\"get\" action=\"/setup\">");
    let _ = write!(
        b,
        "<label for=\"name\">App name</label><input type=\"text\" id=\"name\" name=\"name\" value=\"{}\" maxlength=\"{}\" required aria-describedby=\"name-hint\">\
         <p class=\"hint\" id=\"name-hint\">App names are unique on GitHub; if yours is taken, the next page suggests others.</p>",
        esc(&name),
        app::MAX_NAME_CHARS
    );
    let _ = write!(
        b,
        "<fieldset><legend>Register the App on</legend>\
         <input type=\"radio\" id=\"acct-personal\" name=\"account\" value=\"personal\"{}><label for=\"acct-personal\">my personal account</label>\
         <input type=\"radio\" id=\"acct-org\" name=\"account\" value=\"organization\"{}><label for=\"acct-org\">an organization</label></fieldset>\
         <label for=\"org\">Organization login (for an organization)</label><input type=\"text\" id=\"org\" name=\"org\" value=\"{}\" autocomplete=\"off\">",
        if org_checked { "" } else { " checked" },
        if org_checked { " checked" } else { "" },
        esc(&f.org)
    );
    if let Some(t) = &f.token {
        let _ = write!(b, "<input type=\"hidden\" name=\"token\" value=\"{}\">", esc(t));
    }
    b.push_str("<p><button type=\"submit\" class=\"primary\">Continue</button></p></form>");
    b.push_str(&requirements());
    html::layout("Set up ArgusAI", None, &b)
}

/// Step 2: what will be registered, and the button that posts the manifest to GitHub.
pub fn confirm_page(name: &str, account: &Account, urls: &Urls, web_url: &str, state: &str, fallbacks: &[String], token: Option<&str>) -> String {
    let manifest = app::manifest(name, urls);
    let action = app::new_app_url(web_url, account, state);
    let on = match account {
        Account::Personal => "your personal account".to_string(),
        Account::Organization(o) => format!("the organization {o}"),
    };
    let mut b = String::from("<h1>Create the GitHub App</h1>");
    let _ = write!(
        b,
        "<dl class=\"facts\"><dt>Name</dt><dd>{}</dd><dt>Registered on</dt><dd>{}</dd><dt>Webhook URL</dt><dd><code>{}</code></dd>\
         <dt>Sign-in callback</dt><dd><code>{}</code></dd><dt>After installing</dt><dd><code>{}</code></dd><dt>Visibility</dt><dd>private (only this account can install it)</dd></dl>",
        esc(name),
        esc(&on),
        esc(&urls.webhook()),
        esc(&urls.oauth_callback()),
        esc(&urls.dashboard())
    );
    b.push_str(&requirements());
    let _ = write!(
        b,
        "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"manifest\" value=\"{}\">\
         <p><button type=\"submit\" class=\"primary\">Create the GitHub App on GitHub</button></p></form>",
        esc(&action),
        esc(&manifest.to_string())
    );
    if !fallbacks.is_empty() {
        b.push_str("<h2>If GitHub says the name is taken</h2><p>Go back and use one of these (or edit the name on GitHub's page):</p><ul>");
        for n in fallbacks {
            let mut q = vec![("name", n.as_str())];
            match account {
                Account::Personal => q.push(("account", "personal")),
                Account::Organization(o) => {
                    q.push(("account", "organization"));
                    q.push(("org", o.as_str()));
                }
            }
            if let Some(t) = token {
                q.push(("token", t));
            }
            let _ = write!(b, "<li><a href=\"/setup?{}\">{}</a></li>", esc(&form::encode_pairs(&q)), esc(n));
        }
        b.push_str("</ul>");
    }
    html::layout("Create the GitHub App", None, &b)
}

/// Step 3: the App exists; its credentials, once, as commands.
pub fn done_page(creds: &AppCredentials, generated: &GeneratedSecrets, urls: &Urls) -> String {
    let mut b = String::from("<h1>ArgusAI is registered on GitHub</h1>");
    b.push_str(
        "<p class=\"notice\" role=\"alert\"><strong>This page is shown once.</strong> ArgusAI stored none of these values and GitHub \
         will not hand them out again; copy them now. If you lose them, generate a new private key and client secret on the App's settings page.</p>",
    );
    let _ = write!(
        b,
        "<dl class=\"facts\"><dt>App</dt><dd><a href=\"{}\">{}</a></dd><dt>App id</dt><dd id=\"app-id\">{}</dd><dt>Client id</dt><dd id=\"client-id\"><code>{}</code></dd>{}</dl>",
        esc(&creds.html_url),
        esc(if creds.name.is_empty() { &creds.slug } else { &creds.name }),
        creds.id,
        esc(&creds.client_id),
        creds.owner.as_deref().map(|o| format!("<dt>Owner</dt><dd>{}</dd>", esc(o))).unwrap_or_default()
    );
    b.push_str("<h2>1. Set the App's ids in <code>wrangler.toml</code></h2><p>Under <code>[env.production.vars]</code> (they are not secrets):</p>");
    let _ = write!(b, "<pre id=\"vars\">{}</pre>", esc(&app::wrangler_vars(creds)));
    b.push_str(
        "<h2>2. Store the secrets</h2><p>Save this as <code>argusai-secrets.sh</code> in your ArgusAI checkout, run <code>bash argusai-secrets.sh</code>, \
         then delete it. Each value goes to <code>wrangler secret put</code> on standard input, never on a command line.</p>",
    );
    let _ = write!(b, "<pre id=\"secrets\">{}</pre>", esc(&app::secret_script(creds, generated, Some(DEPLOY_ENV))));
    if creds.webhook_secret.is_none() {
        b.push_str(
            "<p class=\"notice bad\">GitHub returned no webhook secret, so ArgusAI generated <code>GITHUB_WEBHOOK_SECRET</code> above: \
             enter the same value as the webhook secret on the App's settings page, or every delivery will be refused.</p>",
        );
    }
    b.push_str(
        "<p>ArgusAI also needs a model: <code>npx wrangler secret put GITHUB_TOKEN --env production</code> with a token that has \
         <code>models:read</code> (GitHub Models), or <code>LLM_API_KEY</code> for another provider (see the README's settings).</p>",
    );
    let _ = write!(
        b,
        "<p class=\"hint\"><code>SESSION_KEYS</code> signs dashboard sessions; <code>SETUP_TOKEN</code> reopens this setup page \
         (<code>/setup?token=…</code>) now that an App is configured.</p>\
         <h2>3. Deploy</h2><pre id=\"deploy\">npx wrangler deploy --env {DEPLOY_ENV}</pre>\
         <h2>4. Install the App on your repositories</h2><p><a id=\"install\" href=\"{}\">Install {} on GitHub</a>; GitHub then sends you to \
         <a href=\"{}\">the dashboard</a>.</p>",
        esc(&creds.install_url()),
        esc(if creds.name.is_empty() { &creds.slug } else { &creds.name }),
        esc(&urls.dashboard())
    );
    html::layout("ArgusAI is registered", None, &b)
}

/// The callback could not finish (expired or reused code, state mismatch).
pub fn failed_page(why: &str) -> String {
    html::layout(
        "Setup did not finish",
        None,
        &format!("<h1>Setup did not finish</h1><p class=\"notice bad\" role=\"alert\">{}</p><p><a href=\"/setup\">Start again</a></p>", esc(why)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_core::secret::SecretString;

    fn creds(webhook: bool) -> AppCredentials {
        AppCredentials {
            id: 1001,
            slug: "argusai".into(),
            name: "ArgusAI <b>".into(),
            client_id: "Iv23abc".into(),
            client_secret: SecretString::new(format!("cs-{}", "1".repeat(8))),
            webhook_secret: webhook.then(|| SecretString::new(format!("wh-{}", "2".repeat(8)))),
            pem: SecretString::new("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
            html_url: "https://github.com/apps/argusai".into(),
            owner: Some("acme".into()),
        }
    }

    fn generated() -> GeneratedSecrets {
        GeneratedSecrets {
            webhook_secret: SecretString::new("gen-wh"),
            session_keys: SecretString::new("gen-sk"),
            setup_token: SecretString::new("gen-st"),
        }
    }

    #[test]
    fn the_done_page_prints_every_secret_once_as_a_command() {
        let page = done_page(&creds(true), &generated(), &Urls::new("https://w.example"));
        assert!(page.contains("GITHUB_APP_ID = &quot;1001&quot;"), "vars block");
        for name in ["GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "GITHUB_CLIENT_SECRET", "SESSION_KEYS", "SETUP_TOKEN"] {
            assert_eq!(page.matches(&format!("npx wrangler secret put {name} --env production")).count(), 1, "{name}");
        }
        assert!(page.contains("wh-22222222") && !page.contains("gen-wh"), "GitHub's webhook secret wins over the generated one");
        assert!(page.contains("ArgusAI &lt;b&gt;"), "names are escaped");
        assert!(page.contains("https://github.com/apps/argusai/installations/new"));
        let without = done_page(&creds(false), &generated(), &Urls::new("https://w.example"));
        assert!(without.contains("gen-wh") && without.contains("GitHub returned no webhook secret"));
    }

    #[test]
    fn the_confirm_page_posts_the_manifest_to_the_accounts_page() {
        let page = confirm_page(
            "ArgusAI",
            &Account::Organization("acme".into()),
            &Urls::new("https://w.example"),
            "https://github.com",
            "st4te",
            &["ArgusAI for acme".into()],
            Some("tok"),
        );
        assert!(page.contains("action=\"https://github.com/organizations/acme/settings/apps/new?state=st4te\""));
        assert!(page.contains("name=\"manifest\" value=\"{&quot;"), "the manifest is an escaped JSON attribute");
        assert!(page.contains("/setup?name=ArgusAI%20for%20acme&amp;account=organization&amp;org=acme&amp;token=tok"));
    }
}
