//! The in-memory GitHub's GraphQL endpoint: a small real GraphQL parser,
//! validator and executor for the part of GitHub's schema ArgusAI uses (blobs by
//! expression, pull request review threads, `resolveReviewThread`), answering
//! mistakes the way GitHub does, so a client bug fails here as it would there.
//! The loopback twin is `tests/fakes/github-graphql.mjs`; keep them in step.
//!
//! What it checks, with GitHub's error shapes (graphql-ruby's codes):
//! - syntax: `Parse error on "}" (RCURLY) at [1, 5]`, `Unexpected end of document`;
//! - unknown fields (`undefinedField`), arguments (`argumentNotAccepted`),
//!   missing required arguments (`missingRequiredArguments`), unknown fragment
//!   types (`undefinedType`), fragments that cannot apply
//!   (`fragmentSpreadTypeMismatch`), selections on scalars or none on objects
//!   (`selectionMismatch`), undeclared or unused variables (`variableNotDefined`,
//!   `variableNotUsed`), variables of the wrong type (`variableMismatch`),
//!   literals of the wrong type (`argumentLiteralsIncompatible`), missing or
//!   invalid variable values;
//! - connections need `first` or `last` within 1–100 and a query may ask for at
//!   most 500,000 nodes
//!   (<https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#node-limit>);
//! - a query selecting more than `max_fields` fields is refused as GitHub's
//!   "other resource limits" are, and an answer over `max_response_bytes` is
//!   GitHub's timeout (502);
//! - execution: a repository or pull request that does not exist is `null` with a
//!   `NOT_FOUND` error at its path; an `object(expression:)` naming nothing is
//!   `null` without an error; a blob's `text` is `null` when it is binary.
//!
//! Named fragments (`fragment X on T`) are not supported by the fake (ArgusAI does
//! not use them); they are refused with a clear message rather than misread.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};

/// GitHub's node limit per query.
pub const NODE_LIMIT: u64 = 500_000;

// ---------- data the engine reads ----------

/// A Git object as `object(expression:)` finds it.
#[derive(Clone, Debug, PartialEq)]
pub enum GitObjectData {
    Blob { oid: String, bytes: Vec<u8> },
    Tree { oid: String },
    Commit { oid: String },
}

/// One comment of a review thread.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadComment {
    pub database_id: u64,
    pub author_login: String,
    pub author_is_bot: bool,
    pub body: String,
    pub created_at: String,
    pub path: String,
    pub reply_to: Option<u64>,
    pub url: String,
}

/// One review thread of a pull request, derived from its review comments.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadData {
    pub id: String,
    pub is_resolved: bool,
    pub is_outdated: bool,
    pub path: String,
    pub line: Option<u32>,
    pub original_line: Option<u32>,
    pub start_line: Option<u32>,
    pub diff_side: String,
    pub resolved_by: Option<String>,
    pub comments: Vec<ThreadComment>,
}

/// What the engine asks the fake's state.
pub trait GraphQlData {
    fn repository_exists(&self, owner: &str, name: &str) -> bool;
    /// `rev:path`, or a bare `rev` for the commit itself.
    fn object(&self, owner: &str, name: &str, expression: &str) -> Option<GitObjectData>;
    /// The PR's review threads, oldest first; `None` when there is no such PR.
    fn review_threads(&self, owner: &str, name: &str, number: i64) -> Option<Vec<ThreadData>>;
    /// Resolves or unresolves a thread by node id; `None` when there is none.
    fn set_thread_resolved(&mut self, thread_id: &str, resolved: bool) -> Option<ThreadData>;
}

/// Limits of the endpoint.
#[derive(Clone, Debug)]
pub struct GraphQlOptions {
    /// Fields selected in one query (all levels) before the query is refused.
    pub max_fields: usize,
    /// Answer size beyond which GitHub's timeout (502) is returned.
    pub max_response_bytes: usize,
    /// A blob's `text` is cut here and `isTruncated` set (`None`: never).
    pub blob_text_limit: Option<usize>,
    /// The login of the viewer, for `resolvedBy`.
    pub viewer_login: String,
}

impl Default for GraphQlOptions {
    fn default() -> Self {
        Self { max_fields: 5_000, max_response_bytes: 10 * 1024 * 1024, blob_text_limit: None, viewer_login: "argusai".into() }
    }
}

// ---------- lexing ----------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Punct(&'static str),
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    text: String,
    line: usize,
    col: usize,
}

#[derive(Debug)]
struct ParseError {
    message: String,
    line: usize,
    col: usize,
}

fn punct_name(p: &str) -> &'static str {
    match p {
        "{" => "LCURLY",
        "}" => "RCURLY",
        "(" => "LPAREN",
        ")" => "RPAREN",
        "[" => "LBRACKET",
        "]" => "RBRACKET",
        ":" => "COLON",
        "!" => "BANG",
        "$" => "VAR_SIGN",
        "=" => "EQUALS",
        "@" => "DIR_SIGN",
        "..." => "ELLIPSIS",
        _ => "PUNCT",
    }
}

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let mut out = Vec::new();
    let err = |text: &str, line, col| ParseError { message: format!("Parse error on {text:?} (error) at [{line}, {col}]"), line, col };
    while i < chars.len() {
        let c = chars[i];
        let (tline, tcol) = (line, col);
        let advance = |n: usize, i: &mut usize, col: &mut usize| {
            *i += n;
            *col += n;
        };
        match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
            }
            ' ' | '\t' | '\r' | ',' | '\u{feff}' => advance(1, &mut i, &mut col),
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    advance(1, &mut i, &mut col);
                }
            }
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | '!' | '$' | '=' | '@' => {
                let p: &'static str = match c {
                    '{' => "{",
                    '}' => "}",
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    ':' => ":",
                    '!' => "!",
                    '$' => "$",
                    '=' => "=",
                    _ => "@",
                };
                out.push(Token { tok: Tok::Punct(p), text: c.to_string(), line: tline, col: tcol });
                advance(1, &mut i, &mut col);
            }
            '.' => {
                if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    out.push(Token { tok: Tok::Punct("..."), text: "...".into(), line: tline, col: tcol });
                    advance(3, &mut i, &mut col);
                } else {
                    return Err(err(".", tline, tcol));
                }
            }
            '"' => {
                if chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    // Block string: raw until the closing """ (\""" escapes it).
                    let mut s = String::new();
                    advance(3, &mut i, &mut col);
                    loop {
                        if i >= chars.len() {
                            return Err(err("\"\"\"", tline, tcol));
                        }
                        if chars[i] == '"' && chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                            advance(3, &mut i, &mut col);
                            break;
                        }
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') && chars.get(i + 3) == Some(&'"') {
                            s.push_str("\"\"\"");
                            advance(4, &mut i, &mut col);
                            continue;
                        }
                        if chars[i] == '\n' {
                            s.push('\n');
                            i += 1;
                            line += 1;
                            col = 1;
                            continue;
                        }
                        s.push(chars[i]);
                        advance(1, &mut i, &mut col);
                    }
                    out.push(Token { tok: Tok::Str(block_string_value(&s)), text: s, line: tline, col: tcol });
                    continue;
                }
                let mut s = String::new();
                let start = i;
                advance(1, &mut i, &mut col);
                loop {
                    let Some(&ch) = chars.get(i) else {
                        return Err(err(&chars[start..].iter().collect::<String>(), tline, tcol));
                    };
                    match ch {
                        '"' => {
                            advance(1, &mut i, &mut col);
                            break;
                        }
                        '\n' => {
                            return Err(err(&chars[start..i].iter().collect::<String>(), tline, tcol));
                        }
                        '\\' => {
                            let esc = chars.get(i + 1).copied();
                            let simple = match esc {
                                Some('"') => Some('"'),
                                Some('\\') => Some('\\'),
                                Some('/') => Some('/'),
                                Some('b') => Some('\u{8}'),
                                Some('f') => Some('\u{c}'),
                                Some('n') => Some('\n'),
                                Some('r') => Some('\r'),
                                Some('t') => Some('\t'),
                                _ => None,
                            };
                            if let Some(ch) = simple {
                                s.push(ch);
                                advance(2, &mut i, &mut col);
                            } else if esc == Some('u') {
                                let hex: String = chars.get(i + 2..i + 6).map(|h| h.iter().collect()).unwrap_or_default();
                                let Ok(code) = u32::from_str_radix(&hex, 16) else {
                                    return Err(err(&chars[start..(i + 2).min(chars.len())].iter().collect::<String>(), tline, tcol));
                                };
                                advance(6, &mut i, &mut col);
                                // A surrogate pair is two \u escapes.
                                if (0xD800..0xDC00).contains(&code) && chars.get(i) == Some(&'\\') && chars.get(i + 1) == Some(&'u') {
                                    let low: String = chars.get(i + 2..i + 6).map(|h| h.iter().collect()).unwrap_or_default();
                                    if let Ok(low) = u32::from_str_radix(&low, 16)
                                        && (0xDC00..0xE000).contains(&low)
                                    {
                                        advance(6, &mut i, &mut col);
                                        s.push(char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{fffd}'));
                                        continue;
                                    }
                                }
                                s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            } else {
                                return Err(err(&chars[start..(i + 2).min(chars.len())].iter().collect::<String>(), tline, tcol));
                            }
                        }
                        ch => {
                            s.push(ch);
                            advance(1, &mut i, &mut col);
                        }
                    }
                }
                out.push(Token { tok: Tok::Str(s), text: chars[start..i].iter().collect(), line: tline, col: tcol });
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                advance(1, &mut i, &mut col);
                while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | 'e' | 'E' | '+' | '-')) {
                    advance(1, &mut i, &mut col);
                }
                let text: String = chars[start..i].iter().collect();
                let tok = if let Ok(n) = text.parse::<i64>() {
                    Tok::Int(n)
                } else if let Ok(f) = text.parse::<f64>() {
                    Tok::Float(f)
                } else {
                    return Err(err(&text, tline, tcol));
                };
                out.push(Token { tok, text, line: tline, col: tcol });
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                    advance(1, &mut i, &mut col);
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Token { tok: Tok::Name(text.clone()), text, line: tline, col: tcol });
            }
            other => return Err(err(&other.to_string(), tline, tcol)),
        }
    }
    out.push(Token { tok: Tok::Eof, text: String::new(), line, col });
    Ok(out)
}

