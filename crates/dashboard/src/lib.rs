//! ArgusAI's setup and maintainers' dashboard, without IO: everything the
//! Worker's `/setup`, `/auth/*` and `/dashboard/*` routes decide and render,
//! plus the notifications and metrics a finished review produces.
//!
//! - [`app`]: the one list of permissions and events the App needs, the manifest,
//!   the conversion response and the commands that install its secrets.
//! - [`session`], [`cookie`]: signed sessions (the user's token encrypted inside),
//!   the OAuth state with PKCE, CSRF tokens; [`access`]: who sees what.
//! - [`github_user`]: the GitHub calls (manifest conversion, OAuth, user, installations, roles).
//! - [`views`], [`pages`], [`setup`], [`html`]: server-rendered pages and their JSON twins.
//! - [`notify`], [`metrics`]: Slack/Discord alerts and Analytics Engine data points.

pub mod access;
pub mod app;
pub mod cookie;
pub mod form;
pub mod github_user;
pub mod html;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod routes;
pub mod session;
pub mod setup;
pub mod shell;
pub mod views;
