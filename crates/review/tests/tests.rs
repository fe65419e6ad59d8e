//! The one integration-test binary of argus-review: placement fixtures and properties,
//! snapshots of the review ArgusAI posts for a real corpus diff, robustness, redaction
//! figures, suggestion safety and prompt-injection tripwires.

mod placement;
mod redaction;
mod review_snapshots;
mod robustness;
mod suggestions;
mod tripwire;
