//! The Kubernetes double driven by the real kube client and kube-runtime's
//! watcher and reflector: lists, pagination, watch streams, and the failure
//! modes a cluster watcher must survive.

mod failures;
mod lists;
mod samples;
mod watches;

use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::fake_kube::FakeKube;

/// The label Backstage's Kubernetes plugin selects workloads by.
pub const ID: &str = "backstage.io/kubernetes-id";

/// A minimal valid pod.
pub fn pod(name: &str, namespace: &str, labels: &[(&str, &str)]) -> Value {
    let labels: serde_json::Map<String, Value> = labels.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
        "status": {"phase": "Running"}})
}

/// A started fake and a kube client for it.
pub async fn fake() -> (Arc<FakeKube>, Client) {
    let (kube, _url) = FakeKube::start().await;
    let client = Client::try_from(kube.config()).expect("client");
    (kube, client)
}

/// Waits (up to `within`) until `check` holds; panics with `what` otherwise.
pub async fn eventually(what: &str, within: Duration, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `future` with a timeout, panicking with `what` when it takes longer.
pub async fn within<T>(what: &str, limit: Duration, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, future).await.unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A running `reflector(watcher(..))` with default backoff: its store and the errors it yielded.
pub struct Reflector<K: Resource + 'static>
where
    K::DynamicType: Eq + Hash + Clone,
{
    /// The reflector's store.
    pub store: Store<K>,
    /// Every error the watcher stream yielded, in order.
    pub errors: Arc<Mutex<Vec<watcher::Error>>>,
    task: tokio::task::JoinHandle<()>,
}

impl<K> Reflector<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    /// Starts watching `api` with `config`.
    pub fn start(api: Api<K>, config: watcher::Config) -> Self {
        let (store, writer) = reflector::store();
        let errors = Arc::new(Mutex::new(Vec::new()));
        let seen = errors.clone();
        let task = tokio::spawn(async move {
            let stream = reflector::reflector(writer, watcher(api, config)).default_backoff();
            let mut stream = std::pin::pin!(stream);
            while let Some(item) = stream.next().await {
                if let Err(error) = item {
                    seen.lock().expect("errors").push(error);
                }
            }
        });
        Self { store, errors, task }
    }

    /// Names in the store, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.store.state().iter().map(|o| o.meta().name.clone().unwrap_or_default()).collect();
        names.sort();
        names
    }

    /// How many errors so far.
    pub fn error_count(&self) -> usize {
        self.errors.lock().expect("errors").len()
    }

    /// The errors so far, as text.
    pub fn error_texts(&self) -> Vec<String> {
        self.errors.lock().expect("errors").iter().map(ToString::to_string).collect()
    }
}

impl<K: Resource + 'static> Drop for Reflector<K>
where
    K::DynamicType: Eq + Hash + Clone,
{
    fn drop(&mut self) {
        self.task.abort();
    }
}
