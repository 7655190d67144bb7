//! The data the pages show, and the trait through which the server supplies it.
//!
//! These types belong to the frontend on purpose: the server converts its own
//! catalog model into them, so the pages never depend on the server crate.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::explore::{ExplorePage, ExploreQuery, Facet, FacetKey, FacetValue, SortKey};

/// One catalog entity, reduced to what list pages show. The fields most
/// entities share (kind, namespace, owner, type, lifecycle, system, tags) are
/// shared strings, so that a server holding 100,000 summaries holds each
/// owner or tag list once rather than once per entity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntitySummary {
    /// Entity kind as written in the file, e.g. `Component` or `API`.
    pub kind: Arc<str>,
    /// Namespace; `default` when the file does not set one.
    pub namespace: Arc<str>,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.title`, a human-friendly display name.
    pub title: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `spec.owner`, as an entity reference string.
    pub owner: Option<Arc<str>>,
    /// `spec.type`, e.g. `service`, `website` or `openapi`.
    pub spec_type: Option<Arc<str>>,
    /// `spec.lifecycle`, e.g. `production` or `experimental`.
    pub lifecycle: Option<Arc<str>>,
    /// `spec.system`, as written.
    pub system: Option<Arc<str>>,
    /// `metadata.tags`.
    pub tags: Arc<[Arc<str>]>,
}

impl EntitySummary {
    /// The name to show: the title when there is one, else the name.
    pub fn display_name(&self) -> &str {
        self.title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.name)
    }

    /// The canonical reference, `kind:namespace/name`, lower-cased.
    pub fn entity_ref(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind.to_ascii_lowercase(),
            self.namespace.to_ascii_lowercase(),
            self.name.to_ascii_lowercase()
        )
    }

    /// The entity page, `/catalog/:namespace/:kind/:name`.
    pub fn href(&self) -> String {
        entity_href(&self.kind, &self.namespace, &self.name)
    }
}

/// The page of an entity, `/catalog/:namespace/:kind/:name` (kind lower-cased,
/// each part percent-encoded).
pub fn entity_href(kind: &str, namespace: &str, name: &str) -> String {
    format!(
        "/catalog/{}/{}/{}",
        crate::pages::encode_path_segment(namespace),
        crate::pages::encode_path_segment(&kind.to_ascii_lowercase()),
        crate::pages::encode_path_segment(name)
    )
}

/// How many entities of one kind the catalog holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    /// Kind as written in the entities, e.g. `Component`.
    pub kind: String,
    /// Number of entities of that kind.
    pub count: usize,
}

/// A relation of an entity, with the other end resolved when it is in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationView {
    /// Backstage's relation type as stored on this entity, e.g. `ownedBy`.
    pub relation: String,
    /// The other end, `kind:namespace/name`.
    pub target_ref: String,
    /// The other end when the catalog has it; `None` for a dangling reference.
    pub target: Option<EntitySummary>,
}

/// An entry of `metadata.links`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// Where it goes.
    pub url: String,
    /// What to call it (the URL when not given).
    pub title: String,
}

/// The location an entity was read from, for the unregister flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationView {
    /// The location's id.
    pub id: String,
    /// `file` or `url`.
    pub location_type: String,
    /// Path or URL.
    pub target: String,
    /// Whether it comes from `portolan.yaml` (and so cannot be unregistered here).
    pub from_config: bool,
}

/// An API entity's definition, parsed by the server where it can be.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiDefinition {
    /// `spec.type` as written.
    pub spec_type: String,
    /// `spec.definition` as written (after `$text` substitution).
    pub text: String,
    /// The text read as YAML/JSON, for OpenAPI and AsyncAPI.
    pub parsed: Option<Value>,
}

/// Everything an entity page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntityDetail {
    /// The list fields.
    pub summary: EntitySummary,
    /// Whether the viewer may unregister the entity's location (denied
    /// actions are not offered).
    pub may_unregister: bool,
    /// `apiVersion`.
    pub api_version: String,
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.labels`, in file order.
    pub labels: Vec<(String, String)>,
    /// `metadata.annotations`, in file order.
    pub annotations: Vec<(String, String)>,
    /// `metadata.links`.
    pub links: Vec<LinkView>,
    /// `spec`, as stored.
    pub spec: Value,
    /// Relations both ways, sorted by type then target.
    pub relations: Vec<RelationView>,
    /// Processing errors of the last read; the entity shown is the last good one.
    pub errors: Vec<String>,
    /// Whether no location emits it any more.
    pub orphan: bool,
    /// The entity as YAML, as the catalog stores it.
    pub yaml: String,
    /// Where the source is browsable (`backstage.io/view-url` or derived from the source location).
    pub view_url: Option<String>,
    /// Where it can be edited (`backstage.io/edit-url`).
    pub edit_url: Option<String>,
    /// The registered location whose tree emitted it.
    pub location: Option<LocationView>,
    /// For API entities, the definition.
    pub definition: Option<ApiDefinition>,
    /// Its workloads across Kubernetes clusters, for entities that have
    /// Kubernetes annotations (`None` hides the Deployments tab).
    pub kubernetes: Option<crate::pages::kubernetes::DeploymentsView>,
}

