//! Location entities and location references: which targets a Location
//! points at, and how relative targets resolve against the file that holds
//! them (`file` paths against its folder, `url`s against its URL).

use std::fmt;

use crate::entity::Entity;

/// Whether a missing target is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// A missing target is an error (the default).
    #[default]
    Required,
    /// A missing target is skipped silently.
    Optional,
}

/// Where catalog files are read from: `<type>:<target>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationRef {
    /// `file` or `url` (others are kept for providers).
    pub location_type: String,
    /// A path or URL.
    pub target: String,
}

impl LocationRef {
    /// A location reference from its parts.
    pub fn new(location_type: impl Into<String>, target: impl Into<String>) -> Self {
        Self { location_type: location_type.into(), target: target.into() }
    }

    /// Parses `<type>:<target>`, splitting at the first `:`.
    pub fn parse(text: &str) -> Option<Self> {
        let (t, target) = text.split_once(':')?;
        (!t.is_empty() && !target.is_empty()).then(|| Self::new(t, target))
    }
}

impl fmt::Display for LocationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.location_type, self.target)
    }
}

/// One target of a Location entity, resolved against the file that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationTarget {
    /// Type and absolute target.
    pub location: LocationRef,
    /// Whether it must exist.
    pub presence: Presence,
}

/// The targets of a Location entity, resolved against `source` (the location
/// the entity was read from). Non-Location entities have none.
pub fn location_targets(entity: &Entity, source: &LocationRef) -> Vec<LocationTarget> {
    if entity.kind != "Location" {
        return Vec::new();
    }
    let written_type = entity.spec_str("type");
    let presence = match entity.spec_str("presence") {
        Some("optional") => Presence::Optional,
        _ => Presence::Required,
    };
    let spec = entity.spec.as_ref();
    let single = spec.and_then(|s| s.get("target")).and_then(|v| v.as_str());
    let many = spec.and_then(|s| s.get("targets")).and_then(|v| v.as_array());
    single
        .into_iter()
        .chain(many.into_iter().flatten().filter_map(|v| v.as_str()))
        .map(|target| {
            // A Location without a type inherits the reading type, but an
            // absolute URL can only be read as one.
            let location_type = match written_type {
                Some(t) => t,
                None if target.contains("://") => "url",
                None => &source.location_type,
            };
            LocationTarget {
                location: LocationRef::new(location_type, resolve_relative(location_type, source, target)),
                presence,
            }
        })
        .collect()
}

/// Resolves `target` against `source` when it is relative and of the same type.
pub fn resolve_relative(location_type: &str, source: &LocationRef, target: &str) -> String {
    if location_type != source.location_type {
        return target.to_owned();
    }
    match location_type {
        "file" => resolve_path(&source.target, target),
        "url" => url::Url::parse(&source.target)
            .and_then(|base| base.join(target))
            .map_or_else(|_| target.to_owned(), String::from),
        _ => target.to_owned(),
    }
}

/// Joins a relative path to the folder of `base_file` and removes `.` and `..` parts.
fn resolve_path(base_file: &str, target: &str) -> String {
    if target.starts_with('/') {
        return normalize(target);
    }
    let folder = base_file.rsplit_once('/').map_or("", |(dir, _)| dir);
    if folder.is_empty() && !base_file.starts_with('/') {
        return normalize(target);
    }
    normalize(&format!("{folder}/{target}"))
}

fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_files_and_urls() {
        let file = LocationRef::new("file", "/repo/catalog/all.yaml");
        assert_eq!(resolve_relative("file", &file, "./a/b.yaml"), "/repo/catalog/a/b.yaml");
        assert_eq!(resolve_relative("file", &file, "../templates/t.yaml"), "/repo/templates/t.yaml");
        let url = LocationRef::new("url", "https://github.com/o/r/blob/main/catalog-info.yaml");
        assert_eq!(
            resolve_relative("url", &url, "./docs/api.yaml"),
            "https://github.com/o/r/blob/main/docs/api.yaml"
        );
        assert_eq!(resolve_relative("url", &file, "https://x/y.yaml"), "https://x/y.yaml");
    }

    #[test]
    fn location_refs() {
        let r = LocationRef::parse("url:https://a/b").unwrap();
        assert_eq!((r.location_type.as_str(), r.target.as_str()), ("url", "https://a/b"));
        assert!(LocationRef::parse("nocolon").is_none());
    }
}
