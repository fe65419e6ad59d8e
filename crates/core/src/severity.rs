//! How serious a finding is: one type for the findings contract the model
//! answers in (argus-review) and the repository's `severity_threshold`
//! (argus-config), so the two can never disagree on names or order.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is, most serious first.
// Declared in that order, so sorting puts critical findings on top and "at
// least as serious" is "not later in the order".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Security holes, data loss, crashes in common paths.
    Critical,
    /// Bugs that will bite: wrong results, races, leaks.
    High,
    /// Risky or fragile code, missing error handling, edge cases.
    Medium,
    /// Minor issues: clarity, small inefficiencies, style.
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The exact names, in any case (configuration). The model's synonyms are
    /// argus-review's business.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether a finding of severity `self` passes a `threshold`: `high` passes
    /// `medium`, `low` does not.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_order_and_threshold() {
        assert_eq!(Severity::ALL.map(Severity::as_str), ["critical", "high", "medium", "low"]);
        assert_eq!(Severity::parse(" HIGH "), Some(Severity::High));
        assert_eq!(Severity::parse("major"), None);
        assert!(Severity::High.at_least(Severity::Medium));
        assert!(!Severity::Low.at_least(Severity::Medium));
        assert_eq!(serde_json::to_string(&Severity::Critical).unwrap(), "\"critical\"");
    }
}
