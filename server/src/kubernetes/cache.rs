//! The watch cache of one cluster: a reflector store per resource type,
//! filled and kept current by watchers (see [`super::watch`]), and what each
//! watcher last said (syncing, ready, forbidden, unreachable). Pages and the
//! API read only this; they never call the cluster.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::runtime::reflector::{self, Store, store::Writer};
use serde::Serialize;

use super::cluster::ClusterTarget;
use super::pod::SlimPod;

/// The resource types watched, by plural, in Backstage's order.
pub const PLURALS: &[&str] = &[
    "pods",
    "services",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "horizontalpodautoscalers",
    "ingresses",
    "jobs",
    "cronjobs",
];

/// What the watcher of one resource type last said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ResourceState {
    /// Listing for the first time (or again, after a 410 or an outage).
    Syncing,
    /// The store is complete and being kept current.
    Ready {
        /// When it last was complete, RFC 3339.
        since: String,
    },
    /// The cluster refuses this resource (RBAC: 401 or 403).
    Forbidden {
        /// The API server's message.
        message: String,
    },
    /// The cluster cannot be reached or failed; the watcher retries with backoff.
    Failing {
        /// What went wrong.
        message: String,
    },
}

/// How a cluster is, from its watchers' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Connection {
    /// Every resource is synced.
    Connected,
    /// Still listing.
    Syncing,
    /// Some resources are synced, others refused or failing.
    Partial,
    /// Nothing is synced: the cluster is down, or refuses everything.
    Down,
}

/// The stores of every watched resource type.
#[derive(Clone)]
pub struct Stores {
    /// Pods, slimmed (see [`SlimPod`]).
    pub pods: Store<SlimPod>,
    /// Services.
    pub services: Store<Service>,
    /// Deployments.
    pub deployments: Store<Deployment>,
    /// ReplicaSets.
    pub replicasets: Store<ReplicaSet>,
    /// StatefulSets.
    pub statefulsets: Store<StatefulSet>,
    /// DaemonSets.
    pub daemonsets: Store<DaemonSet>,
    /// HorizontalPodAutoscalers.
    pub hpas: Store<HorizontalPodAutoscaler>,
    /// Ingresses.
    pub ingresses: Store<Ingress>,
    /// Jobs.
    pub jobs: Store<Job>,
    /// CronJobs.
    pub cronjobs: Store<CronJob>,
}

/// The writers the watchers fill the [`Stores`] with.
pub struct Writers {
    /// Pods, slimmed (see [`SlimPod`]).
    pub pods: Writer<SlimPod>,
    /// Services.
    pub services: Writer<Service>,
    /// Deployments.
    pub deployments: Writer<Deployment>,
    /// ReplicaSets.
    pub replicasets: Writer<ReplicaSet>,
    /// StatefulSets.
    pub statefulsets: Writer<StatefulSet>,
    /// DaemonSets.
    pub daemonsets: Writer<DaemonSet>,
    /// HorizontalPodAutoscalers.
    pub hpas: Writer<HorizontalPodAutoscaler>,
    /// Ingresses.
    pub ingresses: Writer<Ingress>,
    /// Jobs.
    pub jobs: Writer<Job>,
    /// CronJobs.
    pub cronjobs: Writer<CronJob>,
}

/// Empty stores and their writers.
pub fn stores() -> (Stores, Writers) {
    let (pods, pods_w) = reflector::store();
    let (services, services_w) = reflector::store();
    let (deployments, deployments_w) = reflector::store();
    let (replicasets, replicasets_w) = reflector::store();
    let (statefulsets, statefulsets_w) = reflector::store();
    let (daemonsets, daemonsets_w) = reflector::store();
    let (hpas, hpas_w) = reflector::store();
    let (ingresses, ingresses_w) = reflector::store();
    let (jobs, jobs_w) = reflector::store();
    let (cronjobs, cronjobs_w) = reflector::store();
    (
        Stores { pods, services, deployments, replicasets, statefulsets, daemonsets, hpas, ingresses, jobs, cronjobs },
        Writers {
            pods: pods_w,
            services: services_w,
            deployments: deployments_w,
            replicasets: replicasets_w,
            statefulsets: statefulsets_w,
            daemonsets: daemonsets_w,
            hpas: hpas_w,
            ingresses: ingresses_w,
            jobs: jobs_w,
            cronjobs: cronjobs_w,
        },
    )
}

/// One cluster's cache: its stores and its watchers' states.
pub struct ClusterCache {
    /// The cluster.
    pub target: ClusterTarget,
    /// The cached objects.
    pub stores: Stores,
    states: RwLock<BTreeMap<&'static str, ResourceState>>,
}

impl std::fmt::Debug for ClusterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCache").field("target", &self.target).field("connection", &self.connection()).finish()
    }
}

impl ClusterCache {
    /// An empty cache; every resource is syncing.
    pub fn new(target: ClusterTarget, stores: Stores) -> Arc<ClusterCache> {
        let states = PLURALS.iter().map(|p| (*p, ResourceState::Syncing)).collect();
        Arc::new(ClusterCache { target, stores, states: RwLock::new(states) })
    }

    /// Records what the watcher of `plural` says now; whether it changed.
    pub fn set_state(&self, plural: &'static str, state: ResourceState) -> bool {
        let Ok(mut states) = self.states.write() else { return false };
        let changed = match (states.get(plural), &state) {
            (Some(ResourceState::Ready { .. }), ResourceState::Ready { .. }) => false,
            (Some(old), new) => old != new,
            (None, _) => true,
        };
        if changed {
            states.insert(plural, state);
        }
        changed
    }

    /// Marks `plural` complete, now.
    pub fn set_ready(&self, plural: &'static str) -> bool {
        self.set_state(plural, ResourceState::Ready { since: crate::store::entities::rfc3339(SystemTime::now()) })
    }

    /// Every resource's state.
    pub fn states(&self) -> BTreeMap<&'static str, ResourceState> {
        self.states.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The cluster's connection, from its resources' states.
    pub fn connection(&self) -> Connection {
        let states = self.states();
        let ready = states.values().filter(|s| matches!(s, ResourceState::Ready { .. })).count();
        let syncing = states.values().filter(|s| matches!(s, ResourceState::Syncing)).count();
        match (ready, syncing) {
            (r, _) if r == states.len() => Connection::Connected,
            (0, s) if s == states.len() => Connection::Syncing,
            (0, 0) => Connection::Down,
            (0, _) if states.values().any(|s| matches!(s, ResourceState::Failing { .. })) => Connection::Down,
            (0, _) => Connection::Syncing,
            _ => Connection::Partial,
        }
    }

    /// How many objects the cache holds, per resource.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let s = &self.stores;
        BTreeMap::from([
            ("pods", s.pods.len()),
            ("services", s.services.len()),
            ("deployments", s.deployments.len()),
            ("replicasets", s.replicasets.len()),
            ("statefulsets", s.statefulsets.len()),
            ("daemonsets", s.daemonsets.len()),
            ("horizontalpodautoscalers", s.hpas.len()),
            ("ingresses", s.ingresses.len()),
            ("jobs", s.jobs.len()),
            ("cronjobs", s.cronjobs.len()),
        ])
    }
}
