//! Building blocks that several pages share: the relation graph and the API
//! definition views.

pub mod api_definition;
pub mod graph;
