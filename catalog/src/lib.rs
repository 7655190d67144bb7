//! Portolan's catalog model: Backstage's entity format read exactly as
//! Backstage reads it, with every problem reported at its line and column.
//!
//! Pure: no async runtime, database or HTTP. Reading files and URLs is the
//! caller's job, behind [`Resolver`] and [`LocationRef`].

#![forbid(unsafe_code)]

pub mod diagnostics;
pub mod entity;
pub mod entity_ref;
pub mod file;
pub mod kinds;
pub mod location;
pub mod relations;
pub mod rules;
pub mod substitution;
pub mod template;
pub mod validation;
pub mod yaml;

pub use diagnostics::{Diagnostic, FieldPath, Severity};
pub use entity::{Entity, Link, Metadata};
pub use entity_ref::{EntityRef, RefDefaults, RefError};
pub use file::{DocumentReport, Envelope, FileReport, parse_catalog_file, read_catalog_file};
pub use location::{LocationRef, LocationTarget, Presence, location_targets};
pub use relations::{Edge, Relation, RelationType};
pub use validation::{Checked, Reference, ReferenceTarget, check_entity};
pub use substitution::{NoResolver, Resolution, Resolver};
