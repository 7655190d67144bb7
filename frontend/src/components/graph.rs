//! The relation graph of an entity, drawn as SVG on the server.
//!
//! [`layout`] places the nodes and routes the edges (pure, deterministic,
//! integer SVG user units); [`RelationGraph`] turns a layout into markup.
//!
//! The center entity sits in the middle. Targets of "upstream" relations
//! (`ownedBy`, `partOf`, …) go in columns on the left, targets of
//! "downstream" relations (`ownerOf`, `dependsOn`, …) and of unknown
//! relation types on the right. Within a side, nodes are grouped by relation
//! type, then sorted by label. A side with more than [`MAX_ROWS`] nodes is
//! split into several columns (at most [`MAX_COLUMNS`]); edges to the outer
//! columns run along the gaps between rows of the inner columns, so no edge
//! crosses a node box. Every edge carries its relation label(s) on a small
//! pill placed in the free channel in front of its target.

use leptos::prelude::*;

/// One node of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// Canonical ref "kind:namespace/name", lower-case.
    pub entity_ref: String,
    /// Kind as written, e.g. "Component" (for the small kind label and a CSS
    /// class `graph-kind-<kind>`).
    pub kind: String,
    /// Text to show (title or name); long labels are truncated with an
    /// ellipsis, the full text is in the node's `<title>`.
    pub label: String,
    /// Link to the entity page when the entity exists in the catalog; `None`
    /// for dangling refs (drawn dashed).
    pub href: Option<String>,
}

/// An edge from the center entity: its Backstage relation type as stored on
/// the center entity (e.g. "ownedBy", "providesApi", "dependsOn", "hasPart")
/// and the entity at the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// The relation type, e.g. "ownedBy".
    pub relation: String,
    /// The entity the relation points to.
    pub target: GraphNode,
}

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Horizontal coordinate, growing to the right.
    pub x: i32,
    /// Vertical coordinate, growing downwards.
    pub y: i32,
}

/// An axis-aligned rectangle in SVG user units; `(x, y)` is the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width, never negative.
    pub width: i32,
    /// Height, never negative.
    pub height: i32,
}

impl Rect {
    /// The right edge.
    pub fn right(&self) -> i32 {
        self.x + self.width
    }

    /// The bottom edge.
    pub fn bottom(&self) -> i32 {
        self.y + self.height
    }

    /// The vertical middle.
    pub fn middle_y(&self) -> i32 {
        self.y + self.height / 2
    }

    /// Whether the interiors of `self` and `other` intersect (touching edges
    /// do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }

    /// Whether `p` lies on the border of the rectangle.
    pub fn touches(&self, p: Point) -> bool {
        let inside_x = (self.x..=self.right()).contains(&p.x);
        let inside_y = (self.y..=self.bottom()).contains(&p.y);
        let on_vertical = (p.x == self.x || p.x == self.right()) && inside_y;
        let on_horizontal = (p.y == self.y || p.y == self.bottom()) && inside_x;
        on_vertical || on_horizontal
    }

    /// Whether `other` lies completely inside `self` (borders may touch).
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }
}

/// Which side of the center a node is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Upstream relations: owners, parents, the system a component is part of, …
    Left,
    /// Downstream relations: owned entities, parts, dependencies, provided APIs, …
    Right,
}

/// A target entity with its place in the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedNode {
    /// The entity, as given in the first edge that reached it.
    pub node: GraphNode,
    /// The distinct relation types that reach this node, in display order.
    pub relations: Vec<String>,
    /// The side of the center it is drawn on.
    pub side: Side,
    /// The node box.
    pub rect: Rect,
}

/// One drawn edge, from the center box to a node box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaidOutEdge {
    /// Index of the target in [`Layout::nodes`].
    pub node: usize,
    /// Where the path starts, on the border of the center box.
    pub start: Point,
    /// Where the path ends (the arrow tip), on the border of the target box.
    pub end: Point,
    /// The SVG path data: cubic curves and straight segments.
    pub path: String,
    /// The human relation texts, e.g. `["owned by"]`.
    pub labels: Vec<String>,
    /// The text shown on the label pill (the labels joined, maybe truncated).
    pub label_text: String,
    /// The label pill, in a free channel in front of the target.
    pub label_box: Rect,
}

/// The result of [`layout`]: everything needed to draw the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Width of the viewBox (which starts at 0, 0).
    pub width: i32,
    /// Height of the viewBox.
    pub height: i32,
    /// The center node's box.
    pub center: Rect,
    /// The target nodes, each entity once, in drawing order.
    pub nodes: Vec<PlacedNode>,
    /// One edge per node, in the same order as [`Layout::nodes`].
    pub edges: Vec<LaidOutEdge>,
}

