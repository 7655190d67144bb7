//! Which watched local files may have changed since the last look, without
//! a `stat` of every one twice a second.
//!
//! The directories holding the files a pass read are watched through the
//! operating system (inotify on Linux, through `notify`); each look then
//! checks only the files something happened to. Every file is still checked
//! every [`SWEEP_EVERY`] looks, for what the OS does not report (an edit
//! behind a symbolic link, a file system without events), and at every look
//! when the OS watch cannot be had: no watcher, its limits reached, or its
//! event queue overflowed. Right after directories are added to the watch,
//! one look checks everything too, for what changed before it began.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};

/// Looks between two checks of every file, whatever the events said.
pub const SWEEP_EVERY: u32 = 20;

/// What a look should check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checks {
    /// Every watched file.
    All,
    /// Only these paths (the others had no event).
    Only(HashSet<PathBuf>),
}

impl Checks {
    /// Whether `path` is to be checked.
    pub fn includes(&self, path: &Path) -> bool {
        match self {
            Checks::All => true,
            Checks::Only(paths) => paths.contains(path),
        }
    }
}

/// What the watcher's thread has seen since the last look.
#[derive(Debug, Default)]
struct Seen {
    paths: HashSet<PathBuf>,
    /// Events may have been lost: check everything.
    rescan: bool,
}

/// The OS watch over the directories of the watched files.
pub struct FileEvents {
    watch: Watch,
    /// Hashes of the directories watched, not their paths: at 100,000
    /// entities a pass reads 33,000 directories, whose paths the OS watcher
    /// keeps anyway (as paths here they were about 3 MB more, estimated).
    /// Should two hash alike, the second goes unwatched and its edits are
    /// found by the next sweep.
    directories: hashbrown::HashSet<u64>,
    hasher: hashbrown::DefaultHashBuilder,
    seen: Arc<Mutex<Seen>>,
    looks: u32,
    /// Directories were added since the last look: what changed before
    /// their watch began is only found by checking everything once.
    sweep_next: bool,
}

/// The state of the OS watcher.
enum Watch {
    /// Not started: no local file was read yet.
    NotYet,
    Watching(notify::RecommendedWatcher),
    /// It could not be set up or failed: every look checks every file.
    Unavailable,
}

impl std::fmt::Debug for FileEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileEvents").field("watching", &self.is_watching()).field("directories", &self.directories.len()).finish()
    }
}

impl FileEvents {
    /// Whether changes are reported by the OS (else every look checks every file).
    pub fn is_watching(&self) -> bool {
        matches!(self.watch, Watch::Watching(_))
    }

    /// Starts the OS watcher, on the first local file to watch.
    fn start(&self) -> Watch {
        let sink = Arc::clone(&self.seen);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(mut seen) = sink.lock() else { return };
            match event {
                // Reads (ours included) change nothing.
                Ok(event) if matches!(event.kind, EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write)) => {}
                Ok(event) => {
                    seen.rescan |= event.need_rescan();
                    seen.paths.extend(event.paths);
                }
                Err(_) => seen.rescan = true,
            }
        });
        match watcher {
            Ok(watcher) => Watch::Watching(watcher),
            Err(e) => {
                tracing::warn!("cannot watch local files for changes ({e}); every file is checked twice a second instead");
                Watch::Unavailable
            }
        }
    }

    /// Watches the directories of `files`, those not watched yet. A
    /// directory that cannot be watched (e.g. the inotify limit is reached)
    /// gives up the OS watch for all of them.
    pub fn watch<'a>(&mut self, files: impl IntoIterator<Item = &'a Path>) {
        for file in files {
            let Some(directory) = file.parent() else { continue };
            let hash = std::hash::BuildHasher::hash_one(&self.hasher, directory);
            if self.directories.contains(&hash) {
                continue;
            }
            if matches!(self.watch, Watch::NotYet) {
                self.watch = self.start();
            }
            let Watch::Watching(watcher) = &mut self.watch else { return };
            if let Err(e) = watcher.watch(directory, RecursiveMode::NonRecursive) {
                tracing::warn!(directory = %directory.display(), "cannot watch local files for changes ({e}); every file is checked twice a second instead");
                self.watch = Watch::Unavailable;
                self.directories.clear();
                return;
            }
            self.directories.insert(hash);
            self.sweep_next = true;
        }
    }

    /// What this look should check, and forgets the events it covers.
    pub fn look(&mut self) -> Checks {
        self.looks = self.looks.wrapping_add(1);
        let seen = self.seen.lock().map(|mut seen| std::mem::take(&mut *seen)).unwrap_or_default();
        let sweep = std::mem::take(&mut self.sweep_next) || self.looks.is_multiple_of(SWEEP_EVERY);
        if !self.is_watching() || seen.rescan || sweep {
            return Checks::All;
        }
        Checks::Only(seen.paths)
    }
}

impl Default for FileEvents {
    fn default() -> Self {
        FileEvents {
            watch: Watch::NotYet,
            directories: hashbrown::HashSet::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            seen: Arc::default(),
            looks: 0,
            sweep_next: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits for a look that reports `path`, up to a few seconds.
    fn reported(events: &mut FileEvents, path: &Path) -> bool {
        for _ in 0..100 {
            if let Checks::Only(paths) = events.look()
                && paths.contains(path)
            {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
        false
    }

    #[test]
    fn an_edit_is_reported_and_a_quiet_file_is_not_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let edited = dir.path().join("catalog-info.yaml");
        let quiet = dir.path().join("other.yaml");
        std::fs::write(&edited, "a: 1\n").expect("write");
        std::fs::write(&quiet, "b: 1\n").expect("write");
        let mut events = FileEvents::default();
        events.watch([edited.as_path(), quiet.as_path()]);
        assert!(events.is_watching(), "no OS watcher on this machine");
        // Right after new directories are watched, everything is checked once.
        assert_eq!(events.look(), Checks::All);
        // Reading a file is not a change.
        let _ = std::fs::read_to_string(&quiet).expect("read");
        std::thread::sleep(std::time::Duration::from_millis(100));
        let look = events.look();
        assert!(!look.includes(&quiet), "{look:?}");
        std::fs::write(&edited, "a: 2\n").expect("edit");
        assert!(reported(&mut events, &edited), "the edit was not reported");
        assert!(!events.look().includes(&quiet));
    }

    #[test]
    fn every_file_is_checked_now_and_then_and_without_a_watch() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut events = FileEvents::default();
        events.watch([dir.path().join("catalog-info.yaml").as_path()]);
        let _ = events.look();
        events.looks = 0;
        let looks: Vec<Checks> = (0..SWEEP_EVERY).map(|_| events.look()).collect();
        assert_eq!(looks.iter().filter(|c| **c == Checks::All).count(), 1);
        assert_eq!(looks.last(), Some(&Checks::All));
        events.watch([Path::new("/no/such/directory/catalog-info.yaml")]);
        assert!(!events.is_watching());
        assert_eq!(events.look(), Checks::All);
    }
}
