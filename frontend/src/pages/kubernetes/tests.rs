//! Rendering the Deployments tab, its live fragment and the fleet page.

use super::panel::bar_class;
use super::*;
use crate::data::{DataError, EntityDetail, KindCount, LocationDetail, LocationPreview, PortalData};
use crate::explore::{ExplorePage, ExploreQuery};
use crate::pages::entity::EntityTab;
use crate::viewer::Viewer;

/// A portal with nothing in it: the entity page only asks it for close matches on a 404.
struct NoData;

#[async_trait::async_trait]
impl PortalData for NoData {
    fn kind_counts(&self) -> Vec<KindCount> {
        Vec::new()
    }
    fn explore(&self, _: &ExploreQuery) -> ExplorePage {
        ExplorePage::default()
    }
    fn close_matches(&self, _: Option<&str>, _: &str, _: usize) -> Vec<EntitySummary> {
        Vec::new()
    }
    async fn entity(&self, _: &str, _: &str, _: &str) -> Result<Option<EntityDetail>, DataError> {
        Ok(None)
    }
    async fn preview_location(&self, _: &str) -> Result<LocationPreview, DataError> {
        Err(DataError::NotFound(String::new()))
    }
    async fn register_location(&self, _: &str) -> Result<LocationDetail, DataError> {
        Err(DataError::NotFound(String::new()))
    }
    async fn location(&self, _: &str) -> Result<Option<LocationDetail>, DataError> {
        Ok(None)
    }
    async fn unregister_location(&self, _: &str) -> Result<LocationDetail, DataError> {
        Err(DataError::NotFound(String::new()))
    }
}

fn viewer() -> Viewer {
    Viewer { csrf: "csrf-token-1".to_owned(), path: "/catalog".to_owned(), ..Viewer::default() }
}

fn checkout() -> EntitySummary {
    EntitySummary {
        kind: "Component".into(),
        namespace: "default".into(),
        name: "checkout".to_owned(),
        title: Some("Checkout".to_owned()),
        ..EntitySummary::default()
    }
}

fn crashlooping() -> WorkloadView {
    WorkloadView {
        kind: "Deployment".to_owned(),
        name: "checkout".to_owned(),
        namespace: "shop".to_owned(),
        health: "failed".to_owned(),
        reason: "1 of 3 pods crash-looping".to_owned(),
        desired: Some(3),
        updated: Some(3),
        ready: Some(2),
        available: Some(2),
        images: vec![ImageView { container: "app".to_owned(), image: "ghcr.io/acme/checkout".to_owned(), tag: "1.4.2".to_owned() }],
        since: Some("2025-03-04T05:06:07Z".to_owned()),
        hpa: Some("2–10 replicas, 3 now".to_owned()),
        dashboard_href: Some("https://dash.example.com/shop/checkout".to_owned()),
        pods: vec![
            PodView {
                name: "checkout-7d9f-abcde".to_owned(),
                phase: "Running".to_owned(),
                ready: "0/1".to_owned(),
                restarts: 12,
                age: "3d".to_owned(),
                status: "CrashLoopBackOff".to_owned(),
                health: "failed".to_owned(),
            },
            PodView {
                name: "checkout-7d9f-fghij".to_owned(),
                phase: "Running".to_owned(),
                ready: "1/1".to_owned(),
                age: "3d".to_owned(),
                status: "Running".to_owned(),
                health: "healthy".to_owned(),
                ..PodView::default()
            },
        ],
        errors: vec![ErrorView {
            severity: 4,
            message: "back-off 5m0s restarting failed container=app".to_owned(),
            source: "Pod checkout-7d9f-abcde".to_owned(),
            occurrences: 12,
            fix: Some(FixView {
                error_type: "CrashLoopBackOff".to_owned(),
                explanation: "The container is crashing on start.".to_owned(),
                actions: vec!["Check the logs of the previous run.".to_owned(), "Fix the crash and roll out again.".to_owned()],
                kind: "logs".to_owned(),
                container: Some("app".to_owned()),
                pod: Some("checkout-7d9f-abcde".to_owned()),
                docs_link: None,
            }),
        }],
        ..WorkloadView::default()
    }
}

