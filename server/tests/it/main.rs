//! The crate's one integration-test binary; each module tests one area.

mod catalog_query;
mod catalog_api;
mod cli;
mod config;
mod ingest;
mod realworld;
mod support;
mod web;
