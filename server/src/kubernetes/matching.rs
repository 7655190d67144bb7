//! Which cluster objects belong to a catalog entity, as Backstage decides it
//! (spec §4.2): `backstage.io/kubernetes-id` (else the entity's name) as the
//! label `backstage.io/kubernetes-id=<id>`, or the entity's own
//! `backstage.io/kubernetes-label-selector`; `backstage.io/kubernetes-namespace`
//! narrows to one namespace and `backstage.io/kubernetes-cluster` to one cluster.

use std::collections::BTreeMap;

use kube::core::{Expression, Selector, SelectorExt};
use serde_json::Value;

/// `backstage.io/kubernetes-id`.
pub const ID_ANNOTATION: &str = "backstage.io/kubernetes-id";
/// `backstage.io/kubernetes-label-selector`.
pub const SELECTOR_ANNOTATION: &str = "backstage.io/kubernetes-label-selector";
/// `backstage.io/kubernetes-namespace`.
pub const NAMESPACE_ANNOTATION: &str = "backstage.io/kubernetes-namespace";
/// `backstage.io/kubernetes-cluster`.
pub const CLUSTER_ANNOTATION: &str = "backstage.io/kubernetes-cluster";

/// What an entity's objects are.
#[derive(Debug, Clone)]
pub struct EntityTarget {
    /// The service id (`kubernetes-id`, else the entity's name).
    pub service_id: String,
    /// The label selector, as written.
    pub selector_text: String,
    selector: Selector,
    /// Only this namespace, when set.
    pub namespace: Option<String>,
    /// Only this cluster, when set.
    pub cluster: Option<String>,
}

impl EntityTarget {
    /// The target of an entity that has Kubernetes annotations (Backstage shows
    /// the tab only for those); an error names a selector it cannot read.
    pub fn of(entity: &Value) -> Result<Option<EntityTarget>, String> {
        let annotation = |key: &str| entity.pointer("/metadata/annotations").and_then(|a| a.get(key)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        let id = annotation(ID_ANNOTATION);
        let custom = annotation(SELECTOR_ANNOTATION);
        if id.is_none() && custom.is_none() {
            return Ok(None);
        }
        let name = entity.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let service_id = id.unwrap_or(name).to_owned();
        let selector_text = custom.map_or_else(|| format!("{ID_ANNOTATION}={service_id}"), str::to_owned);
        let selector = parse_selector(&selector_text).map_err(|e| format!("{SELECTOR_ANNOTATION} {selector_text:?}: {e}"))?;
        Ok(Some(EntityTarget {
            service_id,
            selector_text,
            selector,
            namespace: annotation(NAMESPACE_ANNOTATION).map(str::to_owned),
            cluster: annotation(CLUSTER_ANNOTATION).map(str::to_owned),
        }))
    }

    /// Whether an object with these labels, in this namespace and cluster, is the entity's.
    pub fn matches(&self, cluster: &str, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> bool {
        self.cluster.as_deref().is_none_or(|c| c == cluster)
            && self.namespace.as_deref().is_none_or(|n| Some(n) == namespace)
            && self.selector.matches(labels)
    }

    /// Whether a change with these labels (or a whole relist, `None`) can affect the entity.
    pub fn affected_by(&self, cluster: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.cluster.as_deref().is_none_or(|c| c == cluster) && labels.is_none_or(|l| self.selector.matches(l))
    }
}

/// Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
/// `a in (x,y)`, `a notin (x,y)`, joined by commas.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    let mut expressions = Vec::new();
    for term in terms.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        expressions.push(parse_term(term)?);
    }
    if expressions.is_empty() {
        return Err("the selector is empty".to_owned());
    }
    Ok(Selector::from_iter(expressions))
}

fn set(values: &str) -> Result<std::collections::BTreeSet<String>, String> {
    let inner = values.trim().strip_prefix('(').and_then(|v| v.strip_suffix(')')).ok_or_else(|| format!("expected (a,b) after in/notin, got {values:?}"))?;
    Ok(inner.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
}

fn parse_term(term: &str) -> Result<Expression, String> {
    let key_ok = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if let Some(key) = term.strip_prefix('!') {
        return key_ok(key.trim()).then(|| Expression::DoesNotExist(key.trim().to_owned())).ok_or_else(|| format!("bad key in {term:?}"));
    }
    if let Some((key, value)) = term.split_once("!=") {
        return Ok(Expression::NotEqual(key.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return key_ok(key.trim()).then(|| Expression::Equal(key.trim().to_owned(), value.trim().to_owned())).ok_or_else(|| format!("bad key in {term:?}"));
    }
    if let Some((key, values)) = term.split_once(" notin ") {
        return Ok(Expression::NotIn(key.trim().to_owned(), set(values)?));
    }
    if let Some((key, values)) = term.split_once(" in ") {
        return Ok(Expression::In(key.trim().to_owned(), set(values)?));
    }
    key_ok(term).then(|| Expression::Exists(term.to_owned())).ok_or_else(|| format!("cannot read {term:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn selectors_match_as_kubernetes_does() {
        let s = parse_selector("app=web, tier in (front, edge),!canary,env!=dev").expect("parses");
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "edge")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "edge"), ("canary", "1")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "back")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "front"), ("env", "dev")])));
        assert!(parse_selector("").is_err());
        assert!(parse_selector("a in x").is_err());
    }
}
