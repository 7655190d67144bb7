//! WATCH: HTTP 200 with a chunked body of newline-delimited JSON events,
//! replayed from the history after the requested resourceVersion, then live.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::http::{selected, selectors, status, status_object};
use super::resources::{RESOURCES, Selector};
use super::{Change, EventType, FakeKube, Signal};

/// Which events a watch wants.
struct Filter {
    resource: usize,
    namespace: Option<String>,
    labels: Selector,
    fields: Selector,
}

impl Filter {
    fn selects(&self, object: &Value) -> bool {
        selected(object, self.namespace.as_deref(), &self.labels, &self.fields)
    }

    /// The event this watch sees for `change`, as the API server's watch cache
    /// decides it: an object that starts matching is ADDED, one that stops
    /// matching is DELETED.
    fn event(&self, change: &Change) -> Option<Value> {
        if change.resource != self.resource {
            return None;
        }
        let now = self.selects(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.selects(p));
        let kind = match (change.kind, before, now) {
            (EventType::Added, _, true) | (EventType::Modified, false, true) => "ADDED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, true, false) | (EventType::Deleted, true, _) => "DELETED",
            _ => return None,
        };
        Some(json!({"type": kind, "object": change.object}))
    }
}

fn line(event: &Value) -> Bytes {
    let mut bytes = serde_json::to_vec(event).expect("json");
    bytes.push(b'\n');
    Bytes::from(bytes)
}

fn bookmark(resource: usize, rv: u64, initial_end: bool) -> Bytes {
    let res = &RESOURCES[resource];
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(&json!({"type": "BOOKMARK", "object": {"kind": res.kind, "apiVersion": res.api_version(), "metadata": metadata}}))
}

/// Answers a `?watch=true` request on a collection.
pub fn watch(kube: Arc<FakeKube>, resource: usize, namespace: Option<String>, query: &HashMap<String, String>) -> Response {
    let (labels, fields) = match selectors(query) {
        Ok(selectors) => selectors,
        Err(response) => return response,
    };
    let filter = Filter { resource, namespace, labels, fields };
    let bookmarks = query.get("allowWatchBookmarks").is_some_and(|v| v == "true");
    let send_initial = query.get("sendInitialEvents").is_some_and(|v| v == "true");
    let timeout = query.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(1800);
    let from = match query.get("resourceVersion").map(String::as_str) {
        None | Some("" | "0") => None,
        Some(rv) => match rv.parse::<u64>() {
            Ok(rv) => Some(rv),
            Err(_) => return status(StatusCode::BAD_REQUEST, "BadRequest", &format!("invalid resource version: {rv}"), Value::Null),
        },
    };
    let inner = kube.lock();
    // Subscribed under the lock: every change after the snapshot below reaches the stream.
    let signals = kube.signals.subscribe();
    let closer = kube.closer.subscribe();
    let mut initial = Vec::new();
    let mut end_now = false;
    match from {
        Some(rv) if rv < inner.compacted => {
            let message = format!("too old resource version: {rv} ({})", inner.compacted);
            initial.push(line(&json!({"type": "ERROR", "object": status_object(410, "Expired", &message, Value::Null)})));
            end_now = true;
        }
        Some(rv) if !send_initial => {
            initial.extend(inner.history.iter().filter(|c| c.rv > rv).filter_map(|c| filter.event(c)).map(|e| line(&e)));
        }
        _ => {
            let range = (resource, String::new(), String::new())..(resource + 1, String::new(), String::new());
            let objects = inner.objects.range(range).map(|(_, o)| o).filter(|o| filter.selects(o));
            initial.extend(objects.map(|o| line(&json!({"type": "ADDED", "object": o.as_ref()}))));
            if send_initial && bookmarks {
                initial.push(bookmark(resource, inner.rv, true));
            }
        }
    }
    let seen = from.unwrap_or(0).max(inner.rv);
    let interval = inner.bookmark_interval;
    drop(inner);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let stream = Stream { kube, tx, filter, signals, closer, seen, bookmarks, interval };
    let deadline = Instant::now() + Duration::from_secs(timeout);
    tokio::spawn(stream.run(initial, end_now, deadline));
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|item| (item, rx)) }));
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One open watch stream.
struct Stream {
    kube: Arc<FakeKube>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    filter: Filter,
    signals: broadcast::Receiver<Signal>,
    closer: tokio::sync::watch::Receiver<u64>,
    /// The last resourceVersion this stream has accounted for (sent or filtered out).
    seen: u64,
    bookmarks: bool,
    interval: Duration,
}

impl Stream {
    async fn send(&self, bytes: Bytes) -> bool {
        self.tx.send(Ok(bytes)).await.is_ok()
    }

    async fn run(mut self, initial: Vec<Bytes>, end_now: bool, deadline: Instant) {
        for bytes in initial {
            if !self.send(bytes).await {
                return;
            }
        }
        if end_now {
            return;
        }
        let mut down = self.kube.down.subscribe();
        let mut ticker = tokio::time::interval_at(Instant::now() + self.interval, self.interval);
        loop {
            tokio::select! {
                () = self.tx.closed() => return,
                _ = self.closer.changed() => return,
                () = async { drop(down.wait_for(|down| *down).await) } => {
                    // Cut mid-body: the client sees the chunked stream end abruptly.
                    let _ = self.tx.send(Err(std::io::Error::other("fake kube went down"))).await;
                    return;
                }
                () = tokio::time::sleep_until(deadline) => {
                    if self.bookmarks {
                        self.send(bookmark(self.filter.resource, self.seen, false)).await;
                    }
                    return;
                }
                _ = ticker.tick(), if self.bookmarks => {
                    if !self.send(bookmark(self.filter.resource, self.seen, false)).await {
                        return;
                    }
                }
                signal = self.signals.recv() => match signal {
                    Ok(Signal::Change(change)) => {
                        self.seen = change.rv;
                        if let Some(event) = self.filter.event(&change)
                            && !self.send(line(&event)).await
                        {
                            return;
                        }
                    }
                    Ok(Signal::Bookmark) if self.bookmarks => {
                        if !self.send(bookmark(self.filter.resource, self.seen, false)).await {
                            return;
                        }
                    }
                    Ok(Signal::Bookmark) => {}
                    // Too slow a reader, or the fake is gone: end; the client resumes from its version.
                    Err(_) => return,
                },
            }
        }
    }
}
