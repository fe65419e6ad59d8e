//! File selection: which files of a diff are worth the model's tokens. Include
//! and ignore globs (`argus-glob`, globset's syntax), a default ignore set (lockfiles,
//! minified, generated, vendored, binaries, images), a cap on files per review
//! and on changed lines per file, and language detection by path. Every file
//! left out is reported with a machine-readable reason and a human sentence.

use crate::diff::{FileDiff, FileStatus};
use argus_glob::{Glob, GlobBuilder, GlobSet};
use serde::Serialize;

/// Default cap on files reviewed in one pull request. Beyond it files are
/// skipped (and listed), keeping a review within the model's rate limits.
pub const MAX_FILES_PER_REVIEW: usize = 50;

/// Default cap on changed lines in one file: a bigger change is usually
/// generated or a bulk move, and would crowd out the rest of the PR.
pub const MAX_CHANGED_LINES_PER_FILE: u32 = 2000;

/// Selection settings; a plain struct until the config system exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectConfig {
    /// When non-empty, only paths matching one of these globs are reviewed.
    pub include: Vec<String>,
    /// Paths matching one of these globs are skipped.
    pub ignore: Vec<String>,
    /// Apply [`DEFAULT_IGNORES`].
    pub default_ignores: bool,
    pub max_files: usize,
    pub max_changed_lines_per_file: u32,
}

impl Default for SelectConfig {
    fn default() -> Self {
        Self {
            include: Vec::new(),
            ignore: Vec::new(),
            default_ignores: true,
            max_files: MAX_FILES_PER_REVIEW,
            max_changed_lines_per_file: MAX_CHANGED_LINES_PER_FILE,
        }
    }
}

/// Why a default pattern is in the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoreCategory {
    Lockfile,
    Minified,
    Generated,
    Vendored,
    Binary,
    Image,
}

impl IgnoreCategory {
    fn noun(self) -> &'static str {
        match self {
            IgnoreCategory::Lockfile => "a lockfile",
            IgnoreCategory::Minified => "minified or a source map",
            IgnoreCategory::Generated => "generated code",
            IgnoreCategory::Vendored => "vendored code",
            IgnoreCategory::Binary => "a binary or archive",
            IgnoreCategory::Image => "an image or font",
        }
    }
}

/// The default ignore set: globs matched case-insensitively against the path.
pub const DEFAULT_IGNORES: &[(&str, IgnoreCategory)] = &[
    ("**/*.lock", IgnoreCategory::Lockfile),
    ("**/package-lock.json", IgnoreCategory::Lockfile),
    ("**/npm-shrinkwrap.json", IgnoreCategory::Lockfile),
    ("**/pnpm-lock.yaml", IgnoreCategory::Lockfile),
    ("**/go.sum", IgnoreCategory::Lockfile),
    ("**/bun.lockb", IgnoreCategory::Lockfile),
    ("**/*.min.{js,css,mjs}", IgnoreCategory::Minified),
    ("**/*.{js,css}.map", IgnoreCategory::Minified),
    ("**/*.pb.go", IgnoreCategory::Generated),
    ("**/*_pb2.py", IgnoreCategory::Generated),
    ("**/*_pb2_grpc.py", IgnoreCategory::Generated),
    ("**/*.generated.*", IgnoreCategory::Generated),
    ("**/*.g.dart", IgnoreCategory::Generated),
    ("**/generated/**", IgnoreCategory::Generated),
    ("**/__generated__/**", IgnoreCategory::Generated),
    ("**/dist/**", IgnoreCategory::Generated),
    ("**/vendor/**", IgnoreCategory::Vendored),
    ("**/node_modules/**", IgnoreCategory::Vendored),
    ("**/third_party/**", IgnoreCategory::Vendored),
    ("**/*.{exe,dll,so,dylib,a,o,obj,lib,class,jar,war,wasm,pyc,bin,dat}", IgnoreCategory::Binary),
    ("**/*.{zip,gz,tgz,bz2,xz,zst,7z,rar,tar}", IgnoreCategory::Binary),
    ("**/*.{pdf,doc,docx,xls,xlsx,ppt,pptx}", IgnoreCategory::Binary),
    ("**/*.{mp3,mp4,mov,avi,wav,ogg,webm}", IgnoreCategory::Binary),
    ("**/*.{png,jpg,jpeg,gif,bmp,ico,webp,tiff,svg,psd}", IgnoreCategory::Image),
    ("**/*.{woff,woff2,ttf,otf,eot}", IgnoreCategory::Image),
];

