//! Path globs with globset's syntax and meaning, matched without a regex engine.
//!
//! `.github/argusai.toml`'s `include`, `ignore`, `path_instructions`,
//! `skip_base_branches` and `[[learnings]]` scopes, and the diff engine's
//! default ignores, are globs in the syntax of the `globset` crate (what
//! ripgrep and most Rust tools accept):
//!
//! | syntax | matches |
//! |---|---|
//! | `?` | one byte (not `/` with [`GlobBuilder::literal_separator`]) |
//! | `*` | any run of bytes (not crossing `/` with `literal_separator`) |
//! | `**/x` | `x` at any depth |
//! | `x/**` | everything beneath `x/` |
//! | `x/**/y` | `x/y`, `x/a/y`, `x/a/b/y`, … |
//! | `[ab]`, `[a-z]`, `[!ab]`, `[^ab]`, `[[:digit:]]` | one byte of (not of) the class |
//! | `{a,b}` | `a` or `b` (nested up to 100 deep) |
//! | `\*` | a literal `*` |
//!
//! globset turns each glob into a regex for the `regex-automata` crate, which
//! with `regex-syntax` was 8 % of the Worker's code for a handful of short
//! patterns. Here a glob compiles to a small byte automaton (a Thompson NFA run
//! by set simulation: linear in the path, no backtracking), behind a literal
//! prefix and suffix check that rejects most paths without running it.
//!
//! The tokens and their meaning follow globset 0.4 exactly (the same
//! `**` placement rules, `(?-u)` byte semantics, ASCII-only case folding,
//! empty alternatives dropped), and a property test compares every match
//! with globset itself.

use std::fmt;

/// Why a glob does not parse. `Display` gives globset's wording, which the
/// configuration's problems quote to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    UnclosedClass,
    InvalidRange(char, char),
    UnopenedAlternates,
    UnclosedAlternates,
    TooManyNestedAlternates,
    DanglingEscape,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedClass => f.write_str("unclosed character class; missing ']'"),
            Self::InvalidRange(s, e) => write!(f, "invalid range; '{s}' > '{e}'"),
            Self::UnopenedAlternates => f.write_str("unopened alternate group; missing '{' (maybe escape '}' with '[}]'?)"),
            Self::UnclosedAlternates => f.write_str("unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)"),
            Self::TooManyNestedAlternates => f.write_str("alternate groups nested too deeply"),
            Self::DanglingEscape => f.write_str("dangling '\\'"),
        }
    }
}

/// A glob that does not parse, with the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    glob: String,
    kind: ErrorKind,
}

impl Error {
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub fn glob(&self) -> &str {
        &self.glob
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing glob '{}': {}", self.glob, self.kind)
    }
}

impl std::error::Error for Error {}

/// Alternate groups nest at most this deep (globset's bound), which also bounds
/// the compiler's recursion.
const MAX_ALTERNATES_DEPTH: usize = 100;

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Literal(char),
    /// `?`
    Any,
    /// `*`
    ZeroOrMore,
    /// `**/` at the start of a pattern or branch: `(?:/?|.*/)`.
    RecursivePrefix,
    /// `/**` at the end: `/.*`.
    RecursiveSuffix,
    /// `/**/`: `(?:/|/.*/)`.
    RecursiveZeroOrMore,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Alternates(Vec<Vec<Token>>),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Options {
    literal_separator: bool,
    case_insensitive: bool,
}

/// Builds a [`Glob`] with options, as globset's builder does.
#[derive(Clone, Debug)]
pub struct GlobBuilder<'a> {
    pattern: &'a str,
    opts: Options,
}

impl<'a> GlobBuilder<'a> {
    pub fn new(pattern: &'a str) -> Self {
        Self { pattern, opts: Options::default() }
    }

    /// `*` and `?` never match `/` (as in .gitignore). Off by default.
    pub fn literal_separator(&mut self, yes: bool) -> &mut Self {
        self.opts.literal_separator = yes;
        self
    }

    /// ASCII letters match either case. Off by default.
    pub fn case_insensitive(&mut self, yes: bool) -> &mut Self {
        self.opts.case_insensitive = yes;
        self
    }

