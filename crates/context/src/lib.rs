//! `argus-context`: the context engine (docs filled in below as parts land).

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
    ChunkContextReport, ContextInput, ContextOptions, Cut, Mode, NoContext, Prepared, Relocation,
    ScopeInfo, prepare, relocate, render_chunk,
};
pub use repomap::{EntryKind, TreeEntry, manifests_wanted, repo_map};
pub use scope::{Scope, ScopeKind, ScopeTree, Syntax, scopes, scopes_for_path, scopes_in};
