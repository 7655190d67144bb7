//! The crate's one integration-test binary; each module tests one area.

mod auth;
mod browser;
mod catalog_query;
mod catalog_api;
mod cli;
mod config;
mod fake_github;
mod fake_kube;
mod fake_kube_protocol;
mod index_snapshot;
mod ingest;
mod ingest_conflicts;
mod kubernetes;
mod kubernetes_bench;
mod k8s_health;
mod k8s_slim;
mod ops;
mod realworld;
mod scaffold_pages;
mod scaffolder;
mod scaffolder_runs;
mod scaffolder_safety;
mod support;
mod url_reader;
mod web;