    pub fn build(&self) -> Result<Glob, Error> {
        let tokens = Parser::new(self.pattern).parse()?;
        let error = |kind| Error { glob: self.pattern.to_string(), kind };
        let prog = Compiler::compile(&tokens, self.opts).map_err(error)?;
        let (prefix, suffix) = literal_ends(&tokens);
        // Case-insensitive globs (few, and with literal ends) skip the substring check.
        let inner = if self.opts.case_insensitive { String::new() } else { longest_literal(&tokens) };
        let closures = closures(&prog);
        Ok(Glob { pattern: self.pattern.to_string(), prog, closures, prefix, suffix, inner, case_insensitive: self.opts.case_insensitive })
    }
}

/// A compiled glob, matched against a whole path.
#[derive(Clone)]
pub struct Glob {
    pattern: String,
    prog: Vec<Inst>,
    /// For a program of at most 128 instructions (any glob a person writes),
    /// each instruction's epsilon closure as a bit set, so a match runs on two
    /// words of state without allocating. Empty for longer programs.
    closures: Vec<u128>,
    /// Bytes every match starts with / ends with (the pattern's literal ends).
    prefix: Vec<u8>,
    suffix: Vec<u8>,
    /// The longest literal run every match contains (`vendor` of `**/vendor/**`).
    inner: String,
    case_insensitive: bool,
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Glob").field(&self.pattern).finish()
    }
}

impl Glob {
    /// A glob with the default options (`*` crosses `/`, case-sensitive).
    pub fn new(pattern: &str) -> Result<Self, Error> {
        GlobBuilder::new(pattern).build()
    }

    /// The pattern as written.
    pub fn glob(&self) -> &str {
        &self.pattern
    }

    pub fn is_match(&self, path: &str) -> bool {
        let s = path.as_bytes();
        // Byte loops, the suffix compared from its end: a set tries every glob
        // on every path, and most differ in the last byte (a call to memcmp
        // per glob cost more than the match).
        let same = |a: &u8, b: &u8| a == b || (self.case_insensitive && a.eq_ignore_ascii_case(b));
        if s.len() < self.prefix.len().max(self.suffix.len())
            || !s.iter().zip(&self.prefix).all(|(a, b)| same(a, b))
            || !s.iter().rev().zip(self.suffix.iter().rev()).all(|(a, b)| same(a, b))
            || !path.contains(self.inner.as_str())
        {
            return false;
        }
        if self.closures.is_empty() { run(&self.prog, s) } else { run_small(&self.prog, &self.closures, s) }
    }
}

/// A path glob as `.github/argusai.toml` reads one (`include`, `ignore`,
/// `path_instructions`, learnings' scopes): `*` and `?` stay within one
/// directory, like .gitignore, and a pattern without `/` matches at any depth
/// (`*.snap` is `**/*.snap`).
pub fn path_glob(pattern: &str) -> Result<Glob, Error> {
    if pattern.contains('/') {
        GlobBuilder::new(pattern).literal_separator(true).build()
    } else {
        GlobBuilder::new(&format!("**/{pattern}")).literal_separator(true).build()
    }
}

/// Several globs, matched together; indices are in the order given.
#[derive(Clone, Debug, Default)]
pub struct GlobSet {
    globs: Vec<Glob>,
}

impl GlobSet {
    pub fn new(globs: impl IntoIterator<Item = Glob>) -> Self {
        Self { globs: globs.into_iter().collect() }
    }

    pub fn empty() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.globs.len()
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.globs.iter().any(|g| g.is_match(path))
    }

    /// The index of the first glob that matches.
    pub fn first_match(&self, path: &str) -> Option<usize> {
        self.globs.iter().position(|g| g.is_match(path))
    }

    /// Every matching glob's index, ascending.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        self.globs.iter().enumerate().filter(|(_, g)| g.is_match(path)).map(|(i, _)| i).collect()
    }
}

struct Parser<'a> {
    glob: &'a str,
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    prev: Option<char>,
    cur: Option<char>,
    /// Where each open `{` group's branches start in `branches`.
    open: Vec<usize>,
    /// The branches being parsed; tokens go to the last one.
    branches: Vec<Vec<Token>>,
}

