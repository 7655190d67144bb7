//! The watchers: per cluster and resource type, a kube-runtime watcher
//! (list, then watch from the list's resourceVersion; relist on 410; backoff
//! on errors) feeding a reflector store with trimmed objects (pods as
//! [`SlimPod`](super::pod::SlimPod)). Every change is announced on a
//! broadcast channel with the object's labels, so followers recompute only
//! what it can affect. An unreachable cluster, a forbidden resource or a 410
//! only touch that watcher; the others go on.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::PodSpec;
use kube::api::Api;
use kube::runtime::reflector::store::Writer;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};

use super::cache::{ClusterCache, ResourceState, Writers};
use super::pod::LAST_APPLIED;

/// One change in a cluster's cache.
#[derive(Debug, Clone)]
pub struct Change {
    /// The cluster.
    pub cluster: String,
    /// The resource type, e.g. `pods`.
    pub plural: &'static str,
    /// The changed object's labels; `None` when the whole store was replaced (a (re)list).
    pub labels: Option<BTreeMap<String, String>>,
    /// When the watch event arrived, for latency figures.
    pub at: Instant,
}

/// Drops what pages never show and that costs the most memory:
/// managed fields and the last-applied annotation. (Pods need none of this:
/// [`SlimPod`](super::pod::SlimPod) leaves it out as it is read.)
fn trim<K: Resource>(object: &mut K) {
    let meta = object.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
    shrink(&mut meta.owner_references);
}

/// Gives back a list's spare capacity: deserialized lists grow by doubling
/// from 4 items, so one owner reference would hold room for 4.
fn shrink<T>(list: &mut Option<Vec<T>>) {
    if let Some(list) = list.as_mut() {
        list.shrink_to_fit();
    }
}

/// What a pod template keeps: its containers' names, images, resources and
/// probes (the health engine compares them with the pods), without volumes,
/// environment, mounts, commands and scheduling constraints, which pages
/// never show and which make up most of a workload object.
pub fn trim_pod_spec(spec: &mut PodSpec) {
    spec.volumes = None;
    spec.tolerations = None;
    spec.affinity = None;
    spec.topology_spread_constraints = None;
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        c.env = None;
        c.env_from = None;
        c.volume_mounts = None;
        c.args = None;
        c.command = None;
        shrink(&mut c.ports);
    }
    spec.containers.shrink_to_fit();
    shrink(&mut spec.init_containers);
}

/// Trims an object and, when it has one, its pod template's spec.
fn trim_with_template<K: Resource>(object: &mut K, template: fn(&mut K) -> Option<&mut PodSpec>) {
    trim(object);
    if let Some(spec) = template(object) {
        trim_pod_spec(spec);
    }
}

fn trim_deployment(d: &mut Deployment) {
    trim_with_template(d, |d| d.spec.as_mut()?.template.spec.as_mut());
}

fn trim_replicaset(rs: &mut ReplicaSet) {
    trim_with_template(rs, |rs| rs.spec.as_mut()?.template.as_mut()?.spec.as_mut());
}

fn trim_statefulset(sts: &mut StatefulSet) {
    trim_with_template(sts, |sts| sts.spec.as_mut()?.template.spec.as_mut());
}

fn trim_daemonset(ds: &mut DaemonSet) {
    trim_with_template(ds, |ds| ds.spec.as_mut()?.template.spec.as_mut());
}

fn trim_job(job: &mut Job) {
    trim_with_template(job, |job| job.spec.as_mut()?.template.spec.as_mut());
}

fn trim_cronjob(cj: &mut CronJob) {
    trim_with_template(cj, |cj| cj.spec.as_mut()?.job_template.spec.as_mut()?.template.spec.as_mut());
}

/// What a watcher error means for the resource.
fn state_of_error(error: &watcher::Error) -> ResourceState {
    let api_code = |e: &kube::Error| match e {
        kube::Error::Api(status) => Some((status.code, status.message.clone())),
        _ => None,
    };
    let source = match error {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => api_code(e),
        watcher::Error::WatchError(status) => Some((status.code, status.message.clone())),
        watcher::Error::NoResourceVersion => None,
    };
    match source {
        Some((401 | 403, message)) => ResourceState::Forbidden { message },
        _ => ResourceState::Failing { message: error.to_string() },
    }
}

/// How often a failing or refused resource is probed (a one-item list)
/// to notice that it answers again: a watcher that resumes from its
/// resourceVersion says nothing until an object changes.
const PROBE_EVERY: Duration = Duration::from_secs(3);

