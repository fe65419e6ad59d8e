//! ArgusAI's review findings: everything between the model's reply and the review GitHub accepts.
//!
//! - [`redact`]: secrets are replaced by markers before any text reaches a prompt.
//! - [`contract`]: the system prompt, the JSON output schema and a tolerant reply parser.
//! - [`place`]: findings anchored on diff lines GitHub accepts, or sent to the summary.
//! - [`fingerprint`]: line-shift-robust fingerprints that drop already-posted and duplicate findings.
//! - [`render`]: sanitized review comments and the summary, within GitHub's body limit.
//! - [`verify`]: the second pass's contract: claims with their code in, verdicts with a confidence out.
//! - [`learnings`]: what a rejected finding teaches, which findings a learning suppresses, the rules' prompt section.
//! - [`resolution`]: which open threads a push fixed: triage, what became of the cited lines, the fix check's contract.
//! - [`tripwire`]: text addressed to AI reviewers in the PR, and model output that carries instructions back.

pub mod anchor;
pub mod contract;
pub mod engine;
pub mod fingerprint;
pub mod learnings;
pub mod place;
pub mod redact;
pub mod render;
pub mod reply;
pub mod resolution;
pub mod tripwire;
pub mod verify;
