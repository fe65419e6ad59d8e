//! Review quality in numbers, by the published method of the offline code
//! review benchmark (<https://github.com/withmartian/code-review-benchmark>,
//! `offline/`): golden comments per pull request ([`dataset`]), a tool's
//! findings as candidates and their dedupe groups ([`candidates`]), an LLM
//! judge asked whether a candidate and a golden comment are the same
//! underlying issue ([`judge`]), the matching of every golden comment to its
//! most confident match ([`judge::evaluate`]), and precision, recall and
//! F-beta under the benchmark's category profiles ([`score`]). A cheap
//! keyword matcher ([`cheap`]) gives a quick local figure, reported apart.
//! [`report`] holds the JSON report, its tables and `--compare`.
//!
//! Pure: the `argus eval` command does the IO (GitHub, the models, files).

pub mod candidates;
pub mod cheap;
pub mod dataset;
pub mod judge;
pub mod report;
pub mod score;
