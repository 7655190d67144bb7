//! The crate's one integration-test binary; each module tests one area.

mod realworld;
mod web;
