//! Finding, reading and checking catalog files on disk.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use portolan_catalog::{
    Diagnostic, EntityRef, FileReport, LocationRef, Presence, ReferenceTarget, Severity,
    location_targets, parse_catalog_file,
};
use rayon::prelude::*;

use crate::ingest::reader::FileResolver;

/// Names searched for when a directory is given.
const CATALOG_FILE_NAMES: &[&str] = &["catalog-info.yaml", "catalog-info.yml"];
/// Scaffolder templates' conventional names, also searched: they are entities
/// too, and they tell which folders are skeletons. Found files that hold no
/// entity at all are not catalog files and are dropped.
const TEMPLATE_FILE_NAMES: &[&str] = &["template.yaml", "template.yml"];
/// Directories never searched.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "target", ".venv", "vendor"];

/// One file's outcome.
#[derive(Debug)]
pub struct CheckedFile {
    /// Path as shown to the user.
    pub display: String,
    /// The file's text, for quoting offending lines.
    pub text: String,
    /// What the catalog engine made of it.
    pub report: FileReport,
}

/// The outcome of a whole run.
#[derive(Debug, Default)]
pub struct Validation {
    /// Files in the order they were found.
    pub files: Vec<CheckedFile>,
    /// Catalog files under template skeletons that a directory search passed over.
    pub skipped_skeleton_files: usize,
}

impl Validation {
    fn count(&self, severity: Severity) -> usize {
        self.files.iter().map(|f| f.report.count(severity)).sum()
    }

    /// Errors in all files.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Warnings in all files.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Valid entities in all files.
    pub fn entities(&self) -> usize {
        self.files.iter().map(|f| f.report.entities().count()).sum()
    }
}

fn check_file(path: &Path) -> CheckedFile {
    let display = path.display().to_string();
    let folder = path.parent().unwrap_or(Path::new("."));
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let report = parse_catalog_file(&text, &FileResolver { folder });
            CheckedFile { display, text, report }
        }
        Err(e) => {
            let mut report = FileReport::default();
            report.diagnostics.push(Diagnostic::error(0, Default::default(), "", format!("cannot read the file: {e}")));
            CheckedFile { display, text: String::new(), report }
        }
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default()
}

fn is_catalog_file(path: &Path) -> bool {
    let name = file_name(path);
    CATALOG_FILE_NAMES.contains(&name) || TEMPLATE_FILE_NAMES.contains(&name)
}

fn search_dir(dir: &Path, out: &mut Vec<PathBuf>) {
    let walker = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| {
        !(e.file_type().is_dir() && e.depth() > 0 && e.file_name().to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n)))
    });
    out.extend(walker.filter_map(Result::ok).filter(|e| e.file_type().is_file() && is_catalog_file(e.path())).map(|e| e.into_path()));
}

