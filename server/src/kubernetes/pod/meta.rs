//! Object metadata read for the watch caches: only what pages, matching and
//! the reflector use, so the big parts of a watched object's metadata
//! (`managedFields`, the `last-applied-configuration` annotation) are
//! skipped while parsing instead of being built and dropped. A pod's
//! annotations are kept beside its `ObjectMeta`, as a list of exactly their
//! number rather than a tree node with room for eleven (544 bytes per pod).

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::pairs::SortedPairs;

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

/// A pod's annotations, sorted by key, without `last-applied-configuration`
/// (which is skipped without being copied); the same JSON map as
/// k8s-openapi's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Annotations(SortedPairs<String>);

impl Annotations {
    /// One annotation's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Skipping;
        impl<'de> Visitor<'de> for Skipping {
            type Value = Annotations;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Annotations, A::Error> {
                let mut read = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == LAST_APPLIED {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        read.push((key, map.next_value::<Option<String>>()?.unwrap_or_default()));
                    }
                }
                Ok(Annotations(SortedPairs::from_read(read)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Annotations, E> {
                Ok(Annotations::default())
            }
        }
        deserializer.deserialize_any(Skipping)
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
/// spare capacity, and the annotations apart.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(ObjectMeta, Annotations), D::Error> {
    let w = Option::<Wire>::deserialize(deserializer)?;
    let Some(w) = w else { return Ok((ObjectMeta::default(), Annotations::default())) };
    let meta = ObjectMeta {
        name: w.name,
        namespace: w.namespace,
        uid: w.uid,
        resource_version: w.resource_version,
        generation: w.generation,
        creation_timestamp: w.creation_timestamp,
        deletion_timestamp: w.deletion_timestamp,
        deletion_grace_period_seconds: w.deletion_grace_period_seconds,
        labels: w.labels,
        owner_references: shrunk(w.owner_references),
        finalizers: shrunk(w.finalizers),
        ..ObjectMeta::default()
    };
    Ok((meta, w.annotations.unwrap_or_default()))
}

/// `metadata` as written out: the `ObjectMeta`'s fields with the
/// annotations back in their place.
pub struct Out<'a> {
    /// The object's metadata.
    pub meta: &'a ObjectMeta,
    /// Its annotations.
    pub annotations: &'a Annotations,
}

impl Serialize for Out<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.meta;
        let mut map = serializer.serialize_map(None)?;
        if !self.annotations.is_empty() {
            map.serialize_entry("annotations", self.annotations)?;
        } else if let Some(annotations) = &m.annotations {
            map.serialize_entry("annotations", annotations)?;
        }
        macro_rules! field {
            ($key:literal, $value:expr) => {
                if let Some(value) = &$value {
                    map.serialize_entry($key, value)?;
                }
            };
        }
        field!("creationTimestamp", m.creation_timestamp);
        field!("deletionGracePeriodSeconds", m.deletion_grace_period_seconds);
        field!("deletionTimestamp", m.deletion_timestamp);
        field!("finalizers", m.finalizers);
        field!("generateName", m.generate_name);
        field!("generation", m.generation);
        field!("labels", m.labels);
        field!("managedFields", m.managed_fields);
        field!("name", m.name);
        field!("namespace", m.namespace);
        field!("ownerReferences", m.owner_references);
        field!("resourceVersion", m.resource_version);
        field!("selfLink", m.self_link);
        field!("uid", m.uid);
        map.end()
    }
}
