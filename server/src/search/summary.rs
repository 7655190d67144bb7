//! An entity's list fields (what the explorer shows and filters on), read
//! from its JSON. One mapping serves the index, entity pages and previews.

use std::sync::Arc;

use hashbrown::HashSet;

use portolan_catalog::{Entity, EntityRef};
use portolan_frontend::EntitySummary;
use serde::Deserialize;
use serde_json::Value;

/// `text` as a canonical reference with Backstage's defaults for the field
/// (kind, the entity's namespace); kept as written when it is not a reference.
fn canonical_ref(text: &str, kind: &str, namespace: &str) -> String {
    let defaults = portolan_catalog::RefDefaults { kind: Some(kind), namespace: Some(namespace) };
    EntityRef::parse(text, defaults).map_or_else(|_| text.to_owned(), |r| r.to_string())
}

/// Just the fields a summary needs, read without building the rest.
#[derive(Deserialize)]
struct ListFields {
    kind: String,
    metadata: ListMetadata,
    #[serde(default)]
    spec: ListSpec,
}

#[derive(Deserialize)]
struct ListMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    title: Option<Value>,
    #[serde(default)]
    description: Option<Value>,
    #[serde(default)]
    tags: Vec<Value>,
}

#[derive(Deserialize, Default)]
struct ListSpec {
    #[serde(default)]
    owner: Option<Value>,
    #[serde(default, rename = "type")]
    spec_type: Option<Value>,
    #[serde(default)]
    lifecycle: Option<Value>,
    #[serde(default)]
    system: Option<Value>,
}

/// The list fields of an entity's JSON. Owner and system are canonical
/// references (`group:default/team-a`), so facets group `team-a` and
/// `group:team-a` together. `None` when it has no kind or name.
pub fn summary_of(entity: &Value) -> Option<EntitySummary> {
    let fields = ListFields::deserialize(entity).ok()?;
    let spec = &fields.spec;
    Some(summary_from(ListParts {
        kind: &fields.kind,
        name: &fields.metadata.name,
        namespace: fields.metadata.namespace.as_deref(),
        title: text(&fields.metadata.title),
        description: text(&fields.metadata.description),
        tags: fields.metadata.tags.iter().filter_map(Value::as_str).collect(),
        owner: text(&spec.owner),
        system: text(&spec.system),
        spec_type: text(&spec.spec_type),
        lifecycle: text(&spec.lifecycle),
    }))
}

/// A field's text, if it is a string.
fn text(value: &Option<Value>) -> Option<&str> {
    value.as_ref().and_then(Value::as_str)
}

/// [`summary_of`] the entity's JSON, read from the typed entity.
pub fn summary_of_entity(entity: &Entity) -> EntitySummary {
    let m = &entity.metadata;
    summary_from(ListParts {
        kind: &entity.kind,
        name: &m.name,
        namespace: Some(&m.namespace),
        title: m.title.as_deref(),
        description: m.description.as_deref(),
        tags: m.tags.iter().map(String::as_str).collect(),
        owner: entity.spec_str("owner"),
        system: entity.spec_str("system"),
        spec_type: entity.spec_str("type"),
        lifecycle: entity.spec_str("lifecycle"),
    })
}

/// The list fields as read, string fields that are not strings left out.
struct ListParts<'a> {
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    title: Option<&'a str>,
    description: Option<&'a str>,
    tags: Vec<&'a str>,
    owner: Option<&'a str>,
    system: Option<&'a str>,
    spec_type: Option<&'a str>,
    lifecycle: Option<&'a str>,
}

fn summary_from(parts: ListParts<'_>) -> EntitySummary {
    let namespace = parts.namespace.unwrap_or(portolan_catalog::entity_ref::DEFAULT_NAMESPACE);
    let canonical = |v: Option<&str>, kind: &str| v.map(|t| Arc::from(canonical_ref(t, kind, namespace)));
    EntitySummary {
        owner: canonical(parts.owner, "group"),
        system: canonical(parts.system, "system"),
        spec_type: parts.spec_type.map(Arc::from),
        lifecycle: parts.lifecycle.map(Arc::from),
        kind: parts.kind.into(),
        name: parts.name.to_owned(),
        title: parts.title.map(str::to_owned),
        description: parts.description.map(str::to_owned),
        tags: parts.tags.into_iter().map(Arc::from).collect(),
        namespace: namespace.into(),
    }
}

/// One copy of each shared summary string and tag list, so that summaries
/// built apart (one per entity, on any thread) point at the same text.
/// What no summary holds any more is dropped as the set grows.
#[derive(Debug, Default)]
pub(super) struct SharedText {
    strings: HashSet<Arc<str>>,
    tag_lists: HashSet<Arc<[Arc<str>]>>,
    /// Size after the last sweep; the next sweep comes at twice that.
    swept_at: usize,
}