/// The value of a block string: common indentation and blank first/last lines removed.
fn block_string_value(raw: &str) -> String {
    let lines: Vec<&str> = raw.split('\n').collect();
    let indent = lines.iter().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start_matches([' ', '\t']).len()).min().unwrap_or(0);
    let mut out: Vec<String> = lines.iter().enumerate().map(|(i, l)| if i == 0 { l.to_string() } else { l.chars().skip(indent).collect() }).collect();
    while out.first().is_some_and(|l| l.trim().is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}

// ---------- syntax tree ----------

#[derive(Clone, Debug, PartialEq)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn parse(s: &str) -> TypeRef {
        if let Some(inner) = s.strip_suffix('!') {
            return TypeRef::NonNull(Box::new(TypeRef::parse(inner)));
        }
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return TypeRef::List(Box::new(TypeRef::parse(inner)));
        }
        TypeRef::Named(s.to_string())
    }
    fn named(&self) -> &str {
        match self {
            TypeRef::Named(n) => n,
            TypeRef::List(t) | TypeRef::NonNull(t) => t.named(),
        }
    }
    fn non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }
    fn show(&self) -> String {
        match self {
            TypeRef::Named(n) => n.clone(),
            TypeRef::List(t) => format!("[{}]", t.show()),
            TypeRef::NonNull(t) => format!("{}!", t.show()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Var(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Enum(String),
    List(Vec<Val>),
    Obj(Vec<(String, Val)>),
}

#[derive(Clone, Debug)]
struct Arg {
    name: String,
    value: Val,
    line: usize,
    col: usize,
}

#[derive(Clone, Debug)]
struct Directive {
    name: String,
    args: Vec<Arg>,
    line: usize,
    col: usize,
}

#[derive(Clone, Debug)]
struct Field {
    alias: Option<String>,
    name: String,
    args: Vec<Arg>,
    directives: Vec<Directive>,
    selections: Option<Vec<Selection>>,
    line: usize,
    col: usize,
}

impl Field {
    fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Clone, Debug)]
enum Selection {
    Field(Field),
    Inline { on: Option<String>, directives: Vec<Directive>, selections: Vec<Selection>, line: usize, col: usize },
    Spread { name: String, line: usize, col: usize },
}

#[derive(Clone, Debug)]
struct VarDef {
    name: String,
    ty: TypeRef,
    default: Option<Val>,
    line: usize,
    col: usize,
}

#[derive(Clone, Debug)]
struct Operation {
    mutation: bool,
    name: Option<String>,
    vars: Vec<VarDef>,
    selections: Vec<Selection>,
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }
    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn unexpected(&self) -> ParseError {
        let t = self.peek();
        let message = match &t.tok {
            Tok::Eof => "Unexpected end of document".to_string(),
            Tok::Punct(p) => format!("Parse error on {:?} ({}) at [{}, {}]", t.text, punct_name(p), t.line, t.col),
            Tok::Name(_) => format!("Parse error on {:?} (IDENTIFIER) at [{}, {}]", t.text, t.line, t.col),
            Tok::Int(_) => format!("Parse error on {:?} (INT) at [{}, {}]", t.text, t.line, t.col),
            Tok::Float(_) => format!("Parse error on {:?} (FLOAT) at [{}, {}]", t.text, t.line, t.col),
            Tok::Str(_) => format!("Parse error on {} (STRING) at [{}, {}]", t.text, t.line, t.col),
        };
        ParseError { message, line: t.line, col: t.col }
    }
    fn is(&self, p: &str) -> bool {
        matches!(&self.peek().tok, Tok::Punct(q) if *q == p)
    }
    fn expect(&mut self, p: &str) -> Result<Token, ParseError> {
        if self.is(p) { Ok(self.next()) } else { Err(self.unexpected()) }
    }
    fn name(&mut self) -> Result<Token, ParseError> {
        if matches!(self.peek().tok, Tok::Name(_)) { Ok(self.next()) } else { Err(self.unexpected()) }
    }

    fn document(&mut self) -> Result<Vec<Operation>, ParseError> {
        let mut ops = Vec::new();
        loop {
            match &self.peek().tok {
                Tok::Eof if !ops.is_empty() => return Ok(ops),
                Tok::Punct("{") => {
                    let selections = self.selection_set()?;
                    ops.push(Operation { mutation: false, name: None, vars: vec![], selections });
                }
                Tok::Name(n) if n == "query" || n == "mutation" => {
                    let mutation = n == "mutation";
                    self.next();
                    let name = if matches!(self.peek().tok, Tok::Name(_)) { Some(self.next().text) } else { None };
                    let vars = if self.is("(") { self.var_defs()? } else { vec![] };
                    let _ = self.directives()?;
                    let selections = self.selection_set()?;
                    ops.push(Operation { mutation, name, vars, selections });
                }
                Tok::Name(n) if n == "fragment" => {
                    let t = self.peek().clone();
                    return Err(ParseError {
                        message: "Named fragments are not supported by this fake GitHub; use inline fragments".into(),
                        line: t.line,
                        col: t.col,
                    });
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    fn var_defs(&mut self) -> Result<Vec<VarDef>, ParseError> {
        self.expect("(")?;
        if self.is(")") {
            return Err(self.unexpected());
        }
        let mut out = Vec::new();
        while !self.is(")") {
            let dollar = self.expect("$")?;
            let name = self.name()?.text;
            self.expect(":")?;
            let ty = self.type_ref()?;
            let default = if self.is("=") {
                self.next();
                Some(self.value(true)?)
            } else {
                None
            };
            out.push(VarDef { name, ty, default, line: dollar.line, col: dollar.col });
        }
        self.expect(")")?;
        Ok(out)
    }

    fn type_ref(&mut self) -> Result<TypeRef, ParseError> {
        let base = if self.is("[") {
            self.next();
            let inner = self.type_ref()?;
            self.expect("]")?;
            TypeRef::List(Box::new(inner))
        } else {
            TypeRef::Named(self.name()?.text)
        };
        if self.is("!") {
            self.next();
            return Ok(TypeRef::NonNull(Box::new(base)));
        }
        Ok(base)
    }

    fn directives(&mut self) -> Result<Vec<Directive>, ParseError> {
        let mut out = Vec::new();
        while self.is("@") {
            let at = self.next();
            let name = self.name()?.text;
            let args = if self.is("(") { self.args()? } else { vec![] };
            out.push(Directive { name, args, line: at.line, col: at.col });
        }
        Ok(out)
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, ParseError> {
        self.expect("{")?;
        if self.is("}") {
            return Err(self.unexpected());
        }
        let mut out = Vec::new();
        while !self.is("}") {
            if self.is("...") {
                let dots = self.next();
                match &self.peek().tok {
                    Tok::Name(n) if n == "on" => {
                        self.next();
                        let on = self.name()?.text;
                        let directives = self.directives()?;
                        let selections = self.selection_set()?;
                        out.push(Selection::Inline { on: Some(on), directives, selections, line: dots.line, col: dots.col });
                    }
                    Tok::Name(_) => {
                        let name = self.next().text;
                        let _ = self.directives()?;
                        out.push(Selection::Spread { name, line: dots.line, col: dots.col });
                    }
                    _ => {
                        let directives = self.directives()?;
                        let selections = self.selection_set()?;
                        out.push(Selection::Inline { on: None, directives, selections, line: dots.line, col: dots.col });
                    }
                }
                continue;
            }
            let first = self.name()?;
            let (alias, name) = if self.is(":") {
                self.next();
                (Some(first.text.clone()), self.name()?.text)
            } else {
                (None, first.text.clone())
            };
            let args = if self.is("(") { self.args()? } else { vec![] };
            let directives = self.directives()?;
            let selections = if self.is("{") { Some(self.selection_set()?) } else { None };
            out.push(Selection::Field(Field { alias, name, args, directives, selections, line: first.line, col: first.col }));
        }
        self.expect("}")?;
        Ok(out)
    }

    fn args(&mut self) -> Result<Vec<Arg>, ParseError> {
        self.expect("(")?;
        if self.is(")") {
            return Err(self.unexpected());
        }
        let mut out = Vec::new();
        while !self.is(")") {
            let n = self.name()?;
            self.expect(":")?;
            let value = self.value(false)?;
            out.push(Arg { name: n.text, value, line: n.line, col: n.col });
        }
        self.expect(")")?;
        Ok(out)
    }

    fn value(&mut self, constant: bool) -> Result<Val, ParseError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Punct("$") if !constant => {
                self.next();
                Ok(Val::Var(self.name()?.text))
            }
            Tok::Int(n) => {
                self.next();
                Ok(Val::Int(*n))
            }
            Tok::Float(f) => {
                self.next();
                Ok(Val::Float(*f))
            }
            Tok::Str(s) => {
                self.next();
                Ok(Val::Str(s.clone()))
            }
            Tok::Name(n) => {
                self.next();
                Ok(match n.as_str() {
                    "true" => Val::Bool(true),
                    "false" => Val::Bool(false),
                    "null" => Val::Null,
                    _ => Val::Enum(n.clone()),
                })
            }
            Tok::Punct("[") => {
                self.next();
                let mut items = Vec::new();
                while !self.is("]") {
                    items.push(self.value(constant)?);
                }
                self.next();
                Ok(Val::List(items))
            }
            Tok::Punct("{") => {
                self.next();
                let mut fields = Vec::new();
                while !self.is("}") {
                    let n = self.name()?.text;
                    self.expect(":")?;
                    fields.push((n, self.value(constant)?));
                }
                self.next();
                Ok(Val::Obj(fields))
            }
            _ => Err(self.unexpected()),
        }
    }
}

// ---------- schema ----------

struct FieldDef {
    args: &'static [(&'static str, &'static str)],
    ty: &'static str,
    connection: bool,
}

const fn f(args: &'static [(&'static str, &'static str)], ty: &'static str) -> FieldDef {
    FieldDef { args, ty, connection: false }
}
const fn conn(ty: &'static str) -> FieldDef {
    FieldDef { args: &[("first", "Int"), ("last", "Int"), ("after", "String"), ("before", "String")], ty, connection: true }
}

const SCALARS: &[&str] = &["String", "Int", "Boolean", "ID", "Float", "DateTime", "URI", "GitObjectID"];
const INPUTS: &[&str] = &["ResolveReviewThreadInput", "UnresolveReviewThreadInput"];

fn is_type(name: &str) -> bool {
    SCALARS.contains(&name) || INPUTS.contains(&name) || possible_types(name).is_some() || OBJECTS.contains(&name)
}

const OBJECTS: &[&str] = &[
    "Query",
    "Mutation",
    "Repository",
    "Blob",
    "Tree",
    "Commit",
    "PullRequest",
    "PullRequestReviewThreadConnection",
    "PullRequestReviewThread",
    "PullRequestReviewCommentConnection",
    "PullRequestReviewComment",
    "PageInfo",
    "User",
    "Bot",
    "RateLimit",
    "ResolveReviewThreadPayload",
    "UnresolveReviewThreadPayload",
];

fn possible_types(abstract_type: &str) -> Option<&'static [&'static str]> {
    match abstract_type {
        "GitObject" => Some(&["Blob", "Commit", "Tree"]),
        "Actor" => Some(&["Bot", "User"]),
        _ => None,
    }
}

fn input_fields(input: &str) -> &'static [(&'static str, &'static str)] {
    match input {
        "ResolveReviewThreadInput" | "UnresolveReviewThreadInput" => &[("threadId", "ID!"), ("clientMutationId", "String")],
        _ => &[],
    }
}

fn field_def(ty: &str, field: &str) -> Option<FieldDef> {
    Some(match (ty, field) {
        ("Query", "repository") => f(&[("owner", "String!"), ("name", "String!"), ("followRenames", "Boolean")], "Repository"),
        ("Query", "rateLimit") => f(&[("dryRun", "Boolean")], "RateLimit"),
        ("Mutation", "resolveReviewThread") => f(&[("input", "ResolveReviewThreadInput!")], "ResolveReviewThreadPayload"),
        ("Mutation", "unresolveReviewThread") => f(&[("input", "UnresolveReviewThreadInput!")], "UnresolveReviewThreadPayload"),
        ("Repository", "object") => f(&[("expression", "String"), ("oid", "GitObjectID")], "GitObject"),
        ("Repository", "pullRequest") => f(&[("number", "Int!")], "PullRequest"),
        ("Repository", "id" | "name" | "nameWithOwner") => f(&[], "String!"),
        ("GitObject" | "Blob" | "Tree" | "Commit", "oid" | "abbreviatedOid" | "id") => f(&[], "String!"),
        ("Blob", "text") => f(&[], "String"),
        ("Blob", "byteSize") => f(&[], "Int!"),
        ("Blob", "isBinary") => f(&[], "Boolean"),
        ("Blob", "isTruncated") => f(&[], "Boolean!"),
        ("PullRequest", "number") => f(&[], "Int!"),
        ("PullRequest", "id") => f(&[], "ID!"),
        ("PullRequest", "reviewThreads") => conn("PullRequestReviewThreadConnection!"),
        ("PullRequestReviewThreadConnection", "nodes") => f(&[], "[PullRequestReviewThread]"),
        ("PullRequestReviewCommentConnection", "nodes") => f(&[], "[PullRequestReviewComment]"),
        ("PullRequestReviewThreadConnection" | "PullRequestReviewCommentConnection", "pageInfo") => f(&[], "PageInfo!"),
        ("PullRequestReviewThreadConnection" | "PullRequestReviewCommentConnection", "totalCount") => f(&[], "Int!"),
        ("PullRequestReviewThread", "id") => f(&[], "ID!"),
        ("PullRequestReviewThread", "isResolved" | "isOutdated" | "isCollapsed" | "viewerCanResolve") => f(&[], "Boolean!"),
        ("PullRequestReviewThread", "path" | "diffSide") => f(&[], "String!"),
        ("PullRequestReviewThread", "line" | "originalLine" | "startLine" | "originalStartLine") => f(&[], "Int"),
        ("PullRequestReviewThread", "resolvedBy") => f(&[], "User"),
        ("PullRequestReviewThread", "comments") => conn("PullRequestReviewCommentConnection!"),
        ("PullRequestReviewComment", "id") => f(&[], "ID!"),
        ("PullRequestReviewComment", "databaseId") => f(&[], "Int"),
        ("PullRequestReviewComment", "author") => f(&[], "Actor"),
        ("PullRequestReviewComment", "body" | "path" | "url") => f(&[], "String!"),
        ("PullRequestReviewComment", "createdAt") => f(&[], "DateTime!"),
        ("PullRequestReviewComment", "outdated") => f(&[], "Boolean!"),
        ("PullRequestReviewComment", "replyTo") => f(&[], "PullRequestReviewComment"),
        ("PageInfo", "hasNextPage" | "hasPreviousPage") => f(&[], "Boolean!"),
        ("PageInfo", "endCursor" | "startCursor") => f(&[], "String"),
        ("Actor" | "User" | "Bot", "login" | "url") => f(&[], "String!"),
        ("RateLimit", "cost" | "limit" | "remaining" | "used" | "nodeCount") => f(&[], "Int!"),
        ("RateLimit", "resetAt") => f(&[], "DateTime!"),
        ("ResolveReviewThreadPayload" | "UnresolveReviewThreadPayload", "thread") => f(&[], "PullRequestReviewThread"),
        ("ResolveReviewThreadPayload" | "UnresolveReviewThreadPayload", "clientMutationId") => f(&[], "String"),
        _ => return None,
    })
}

fn is_scalar(name: &str) -> bool {
    SCALARS.contains(&name)
}

/// Whether a fragment on `cond` can apply inside `parent`.
fn overlaps(parent: &str, cond: &str) -> bool {
    if parent == cond {
        return true;
    }
    let p = possible_types(parent).map(|v| v.to_vec()).unwrap_or_default();
    let c = possible_types(cond).map(|v| v.to_vec()).unwrap_or_default();
    p.contains(&cond) || c.contains(&parent) || p.iter().any(|t| c.contains(t))
}

// ---------- validation ----------

struct Ctx<'a> {
    errors: Vec<Value>,
    op_name: String,
    vars: &'a [VarDef],
    used: BTreeSet<String>,
}

fn gql_error(message: String, line: usize, col: usize, path: &[String], extensions: Value) -> Value {
    json!({ "path": path, "extensions": extensions, "locations": [{ "line": line, "column": col }], "message": message })
}

/// The GraphQL spelling of a literal, for error messages.
fn show_val(v: &Val) -> String {
    match v {
        Val::Var(n) => format!("${n}"),
        Val::Int(n) => n.to_string(),
        Val::Float(x) => x.to_string(),
        Val::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Val::Bool(b) => b.to_string(),
        Val::Null => "null".into(),
        Val::Enum(e) => e.clone(),
        Val::List(items) => format!("[{}]", items.iter().map(show_val).collect::<Vec<_>>().join(", ")),
        Val::Obj(fields) => format!("{{{}}}", fields.iter().map(|(k, v)| format!("{k}: {}", show_val(v))).collect::<Vec<_>>().join(", ")),
    }
}

/// Whether a literal fits `ty` (variables are checked separately).
fn literal_fits(v: &Val, ty: &TypeRef, ctx: &mut Ctx, line: usize, col: usize, path: &[String], arg: &str) -> bool {
    match (v, ty) {
        (Val::Var(name), _) => {
            ctx.used.insert(name.clone());
            match ctx.vars.iter().find(|d| &d.name == name) {
                None => {
                    ctx.errors.push(gql_error(
                        format!("Variable ${name} is used by {} but not declared", ctx.op_name),
                        line,
                        col,
                        path,
                        json!({ "code": "variableNotDefined", "variableName": name }),
                    ));
                }
                Some(def) => {
                    // A nullable variable may not feed a non-null argument unless it has a default.
                    let named_ok = def.ty.named() == ty.named();
                    let null_ok = !ty.non_null() || def.ty.non_null() || def.default.is_some();
                    if !named_ok || !null_ok {
                        let message = if named_ok {
                            format!("Nullability mismatch on variable ${name} and argument {arg} ({} / {})", def.ty.show(), ty.show())
                        } else {
                            format!("Type mismatch on variable ${name} and argument {arg} ({} / {})", def.ty.show(), ty.show())
                        };
                        ctx.errors.push(gql_error(
                            message,
                            line,
                            col,
                            path,
                            json!({ "code": "variableMismatch", "variableName": name, "typeName": def.ty.show(), "argumentName": arg, "errorMessage": "Type mismatch" }),
                        ));
                    }
                }
            }
            true
        }
        (Val::Null, t) => !t.non_null(),
        (v, TypeRef::NonNull(inner)) => literal_fits(v, inner, ctx, line, col, path, arg),
        (Val::List(items), TypeRef::List(inner)) => items.iter().all(|i| literal_fits(i, inner, ctx, line, col, path, arg)),
        (v, TypeRef::List(inner)) => literal_fits(v, inner, ctx, line, col, path, arg),
        (v, TypeRef::Named(n)) => match (v, n.as_str()) {
            (Val::Str(_), "String" | "ID" | "DateTime" | "URI" | "GitObjectID") => true,
            (Val::Int(_), "Int" | "Float" | "ID") => true,
            (Val::Float(_), "Float") => true,
            (Val::Bool(_), "Boolean") => true,
            (Val::Obj(fields), input) if INPUTS.contains(&input) => {
                let defs = input_fields(input);
                let mut ok = true;
                for (k, val) in fields {
                    match defs.iter().find(|(n, _)| n == k) {
                        None => ok = false,
                        Some((_, t)) => ok &= literal_fits(val, &TypeRef::parse(t), ctx, line, col, path, arg),
                    }
                }
                for (n, t) in defs {
                    if t.ends_with('!') && !fields.iter().any(|(k, _)| k == n) {
                        ok = false;
                    }
                }
                ok
            }
            _ => false,
        },
    }
}

fn validate_selections(parent: &str, sels: &[Selection], path: &[String], ctx: &mut Ctx, fields: &mut usize) {
    for sel in sels {
        match sel {
            Selection::Spread { name, line, col } => {
                ctx.errors.push(gql_error(
                    format!("Fragment {name} was used, but not defined"),
                    *line,
                    *col,
                    path,
                    json!({ "code": "useAndDefineFragment", "fragmentName": name }),
                ));
            }
            Selection::Inline { on, directives, selections, line, col } => {
                validate_directives(directives, path, ctx);
                let cond = on.clone().unwrap_or_else(|| parent.to_string());
                let mut p = path.to_vec();
                p.push(format!("... on {cond}"));
                if !is_type(&cond) || is_scalar(&cond) {
                    ctx.errors.push(gql_error(
                        format!("No such type {cond}, so it can't be a fragment condition"),
                        *line,
                        *col,
                        &p,
                        json!({ "code": "undefinedType", "typeName": cond }),
                    ));
                    continue;
                }
                if !overlaps(parent, &cond) {
                    ctx.errors.push(gql_error(
                        format!("Fragment on {cond} can't be spread inside {parent}"),
                        *line,
                        *col,
                        &p,
                        json!({ "code": "fragmentSpreadTypeMismatch", "typeName": cond, "fragmentName": format!("... on {cond}"), "parentName": parent }),
                    ));
                    continue;
                }
                validate_selections(&cond, selections, &p, ctx, fields);
            }
            Selection::Field(field) => {
                *fields += 1;
                let mut p = path.to_vec();
                p.push(field.name.clone());
                validate_directives(&field.directives, &p, ctx);
                if field.name == "__typename" {
                    if field.selections.is_some() {
                        ctx.errors.push(selection_on_scalar(field, "String!", &p));
                    }
                    continue;
                }
                let Some(def) = field_def(parent, &field.name) else {
                    ctx.errors.push(gql_error(
                        format!("Field '{}' doesn't exist on type '{parent}'", field.name),
                        field.line,
                        field.col,
                        &p,
                        json!({ "code": "undefinedField", "typeName": parent, "fieldName": field.name }),
                    ));
                    continue;
                };
                for a in &field.args {
                    let mut ap = p.clone();
                    ap.push(a.name.clone());
                    match def.args.iter().find(|(n, _)| *n == a.name) {
                        None => ctx.errors.push(gql_error(
                            format!("Field '{}' doesn't accept argument '{}'", field.name, a.name),
                            a.line,
                            a.col,
                            &ap,
                            json!({ "code": "argumentNotAccepted", "name": field.name, "typeName": "Field", "argumentName": a.name }),
                        )),
                        Some((_, t)) => {
                            let ty = TypeRef::parse(t);
                            if !literal_fits(&a.value, &ty, ctx, a.line, a.col, &ap, &a.name) {
                                ctx.errors.push(gql_error(
                                    format!(
                                        "Argument '{}' on Field '{}' has an invalid value ({}). Expected type '{}'.",
                                        a.name,
                                        field.name,
                                        show_val(&a.value),
                                        ty.show()
                                    ),
                                    a.line,
                                    a.col,
                                    &ap,
                                    json!({ "code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": a.name }),
                                ));
                            }
                        }
                    }
                }
                let missing: Vec<&str> =
                    def.args.iter().filter(|(n, t)| t.ends_with('!') && !field.args.iter().any(|a| a.name == *n)).map(|(n, _)| *n).collect();
                if !missing.is_empty() {
                    ctx.errors.push(gql_error(
                        format!("Field '{}' is missing required arguments: {}", field.name, missing.join(", ")),
                        field.line,
                        field.col,
                        &p,
                        json!({ "code": "missingRequiredArguments", "className": "Field", "name": field.name, "arguments": missing.join(", ") }),
                    ));
                }
                let ret = TypeRef::parse(def.ty);
                let named = ret.named();
                if is_scalar(named) {
                    if field.selections.is_some() {
                        ctx.errors.push(selection_on_scalar(field, def.ty, &p));
                    }
                } else {
                    match &field.selections {
                        None => ctx.errors.push(gql_error(
                            format!("Field '{}' returns {named} but has no selections. Did you mean '{} {{ ... }}'?", field.name, field.name),
                            field.line,
                            field.col,
                            &p,
                            json!({ "code": "selectionMismatch", "nodeName": field.name, "typeName": named }),
                        )),
                        Some(sub) => validate_selections(named, sub, &p, ctx, fields),
                    }
                }
            }
        }
    }
}

fn selection_on_scalar(field: &Field, ty: &str, path: &[String]) -> Value {
    let names: Vec<String> = field
        .selections
        .iter()
        .flatten()
        .map(|s| match s {
            Selection::Field(f) => f.name.clone(),
            Selection::Inline { on, .. } => format!("... on {}", on.clone().unwrap_or_default()),
            Selection::Spread { name, .. } => format!("...{name}"),
        })
        .collect();
    gql_error(
        format!(
            "Selections can't be made on scalars (field '{}' returns {} but has selections [{}])",
            field.name,
            TypeRef::parse(ty).named(),
            names.join(", ")
        ),
        field.line,
        field.col,
        path,
        json!({ "code": "selectionMismatch", "nodeName": format!("field '{}'", field.name), "typeName": TypeRef::parse(ty).named() }),
    )
}

fn validate_directives(directives: &[Directive], path: &[String], ctx: &mut Ctx) {
    for d in directives {
        if d.name != "include" && d.name != "skip" {
            ctx.errors.push(gql_error(
                format!("Directive @{} is not defined", d.name),
                d.line,
                d.col,
                path,
                json!({ "code": "undefinedDirective", "directiveName": d.name }),
            ));
            continue;
        }
        let ty = TypeRef::parse("Boolean!");
        match d.args.as_slice() {
            [a] if a.name == "if" => {
                if !literal_fits(&a.value, &ty, ctx, a.line, a.col, path, "if") {
                    ctx.errors.push(gql_error(
                        format!("Argument 'if' on Directive '{}' has an invalid value ({}). Expected type 'Boolean!'.", d.name, show_val(&a.value)),
                        a.line,
                        a.col,
                        path,
                        json!({ "code": "argumentLiteralsIncompatible", "typeName": "Directive", "argumentName": "if" }),
                    ));
                }
            }
            _ => ctx.errors.push(gql_error(
                format!("Directive '{}' is missing required arguments: if", d.name),
                d.line,
                d.col,
                path,
                json!({ "code": "missingRequiredArguments", "className": "Directive", "name": d.name, "arguments": "if" }),
            )),
        }
    }
}

// ---------- variables ----------

/// Coerces a JSON variable value to `ty`; `Err` explains why it does not fit.
fn coerce_json(v: &Value, ty: &TypeRef) -> Result<(), String> {
    match (v, ty) {
        (Value::Null, TypeRef::NonNull(_)) => Err("Expected value to not be null".into()),
        (Value::Null, _) => Ok(()),
        (v, TypeRef::NonNull(inner)) => coerce_json(v, inner),
        (Value::Array(items), TypeRef::List(inner)) => items.iter().try_for_each(|i| coerce_json(i, inner)),
        (v, TypeRef::List(inner)) => coerce_json(v, inner),
        (v, TypeRef::Named(n)) => {
            let ok = match n.as_str() {
                "String" | "DateTime" | "URI" | "GitObjectID" => v.is_string(),
                "ID" => v.is_string() || v.is_i64(),
                "Int" => v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                "Float" => v.is_number(),
                "Boolean" => v.is_boolean(),
                input if INPUTS.contains(&input) => {
                    let Some(obj) = v.as_object() else {
                        return Err(format!("Expected {v} to be a key-value object."));
                    };
                    for (k, val) in obj {
                        let Some((_, t)) = input_fields(input).iter().find(|(n, _)| n == k) else {
                            return Err(format!("Field is not defined on {input}: {k}"));
                        };
                        coerce_json(val, &TypeRef::parse(t))?;
                    }
                    for (k, t) in input_fields(input) {
                        if t.ends_with('!') && !obj.contains_key(*k) {
                            return Err(format!("Expected value to not be null: {k}"));
                        }
                    }
                    true
                }
                _ => false,
            };
            if ok { Ok(()) } else { Err(format!("Could not coerce value {v} to {n}")) }
        }
    }
}

fn literal_to_json(v: &Val, vars: &Map<String, Value>) -> Value {
    match v {
        Val::Var(n) => vars.get(n).cloned().unwrap_or(Value::Null),
        Val::Int(i) => json!(i),
        Val::Float(x) => json!(x),
        Val::Str(s) => json!(s),
        Val::Bool(b) => json!(b),
        Val::Null => Value::Null,
        Val::Enum(e) => json!(e),
        Val::List(items) => Value::Array(items.iter().map(|i| literal_to_json(i, vars)).collect()),
        Val::Obj(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), literal_to_json(v, vars))).collect()),
    }
}