/// Objects per page of a (re)list. A page is read whole as text before it
/// is parsed, and what a process once held at the same time it keeps as
/// resident memory: with kube's default of 500 the pages of two clusters
/// cost the caches tens of megabytes that they never give back, with 100
/// only a few, for a handful more requests at start-up.
const LIST_PAGE: u32 = 100;

/// What every watcher of a cluster shares.
#[derive(Clone)]
struct Watching {
    client: Client,
    cache: Arc<ClusterCache>,
    label: String,
    changes: broadcast::Sender<Change>,
    stop: watch::Receiver<bool>,
}

/// Watches one resource type of one cluster until `stop`.
/// `trimmer` drops what the cache need not keep of each object, if anything.
async fn watch_kind<K>(w: Watching, plural: &'static str, writer: Writer<K>, trimmer: Option<fn(&mut K)>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let Watching { client, cache, label, changes, mut stop } = w;
    let api: Api<K> = Api::all(client);
    let config = watcher::Config::default().labels(&label).page_size(LIST_PAGE);
    let stream = watcher(api.clone(), config).default_backoff().modify(move |o| trimmer.iter().for_each(|t| t(o))).reflect(writer);
    let mut stream = std::pin::pin!(stream);
    let cluster = cache.target.name.clone();
    let mut probe = tokio::time::interval(PROBE_EVERY);
    let mut failing = false;
    loop {
        let item = tokio::select! {
            item = stream.next() => match item {
                Some(item) => item,
                None => break,
            },
            _ = probe.tick(), if failing => {
                let one = kube::api::ListParams::default().labels(&label).limit(1);
                if api.list_metadata(&one).await.is_ok() {
                    failing = false;
                    if cache.set_ready(plural) {
                        tracing::info!(cluster = %cluster, resource = plural, "answers again");
                        let _ = changes.send(Change { cluster: cluster.clone(), plural, labels: None, at: Instant::now() });
                    }
                }
                continue;
            }
            _ = stop.changed() => break,
        };
        let at = Instant::now();
        let labels = match item {
            Ok(watcher::Event::Apply(object) | watcher::Event::Delete(object)) => Some(object.labels().clone()),
            Ok(watcher::Event::InitDone) => None,
            Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
            Err(error) => {
                failing = true;
                let state = state_of_error(&error);
                if cache.set_state(plural, state) {
                    tracing::warn!(cluster = %cluster, resource = plural, "watch failed: {error}");
                    let _ = changes.send(Change { cluster: cluster.clone(), plural, labels: None, at });
                }
                continue;
            }
        };
        failing = false;
        if cache.set_ready(plural) {
            tracing::info!(cluster = %cluster, resource = plural, "synced");
        }
        let _ = changes.send(Change { cluster: cluster.clone(), plural, labels, at });
    }
}

/// Starts the watchers of one cluster; they stop when `stop` turns true.
pub fn spawn(client: Client, cache: &Arc<ClusterCache>, writers: Writers, label: &str, changes: &broadcast::Sender<Change>, stop: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let Writers { pods, services, deployments, replicasets, statefulsets, daemonsets, hpas, ingresses, jobs, cronjobs } = writers;
    let shared = Watching { client, cache: Arc::clone(cache), label: label.to_owned(), changes: changes.clone(), stop: stop.clone() };
    let mut handles = Vec::new();
    macro_rules! start {
        ($plural:literal, $writer:expr, $trim:expr) => {{
            handles.push(tokio::spawn(watch_kind(shared.clone(), $plural, $writer, $trim)));
        }};
    }
    start!("pods", pods, None);
    start!("services", services, Some(trim as fn(&mut _)));
    start!("deployments", deployments, Some(trim_deployment as fn(&mut _)));
    start!("replicasets", replicasets, Some(trim_replicaset as fn(&mut _)));
    start!("statefulsets", statefulsets, Some(trim_statefulset as fn(&mut _)));
    start!("daemonsets", daemonsets, Some(trim_daemonset as fn(&mut _)));
    start!("horizontalpodautoscalers", hpas, Some(trim as fn(&mut _)));
    start!("ingresses", ingresses, Some(trim as fn(&mut _)));
    start!("jobs", jobs, Some(trim_job as fn(&mut _)));
    start!("cronjobs", cronjobs, Some(trim_cronjob as fn(&mut _)));
    handles
}
