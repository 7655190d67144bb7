//! Live deploy and health status from Kubernetes clusters: a watch cache per
//! cluster (kube-runtime watchers and reflector stores), workloads matched to
//! catalog entities by Backstage's annotations, health and errors worked out
//! from the cached objects, changes pushed to pages as they happen. Page
//! views and API calls read the caches only: they make no request to a cluster.

pub mod api;
pub mod cache;
pub mod cluster;
pub mod fleet;
pub mod health;
pub mod matching;
pub mod pod;
pub mod snapshot;
pub mod view;
pub mod watch;
pub mod workloads;

use std::sync::Arc;

use tokio::sync::{broadcast, watch as signal};

use cache::ClusterCache;
use cluster::ClusterTarget;
use watch::Change;

/// The watched clusters of this replica.
pub struct Kubernetes {
    clusters: Vec<Arc<ClusterCache>>,
    changes: broadcast::Sender<Change>,
    watchers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Kubernetes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kubernetes").field("clusters", &self.clusters).finish()
    }
}

impl Kubernetes {
    /// Starts watching `targets` (objects carrying `label`) until `stop`.
    /// A cluster whose client cannot be built is kept, shown as failing.
    pub fn start(targets: Vec<ClusterTarget>, label: &str, stop: &signal::Receiver<bool>) -> Arc<Kubernetes> {
        let (changes, _) = broadcast::channel(4096);
        let mut clusters = Vec::new();
        let mut handles = Vec::new();
        for target in targets {
            let (stores, writers) = cache::stores();
            let client = kube::Client::try_from(target.config.clone());
            let cache = ClusterCache::new(target, stores);
            match client {
                Ok(client) => handles.extend(watch::spawn(client, &cache, writers, label, &changes, stop)),
                Err(e) => {
                    tracing::error!(cluster = %cache.target.name, "cannot create the client: {e}");
                    for plural in cache::PLURALS {
                        cache.set_state(plural, cache::ResourceState::Failing { message: format!("cannot create the client: {e}") });
                    }
                }
            }
            clusters.push(cache);
        }
        Arc::new(Kubernetes { clusters, changes, watchers: std::sync::Mutex::new(handles) })
    }

    /// No clusters: the portal without Kubernetes.
    pub fn none() -> Arc<Kubernetes> {
        let (changes, _) = broadcast::channel(1);
        Arc::new(Kubernetes { clusters: Vec::new(), changes, watchers: std::sync::Mutex::new(Vec::new()) })
    }

    /// The clusters, in configuration order.
    pub fn clusters(&self) -> &[Arc<ClusterCache>] {
        &self.clusters
    }

    /// Changes in every cluster's cache, as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The time health is judged at.
    pub fn now() -> health::Timestamp {
        health::Timestamp::now()
    }

    /// Waits for the watchers to stop (after the stop signal).
    pub async fn stopped(&self) {
        let handles: Vec<_> = self.watchers.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default();
        for handle in handles {
            let _ = handle.await;
        }
    }
}