fn is_separator(c: char) -> bool {
    c == '/'
}

impl<'a> Parser<'a> {
    fn new(glob: &'a str) -> Self {
        Self { glob, chars: glob.chars().peekable(), prev: None, cur: None, open: Vec::new(), branches: vec![Vec::new()] }
    }

    fn error(&self, kind: ErrorKind) -> Error {
        Error { glob: self.glob.to_string(), kind }
    }

    fn bump(&mut self) -> Option<char> {
        self.prev = self.cur;
        self.cur = self.chars.next();
        self.cur
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn parse(mut self) -> Result<Vec<Token>, Error> {
        while let Some(c) = self.bump() {
            match c {
                '?' => self.push(Token::Any),
                '*' => self.star()?,
                '[' => self.class()?,
                '{' => {
                    if self.open.len() >= MAX_ALTERNATES_DEPTH {
                        return Err(self.error(ErrorKind::TooManyNestedAlternates));
                    }
                    self.open.push(self.branches.len());
                    self.branches.push(Vec::new());
                }
                '}' => {
                    let Some(start) = self.open.pop() else { return Err(self.error(ErrorKind::UnopenedAlternates)) };
                    let alternates = self.branches.split_off(start);
                    if self.branches.is_empty() {
                        return Err(self.error(ErrorKind::UnopenedAlternates));
                    }
                    self.push(Token::Alternates(alternates));
                }
                ',' if !self.open.is_empty() => self.branches.push(Vec::new()),
                '\\' => match self.bump() {
                    Some(c) => self.push(Token::Literal(c)),
                    None => return Err(self.error(ErrorKind::DanglingEscape)),
                },
                c => self.push(Token::Literal(c)),
            }
        }
        if self.branches.len() > 1 {
            return Err(self.error(ErrorKind::UnclosedAlternates));
        }
        Ok(self.branches.pop().unwrap_or_default())
    }

    fn push(&mut self, token: Token) {
        if let Some(branch) = self.branches.last_mut() {
            branch.push(token);
        }
    }

    fn branch(&mut self) -> &mut Vec<Token> {
        // `branches` starts with one and `}` never empties it.
        self.branches.last_mut().expect("a branch is open")
    }

    /// `*` or `**`: a `**` is recursive only as a whole path component
    /// (at the start or after `/`, and at the end or before `/`); anywhere
    /// else it is two `*`.
    fn star(&mut self) -> Result<(), Error> {
        let prev = self.prev;
        if self.peek() != Some('*') {
            self.push(Token::ZeroOrMore);
            return Ok(());
        }
        self.bump();
        if self.branch().is_empty() {
            if self.peek().is_some_and(|c| !is_separator(c)) {
                self.push(Token::ZeroOrMore);
                self.push(Token::ZeroOrMore);
            } else {
                self.push(Token::RecursivePrefix);
                self.bump();
            }
            return Ok(());
        }
        // After the first branch token, `**` follows `/` (or starts a branch of a group).
        if !prev.is_some_and(is_separator) && (self.branches.len() <= 1 || (prev != Some(',') && prev != Some('{'))) {
            self.push(Token::ZeroOrMore);
            self.push(Token::ZeroOrMore);
            return Ok(());
        }
        let is_suffix = match self.peek() {
            None => true,
            Some(',' | '}') if self.branches.len() >= 2 => true,
            Some(c) if is_separator(c) => {
                self.bump();
                false
            }
            Some(_) => {
                self.push(Token::ZeroOrMore);
                self.push(Token::ZeroOrMore);
                return Ok(());
            }
        };
        // The `/` before it becomes part of the recursive token.
        let last = self.branch().pop();
        let token = match last {
            Some(t @ (Token::RecursivePrefix | Token::RecursiveSuffix)) => t,
            _ if is_suffix => Token::RecursiveSuffix,
            _ => Token::RecursiveZeroOrMore,
        };
        self.push(token);
        Ok(())
    }

    fn class(&mut self) -> Result<(), Error> {
        let negated = matches!(self.peek(), Some('!' | '^'));
        if negated {
            self.bump();
        }
        let mut ranges: Vec<(char, char)> = Vec::new();
        let (mut first, mut in_range) = (true, false);
        let extend = |glob: &str, r: &mut (char, char), c: char| {
            r.1 = c;
            if r.1 < r.0 { Err(Error { glob: glob.to_string(), kind: ErrorKind::InvalidRange(r.0, r.1) }) } else { Ok(()) }
        };
        loop {
            let Some(c) = self.bump() else { return Err(self.error(ErrorKind::UnclosedClass)) };
            match c {
                ']' if !first => break,
                '-' if !first => {
                    if in_range {
                        let r = ranges.last_mut().expect("a range has a start");
                        extend(self.glob, r, '-')?;
                        in_range = false;
                    } else {
                        in_range = true;
                    }
                }
                '[' if !in_range && self.peek() == Some(':') => match self.posix_class() {
                    Some(class) => ranges.extend_from_slice(class),
                    None => ranges.push(('[', '[')),
                },
                c => {
                    if in_range && !first {
                        let r = ranges.last_mut().expect("a range has a start");
                        extend(self.glob, r, c)?;
                    } else {
                        ranges.push((c, c));
                    }
                    in_range = false;
                }
            }
            first = false;
        }
        if in_range {
            ranges.push(('-', '-'));
        }
        self.push(Token::Class { negated, ranges });
        Ok(())
    }

    /// `[:name:]` inside a class, or `None` when it is not one. As in globset,
    /// a well-formed but unknown `[:name:]` is consumed (the class keeps only
    /// its `[`); anything else is read again as class members.
    fn posix_class(&mut self) -> Option<&'static [(char, char)]> {
        let saved = (self.chars.clone(), self.prev, self.cur);
        self.bump();
        let mut name = String::new();
        loop {
            match self.bump() {
                Some(':') if self.peek() == Some(']') => {
                    self.bump();
                    return posix_ranges(&name);
                }
                Some(c) if c.is_ascii_lowercase() && name.len() < 8 => name.push(c),
                _ => {
                    (self.chars, self.prev, self.cur) = saved;
                    return None;
                }
            }
        }
    }
}

