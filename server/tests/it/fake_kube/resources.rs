//! The resource types the fake serves, and label/field selectors as the
//! API server parses and applies them.

use serde_json::Value;

/// One served resource type (group/version/plural).
#[derive(Debug)]
pub struct ResourceType {
    /// API group, `""` for core.
    pub group: &'static str,
    /// Version, e.g. `v1`.
    pub version: &'static str,
    /// Plural used in URLs, e.g. `pods`.
    pub plural: &'static str,
    /// Kind, e.g. `Pod`.
    pub kind: &'static str,
    /// Short names for discovery.
    pub short: &'static [&'static str],
}

impl ResourceType {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_owned() } else { format!("{}/{}", self.group, self.version) }
    }
}

/// Every resource type served; all are namespaced.
pub static RESOURCES: &[ResourceType] = &[
    ResourceType { group: "", version: "v1", plural: "pods", kind: "Pod", short: &["po"] },
    ResourceType { group: "", version: "v1", plural: "services", kind: "Service", short: &["svc"] },
    ResourceType { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", short: &["cm"] },
    ResourceType { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", short: &["deploy"] },
    ResourceType { group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", short: &["rs"] },
    ResourceType { group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", short: &["sts"] },
    ResourceType { group: "apps", version: "v1", plural: "daemonsets", kind: "DaemonSet", short: &["ds"] },
    ResourceType { group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", short: &["hpa"] },
    ResourceType { group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress", short: &["ing"] },
    ResourceType { group: "batch", version: "v1", plural: "jobs", kind: "Job", short: &[] },
    ResourceType { group: "batch", version: "v1", plural: "cronjobs", kind: "CronJob", short: &["cj"] },
];

/// The index in [`RESOURCES`] of `group`/`version`/`plural`.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<usize> {
    RESOURCES.iter().position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The index of a resource named by plural, kind or short name (any case).
pub fn by_name(name: &str) -> Option<usize> {
    let name = name.to_ascii_lowercase();
    RESOURCES
        .iter()
        .position(|r| r.plural == name || r.kind.to_ascii_lowercase() == name || r.short.contains(&name.as_str()))
}

/// The index of the resource an object's `apiVersion` group and `kind` belong to.
pub fn by_object(api_version: &str, kind: &str) -> Option<usize> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    RESOURCES.iter().position(|r| r.group == group && r.kind == kind)
}

/// One requirement of a selector.
#[derive(Debug, Clone)]
enum Requirement {
    /// `key=v`, `key==v`, `key in (..)`.
    In(String, Vec<String>),
    /// `key!=v`, `key notin (..)`: also true when the key is absent.
    NotIn(String, Vec<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    Absent(String),
    /// `key>n` / `key<n` (integers).
    Gt(String, i64),
    /// `key<n`.
    Lt(String, i64),
}

/// A parsed label or field selector: requirements joined by AND.
#[derive(Debug, Clone, Default)]
pub struct Selector(Vec<Requirement>);

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0_i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn set_values(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
}

impl Selector {
    /// Parses Kubernetes selector syntax; `Err` carries the API server's kind of message.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in split_top(text).into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("unable to parse requirement: {part:?}");
            let req = if let Some(key) = part.strip_prefix('!') {
                Requirement::Absent(key.trim().to_owned())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                Requirement::NotIn(k.trim().to_owned(), set_values(rest).ok_or_else(bad)?)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                Requirement::In(k.trim().to_owned(), set_values(rest).ok_or_else(bad)?)
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotIn(k.trim().to_owned(), vec![v.trim().to_owned()])
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::In(k.trim().to_owned(), vec![v.trim().to_owned()])
            } else if let Some((k, v)) = part.split_once('>') {
                Requirement::Gt(k.trim().to_owned(), v.trim().parse().map_err(|_| bad())?)
            } else if let Some((k, v)) = part.split_once('<') {
                Requirement::Lt(k.trim().to_owned(), v.trim().parse().map_err(|_| bad())?)
            } else {
                Requirement::Exists(part.to_owned())
            };
            let key = match &req {
                Requirement::In(k, _) | Requirement::NotIn(k, _) | Requirement::Exists(k) | Requirement::Absent(k) => k,
                Requirement::Gt(k, _) | Requirement::Lt(k, _) => k,
            };
            if !valid_key(key) {
                return Err(bad());
            }
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether `lookup` (key → value) satisfies every requirement.
    pub fn matches(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|req| match req {
            Requirement::In(k, vs) => lookup(k).is_some_and(|v| vs.contains(&v)),
            Requirement::NotIn(k, vs) => lookup(k).is_none_or(|v| !vs.contains(&v)),
            Requirement::Exists(k) => lookup(k).is_some(),
            Requirement::Absent(k) => lookup(k).is_none(),
            Requirement::Gt(k, n) => lookup(k).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v > *n),
            Requirement::Lt(k, n) => lookup(k).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v < *n),
        })
    }

    /// Matches an object's `metadata.labels`.
    pub fn matches_labels(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        self.matches(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str).map(str::to_owned))
    }

    /// Matches dotted field paths (`metadata.name`, `status.phase`, `spec.nodeName`).
    pub fn matches_fields(&self, object: &Value) -> bool {
        self.matches(|path| {
            let pointer = format!("/{}", path.replace('.', "/"));
            match object.pointer(&pointer) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => Some(String::new()),
                Some(other) => Some(other.to_string()),
            }
        })
    }

    /// True when there is no requirement.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
