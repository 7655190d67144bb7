//! The database: SQLite by default, PostgreSQL in production, one SQL dialect
//! (`$N` parameters work on both) through sqlx's `Any` driver.

pub mod db;
pub mod entities;
pub mod locations;
pub mod search_rows;

pub use db::{Backend, Db};
