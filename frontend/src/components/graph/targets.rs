//! The targets of the center's edges: one entry per entity, each with its
//! relation types, its side of the center, in display order.

use super::{GraphEdge, GraphNode, Side};

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

/// A target entity before placement.
pub(super) struct Pending {
    pub(super) node: GraphNode,
    pub(super) relations: Vec<String>,
    pub(super) side: Side,
    rank: usize,
}

/// Merges edges into one entry per target, drops self-references and sorts
/// into display order: by primary relation type, then label, then ref.
pub(super) fn collect_targets(center: &GraphNode, edges: &[GraphEdge]) -> Vec<Pending> {
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
