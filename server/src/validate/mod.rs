//! `portolan validate`: checks catalog files offline, following Location
//! targets the way the server will, and prints compiler-style diagnostics or JSON.

mod files;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

pub use files::{CheckedFile, Validation, validate_paths};
pub use report::{render_json, render_text};

use crate::cli::Format;

/// Runs the command; exit 0 without errors, 1 with errors, 2 on I/O failure.
pub fn run(paths: &[PathBuf], format: Format, dangling: bool) -> ExitCode {
    let validation = match validate_paths(paths, dangling) {
        Ok(v) => v,
        Err(err) => {
            eprintln!("portolan validate: {err:#}");
            return ExitCode::from(2);
        }
    };
    let out = match format {
        Format::Text => render_text(&validation),
        Format::Json => render_json(&validation),
    };
    print!("{out}");
    if validation.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
