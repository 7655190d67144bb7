//! Who is making a request, and whether they may do what they ask.
//!
//! Every request passes [`identify`]: a `Bearer` API token, or the signed-in
//! user of the session cookie, becomes the request's [`Identity`]. Then
//! [`guard_writes`] refuses state-changing requests without an identity
//! (401) and session-authenticated ones without the session's anti-forgery
//! token (403, from a `_csrf` form field or an `X-CSRF-Token` header).
//! Handlers check permissions with [`Auth::check`], which also writes the
//! audit log.

pub mod github;
mod guard;
pub mod policy;
pub mod routes;
pub mod session;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use portolan_catalog::RelationType;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::error::AppError;
use crate::ingest::Catalog;
use crate::store::{audit, tokens};
use policy::{Action, Policy, Subject};

pub use guard::{guard_writes, identify};
pub(crate) use guard::constant_time_eq;

/// The guest identity's user reference.
pub const GUEST_REF: &str = "user:default/guest";

/// Session keys.
const SESSION_USER: &str = "portolan.user";
const SESSION_CSRF: &str = "portolan.csrf";

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Via {
    /// The local guest identity.
    Guest,
    /// GitHub sign-in.
    Github {
        /// The GitHub login.
        login: String,
    },
    /// An API token limited to some actions.
    Token {
        /// The token's id.
        id: String,
        /// The actions it may take.
        scopes: Vec<String>,
    },
}

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Their `User` entity reference (for unknown users allowed by config,
    /// `user:default/<login>` without an entity).
    pub user_ref: String,
    /// The name to show.
    pub display_name: String,
    /// How they signed in.
    pub via: Via,
    /// Groups they belong to outside the catalog's own membership (their
    /// GitHub teams' groups).
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Identity {
    /// The actor written to the audit log.
    pub fn actor(&self) -> String {
        match &self.via {
            Via::Token { id, .. } => format!("token:{id}"),
            _ => self.user_ref.clone(),
        }
    }
}

/// The identity [`identify`] found, in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct RequestIdentity(pub Option<Identity>);

/// Sign-in settings in force.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// Whether the guest identity is offered.
    pub guest: bool,
    /// Whether GitHub users who match no `User` entity may sign in.
    pub allow_unknown_users: bool,
    /// GitHub OAuth, when configured.
    pub github: Option<github::GithubOauth>,
    /// The portal's own address, for OAuth redirects.
    pub base_url: String,
}

/// Sign-in, permissions and audit, shared by every handler.
pub struct Auth {
    /// Sign-in settings.
    pub settings: AuthSettings,
    /// The permission policy.
    pub policy: Policy,
    /// The catalog, for users, groups and owners.
    pub catalog: Arc<Catalog>,
    /// Outbound HTTP (GitHub's OAuth and REST API).
    pub http: reqwest::Client,
    /// Sign-in attempts per client, to slow down guessing.
    pub limiter: routes::SignInLimiter,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("settings", &self.settings).finish()
    }
}

impl Auth {
    /// The refs that count as `user_ref` for ownership: the user, the groups
    /// they are a member of, and those groups' parents.
    pub fn subject(&self, identity: &Identity) -> Subject {
        let mut ownership = BTreeSet::from([identity.user_ref.clone()]);
        ownership.extend(identity.groups.iter().cloned());
        let mut queue: Vec<String> = ownership.iter().cloned().collect();
        while let Some(current) = queue.pop() {
            for (relation, target) in self.catalog.index.relations_of(&current) {
                let up = relation == RelationType::MemberOf.as_str() || relation == RelationType::ChildOf.as_str();
                if up && ownership.insert(target.clone()) {
                    queue.push(target);
                }
            }
        }
        Subject { user_ref: identity.user_ref.clone(), ownership }
    }

    /// The owners of an entity (its `ownedBy` targets).
    pub fn owners_of(&self, entity_ref: &str) -> Vec<String> {
        self.catalog
            .index
            .relations_of(entity_ref)
            .into_iter()
            .filter(|(t, _)| t == RelationType::OwnedBy.as_str())
            .map(|(_, target)| target)
            .collect()
    }

    /// Who counts as owning a location for `identity`: `identity` itself
    /// when it registered the location or owns every owned entity in it,
    /// else nobody (so only roles can act on it).
    pub async fn location_owners(&self, identity: &Identity, location_id: &str) -> Result<Vec<String>, AppError> {
        let registrant = crate::store::locations::created_by(&self.catalog.db.pool, location_id).await?;
        if registrant.as_deref() == Some(identity.user_ref.as_str()) {
            return Ok(vec![identity.user_ref.clone()]);
        }
        let held = crate::store::entities::states_of_location(&self.catalog.db.pool, location_id).await?;
        let subject = self.subject(identity);
        let owned: Vec<Vec<String>> = held.iter().map(|e| self.owners_of(&e.entity_ref)).filter(|o| !o.is_empty()).collect();
        let owns_all = !owned.is_empty() && owned.iter().all(|owners| owners.iter().any(|o| subject.ownership.contains(o)));
        Ok(if owns_all { vec![identity.user_ref.clone()] } else { Vec::new() })
    }

    /// Whether `identity` may take `action` on something owned by `owners`;
    /// a token also needs the action among its scopes.
    pub fn may(&self, identity: &Identity, action: Action, owners: Option<&[String]>) -> bool {
        self.may_as(identity, &self.subject(identity), action, owners)
    }

