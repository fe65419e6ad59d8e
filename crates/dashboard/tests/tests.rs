//! The one integration test binary of argus-dashboard.

mod generated;
mod github_user;
mod pages;
