//! `portolan bench`: benchmarks anyone can run; figures go in the README.

pub mod catalog;
pub mod generate;
pub mod web;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use portolan_catalog::{NoResolver, Severity, parse_catalog_file};
use rayon::prelude::*;

use generate::Shape;

/// Options of `portolan bench parse`.
#[derive(Debug, clap::Args)]
pub struct ParseBenchArgs {
    /// About how many entities to generate.
    #[arg(long, default_value_t = 100_000)]
    pub entities: usize,
    /// Where to write the generated catalog (kept); a temporary folder if not given.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Timed rounds per thread count; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

/// Generates a catalog, reads it into memory, then times parse + validate +
/// relations on one thread and on every core.
pub fn parse_bench(args: &ParseBenchArgs) -> ExitCode {
    let shape = Shape::for_entities(args.entities);
    let temp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            temp = std::env::temp_dir().join(format!("portolan-bench-{}", std::process::id()));
            temp.clone()
        }
    };
    let started = Instant::now();
    if let Err(e) = generate::write_catalog(&dir, shape) {
        eprintln!("cannot write the catalog to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    println!("generated {} files in {} ({:.1?})", shape.service_files + 2, dir.display(), started.elapsed());
    let started = Instant::now();
    let texts: Vec<String> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("read {} files, {:.1} MB ({:.1?})", texts.len(), bytes as f64 / 1e6, started.elapsed());

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut thread_counts = vec![1];
    if cores > 1 {
        thread_counts.push(cores);
    }
    for threads in thread_counts {
        let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else {
            eprintln!("cannot start {threads} threads");
            return ExitCode::from(2);
        };
        let mut best = Duration::MAX;
        let mut totals = (0, 0, 0);
        for _ in 0..args.rounds.max(1) {
            let started = Instant::now();
            totals = pool.install(|| {
                texts
                    .par_iter()
                    .map(|t| {
                        let report = parse_catalog_file(t, &NoResolver);
                        let relations: usize = report.entities().map(|e| e.relations.len()).sum();
                        (report.entities().count(), relations, report.count(Severity::Error))
                    })
                    .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
            });
            best = best.min(started.elapsed());
        }
        let (entities, relations, errors) = totals;
        let rate = entities as f64 / best.as_secs_f64();
        println!(
            "{threads} thread(s): {entities} entities, {relations} relations, {errors} errors in {best:.2?}: {:.0} entities/s ({:.0} per core, {:.1} MB/s)",
            rate,
            rate / threads as f64,
            bytes as f64 / 1e6 / best.as_secs_f64()
        );
    }
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    ExitCode::SUCCESS
}
