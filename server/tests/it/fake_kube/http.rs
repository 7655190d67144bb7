//! The HTTP side: URL routing, auth/RBAC/availability checks, LIST, GET,
//! discovery and `Status` errors. WATCH streams are in [`super::watches`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::{RESOURCES, Selector};
use super::{Continue, FakeKube, Request};

/// The fake's router: one fallback that parses Kubernetes paths itself.
pub fn router(kube: Arc<FakeKube>) -> Router {
    Router::new().fallback(handle).with_state(kube)
}

/// A JSON response.
pub fn json_response(code: StatusCode, body: &Value) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// A `Status` object as the API server writes it for a failure.
pub fn status_object(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    if !details.is_null() {
        status["details"] = details;
    }
    status
}

/// A failure response with a `Status` body.
pub fn status(code: StatusCode, reason: &str, message: &str, details: Value) -> Response {
    json_response(code, &status_object(code.as_u16(), reason, message, details))
}

/// Where a request goes.
enum Route {
    /// `/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`.
    Discovery(Vec<String>),
    /// A collection, cluster-wide (`None`) or in a namespace.
    Collection(usize, Option<String>),
    /// One object.
    Object(usize, String, String),
    /// Anything else: 404.
    Unknown,
}

fn route(segments: &[&str]) -> Route {
    let owned = || segments.iter().map(|s| (*s).to_owned()).collect();
    let (group, version, rest) = match segments {
        ["version"] | ["api"] | ["apis"] | ["api", "v1"] | ["apis", _, _] => return Route::Discovery(owned()),
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::Unknown,
    };
    let find = |plural: &str| super::resources::by_path(group, version, plural);
    match rest {
        [plural] => find(plural).map_or(Route::Unknown, |r| Route::Collection(r, None)),
        ["namespaces", ns, plural] => find(plural).map_or(Route::Unknown, |r| Route::Collection(r, Some((*ns).to_owned()))),
        ["namespaces", ns, plural, name] => {
            find(plural).map_or(Route::Unknown, |r| Route::Object(r, (*ns).to_owned(), (*name).to_owned()))
        }
        _ => Route::Unknown,
    }
}

async fn handle(State(kube): State<Arc<FakeKube>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let route = route(&segments);
    let watching = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    let (verb, resource, namespace) = match &route {
        Route::Discovery(_) => ("discovery", uri.path().to_owned(), None),
        Route::Unknown => ("unknown", uri.path().to_owned(), None),
        Route::Collection(r, ns) => (if watching { "watch" } else { "list" }, RESOURCES[*r].plural.to_owned(), ns.clone()),
        Route::Object(r, ns, _) => ("get", RESOURCES[*r].plural.to_owned(), Some(ns.clone())),
    };
    let verb = if method == Method::GET { verb.to_owned() } else { method.as_str().to_ascii_lowercase() };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    {
        let mut inner = kube.lock();
        let query_text = uri.query().unwrap_or_default().to_owned();
        inner.log.push(Request { verb: verb.clone(), resource: resource.clone(), namespace: namespace.clone(), query: query_text, authorization: authorization.clone() });
        if inner.unavailable {
            return status(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "the server is currently unable to handle the request", Value::Null);
        }
        if let Some(token) = &inner.token
            && authorization.as_deref() != Some(format!("Bearer {token}").as_str())
        {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized", Value::Null);
        }
        if method != Method::GET {
            return status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "the fake API server only reads", Value::Null);
        }
        let resource_index = match &route {
            Route::Collection(r, _) | Route::Object(r, _, _) => Some(*r),
            _ => None,
        };
        if let Some(r) = resource_index.filter(|r| inner.forbidden.contains(r)) {
            let res = &RESOURCES[r];
            let scope = namespace.as_ref().map_or("at the cluster scope".to_owned(), |ns| format!("in the namespace \"{ns}\""));
            let message = format!(
                "{} is forbidden: User \"system:serviceaccount:portolan:portolan\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                res.plural, res.plural, res.group
            );
            return status(StatusCode::FORBIDDEN, "Forbidden", &message, json!({"kind": res.plural}));
        }
    }
    match route {
        Route::Discovery(segments) => discovery(&kube, &segments),
        Route::Unknown => status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource", Value::Null),
        Route::Object(r, ns, name) => match kube.lock().objects.get(&(r, ns, name.clone())) {
            Some(object) => json_response(StatusCode::OK, object.as_ref()),
            None => status(StatusCode::NOT_FOUND, "NotFound", &format!("{} \"{name}\" not found", RESOURCES[r].plural),
                json!({"name": name, "kind": RESOURCES[r].plural})),
        },
        Route::Collection(r, ns) if watching => super::watches::watch(kube, r, ns, &query),
        Route::Collection(r, ns) => list(&kube, r, ns.as_deref(), &query),
    }
}

