//! Geometric invariants of layouts of many sizes, and the rendered markup.

use leptos::prelude::*;

use super::text::{css_token, truncate};
use super::*;

fn node(kind: &str, name: &str, linked: bool) -> GraphNode {
    let entity_ref = format!("{}:default/{}", kind.to_ascii_lowercase(), name);
    GraphNode {
        href: linked.then(|| format!("/catalog/default/{}/{}", kind.to_ascii_lowercase(), name)),
        entity_ref,
        kind: kind.to_owned(),
        label: name.to_owned(),
    }
}

fn edge(relation: &str, target: GraphNode) -> GraphEdge {
    GraphEdge {
        relation: relation.to_owned(),
        target,
    }
}

fn center() -> GraphNode {
    node("Component", "trips-api", true)
}

const RELATIONS: [&str; 14] = [
    "ownedBy",
    "providesApi",
    "dependsOn",
    "hasPart",
    "partOf",
    "consumesApi",
    "apiProvidedBy",
    "dependencyOf",
    "ownerOf",
    "parentOf",
    "childOf",
    "memberOf",
    "hasMember",
    "apiConsumedBy",
];

/// `n` edges to distinct targets, cycling through the relation types.
fn edges(n: usize) -> Vec<GraphEdge> {
    (0..n)
        .map(|i| {
            let relation = RELATIONS[i % RELATIONS.len()];
            edge(
                relation,
                node("Component", &format!("target-{i:02}"), i % 3 != 0),
            )
        })
        .collect()
}

/// Checks the geometric invariants of a layout.
fn check(l: &Layout) {
    let canvas = Rect {
        x: 0,
        y: 0,
        width: l.width,
        height: l.height,
    };
    assert!(canvas.contains(&l.center), "center outside the viewBox");
    assert_eq!(l.nodes.len(), l.edges.len());
    let mut boxes = vec![l.center];
    boxes.extend(l.nodes.iter().map(|n| n.rect));
    for (i, a) in boxes.iter().enumerate() {
        assert!(canvas.contains(a), "box {i} outside the viewBox: {a:?}");
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            assert!(!a.overlaps(b), "boxes {i} and {j} overlap: {a:?} {b:?}");
        }
    }
    for (i, e) in l.edges.iter().enumerate() {
        assert_eq!(e.node, i);
        let target = l.nodes.get(e.node).map(|n| n.rect);
        let Some(target) = target else {
            panic!("edge {i} points nowhere");
        };
        assert!(l.center.touches(e.start), "edge {i} start off the center");
        assert!(target.touches(e.end), "edge {i} end off its node");
        assert!(
            e.path
                .starts_with(&format!("M {} {}", e.start.x, e.start.y))
        );
        assert!(e.path.ends_with(&format!("{} {}", e.end.x, e.end.y)));
        assert!(
            canvas.contains(&e.label_box),
            "label {i} outside the viewBox"
        );
        for (j, b) in boxes.iter().enumerate() {
            assert!(!e.label_box.overlaps(b), "label {i} covers box {j}");
        }
        for (j, other) in l.edges.iter().enumerate().skip(i + 1) {
            assert!(
                !e.label_box.overlaps(&other.label_box),
                "labels {i} and {j} overlap"
            );
        }
        // The label sits on the straight last stretch, in front of the node.
        assert!(e.label_box.y < e.end.y && e.end.y < e.label_box.bottom());
        // No edge passes through a box.
        for p in sample_path(&e.path) {
            for (j, b) in boxes.iter().enumerate() {
                let inner = Rect {
                    x: b.x + 1,
                    y: b.y + 1,
                    width: b.width - 2,
                    height: b.height - 2,
                };
                assert!(
                    !(p.0 > f64::from(inner.x)
                        && p.0 < f64::from(inner.right())
                        && p.1 > f64::from(inner.y)
                        && p.1 < f64::from(inner.bottom())),
                    "edge {i} crosses box {j} at {p:?}"
                );
            }
        }
        // Left nodes lie left of the center, right nodes right of it.
        let side = l.nodes.get(i).map(|n| n.side);
        match side {
            Some(Side::Left) => assert!(target.right() <= l.center.x),
            Some(Side::Right) => assert!(target.x >= l.center.right()),
            None => {}
        }
    }
}

