//! What several test modules share: finding the real-world catalog files,
//! and reading their `$text`/`$json`/`$yaml` references from disk.

use std::path::{Path, PathBuf};

use portolan_catalog::{Resolution, Resolver};

/// The real-world fixtures: catalog files and templates from public repos.
pub fn realworld() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/realworld")
}

/// Every `.yaml` and `.yml` file under `dir`, appended to `out`.
pub fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Reads `$yaml`/`$json`/`$text` references next to the file, as the catalog does when it ingests it.
pub struct DirResolver(pub PathBuf);

impl Resolver for DirResolver {
    fn read(&self, reference: &str) -> Resolution {
        match std::fs::read_to_string(self.0.join(reference)) {
            Ok(text) => Resolution::Text(text),
            Err(e) => Resolution::Failed(e.to_string()),
        }
    }
}
