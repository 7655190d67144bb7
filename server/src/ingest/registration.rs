//! Registering locations at run time, shared by `POST /locations` and the
//! portal's register page: validate the target, refuse duplicates, store the
//! location and read it at once, so its entities are there when the call returns.

use crate::store::locations::{self, LocationRow, ORIGIN_API};

use super::{Catalog, Collected};

/// Why a location could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The same type and target is registered already.
    #[error("{0}")]
    Exists(String),
    /// The type or target is not usable.
    #[error("{0}")]
    Invalid(String),
    /// Storing or reading failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Checks the type and target of a new location.
pub fn check_new_location(location_type: &str, target: &str) -> Result<(), RegisterError> {
    if !matches!(location_type, "file" | "url") {
        return Err(RegisterError::Invalid(format!("Unknown location type '{location_type}', expected file or url")));
    }
    if target.trim().is_empty() {
        return Err(RegisterError::Invalid("Location target must not be empty".to_owned()));
    }
    Ok(())
}

/// What a location would add, read without storing anything.
#[derive(Debug)]
pub struct Preview {
    /// The location read: the registered one, or one made up for the read.
    pub location: LocationRow,
    /// Whether it is registered already.
    pub exists: bool,
    /// What was read.
    pub collected: Collected,
}

impl Catalog {
    /// Reads a location that may not be registered, storing nothing.
    pub async fn preview(&self, location_type: &str, target: &str) -> Result<Preview, RegisterError> {
        check_new_location(location_type, target)?;
        let existing = locations::find(&self.db.pool, location_type, target).await.map_err(anyhow::Error::from)?;
        let exists = existing.is_some();
        let location = existing.unwrap_or_else(|| LocationRow {
            id: uuid::Uuid::new_v4().to_string(),
            location_type: location_type.to_owned(),
            target: target.to_owned(),
            origin: ORIGIN_API.to_owned(),
        });
        let collected = self.dry_run(&location).await?;
        Ok(Preview { location, exists, collected })
    }

    /// Stores a new location and reads it.
    pub async fn register(&self, location_type: &str, target: &str) -> Result<LocationRow, RegisterError> {
        check_new_location(location_type, target)?;
        if locations::find(&self.db.pool, location_type, target).await.map_err(anyhow::Error::from)?.is_some() {
            return Err(RegisterError::Exists(format!("Location {location_type}:{target} already exists")));
        }
        let location = locations::insert(&self.db.pool, location_type, target, ORIGIN_API).await.map_err(anyhow::Error::from)?;
        let outcome = self.process(&location).await?;
        if outcome.files == 0 {
            tracing::warn!(target = %location.target, "registered location read no file: {:?}", outcome.errors);
        }
        Ok(location)
    }
}
