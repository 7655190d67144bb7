//! Ingestion: reading locations into the database and keeping them fresh.

mod file_events;
mod known;
mod pass;
pub mod process;
pub mod reader;
mod staged;
mod unchanged;

pub use process::{Collected, Emitted, KindRule, OrphanStrategy, ProcessOutcome, collect, generated_location_entity, process_files, process_location};
pub use reader::{FileReader, ReadFile, Reader};
pub mod registration;
pub mod service;
pub mod url_reader;

pub use registration::{Preview, RegisterError};
pub use service::{Catalog, CatalogSettings};