fn deployments() -> DeploymentsView {
    DeploymentsView {
        entity_ref: "component:default/checkout".to_owned(),
        health: "failed".to_owned(),
        reason: "checkout in prod-eu: 1 of 3 pods crash-looping".to_owned(),
        events_url: "/api/kubernetes/entities/default/component/checkout/events?format=html".to_owned(),
        clusters: vec![
            ClusterDeployView {
                name: "prod-eu".to_owned(),
                title: Some("Production (EU)".to_owned()),
                dashboard_url: Some("https://dash.example.com".to_owned()),
                connection: "connected".to_owned(),
                workloads: vec![crashlooping()],
                ..ClusterDeployView::default()
            },
            ClusterDeployView {
                name: "prod-us".to_owned(),
                connection: "down".to_owned(),
                problems: vec!["pods: forbidden (403): cannot list pods".to_owned()],
                ..ClusterDeployView::default()
            },
        ],
    }
}

fn entity(kubernetes: Option<DeploymentsView>) -> EntityDetail {
    EntityDetail { summary: checkout(), yaml: "kind: Component".to_owned(), kubernetes, ..EntityDetail::default() }
}

fn entity_page(kubernetes: Option<DeploymentsView>, tab: EntityTab) -> String {
    crate::render_entity(&viewer(), &NoData, ("component", "default", "checkout"), tab, Ok(Some(entity(kubernetes)))).html
}

