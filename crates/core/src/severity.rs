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

/// How many findings of each severity a review posted: what a notification's
/// threshold is checked against, and what the dashboard shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

impl SeverityCounts {
    pub fn add(&mut self, s: Severity) {
        let slot = match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
        };
        *slot = slot.saturating_add(1);
    }

    pub fn get(&self, s: Severity) -> u32 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }

    pub fn total(&self) -> u32 {
        Severity::ALL.iter().map(|s| self.get(*s)).fold(0, u32::saturating_add)
    }

    /// Findings at least as serious as `threshold`.
    pub fn at_least(&self, threshold: Severity) -> u32 {
        Severity::ALL.iter().filter(|s| s.at_least(threshold)).map(|s| self.get(*s)).fold(0, u32::saturating_add)
    }

    /// The most serious severity with at least one finding.
    pub fn most_serious(&self) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| self.get(*s) > 0)
    }
}

impl FromIterator<Severity> for SeverityCounts {
    fn from_iter<I: IntoIterator<Item = Severity>>(iter: I) -> Self {
        let mut counts = SeverityCounts::default();
        for s in iter {
            counts.add(s);
        }
        counts
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

    #[test]
    fn counts_by_threshold() {
        let counts: SeverityCounts = [Severity::High, Severity::Low, Severity::Low, Severity::Critical].into_iter().collect();
        assert_eq!((counts.total(), counts.at_least(Severity::High), counts.at_least(Severity::Medium)), (4, 2, 2));
        assert_eq!(counts.at_least(Severity::Low), 4);
        assert_eq!(counts.most_serious(), Some(Severity::Critical));
        assert_eq!(SeverityCounts::default().most_serious(), None);
        assert_eq!(serde_json::to_string(&counts).unwrap(), r#"{"critical":1,"high":1,"medium":0,"low":2}"#);
    }
}
