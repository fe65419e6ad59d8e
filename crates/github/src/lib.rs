//! ArgusAI's GitHub App client, pure over argus-core's HTTP seam: App JWT and
//! installation tokens ([`auth`]), a rate-limit-aware REST client ([`client`])
//! with classified errors ([`error`]), and the review operations ([`ops`]):
//! reading PRs, posting one review GitHub accepts (bisecting bad anchors),
//! the summary comment, check runs and reactions; batched file contents
//! ([`contents`], GraphQL with a REST fallback); the App's own identity
//! ([`identity`]) so that only its own markers count; repository permissions
//! ([`permission`]); the conversation around findings ([`conversation`]:
//! replies, reactions, review threads and their resolution, commits). Every
//! request is counted into the review's subrequest ledger. Never depends on
//! `worker`.
//!
//! ```text
//! let gh = GitHub::new(GitHubConfig::new(api_url, app_id), http, clock, JwtSimpleSigner::from_pem(&key)?, kv_cache);
//! let inst = gh.installation(job.installation);
//! let pr = inst.pull_request(&job.pr).await?;
//! ```

pub mod auth;
pub mod bisect;
pub mod client;
pub mod contents;
pub mod conversation;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
#[cfg(feature = "fake")]
pub mod fake_graphql;
pub mod graphql;
pub mod identity;
pub mod link;
pub mod marker;
pub mod ops;
pub mod permission;
pub mod types;
pub mod user_token;

pub use auth::{AppJwtClaims, CachedToken, JwtSigner, JwtSimpleSigner, MemoryTokenCache, TokenCache};
pub use client::{GitHub, GitHubConfig};
pub use contents::{
    BlobRequest, BlobResult, BlobsOutcome, ContentLimits, ContentPlan, ContentsOutcome, Transport, Tree, TreeEntry, WantedFile, plan_contents,
};
pub use conversation::{PrCommit, Reaction, ReactionKind, ReviewThread, ThreadAuthor, ThreadComment};
pub use error::{AuthError, GitHubError, RateLimitKind};
pub use identity::AppIdentity;
pub use ops::Installation;
pub use permission::RepoPermission;
pub use types::*;
pub use user_token::{NoAppKey, UserToken};
