//! `argus-context`: the context engine — what a careful reviewer opens
//! before commenting, fitted into the prompt. Contents in, rendered context
//! and accounting out; pure (no `worker`, no IO, no clock) and small enough
//! for the Worker's wasm (no parser libraries: the scope finders are
//! hand-written, linear-time scanners).
//!
//! # API (what the pipeline calls)
//!
//! Per review, once:
//! - [`prepare`]`(ContextInput { files: &[FileDiff], head: &[Option<&str>],
//!   base: &[Option<&str>], options: ContextOptions }) -> Prepared` parses
//!   every file's head (and, where a hunk removes more than it adds, its base)
//!   into a scope tree and, in [`Mode::Full`], indexes the definitions.
//!   Files over `max_file_bytes` (default 256 KiB), binary ones and files
//!   without contents get no context and are reported, never skipped for the
//!   review. `Prepared::without_context()` lists them.
//! - [`manifests_wanted`]`(&[TreeEntry]) -> Vec<String>`: the manifests to
//!   fetch (root, then one folder down, at most 8), from one recursive tree
//!   listing ([`TreeEntry`] deserializes GitHub's Git trees API items).
//! - [`repo_map`]`(&[TreeEntry], &[(path, text)], max_tokens) -> String`:
//!   the repository map, every line starting with `~`; give it to the chunk
//!   that should carry it.
//!
//! Per chunk (the diff part planned by `argus_diff::chunk::plan`, leaving
//! room for context):
//! - [`render_chunk`]`(&Prepared, &Chunk, budget_tokens, map: Option<&str>)
//!   -> (String, ChunkContextReport)`. The text is the chunk as
//!   `argus_diff::chunk::render_chunk` writes it, with `~` lines added (see
//!   [`render`] for the format); with [`Mode::Off`], or without contents, it is
//!   exactly that function's output, byte for byte. The report (serde) counts
//!   files, scopes, whole functions and definitions shown, the map, the
//!   tokens used, and what was cut and why; [`ChunkContextReport::merge`]
//!   sums a review's chunks and [`ChunkContextReport::summary_line`] says
//!   `context: 12 files, 31 scopes, 9 definitions; 2 files too large for context`.
//!
//! For placement:
//! - [`relocate`]`(&Prepared, path, NewLine) -> Relocation { scope,
//!   changed_in_scope, nearest }`: for a finding on a line outside the diff,
//!   its innermost scope and the added lines of that scope (nearest first in
//!   `nearest`), so it can move to the same scope's changed line or be listed.
//!
//! The scope finder on its own: [`scopes`]`(Option<Language>, &str)`,
//! [`scopes_for_path`]`(path, &str)` or [`scopes_in`]`(Syntax, &str)` →
//! [`ScopeTree`] with `chain_at(line) -> Vec<&Scope>` (outermost first) and
//! `innermost(line)`. A [`Scope`] has its kind, short name, first line
//! (attributes, decorators and annotations included), name line, last header
//! line, and last line.
//!
//! # Budget and degradation
//!
//! Context fills the budget in priority order — scope headers (the whole
//! chain of a hunk, else its innermost scope), then small enclosing functions
//! whole (`max_body_lines`, default 60), then definitions
//! (`max_definitions`, default 12, most relevant first: defined in another
//! changed file and called on a changed line), then the map — and the order
//! is strict: once something of a kind is cut, nothing of a lower kind gets
//! in. So under a shrinking budget the map goes first, then definitions, then
//! whole functions, then scope headers. Changed lines are never dropped: the
//! diff part is planned before and rendered whole.
//!
//! # Scope finders
//!
//! Brace languages (Rust, C, C++, Go, Java, Kotlin, C#, Swift, Scala,
//! JavaScript/JSX, TypeScript/TSX, PHP; a generic one for the rest) share a
//! lexer that drops strings (raw, template, multi-line, interpolated,
//! verbatim), comments (nested where the language nests them), char literals
//! versus lifetimes, preprocessor lines and their alternative branches, JS
//! regexes, JSX and PHP's HTML, and a brace pass that classifies each `{` by
//! the header before it (`src/brace.rs`). Python uses indentation, Ruby keyword
//! balance; Markdown headings, YAML keys and TOML tables are scopes too.
//!
//! # Figures (rerun with the commands given)
//!
//! Accuracy — the innermost scope of every non-blank line compared with
//! tree-sitter's (dev-dependency only; rules in `tests/support/oracle.rs`):
//! the corpus's added files agree on 100 % of lines (Rust 13 files, C 16;
//! `cargo test -p argus-context --test tests oracle -- --nocapture`). On real
//! trees (`cargo run --release -p argus-context --example accuracy -- DIR…`,
//! nothing committed): Rust 100.0 % (tokio, serde), C 98.6 % (xz, zstd),
//! C++ 95.5 % (fmt; 67 % on node's v8 headers, where tree-sitter itself reads
//! `class V8_EXPORT Name : Base {` as a function), Go 99.95 % (gin), Java 99.9 % (JDK 25 `java.base`),
//! Kotlin 99.5 % (koin), C# 99.5 % (Newtonsoft.Json), Swift 100.0 %
//! (Alamofire), Scala 99.5 % (os-lib), JavaScript 98.4 % (node_modules),
//! TypeScript 99.1 %, TSX 99.8 % (shadcn/ui), PHP 100.0 % (guzzle), Python
//! 99.95 % (CPython 3.11 stdlib), Ruby 99.99 % (sinatra). C's figure counts
//! only what tree-sitter could parse (it cannot read macro-heavy code); the
//! finder reads only the first branch of `#if`/`#else`, which is where it
//! loses.
//!
//! Prompt size — o200k tokens per changed line on the whole real corpus with
//! its full files rebuilt from the public histories
//! (`examples/context_tokens.rs`): today's prompt 18.03; with
//! `context = scope` 18.36; with `context = full` 23.52; PR-Agent's format
//! with its default extra context 31.99. The enclosing function's signature
//! is visible for 97.4 % of hunks inside a function (PR-Agent: 77.3 %), and
//! the full mode adds 689 definition lines and the repository map.
//!
//! Size — the wasm harness (`bench/wasm`, the Worker's profile) grows by
//! 57 KB gzip with this crate, toml and serde_json included (the Worker
//! links those already).
//!
//! Speed — `cargo bench -p argus-context` (scope finders, MB/s per
//! language; prepare + render on the corpus) and `scripts/bench-wasm context`
//! (the same code in wasm under node:wasi, on the corpus and the 6000-file
//! diff, with stand-in contents rebuilt from the hunks' new sides). Measured
//! on a 2-core machine shared with other builds (load 4–7, so ±50 %): the
//! finders run at 40–170 MB/s natively depending on the language (Java and
//! Python fastest, TypeScript and Scala slowest); in wasm, for the 6000-file
//! diff's 50 reviewed files, prepare took 12.7 ms and rendering 0.8 ms on the
//! first run, and the corpus ran at 17.6 MB/s of contents (prepare + render).

mod brace;
pub mod defs;
mod lex;
mod markup;
mod python;
pub mod render;
pub mod repomap;
mod ruby;
pub mod scope;
mod text;

pub use render::{
    ChunkContextReport, ContextInput, ContextOptions, Cut, Mode, NoContext, Prepared, Relocation, ScopeInfo, prepare, relocate, render_chunk,
};
pub use repomap::{EntryKind, TreeEntry, manifests_wanted, repo_map};
pub use scope::{Scope, ScopeKind, ScopeTree, Syntax, scopes, scopes_for_path, scopes_in};