fn posix_ranges(name: &str) -> Option<&'static [(char, char)]> {
    Some(match name {
        "alnum" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => &[('A', 'Z'), ('a', 'z')],
        "blank" => &[('\t', '\t'), (' ', ' ')],
        "cntrl" => &[('\x00', '\x1f'), ('\x7f', '\x7f')],
        "digit" => &[('0', '9')],
        "graph" => &[('!', '~')],
        "lower" => &[('a', 'z')],
        "print" => &[(' ', '~')],
        "punct" => &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => &[('\t', '\r'), (' ', ' ')],
        "upper" => &[('A', 'Z')],
        "xdigit" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    })
}

/// The literal bytes every match starts and ends with.
fn literal_ends(tokens: &[Token]) -> (Vec<u8>, Vec<u8>) {
    let literal = |t: &Token| if let Token::Literal(c) = t { Some(*c) } else { None };
    let prefix: String = tokens.iter().map_while(literal).collect();
    let mut suffix: Vec<char> = tokens.iter().rev().map_while(literal).collect();
    suffix.reverse();
    // `**` alone matches everything: no literal ends.
    (prefix.into_bytes(), suffix.into_iter().collect::<String>().into_bytes())
}

/// The longest run of literal tokens outside groups: every match contains it.
fn longest_literal(tokens: &[Token]) -> String {
    let mut best = String::new();
    let mut run = String::new();
    for t in tokens {
        if let Token::Literal(c) = t {
            run.push(*c);
            if run.len() > best.len() {
                best.clone_from(&run);
            }
        } else {
            run.clear();
        }
    }
    best
}

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Bytes([u64; 4]);

impl Bytes {
    const ALL: Self = Self([u64::MAX; 4]);

    fn one(b: u8) -> Self {
        let mut s = Self::default();
        s.add(b);
        s
    }

    fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn add_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    fn without(mut self, b: u8) -> Self {
        self.0[usize::from(b >> 6)] &= !(1 << (b & 63));
        self
    }

    fn negated(self) -> Self {
        Self(self.0.map(|w| !w))
    }

