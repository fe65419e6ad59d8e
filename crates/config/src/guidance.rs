//! Repository guidance files (`.github/argusai.md`, `AGENTS.md`,
//! `.github/copilot-instructions.md` and `CONTRIBUTING.md`, as the caller read
//! them from the **base** branch, so teams do not write their rules twice)
//! turned into one instructions text within a size bound, truncated with a
//! note that says so.

use serde::Serialize;

/// Upper bound on the guidance text, in characters. It rides along in every
/// prompt, and the free GitHub Models tier allows 8000 input tokens per request
/// (see /work/shared/TOOLCHAIN.md), so it gets about a quarter of that.
pub const GUIDANCE_CHARS: usize = 6000;

/// The guidance for a review.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Guidance {
    /// Empty when neither file has content.
    pub text: String,
    /// The files that contributed, in the order they appear in `text`.
    pub sources: Vec<&'static str>,
    /// Whether anything was cut (the text then ends with a note saying what).
    pub truncated: bool,
}

/// Path of the ArgusAI-specific guidance file.
pub const ARGUSAI_MD: &str = ".github/argusai.md";
/// Path of the generic agents guidance file (<https://agents.md>).
pub const AGENTS_MD: &str = "AGENTS.md";
/// Path of GitHub Copilot's repository instructions
/// (<https://docs.github.com/en/copilot/customizing-copilot/adding-repository-custom-instructions-for-github-copilot>).
pub const COPILOT_INSTRUCTIONS: &str = ".github/copilot-instructions.md";
/// Path of the contributors' guide.
pub const CONTRIBUTING_MD: &str = "CONTRIBUTING.md";
/// Every guidance file, in the order they are joined (and the reverse of the order they are cut).
pub const GUIDANCE_PATHS: [&str; 4] = [ARGUSAI_MD, AGENTS_MD, COPILOT_INSTRUCTIONS, CONTRIBUTING_MD];

/// Joins the guidance files, `.github/argusai.md` first (it is written for
/// ArgusAI, so it is the last to be cut), then `AGENTS.md`, Copilot's
/// instructions and `CONTRIBUTING.md` (the most general, cut first), each under a heading naming its
/// file, within [`GUIDANCE_CHARS`] including headings and notes. Blank files
/// count as absent; a file that does not fit is cut at a line end when one is
/// near, and a note says how much was left out.
pub fn repository_guidance(files: &GuidanceFiles<'_>) -> Guidance {
    repository_guidance_within(files, GUIDANCE_CHARS)
}

/// The guidance files' contents as read from the base branch; `None` when absent.
/// Named fields, so the two texts cannot be swapped by accident.
#[derive(Clone, Copy, Debug, Default)]
pub struct GuidanceFiles<'a> {
    pub agents_md: Option<&'a str>,
    pub argusai_md: Option<&'a str>,
    pub copilot_instructions: Option<&'a str>,
    pub contributing_md: Option<&'a str>,
}

impl<'a> GuidanceFiles<'a> {
    /// The text read for `path` (one of [`GUIDANCE_PATHS`]) goes to its field.
    pub fn set(&mut self, path: &str, text: Option<&'a str>) {
        match path {
            AGENTS_MD => self.agents_md = text,
            ARGUSAI_MD => self.argusai_md = text,
            COPILOT_INSTRUCTIONS => self.copilot_instructions = text,
            CONTRIBUTING_MD => self.contributing_md = text,
            _ => {}
        }
    }
}

/// [`repository_guidance`] with an explicit bound (for tests and callers with a smaller budget).
pub fn repository_guidance_within(files: &GuidanceFiles<'_>, max_chars: usize) -> Guidance {
    let mut out = Guidance::default();
    let mut budget = max_chars;
    for (name, text) in [
        (ARGUSAI_MD, files.argusai_md),
        (AGENTS_MD, files.agents_md),
        (COPILOT_INSTRUCTIONS, files.copilot_instructions),
        (CONTRIBUTING_MD, files.contributing_md),
    ] {
        let Some(text) = text.map(|t| t.trim_start_matches('\u{feff}').trim()).filter(|t| !t.is_empty()) else {
            continue;
        };
        let heading = format!("{}From `{name}`:\n\n", if out.text.is_empty() { "" } else { "\n\n" });
        let total = text.chars().count();
        let note_room = 120;
        let heading_len = heading.chars().count();
        if heading_len + note_room >= budget {
            // Not even the heading and a note fit: mention the file was left out, if that fits.
            out.truncated = true;
            let note = format!("\n\n[`{name}` left out: the guidance size limit was reached]");
            if note.chars().count() <= budget {
                out.text.push_str(&note);
                budget -= note.chars().count();
            }
            continue;
        }
        let room = budget - heading_len;
        out.text.push_str(&heading);
        out.sources.push(name);
        if total <= room {
            out.text.push_str(text);
            budget = room - total;
        } else {
            let keep = cut(text, room - note_room);
            let kept = keep.chars().count();
            let note = format!("\n\n[… `{name}` truncated: {kept} of {total} characters included]");
            out.text.push_str(keep);
            out.text.push_str(&note);
            out.truncated = true;
            budget = room.saturating_sub(kept + note.chars().count());
        }
    }
    out
}

/// The longest prefix of at most `max` characters, ending at a line end when
/// one lies in the last quarter (so a sentence is not cut mid-word when avoidable).
fn cut(text: &str, max: usize) -> &str {
    let end = text.char_indices().nth(max).map(|(i, _)| i).unwrap_or(text.len());
    let prefix = &text[..end];
    match prefix.rfind('\n') {
        Some(nl) if nl >= end - end / 4 => prefix[..nl].trim_end(),
        _ => prefix,
    }
}