/// Why a file is not reviewed. Serialized with a `reason` tag for JSON output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    Binary,
    Deleted,
    /// Mode change, pure rename or copy, empty file: no line to review.
    NoTextChanges,
    DefaultIgnore {
        category: IgnoreCategory,
        pattern: String,
    },
    ConfigIgnore {
        pattern: String,
    },
    NotIncluded,
    TooManyChangedLines {
        changed: u32,
        max: u32,
    },
    TooManyFiles {
        max: usize,
    },
}

impl SkipReason {
    /// A sentence for the review summary.
    pub fn sentence(&self) -> String {
        match self {
            SkipReason::Binary => "binary file; no text to review".into(),
            SkipReason::Deleted => "file deleted; nothing to comment on in the new version".into(),
            SkipReason::NoTextChanges => "no changed lines (mode change, rename or copy, or empty file)".into(),
            SkipReason::DefaultIgnore { category, pattern } => {
                format!("{} (default ignore `{pattern}`)", category.noun())
            }
            SkipReason::ConfigIgnore { pattern } => format!("ignored by the configuration (`{pattern}`)"),
            SkipReason::NotIncluded => "not matched by the configuration's include patterns".into(),
            SkipReason::TooManyChangedLines { changed, max } => {
                format!("{changed} changed lines, over the limit of {max} per file")
            }
            SkipReason::TooManyFiles { max } => format!("over the limit of {max} files per review"),
        }
    }
}

/// How valuable a file's review likely is; lower sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileClass {
    Source,
    Test,
    Build,
    Config,
    Docs,
    Other,
}

impl FileClass {
    /// Classifies by path: tests by directory or name, docs and config by
    /// extension, build scripts by name.
    pub fn from_path(path: &str) -> Self {
        let lower = path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        // A directory segment equal to `d` (`d/` at the start or `/d/`
        // anywhere), without building or searching for strings.
        let dirs = lower.rsplit_once('/').map_or("", |(d, _)| d);
        let in_dir = |d: &str| !dirs.is_empty() && dirs.split('/').any(|s| s == d);
        if matches!(ext, "md" | "rst" | "adoc" | "txt") || in_dir("docs") || in_dir("doc") || name.starts_with("license") {
            return FileClass::Docs;
        }
        let stem = name.split('.').next().unwrap_or(name);
        if in_dir("tests")
            || in_dir("test")
            || in_dir("__tests__")
            || in_dir("spec")
            || in_dir("testdata")
            || stem.starts_with("test_")
            || stem.ends_with("_test")
            || stem.ends_with("_tests")
            || name.contains(".test.")
            || name.contains(".spec.")
            || stem.ends_with("test") && ext == "java"
        {
            return FileClass::Test;
        }
        if matches!(name, "makefile" | "dockerfile" | "build.rs" | "cmakelists.txt" | "build.gradle" | "meson.build")
            || in_dir(".github")
            || in_dir(".ci")
            || matches!(ext, "cmake" | "mk" | "gradle")
        {
            return FileClass::Build;
        }
        if matches!(ext, "toml" | "yaml" | "yml" | "json" | "ini" | "cfg" | "conf" | "xml" | "properties" | "lock") {
            return FileClass::Config;
        }
        if Language::from_path(path).is_some() {
            return FileClass::Source;
        }
        FileClass::Other
    }
}

/// A programming language, detected by path, for per-language review hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Go,
    Java,
    Kotlin,
    Scala,
    C,
    Cpp,
    CSharp,
    Ruby,
    Php,
    Swift,
    ObjectiveC,
    Shell,
    PowerShell,
    Sql,
    Html,
    Css,
    Lua,
    Haskell,
    Elixir,
    Erlang,
    Dart,
    Zig,
    Nix,
    Terraform,
    Dockerfile,
    Makefile,
    CMake,
    Yaml,
    Toml,
    Json,
    Markdown,
}