// ---------- pagination and node count ----------

/// Checks `first`/`last` on every connection and counts nodes as GitHub's docs
/// do: each connection's page size times the page sizes of the connections it
/// sits in.
fn count_nodes(parent: &str, sels: &[Selection], vars: &Map<String, Value>, multiplier: u64, path: &[String], errors: &mut Vec<Value>) -> u64 {
    let mut total = 0u64;
    for sel in sels {
        match sel {
            Selection::Inline { on, selections, .. } => {
                let cond = on.clone().unwrap_or_else(|| parent.to_string());
                total = total.saturating_add(count_nodes(&cond, selections, vars, multiplier, path, errors));
            }
            Selection::Spread { .. } => {}
            Selection::Field(field) => {
                let Some(def) = field_def(parent, &field.name) else {
                    continue;
                };
                let mut p = path.to_vec();
                p.push(field.key().to_string());
                let mut m = multiplier;
                if def.connection {
                    let arg = |n: &str| field.args.iter().find(|a| a.name == n).map(|a| literal_to_json(&a.value, vars)).filter(|v| !v.is_null());
                    let (first, last) = (arg("first"), arg("last"));
                    let page = match (&first, &last) {
                        (None, None) => {
                            errors.push(json!({
                                "type": "MISSING_PAGINATION_BOUNDARIES", "path": p,
                                "locations": [{ "line": field.line, "column": field.col }],
                                "message": format!("You must provide a `first` or `last` value to properly paginate the `{}` connection.", field.name),
                            }));
                            continue;
                        }
                        (Some(v), _) | (None, Some(v)) => {
                            let which = if first.is_some() { "first" } else { "last" };
                            let n = v.as_i64().unwrap_or(0);
                            if !(0..=100).contains(&n) {
                                let message = if n < 0 {
                                    format!("`{which}` on the `{}` connection cannot be less than zero.", field.name)
                                } else {
                                    format!("Requesting {n} records on the `{}` connection exceeds the `{which}` limit of 100 records.", field.name)
                                };
                                errors.push(json!({
                                    "type": "EXCESSIVE_PAGINATION", "path": p,
                                    "locations": [{ "line": field.line, "column": field.col }],
                                    "message": message,
                                }));
                                continue;
                            }
                            n as u64
                        }
                    };
                    m = multiplier.saturating_mul(page);
                    total = total.saturating_add(m);
                }
                if let Some(sub) = &field.selections {
                    total = total.saturating_add(count_nodes(TypeRef::parse(def.ty).named(), sub, vars, m, &p, errors));
                }
            }
        }
    }
    total
}