/// Points along an SVG path made of `M`, `L` and `C` commands.
fn sample_path(d: &str) -> Vec<(f64, f64)> {
    let tokens: Vec<&str> = d.split_whitespace().collect();
    let num = |t: Option<&&str>| t.and_then(|t| t.parse::<f64>().ok());
    let mut points = Vec::new();
    let mut at = (0.0, 0.0);
    let mut i = 0;
    while let Some(cmd) = tokens.get(i) {
        match *cmd {
            "M" | "L" => {
                let (Some(x), Some(y)) = (num(tokens.get(i + 1)), num(tokens.get(i + 2))) else {
                    panic!("bad path {d}");
                };
                if *cmd == "L" {
                    for s in 0..=32 {
                        let t = f64::from(s) / 32.0;
                        points.push((at.0 + (x - at.0) * t, at.1 + (y - at.1) * t));
                    }
                }
                at = (x, y);
                i += 3;
            }
            "C" => {
                let v: Vec<f64> = (1..=6).filter_map(|k| num(tokens.get(i + k))).collect();
                assert_eq!(v.len(), 6, "bad path {d}");
                for s in 0..=32 {
                    let t = f64::from(s) / 32.0;
                    let u = 1.0 - t;
                    let b = |p0: f64, p1: f64, p2: f64, p3: f64| {
                        u * u * u * p0
                            + 3.0 * u * u * t * p1
                            + 3.0 * u * t * t * p2
                            + t * t * t * p3
                    };
                    points.push((b(at.0, v[0], v[2], v[4]), b(at.1, v[1], v[3], v[5])));
                }
                at = (v[4], v[5]);
                i += 7;
            }
            other => panic!("unexpected path command {other} in {d}"),
        }
    }
    points
}

#[test]
fn layouts_of_various_sizes_are_clean() {
    for n in [0, 1, 2, 5, 12, 13, 14, 25, 50, 120] {
        let l = layout(&center(), &edges(n));
        assert_eq!(l.nodes.len(), n, "n = {n}");
        check(&l);
    }
}

#[test]
fn empty_layout_is_just_the_center() {
    let l = layout(&center(), &[]);
    assert!(l.nodes.is_empty());
    assert!(l.edges.is_empty());
    assert!(l.width >= l.center.width && l.height >= l.center.height);
}

#[test]
fn one_sided_fifty_uses_several_columns() {
    let many: Vec<GraphEdge> = (0..50)
        .map(|i| edge("hasPart", node("Component", &format!("part-{i:02}"), true)))
        .collect();
    let l = layout(&center(), &many);
    check(&l);
    let mut columns: Vec<i32> = l.nodes.iter().map(|n| n.rect.x).collect();
    columns.sort_unstable();
    columns.dedup();
    assert!(columns.len() >= 4, "columns: {columns:?}");
    let rows = l.nodes.iter().filter(|n| n.rect.x == columns[0]).count();
    assert!(rows <= MAX_ROWS);
    assert!(l.nodes.iter().all(|n| n.side == Side::Right));
    // Edges to the outer columns run in the gaps between rows.
    let outer = l.edges.iter().filter(|e| e.end.x != columns[0]).count();
    assert!(outer > 0);
}

#[test]
fn sides_follow_relation_direction() {
    let es = vec![
        edge("ownedBy", node("Group", "team-a", true)),
        edge("providesApi", node("API", "trips", true)),
        edge("partOf", node("System", "travel", true)),
        edge("somethingCustom", node("Resource", "db", false)),
    ];
    let l = layout(&center(), &es);
    check(&l);
    let side = |name: &str| {
        l.nodes
            .iter()
            .find(|n| n.node.label == name)
            .map(|n| n.side)
    };
    assert_eq!(side("team-a"), Some(Side::Left));
    assert_eq!(side("travel"), Some(Side::Left));
    assert_eq!(side("trips"), Some(Side::Right));
    assert_eq!(side("db"), Some(Side::Right));
    let custom = l.edges.iter().find(|e| e.labels == ["something custom"]);
    assert!(custom.is_some());
}

