//! What the writer of a pass needs of each entity, built on all cores ahead
//! of its transaction: the stored body as text (serialized once, with a
//! fresh uid and etag, then hashed as if they were placeholders, and
//! stored), and the entity's search index entry. The writer only swaps in
//! the stored uid of an entity that is stored already, and builds nothing
//! in its transaction.

use portolan_catalog::{EntityRef, RelationType};
use sha2::{Digest, Sha256};

use super::process::Emitted;
use crate::search::IndexedEntity;
use crate::store::entities::{self, EntityWrite, PreparedEntity};

/// Stands for the uid in a staged body text while it is hashed: as long as
/// the uids given to new entities (hyphenated UUIDs).
const UID_PLACEHOLDER: &str = "00000000-0000-0000-0000-000000000000";

/// Stands for the etag, as long as a simple UUID.
const ETAG_PLACEHOLDER: &str = "00000000000000000000000000000000";

/// How the two placeholders read in the text (see [`ids_text`]), spelt out
/// so that staging an entity does not build it again.
const PLACEHOLDERS: &str = ",\"uid\":\"00000000-0000-0000-0000-000000000000\",\"etag\":\"00000000000000000000000000000000\"";

/// How the uid's key starts in a body's text.
const UID_KEY: &str = ",\"uid\":\"";

/// An entity of a chunk as the writer needs it (see the module docs).
pub(super) struct Staged {
    /// The canonical reference, as text.
    pub key: String,
    pub entity_ref: EntityRef,
    /// Tells an unchanged entity: see [`content_hash`].
    pub hash: String,
    /// The uid a new entity is stored under, which `text` and `indexed`
    /// carry until [`Staged::prepare`] is given the stored one.
    uid: String,
    /// The fresh etag `text` carries.
    etag: String,
    /// The entity without relations and status, as stored.
    text: String,
    /// Its search index entry.
    indexed: IndexedEntity,
    /// The outgoing relations as `[[type, target ref], …]` text.
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
        let key = entity_ref.to_string();
        let relations: Vec<(RelationType, String)> =
            std::mem::take(&mut entity.relations).into_iter().map(|r| (r.relation_type, r.target_ref.to_string())).collect();
        entity.status = None;
        // Time-ordered uids: new rows land at the end of every uid index.
        let mut ids = uuid::Uuid::encode_buffer();
        let uid = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut ids).to_owned();
        let etag = uuid::Uuid::new_v4().simple().encode_lower(&mut ids).to_owned();
        entity.metadata.uid = Some(uid.clone());
        entity.metadata.etag = Some(etag.clone());
        let text = body_text(&entity);
        let relations_json = relations_json(&relations);
        let hash = match ids_at(&text, &uid, &etag) {
            // The text as hashed, with the placeholders for the ids, in three pieces.
            Some(ids) => content_hash(&[&text[..ids.start], PLACEHOLDERS, &text[ids.end..]], &relations_json, &e.source, e.parent.as_deref()),
            None => {
                let fresh_ids = (entity.metadata.uid.take(), entity.metadata.etag.take());
                entity.metadata.uid = Some(UID_PLACEHOLDER.to_owned());
                entity.metadata.etag = Some(ETAG_PLACEHOLDER.to_owned());
                let hashed = body_text(&entity);
                (entity.metadata.uid, entity.metadata.etag) = fresh_ids;
                content_hash(&[&hashed], &relations_json, &e.source, e.parent.as_deref())
            }
        };
        let indexed = IndexedEntity::of_entity(&key, &entity, relations);
        Staged { key, entity_ref, hash, uid, etag, text, indexed, relations_json, source: e.source, parent: e.parent }
    }

    /// The row and index entry of the staged entity, written as `stored`
    /// (the uid it is stored under) or, new, as the uid it was staged with.
    fn prepare(self, stored: Option<&str>, location_id: &str, now: &str) -> PreparedEntity {
        let Staged { entity_ref, hash, uid, etag, mut text, mut indexed, relations_json, source, parent, .. } = self;
        let uid = match stored {
            Some(stored) if stored != uid => {
                // Always found: the text is the typed entity's, which
                // carries them.
                replace_ids(&mut text, &uid, &etag, stored);
                indexed.set_uid(stored);
                stored.to_owned()
            }
            _ => uid,
        };
        let write = EntityWrite { uid, entity_ref: &entity_ref, location_id, source, parent_ref: parent, hash };
        let text = entities::StoredText { body: text, relations: relations_json, etag };
        entities::prepare(write, indexed, text, now)
    }

    /// The uid this entity is stored under when it is new.
    pub fn new_uid(&self) -> &str {
        &self.uid
    }
}

