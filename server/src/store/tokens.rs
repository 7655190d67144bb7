//! The `api_tokens` table: tokens for automation, kept as hashes.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor, Row};

/// A stored token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    /// Its id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// The actions it may take.
    pub scopes: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// When it stops working, if ever.
    pub expires_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// The hash stored for a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn token_of(r: &sqlx::any::AnyRow) -> Result<ApiToken, sqlx::Error> {
    let scopes: String = r.try_get("scopes")?;
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        scopes: serde_json::from_str(&scopes).unwrap_or_default(),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

const COLUMNS: &str = "id, name, scopes, created_by, created_at, expires_at, revoked_at";

/// Stores a new token with the hash of `secret`.
pub async fn insert<'c>(
    ex: impl Executor<'c, Database = Any>,
    token: &ApiToken,
    secret: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO api_tokens (id, name, hash, scopes, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&token.id)
        .bind(&token.name)
        .bind(hash_secret(secret))
        .bind(serde_json::to_string(&token.scopes).unwrap_or_else(|_| "[]".to_owned()))
        .bind(&token.created_by)
        .bind(&token.created_at)
        .bind(&token.expires_at)
        .execute(ex)
        .await?;
    Ok(())
}

/// The token whose secret is `secret`, revoked or not.
pub async fn by_secret<'c>(ex: impl Executor<'c, Database = Any>, secret: &str) -> Result<Option<ApiToken>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = $1"))
        .bind(hash_secret(secret))
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(token_of).transpose()
}

/// Every token, newest first.
pub async fn list<'c>(ex: impl Executor<'c, Database = Any>) -> Result<Vec<ApiToken>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC")).fetch_all(ex).await?;
    rows.iter().map(token_of).collect()
}

/// Revokes a token; `false` when there is no such live token.
pub async fn revoke<'c>(ex: impl Executor<'c, Database = Any>, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(super::entities::now())
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}
