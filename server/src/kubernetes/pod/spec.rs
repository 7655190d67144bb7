//! The part of a pod's `spec` the caches keep: per container its name,
//! image, resources and probes (what the health engine and Backstage's pod
//! views read), and the node. Volumes, environment, mounts, commands,
//! affinity and tolerations are skipped unread.

use std::fmt;

use k8s_openapi::api::core::v1::{ExecAction, GRPCAction, HTTPGetAction, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::pairs::SortedPairs;

/// A pod's spec, slimmed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    /// The regular containers.
    #[serde(default, deserialize_with = "super::list")]
    pub containers: Vec<Container>,
    /// The init containers (sidecars among them).
    #[serde(default, deserialize_with = "super::some_list", skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    /// The node it was scheduled to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `Always`, `OnFailure` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
}

/// One container of the spec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// The container name.
    #[serde(default)]
    pub name: String,
    /// The image asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Requests and limits (Backstage shows usage against them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// When the container counts as ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// When the kubelet restarts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    /// How long start-up may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    /// `Always` on an init container makes it a sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
}

/// A probe: its timing (what the health engine reads) and its action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// Seconds before the first probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i32>,
    /// Seconds between probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i32>,
    /// Failures in a row that count as failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
    /// Successes in a row that count as passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    /// Seconds one probe may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// An HTTP GET probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Option<Box<HTTPGetAction>>,
    /// A TCP connect probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<Box<TCPSocketAction>>,
    /// A command probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<Box<ExecAction>>,
    /// A gRPC health probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc: Option<Box<GRPCAction>>,
}

/// A container's requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// The most it may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Quantities>,
    /// What it is guaranteed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Quantities>,
}

/// Resource name → quantity (`cpu: 100m`), sorted by name.
pub type Quantities = SortedPairs<Quantity>;

impl<'de> Deserialize<'de> for Quantities {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Quantities;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of resource quantities")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Quantities, A::Error> {
                let mut read = Vec::new();
                while let Some(entry) = map.next_entry::<String, Quantity>()? {
                    read.push(entry);
                }
                Ok(SortedPairs::from_read(read))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}
