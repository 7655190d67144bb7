//! A local double of the Kubernetes API server for tests: real HTTP on
//! 127.0.0.1, LIST with label/field selectors and `limit`/`continue`
//! pagination, WATCH as chunked newline-delimited JSON replayed from an
//! in-memory history (with BOOKMARKs, `timeoutSeconds`, and 410 Expired),
//! and failure switches (RBAC 403, 401 without the token, 503, cluster down).
//! Tests drive it through [`FakeKube`]'s methods, never through HTTP.

mod http;
mod net;
pub mod resources;
mod samples;
mod watches;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

pub use samples::sample_objects;

/// What a watch stream reports for one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `ADDED`.
    Added,
    /// `MODIFIED`.
    Modified,
    /// `DELETED`.
    Deleted,
}

/// One change in the history: the object after it (for a deletion, the last
/// state with the deletion's resourceVersion) and the object before it.
#[derive(Debug)]
pub struct Change {
    /// The global resourceVersion this change produced.
    pub rv: u64,
    /// Index in [`resources::RESOURCES`].
    pub resource: usize,
    /// What happened.
    pub kind: EventType,
    /// The object after the change.
    pub object: Value,
    /// The object before the change, for selector transitions.
    pub previous: Option<Value>,
}

/// What the watch streams are told, besides the history.
#[derive(Debug, Clone)]
pub(crate) enum Signal {
    /// A change to relay.
    Change(Arc<Change>),
    /// Send a BOOKMARK now.
    Bookmark,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `list`, `watch`, `get`, `discovery`, `unknown` (a path the fake does not
    /// serve: 404), or the lower-case HTTP method of a write (405).
    pub verb: String,
    /// The resource plural (`pods`), or the path for discovery.
    pub resource: String,
    /// The namespace of a namespaced request.
    pub namespace: Option<String>,
    /// The raw query string.
    pub query: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// A pending `continue` token: where the next page starts in the snapshot of
/// a list (its items, shared with the store), as of its resourceVersion. The
/// pages of one list share the snapshot.
pub(crate) struct Continue {
    pub rv: u64,
    pub snapshot: Arc<Vec<Arc<Value>>>,
    pub offset: usize,
}

/// Everything behind the lock.
pub(crate) struct Inner {
    pub rv: u64,
    /// `(resource, namespace, name)` → object; ordered like etcd keys. Shared,
    /// so a list's snapshot costs a pointer per item, not a copy.
    pub objects: BTreeMap<(usize, String, String), Arc<Value>>,
    pub history: Vec<Arc<Change>>,
    /// Watches from a resourceVersion below this get 410 Expired.
    pub compacted: u64,
    pub continues: HashMap<String, Continue>,
    pub next_continue: u64,
    pub forbidden: HashSet<usize>,
    pub token: Option<String>,
    pub unavailable: bool,
    pub log: Vec<Request>,
    pub bookmark_interval: Duration,
}

/// The fake API server; see the module docs.
pub struct FakeKube {
    inner: Mutex<Inner>,
    pub(crate) signals: broadcast::Sender<Signal>,
    /// `true` while the cluster is down (listener closed).
    pub(crate) down: watch::Sender<bool>,
    /// Bumped to end every open watch stream cleanly.
    pub(crate) closer: watch::Sender<u64>,
    /// Bumped when going down: connections accepted before are cut.
    pub(crate) epoch: Arc<AtomicU64>,
    addr: SocketAddr,
}

impl FakeKube {
    /// Starts the fake on `127.0.0.1:0`; returns it and its base URL (`http://127.0.0.1:PORT`).
    pub async fn start() -> (Arc<Self>, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let kube = Arc::new(Self {
            inner: Mutex::new(Inner {
                rv: 1000,
                objects: BTreeMap::new(),
                history: Vec::new(),
                compacted: 0,
                continues: HashMap::new(),
                next_continue: 1,
                forbidden: HashSet::new(),
                token: None,
                unavailable: false,
                log: Vec::new(),
                bookmark_interval: Duration::from_secs(1),
            }),
            signals: broadcast::channel(4096).0,
            down: watch::channel(false).0,
            closer: watch::channel(0).0,
            epoch: Arc::new(AtomicU64::new(0)),
            addr,
        });
        let listener = net::DownableListener::new(listener, kube.down.subscribe(), kube.epoch.clone());
        let app = http::router(kube.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake kube serves") });
        (kube, format!("http://{addr}"))
    }

    /// The base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A `kube::Config` for this fake (no token, kube's defaults otherwise).
    pub fn config(&self) -> kube::Config {
        kube::Config::new(self.url().parse().expect("url"))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake kube lock")
    }

    /// Creates or replaces an object (it needs `apiVersion`, `kind`, `metadata.name`;
    /// the namespace defaults to `default`). Sets `resourceVersion` (always),
    /// `uid` and `creationTimestamp` when missing, `generation` as the server
    /// does (kept on create, bumped when `spec` changes), emits ADDED or MODIFIED, and returns
    /// the stored object. An `autoscaling/v1` HPA is stored as `autoscaling/v2`.
    pub fn apply(&self, object: Value) -> Value {
        let mut object = samples::to_storage_version(object);
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let resource = resources::by_object(&api_version, &kind)
            .unwrap_or_else(|| panic!("fake kube does not serve {api_version} {kind}"));
        object["apiVersion"] = json!(resources::RESOURCES[resource].api_version());
        let name = object.pointer("/metadata/name").and_then(Value::as_str).expect("metadata.name").to_owned();
        let namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default").to_owned();
        let mut inner = self.lock();
        inner.rv += 1;
        let rv = inner.rv;
        let key = (resource, namespace.clone(), name);
        let previous = inner.objects.get(&key).map(|o| Value::clone(o));
        let meta = object["metadata"].as_object_mut().expect("metadata is an object");
        meta.insert("namespace".into(), json!(namespace));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let old_meta = previous.as_ref().map(|p| &p["metadata"]);
        for field in ["uid", "creationTimestamp"] {
            if !meta.contains_key(field) {
                let value = match old_meta.map(|m| &m[field]) {
                    Some(v) if !v.is_null() => v.clone(),
                    _ if field == "uid" => json!(format!("00000000-0000-4000-8000-{rv:012}")),
                    _ => json!(now()),
                };
                meta.insert(field.into(), value);
            }
        }
        // Server-managed: kept from a created object (samples carry theirs), else
        // 1; on update the stored one, plus 1 when `spec` changed.
        let generation = match old_meta.and_then(|m| m["generation"].as_i64()) {
            Some(old) => old + i64::from(previous.as_ref().is_some_and(|p| p.get("spec") != object.get("spec"))),
            None if previous.is_some() => 1,
            None => meta.get("generation").and_then(Value::as_i64).unwrap_or(1),
        };
        object["metadata"]["generation"] = json!(generation);
        let kind = if previous.is_some() { EventType::Modified } else { EventType::Added };
        inner.objects.insert(key, Arc::new(object.clone()));
        self.record_change(&mut inner, Change { rv, resource, kind, object: object.clone(), previous });
        object
    }

    /// Deletes an object by plural, kind or short name; emits DELETED. Returns
    /// the deleted object (with the deletion's resourceVersion), `None` if absent.
    pub fn delete(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let resource = resources::by_name(resource).unwrap_or_else(|| panic!("fake kube does not serve {resource}"));
        let mut inner = self.lock();
        let previous = Arc::unwrap_or_clone(inner.objects.remove(&(resource, namespace.to_owned(), name.to_owned()))?);
        inner.rv += 1;
        let rv = inner.rv;
        let mut object = previous.clone();
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        let change = Change { rv, resource, kind: EventType::Deleted, object: object.clone(), previous: Some(previous) };
        self.record_change(&mut inner, change);
        Some(object)
    }

    fn record_change(&self, inner: &mut Inner, change: Change) {
        let change = Arc::new(change);
        inner.history.push(change.clone());
        // Sent under the lock, so a watch that subscribes under it sees no gap.
        let _ = self.signals.send(Signal::Change(change));
    }

    /// The stored object, if any.
    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let resource = resources::by_name(resource)?;
        self.lock().objects.get(&(resource, namespace.to_owned(), name.to_owned())).map(|o| Value::clone(o))
    }

    /// Applies every object of the sample files under `path` (a file or a folder,
    /// YAML multi-doc, JSON, `List` wrappers); returns what was stored, in order.
    /// Samples sharing kind/namespace/name replace each other (last wins): use
    /// [`sample_objects`] to rename or label them before [`FakeKube::apply`].
    pub fn load_samples(&self, path: impl AsRef<Path>) -> Vec<Value> {
        sample_objects(path).into_iter().map(|(_, object)| self.apply(object)).collect()
    }

    /// The global resourceVersion now.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// RBAC: `resource` (plural, kind or short name) answers 403 Forbidden to list,
    /// watch and get. Like a real server, open watches go on until they end.
    pub fn forbid(&self, resource: &str) {
        let resource = resources::by_name(resource).expect("served resource");
        self.lock().forbidden.insert(resource);
    }

    /// Undoes [`FakeKube::forbid`].
    pub fn allow(&self, resource: &str) {
        let resource = resources::by_name(resource).expect("served resource");
        self.lock().forbidden.remove(&resource);
    }

    /// `Some(t)`: every request without `Authorization: Bearer t` gets 401. `None`: no auth.
    pub fn require_token(&self, token: Option<&str>) {
        self.lock().token = token.map(str::to_owned);
    }

    /// Cluster down: the port refuses connections, open connections (and
    /// watch streams) are cut. `false` listens on the same port again.
    pub fn set_down(&self, down: bool) {
        if down {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.down.send_replace(down);
    }

    /// Every request answers 503 ServiceUnavailable (an overloaded or
    /// restarting API server behind a load balancer). kube's client retries
    /// 503 itself unless `Config::default_retry` is off.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// Compaction: forgets the history, so watches resuming from any version
    /// known so far get an ERROR 410 Expired event (and `continue` tokens a 410),
    /// and ends open watch streams so that they resume. Lists still work.
    pub fn expire_history(&self) {
        let mut inner = self.lock();
        inner.rv += 1;
        inner.compacted = inner.rv;
        inner.history.clear();
        inner.continues.clear();
        drop(inner);
        self.close_watches();
    }

    /// Ends every open watch stream cleanly, as an API server does at `timeoutSeconds`.
    pub fn close_watches(&self) {
        self.closer.send_modify(|n| *n += 1);
    }

    /// Every open watch that asked for bookmarks gets one now.
    pub fn bookmark_now(&self) {
        let _ = self.signals.send(Signal::Bookmark);
    }

    /// How often open watches get a BOOKMARK (default 1 s; real servers: about a minute).
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.lock().bookmark_interval = every;
    }

    /// Requests received so far (every HTTP request, rejected ones included;
    /// none while down, as connections are refused).
    pub fn requests(&self) -> usize {
        self.lock().log.len()
    }

    /// Requests of `verb` (`list`, `watch`, `get`, `discovery`) on `resource` (plural, kind or short name).
    pub fn requests_for(&self, verb: &str, resource: &str) -> usize {
        let plural = resources::by_name(resource).map_or(resource, |i| resources::RESOURCES[i].plural);
        self.lock().log.iter().filter(|r| r.verb == verb && r.resource == plural).count()
    }

    /// Every request received, in order.
    pub fn request_log(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    /// Forgets the requests received so far (counters restart at 0).
    pub fn reset_requests(&self) {
        self.lock().log.clear();
    }
}

/// Now, RFC 3339 to the second, as Kubernetes writes times.
fn now() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    now.round(k8s_openapi::jiff::Unit::Second).unwrap_or(now).to_string()
}
