//! The markup of a laid-out graph: an SVG image with links, and a visually
//! hidden list of the same relations.

use leptos::prelude::*;

use super::text::{css_token, relations_text, truncate};
use super::{GraphEdge, GraphNode, LaidOutEdge, layout};

const NODE_LABEL_CHARS: usize = 21;
const CENTER_LABEL_CHARS: usize = 24;
/// Graphs wider than this keep their natural size and scroll sideways.
const WIDE_GRAPH: i32 = 1400;

/// "1 entity" or "N entities".
fn entity_count(n: usize) -> String {
    if n == 1 {
        "1 entity".to_owned()
    } else {
        format!("{n} entities")
    }
}

/// Tooltip text of a node: full label, kind and ref.
fn node_title(node: &GraphNode) -> String {
    let missing = if node.href.is_none() {
        " (not in the catalog)"
    } else {
        ""
    };
    format!(
        "{}\n{} {}{missing}",
        node.label.trim(),
        node.kind.trim(),
        node.entity_ref
    )
}

/// The relations of an entity as an SVG graph, laid out on the server.
///
/// Nodes of entities in the catalog are links; dangling refs are dashed.
/// The graph is an image for assistive technology (`role="img"` with a
/// summary as its name), followed by a visually hidden list of the same
/// relations with links. Without edges, a short "No relations" paragraph is
/// rendered instead.
#[component]
pub fn RelationGraph(
    /// The entity whose relations are shown, drawn in the middle.
    center: GraphNode,
    /// The relations stored on the center entity.
    edges: Vec<GraphEdge>,
) -> impl IntoView {
    let laid = layout(&center, &edges);
    if laid.nodes.is_empty() {
        return view! { <p class="graph-empty">"No relations"</p> }.into_any();
    }
    let summary = format!(
        "Relations of {} {}: {}",
        center.kind.trim(),
        center.label.trim(),
        entity_count(laid.nodes.len())
    );
    let marker_id = format!("graph-arrow-{}", css_token(&center.entity_ref));
    let marker_url = format!("url(#{marker_id})");
    let view_box = format!("0 0 {} {}", laid.width, laid.height);
    // Wider graphs would shrink below readable text; they scroll instead.
    let wide = laid.width > WIDE_GRAPH;
    let scroll_class = if wide {
        "graph-scroll graph-wide"
    } else {
        "graph-scroll"
    };

    // Dashed edges (to dangling refs) first, so solid ones sharing a row gap
    // are drawn over them.
    let mut edge_order: Vec<&LaidOutEdge> = laid.edges.iter().collect();
    edge_order.sort_by_key(|e| {
        laid.nodes
            .get(e.node)
            .is_some_and(|n| n.node.href.is_some())
    });
    let edge_views = edge_order
        .into_iter()
        .map(|edge| {
            let missing = laid
                .nodes
                .get(edge.node)
                .is_some_and(|n| n.node.href.is_none());
            let relation_classes: String = laid
                .nodes
                .get(edge.node)
                .map(|n| {
                    n.relations
                        .iter()
                        .map(|r| format!(" graph-rel-{}", css_token(r)))
                        .collect()
                })
                .unwrap_or_default();
            let class = format!(
                "graph-edge{relation_classes}{}",
                if missing { " graph-edge-missing" } else { "" }
            );
            view! { <path class=class d=edge.path.clone() marker-end=marker_url.clone() /> }
        })
        .collect_view();

    let label_views = laid
        .edges
        .iter()
        .map(|edge| {
            let b = edge.label_box;
            let full = edge.labels.join(" · ");
            view! {
                <g class="graph-edge-label">
                    <title>{full}</title>
                    <rect x=b.x y=b.y width=b.width height=b.height rx="9" />
                    <text x={b.x + b.width / 2} y={b.y + 13} text-anchor="middle">{edge.label_text.clone()}</text>
                </g>
            }
        })
        .collect_view();

    let center_box = laid.center;
    let center_class = format!(
        "graph-node graph-node-center graph-kind-{}",
        css_token(&center.kind)
    );
    let center_view = view! {
        <g class=center_class>
            <title>{node_title(&center)}</title>
            <rect x=center_box.x y=center_box.y width=center_box.width height=center_box.height rx="10" />
            <text class="graph-node-kind" x={center_box.x + center_box.width / 2} y={center_box.y + 20} text-anchor="middle">
                {center.kind.clone()}
            </text>
            <text class="graph-node-label" x={center_box.x + center_box.width / 2} y={center_box.y + 41} text-anchor="middle">
                {truncate(&center.label, CENTER_LABEL_CHARS)}
            </text>
        </g>
    };

    let node_views = laid
        .nodes
        .iter()
        .map(|placed| {
            let node = &placed.node;
            let r = placed.rect;
            let class = format!(
                "graph-node graph-kind-{}{}",
                css_token(&node.kind),
                if node.href.is_none() {
                    " graph-node-missing"
                } else {
                    ""
                }
            );
            let body = view! {
                <g class=class>
                    <title>{node_title(node)}</title>
                    <rect x=r.x y=r.y width=r.width height=r.height rx="8" />
                    <text class="graph-node-kind" x={r.x + 12} y={r.y + 17}>{node.kind.clone()}</text>
                    <text class="graph-node-label" x={r.x + 12} y={r.y + 35}>
                        {truncate(&node.label, NODE_LABEL_CHARS)}
                    </text>
                </g>
            };
            match node.href.clone() {
                Some(href) => view! {
                    <g class="graph-item">
                        <a class="graph-link" href=href>{body}</a>
                    </g>
                }
                .into_any(),
                None => view! { <g class="graph-item">{body}</g> }.into_any(),
            }
        })
        .collect_view();

    let list_items = laid
        .nodes
        .iter()
        .map(|placed| {
            let node = &placed.node;
            let relations = relations_text(&placed.relations, ", ");
            let label = node.label.trim().to_owned();
            let name = match node.href.clone() {
                // Not a tab stop: keyboard users reach the same links in the graph.
                Some(href) => view! { <a href=href tabindex="-1">{label}</a> }.into_any(),
                None => label.into_any(),
            };
            let detail = if node.href.is_some() {
                format!(" ({})", node.kind.trim())
            } else {
                format!(" ({}, not in the catalog)", node.kind.trim())
            };
            view! { <li>{relations}": "{name}{detail}</li> }
        })
        .collect_view();

    view! {
        <div class="graph">
            <div class=scroll_class>
                <svg
                    class="graph-svg"
                    role="img"
                    aria-label=summary.clone()
                    viewBox=view_box
                    width=laid.width
                    height=laid.height
                    xmlns="http://www.w3.org/2000/svg"
                >
                    <defs>
                        <marker
                            id=marker_id
                            viewBox="0 0 10 10"
                            refX="10"
                            refY="5"
                            markerWidth="9"
                            markerHeight="9"
                            markerUnits="userSpaceOnUse"
                            orient="auto"
                        >
                            <path class="graph-arrowhead" d="M 0 0 L 10 5 L 0 10 z" />
                        </marker>
                    </defs>
                    <g class="graph-edges">{edge_views}</g>
                    <g class="graph-edge-labels">{label_views}</g>
                    <g class="graph-nodes">{center_view}{node_views}</g>
                </svg>
            </div>
            <ul class="visually-hidden graph-fallback" aria-label=summary>{list_items}</ul>
        </div>
    }
    .into_any()
}
