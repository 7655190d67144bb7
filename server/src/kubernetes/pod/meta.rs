//! Object metadata read for the watch caches: only what pages, matching and
//! the reflector use, so the big parts of a watched object's metadata
//! (`managedFields`, the `last-applied-configuration` annotation) are
//! skipped while parsing instead of being built and dropped.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The annotation `kubectl apply` writes: a copy of the whole object as JSON.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The metadata fields kept; the others (`managedFields`, `generateName`,
/// `selfLink`) are ignored unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<Annotations>,
    owner_references: Option<Vec<OwnerReference>>,
    finalizers: Option<Vec<String>>,
}

/// Annotations without `last-applied-configuration`, which is skipped
/// without being copied.
struct Annotations(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Skipping;
        impl<'de> Visitor<'de> for Skipping {
            type Value = Annotations;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Annotations, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == LAST_APPLIED {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        out.insert(key, map.next_value::<Option<String>>()?.unwrap_or_default());
                    }
                }
                Ok(Annotations(out))
            }
        }
        deserializer.deserialize_map(Skipping)
    }
}

fn shrunk<T>(list: Option<Vec<T>>) -> Option<Vec<T>> {
    list.map(|mut l| {
        l.shrink_to_fit();
        l
    })
}

/// Reads an object's `metadata` as [`Wire`] and gives it as k8s-openapi's
/// `ObjectMeta` (which the reflector and `ResourceExt` need), lists without
/// spare capacity.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let w = Option::<Wire>::deserialize(deserializer)?;
    let Some(w) = w else { return Ok(ObjectMeta::default()) };
    Ok(ObjectMeta {
        name: w.name,
        namespace: w.namespace,
        uid: w.uid,
        resource_version: w.resource_version,
        generation: w.generation,
        creation_timestamp: w.creation_timestamp,
        deletion_timestamp: w.deletion_timestamp,
        deletion_grace_period_seconds: w.deletion_grace_period_seconds,
        labels: w.labels,
        annotations: w.annotations.map(|a| a.0).filter(|a| !a.is_empty()),
        owner_references: shrunk(w.owner_references),
        finalizers: shrunk(w.finalizers),
        ..ObjectMeta::default()
    })
}
