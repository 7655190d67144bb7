//! Reading catalog files from where locations point: behind a small trait so
//! tests and other sources (GitHub, HTTP) can stand in.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use portolan_catalog::{LocationRef, Resolution, Resolver};

/// One file read from a location.
#[derive(Debug, Clone)]
pub struct ReadFile {
    /// Where it was read from, as `<type>:<target>` (a glob expands to several).
    pub location: LocationRef,
    /// Its text.
    pub text: String,
    /// For local files, the modification stamp taken before reading, so a
    /// change made while it was read is still seen as a change.
    pub stamp: Option<FileStamp>,
}

/// A local file with its modification time and length, to notice edits.
pub type FileStamp = (PathBuf, Option<std::time::SystemTime>, Option<u64>);

/// The current stamp of a local file.
pub fn stamp(path: PathBuf) -> FileStamp {
    let meta = std::fs::metadata(&path).ok();
    let modified = meta.as_ref().and_then(|m| m.modified().ok());
    let len = meta.map(|m| m.len());
    (path, modified, len)
}

/// Boxed future of a read, so readers can be trait objects.
pub type ReadFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<ReadFile>, String>> + Send + 'a>>;

/// Boxed future of [`Reader::list`].
pub type ListFuture<'a> = Pin<Box<dyn Future<Output = Option<Result<Vec<LocationRef>, String>>> + Send + 'a>>;

/// Boxed future of [`Reader::read_each`]: one result per location asked for.
pub type ReadEachFuture<'a> = Pin<Box<dyn Future<Output = Vec<Result<Vec<ReadFile>, String>>> + Send + 'a>>;

/// Reads the files a location points at; an error is a message for the
/// processing-errors panel (`NotFoundError: …`).
pub trait Reader: Send + Sync {
    /// Reads `location`: one file, or every file a glob matches.
    fn read<'a>(&'a self, location: &'a LocationRef) -> ReadFuture<'a>;

    /// The files a glob location stands for, when this reader can list them
    /// without reading them: a pass then reads and parses them a group at a
    /// time ([`Reader::read_each`]) instead of holding every file's text at
    /// once (46 MB for 33,000 files). `None`: read it whole with [`Reader::read`].
    fn list<'a>(&'a self, _location: &'a LocationRef) -> ListFuture<'a> {
        Box::pin(async { None })
    }

    /// Reads each of `locations` (files [`Reader::list`] returned).
    fn read_each<'a>(&'a self, locations: &'a [LocationRef]) -> ReadEachFuture<'a> {
        Box::pin(read_one_by_one(self, locations))
    }
}

/// Reads `locations` one after the other with [`Reader::read`].
pub async fn read_one_by_one<R: Reader + ?Sized>(reader: &R, locations: &[LocationRef]) -> Vec<Result<Vec<ReadFile>, String>> {
    let mut out = Vec::with_capacity(locations.len());
    for location in locations {
        out.push(reader.read(location).await);
    }
    out
}

/// Reads `file` locations from the local disk (globs included); other types
/// are refused with a message saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileReader;

impl Reader for FileReader {
    fn read<'a>(&'a self, location: &'a LocationRef) -> ReadFuture<'a> {
        Box::pin(async move {
            if location.location_type != "file" {
                return Err(format!("reading {} locations is not supported yet", location.location_type));
            }
            let target = location.target.clone();
            tokio::task::spawn_blocking(move || read_files(&target))
                .await
                .map_err(|e| format!("reading failed: {e}"))?
        })
    }

    fn list<'a>(&'a self, location: &'a LocationRef) -> ListFuture<'a> {
        Box::pin(async move {
            if location.location_type != "file" || !is_glob(&location.target) {
                return None;
            }
            let target = location.target.clone();
            let paths = tokio::task::spawn_blocking(move || glob_files(&target)).await.map_err(|e| format!("reading failed: {e}"));
            Some(paths.and_then(|paths| paths).map(|paths| paths.iter().map(|p| LocationRef::new("file", p.to_string_lossy())).collect()))
        })
    }

    fn read_each<'a>(&'a self, locations: &'a [LocationRef]) -> ReadEachFuture<'a> {
        Box::pin(async move {
            let targets: Vec<(bool, String)> = locations.iter().map(|l| (l.location_type == "file", l.target.clone())).collect();
            let read = tokio::task::spawn_blocking(move || {
                targets
                    .iter()
                    .map(|(is_file, target)| match is_file {
                        true => read_files(target),
                        false => Err("reading this location type is not supported yet".to_owned()),
                    })
                    .collect::<Vec<_>>()
            });
            read.await.unwrap_or_else(|e| locations.iter().map(|_| Err(format!("reading failed: {e}"))).collect())
        })
    }
}

fn is_glob(target: &str) -> bool {
    target.contains(['*', '?', '['])
}

fn glob_files(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let matches = glob::glob(pattern).map_err(|e| format!("InputError: bad pattern {pattern}: {e}"))?;
    Ok(matches.filter_map(Result::ok).filter(|p| p.is_file()).collect())
}

fn read_files(target: &str) -> Result<Vec<ReadFile>, String> {
    let paths: Vec<PathBuf> = if is_glob(target) { glob_files(target)? } else { vec![PathBuf::from(target)] };
    paths
        .into_iter()
        .map(|path| {
            let before = stamp(path.clone());
            let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("NotFoundError: {} does not exist", path.display()),
                _ => format!("Error: cannot read {}: {e}", path.display()),
            })?;
            Ok(ReadFile { location: LocationRef::new("file", path.to_string_lossy()), text, stamp: Some(before) })
        })
        .collect()
}

/// Reads `$text`/`$json`/`$yaml` references relative to a file's folder; URLs
/// are left for a reader that may fetch them.
#[derive(Debug, Clone, Copy)]
pub struct FileResolver<'a> {
    /// Folder of the file being read.
    pub folder: &'a Path,
}

impl Resolver for FileResolver<'_> {
    fn read(&self, reference: &str) -> Resolution {
        if reference.contains("://") {
            return Resolution::Deferred("URLs are read by the server, not offline".to_owned());
        }
        let path = self.folder.join(reference);
        match std::fs::read_to_string(&path) {
            Ok(text) => Resolution::Text(text),
            Err(e) => Resolution::Failed(format!("{}: {e}", path.display())),
        }
    }
}