/// Bytes set aside for a body's text before it is written, so that it is
/// not grown again and again from serde_json's 128 bytes (most of a tenth
/// of staging). The benchmark's bodies take 380-960 bytes, half of them
/// under 490; room for more held more memory while chunks are in flight
/// (2 KiB took the ingest's peak about 7 MB higher).
const BODY_CAPACITY: usize = 512;

/// The entity's JSON text. The typed entity serializes as its JSON does
/// (the catalog's tests hold `into_json` to that), and never fails: its
/// maps have string keys.
fn body_text(entity: &portolan_catalog::Entity) -> String {
    let mut text = Vec::with_capacity(BODY_CAPACITY);
    if serde_json::to_writer(&mut text, entity).is_err() {
        return String::new();
    }
    String::from_utf8(text).unwrap_or_default()
}

/// `[[type, target ref], …]`, as the `relations` column holds them.
fn relations_json(relations: &[(RelationType, String)]) -> String {
    let pairs: Vec<[&str; 2]> = relations.iter().map(|(t, target)| [t.as_str(), target.as_str()]).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".to_owned())
}

/// The content hash that tells an unchanged entity: SHA-256 of the staged
/// body text with placeholders for its uid and etag (given in pieces, so
/// that the placeholders need not be written into it), of its relations'
/// text, and of where it was read (file and Location entity above it), so
/// that an entity moved unchanged to another file is written again with its
/// new source. Each part goes in with its length: no two can run together.
fn content_hash(text: &[&str], relations_json: &str, source: &str, parent: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update((text.iter().map(|piece| piece.len()).sum::<usize>() as u64).to_le_bytes());
    for piece in text {
        hasher.update(piece.as_bytes());
    }
    for part in [relations_json, source, parent.unwrap_or_default()] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update([u8::from(parent.is_some())]);
    hex::encode(hasher.finalize())
}

/// Where `uid` and `etag` read in a body's text, as [`ids_text`] writes
/// them (they are UUIDs: nothing in them is escaped); `None` when they do
/// not. A JSON string holds no unescaped quote, so the first `,"uid":"` of
/// the text is the metadata's: only `apiVersion`, `kind`, `metadata.name`
/// and `metadata.namespace`, all strings, come before it. That short
/// prefix is what is looked for: a search for the whole of the ids set up
/// a searcher for their 95 bytes for every entity.
fn ids_at(text: &str, uid: &str, etag: &str) -> Option<std::ops::Range<usize>> {
    let at = text.find(UID_KEY)?;
    let rest = text[at..].strip_prefix(UID_KEY)?.strip_prefix(uid)?.strip_prefix("\",\"etag\":\"")?.strip_prefix(etag)?.strip_prefix('"')?;
    Some(at..text.len() - rest.len())
}

/// How a uid and etag read in a body's text: `metadata` has them in this
/// order, right after its name and namespace.
fn ids_text(uid: &str, etag: &str) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(",\"uid\":{},\"etag\":{}", quoted(uid), quoted(etag))
}

/// Replaces the staged `uid` and `etag` in `text` (see [`ids_at`]) with
/// `stored` and the same etag; `false` when they are not there.
fn replace_ids(text: &mut String, uid: &str, etag: &str, stored: &str) -> bool {
    let Some(ids) = ids_at(text, uid, etag) else { return false };
    text.replace_range(ids, &ids_text(stored, etag));
    true
}

