//! Portolan's server: command line, configuration and every piece of I/O
//! (HTTP, files, later the database, clusters and git). The pure catalog
//! model lives in `portolan-catalog`; pages live in `portolan-frontend`.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod error;
pub mod ingest;
pub mod kubernetes;
pub mod memory;
pub mod ops;
pub mod scaffolder;
pub mod search;
pub mod store;
pub mod telemetry;
pub mod validate;
pub mod web;