    /// Adds the other case of every ASCII letter (regex's `(?i)` without Unicode).
    fn fold_case(mut self) -> Self {
        for b in (b'A'..=b'Z').chain(b'a'..=b'z') {
            if self.has(b) {
                self.add(b ^ 0x20);
            }
        }
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inst {
    /// Consume one byte of the set.
    Byte(Bytes),
    /// Continue at both.
    Split(u32, u32),
    Jmp(u32),
    Match,
}

struct Compiler {
    prog: Vec<Inst>,
    opts: Options,
}

impl Compiler {
    fn compile(tokens: &[Token], opts: Options) -> Result<Vec<Inst>, ErrorKind> {
        let mut c = Self { prog: Vec::new(), opts };
        if tokens == [Token::RecursivePrefix] {
            // `**` alone matches every path.
            c.star(Bytes::ALL);
        } else {
            c.tokens(tokens)?;
        }
        c.prog.push(Inst::Match);
        Ok(c.prog)
    }

    fn here(&self) -> u32 {
        u32::try_from(self.prog.len()).expect("a glob's program fits in u32")
    }

    fn byte(&mut self, set: Bytes) {
        self.prog.push(Inst::Byte(set));
    }

    fn star(&mut self, set: Bytes) {
        let start = self.here();
        self.prog.push(Inst::Split(start + 1, 0));
        self.byte(set);
        self.prog.push(Inst::Jmp(start));
        self.prog[start as usize] = Inst::Split(start + 1, self.here());
    }

    /// `(?:.*/)?`, which is what globset's `(?:/?|.*/)` matches.
    fn any_dirs(&mut self) {
        let start = self.here();
        self.prog.push(Inst::Split(start + 1, 0));
        self.star(Bytes::ALL);
        self.byte(Bytes::one(b'/'));
        self.prog[start as usize] = Inst::Split(start + 1, self.here());
    }

    fn tokens(&mut self, tokens: &[Token]) -> Result<(), ErrorKind> {
        tokens.iter().try_for_each(|t| self.token(t))
    }

    fn any(&self) -> Bytes {
        if self.opts.literal_separator { Bytes::ALL.without(b'/') } else { Bytes::ALL }
    }

    fn token(&mut self, token: &Token) -> Result<(), ErrorKind> {
        match token {
            Token::Literal(c) => {
                for &b in c.encode_utf8(&mut [0; 4]).as_bytes() {
                    let set = Bytes::one(b);
                    self.byte(if self.opts.case_insensitive { set.fold_case() } else { set });
                }
            }
            Token::Any => self.byte(self.any()),
            Token::ZeroOrMore => self.star(self.any()),
            Token::RecursivePrefix => self.any_dirs(),
            Token::RecursiveSuffix => {
                self.byte(Bytes::one(b'/'));
                self.star(Bytes::ALL);
            }
            Token::RecursiveZeroOrMore => {
                self.byte(Bytes::one(b'/'));
                self.any_dirs();
            }
            Token::Class { negated, ranges } => {
                let set = class_bytes(*negated, ranges, self.opts)?;
                self.byte(set);
            }
            Token::Alternates(branches) => {
                // globset drops a branch that compiles to nothing (`{,a}` is `{a}`).
                let parts: Vec<&Vec<Token>> = branches.iter().filter(|b| !emits_nothing(b)).collect();
                let mut to_end = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    if i + 1 == parts.len() {
                        self.tokens(part)?;
                    } else {
                        let split = self.here();
                        self.prog.push(Inst::Split(split + 1, 0));
                        self.tokens(part)?;
                        to_end.push(self.prog.len());
                        self.prog.push(Inst::Jmp(0));
                        self.prog[split as usize] = Inst::Split(split + 1, self.here());
                    }
                }
                let end = self.here();
                for at in to_end {
                    self.prog[at] = Inst::Jmp(end);
                }
            }
        }
        Ok(())
    }
}

fn emits_nothing(tokens: &[Token]) -> bool {
    tokens.iter().all(|t| matches!(t, Token::Alternates(bs) if bs.iter().all(|b| emits_nothing(b))))
}

/// A class as the byte set globset's `(?-u)` regex class gives: ASCII ranges
/// as they are; a non-ASCII character as each of its UTF-8 bytes (a range
/// between non-ASCII characters joins the last byte of one to the first of the
/// other, as the regex reads it).
fn class_bytes(negated: bool, ranges: &[(char, char)], opts: Options) -> Result<Bytes, ErrorKind> {
    let mut set = Bytes::default();
    for &(start, end) in ranges {
        let (mut s, mut e) = ([0; 4], [0; 4]);
        let (s, e) = (start.encode_utf8(&mut s).as_bytes(), end.encode_utf8(&mut e).as_bytes());
        if start == end {
            s.iter().for_each(|&b| set.add(b));
            continue;
        }
        let (lo, hi) = (s[s.len() - 1], e[0]);
        if lo > hi {
            return Err(ErrorKind::InvalidRange(start, end));
        }
        s[..s.len() - 1].iter().for_each(|&b| set.add(b));
        set.add_range(lo, hi);
        e[1..].iter().for_each(|&b| set.add(b));
    }
    if opts.literal_separator && !negated {
        // `*` and `?` cannot cross a directory; neither can a class.
        set = set.without(b'/');
    }
    if opts.case_insensitive {
        set = set.fold_case();
    }
    if negated {
        set = set.negated();
        if opts.literal_separator {
            set = set.without(b'/');
        }
    }
    Ok(set)
}

/// Each instruction's epsilon closure (the `Byte` and `Match` instructions it
/// reaches without consuming input) as a bit set, for programs of at most 128
/// instructions; empty otherwise.
fn closures(prog: &[Inst]) -> Vec<u128> {
    if prog.len() > 128 {
        return Vec::new();
    }
    let mut seen = vec![0u32; prog.len()];
    let (mut live, mut stack) = (Vec::new(), Vec::new());
    (0..prog.len())
        .map(|pc| {
            live.clear();
            let generation = u32::try_from(pc + 1).expect("at most 128");
            follow(prog, generation - 1, &mut live, &mut seen, generation, &mut stack);
            live.iter().fold(0u128, |set, &pc| set | 1 << pc)
        })
        .collect()
}

/// [`run`] on bit sets: `closures` from [`closures`].
fn run_small(prog: &[Inst], closures: &[u128], s: &[u8]) -> bool {
    let mut live = closures[0];
    for &b in s {
        let mut next = 0u128;
        let mut rest = live;
        while rest != 0 {
            let pc = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if let Inst::Byte(set) = prog[pc]
                && set.has(b)
            {
                next |= closures[pc + 1];
            }
        }
        if next == 0 {
            return false;
        }
        live = next;
    }
    let last = prog.len() - 1;
    live & (1 << last) != 0
}

/// Whether `prog` matches all of `s`: the set of live instructions advanced one byte at a time.
fn run(prog: &[Inst], s: &[u8]) -> bool {
    let mut seen = vec![0u32; prog.len()];
    let mut generation = 1;
    let (mut live, mut next) = (Vec::with_capacity(prog.len()), Vec::with_capacity(prog.len()));
    let mut stack = Vec::new();
    follow(prog, 0, &mut live, &mut seen, generation, &mut stack);
    for &b in s {
        if live.is_empty() {
            return false;
        }
        generation += 1;
        next.clear();
        for &pc in &live {
            if let Inst::Byte(set) = prog[pc as usize]
                && set.has(b)
            {
                follow(prog, pc + 1, &mut next, &mut seen, generation, &mut stack);
            }
        }
        std::mem::swap(&mut live, &mut next);
    }
    live.iter().any(|&pc| prog[pc as usize] == Inst::Match)
}

/// Adds `pc` and what it reaches without consuming a byte to `live`.
fn follow(prog: &[Inst], pc: u32, live: &mut Vec<u32>, seen: &mut [u32], generation: u32, stack: &mut Vec<u32>) {
    stack.push(pc);
    while let Some(pc) = stack.pop() {
        let at = pc as usize;
        if seen[at] == generation {
            continue;
        }
        seen[at] = generation;
        match prog[at] {
            Inst::Split(a, b) => stack.extend([b, a]),
            Inst::Jmp(a) => stack.push(a),
            Inst::Byte(_) | Inst::Match => live.push(pc),
        }
    }
}

#[cfg(test)]
mod tests;
