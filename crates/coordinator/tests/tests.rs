//! The one integration test binary of argus-coordinator (one binary links faster).

mod consumer;
mod machine;
mod operator;
mod random;
mod replies;
mod sim;
mod status;
mod store;
