//! The one integration-test binary of argus-review: placement fixtures and properties,
//! snapshots of the review ArgusAI posts for a real corpus diff, suggestion safety, and
//! the `argus` CLI.

mod placement;
mod review_snapshots;
mod robustness;
mod redaction;
mod suggestions;