impl Language {
    /// Detects by file name, then by extension.
    pub fn from_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "dockerfile" | "containerfile" => return Some(Language::Dockerfile),
            "makefile" | "gnumakefile" => return Some(Language::Makefile),
            "cmakelists.txt" => return Some(Language::CMake),
            _ => {}
        }
        if lower.starts_with("dockerfile.") {
            return Some(Language::Dockerfile);
        }
        let ext = lower.rsplit_once('.')?.1;
        Some(match ext {
            "rs" => Language::Rust,
            "py" | "pyi" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "tsx" | "mts" | "cts" => Language::TypeScript,
            "go" => Language::Go,
            "java" => Language::Java,
            "kt" | "kts" => Language::Kotlin,
            "scala" | "sc" => Language::Scala,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => Language::Cpp,
            "cs" => Language::CSharp,
            "rb" => Language::Ruby,
            "php" => Language::Php,
            "swift" => Language::Swift,
            "m" | "mm" => Language::ObjectiveC,
            "sh" | "bash" | "zsh" => Language::Shell,
            "ps1" | "psm1" => Language::PowerShell,
            "sql" => Language::Sql,
            "html" | "htm" => Language::Html,
            "css" | "scss" | "sass" | "less" => Language::Css,
            "lua" => Language::Lua,
            "hs" => Language::Haskell,
            "ex" | "exs" => Language::Elixir,
            "erl" | "hrl" => Language::Erlang,
            "dart" => Language::Dart,
            "zig" => Language::Zig,
            "nix" => Language::Nix,
            "tf" | "tfvars" => Language::Terraform,
            "cmake" => Language::CMake,
            "mk" => Language::Makefile,
            "yaml" | "yml" => Language::Yaml,
            "toml" => Language::Toml,
            "json" => Language::Json,
            "md" | "markdown" => Language::Markdown,
            _ => return None,
        })
    }

    /// The language's usual name, for prompt headers.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "Rust",
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
            Language::TypeScript => "TypeScript",
            Language::Go => "Go",
            Language::Java => "Java",
            Language::Kotlin => "Kotlin",
            Language::Scala => "Scala",
            Language::C => "C",
            Language::Cpp => "C++",
            Language::CSharp => "C#",
            Language::Ruby => "Ruby",
            Language::Php => "PHP",
            Language::Swift => "Swift",
            Language::ObjectiveC => "Objective-C",
            Language::Shell => "Shell",
            Language::PowerShell => "PowerShell",
            Language::Sql => "SQL",
            Language::Html => "HTML",
            Language::Css => "CSS",
            Language::Lua => "Lua",
            Language::Haskell => "Haskell",
            Language::Elixir => "Elixir",
            Language::Erlang => "Erlang",
            Language::Dart => "Dart",
            Language::Zig => "Zig",
            Language::Nix => "Nix",
            Language::Terraform => "Terraform",
            Language::Dockerfile => "Dockerfile",
            Language::Makefile => "Makefile",
            Language::CMake => "CMake",
            Language::Yaml => "YAML",
            Language::Toml => "TOML",
            Language::Json => "JSON",
            Language::Markdown => "Markdown",
        }
    }

    /// A one-line review hint for the languages where common bug classes are
    /// well known; `None` when a generic review fits.
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Language::Rust => "unwrap/expect on fallible input, unsafe blocks, lossy `as` casts, locks held across .await",
            Language::Python => "mutable default arguments, broad except, unclosed resources, injection via f-strings in SQL/shell",
            Language::JavaScript | Language::TypeScript => "unawaited promises, == vs ===, unsanitized HTML, `any` leaking through types",
            Language::Go => "ignored errors, nil dereferences, goroutine leaks, loop variable capture, missing defer Close",
            Language::Java | Language::Kotlin | Language::Scala => "null handling, unclosed resources, equals/hashCode contracts, thread safety",
            Language::C | Language::Cpp | Language::ObjectiveC => {
                "buffer bounds, use after free, integer overflow, unchecked return values, leaks on error paths"
            }
            Language::Shell => "unquoted variables, missing `set -euo pipefail`, unsafe temp files",
            Language::Sql => "injection, missing indexes for new filters, destructive migrations",
            Language::Php | Language::Ruby => "injection, unescaped output, mass assignment",
            Language::Dockerfile => "unpinned base images, running as root, secrets in layers",
            Language::Terraform => "public exposure, missing encryption, overly broad IAM",
            _ => return None,
        })
    }
}

