//! Giving freed memory back to the operating system after a burst of work.
//!
//! A processing pass or a rebuild of the pages' index frees tens of MB at
//! once, and neither allocator hands it back on its own soon: mimalloc
//! purges freed memory late, when later allocations get round to it, and
//! after a 100,000-entity ingest about 14 MB of it was still resident
//! until a forced collection; SQLite's page caches live in glibc's heap.
//! The binary, which chooses the allocator, installs the hook that
//! releases both (it needs `unsafe`); this crate only says when.

use std::sync::OnceLock;

static RELEASE_HOOK: OnceLock<fn()> = OnceLock::new();

/// Installs what [`release_freed`] calls; the first call wins.
pub fn set_release_hook(hook: fn()) {
    let _ = RELEASE_HOOK.set(hook);
}

/// Gives the memory freed since the last call back to the operating
/// system, through the installed hook; does nothing without one (tests).
pub fn release_freed() {
    if let Some(hook) = RELEASE_HOOK.get() {
        hook();
    }
}
