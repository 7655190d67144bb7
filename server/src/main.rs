//! The `portolan` binary: a thin shell over the `portolan` library crate.

use std::process::ExitCode;

/// mimalloc: catalog parsing allocates many small strings on every core, where
/// glibc's allocator costs a fifth of the time and stops scaling past one thread.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay`, which its Rust bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// That option's default, checked before it is changed: another value means
/// another numbering, or a `MIMALLOC_PURGE_DELAY` set by the operator.
const MIMALLOC_DEFAULT_PURGE_DELAY_MS: std::ffi::c_long = 1_000;
/// How long mimalloc keeps freed pages before it gives them back to the OS.
/// An ingest frees parsed chunks all the time, and with the default second
/// they all counted in the resident memory: at 100,000 entities the peak was
/// 380-390 MB with 1 s, 346-348 MB with 25 ms, for no measurable CPU time
/// (0 ms cost about 2.5 s of CPU in one ingest).
const PURGE_DELAY_MS: std::ffi::c_long = 25;

fn main() -> ExitCode {
    // Transparent huge pages off for this process: mimalloc asks for them on
    // its arenas, and every 2 MB page touched then counts whole. At 100,000
    // entities that was ~30 MB more resident memory for no measurable speed,
    // and zeroing fresh huge pages was a quarter of the start-up time.
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("could not turn transparent huge pages off: {e}");
    }
    shorten_purge_delay();
    portolan::memory::set_release_hook(release_freed_memory);
    portolan::cli::main()
}

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`] unless it is not at
/// its default.
#[allow(unsafe_code)]
fn shorten_purge_delay() {
    // SAFETY: both calls read or write one word of mimalloc's option table,
    // which mimalloc allows at any time from any thread; no pointer is passed.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == MIMALLOC_DEFAULT_PURGE_DELAY_MS {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

/// Returns freed memory to the OS (see `portolan::memory`): `mi_collect`
/// collects the calling thread's heap and purges at once what mimalloc's
/// arenas hold for a later purge (pages still owned by other threads'
/// heaps stay); `malloc_trim` gives back glibc's free chunks, where SQLite
/// keeps its page caches.
#[allow(unsafe_code)]
fn release_freed_memory() {
    // SAFETY: `mi_collect` and `malloc_trim` take no pointers and may be
    // called from any thread at any time; they only return free pages.
    unsafe {
        libmimalloc_sys::mi_collect(true);
        #[cfg(target_env = "gnu")]
        libc::malloc_trim(0);
    }
}