/// Most nodes stacked in one column before a side gets another column.
pub const MAX_ROWS: usize = 12;
/// Most columns on one side; beyond that, columns grow taller instead.
pub const MAX_COLUMNS: usize = 6;

const MARGIN: i32 = 24;
const NODE_W: i32 = 200;
const NODE_H: i32 = 44;
const ROW_GAP: i32 = 16;
const CENTER_W: i32 = 224;
const CENTER_H: i32 = 56;
const LABEL_H: i32 = 18;
/// Width of the curved part of an edge next to the center.
const CURVE_FIRST: i32 = 84;
/// Width of the curved part of an edge leaving a row gap for its column.
const CURVE_NEXT: i32 = 40;
/// Space between the end of a curve and the label pill.
const LABEL_PAD: i32 = 10;
/// Space between the label pill and the node (room for the arrowhead).
const ARROW_GAP: i32 = 14;
const NODE_LABEL_CHARS: usize = 21;
const CENTER_LABEL_CHARS: usize = 24;
const EDGE_LABEL_CHARS: usize = 40;
/// Graphs wider than this keep their natural size and scroll sideways.
const WIDE_GRAPH: i32 = 1400;

/// Upstream relation types (drawn on the left), in display order.
const UPSTREAM: [&str; 7] = [
    "ownedBy",
    "partOf",
    "childOf",
    "memberOf",
    "apiProvidedBy",
    "apiConsumedBy",
    "dependencyOf",
];
/// Downstream relation types (drawn on the right), in display order.
const DOWNSTREAM: [&str; 7] = [
    "ownerOf",
    "hasPart",
    "parentOf",
    "hasMember",
    "providesApi",
    "consumesApi",
    "dependsOn",
];

/// Sort key of a relation type: known upstream ones first, then known
/// downstream ones, then unknown ones (alphabetically by the caller).
fn relation_rank(relation: &str) -> usize {
    UPSTREAM
        .iter()
        .chain(DOWNSTREAM.iter())
        .position(|r| r.eq_ignore_ascii_case(relation))
        .unwrap_or(UPSTREAM.len() + DOWNSTREAM.len())
}

/// The side a relation type's target is drawn on; unknown types go right.
fn relation_side(relation: &str) -> Side {
    if UPSTREAM.iter().any(|r| r.eq_ignore_ascii_case(relation)) {
        Side::Left
    } else {
        Side::Right
    }
}