/// Parses the `labelSelector` and `fieldSelector` parameters, or answers 400.
pub fn selectors(query: &HashMap<String, String>) -> Result<(Selector, Selector), Response> {
    let parse = |name: &str| {
        Selector::parse(query.get(name).map_or("", String::as_str))
            .map_err(|message| status(StatusCode::BAD_REQUEST, "BadRequest", &message, Value::Null))
    };
    Ok((parse("labelSelector")?, parse("fieldSelector")?))
}

/// Whether `object` is in `namespace` (all namespaces for `None`) and matches both selectors.
pub fn selected(object: &Value, namespace: Option<&str>, labels: &Selector, fields: &Selector) -> bool {
    namespace.is_none_or(|ns| object.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns))
        && labels.matches_labels(object)
        && fields.matches_fields(object)
}

fn list(kube: &FakeKube, resource: usize, namespace: Option<&str>, query: &HashMap<String, String>) -> Response {
    let (labels, fields) = match selectors(query) {
        Ok(selectors) => selectors,
        Err(response) => return response,
    };
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
    let mut inner = kube.lock();
    let token = query.get("continue").filter(|c| !c.is_empty());
    let (rv, snapshot, offset) = match token {
        Some(token) => match inner.continues.get(token) {
            Some(pending) => (pending.rv, Arc::clone(&pending.snapshot), pending.offset),
            None => {
                let message = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";
                return status(StatusCode::GONE, "Expired", message, Value::Null);
            }
        },
        None => {
            let range = (resource, String::new(), String::new())..(resource + 1, String::new(), String::new());
            // The stored objects themselves: a page is written out when asked
            // for, so a paged list never holds all its items as text at once
            // (in the benchmark, that text would be counted as the client's).
            let items = inner.objects.range(range).map(|(_, o)| o).filter(|o| selected(o, namespace, &labels, &fields));
            (inner.rv, Arc::new(items.cloned().collect::<Vec<_>>()), 0)
        }
    };
    let end = limit.map_or(snapshot.len(), |l| snapshot.len().min(offset + l));
    let items = &snapshot[offset..end];
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if end < snapshot.len() {
        let token = format!("fake-continue-{}-{rv}", inner.next_continue);
        inner.next_continue += 1;
        metadata["continue"] = json!(token);
        if labels.is_empty() && fields.is_empty() {
            metadata["remainingItemCount"] = json!(snapshot.len() - end);
        }
        inner.continues.insert(token, Continue { rv, snapshot: Arc::clone(&snapshot), offset: end });
    } else if token.is_some() {
        // The last page of a paged list: its tokens are done with (reusing one
        // now is 410 Expired, which a real server may answer too).
        inner.continues.retain(|_, c| !Arc::ptr_eq(&c.snapshot, &snapshot));
    }
    let res = &RESOURCES[resource];
    let head = json!({"kind": format!("{}List", res.kind), "apiVersion": res.api_version(), "metadata": metadata}).to_string();
    let mut body = format!("{},\"items\":[", head.strip_suffix('}').unwrap_or(&head)).into_bytes();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let _ = serde_json::to_writer(&mut body, &ListItem(item));
    }
    body.extend_from_slice(b"]}");
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A list item as the real server writes it: without apiVersion and kind,
/// written straight from the stored object.
struct ListItem<'a>(&'a Value);

impl serde::Serialize for ListItem<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_object() {
            Some(map) => serializer.collect_map(map.iter().filter(|(k, _)| *k != "apiVersion" && *k != "kind")),
            None => self.0.serialize(serializer),
        }
    }
}

fn discovery(kube: &FakeKube, segments: &[String]) -> Response {
    let resource_list = |group: &str, version: &str| {
        let resources: Vec<Value> = RESOURCES
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .map(|r| json!({"name": r.plural, "singularName": r.kind.to_ascii_lowercase(), "namespaced": true,
                "kind": r.kind, "verbs": ["get", "list", "watch"], "shortNames": r.short}))
            .collect();
        let group_version = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
    };
    let body = match segments.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["version"] => json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0", "gitCommit": "fake", "gitTreeState": "clean",
            "buildDate": "2025-08-27T00:00:00Z", "goVersion": "go1.24.6", "compiler": "gc", "platform": "linux/amd64"}),
        ["api"] => json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": kube.url().trim_start_matches("http://")}]}),
        ["apis"] => {
            let mut groups: Vec<(&str, &str)> = RESOURCES.iter().filter(|r| !r.group.is_empty()).map(|r| (r.group, r.version)).collect();
            groups.dedup();
            let groups: Vec<Value> = groups
                .into_iter()
                .map(|(g, v)| {
                    let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
                    json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
                })
                .collect();
            json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        }
        ["api", "v1"] => resource_list("", "v1"),
        ["apis", group, version] if RESOURCES.iter().any(|r| r.group == *group && r.version == *version) => resource_list(group, version),
        _ => return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource", Value::Null),
    };
    json_response(StatusCode::OK, &body)
}
