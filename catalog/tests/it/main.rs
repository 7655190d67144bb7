//! The catalog crate's one integration-test binary.

mod diagnostics;
mod entity_json;
mod props;
mod support;
mod template;