// ---------- execution ----------

#[derive(Clone, Debug)]
enum Node {
    Query,
    Mutation,
    Repository { owner: String, name: String },
    Object(GitObjectData),
    PullRequest { owner: String, name: String, number: i64 },
    Threads { items: Vec<ThreadData>, page: Page },
    Thread(ThreadData),
    Comments { items: Vec<ThreadComment>, page: Page },
    Comment(ThreadComment),
    Actor { login: String, bot: bool },
    PageInfo(Page),
    RateLimit,
    Payload(Option<ThreadData>),
}

#[derive(Clone, Debug, Default)]
struct Page {
    start: usize,
    len: usize,
    total: usize,
    has_next: bool,
    has_prev: bool,
}

impl Node {
    fn type_name(&self) -> &'static str {
        match self {
            Node::Query => "Query",
            Node::Mutation => "Mutation",
            Node::Repository { .. } => "Repository",
            Node::Object(GitObjectData::Blob { .. }) => "Blob",
            Node::Object(GitObjectData::Tree { .. }) => "Tree",
            Node::Object(GitObjectData::Commit { .. }) => "Commit",
            Node::PullRequest { .. } => "PullRequest",
            Node::Threads { .. } => "PullRequestReviewThreadConnection",
            Node::Thread(_) => "PullRequestReviewThread",
            Node::Comments { .. } => "PullRequestReviewCommentConnection",
            Node::Comment(_) => "PullRequestReviewComment",
            Node::Actor { bot: true, .. } => "Bot",
            Node::Actor { bot: false, .. } => "User",
            Node::PageInfo(_) => "PageInfo",
            Node::RateLimit => "RateLimit",
            Node::Payload(_) => "ResolveReviewThreadPayload",
        }
    }
}

