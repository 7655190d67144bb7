//! HTTP APIs, Backstage-compatible.

pub mod catalog;
