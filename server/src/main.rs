//! The `portolan` binary: a thin shell over the `portolan` library crate.

use std::process::ExitCode;

/// mimalloc: catalog parsing allocates many small strings on every core, where
/// glibc's allocator costs a fifth of the time and stops scaling past one thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    portolan::cli::main()
}
