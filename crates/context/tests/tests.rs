//! The one integration test binary of `argus-context` (ripgrep's layout):
//! each module covers one part, driven by fixtures and the real corpora.

mod common;
mod corpus;
mod oracle;
mod props;
mod render;
mod repomap;
mod scopes;
#[path = "support/oracle.rs"]
mod support_oracle;
