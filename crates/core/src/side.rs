//! The two sides of a diff, as GitHub's review API names them: one type for
//! the diff engine, the findings and the GitHub client alike.

use serde::{Deserialize, Serialize};

/// Which version of a file a line number counts on
/// (<https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request>):
/// `LEFT` is the base (removed and context lines, old numbering), `RIGHT` the
/// head (added and context lines, new numbering). The two are different
/// number spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// The old file.
    Left,
    /// The new file.
    Right,
}

impl Side {
    /// GitHub's spelling: `LEFT` or `RIGHT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "LEFT",
            Side::Right => "RIGHT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Side;

    #[test]
    fn sides_are_spelled_as_github_spells_them() {
        assert_eq!(serde_json::to_string(&Side::Left).unwrap(), "\"LEFT\"");
        assert_eq!(serde_json::from_str::<Side>("\"RIGHT\"").unwrap(), Side::Right);
        assert!(serde_json::from_str::<Side>("\"right\"").is_err());
        assert_eq!(Side::Right.as_str(), "RIGHT");
    }
}