/// A file chosen for review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Index into the `files` slice given to [`Selector::select`].
    pub index: usize,
    pub path: String,
    pub language: Option<Language>,
    pub class: FileClass,
    pub changed_lines: u32,
}

/// A file left out, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub index: usize,
    pub path: String,
    pub changed_lines: u32,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// The outcome: every input file is in exactly one of the two lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// In review order: by [`FileClass`], then by path.
    pub kept: Vec<Kept>,
    /// In input order.
    pub skipped: Vec<Skipped>,
}

/// A glob in the configuration does not parse. The user fixes it.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob `{pattern}` in the review configuration: {source}")]
pub struct SelectError {
    pub pattern: String,
    #[source]
    pub source: argus_glob::Error,
}

impl argus_core::error::Classify for SelectError {
    fn class(&self) -> argus_core::error::ErrorClass {
        argus_core::error::ErrorClass::User
    }
}

/// Compiled selection rules; build once per review.
#[derive(Clone, Debug)]
pub struct Selector {
    config: SelectConfig,
    include: GlobSet,
    ignore: GlobSet,
    defaults: GlobSet,
    /// For each glob of `defaults`, its entry in [`DEFAULT_IGNORES`].
    default_of: Vec<usize>,
}

fn build(patterns: impl IntoIterator<Item = (String, bool)>) -> Result<GlobSet, SelectError> {
    let mut globs = Vec::new();
    for (p, builtin) in patterns {
        let glob = if builtin {
            // A default pattern: lowercase, matched against the lowercased path.
            GlobBuilder::new(&p).literal_separator(true).build()
        } else {
            // `.github/argusai.toml`'s rule: `*` within one directory, and a
            // pattern without `/` at any depth.
            argus_glob::path_glob(&p).or_else(|_| Glob::new(&p))
        };
        globs.push(glob.map_err(|source| SelectError { pattern: p.clone(), source })?);
    }
    Ok(GlobSet::new(globs))
}

impl Selector {
    /// Compiles the globs; an invalid one is a user error.
    pub fn new(config: &SelectConfig) -> Result<Self, SelectError> {
        Ok(Self {
            include: build(config.include.iter().map(|p| (p.clone(), false)))?,
            ignore: build(config.ignore.iter().map(|p| (p.clone(), false)))?,
            // Matched against the lowercased path (the patterns are all
            // lowercase), with `{a,b}` alternatives expanded into one glob
            // each: every default then carries a literal end or run
            // (`.lock`, `package-lock.json`, `vendor`) that rejects most
            // paths with one comparison before any automaton runs (see
            // bench/wasm).
            defaults: build(expanded_defaults().map(|(_, p)| (p, true)))?,
            default_of: expanded_defaults().map(|(i, _)| i).collect(),
            config: config.clone(),
        })
    }

