//! Portolan's pages as Leptos components, rendered to HTML on the server.
//!
//! There is no client-side code: each `render_*` function fetches what its
//! page needs through the [`PortalData`] trait, then builds the complete HTML
//! document in one pass, so pages arrive whole and work with JavaScript off.
//! The server implements the trait; this crate does not depend on the server.

#![forbid(unsafe_code)]

pub mod components;
pub mod data;
pub mod explore;
pub mod pages;
pub mod shell;
pub mod viewer;

use leptos::prelude::*;

pub use data::{
    ApiDefinition, DataError, EntityDetail, EntitySummary, KindCount, LinkView, LocationDetail, LocationPreview,
    LocationView, PortalData, RelationView,
};
pub use explore::{ExplorePage, ExploreQuery, Facet, FacetKey, FacetValue, SortKey};
pub use pages::audit::{AuditFilters, AuditRow};
pub use pages::entity::EntityTab;
pub use pages::kubernetes::panel::DeploymentsPanel;
pub use pages::kubernetes::{
    ClusterDeployView, ClusterRowView, DEPLOYMENTS_SCRIPT, DEPLOYMENTS_SCRIPT_PATH, DeploymentsView, ErrorView, FixView, FleetView,
    ImageView, PodView, UnhealthyEntityView, WorkloadView,
};
pub use pages::scaffold::{
    ButtonLabels, PickerOption, TASK_FOLLOW_SCRIPT, TASK_FOLLOW_SCRIPT_PATH, TaskLink, TaskLogLine, TaskRowView, TaskStepView,
    TaskText, TaskView, WizardView,
};
pub use shell::{STYLESHEET_PATH, Section, Shell};
pub use viewer::{SignInOptions, Viewer, ViewerUser};

use pages::catalog::{CatalogPage, ExplorerMount};
use pages::entity::EntityPage;
use pages::home::HomePage;
use pages::not_found::{ErrorPage, NotFoundPage};
use pages::placeholder::PlaceholderPage;
use pages::register::{ImportPage, RegisteredPage, UnregisterPage, UnregisteredPage};

/// A rendered page: the HTTP status to send and the HTML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// HTTP status code, e.g. 200 or 404.
    pub status: u16,
    /// The complete document, starting with `<!DOCTYPE html>`.
    pub html: String,
}

/// Renders `view` for `viewer` inside a fresh reactive owner and prefixes the doctype.
fn document(viewer: &Viewer, status: u16, view: impl FnOnce() -> AnyView) -> Rendered {
    let owner = Owner::new();
    let viewer = viewer.clone();
    let body = owner.with(move || {
        provide_context(viewer);
        view().to_html()
    });
    Rendered {
        status,
        html: format!("<!DOCTYPE html>{body}"),
    }
}

/// The home page `/`: entity counts per kind.
pub fn render_home(viewer: &Viewer, data: &dyn PortalData) -> Rendered {
    let counts = data.kind_counts();
    document(viewer, 200, move || {
        view! {
            <Shell title="Home" section=Section::Home>
                <HomePage counts=counts />
            </Shell>
        }
        .into_any()
    })
}

/// The catalog explorer `/catalog?kind=…&owner=…&q=…&sort=…&cursor=…`.
pub fn render_catalog(viewer: &Viewer, data: &dyn PortalData, query: &ExploreQuery) -> Rendered {
    let page = data.explore(query);
    let mount = ExplorerMount { base: "/catalog", heading: catalog_heading(query), fixed_kind: None };
    explorer(viewer, page, query.clone(), mount, Section::Catalog)
}

/// The API explorer `/api-docs`: the catalog restricted to kind API.
pub fn render_api_docs(viewer: &Viewer, data: &dyn PortalData, query: &ExploreQuery) -> Rendered {
    let mut query = query.clone();
    query.selected.retain(|(k, _)| *k != FacetKey::Kind);
    query.select(FacetKey::Kind, "API");
    let page = data.explore(&query);
    let mount = ExplorerMount { base: "/api-docs", heading: "APIs".to_owned(), fixed_kind: Some("API") };
    explorer(viewer, page, query, mount, Section::Apis)
}