impl SharedText {
    /// The shared copy of `s`.
    pub(super) fn text(&mut self, s: &str) -> Arc<str> {
        shared_copy(&mut self.strings, s)
    }

    fn optional(&mut self, s: &Option<Arc<str>>) -> Option<Arc<str>> {
        s.as_deref().map(|s| self.text(s))
    }

    /// The shared copy of a tag list (whose tags are shared already).
    pub(super) fn tag_list(&mut self, tags: &[Arc<str>]) -> Arc<[Arc<str>]> {
        shared_copy(&mut self.tag_lists, tags)
    }

    /// `summary` with its shared fields pointing at this set's copies; the
    /// rest is copied, not moved, since the caller's may sit among
    /// short-lived garbage.
    pub(super) fn share(&mut self, summary: &EntitySummary) -> EntitySummary {
        self.sweep();
        let tags = match self.tag_lists.get(&*summary.tags) {
            Some(known) => Arc::clone(known),
            None => {
                let tags: Vec<Arc<str>> = summary.tags.iter().map(|t| self.text(t)).collect();
                self.tag_list(&tags)
            }
        };
        EntitySummary {
            kind: self.text(&summary.kind),
            namespace: self.text(&summary.namespace),
            name: summary.name.clone(),
            title: summary.title.clone(),
            description: summary.description.clone(),
            owner: self.optional(&summary.owner),
            spec_type: self.optional(&summary.spec_type),
            lifecycle: self.optional(&summary.lifecycle),
            system: self.optional(&summary.system),
            tags,
        }
    }

    /// Drops what only this set holds, once it has doubled since last time.
    fn sweep(&mut self) {
        let size = self.strings.len() + self.tag_lists.len();
        if size < self.swept_at.max(1024) * 2 {
            return;
        }
        self.tag_lists.retain(|t| Arc::strong_count(t) > 1);
        self.strings.retain(|s| Arc::strong_count(s) > 1);
        self.swept_at = self.strings.len() + self.tag_lists.len();
    }

    /// Estimated heap bytes of the set and the text only it accounts for.
    pub(super) fn heap_estimate(&self) -> usize {
        self.strings.capacity() * 17
            + self.strings.iter().map(|s| (s.len() + 16).next_multiple_of(8)).sum::<usize>()
            + self.tag_lists.capacity() * 17
            + self.tag_lists.iter().map(|t| t.len() * 16 + 16).sum::<usize>()
    }
}

/// The copy of `value` in `set`, added to it first if it has none.
fn shared_copy<T: ?Sized + std::hash::Hash + Eq>(set: &mut HashSet<Arc<T>>, value: &T) -> Arc<T>
where
    for<'v> Arc<T>: From<&'v T>,
{
    if let Some(known) = set.get(value) {
        return Arc::clone(known);
    }
    let own: Arc<T> = Arc::from(value);
    set.insert(Arc::clone(&own));
    own
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn component(name: &str, owner: &str) -> EntitySummary {
        let body = json!({
            "kind": "Component",
            "metadata": { "name": name, "tags": ["go", "grpc"] },
            "spec": { "owner": owner, "type": "service" },
        });
        summary_of(&body).expect("a summary")
    }

    #[test]
    fn summaries_built_apart_share_their_common_text() {
        let mut shared = SharedText::default();
        let a = shared.share(&component("a", "team-a"));
        let b = shared.share(&component("b", "team-a"));
        assert!(Arc::ptr_eq(&a.kind, &b.kind) && Arc::ptr_eq(&a.tags, &b.tags) && Arc::ptr_eq(&a.tags[0], &b.tags[0]));
        assert!(a.owner.as_ref().zip(b.owner.as_ref()).is_some_and(|(x, y)| Arc::ptr_eq(x, y)));
        assert_eq!((a.owner.as_deref(), b.name.as_str()), (Some("group:default/team-a"), "b"));
        assert_eq!(a, component("a", "team-a"), "sharing changes no value");
    }

    #[test]
    fn text_no_summary_holds_is_dropped_as_the_set_grows() {
        let mut shared = SharedText::default();
        let kept = shared.share(&component("kept", "team-kept"));
        for i in 0..5000 {
            shared.share(&component("gone", &format!("team-{i}")));
        }
        assert!(shared.strings.len() < 3000, "{} strings kept", shared.strings.len());
        assert!(shared.strings.contains("group:default/team-kept") && shared.strings.contains("Component"));
        assert_eq!(kept.owner.as_deref(), Some("group:default/team-kept"));
    }
}
