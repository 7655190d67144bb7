//! What the writer of a pass needs of each entity, built on all cores ahead
//! of its transaction: the entity's JSON, the stored body as text
//! (serialized once, then both hashed and stored), and from those the row
//! and index entry of each entity that is written.

use portolan_catalog::{EntityRef, RelationType};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::process::Emitted;
use crate::store::entities::{self, EntityWrite, PreparedEntity};

/// Stands for the uid in a staged body text: as long as the uids given to
/// new entities (hyphenated UUIDs), so that filling it in moves nothing.
const UID_PLACEHOLDER: &str = "00000000-0000-0000-0000-000000000000";

/// Stands for the etag, as long as a simple UUID.
const ETAG_PLACEHOLDER: &str = "00000000000000000000000000000000";

/// How the two placeholders read in the text: `metadata` has them in
/// this order, right after its name and namespace.
const PLACEHOLDERS: &str = ",\"uid\":\"00000000-0000-0000-0000-000000000000\",\"etag\":\"00000000000000000000000000000000\"";

/// An entity of a chunk as the writer needs it (see the module docs).
pub(super) struct Staged {
    /// The canonical reference, as text.
    pub key: String,
    pub entity_ref: EntityRef,
    /// Tells an unchanged entity: see [`content_hash`].
    pub hash: String,
    /// The entity without relations and status (the entity's strings moved
    /// into it, not copied): what its index entry is built from.
    body: Map<String, Value>,
    /// `body` as text, with placeholders where the uid and etag go.
    text: String,
    /// The outgoing `(type, target ref)` relations, and the same as
    /// `[[type, target ref], …]` text.
    relations: Vec<(RelationType, String)>,
    relations_json: String,
    /// The file it was read from, `<type>:<target>`.
    pub source: String,
    /// The Location entity that led to that file.
    pub parent: Option<String>,
}

/// Stages a chunk on all cores, off the runtime.
pub(super) async fn stage(chunk: Vec<Emitted>) -> anyhow::Result<Vec<Staged>> {
    Ok(tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        chunk.into_par_iter().map(Staged::new).collect()
    })
    .await?)
}

impl Staged {
    fn new(e: Emitted) -> Staged {
        let mut entity = e.entity;
        let entity_ref = entity.entity_ref();
        let relations: Vec<(RelationType, String)> =
            std::mem::take(&mut entity.relations).into_iter().map(|r| (r.relation_type, r.target_ref.to_string())).collect();
        entity.status = None;
        entity.metadata.uid = Some(UID_PLACEHOLDER.to_owned());
        entity.metadata.etag = Some(ETAG_PLACEHOLDER.to_owned());
        // The same text as serializing `body` (the catalog's tests hold
        // `into_json` to that), from the typed entity, which is quicker.
        let text = serde_json::to_string(&entity);
        let body = entity.into_json();
        let text = text.or_else(|_| serde_json::to_string(&body)).unwrap_or_default();
        let relations_json = relations_json(&relations);
        let hash = content_hash(&text, &relations_json, &e.source, e.parent.as_deref());
        Staged { key: entity_ref.to_string(), entity_ref, hash, body, text, relations, relations_json, source: e.source, parent: e.parent }
    }

    /// The row and index entry of the staged entity, written as `uid`.
    fn prepare(self, uid: String, location_id: &str, now: &str) -> PreparedEntity {
        let Staged { entity_ref, hash, mut body, text, relations, relations_json, source, parent, .. } = self;
        let etag = uuid::Uuid::new_v4().simple().to_string();
        if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("uid".into(), Value::String(uid.clone()));
            meta.insert("etag".into(), Value::String(etag.clone()));
        }
        let body_text = fill_in(text, &uid, &etag).unwrap_or_else(|| serde_json::to_string(&body).unwrap_or_default());
        let write = EntityWrite {
            uid: &uid,
            entity_ref: &entity_ref,
            location_id,
            source: &source,
            parent_ref: parent.as_deref(),
            hash: &hash,
        };
        let text = entities::StoredText { body: body_text, relations: relations_json, etag };
        entities::prepare(&write, &Value::Object(body), relations, text, now)
    }
}