impl EntityDetail {
    /// The relations of one type.
    pub fn related<'a>(&'a self, relation: &'a str) -> impl Iterator<Item = &'a RelationView> + 'a {
        self.relations.iter().filter(move |r| r.relation == relation)
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What a location would add to the catalog, read without storing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationPreview {
    /// `file` or `url`.
    pub location_type: String,
    /// The target as it will be registered.
    pub target: String,
    /// The entities found (the Location entities Backstage adds are left out).
    pub entities: Vec<EntitySummary>,
    /// Problems found while reading; registration still works when entities were found.
    pub errors: Vec<String>,
    /// Whether that location is registered already.
    pub exists: bool,
}

/// A location with the entities its tree emitted, for the unregister confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationDetail {
    /// The location.
    pub location: LocationView,
    /// The entities that would go with it.
    pub entities: Vec<EntitySummary>,
}

/// A failure to get data, shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The user's input is wrong (shown next to the form, status 400).
    Input(String),
    /// It exists already (status 409).
    Conflict(String),
    /// Not there (status 404).
    NotFound(String),
    /// Not allowed (status 403).
    Forbidden(String),
    /// Something broke on the server's side (status 500); details are logged there.
    Internal(String),
}

impl DataError {
    /// The HTTP status the page answers with.
    pub fn status(&self) -> u16 {
        match self {
            DataError::Input(_) => 400,
            DataError::Conflict(_) => 409,
            DataError::NotFound(_) => 404,
            DataError::Forbidden(_) => 403,
            DataError::Internal(_) => 500,
        }
    }

    /// What to tell the user.
    pub fn message(&self) -> &str {
        match self {
            DataError::Input(m)
            | DataError::Conflict(m)
            | DataError::NotFound(m)
            | DataError::Forbidden(m)
            | DataError::Internal(m) => m,
        }
    }
}

/// Everything the pages need from the rest of the portal.
///
/// The server implements it over its database and an in-memory index of the
/// catalog; list views are synchronous reads of that index, the rest goes to
/// the database.
#[async_trait::async_trait]
pub trait PortalData: Send + Sync + 'static {
    /// Entity counts per kind, in display order. Kinds with no entities may be left out.
    fn kind_counts(&self) -> Vec<KindCount>;

    /// One page of the catalog explorer: rows, facet counts and paging.
    fn explore(&self, query: &ExploreQuery) -> ExplorePage;

    /// Entities whose name or title is close to `name` (for the 404 page), best first.
    fn close_matches(&self, kind: Option<&str>, name: &str, limit: usize) -> Vec<EntitySummary>;

    /// Total number of entities in the catalog.
    fn total(&self) -> usize {
        self.kind_counts().iter().map(|k| k.count).sum()
    }

    /// The entity page's data, `None` when there is no such entity.
    async fn entity(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<EntityDetail>, DataError>;

    /// Reads a location without storing anything.
    async fn preview_location(&self, target: &str) -> Result<LocationPreview, DataError>;

    /// Registers a location and reads it at once; returns what it added.
    async fn register_location(&self, target: &str) -> Result<LocationDetail, DataError>;

    /// A location and its entities.
    async fn location(&self, id: &str) -> Result<Option<LocationDetail>, DataError>;

    /// Removes a registered location with every entity its tree emitted.
    async fn unregister_location(&self, id: &str) -> Result<LocationDetail, DataError>;
}