    /// Splits `files` into kept and skipped.
    pub fn select(&self, files: &[FileDiff<'_>]) -> Selection {
        let mut sel = Selection::default();
        for (index, f) in files.iter().enumerate() {
            let path = f.path();
            let changed = f.changed_lines();
            match self.reason(f, path, changed) {
                Some(reason) => sel.skipped.push(Skipped { index, path: path.to_owned(), changed_lines: changed, reason }),
                None => sel.kept.push(Kept {
                    index,
                    path: path.to_owned(),
                    language: Language::from_path(path),
                    class: FileClass::from_path(path),
                    changed_lines: changed,
                }),
            }
        }
        // The keys are unique (the index is in them), so an unstable sort
        // gives the stable order. With many more files than the cap, only the
        // kept prefix needs sorting: partition around the cap first (a
        // 6000-file PR sorted 6000 paths to keep 50).
        let order = |a: &Kept, b: &Kept| (a.class, &a.path, a.index).cmp(&(b.class, &b.path, b.index));
        if sel.kept.len() > self.config.max_files {
            sel.kept.select_nth_unstable_by(self.config.max_files, order);
            sel.kept[..self.config.max_files].sort_unstable_by(order);
        } else {
            sel.kept.sort_unstable_by(order);
        }
        if sel.kept.len() > self.config.max_files {
            for k in sel.kept.split_off(self.config.max_files) {
                sel.skipped.push(Skipped {
                    index: k.index,
                    path: k.path,
                    changed_lines: k.changed_lines,
                    reason: SkipReason::TooManyFiles { max: self.config.max_files },
                });
            }
            argus_core::sort::sort_by_key(&mut sel.skipped, |s| s.index);
        }
        sel
    }

    fn reason(&self, f: &FileDiff<'_>, path: &str, changed: u32) -> Option<SkipReason> {
        if f.binary {
            return Some(SkipReason::Binary);
        }
        if f.status == FileStatus::Deleted {
            return Some(SkipReason::Deleted);
        }
        if f.hunks.is_empty() || f.hunks.iter().all(|h| h.lines.is_empty()) {
            return Some(SkipReason::NoTextChanges);
        }
        if let Some(i) = self.ignore.first_match(path) {
            return Some(SkipReason::ConfigIgnore { pattern: self.config.ignore[i].clone() });
        }
        if !self.config.include.is_empty() && !self.include.is_match(path) {
            return Some(SkipReason::NotIncluded);
        }
        // An explicit include overrides the defaults: a user who asks for
        // `vendor/**` gets it.
        let explicitly_included = !self.config.include.is_empty();
        if self.config.default_ignores
            && !explicitly_included
            && let Some(i) = self.defaults.first_match(&lowercase(path)).and_then(|g| self.default_of.get(g).copied())
        {
            let (pattern, category) = DEFAULT_IGNORES[i];
            return Some(SkipReason::DefaultIgnore { category, pattern: pattern.to_owned() });
        }
        if changed > self.config.max_changed_lines_per_file {
            return Some(SkipReason::TooManyChangedLines { changed, max: self.config.max_changed_lines_per_file });
        }
        None
    }
}

/// Every default pattern with its `{a,b}` alternatives expanded, each with
/// its index in [`DEFAULT_IGNORES`], in order.
pub(crate) fn expanded_defaults() -> impl Iterator<Item = (usize, String)> {
    DEFAULT_IGNORES.iter().enumerate().flat_map(|(i, (p, _))| expand_braces(p).into_iter().map(move |g| (i, g)))
}

/// `a{b,c}d{e,f}` as `abde`, `abdf`, `acde`, `acdf`. Only for the built-in
/// patterns above (no nesting, no escapes); a brace without its closing
/// partner is kept as is.
fn expand_braces(p: &str) -> Vec<String> {
    let Some(open) = p.find('{') else { return vec![p.to_owned()] };
    let Some(len) = p[open..].find('}') else { return vec![p.to_owned()] };
    let (head, alts, tail) = (&p[..open], &p[open + 1..open + len], &p[open + len + 1..]);
    let rests = expand_braces(tail);
    alts.split(',').flat_map(|a| rests.iter().map(move |r| format!("{head}{a}{r}"))).collect()
}

/// `path` lowercased for the default ignores (ASCII fast path).
fn lowercase(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        std::borrow::Cow::Borrowed(path)
    } else if path.is_ascii() {
        std::borrow::Cow::Owned(path.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Owned(path.to_lowercase())
    }
}

/// Compiles `config` and selects in one call.
pub fn select(files: &[FileDiff<'_>], config: &SelectConfig) -> Result<Selection, SelectError> {
    Ok(Selector::new(config)?.select(files))
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_IGNORES, expand_braces, expanded_defaults};

    #[test]
    fn braces_expand_in_order() {
        let cases: &[(&str, &[&str])] = &[
            ("**/*.lock", &["**/*.lock"]),
            ("**/*.{js,css}.map", &["**/*.js.map", "**/*.css.map"]),
            ("a{b,c}d{e,f}", &["abde", "abdf", "acde", "acdf"]),
            ("a{b", &["a{b"]),
        ];
        for (p, want) in cases {
            assert_eq!(expand_braces(p), *want, "{p}");
        }
    }

    #[test]
    fn every_default_expands_to_brace_free_globs() {
        let all: Vec<(usize, String)> = expanded_defaults().collect();
        assert!(all.iter().all(|(_, g)| !g.contains(['{', '}', ','])));
        // Each entry is represented, in order.
        let mut seen: Vec<usize> = all.iter().map(|(i, _)| *i).collect();
        seen.dedup();
        assert_eq!(seen, (0..DEFAULT_IGNORES.len()).collect::<Vec<_>>());
    }
}