#[test]
fn layout_is_deterministic() {
    let a = layout(&center(), &edges(30));
    let mut reversed = edges(30);
    reversed.reverse();
    let b = layout(&center(), &reversed);
    assert_eq!(a, layout(&center(), &edges(30)));
    assert_eq!(a.nodes, b.nodes);
    assert_eq!(a.edges, b.edges);
}

#[test]
fn two_relations_to_one_target_make_one_node() {
    let team = node("Group", "team-a", true);
    let es = vec![
        edge("dependsOn", node("Resource", "db", true)),
        edge("ownedBy", team.clone()),
        edge("dependsOn", team.clone()),
        edge("ownedBy", team.clone()),
    ];
    let l = layout(&center(), &es);
    check(&l);
    assert_eq!(l.nodes.len(), 2);
    let teams: Vec<_> = l.nodes.iter().filter(|n| n.node == team).collect();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].relations, ["ownedBy", "dependsOn"]);
    assert_eq!(teams[0].side, Side::Left);
    let e = l.edges.iter().find(|e| e.labels.len() == 2);
    assert_eq!(
        e.map(|e| e.label_text.as_str()),
        Some("owned by · depends on")
    );
}

#[test]
fn self_references_are_dropped() {
    let l = layout(&center(), &[edge("dependsOn", center())]);
    assert!(l.nodes.is_empty());
}

#[test]
fn texts() {
    assert_eq!(relation_text("ownedBy"), "owned by");
    assert_eq!(relation_text("providesApi"), "provides API");
    assert_eq!(relation_text("apiConsumedBy"), "API consumed by");
    assert_eq!(relation_text("runsOnCluster"), "runs on cluster");
    assert_eq!(relation_text(""), "related to");
    assert_eq!(truncate("short", 10), "short");
    assert_eq!(truncate("a-very-long-component-name", 10), "a-very-lo…");
    assert_eq!(truncate("ééééééééééé", 5), "éééé…");
    assert_eq!(css_token("API"), "api");
    assert_eq!(css_token("My Kind"), "my-kind");
}

fn render(c: GraphNode, e: Vec<GraphEdge>) -> String {
    let owner = Owner::new();
    owner.with(|| view! { <RelationGraph center=c edges=e /> }.to_html())
}

#[test]
fn renders_svg_with_links_labels_and_fallback() {
    let es = vec![
        edge("ownedBy", node("Group", "team-a", true)),
        edge("providesApi", node("API", "trips", true)),
        edge("dependsOn", node("Resource", "gone", false)),
        edge(
            "dependsOn",
            GraphNode {
                entity_ref: "component:default/evil".to_owned(),
                kind: "Component".to_owned(),
                label: "<script>alert(1)</script>".to_owned(),
                href: Some("/catalog/default/component/evil".to_owned()),
            },
        ),
    ];
    let html = render(center(), es);
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains(r#"role="img""#));
    assert!(
        html.contains(r#"aria-label="Relations of Component trips-api: 4 entities""#),
        "{html}"
    );
    assert!(html.contains(r#"href="/catalog/default/group/team-a""#));
    assert!(html.contains(r#"href="/catalog/default/api/trips""#));
    assert!(!html.contains(r#"href="/catalog/default/resource/gone""#));
    assert!(html.contains("graph-node-missing"));
    assert!(html.contains("graph-kind-group"));
    assert!(html.contains("owned by"));
    assert!(html.contains("provides API"));
    assert!(html.contains("depends on"));
    assert!(html.contains("<marker"));
    assert!(html.contains("<title>"));
    assert!(html.contains("group:default/team-a"));
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("visually-hidden"));
    assert!(html.contains("<ul"));
    // The fallback list comes after the svg.
    let svg_end = html.find("</svg>").unwrap_or(usize::MAX);
    let list = html.find("<ul").unwrap_or(0);
    assert!(list > svg_end);
}

#[test]
fn renders_no_relations_without_edges() {
    let html = render(center(), Vec::new());
    assert!(html.contains("No relations"));
    assert!(!html.contains("<svg"));
}

#[test]
fn renders_fifty_nodes() {
    let html = render(center(), edges(50));
    assert!(html.contains("50 entities"));
    assert_eq!(html.matches("class=\"graph-edge ").count(), 50);
}
