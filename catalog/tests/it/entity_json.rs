//! `Entity::into_json` against serde's own serialization, on every valid
//! entity of the real-world fixtures: stored bodies and content hashes are
//! built from it, so the text must be the same to the byte.

use std::path::Path;

use portolan_catalog::{Relation, RelationType, parse_catalog_file};

use crate::support::{DirResolver, realworld, yaml_files};

#[test]
fn into_json_serializes_to_the_same_text_as_the_entity() {
    let mut files = Vec::new();
    yaml_files(&realworld(), &mut files);
    files.sort();
    let mut checked = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let resolver = DirResolver(path.parent().map(Path::to_path_buf).unwrap_or_default());
        for mut entity in parse_catalog_file(&text, &resolver).entities().cloned() {
            // What the server adds before storing: ids, a status, relations.
            entity.metadata.uid = Some("0199-uid".into());
            entity.metadata.etag = Some("etag".into());
            entity.status = Some(serde_json::json!({"items": []}));
            if entity.relations.is_empty() {
                let target = portolan_catalog::EntityRef::new("group", "default", "team-a");
                entity.relations.push(Relation { relation_type: RelationType::OwnedBy, target_ref: target });
            }
            let expected = serde_json::to_string(&entity).expect("serializes");
            let moved = serde_json::to_string(&entity.into_json()).expect("serializes");
            assert_eq!(moved, expected, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} entities checked");
}
