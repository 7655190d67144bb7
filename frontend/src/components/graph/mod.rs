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
//!
//! Where things live: this module holds the data types; `targets` merges and
//! orders the edges' targets, `layout` places them, `render` draws the
//! markup and `text` has the label helpers both use.

mod layout;
mod render;
mod targets;
#[cfg(test)]
mod tests;
mod text;

pub use layout::layout;
pub use render::{RelationGraph, RelationGraphProps};
pub use text::relation_text;

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