/// Checks the given files and directories and every file their Location entities point at.
pub fn validate_paths(paths: &[PathBuf], dangling: bool) -> anyhow::Result<Validation> {
    let mut explicit = Vec::new();
    let mut searched = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            search_dir(path, &mut searched);
        } else {
            explicit.push(path.clone());
        }
    }
    if explicit.is_empty() && searched.is_empty() {
        bail!("no catalog-info.yaml or catalog-info.yml under {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut files: Vec<CheckedFile> = Vec::new();
    let mut batch: Vec<PathBuf> = explicit.into_iter().chain(searched.iter().cloned()).collect();
    let searched: HashSet<PathBuf> = searched.into_iter().map(|p| canonical(&p)).collect();
    while !batch.is_empty() {
        batch.retain(|p| seen.insert(canonical(p)));
        let checked: Vec<CheckedFile> = batch.par_iter().map(|p| check_file(p)).collect();
        let mut next = Vec::new();
        for file in checked {
            next.extend(follow_locations(&file));
            files.push(file);
        }
        batch = next;
    }
    let skeletons = skeleton_dirs(&files);
    files.retain(|f| {
        let path = Path::new(&f.display);
        let found_template_name = TEMPLATE_FILE_NAMES.contains(&file_name(path));
        !(found_template_name && searched.contains(&canonical(path)) && f.report.documents.iter().all(|d| d.envelope.is_none()))
    });
    let before = files.len();
    files.retain(|f| {
        let path = canonical(Path::new(&f.display));
        !(searched.contains(&path) && skeletons.iter().any(|s| path.starts_with(s)))
    });
    let skipped_skeleton_files = before - files.len();
    report_missing_targets(&mut files);
    if dangling {
        report_dangling(&mut files);
    }
    Ok(Validation { files, skipped_skeleton_files })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The file paths that a file's Location entities point at (globs expanded).
fn follow_locations(file: &CheckedFile) -> Vec<PathBuf> {
    let source = LocationRef::new("file", &file.display);
    let mut out = Vec::new();
    for entity in file.report.entities() {
        for target in location_targets(entity, &source) {
            if target.location.location_type != "file" {
                continue;
            }
            out.extend(expand(&target.location.target).into_iter().filter(|p| p.is_file()));
        }
    }
    out
}

fn expand(pattern: &str) -> Vec<PathBuf> {
    if !pattern.contains(['*', '?', '[']) {
        return vec![PathBuf::from(pattern)];
    }
    glob::glob(pattern).map(|paths| paths.filter_map(Result::ok).filter(|p| p.is_file()).collect()).unwrap_or_default()
}

/// Required file targets that match no file are errors on the Location's target line.
fn report_missing_targets(files: &mut [CheckedFile]) {
    for file in files.iter_mut() {
        let source = LocationRef::new("file", &file.display);
        let mut found = Vec::new();
        for doc in &file.report.documents {
            let Some(entity) = &doc.entity else { continue };
            let targets = location_targets(entity, &source);
            let positions = doc.references.iter().filter(|r| matches!(r.target, ReferenceTarget::Location(_)));
            for (target, reference) in targets.iter().zip(positions) {
                let t = &target.location;
                let missing = t.location_type == "file" && expand(&t.target).is_empty();
                if missing && target.presence == Presence::Required {
                    let msg = format!("location target {} matches no file (add `presence: optional` if that is expected)", t.target);
                    found.push(Diagnostic::error(doc.index, reference.pos, &reference.field, msg));
                } else if t.location_type == "url" {
                    let msg = format!("location target {} is a URL; it is read by the server, not offline", t.target);
                    found.push(Diagnostic::warning(doc.index, reference.pos, &reference.field, msg));
                }
            }
        }
        file.report.diagnostics.extend(found);
    }
}

/// Relation targets that none of the checked files define are warnings.
fn report_dangling(files: &mut [CheckedFile]) {
    let known: HashSet<EntityRef> = files.iter().flat_map(|f| f.report.entities().map(|e| e.entity_ref())).collect();
    for file in files.iter_mut() {
        let mut found = Vec::new();
        for doc in &file.report.documents {
            if doc.entity.is_none() {
                continue;
            }
            for reference in &doc.references {
                let ReferenceTarget::Entity(relation) = &reference.target else { continue };
                if !known.contains(&relation.target_ref) {
                    let msg = format!("{} is not defined in the checked files (relation {})", relation.target_ref, relation.relation_type);
                    found.push(Diagnostic::warning(doc.index, reference.pos, &reference.field, msg));
                }
            }
        }
        file.report.diagnostics.extend(found);
    }
}

/// Skeleton folders of the Templates found: `fetch:template`/`fetch:plain` steps' relative `url`s.
fn skeleton_dirs(files: &[CheckedFile]) -> Vec<PathBuf> {
    let mut dirs = BTreeSet::new();
    for file in files {
        let folder = canonical(Path::new(&file.display)).parent().map(Path::to_path_buf).unwrap_or_default();
        for entity in file.report.entities().filter(|e| e.kind == "Template") {
            let steps = entity.spec.as_ref().and_then(|s| s.get("steps")).and_then(|s| s.as_array());
            for step in steps.into_iter().flatten() {
                let action = step.get("action").and_then(|a| a.as_str()).unwrap_or_default();
                if !action.starts_with("fetch:") {
                    continue;
                }
                let url = step.get("input").and_then(|i| i.get("url")).and_then(|u| u.as_str());
                if let Some(url) = url.filter(|u| !u.contains("://") && !u.contains("${{")) {
                    dirs.insert(canonical(&folder.join(url)));
                }
            }
        }
    }
    dirs.into_iter().collect()
}