enum Out {
    Null,
    Scalar(Value),
    One(Node),
    Many(Vec<Node>),
}

struct ExecError {
    kind: &'static str,
    message: String,
}

fn cursor(i: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{i}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("cursor:v2:")?.parse().ok()
}

/// Slices `total` items by `first`/`last`/`after`/`before`, as GitHub's connections do.
fn paginate(total: usize, args: &Map<String, Value>) -> Result<Page, ExecError> {
    let bad = |c: &str| ExecError { kind: "INVALID_CURSOR_ARGUMENTS", message: format!("`{c}` does not appear to be a valid cursor.") };
    let mut lo = 0usize;
    let mut hi = total;
    if let Some(after) = args.get("after").and_then(Value::as_str) {
        lo = decode_cursor(after).ok_or_else(|| bad(after))? + 1;
    }
    if let Some(before) = args.get("before").and_then(Value::as_str) {
        hi = decode_cursor(before).ok_or_else(|| bad(before))?.min(total);
    }
    let lo = lo.min(hi);
    let (mut start, mut end) = (lo, hi);
    if let Some(first) = args.get("first").and_then(Value::as_u64) {
        end = (start + first as usize).min(end);
    }
    if let Some(last) = args.get("last").and_then(Value::as_u64) {
        start = end.saturating_sub(last as usize).max(start);
    }
    Ok(Page { start, len: end - start, total, has_next: args.contains_key("first") && end < hi, has_prev: args.contains_key("last") && start > lo })
}

struct Exec<'a, D: GraphQlData> {
    data: &'a mut D,
    opts: &'a GraphQlOptions,
    vars: Map<String, Value>,
    errors: Vec<Value>,
}