#[test]
fn a_crashlooping_pod_shows_its_error_and_fix() {
    let html = crate::render_deployments_fragment(&deployments());
    assert!(html.starts_with(r#"<div data-overall-health="failed" class="deployments">"#), "{html}");
    assert!(html.contains(r#"<span data-health="failed" class="badge health health-failed">Failed</span>"#), "{html}");
    assert!(html.contains("checkout in prod-eu: 1 of 3 pods crash-looping"));
    assert!(html.contains(r#"<span class="k8s-kind">Deployment</span> <!>checkout"#), "{html}");
    assert!(html.contains("<code>shop</code>"));
    // The rollout bar, in 5 % steps, with its numbers as text.
    assert!(html.contains(r#"<dt>Updated</dt>"#) && html.contains(r#"class="rollout-fill bar-w-100""#), "{html}");
    assert!(html.contains(r#"class="rollout-fill bar-w-65""#) && html.contains("2 of 3"), "{html}");
    assert!(html.contains(r#"aria-hidden="true""#));
    assert!(html.contains("<code>ghcr.io/acme/checkout:1.4.2</code>"));
    assert!(html.contains(r#"<time datetime="2025-03-04T05:06:07Z">2025-03-04 05:06 UTC</time>"#), "{html}");
    assert!(html.contains("2–10 replicas, 3 now"));
    assert!(html.contains(r#"href="https://dash.example.com/shop/checkout""#));
    // Pods: open, since one is failing.
    assert!(html.contains(r#"<details id="pods-prod-eu-shop-deployment-checkout-"#), "{html}");
    assert!(html.contains(r#" open class="k8s-pods"><summary>Pods (2, 1 not healthy)</summary>"#), "{html}");
    assert!(html.contains(r#"<code>checkout-7d9f-abcde</code>"#));
    assert!(html.contains(r#"<span class="badge health-failed">CrashLoopBackOff</span>"#), "{html}");
    assert!(html.contains(r#"class="restarts restarts-some">12</td>"#), "{html}");
    // The error and its proposed fix.
    assert!(html.contains("Severity 4") && html.contains("· 12 times"), "{html}");
    assert!(html.contains("back-off 5m0s restarting failed container=app"));
    assert!(html.contains("<strong>Proposed fix</strong> <code>CrashLoopBackOff</code>"), "{html}");
    assert!(html.contains("<li>Check the logs of the previous run.</li><li>Fix the crash and roll out again.</li>"), "{html}");
    assert!(html.contains("See the logs of container <code>app</code> of pod <code>checkout-7d9f-abcde</code>"), "{html}");
    assert!(html.contains("kubectl logs -n shop checkout-7d9f-abcde -c app --previous"));
    // The fragment is the panel alone.
    assert!(!html.contains("<html") && !html.contains("data-events-url") && !html.contains("Refresh"));
}

#[test]
fn a_down_cluster_says_so_with_its_problems() {
    let html = crate::render_deployments_fragment(&deployments());
    assert!(html.contains(r#"<span class="badge connection connection-down">Down</span>"#), "{html}");
    assert!(html.contains("Portolan cannot reach this cluster: it has no data from it."));
    assert!(html.contains("<code>pods: forbidden (403): cannot list pods</code>"));
    assert!(html.contains("No workloads in this cluster."));
    assert!(html.contains(r#"<span class="badge connection connection-connected">Connected</span>"#));
    assert!(html.contains("Production (EU)<!> <code class=\"muted\">prod-eu</code>"), "{html}");
    let empty = crate::render_deployments_fragment(&DeploymentsView { health: "unknown".to_owned(), ..DeploymentsView::default() });
    assert!(empty.contains("No workloads found in any cluster."), "{empty}");
    assert!(empty.contains("backstage.io/kubernetes-id: &lt;id&gt;"), "{empty}");
}

#[test]
fn other_fixes_point_to_events_and_docs() {
    let mut view = deployments();
    let w = &mut view.clusters[0].workloads[0];
    w.errors[0].fix = Some(FixView { kind: "events".to_owned(), pod: Some("checkout-1".to_owned()), ..FixView::default() });
    w.errors.push(ErrorView {
        severity: 8,
        message: "at max".to_owned(),
        fix: Some(FixView { kind: "docs".to_owned(), docs_link: Some("javascript:alert(1)".to_owned()), ..FixView::default() }),
        ..ErrorView::default()
    });
    w.desired = Some(0);
    w.pods.clear();
    let html = crate::render_deployments_fragment(&view);
    assert!(html.contains("See the events of pod <code>checkout-1</code>") && html.contains("kubectl describe pod -n shop checkout-1"), "{html}");
    assert!(html.contains("Documentation: <code>javascript:alert(1)</code>") && !html.contains(r#"href="javascript"#), "{html}");
    assert!(html.contains("severity-high") && html.contains("2 errors"));
    assert!(html.contains("Scaled to zero") && html.contains("No pods."));
}

#[test]
fn the_entity_tab_is_there_only_with_kubernetes() {
    let without = entity_page(None, EntityTab::Deployments);
    assert!(!without.contains("?tab=deployments") && !without.contains("deployments-live"), "{without}");
    assert!(without.contains(r#"id="about-title""#), "the overview is shown instead");
    let overview = entity_page(Some(deployments()), EntityTab::Overview);
    assert!(overview.contains(r#"<a href="/catalog/default/component/checkout?tab=deployments">Deployments</a>"#), "{overview}");
    assert!(!overview.contains("deployments-live.js"));
    let tab = entity_page(Some(deployments()), EntityTab::from_param(Some("deployments")));
    assert!(tab.contains(r#"href="/catalog/default/component/checkout?tab=deployments" aria-current="page">Deployments</a>"#), "{tab}");
    assert!(tab.contains(r#"<script src="/static/deployments-live.js" defer></script>"#), "{tab}");
    assert!(
        tab.contains(r#"data-events-url="/api/kubernetes/entities/default/component/checkout/events?format=html""#),
        "{tab}"
    );
    assert!(tab.contains(r#"<a href="/catalog/default/component/checkout?tab=deployments">Refresh</a>"#), "{tab}");
    assert!(tab.contains(&crate::render_deployments_fragment(&deployments())), "the page holds the fragment");
    let quiet = entity_page(Some(DeploymentsView { events_url: String::new(), ..deployments() }), EntityTab::Deployments);
    assert!(!quiet.contains("deployments-live.js") && !quiet.contains("data-events-url"));
    assert!(DEPLOYMENTS_SCRIPT.contains("EventSource") && DEPLOYMENTS_SCRIPT.contains("'status'"));
    assert!(DEPLOYMENTS_SCRIPT.contains("data-events-url") && DEPLOYMENTS_SCRIPT.contains("innerHTML"));
    assert_eq!(DEPLOYMENTS_SCRIPT_PATH, "/static/deployments-live.js");
}

#[test]
fn hostile_names_are_escaped() {
    let mut view = deployments();
    let w = &mut view.clusters[0].workloads[0];
    w.pods[0].name = r#"<img src=x onerror="alert(1)">"#.to_owned();
    w.name = "<script>alert(2)</script>".to_owned();
    w.errors[0].message = "</li><b>bold</b>".to_owned();
    view.clusters[1].problems = vec!["<svg onload=alert(3)>".to_owned()];
    let html = crate::render_deployments_fragment(&view);
    assert!(!html.contains("<img") && !html.contains("<script") && !html.contains("<b>") && !html.contains("<svg"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") || html.contains("&lt;img src=x onerror=\"alert(1)\"&gt;"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
    let page = entity_page(Some(view), EntityTab::Deployments);
    assert!(!page.contains("<img") && !page.contains("<script>alert"), "{page}");
}

#[test]
fn the_fleet_page_lists_clusters_and_what_is_unhealthy() {
    let fleet = FleetView {
        clusters: vec![
            ClusterRowView {
                name: "prod-eu".to_owned(),
                title: Some("Production (EU)".to_owned()),
                dashboard_url: Some("https://dash.example.com".to_owned()),
                connection: "partial".to_owned(),
                resources: vec![
                    ("deployments".to_owned(), "ready".to_owned()),
                    ("pods".to_owned(), "forbidden: pods is forbidden: cannot list".to_owned()),
                    ("jobs".to_owned(), "syncing".to_owned()),
                ],
                objects: 12_345,
            },
            ClusterRowView { name: "dev".to_owned(), connection: "connected".to_owned(), dashboard_url: Some("javascript:x".to_owned()), ..ClusterRowView::default() },
        ],
        unhealthy: vec![UnhealthyEntityView {
            entity: checkout(),
            health: "degraded".to_owned(),
            reason: "recent restarts".to_owned(),
            clusters: vec!["prod-eu".to_owned()],
        }],
    };
    let page = crate::render_clusters(&viewer(), fleet);
    assert_eq!(page.status, 200);
    let html = page.html;
    assert!(html.contains(r#"href="/clusters" aria-current="page""#), "{html}");
    assert!(html.contains("Production (EU)") && html.contains(r#"<span class="entity-ref">prod-eu</span>"#), "{html}");
    assert!(html.contains(r#"href="https://dash.example.com""#) && !html.contains("javascript:x"));
    assert!(html.contains(r#"<span class="badge connection connection-partial">Partial</span>"#));
    assert!(html.contains("1 of 3 resource types ready"), "{html}");
    assert!(html.contains(r#"<code>pods</code> <span class="badge resource-state resource-forbidden">forbidden</span> <span class="resource-message">pods is forbidden: cannot list</span>"#), "{html}");
    assert!(html.contains("12,345"));
    assert!(html.contains("No resources watched yet."));
    assert!(html.contains(r#"<a href="/catalog/default/component/checkout?tab=deployments" class="entity-display">Checkout</a>"#), "{html}");
    assert!(html.contains(r#"<span data-health="degraded" class="badge health health-degraded">Degraded</span>"#));
    assert!(html.contains("recent restarts") && html.contains("Needs attention (1)"));

    let none = crate::render_clusters(&viewer(), FleetView::default()).html;
    assert!(none.contains("No clusters configured") && none.contains("<code>kubernetes.clusters</code>"), "{none}");
    assert!(none.contains("portolan.yaml") && none.contains("serviceAccountToken: ${PROD_EU_TOKEN}"));
    let calm = crate::render_clusters(&viewer(), FleetView { clusters: vec![ClusterRowView { name: "dev".to_owned(), ..ClusterRowView::default() }], unhealthy: vec![] }).html;
    assert!(calm.contains("Every entity with workloads in these clusters is healthy."));
}

#[test]
fn bars_round_in_steps_but_never_lie_at_the_ends() {
    assert_eq!(bar_class(0, 3), "bar-w-0");
    assert_eq!(bar_class(1, 100), "bar-w-5");
    assert_eq!(bar_class(99, 100), "bar-w-95");
    assert_eq!(bar_class(3, 3), "bar-w-100");
    assert_eq!(bar_class(5, 3), "bar-w-100");
    assert_eq!(bar_class(1, 2), "bar-w-50");
    assert_eq!(health_token("Healthy"), "healthy");
    assert_eq!(health_token("weird"), "unknown");
    assert_ne!(stable_id("pods", &["a.b", "c"]), stable_id("pods", &["a-b", "c"]));
}
