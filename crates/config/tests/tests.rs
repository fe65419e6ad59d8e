//! The one integration-test binary of `argus-config` (ripgrep style): each
//! module is a table of cases or a set of fixture snapshots.

// Cases are tables of tuples on purpose (one row per case, aligned), so the
// tuple types are long.
#![allow(clippy::type_complexity)]

mod decide;
mod generated;
mod guidance;
mod hash;
mod merge;
mod robust;
mod util;
mod validation;
