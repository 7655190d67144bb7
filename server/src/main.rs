//! The `portolan` binary: a thin shell over the `portolan` library crate.

use std::process::ExitCode;

fn main() -> ExitCode {
    portolan::cli::main()
}
