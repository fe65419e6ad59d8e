//! The one integration test binary of `argus-diff` (ripgrep's layout): each
//! module covers one part of the engine, driven by the real corpora.

mod chunking;
mod common;
mod corpus;
mod estimator;
mod props;
mod risk;
mod units;
