//! The crate's one integration-test binary; each module tests one area.

mod cli;
mod realworld;
mod web;