/// Builds the rows of a chunk's entities, each written as the stored uid
/// given with it or as new, consuming the staged entities as it goes.
pub(super) fn prepare_all(to_write: Vec<(Option<String>, Staged)>, location_id: &str) -> Vec<PreparedEntity> {
    let now = entities::now();
    to_write.into_iter().map(|(stored, e)| e.prepare(stored.as_deref(), location_id, &now)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

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

    /// The body as stored, built the slow way: the entity's JSON with this
    /// uid and etag, without relations and status.
    fn expected_body(yaml: &str, uid: &str, etag: &str) -> String {
        let report = portolan_catalog::parse_catalog_file(yaml, &portolan_catalog::NoResolver);
        let mut entity = report.documents.into_iter().find_map(|d| d.entity).expect("a valid entity");
        entity.relations.clear();
        entity.status = None;
        entity.metadata.uid = Some(uid.to_owned());
        entity.metadata.etag = Some(etag.to_owned());
        serde_json::to_string(&entity.into_json()).expect("text")
    }

    #[test]
    fn the_stored_text_is_the_bodys_json_with_its_uid_and_etag() {
        let uid = "0190f5a2-7c1e-7d3a-9f00-123456789abc";
        let prepared = staged(COMPONENT).prepare(Some(uid), "loc", "2026-12-06T00:00:00.000Z");
        let body: Value = serde_json::from_str(prepared.body_text()).expect("JSON");
        assert_eq!(body["metadata"]["uid"], uid);
        assert_eq!(prepared.uid, uid);
        assert_eq!(prepared.indexed.uid, uid);
        let etag = body["metadata"]["etag"].as_str().expect("an etag");
        assert_eq!(etag.len(), 32);
        assert_ne!(etag, ETAG_PLACEHOLDER);
        // What looks like the placeholder in the entity's own fields stays.
        assert_eq!(body["metadata"]["title"], "a\"uid\":x");
        assert_eq!(body["metadata"]["description"], PLACEHOLDERS);
        assert_eq!(body["spec"]["uid"], UID_PLACEHOLDER);
        assert!(body.get("relations").is_none() && body.get("status").is_none());
        // Key for key the text of the entity's JSON.
        assert_eq!(prepared.body_text(), expected_body(COMPONENT, uid, etag));
    }

    #[test]
    fn a_new_entity_keeps_the_uid_it_was_staged_with() {
        let staged = staged(COMPONENT);
        let (uid, etag) = (staged.uid.clone(), staged.etag.clone());
        assert_ne!(uid, UID_PLACEHOLDER);
        assert!(staged.text.contains(&ids_text(&uid, &etag)));
        let prepared = staged.prepare(None, "loc", "2026-12-06T00:00:00.000Z");
        assert_eq!((prepared.uid.as_str(), prepared.indexed.uid.as_str()), (uid.as_str(), uid.as_str()));
        assert_eq!(prepared.body_text(), expected_body(COMPONENT, &uid, &etag));
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
        let report = portolan_catalog::parse_catalog_file(COMPONENT, &portolan_catalog::NoResolver);
        let mut entity = report.documents.into_iter().find_map(|d| d.entity).expect("a valid entity");
        entity.metadata.uid = Some(UID_PLACEHOLDER.to_owned());
        entity.metadata.etag = Some(ETAG_PLACEHOLDER.to_owned());
        entity.relations.clear();
        let text = serde_json::to_string(&entity).expect("text");
        assert_eq!(PLACEHOLDERS, ids_text(UID_PLACEHOLDER, ETAG_PLACEHOLDER));
        assert!(text.contains(PLACEHOLDERS));
        // What is hashed is that text: hashes stored before staging wrote
        // the fresh ids in first still tell an unchanged entity.
        let staged = staged(COMPONENT);
        assert_eq!(staged.hash, content_hash(&[&text], &staged.relations_json, "file:/c/catalog-info.yaml", None));
    }

    #[test]
    fn a_uid_of_another_length_is_filled_in_too() {
        for uid in ["short-uid", "with \"quotes\" and \\"] {
            let prepared = staged(COMPONENT).prepare(Some(uid), "loc", "2026-12-06T00:00:00.000Z");
            let body: Value = serde_json::from_str(prepared.body_text()).expect("JSON");
            assert_eq!(body["metadata"]["uid"], uid);
        }
    }
}
