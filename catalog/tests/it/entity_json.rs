//! `Entity::into_json` against serde's own serialization, on every valid
//! entity of the real-world fixtures: stored bodies and content hashes are
//! built from it, so the text must be the same to the byte.

use std::path::Path;

use portolan_catalog::{Relation, RelationType, parse_catalog_file};

use crate::support::{DirResolver, realworld, yaml_files};

/// Calls `check` with each real-world YAML file (in path order), its text
/// and a resolver for its folder.
fn each_realworld_file(mut check: impl FnMut(&Path, &str, &DirResolver)) {
    let mut files = Vec::new();
    yaml_files(&realworld(), &mut files);
    files.sort();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let resolver = DirResolver(path.parent().map(Path::to_path_buf).unwrap_or_default());
        check(path, &text, &resolver);
    }
}

#[test]
fn into_json_serializes_to_the_same_text_as_the_entity() {
    let mut checked = 0;
    each_realworld_file(|path, text, resolver| {
        for mut entity in parse_catalog_file(text, resolver).entities().cloned() {
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
    });
    assert!(checked > 500, "only {checked} entities checked");
}

/// What ingestion reads of a file is the full report without the reference
/// lists, and with envelopes only where there is no entity: the same
/// entities, diagnostics and documents, on every real-world file.
#[test]
fn reading_for_ingestion_gives_the_full_reports_entities_and_diagnostics() {
    let mut invalid_documents = 0;
    each_realworld_file(|path, text, resolver| {
        let full = parse_catalog_file(text, resolver);
        let read = portolan_catalog::read_catalog_file(text, resolver);
        assert_eq!(read.diagnostics, full.diagnostics, "{}", path.display());
        assert_eq!(read.documents.len(), full.documents.len(), "{}", path.display());
        for (r, f) in read.documents.iter().zip(&full.documents) {
            assert_eq!((r.index, r.line, &r.entity), (f.index, f.line, &f.entity), "{}", path.display());
            assert!(r.references.is_empty());
            if f.entity.is_some() {
                assert_eq!(r.envelope, None, "{}", path.display());
            } else {
                assert_eq!(r.envelope, f.envelope, "{}", path.display());
                invalid_documents += usize::from(f.envelope.is_some());
            }
        }
    });
    assert!(invalid_documents > 0, "the fixtures hold invalid entities with an envelope");
}
