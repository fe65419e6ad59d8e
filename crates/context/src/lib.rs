//! `argus-context`: the context engine (docs filled in below as parts land).

mod brace;
mod lex;
mod markup;
mod python;
mod ruby;
pub mod scope;
mod text;

pub use scope::{Scope, ScopeKind, ScopeTree, Syntax, scopes, scopes_for_path, scopes_in};