    /// [`Auth::may`] with the identity's [`Subject`] already worked out.
    fn may_as(&self, identity: &Identity, subject: &Subject, action: Action, owners: Option<&[String]>) -> bool {
        if let Via::Token { scopes, .. } = &identity.via
            && !scopes.iter().any(|s| s == action.as_str())
        {
            return false;
        }
        self.policy.allows(subject, action, owners)
    }

    /// Which of `actions` (none tied to an owned thing) `identity` may take,
    /// working out their groups once.
    pub fn allowed(&self, identity: &Identity, actions: &[Action]) -> Vec<Action> {
        let subject = self.subject(identity);
        actions.iter().copied().filter(|&a| self.may_as(identity, &subject, a, None)).collect()
    }

    /// [`Auth::may`], or a 403 — written to the audit log when denied.
    pub async fn check(&self, identity: &Identity, action: Action, target: &str, owners: Option<&[String]>) -> Result<(), AppError> {
        if self.may(identity, action, owners) {
            return Ok(());
        }
        self.audit(identity, action.as_str(), Some(target), "denied", None).await;
        Err(AppError::NotAllowedError(format!("{} may not {} {target}", identity.user_ref, action.as_str())))
    }

    /// Appends to the audit log; a failure to write is logged, not fatal.
    pub async fn audit(&self, identity: &Identity, action: &str, target: Option<&str>, result: &str, detail: Option<&str>) {
        self.audit_as(&identity.actor(), action, target, result, detail).await;
    }

    /// [`Auth::audit`] for an actor that is not (yet) an identity.
    pub async fn audit_as(&self, actor: &str, action: &str, target: Option<&str>, result: &str, detail: Option<&str>) {
        if let Err(e) = audit::record(&self.catalog.db.pool, actor, action, target, result, detail).await {
            tracing::error!(action, "cannot write the audit log: {e}");
        }
    }

    /// The identity of an API token secret: live, unexpired tokens only.
    async fn token_identity(&self, secret: &str) -> Result<Option<Identity>, AppError> {
        let Some(token) = tokens::by_secret(&self.catalog.db.pool, secret).await? else { return Ok(None) };
        let expired = token.expires_at.as_deref().is_some_and(|at| at <= crate::store::entities::now().as_str());
        if token.revoked_at.is_some() || expired {
            return Ok(None);
        }
        Ok(Some(Identity {
            user_ref: token.created_by.clone(),
            display_name: format!("token {}", token.name),
            via: Via::Token { id: token.id, scopes: token.scopes },
            groups: Vec::new(),
        }))
    }
}

/// Everything the auth layer adds to a router.
#[derive(Clone)]
pub struct Layers {
    /// The shared state.
    pub auth: Arc<Auth>,
    sessions: tower_sessions::SessionManagerLayer<session::DbSessionStore>,
}

impl Layers {
    /// Sessions in the catalog's database, with cookies marked Secure when
    /// the portal's address is https.
    pub async fn new(settings: AuthSettings, policy: Policy, catalog: Arc<Catalog>, idle: std::time::Duration) -> anyhow::Result<Layers> {
        let store = session::DbSessionStore::connect(&catalog.db.url, catalog.db.backend).await?;
        let secure = settings.base_url.starts_with("https://");
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(15)).build()?;
        let auth = Arc::new(Auth { settings, policy, catalog, http, limiter: routes::SignInLimiter::default() });
        Ok(Layers { auth, sessions: session::layer(store, secure, idle) })
    }

    /// `router` with sessions, identities and the write guard around it.
    pub fn wrap(self, router: axum::Router) -> axum::Router {
        router
            .layer(axum::middleware::from_fn(guard_writes))
            .layer(axum::middleware::from_fn(identify))
            .layer(axum::Extension(self.auth))
            .layer(self.sessions)
    }
}

/// The session's anti-forgery token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(SESSION_CSRF).await.map_err(session_error)? {
        return Ok(token);
    }
    let token = random_secret();
    session.insert(SESSION_CSRF, &token).await.map_err(session_error)?;
    Ok(token)
}

/// The signed-in user of a session.
pub async fn session_user(session: &Session) -> Result<Option<Identity>, AppError> {
    session.get::<Identity>(SESSION_USER).await.map_err(session_error)
}

/// Signs `identity` in: a new session id (so an id planted before sign-in
/// is worthless), a new anti-forgery token.
pub async fn sign_in(session: &Session, identity: &Identity) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_USER, identity).await.map_err(session_error)?;
    session.insert(SESSION_CSRF, random_secret()).await.map_err(session_error)?;
    Ok(())
}

/// Ends a session.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("session store: {e}"))
}

/// 256 random bits as hex (two v4 UUIDs from the OS's generator).
pub fn random_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The signed-in identity, or a 401 (API handlers).
#[derive(Debug, Clone)]
pub struct Actor(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<RequestIdentity>() {
            Some(RequestIdentity(Some(identity))) => Ok(Actor(identity.clone())),
            _ => Err(AppError::AuthenticationError("Sign in first".into())),
        }
    }
}

/// The shared [`Auth`] (API handlers).
#[derive(Clone)]
pub struct AuthHandle(pub Arc<Auth>);

impl<S: Send + Sync> FromRequestParts<S> for AuthHandle {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Auth>>()
            .cloned()
            .map(AuthHandle)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the auth layer is not installed")))
    }
}