fn explorer(viewer: &Viewer, page: ExplorePage, query: ExploreQuery, mount: ExplorerMount, section: Section) -> Rendered {
    let search = query.q.clone().unwrap_or_default();
    let title = mount.heading.clone();
    document(viewer, 200, move || {
        view! {
            <Shell title=title section=section search=search>
                <CatalogPage page=page query=query mount=mount />
            </Shell>
        }
        .into_any()
    })
}

/// "All entities", or the plural of the one kind selected.
fn catalog_heading(query: &ExploreQuery) -> String {
    match query.selected(FacetKey::Kind) {
        [kind] if kind.eq_ignore_ascii_case("api") => "APIs".to_owned(),
        [kind] => {
            let mut chars = kind.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
            format!("{first}{}s", chars.as_str())
        }
        _ => "All entities".to_owned(),
    }
}

/// The entity page `/catalog/:namespace/:kind/:name[?tab=…]` of `fetched`,
/// what [`PortalData::entity`] answered (the server reads it first, to
/// decide what the viewer may do with it); the 404 page with close matches
/// when there is no such entity.
pub fn render_entity(
    viewer: &Viewer,
    data: &dyn PortalData,
    (kind, namespace, name): (&str, &str, &str),
    tab: EntityTab,
    fetched: Result<Option<EntityDetail>, DataError>,
) -> Rendered {
    match fetched {
        Ok(Some(entity)) => {
            let title = format!("{} · {}", entity.summary.display_name(), entity.summary.kind);
            let section = if entity.summary.kind.eq_ignore_ascii_case("api") { Section::Apis } else { Section::Catalog };
            let follows = tab.for_entity(&entity) == EntityTab::Deployments
                && entity.kubernetes.as_ref().is_some_and(|k| !k.events_url.trim().is_empty());
            let script = follows.then_some(DEPLOYMENTS_SCRIPT_PATH);
            document(viewer, 200, move || {
                view! {
                    <Shell title=title section=section script=script>
                        <EntityPage entity=entity tab=tab />
                    </Shell>
                }
                .into_any()
            })
        }
        Ok(None) => {
            let close = data.close_matches(Some(kind), name, 5);
            let what = format!("The catalog has no {kind} named “{name}” in namespace “{namespace}”.");
            let path = pages::ref_href(&format!("{kind}:{namespace}/{name}")).unwrap_or_default();
            document(viewer, 404, move || {
                view! {
                    <Shell title="Entity not found" section=Section::Catalog>
                        <NotFoundPage path=path what=what close=close />
                    </Shell>
                }
                .into_any()
            })
        }
        Err(e) => render_error(viewer, &e),
    }
}

/// The register form `/catalog-import`, with a preview or an error after a step.
pub fn render_import(viewer: &Viewer, target: &str, preview: Option<LocationPreview>, error: Option<&DataError>) -> Rendered {
    let status = error.map_or(200, DataError::status);
    let target = target.to_owned();
    let error = error.map(|e| e.message().to_owned());
    document(viewer, status, move || {
        view! {
            <Shell title="Register an existing component" section=Section::Catalog>
                <ImportPage target=target preview=preview error=error />
            </Shell>
        }
        .into_any()
    })
}

/// What registering added.
pub fn render_registered(viewer: &Viewer, detail: LocationDetail) -> Rendered {
    document(viewer, 201, move || {
        view! {
            <Shell title="Registered" section=Section::Catalog>
                <RegisteredPage detail=detail />
            </Shell>
        }
        .into_any()
    })
}

/// The confirmation page before unregistering a location.
pub fn render_unregister(viewer: &Viewer, detail: LocationDetail) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title="Unregister a location" section=Section::Catalog>
                <UnregisterPage detail=detail />
            </Shell>
        }
        .into_any()
    })
}

/// What unregistering removed.
pub fn render_unregistered(viewer: &Viewer, detail: LocationDetail) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title="Unregistered" section=Section::Catalog>
                <UnregisteredPage detail=detail />
            </Shell>
        }
        .into_any()
    })
}

/// The placeholder `/create` showed before the scaffolder; kept only until
/// the server renders [`render_templates`] there, then to be removed.
pub fn render_create(viewer: &Viewer) -> Rendered {
    placeholder(viewer, "Create", Section::Create, "Start new projects from software templates.")
}

