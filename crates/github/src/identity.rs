//! Who ArgusAI is on GitHub, so that only what ArgusAI itself posted counts as
//! ArgusAI's. Its hidden markers are plain text: anyone can paste
//! `<!-- argusai:review head=… -->` into a comment to suppress a review, poison the
//! dedupe set or hijack the summary. A marker counts only on a comment or review
//! authored by the App's bot user.
//!
//! Everything an App posts with an installation token is authored by its bot user,
//! whose login is the App's slug with a `[bot]` suffix and whose `type` is `Bot`
//! (<https://docs.github.com/en/apps/creating-github-apps/about-creating-github-apps/about-creating-github-apps#building-a-github-app-that-responds-to-webhook-events>;
//! the slug comes from `GET /app`,
//! <https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app>). `[` and
//! `]` are not allowed in a user's login, so no person can take that name. GraphQL
//! reports the same account as `author { __typename: "Bot", login: "{slug}" }`,
//! without the suffix.

use crate::types::User;
use serde::{Deserialize, Serialize};

/// The fields of `GET /app` ArgusAI uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppIdentity {
    pub id: u64,
    pub slug: String,
}

impl AppIdentity {
    pub fn new(id: u64, slug: impl Into<String>) -> Self {
        Self { id, slug: slug.into() }
    }

    /// The bot user's login in REST answers, e.g. `argusai[bot]`.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }

    /// Whether a REST `user` is the App's bot. Logins compare case-insensitively,
    /// as GitHub's do; a `type` other than `Bot` is refused when present.
    pub fn authored(&self, user: Option<&User>) -> bool {
        let Some(user) = user else { return false };
        let bot = user.login.strip_suffix("[bot]").is_some_and(|slug| slug.eq_ignore_ascii_case(&self.slug));
        bot && user.kind.as_deref().is_none_or(|k| k == "Bot")
    }

    /// Whether a GraphQL `author { __typename login }` is the App's bot. GraphQL
    /// drops the `[bot]` suffix; the suffixed form is accepted too.
    pub fn authored_graphql(&self, typename: Option<&str>, login: &str) -> bool {
        let slug = login.strip_suffix("[bot]").unwrap_or(login);
        slug.eq_ignore_ascii_case(&self.slug) && typename.is_none_or(|t| t == "Bot")
    }

    pub fn to_kv_value(&self) -> String {
        serde_json::to_string(self).expect("identity serializes")
    }

    /// Reads a value written by [`AppIdentity::to_kv_value`]; anything else is a miss.
    pub fn from_kv_value(value: &str) -> Option<Self> {
        serde_json::from_str::<Self>(value).ok().filter(|a| !a.slug.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(login: &str, kind: Option<&str>) -> User {
        User { login: login.into(), kind: kind.map(str::to_string), id: Some(1) }
    }

    #[test]
    fn only_the_apps_bot_user_is_the_author() {
        let app = AppIdentity::new(42, "argusai");
        assert_eq!(app.bot_login(), "argusai[bot]");
        let cases: &[(Option<User>, bool, &str)] = &[
            (Some(user("argusai[bot]", Some("Bot"))), true, "the bot"),
            (Some(user("ArgusAI[bot]", Some("Bot"))), true, "logins are case-insensitive"),
            (Some(user("argusai[bot]", None)), true, "no type given"),
            (Some(user("argusai", Some("User"))), false, "a person named like the slug"),
            (Some(user("argusai[bot]", Some("User"))), false, "the bot login with a person's type"),
            (Some(user("other-app[bot]", Some("Bot"))), false, "another App's bot"),
            (Some(user("argusai-fork[bot]", Some("Bot"))), false, "a longer slug"),
            (Some(user("mona", Some("User"))), false, "the PR author"),
            (None, false, "no author (a deleted account)"),
        ];
        for (u, want, why) in cases {
            assert_eq!(app.authored(u.as_ref()), *want, "{why}");
        }
    }

    #[test]
    fn graphql_authors_have_no_bot_suffix() {
        let app = AppIdentity::new(42, "argusai");
        assert!(app.authored_graphql(Some("Bot"), "argusai"));
        assert!(app.authored_graphql(Some("Bot"), "argusai[bot]"));
        assert!(app.authored_graphql(None, "argusai"));
        assert!(!app.authored_graphql(Some("User"), "argusai"), "a person who registered the slug as a login");
        assert!(!app.authored_graphql(Some("Bot"), "dependabot"));
    }

    #[test]
    fn kv_value_round_trips_and_junk_is_a_miss() {
        let app = AppIdentity::new(42, "argusai");
        assert_eq!(AppIdentity::from_kv_value(&app.to_kv_value()), Some(app));
        for junk in ["", "{}", "{\"id\":1,\"slug\":\"\"}", "null", "[1]"] {
            assert_eq!(AppIdentity::from_kv_value(junk), None, "{junk}");
        }
    }
}
