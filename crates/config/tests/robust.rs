//! Bad input never panics: arbitrary texts in every layer always resolve to a
//! config (the problems say why), and the guidance bound always holds.

use crate::util::resolve_all;
use argus_config::guidance::{GuidanceFiles, repository_guidance_within};
use argus_config::{check_base_branch_toml, problems_markdown};
use proptest::prelude::*;

/// TOML-ish text: keys from the schema, brackets, quotes, numbers, newlines, unicode.
fn tomlish() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("max_files".to_string()),
        Just("ignore".to_string()),
        Just("[[path_instructions]]".to_string()),
        Just("path".to_string()),
        Just("instructions".to_string()),
        Just("profile".to_string()),
        Just("events".to_string()),
        Just(" = ".to_string()),
        Just("\n".to_string()),
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just(",".to_string()),
        Just("@`".to_string()),
        "[a-z_*/.{}\\[\\]-]{0,8}",
        (0u64..5000).prop_map(|n| n.to_string()),
        "\\PC{0,4}",
    ];
    prop::collection::vec(atoms, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_in_any_layer_resolves(file in tomlish(), kv in tomlish(), env_value in "\\PC{0,20}") {
        let json_kv = format!("{{{kv}");
        let r = resolve_all(
            &[("MAX_FILES_PER_REVIEW", &env_value), ("REVIEW_IGNORE", &env_value), ("REVIEW_PROFILE", &env_value)],
            Some(&json_kv),
            Some(&kv),
            Some(&file),
        );
        // Whatever happened, the result is within bounds.
        prop_assert!((1..=3000).contains(&r.config.max_files));
        prop_assert!(r.config.path_instructions.len() <= 50);
        let md = problems_markdown(&r.problems);
        let outside: String = md.split('`').step_by(2).collect();
        prop_assert!(!outside.contains('@'), "{}", md);
        let (_, problems) = check_base_branch_toml(&file);
        prop_assert!(problems.iter().all(|p| p.line.is_none_or(|l| l >= 1 && l <= file.lines().count().max(1) + 1)));
    }

    #[test]
    fn guidance_stays_within_bound(a in "\\PC{0,600}", b in "(\\PC{0,40}\n){0,30}", bound in 0usize..800) {
        let g = repository_guidance_within(&GuidanceFiles { agents_md: Some(&b), argusai_md: Some(&a), ..Default::default() }, bound);
        prop_assert!(g.text.chars().count() <= bound);
    }
}
