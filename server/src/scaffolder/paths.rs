//! Paths inside a task's workspace: whatever a template or a parameter says,
//! nothing is read or written outside it (no `..`, no absolute path, no
//! symbolic link on the way).

use std::path::{Component, Path, PathBuf};

/// `relative` under `root`, refused when it could leave `root`.
pub fn inside(root: &Path, relative: &str) -> Result<PathBuf, String> {
    let relative = relative.trim();
    let path = Path::new(relative);
    if path.is_absolute() || relative.starts_with('/') || relative.starts_with('\\') {
        return Err(format!("path {relative:?} is absolute; paths must stay inside the workspace"));
    }
    let mut out = root.to_path_buf();
    for part in path.components() {
        match part {
            Component::Normal(segment) => {
                out.push(segment);
                if let Ok(meta) = std::fs::symlink_metadata(&out)
                    && meta.file_type().is_symlink()
                {
                    return Err(format!("path {relative:?} goes through a symbolic link; paths must stay inside the workspace"));
                }
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("path {relative:?} contains \"..\"; paths must stay inside the workspace")),
            Component::RootDir | Component::Prefix(_) => return Err(format!("path {relative:?} is absolute; paths must stay inside the workspace")),
        }
    }
    Ok(out)
}

/// The files under `dir` (recursively, symbolic links included as links), as
/// paths relative to it with `/` separators, sorted.
pub fn list_files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| e.path().strip_prefix(dir).ok().map(|p| p.to_string_lossy().replace('\\', "/")))
        .collect();
    out.sort();
    out
}

/// Whether a template-rendered relative path has an empty segment (Backstage
/// skips such files: `{% if %}` around a whole name leaves it out).
pub fn has_empty_segment(rendered: &str) -> bool {
    rendered.is_empty() || rendered.split('/').any(|s| s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        let root = Path::new("/tmp/ws");
        assert!(inside(root, "../etc/passwd").is_err());
        assert!(inside(root, "a/../../b").is_err());
        assert!(inside(root, "/etc/passwd").is_err());
        assert_eq!(inside(root, "./a/b.txt").ok(), Some(PathBuf::from("/tmp/ws/a/b.txt")));
    }
}