impl<D: GraphQlData> Exec<'_, D> {
    fn resolve(&mut self, node: &Node, field: &str, args: &Map<String, Value>) -> Result<Out, ExecError> {
        let s = |v: &str| Out::Scalar(json!(v));
        Ok(match (node, field) {
            (Node::Query, "repository") => {
                let (owner, name) = (args["owner"].as_str().unwrap_or_default(), args["name"].as_str().unwrap_or_default());
                if !self.data.repository_exists(owner, name) {
                    return Err(ExecError {
                        kind: "NOT_FOUND",
                        message: format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
                    });
                }
                Out::One(Node::Repository { owner: owner.into(), name: name.into() })
            }
            (Node::Query, "rateLimit") => Out::One(Node::RateLimit),
            (Node::Mutation, "resolveReviewThread" | "unresolveReviewThread") => {
                let id = args["input"]["threadId"].as_str().map(str::to_string).unwrap_or_else(|| args["input"]["threadId"].to_string());
                match self.data.set_thread_resolved(&id, field == "resolveReviewThread") {
                    None => {
                        return Err(ExecError { kind: "NOT_FOUND", message: format!("Could not resolve to a node with the global id of '{id}'") });
                    }
                    Some(t) => Out::One(Node::Payload(Some(t))),
                }
            }
            (Node::Repository { owner, name }, "object") => {
                let expr = args.get("expression").and_then(Value::as_str).or_else(|| args.get("oid").and_then(Value::as_str)).unwrap_or("");
                match self.data.object(owner, name, expr) {
                    Some(o) => Out::One(Node::Object(o)),
                    None => Out::Null,
                }
            }
            (Node::Repository { owner, name }, "pullRequest") => {
                let number = args["number"].as_i64().unwrap_or(0);
                if self.data.review_threads(owner, name, number).is_none() {
                    return Err(ExecError { kind: "NOT_FOUND", message: format!("Could not resolve to a PullRequest with the number of {number}.") });
                }
                Out::One(Node::PullRequest { owner: owner.clone(), name: name.clone(), number })
            }
            (Node::Repository { owner, name }, "nameWithOwner") => s(&format!("{owner}/{name}")),
            (Node::Repository { name, .. }, "name") => s(name),
            (Node::Repository { owner, name }, "id") => s(&node_id("R", &format!("{owner}/{name}"))),
            (Node::Object(o), "oid" | "abbreviatedOid" | "id") => {
                let oid = match o {
                    GitObjectData::Blob { oid, .. } | GitObjectData::Tree { oid } | GitObjectData::Commit { oid } => oid.clone(),
                };
                match field {
                    "oid" => s(&oid),
                    "abbreviatedOid" => s(&oid[..oid.len().min(7)]),
                    _ => s(&node_id("O", &oid)),
                }
            }
            (Node::Object(GitObjectData::Blob { bytes, .. }), _) => {
                let binary = bytes[..bytes.len().min(8000)].contains(&0) || std::str::from_utf8(bytes).is_err();
                let limit = self.opts.blob_text_limit.unwrap_or(usize::MAX);
                match field {
                    "byteSize" => Out::Scalar(json!(bytes.len())),
                    "isBinary" => Out::Scalar(json!(binary)),
                    "isTruncated" => Out::Scalar(json!(!binary && bytes.len() > limit)),
                    "text" if binary => Out::Null,
                    "text" => {
                        let text = std::str::from_utf8(bytes).unwrap_or_default();
                        let mut cut = text.len().min(limit);
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        s(&text[..cut])
                    }
                    _ => Out::Null,
                }
            }
            (Node::PullRequest { number, .. }, "number") => Out::Scalar(json!(number)),
            (Node::PullRequest { owner, name, number }, "id") => s(&node_id("PR", &format!("{owner}/{name}#{number}"))),
            (Node::PullRequest { owner, name, number }, "reviewThreads") => {
                let items = self.data.review_threads(owner, name, *number).unwrap_or_default();
                let page = paginate(items.len(), args)?;
                Out::One(Node::Threads { items, page })
            }
            (Node::Threads { items, page }, "nodes") => {
                Out::Many(items[page.start..page.start + page.len].iter().cloned().map(Node::Thread).collect())
            }
            (Node::Comments { items, page }, "nodes") => {
                Out::Many(items[page.start..page.start + page.len].iter().cloned().map(Node::Comment).collect())
            }
            (Node::Threads { page, .. } | Node::Comments { page, .. }, "pageInfo") => Out::One(Node::PageInfo(page.clone())),
            (Node::Threads { page, .. } | Node::Comments { page, .. }, "totalCount") => Out::Scalar(json!(page.total)),
            (Node::PageInfo(p), "hasNextPage") => Out::Scalar(json!(p.has_next)),
            (Node::PageInfo(p), "hasPreviousPage") => Out::Scalar(json!(p.has_prev)),
            (Node::PageInfo(p), "startCursor") if p.len > 0 => s(&cursor(p.start)),
            (Node::PageInfo(p), "endCursor") if p.len > 0 => s(&cursor(p.start + p.len - 1)),
            (Node::PageInfo(_), _) => Out::Null,
            (Node::Thread(t), _) => match field {
                "id" => s(&t.id),
                "isResolved" => Out::Scalar(json!(t.is_resolved)),
                "isOutdated" => Out::Scalar(json!(t.is_outdated)),
                "isCollapsed" => Out::Scalar(json!(t.is_resolved)),
                "viewerCanResolve" => Out::Scalar(json!(true)),
                "path" => s(&t.path),
                "diffSide" => s(&t.diff_side),
                "line" => t.line.map_or(Out::Null, |l| Out::Scalar(json!(l))),
                "originalLine" => t.original_line.map_or(Out::Null, |l| Out::Scalar(json!(l))),
                "startLine" | "originalStartLine" => t.start_line.map_or(Out::Null, |l| Out::Scalar(json!(l))),
                "resolvedBy" => t.resolved_by.clone().map_or(Out::Null, |login| Out::One(Node::Actor { login, bot: false })),
                "comments" => {
                    let page = paginate(t.comments.len(), args)?;
                    Out::One(Node::Comments { items: t.comments.clone(), page })
                }
                _ => Out::Null,
            },
            (Node::Comment(c), _) => match field {
                "id" => s(&node_id("PRRC", &c.database_id.to_string())),
                "databaseId" => Out::Scalar(json!(c.database_id)),
                // GraphQL names a bot by its slug, without REST's `[bot]` suffix.
                "author" => Out::One(Node::Actor {
                    login: if c.author_is_bot { c.author_login.trim_end_matches("[bot]").to_string() } else { c.author_login.clone() },
                    bot: c.author_is_bot,
                }),
                "body" => s(&c.body),
                "path" => s(&c.path),
                "url" => s(&c.url),
                "createdAt" => s(&c.created_at),
                "outdated" => Out::Scalar(json!(false)),
                "replyTo" => Out::Null,
                _ => Out::Null,
            },
            (Node::Actor { login, .. }, "login") => s(login),
            (Node::Actor { login, bot }, "url") => {
                s(&if *bot { format!("https://github.com/apps/{login}") } else { format!("https://github.com/{login}") })
            }
            (Node::RateLimit, "cost") => Out::Scalar(json!(1)),
            (Node::RateLimit, "limit") => Out::Scalar(json!(5000)),
            (Node::RateLimit, "remaining") => Out::Scalar(json!(4999)),
            (Node::RateLimit, "used") => Out::Scalar(json!(1)),
            (Node::RateLimit, "nodeCount") => Out::Scalar(json!(0)),
            (Node::RateLimit, "resetAt") => s("2030-01-01T00:00:00Z"),
            (Node::Payload(t), "thread") => t.clone().map_or(Out::Null, |t| Out::One(Node::Thread(t))),
            (Node::Payload(_), "clientMutationId") => Out::Null,
            _ => Out::Null,
        })
    }

    fn included(&self, directives: &[Directive]) -> bool {
        directives.iter().all(|d| {
            let v = d.args.first().map(|a| literal_to_json(&a.value, &self.vars)).and_then(|v| v.as_bool()).unwrap_or(true);
            if d.name == "skip" { !v } else { v }
        })
    }

    fn select(&mut self, node: &Node, sels: &[Selection], path: &[Value], out: &mut Map<String, Value>) {
        for sel in sels {
            match sel {
                Selection::Spread { .. } => {}
                Selection::Inline { on, directives, selections, .. } => {
                    if !self.included(directives) {
                        continue;
                    }
                    let applies = match on.as_deref() {
                        None => true,
                        Some(cond) => cond == node.type_name() || possible_types(cond).is_some_and(|p| p.contains(&node.type_name())),
                    };
                    if applies {
                        self.select(node, selections, path, out);
                    }
                }
                Selection::Field(field) => {
                    if !self.included(&field.directives) {
                        continue;
                    }
                    let key = field.key().to_string();
                    let mut p = path.to_vec();
                    p.push(json!(key));
                    if field.name == "__typename" {
                        out.insert(key, json!(node.type_name()));
                        continue;
                    }
                    let args: Map<String, Value> = field.args.iter().map(|a| (a.name.clone(), literal_to_json(&a.value, &self.vars))).collect();
                    let value = match self.resolve(node, &field.name, &args) {
                        Err(e) => {
                            self.errors.push(json!({ "type": e.kind, "path": p, "locations": [{ "line": field.line, "column": field.col }], "message": e.message }));
                            Value::Null
                        }
                        Ok(Out::Null) => Value::Null,
                        Ok(Out::Scalar(v)) => v,
                        Ok(Out::One(child)) => {
                            let mut m = match out.remove(&key) {
                                Some(Value::Object(m)) => m,
                                _ => Map::new(),
                            };
                            self.select(&child, field.selections.as_deref().unwrap_or(&[]), &p, &mut m);
                            Value::Object(m)
                        }
                        Ok(Out::Many(children)) => Value::Array(
                            children
                                .iter()
                                .enumerate()
                                .map(|(i, child)| {
                                    let mut m = Map::new();
                                    let mut ip = p.clone();
                                    ip.push(json!(i));
                                    self.select(child, field.selections.as_deref().unwrap_or(&[]), &ip, &mut m);
                                    Value::Object(m)
                                })
                                .collect(),
                        ),
                    };
                    out.insert(key, value);
                }
            }
        }
    }
}