/// The software templates page `/create?q=…&tag=…`: `page` is the explorer's
/// answer for kind Template (with the tag facet), `query` what produced it.
pub fn render_templates(viewer: &Viewer, page: ExplorePage, query: &ExploreQuery) -> Rendered {
    let query = query.clone();
    let search = String::new();
    document(viewer, 200, move || {
        view! {
            <Shell title="Create" section=Section::Create search=search>
                <pages::scaffold::templates::TemplatesPage page=page query=query />
            </Shell>
        }
        .into_any()
    })
}

/// A template's wizard `/create/templates/:namespace/:name`: the current
/// step's form, or the review. Answers 422 when it shows errors.
pub fn render_wizard(viewer: &Viewer, view: WizardView) -> Rendered {
    let status = if view.errors.is_empty() && view.problem.is_none() { 200 } else { 422 };
    let title = view.template.display_name().to_owned();
    document(viewer, status, move || {
        view! {
            <Shell title=title section=Section::Create>
                <pages::scaffold::wizard::WizardPage view=view />
            </Shell>
        }
        .into_any()
    })
}

/// A task's page `/create/tasks/:id`: follows the task live with
/// [`TASK_FOLLOW_SCRIPT`], and refreshes itself every 2 s without scripts while it runs.
pub fn render_task(viewer: &Viewer, task: TaskView) -> Rendered {
    let title = format!("{} · task", task.template_title);
    let running = task.is_running();
    document(viewer, 200, move || {
        let refresh = running.then_some(2);
        let script = running.then_some(TASK_FOLLOW_SCRIPT_PATH);
        view! {
            <Shell title=title section=Section::Create refresh=refresh script=script>
                <pages::scaffold::task::TaskPage task=task />
            </Shell>
        }
        .into_any()
    })
}

/// The recent tasks `/create/tasks`, newest first.
pub fn render_tasks(viewer: &Viewer, tasks: Vec<TaskRowView>) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title="Recent tasks" section=Section::Create>
                <pages::scaffold::task::TasksPage tasks=tasks />
            </Shell>
        }
        .into_any()
    })
}

/// The cluster status page `/clusters`: every configured cluster with its
/// connection and resource states, then every entity that is not healthy.
pub fn render_clusters(viewer: &Viewer, fleet: FleetView) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title="Clusters" section=Section::Clusters>
                <pages::kubernetes::fleet::FleetPage fleet=fleet />
            </Shell>
        }
        .into_any()
    })
}

/// The Deployments panel of `view` alone, without the page around it: what
/// the entity's live stream sends as each `status` event's data, for
/// [`DEPLOYMENTS_SCRIPT`] to put in place of the panel shown.
pub fn render_deployments_fragment(view: &DeploymentsView) -> String {
    let owner = Owner::new();
    let view = view.clone();
    owner.with(move || view! { <DeploymentsPanel view=view /> }.to_html())
}

fn placeholder(viewer: &Viewer, title: &'static str, section: Section, summary: &'static str) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title=title section=section>
                <PlaceholderPage title=title summary=summary />
            </Shell>
        }
        .into_any()
    })
}

/// The 404 page for `path`, with status 404.
pub fn render_not_found(viewer: &Viewer, path: &str) -> Rendered {
    let path = path.to_owned();
    document(viewer, 404, move || {
        view! {
            <Shell title="Page not found">
                <NotFoundPage path=path />
            </Shell>
        }
        .into_any()
    })
}

/// An error page with the error's status.
pub fn render_error(viewer: &Viewer, error: &DataError) -> Rendered {
    let status = error.status();
    let message = error.message().to_owned();
    document(viewer, status, move || {
        view! {
            <Shell title="Error">
                <ErrorPage status=status message=message />
            </Shell>
        }
        .into_any()
    })
}

/// The sign-in page.
pub fn render_sign_in(viewer: &Viewer, options: SignInOptions) -> Rendered {
    let status = if options.error.is_some() { 403 } else { 200 };
    document(viewer, status, move || {
        view! {
            <Shell title="Sign in">
                <viewer::SignInPage options=options />
            </Shell>
        }
        .into_any()
    })
}

/// The audit log page `/audit`.
pub fn render_audit(viewer: &Viewer, events: Vec<AuditRow>, filters: AuditFilters) -> Rendered {
    document(viewer, 200, move || {
        view! {
            <Shell title="Audit log">
                <pages::audit::AuditPage events=events filters=filters />
            </Shell>
        }
        .into_any()
    })
}
