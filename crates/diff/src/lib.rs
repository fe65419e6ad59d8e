//! `argus-diff`: the diff half of ArgusAI's review engine. Pure: no `worker`,
//! no IO, no clock; everything is tested and benchmarked natively.
//!
//! # API
//!
//! - [`diff`]: the model and parser.
//!   - `diff::parse_unified(text: &str) -> ParsedDiff<'_>`: a full unified git
//!     diff (or svn/hg/bzr plain diff) into `files: Vec<FileDiff>` → `hunks:
//!     Vec<Hunk>` → `lines: Vec<Line>`, plus `problems: Vec<Problem>`. Never panics.
//!   - `diff::parse_patch(path, patch) -> ParsedPatch { file, problems }`: one
//!     GitHub `/pulls/{n}/files` `patch` (hunks only).
//!   - Line numbers are typed: `OldLine` (LEFT) and `NewLine` (RIGHT), both
//!     1-based `NonZeroU32`; `DiffPos::{Left(OldLine), Right(NewLine)}`.
//!   - Helpers for placement: `FileDiff::commentable() -> Commentable` (every
//!     position GitHub accepts, with its hunk), `FileDiff::hunk_of(DiffPos)`,
//!     `FileDiff::new_line(NewLine)`, `FileDiff::new_line_content(NewLine)`.
//!   - `diff::render_unified(&ParsedDiff) -> String` re-renders (byte-exact for
//!     input without problems); `render_hunks` gives GitHub's `patch` shape.
pub mod diff;
pub mod select;
pub mod tokens;
pub mod prompt;
pub mod chunk;
