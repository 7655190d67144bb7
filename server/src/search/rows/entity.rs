//! The same rows as [`super::flat_rows`] gives the entity's JSON, walked
//! from the typed entity instead: an ingest then builds no JSON value of
//! each entity only to walk it and drop it. The fields are walked in the
//! order [`Entity::into_json`] puts them in, so the rows come out in the
//! same order (the catalog's tests hold that order to serialization's, and
//! the server's hold these rows to the JSON walk's for every real-world
//! entity).

use portolan_catalog::{Entity, Metadata};

use super::{FlatBuilder, FlatRows};

/// [`super::flat_rows`] of `entity`'s JSON.
pub fn flat_rows_of<T: AsRef<str>, U: AsRef<str>>(entity: &Entity, relations: &[(T, U)]) -> FlatRows {
    let mut b = FlatBuilder::new();
    b.field("apiVersion", |b| b.leaf(Some(&entity.api_version)));
    b.field("kind", |b| b.leaf(Some(&entity.kind)));
    b.field("metadata", |b| metadata(b, &entity.metadata));
    if let Some(spec) = &entity.spec {
        b.field("spec", |b| {
            for (key, value) in spec {
                b.field(key, |b| b.visit(value));
            }
        });
    }
    // `relations` and `status` come next in the JSON; the walk skips both.
    let m = &entity.metadata;
    b.finish(Some(&m.name), Some(&m.namespace), m.uid.as_deref(), relations)
}

fn metadata(b: &mut FlatBuilder, m: &Metadata) {
    let strings = [
        ("name", Some(&m.name)),
        ("namespace", Some(&m.namespace)),
        ("uid", m.uid.as_ref()),
        ("etag", m.etag.as_ref()),
        ("title", m.title.as_ref()),
        ("description", m.description.as_ref()),
    ];
    for (key, value) in strings {
        string_field(b, key, value);
    }
    for (key, map) in [("labels", &m.labels), ("annotations", &m.annotations)] {
        b.field(key, |b| {
            for (key, value) in map {
                string_field(b, key, Some(value));
            }
        });
    }
    b.field("tags", |b| m.tags.iter().for_each(|tag| b.string_item(tag)));
    b.field("links", |b| {
        for link in &m.links {
            let fields = [("url", Some(&link.url)), ("title", link.title.as_ref()), ("icon", link.icon.as_ref()), ("type", link.link_type.as_ref())];
            for (key, value) in fields {
                string_field(b, key, value);
            }
        }
    });
    for (key, value) in &m.extra {
        b.field(key, |b| b.visit(value));
    }
}

/// A string field of a typed struct; absent (`None`) as the JSON leaves it out.
fn string_field(b: &mut FlatBuilder, key: &str, value: Option<&String>) {
    if let Some(value) = value {
        b.field(key, |b| b.leaf(Some(value)));
    }
}