/// Human text for a relation type: "ownedBy" → "owned by",
/// "providesApi" → "provides API"; unknown camelCase types are split into
/// lower-case words.
pub fn relation_text(relation: &str) -> String {
    let known = match relation.to_ascii_lowercase().as_str() {
        "ownedby" => Some("owned by"),
        "ownerof" => Some("owner of"),
        "providesapi" => Some("provides API"),
        "apiprovidedby" => Some("API provided by"),
        "consumesapi" => Some("consumes API"),
        "apiconsumedby" => Some("API consumed by"),
        "dependson" => Some("depends on"),
        "dependencyof" => Some("dependency of"),
        "haspart" => Some("has part"),
        "partof" => Some("part of"),
        "parentof" => Some("parent of"),
        "childof" => Some("child of"),
        "memberof" => Some("member of"),
        "hasmember" => Some("has member"),
        _ => None,
    };
    if let Some(text) = known {
        return text.to_owned();
    }
    let mut out = String::with_capacity(relation.len() + 4);
    let mut prev_lower = false;
    for c in relation.chars() {
        if c == '_' || c == '-' || c.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        "related to".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// `text` cut to at most `max` characters, the last one an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Estimated width of a label pill for `text` at the 11px label font.
fn label_width(text: &str) -> i32 {
    let chars = i32::try_from(text.chars().count()).unwrap_or(i32::MAX / 8);
    chars.saturating_mul(6).saturating_add(14)
}

/// `value` reduced to lowercase ASCII letters, digits and dashes, for class names.
fn css_token(value: &str) -> String {
    let token: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if token.is_empty() {
        "unknown".to_owned()
    } else {
        token
    }
}

/// A target entity before placement.
struct Pending {
    node: GraphNode,
    relations: Vec<String>,
    side: Side,
    rank: usize,
}

/// Merges edges into one entry per target, drops self-references and sorts
/// into display order: by primary relation type, then label, then ref.
fn collect_targets(center: &GraphNode, edges: &[GraphEdge]) -> Vec<Pending> {
    let center_ref = center.entity_ref.to_ascii_lowercase();
    let mut targets: Vec<Pending> = Vec::new();
    for edge in edges {
        let key = edge.target.entity_ref.to_ascii_lowercase();
        if key == center_ref {
            continue;
        }
        let relation = edge.relation.trim();
        match targets
            .iter_mut()
            .find(|t| t.node.entity_ref.eq_ignore_ascii_case(&key))
        {
            Some(existing) => {
                if !existing
                    .relations
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(relation))
                {
                    existing.relations.push(relation.to_owned());
                }
                if existing.node.href.is_none() && edge.target.href.is_some() {
                    existing.node.href.clone_from(&edge.target.href);
                }
            }
            None => targets.push(Pending {
                node: edge.target.clone(),
                relations: vec![relation.to_owned()],
                side: Side::Right,
                rank: 0,
            }),
        }
    }
    for target in &mut targets {
        target
            .relations
            .sort_by_cached_key(|r| (relation_rank(r), r.to_ascii_lowercase()));
        let primary = target.relations.first().map(String::as_str).unwrap_or("");
        target.side = relation_side(primary);
        target.rank = relation_rank(primary);
    }
    targets.sort_by_cached_key(|t| {
        (
            t.rank,
            t.relations
                .first()
                .map(|r| r.to_ascii_lowercase())
                .unwrap_or_default(),
            t.node.label.to_lowercase(),
            t.node.entity_ref.clone(),
        )
    });
    targets
}

/// Column geometry of one side.
struct SideGrid {
    /// Number of rows (nodes per full column).
    rows: usize,
    /// Width of the channel in front of each column (index 0: next to the center).
    channels: Vec<i32>,
}

impl SideGrid {
    fn new(items: &[(usize, String)]) -> SideGrid {
        let n = items.len();
        if n == 0 {
            return SideGrid {
                rows: 0,
                channels: Vec::new(),
            };
        }
        let columns = n.div_ceil(MAX_ROWS).clamp(1, MAX_COLUMNS);
        let rows = n.div_ceil(columns);
        let channels = (0..columns)
            .map(|col| {
                let widest = items
                    .iter()
                    .skip(col * rows)
                    .take(rows)
                    .map(|(_, text)| label_width(text))
                    .max()
                    .unwrap_or(0);
                let curve = if col == 0 { CURVE_FIRST } else { CURVE_NEXT };
                curve + LABEL_PAD + widest + ARROW_GAP
            })
            .collect();
        SideGrid { rows, channels }
    }

    /// Total width of the side: its channels and columns.
    fn width(&self) -> i32 {
        self.channels.iter().map(|c| c + NODE_W).sum()
    }

    /// Height of the column stack.
    fn height(&self) -> i32 {
        let rows = i32::try_from(self.rows).unwrap_or(0);
        if rows == 0 {
            0
        } else {
            rows * (NODE_H + ROW_GAP) - ROW_GAP
        }
    }
}

/// Lays out `center` and the targets of `edges` (see the module docs).
///
/// Several edges to the same entity become one node with several labels;
/// edges from the center to itself are dropped. The result is deterministic
/// and no two boxes (center included) overlap.
pub fn layout(center: &GraphNode, edges: &[GraphEdge]) -> Layout {
    let targets = collect_targets(center, edges);
    let label_of = |t: &Pending| {
        let joined = t
            .relations
            .iter()
            .map(|r| relation_text(r))
            .collect::<Vec<_>>()
            .join(" · ");
        truncate(&joined, EDGE_LABEL_CHARS)
    };
    let side_items = |side: Side| -> Vec<(usize, String)> {
        targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.side == side)
            .map(|(i, t)| (i, label_of(t)))
            .collect()
    };
    let left_items = side_items(Side::Left);
    let right_items = side_items(Side::Right);
    let left = SideGrid::new(&left_items);
    let right = SideGrid::new(&right_items);

    let content_h = left.height().max(right.height()).max(CENTER_H);
    let height = content_h + 2 * MARGIN;
    let mid = height / 2;
    let center_box = Rect {
        x: MARGIN + left.width(),
        y: mid - CENTER_H / 2,
        width: CENTER_W,
        height: CENTER_H,
    };
    let width = center_box.right() + right.width() + MARGIN;

    let mut slots: Vec<Option<(PlacedNode, LaidOutEdge)>> = targets.iter().map(|_| None).collect();
    for (side, grid, items) in [
        (Side::Left, &left, &left_items),
        (Side::Right, &right, &right_items),
    ] {
        place_side(side, grid, items, &targets, &center_box, mid, &mut slots);
    }
    let mut nodes = Vec::with_capacity(slots.len());
    let mut laid_edges = Vec::with_capacity(slots.len());
    for (node, mut edge) in slots.into_iter().flatten() {
        edge.node = nodes.len();
        nodes.push(node);
        laid_edges.push(edge);
    }
    Layout {
        width,
        height,
        center: center_box,
        nodes,
        edges: laid_edges,
    }
}

