//! The real corpus, rendered: with context off, or with no contents at all,
//! the output is exactly argus-diff's `render_chunk`, byte for byte, for
//! every chunk of every diff.

use crate::common::real_diffs;
use argus_context::{ContextInput, ContextOptions, Mode, prepare, render_chunk};
use argus_diff::chunk::{Budget, plan};
use argus_diff::diff::parse_unified;
use argus_diff::prompt::{ContextOptions as DiffOptions, Numbering};
use argus_diff::select::{SelectConfig, select};

#[test]
fn no_context_is_todays_render_byte_for_byte() {
    let budget = Budget { input_limit: 8000, reserved_output: 0, prompt_overhead: 1500, max_chunks: None };
    let cfg = SelectConfig { max_files: 3000, ..SelectConfig::default() };
    let mut chunks = 0;
    for numbering in [Numbering::Added, Numbering::AllNewSide] {
        let diff_opts = DiffOptions { numbering };
        for (name, text) in real_diffs() {
            let d = parse_unified(&text);
            let sel = select(&d.files, &cfg).expect("valid config");
            let p = plan(&d.files, &sel, &budget, &[], diff_opts);
            for mode in [Mode::Off, Mode::Scope, Mode::Full] {
                let opts = ContextOptions { mode, numbering, ..ContextOptions::default() };
                // Off ignores contents; Scope and Full have none to use.
                let prepared = prepare(ContextInput { files: &d.files, head: &[], base: &[], options: opts });
                for c in &p.chunks {
                    let today = argus_diff::chunk::render_chunk(&d.files, c, &[], diff_opts);
                    // A map is context too: with Off it must be ignored.
                    let map = (mode == Mode::Off).then_some("~repository map: 1 files\n");
                    let (ours, report) = render_chunk(&prepared, c, 2000, map);
                    assert_eq!(ours, today, "{name} ({mode:?}, {numbering:?})");
                    assert_eq!(report.tokens, 0, "{name}: context tokens without context");
                    chunks += 1;
                }
            }
        }
    }
    assert!(chunks > 1000, "only {chunks} chunks compared");
}
