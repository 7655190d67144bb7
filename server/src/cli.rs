//! Command-line entry: `portolan serve` (the default) and `portolan validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Portolan, a fast self-hosted developer portal that speaks Backstage's formats.
#[derive(Debug, Parser)]
#[command(name = "portolan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the portal (the default when no command is given).
    Serve(crate::app::ServeArgs),
    /// Check catalog files offline, for CI. Exit 0: no errors, 1: errors, 2: usage or I/O failure.
    Validate {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Don't warn about relation targets that are not among the validated files.
        #[arg(long)]
        no_dangling: bool,
        /// Catalog files, or directories searched recursively for catalog-info.yaml/.yml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Benchmarks (see the README).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Parse + validate + relations over a generated catalog, on one core and on all.
    Parse(crate::bench::ParseBenchArgs),
    /// Ingest into SQLite or PostgreSQL, then time queries, start-up and edit latency.
    Catalog(crate::bench::catalog::CatalogBenchArgs),
    /// Time the portal's pages over a generated catalog, in process and under a loopback load (wrk).
    Web(crate::bench::web::WebBenchArgs),
    /// Start on a stored catalog and report the time to serving (run by `bench catalog`).
    #[command(hide = true)]
    Start(crate::bench::catalog::StartBenchArgs),
}

/// Output format of `portolan validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Compiler-style lines with the offending source line.
    Text,
    /// One JSON document listing files, entities and diagnostics.
    Json,
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Some(Command::Validate { format, no_dangling, paths }) => {
            crate::validate::run(&paths, format, !no_dangling)
        }
        Some(Command::Bench(BenchCommand::Parse(args))) => crate::bench::parse_bench(&args),
        Some(Command::Bench(BenchCommand::Catalog(args))) => run_async(crate::bench::catalog::catalog_bench(&args)),
        Some(Command::Bench(BenchCommand::Web(args))) => run_async(crate::bench::web::web_bench(&args)),
        Some(Command::Bench(BenchCommand::Start(args))) => run_async(crate::bench::catalog::start_bench(&args)),
        Some(Command::Serve(args)) => crate::app::serve(args),
        None => crate::app::serve(crate::app::ServeArgs::default()),
    }
}

/// Runs a command's future on a fresh runtime; errors exit 2.
fn run_async(future: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    crate::telemetry::init(crate::config::LogFormat::Text, "warn");
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portolan: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(future) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portolan: {e:#}");
            ExitCode::from(2)
        }
    }
}