/// Places the nodes of one side column by column (column-major, so a
/// relation group stays together) and routes their edges.
fn place_side(
    side: Side,
    grid: &SideGrid,
    items: &[(usize, String)],
    targets: &[Pending],
    center: &Rect,
    mid: i32,
    slots: &mut [Option<(PlacedNode, LaidOutEdge)>],
) {
    if grid.rows == 0 {
        return;
    }
    // +1 to the right, -1 to the left.
    let dir = match side {
        Side::Left => -1,
        Side::Right => 1,
    };
    let top = mid - grid.height() / 2;
    let port = Point {
        x: if side == Side::Left {
            center.x
        } else {
            center.right()
        },
        y: mid,
    };
    // x of the box edge facing the center, per column.
    let mut inner = Vec::with_capacity(grid.channels.len());
    let mut x = port.x;
    for channel in &grid.channels {
        x += dir * channel;
        inner.push(x);
        x += dir * NODE_W;
    }
    for (pos, (index, label_text)) in items.iter().enumerate() {
        let (Some(target), Some(slot)) = (targets.get(*index), slots.get_mut(*index)) else {
            continue;
        };
        let col = pos / grid.rows;
        let row = i32::try_from(pos % grid.rows).unwrap_or(0);
        let (Some(&inner_x), Some(&channel)) = (inner.get(col), grid.channels.get(col)) else {
            continue;
        };
        let y = top + row * (NODE_H + ROW_GAP);
        let rect = Rect {
            x: if side == Side::Left {
                inner_x - NODE_W
            } else {
                inner_x
            },
            y,
            width: NODE_W,
            height: NODE_H,
        };
        let end = Point {
            x: inner_x,
            y: rect.middle_y(),
        };
        // Every edge leaves the center with a curve, either straight to its
        // node's row (first column) or to the gap above that row, which it
        // follows through the inner columns before curving down to its row.
        // The last stretch before the node is straight and carries the label.
        let to_row = |from: Point, curve: i32, y: i32| {
            let half = dir * curve / 2;
            format!(
                " C {} {} {} {} {} {}",
                from.x + half,
                from.y,
                from.x + half,
                y,
                from.x + dir * curve,
                y
            )
        };
        let mut path = format!("M {} {}", port.x, port.y);
        if col == 0 {
            path.push_str(&to_row(port, CURVE_FIRST, end.y));
        } else {
            let bus_y = y - ROW_GAP / 2;
            let bus_end = inner_x - dir * channel;
            path.push_str(&to_row(port, CURVE_FIRST, bus_y));
            path.push_str(&format!(" L {bus_end} {bus_y}"));
            path.push_str(&to_row(
                Point {
                    x: bus_end,
                    y: bus_y,
                },
                CURVE_NEXT,
                end.y,
            ));
        }
        path.push_str(&format!(" L {} {}", end.x, end.y));
        let label_w = label_width(label_text);
        let label_box = Rect {
            x: if side == Side::Left {
                end.x + ARROW_GAP
            } else {
                end.x - ARROW_GAP - label_w
            },
            y: end.y - LABEL_H / 2,
            width: label_w,
            height: LABEL_H,
        };
        let labels = target.relations.iter().map(|r| relation_text(r)).collect();
        *slot = Some((
            PlacedNode {
                node: target.node.clone(),
                relations: target.relations.clone(),
                side,
                rect,
            },
            LaidOutEdge {
                node: 0,
                start: port,
                end,
                path,
                labels,
                label_text: label_text.clone(),
                label_box,
            },
        ));
    }
}

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
            let relations = placed
                .relations
                .iter()
                .map(|r| relation_text(r))
                .collect::<Vec<_>>()
                .join(", ");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: &str, name: &str, linked: bool) -> GraphNode {
        let entity_ref = format!("{}:default/{}", kind.to_ascii_lowercase(), name);
        GraphNode {
            href: linked
                .then(|| format!("/catalog/default/{}/{}", kind.to_ascii_lowercase(), name)),
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
                    let (Some(x), Some(y)) = (num(tokens.get(i + 1)), num(tokens.get(i + 2)))
                    else {
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
        let owner = leptos::prelude::Owner::new();
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
}
