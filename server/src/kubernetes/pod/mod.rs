//! The pod type of the watch caches. Pods are by far the most numerous
//! objects a cache holds, and k8s-openapi's `Pod` costs several kilobytes
//! each even trimmed (every optional field of the spec and status takes its
//! room). [`SlimPod`] keeps only what Portolan reads — the health engine,
//! the pages and Backstage's pod views — with k8s-openapi's field names, so
//! it reads like a `Pod` and serializes to the same JSON for those fields.
//! The watchers deserialize straight into it: the rest of a pod is skipped
//! by serde as it is read, never built.

mod meta;
mod pairs;
mod spec;
mod status;
mod word;

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use meta::{Annotations, LAST_APPLIED};
pub use spec::{Container, Probe, Quantities, Resources, Spec};
pub use status::{Condition, ContainerState, ContainerStatus, Running, Status, Terminated, Waiting};
pub use word::Word;

/// A pod as the caches keep it: its metadata (without managed fields and
/// the last-applied annotation), and the parts of spec and status listed in
/// [`Spec`] and [`Status`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "Wire")]
pub struct SlimPod {
    /// Name, namespace, uid, labels, owners, timestamps; its `annotations`
    /// stay `None`: they are in [`SlimPod::annotations`].
    pub metadata: ObjectMeta,
    /// `metadata.annotations`, kept apart in less room; written back inside
    /// `metadata` when the pod is serialized.
    pub annotations: Annotations,
    /// What was asked for.
    pub spec: Option<Spec>,
    /// What the kubelet reports.
    pub status: Option<Status>,
}

/// A pod as read.
#[derive(Deserialize)]
struct Wire {
    #[serde(default, deserialize_with = "meta::deserialize")]
    metadata: (ObjectMeta, Annotations),
    #[serde(default)]
    spec: Option<Spec>,
    #[serde(default)]
    status: Option<Status>,
}

impl From<Wire> for SlimPod {
    fn from(w: Wire) -> Self {
        let (metadata, annotations) = w.metadata;
        SlimPod { metadata, annotations, spec: w.spec, status: w.status }
    }
}

impl Serialize for SlimPod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = 3 + usize::from(self.spec.is_some()) + usize::from(self.status.is_some());
        let mut pod = serializer.serialize_struct("Pod", fields)?;
        pod.serialize_field("apiVersion", "v1")?;
        pod.serialize_field("kind", "Pod")?;
        pod.serialize_field("metadata", &meta::Out { meta: &self.metadata, annotations: &self.annotations })?;
        if let Some(spec) = &self.spec {
            pod.serialize_field("spec", spec)?;
        }
        if let Some(status) = &self.status {
            pod.serialize_field("status", status)?;
        }
        pod.end()
    }
}

impl kube::Resource for SlimPod {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Pod")
    }

    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }

    fn api_version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }

    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("pods")
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// A list that may be missing or `null`, without spare capacity.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    Ok(some_list(deserializer)?.unwrap_or_default())
}

/// An optional list without spare capacity: deserialized lists grow by
/// doubling, so one container status would hold room for four.
fn some_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Vec<T>>, D::Error> {
    let list = Option::<Vec<T>>::deserialize(deserializer)?;
    Ok(list.map(|mut l| {
        l.shrink_to_fit();
        l
    }))
}
