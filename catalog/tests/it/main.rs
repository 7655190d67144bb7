//! The catalog crate's one integration-test binary.

mod diagnostics;
mod props;
mod template;
