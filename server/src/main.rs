//! The `portolan` binary: a thin shell over the `portolan` library crate.

use std::process::ExitCode;

/// mimalloc: catalog parsing allocates many small strings on every core, where
/// glibc's allocator costs a fifth of the time and stops scaling past one thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Transparent huge pages off for this process: mimalloc asks for them on
    // its arenas, and every 2 MB page touched then counts whole. At 100,000
    // entities that was ~30 MB more resident memory for no measurable speed,
    // and zeroing fresh huge pages was a quarter of the start-up time.
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {e}");
    }
    portolan::cli::main()
}
