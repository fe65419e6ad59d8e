//! ArgusAI's pure core: the domain types every other crate speaks, and the front
//! door's logic (signature check, event parsing, filtering, rate windows), with
//! no IO and no dependency on `worker`, so all of it is tested natively.

pub mod error;
pub mod event;
pub mod filter;
pub mod html;
pub mod http;
pub mod ids;
pub mod job;
pub mod keys;
pub mod learning;
pub mod ratelimit;
pub mod secret;
pub mod severity;
pub mod side;
pub mod signal;
pub mod signature;
pub mod sort;
pub mod subrequests;
