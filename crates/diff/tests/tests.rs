//! The one integration test binary of `argus-diff` (ripgrep's layout): each
//! module covers one part of the engine, driven by the real corpora.

mod common;
mod corpus;
mod chunking;
mod units;
mod props;
mod estimator;
mod risk;
