//! Placing the nodes in columns on both sides of the center and routing the
//! edges through the free channels between them (see the module docs of
//! [`super`]).

use super::targets::{Pending, collect_targets};
use super::text::{label_width, relation_text, relations_text, truncate};
use super::{
    GraphEdge, GraphNode, LaidOutEdge, Layout, MAX_COLUMNS, MAX_ROWS, PlacedNode, Point, Rect, Side,
};

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
const EDGE_LABEL_CHARS: usize = 40;

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
    let label_of = |t: &Pending| truncate(&relations_text(&t.relations, " · "), EDGE_LABEL_CHARS);
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
