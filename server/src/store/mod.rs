//! The database: SQLite by default, PostgreSQL in production, one SQL dialect
//! (`$N` parameters work on both) through sqlx's `Any` driver.

pub mod audit;
pub mod changes;
pub mod db;
pub mod entities;
pub mod fingerprints;
pub mod locations;
pub mod tasks;
pub mod tokens;

pub use db::{Backend, Db};