/// A GitHub-looking global node id (`PRRT_kwDO…`).
pub fn node_id(prefix: &str, key: &str) -> String {
    format!("{prefix}_kwDO{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key))
}

/// Runs one `POST /graphql` body against `data`; returns the status and the JSON answer.
pub fn execute<D: GraphQlData>(data: &mut D, body: &Value, opts: &GraphQlOptions) -> (u16, Value) {
    let Some(query) = body.get("query").and_then(Value::as_str) else {
        return (200, json!({ "errors": [{ "message": "A query attribute must be specified and must be a string." }] }));
    };
    let vars = match body.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return (200, json!({ "errors": [{ "message": format!("Variables are invalid JSON: {other} is not an object.") }] }));
        }
    };
    let toks = match lex(query) {
        Ok(t) => t,
        Err(e) => {
            return (200, json!({ "errors": [{ "message": e.message, "locations": [{ "line": e.line, "column": e.col }] }] }));
        }
    };
    let ops = match (Parser { toks, pos: 0 }).document() {
        Ok(ops) => ops,
        Err(e) => {
            return (200, json!({ "errors": [{ "message": e.message, "locations": [{ "line": e.line, "column": e.col }] }] }));
        }
    };
    let op = match body.get("operationName").and_then(Value::as_str) {
        Some(name) => match ops.iter().find(|o| o.name.as_deref() == Some(name)) {
            Some(op) => op,
            None => {
                return (200, json!({ "errors": [{ "message": format!("No operation named \"{name}\"") }] }));
            }
        },
        None if ops.len() == 1 => &ops[0],
        None => {
            return (200, json!({ "errors": [{ "message": "An operation name is required" }] }));
        }
    };
    let root = if op.mutation { "Mutation" } else { "Query" };
    let kind = if op.mutation { "mutation" } else { "query" };
    let op_name = match &op.name {
        Some(n) => format!("{kind} '{n}'"),
        None => format!("anonymous {kind}"),
    };
    let root_path = vec![match &op.name {
        Some(n) => format!("{kind} {n}"),
        None => kind.to_string(),
    }];
    let mut ctx = Ctx { errors: Vec::new(), op_name: op_name.clone(), vars: &op.vars, used: BTreeSet::new() };
    for d in &op.vars {
        if !is_type(d.ty.named()) {
            ctx.errors.push(gql_error(
                format!("{} isn't a defined input type (on ${})", d.ty.named(), d.name),
                d.line,
                d.col,
                &root_path,
                json!({ "code": "variableRequiresValidType", "typeName": d.ty.named(), "variableName": d.name }),
            ));
        }
    }
    let mut fields = 0usize;
    validate_selections(root, &op.selections, &root_path, &mut ctx, &mut fields);
    let declared: Vec<(String, usize, usize)> = op.vars.iter().map(|d| (d.name.clone(), d.line, d.col)).collect();
    for (name, line, col) in declared {
        if !ctx.used.contains(&name) {
            ctx.errors.push(gql_error(
                format!("Variable ${name} is declared by {op_name} but not used"),
                line,
                col,
                &root_path,
                json!({ "code": "variableNotUsed", "variableName": name }),
            ));
        }
    }
    if !ctx.errors.is_empty() {
        return (200, json!({ "errors": ctx.errors }));
    }
    // Variable values.
    let mut values = Map::new();
    let mut var_errors = Vec::new();
    for d in &op.vars {
        let given = vars.get(&d.name).cloned().or_else(|| d.default.as_ref().map(|v| literal_to_json(v, &Map::new())));
        let v = given.unwrap_or(Value::Null);
        if let Err(why) = coerce_json(&v, &d.ty) {
            var_errors.push(json!({
                "extensions": { "value": v, "problems": [{ "path": [], "explanation": why }] },
                "locations": [{ "line": d.line, "column": d.col }],
                "message": format!("Variable ${} of type {} was provided invalid value", d.name, d.ty.show()),
            }));
        }
        values.insert(d.name.clone(), v);
    }
    if !var_errors.is_empty() {
        return (200, json!({ "errors": var_errors }));
    }
    let mut limit_errors = Vec::new();
    let nodes = count_nodes(root, &op.selections, &values, 1, &[], &mut limit_errors);
    if !limit_errors.is_empty() {
        return (200, json!({ "errors": limit_errors }));
    }
    if nodes > NODE_LIMIT {
        return (
            200,
            json!({ "errors": [{ "type": "MAX_NODE_LIMIT_EXCEEDED", "message": format!("This query requests up to {} possible nodes which exceeds the maximum limit of {}.", group_thousands(nodes), group_thousands(NODE_LIMIT)) }] }),
        );
    }
    if fields > opts.max_fields {
        return (
            200,
            json!({ "data": null, "errors": [{ "type": "RESOURCE_LIMITS_EXCEEDED", "message": format!("Resource limits for this query exceeded: it selects {fields} fields.") }] }),
        );
    }
    let mut exec = Exec { data, opts, vars: values, errors: Vec::new() };
    let mut data_out = Map::new();
    let root_node = if op.mutation { Node::Mutation } else { Node::Query };
    exec.select(&root_node, &op.selections, &[], &mut data_out);
    let mut answer = json!({ "data": data_out });
    if !exec.errors.is_empty() {
        answer["errors"] = Value::Array(exec.errors);
    }
    if answer.to_string().len() > opts.max_response_bytes {
        // GitHub ends requests it cannot answer within 10 s with a 502.
        return (
            502,
            json!({ "message": "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists." }),
        );
    }
    (200, answer)
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Threads of a PR with their comments, grouped from REST review comments: a
/// thread starts with a comment that replies to nothing; replies join it.
pub fn group_threads<I: IntoIterator<Item = (u64, Option<u64>, ThreadComment, Option<u32>, Option<u32>, Option<u32>, String)>>(
    comments: I,
    resolved: &HashMap<String, String>,
    id_of: impl Fn(u64) -> String,
) -> Vec<ThreadData> {
    let mut threads: Vec<ThreadData> = Vec::new();
    let mut by_root: HashMap<u64, usize> = HashMap::new();
    for (id, reply_to, comment, line, original_line, start_line, side) in comments {
        match reply_to.and_then(|r| by_root.get(&r).copied()) {
            Some(t) => {
                by_root.insert(id, t);
                threads[t].comments.push(comment);
            }
            None => {
                let thread_id = id_of(id);
                by_root.insert(id, threads.len());
                threads.push(ThreadData {
                    is_resolved: resolved.contains_key(&thread_id),
                    resolved_by: resolved.get(&thread_id).cloned(),
                    id: thread_id,
                    is_outdated: line.is_none(),
                    path: comment.path.clone(),
                    line,
                    original_line,
                    start_line,
                    diff_side: side,
                    comments: vec![comment],
                });
            }
        }
    }
    threads
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World {
        blobs: HashMap<String, Vec<u8>>,
        threads: Vec<ThreadData>,
    }

    impl GraphQlData for World {
        fn repository_exists(&self, owner: &str, name: &str) -> bool {
            owner == "o" && name == "r"
        }
        fn object(&self, _owner: &str, _name: &str, expression: &str) -> Option<GitObjectData> {
            self.blobs.get(expression).map(|b| GitObjectData::Blob { oid: "b".repeat(40), bytes: b.clone() })
        }
        fn review_threads(&self, _owner: &str, _name: &str, number: i64) -> Option<Vec<ThreadData>> {
            (number == 1).then(|| self.threads.clone())
        }
        fn set_thread_resolved(&mut self, id: &str, resolved: bool) -> Option<ThreadData> {
            let t = self.threads.iter_mut().find(|t| t.id == id)?;
            t.is_resolved = resolved;
            Some(t.clone())
        }
    }

    fn world() -> World {
        let thread = |i: usize| ThreadData {
            id: format!("T{i}"),
            is_resolved: false,
            is_outdated: false,
            path: "a.rs".into(),
            line: Some(3),
            original_line: Some(3),
            start_line: None,
            diff_side: "RIGHT".into(),
            resolved_by: None,
            comments: vec![ThreadComment {
                database_id: i as u64,
                author_login: "argusai[bot]".into(),
                author_is_bot: true,
                body: "b".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                path: "a.rs".into(),
                reply_to: None,
                url: "u".into(),
            }],
        };
        World {
            blobs: HashMap::from([("h:a \"q\".rs".to_string(), b"fn a() {}\n".to_vec()), ("h:bin".to_string(), vec![0, 1, 2])]),
            threads: (0..3).map(thread).collect(),
        }
    }

    fn run(query: &str, vars: Value) -> (u16, Value) {
        execute(&mut world(), &json!({ "query": query, "variables": vars }), &GraphQlOptions::default())
    }

    #[test]
    fn blobs_by_variable_expression_with_hostile_paths() {
        let (status, v) = run(
            r#"query($e: String!, $b: String!) { repository(owner: "o", name: "r") { a0: object(expression: $e) { __typename ... on Blob { text byteSize isBinary } } a1: object(expression: $b) { ... on Blob { text isBinary } } a2: object(expression: "h:none") { oid } } }"#,
            json!({ "e": "h:a \"q\".rs", "b": "h:bin" }),
        );
        assert_eq!(status, 200);
        assert_eq!(v["data"]["repository"]["a0"], json!({ "__typename": "Blob", "text": "fn a() {}\n", "byteSize": 10, "isBinary": false }));
        assert_eq!(v["data"]["repository"]["a1"], json!({ "text": null, "isBinary": true }));
        assert_eq!(v["data"]["repository"]["a2"], Value::Null, "nothing there: null, no error");
        assert!(v.get("errors").is_none(), "{v}");
    }

    #[test]
    fn mistakes_are_answered_like_github() {
        let cases: &[(&str, Value, &str)] = &[
            (r#"{ repository(owner: "o", name: "r") { nope } }"#, json!({}), "Field 'nope' doesn't exist on type 'Repository'"),
            (r#"{ repository(owner: "o", name: "r", color: "x") { name } }"#, json!({}), "Field 'repository' doesn't accept argument 'color'"),
            (r#"{ repository(owner: "o") { name } }"#, json!({}), "Field 'repository' is missing required arguments: name"),
            (
                r#"{ repository(owner: "o", name: "r") { object(expression: "x") { ... on Blobby { text } } } }"#,
                json!({}),
                "No such type Blobby, so it can't be a fragment condition",
            ),
            (r#"{ repository(owner: "o", name: "r") { ... on Blob { text } } }"#, json!({}), "Fragment on Blob can't be spread inside Repository"),
            (
                r#"{ repository(owner: "o", name: "r") }"#,
                json!({}),
                "Field 'repository' returns Repository but has no selections. Did you mean 'repository { ... }'?",
            ),
            (
                r#"{ repository(owner: "o", name: "r") { name { x } } }"#,
                json!({}),
                "Selections can't be made on scalars (field 'name' returns String but has selections [x])",
            ),
            (r#"{ repository(owner: $o, name: "r") { name } }"#, json!({}), "Variable $o is used by anonymous query but not declared"),
            (
                r#"query($o: String!, $x: Int) { repository(owner: $o, name: "r") { name } }"#,
                json!({ "o": "o" }),
                "Variable $x is declared by anonymous query but not used",
            ),
            (
                r#"query($n: String!) { repository(owner: "o", name: "r") { pullRequest(number: $n) { id } } }"#,
                json!({ "n": "1" }),
                "Type mismatch on variable $n and argument number (String! / Int!)",
            ),
            (
                r#"{ repository(owner: "o", name: "r") { pullRequest(number: "1") { id } } }"#,
                json!({}),
                "Argument 'number' on Field 'pullRequest' has an invalid value (\"1\"). Expected type 'Int!'.",
            ),
            (
                r#"query($o: String!) { repository(owner: $o, name: "r") { name } }"#,
                json!({}),
                "Variable $o of type String! was provided invalid value",
            ),
            (r#"{ repository(owner: "o", name: "r") { name }"#, json!({}), "Unexpected end of document"),
            (r#"{ repository(owner: "o", name: "r") { } }"#, json!({}), "Parse error on \"}\" (RCURLY) at [1, 39]"),
            (
                r#"{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads { totalCount } } } }"#,
                json!({}),
                "You must provide a `first` or `last` value to properly paginate the `reviewThreads` connection.",
            ),
            (
                r#"{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 101) { totalCount } } } }"#,
                json!({}),
                "Requesting 101 records on the `reviewThreads` connection exceeds the `first` limit of 100 records.",
            ),
        ];
        for (query, vars, want) in cases {
            let (status, v) = run(query, vars.clone());
            assert_eq!(status, 200, "{query}");
            assert!(v.get("data").is_none() || v["data"].is_null(), "{query}: {v}");
            let messages: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
            assert!(messages.contains(want), "{query}: {messages:?}");
        }
        let (_, v) = run(r#"{ repository(owner: "o", name: "r") { nope } }"#, json!({}));
        assert_eq!(
            v["errors"][0],
            json!({ "path": ["query", "repository", "nope"], "extensions": { "code": "undefinedField", "typeName": "Repository", "fieldName": "nope" }, "locations": [{ "line": 1, "column": 39 }], "message": "Field 'nope' doesn't exist on type 'Repository'" })
        );
    }

    #[test]
    fn missing_repository_and_pull_request_are_null_with_not_found() {
        let (_, v) = run(
            r#"{ r1: repository(owner: "o", name: "gone") { name } r2: repository(owner: "o", name: "r") { pullRequest(number: 9) { id } } }"#,
            json!({}),
        );
        assert_eq!(v["data"], json!({ "r1": null, "r2": { "pullRequest": null } }));
        assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
        assert_eq!(v["errors"][0]["path"], json!(["r1"]));
        assert_eq!(v["errors"][0]["message"], "Could not resolve to a Repository with the name 'o/gone'.");
        assert_eq!(v["errors"][1]["path"], json!(["r2", "pullRequest"]));
    }

    #[test]
    fn node_limit_and_field_budget() {
        // 100 × 100 × 100 = 1,000,000 comments, over GitHub's 500,000.
        let q = r#"{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 100) { nodes { comments(first: 100) { nodes { body } } } } } } }"#;
        let (_, v) = run(q, json!({}));
        assert!(v.get("errors").is_none(), "10,100 nodes are fine: {v}");
        // 100 aliases × (100 threads + 100 × 100 comments) = 1,010,000 nodes.
        let prs: String = (0..100)
            .map(|i| {
                format!(" p{i}: pullRequest(number: 1) {{ reviewThreads(first: 100) {{ nodes {{ comments(first: 100) {{ nodes {{ body }} }} }} }} }}")
            })
            .collect();
        let (_, v) = run(&format!("{{ repository(owner: \"o\", name: \"r\") {{{prs} }} }}"), json!({}));
        assert_eq!(
            v,
            json!({ "errors": [{ "type": "MAX_NODE_LIMIT_EXCEEDED", "message": "This query requests up to 1,010,000 possible nodes which exceeds the maximum limit of 500,000." }] })
        );
        let aliases: String = (0..6000).map(|i| format!(" a{i}: object(expression: \"h:x\") {{ oid }}")).collect();
        let (_, v) = run(&format!("{{ repository(owner: \"o\", name: \"r\") {{{aliases} }} }}"), json!({}));
        assert_eq!(v["errors"][0]["type"], "RESOURCE_LIMITS_EXCEEDED", "{}", v["errors"]);
    }

    #[test]
    fn threads_paginate_and_resolve() {
        let mut w = world();
        let q = r#"query($after: String) { repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id isResolved comments(first: 50) { nodes { databaseId author { __typename login } } } } } } } }"#;
        let (_, v) = execute(&mut w, &json!({ "query": q }), &GraphQlOptions::default());
        let conn = &v["data"]["repository"]["pullRequest"]["reviewThreads"];
        assert_eq!(conn["totalCount"], 3);
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        assert_eq!(conn["nodes"][0]["comments"]["nodes"][0]["author"], json!({ "__typename": "Bot", "login": "argusai" }));
        let (_, v2) = execute(&mut w, &json!({ "query": q, "variables": { "after": conn["pageInfo"]["endCursor"] } }), &GraphQlOptions::default());
        let conn2 = &v2["data"]["repository"]["pullRequest"]["reviewThreads"];
        assert_eq!(conn2["nodes"].as_array().unwrap().len(), 1);
        assert_eq!(conn2["nodes"][0]["id"], "T2");
        assert_eq!(conn2["pageInfo"]["hasNextPage"], false);
        let m = r#"mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }"#;
        let (_, r) = execute(&mut w, &json!({ "query": m, "variables": { "id": "T1" } }), &GraphQlOptions::default());
        assert_eq!(r["data"]["resolveReviewThread"]["thread"], json!({ "id": "T1", "isResolved": true }));
        assert!(w.threads[1].is_resolved);
        let (_, r) = execute(&mut w, &json!({ "query": m, "variables": { "id": "nope" } }), &GraphQlOptions::default());
        assert_eq!(r["data"]["resolveReviewThread"], Value::Null);
        assert_eq!(r["errors"][0]["type"], "NOT_FOUND");
        // An ID must be declared as ID!, not String!.
        let wrong = r#"mutation($id: String!) { resolveReviewThread(input: {threadId: $id}) { thread { id } } }"#;
        let (_, r) = execute(&mut w, &json!({ "query": wrong, "variables": { "id": "T1" } }), &GraphQlOptions::default());
        assert_eq!(r["errors"][0]["extensions"]["code"], "variableMismatch", "{r}");
    }

    #[test]
    fn strings_lex_escapes_and_unicode() {
        let toks = lex(r#""a\"b\\c\u00e9\ud83d\ude00" """ block "x" """"#).unwrap();
        assert_eq!(toks[0].tok, Tok::Str("a\"b\\cé😀".into()));
        // A one-line block string keeps its spaces; indentation is only stripped from later lines.
        assert_eq!(toks[1].tok, Tok::Str(" block \"x\" ".into()));
        assert_eq!(lex("\"\"\"\n    a\n      b\n  \"\"\"").unwrap()[0].tok, Tok::Str("a\n  b".into()));
        assert!(lex("\"open").is_err());
        assert!(lex("€").is_err());
    }

    proptest::proptest! {
        /// Any text never panics the engine.
        #[test]
        fn never_panics(q in "\\PC{0,200}") {
            let _ = execute(&mut world(), &json!({ "query": q }), &GraphQlOptions::default());
        }
    }
}