/// `[[type, target ref], …]`, as the `relations` column holds them.
fn relations_json(relations: &[(RelationType, String)]) -> String {
    let pairs: Vec<[&str; 2]> = relations.iter().map(|(t, target)| [t.as_str(), target.as_str()]).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// The content hash that tells an unchanged entity: SHA-256 of the staged
/// body text (uid and etag as placeholders) and of its relations' text,
/// hashed as one buffer each instead of streamed through a serializer, and
/// of where it was read (file and Location entity above it), so that an
/// entity moved unchanged to another file is written again with its new
/// source. Each part goes in with its length: no two can run together.
fn content_hash(text: &str, relations_json: &str, source: &str, parent: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    for part in [text, relations_json, source, parent.unwrap_or_default()] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update([u8::from(parent.is_some())]);
    hex::encode(hasher.finalize())
}

/// `text` with the placeholders of its uid and etag replaced; `None` when
/// they are not where [`Staged::new`] put them. A JSON string holds no
/// unescaped quote, so the first `,"uid":"` of the text is the metadata's:
/// only `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`,
/// all strings, come before it.
fn fill_in(mut text: String, uid: &str, etag: &str) -> Option<String> {
    let at = text.find(PLACEHOLDERS)?;
    let uid = serde_json::to_string(uid).ok()?;
    let etag = serde_json::to_string(etag).ok()?;
    text.replace_range(at..at + PLACEHOLDERS.len(), &format!(",\"uid\":{uid},\"etag\":{etag}"));
    Some(text)
}

/// Builds every entity's row and index entry on all cores, consuming the
/// staged entities as it goes.
pub(super) fn prepare_all(to_write: Vec<(String, Staged)>, location_id: &str) -> Vec<PreparedEntity> {
    use rayon::prelude::*;
    let now = entities::now();
    to_write.into_par_iter().map(|(uid, e)| e.prepare(uid, location_id, &now)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(yaml: &str) -> Staged {
        let report = portolan_catalog::parse_catalog_file(yaml, &portolan_catalog::NoResolver);
        let entity = report.documents.into_iter().find_map(|d| d.entity).expect("a valid entity");
        Staged::new(Emitted { entity, source: "file:/c/catalog-info.yaml".into(), parent: None })
    }

    const COMPONENT: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders
  namespace: ns
  title: 'a"uid":x'
  description: ',"uid":"00000000-0000-0000-0000-000000000000","etag":"00000000000000000000000000000000"'
spec:
  type: service
  owner: team-a
  lifecycle: production
  uid: 00000000-0000-0000-0000-000000000000
"#;

    #[test]
    fn the_stored_text_is_the_bodys_json_with_its_uid_and_etag() {
        let uid = "0190f5a2-7c1e-7d3a-9f00-123456789abc";
        let prepared = staged(COMPONENT).prepare(uid.to_owned(), "loc", "2026-12-06T00:00:00.000Z");
        let body: Value = serde_json::from_str(prepared.body_text()).expect("JSON");
        assert_eq!(body["metadata"]["uid"], uid);
        assert_eq!(body["metadata"]["etag"].as_str().map(str::len), Some(32));
        assert_ne!(body["metadata"]["etag"], ETAG_PLACEHOLDER);
        // What looks like the placeholder in the entity's own fields stays.
        assert_eq!(body["metadata"]["title"], "a\"uid\":x");
        assert_eq!(body["metadata"]["description"], PLACEHOLDERS);
        assert_eq!(body["spec"]["uid"], UID_PLACEHOLDER);
        assert!(body.get("relations").is_none() && body.get("status").is_none());
        // Key for key the text of the JSON the index entry is built from.
        let mut expected = staged(COMPONENT).body;
        let meta = expected.get_mut("metadata").and_then(Value::as_object_mut).expect("metadata");
        meta.insert("uid".into(), uid.into());
        meta.insert("etag".into(), body["metadata"]["etag"].clone());
        assert_eq!(prepared.body_text(), serde_json::to_string(&expected).expect("text"));
    }

    #[test]
    fn the_hash_follows_the_content_and_the_relations() {
        let a = staged(COMPONENT);
        assert_eq!(a.hash, staged(COMPONENT).hash);
        assert_ne!(a.hash, staged(&COMPONENT.replace("team-a", "team-b")).hash, "owner and ownedBy relation");
        assert_ne!(a.hash, staged(&COMPONENT.replace("service", "website")).hash);
        assert_eq!(a.relations_json, "[[\"ownedBy\",\"group:ns/team-a\"]]");
        let moved = |source: &str, parent: Option<&str>| {
            let report = portolan_catalog::parse_catalog_file(COMPONENT, &portolan_catalog::NoResolver);
            let entity = report.documents.into_iter().find_map(|d| d.entity).expect("a valid entity");
            Staged::new(Emitted { entity, source: source.into(), parent: parent.map(str::to_owned) }).hash
        };
        assert_ne!(a.hash, moved("file:/c/other.yaml", None), "the same entity read from another file");
        assert_ne!(a.hash, moved("file:/c/catalog-info.yaml", Some("location:default/root")), "under another Location");
    }

    #[test]
    fn the_placeholders_are_those_the_entity_is_serialized_with() {
        assert_eq!(PLACEHOLDERS, format!(",\"uid\":\"{UID_PLACEHOLDER}\",\"etag\":\"{ETAG_PLACEHOLDER}\""));
        assert!(staged(COMPONENT).text.contains(PLACEHOLDERS));
    }

    #[test]
    fn a_uid_of_another_length_is_filled_in_too() {
        for uid in ["short-uid", "with \"quotes\" and \\"] {
            let prepared = staged(COMPONENT).prepare(uid.to_owned(), "loc", "2026-12-06T00:00:00.000Z");
            let body: Value = serde_json::from_str(prepared.body_text()).expect("JSON");
            assert_eq!(body["metadata"]["uid"], uid);
        }
    }
}
