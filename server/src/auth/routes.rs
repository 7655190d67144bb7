//! Sign-in and sign-out pages, the GitHub OAuth callback, the audit log and
//! API token endpoints, and the [`PageViewer`] extractor pages render with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Form, Json, Router};
use portolan_frontend::{SignInOptions, Viewer, ViewerUser};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::policy::Action;
use super::{Actor, Auth, GUEST_REF, Identity, RequestIdentity, Via};
use crate::error::{ApiJson, AppError};
use crate::store::{audit, tokens};

/// Sign-in attempts allowed per client and minute.
const SIGN_INS_PER_MINUTE: u32 = 20;

/// Counts sign-in attempts per client address in one-minute windows.
#[derive(Debug, Default)]
pub struct SignInLimiter(Mutex<HashMap<String, (Instant, u32)>>);

impl SignInLimiter {
    /// Whether one more attempt from `client` is allowed now.
    pub fn allow(&self, client: &str) -> bool {
        let Ok(mut windows) = self.0.lock() else { return true };
        let now = Instant::now();
        windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        let (_, count) = windows.entry(client.to_owned()).or_insert((now, 0));
        *count += 1;
        *count <= SIGN_INS_PER_MINUTE
    }
}

/// The client a request came from: the peer address, else the first
/// `X-Forwarded-For` entry, else `local` (in-process requests).
#[derive(Debug, Clone)]
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
        let forwarded = || {
            parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned())
        };
        Ok(Client(peer.or_else(forwarded).unwrap_or_else(|| "local".to_owned())))
    }
}

/// A local path to go back to after signing in; anything else (another
/// host, `//host`, `/\host`, a scheme) becomes `/`, so the sign-in cannot be
/// used to send people to another site.
pub fn safe_return_to(to: Option<&str>) -> String {
    match to {
        Some(to)
            if to.starts_with('/')
                && !to.starts_with("//")
                && !to.starts_with("/\\")
                && !to.chars().any(|c| c.is_control() || c == '\\') =>
        {
            to.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The [`Viewer`] of a page: who is signed in, the form token, the path.
#[derive(Debug, Clone)]
pub struct PageViewer(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for PageViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let identity = parts.extensions.get::<RequestIdentity>().and_then(|r| r.0.clone());
        // A signed-in session has its form token from the sign-in; a visitor's
        // session is created only by a page with a form for them (sign-in),
        // so browsing anonymously writes nothing to the session store.
        let csrf = match identity {
            Some(_) => super::csrf_token(&session).await,
            None => session.get::<String>(super::SESSION_CSRF).await.map(Option::unwrap_or_default).map_err(super::session_error),
        }
        .map_err(IntoResponse::into_response)?;
        let path = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let allowed = match (&identity, parts.extensions.get::<Arc<Auth>>()) {
            (Some(identity), Some(auth)) => auth
                .allowed(identity, &[Action::LocationCreate, Action::AuditRead, Action::TokenManage, Action::TaskCreate])
                .into_iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            _ => Vec::new(),
        };
        let user = identity.map(|i| ViewerUser {
            entity_href: portolan_frontend::pages::ref_href(&i.user_ref),
            guest: i.via == Via::Guest,
            display_name: i.display_name,
        });
        Ok(PageViewer(Viewer { user, csrf, path, allowed }))
    }
}

/// The routes of this module.
pub fn router() -> Router {
    Router::new()
        .route("/sign-in", get(sign_in_page))
        .route("/sign-in/guest", post(sign_in_guest))
        .route("/sign-out", post(sign_out))
        .route("/auth/github/start", get(github_start))
        .route("/auth/github/callback", get(github_callback))
        .route("/api/audit", get(audit_list))
        .route("/audit", get(audit_page))
        .route("/api/auth/tokens", get(tokens_list).post(token_create))
        .route("/api/auth/tokens/{id}", delete(token_revoke))
        .route("/api/auth/me", get(me))
}

#[derive(Debug, Deserialize)]
struct ReturnTo {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

/// A 429 when `client` has tried to sign in too often this minute.
fn too_many_sign_ins(auth: &Auth, client: &str) -> Option<Response> {
    (!auth.limiter.allow(client)).then(|| (StatusCode::TOO_MANY_REQUESTS, "Too many sign-in attempts; wait a minute").into_response())
}

fn sign_in_options(auth: &Auth, return_to: &str, error: Option<String>) -> SignInOptions {
    let back = portolan_frontend::pages::encode_query_value(return_to);
    SignInOptions {
        github_href: auth.settings.github.as_ref().map(|_| format!("/auth/github/start?returnTo={back}")),
        guest: auth.settings.guest,
        return_to: return_to.to_owned(),
        error,
    }
}

fn page(rendered: portolan_frontend::Rendered) -> Response {
    let status = StatusCode::from_u16(rendered.status).unwrap_or(StatusCode::OK);
    (status, Html(rendered.html)).into_response()
}

async fn sign_in_page(
    Extension(auth): Extension<Arc<Auth>>,
    session: Session,
    PageViewer(mut viewer): PageViewer,
    Query(q): Query<ReturnTo>,
) -> Result<Response, AppError> {
    viewer.csrf = super::csrf_token(&session).await?;
    let return_to = safe_return_to(q.return_to.as_deref());
    Ok(page(portolan_frontend::render_sign_in(&viewer, sign_in_options(&auth, &return_to, None))))
}

#[derive(Debug, Deserialize)]
struct GuestForm {
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

async fn sign_in_guest(
    Extension(auth): Extension<Arc<Auth>>,
    session: Session,
    Client(client): Client,
    Form(form): Form<GuestForm>,
) -> Result<Response, AppError> {
    if let Some(refused) = too_many_sign_ins(&auth, &client) {
        return Ok(refused);
    }
    if !auth.settings.guest {
        auth.audit_as(GUEST_REF, "auth.sign-in", None, "denied", Some("guest sign-in is off")).await;
        return Err(AppError::NotAllowedError("Guest sign-in is not enabled on this portal".into()));
    }
    let identity = Identity { user_ref: GUEST_REF.to_owned(), display_name: "Guest".to_owned(), via: Via::Guest, groups: Vec::new() };
    super::sign_in(&session, &identity).await?;
    auth.audit(&identity, "auth.sign-in", None, "ok", Some("guest")).await;
    Ok(Redirect::to(&safe_return_to(form.return_to.as_deref())).into_response())
}

async fn sign_out(Extension(auth): Extension<Arc<Auth>>, session: Session, Actor(identity): Actor) -> Result<Redirect, AppError> {
    super::sign_out(&session).await?;
    auth.audit(&identity, "auth.sign-out", None, "ok", None).await;
    Ok(Redirect::to("/"))
}

/// What the OAuth round trip keeps in the session.
#[derive(Debug, serde::Serialize, Deserialize)]
struct OauthState {
    state: String,
    return_to: String,
}

const SESSION_OAUTH: &str = "portolan.oauth";

fn callback_url(auth: &Auth) -> String {
    format!("{}/auth/github/callback", auth.settings.base_url.trim_end_matches('/'))
}

async fn github_start(
    Extension(auth): Extension<Arc<Auth>>,
    session: Session,
    Client(client): Client,
    Query(q): Query<ReturnTo>,
) -> Result<Response, AppError> {
    let Some(github) = &auth.settings.github else { return Err(AppError::not_found("GitHub sign-in is not configured")) };
    if let Some(refused) = too_many_sign_ins(&auth, &client) {
        return Ok(refused);
    }
    let state = super::random_secret();
    let saved = OauthState { state: state.clone(), return_to: safe_return_to(q.return_to.as_deref()) };
    session.insert(SESSION_OAUTH, &saved).await.map_err(super::session_error)?;
    Ok(Redirect::to(&github.authorize_url(&callback_url(&auth), &state)).into_response())
}

#[derive(Debug, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn github_callback(
    Extension(auth): Extension<Arc<Auth>>,
    session: Session,
    PageViewer(mut viewer): PageViewer,
    Query(q): Query<Callback>,
) -> Result<Response, AppError> {
    let Some(github) = &auth.settings.github else { return Err(AppError::not_found("GitHub sign-in is not configured")) };
    // A refusal shows the sign-in page again, with its forms.
    viewer.csrf = super::csrf_token(&session).await?;
    let saved: Option<OauthState> = session.remove(SESSION_OAUTH).await.map_err(super::session_error)?;
    let refuse = |message: String, return_to: &str| page(portolan_frontend::render_sign_in(&viewer, sign_in_options(&auth, return_to, Some(message))));
    let Some(saved) = saved.filter(|s| q.state.as_deref().is_some_and(|st| super::constant_time_eq(st, &s.state))) else {
        auth.audit_as("anonymous", "auth.sign-in", None, "denied", Some("the OAuth state did not match")).await;
        return Ok(refuse("The sign-in could not be checked (it expired or was not started here). Try again.".into(), "/"));
    };
    let (Some(code), None) = (q.code.as_deref(), q.error.as_deref()) else {
        return Ok(refuse(format!("GitHub did not sign you in: {}", q.error.unwrap_or_default()), &saved.return_to));
    };
    let signed = async {
        let token = github.exchange(&auth.http, code, &callback_url(&auth)).await?;
        github.profile(&token).await
    }
    .await;
    let super::github::GithubProfile { user, emails, teams } = match signed {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!("GitHub sign-in failed: {e:#}");
            auth.audit_as("anonymous", "auth.sign-in", None, "failed", Some(&format!("{e:#}"))).await;
            return Ok(refuse("GitHub sign-in failed; the server log has the details.".into(), &saved.return_to));
        }
    };
    let user_ref = match super::github::resolve_user(&auth.catalog.index, &user, &emails) {
        Some(found) => found,
        None if auth.settings.allow_unknown_users => format!("user:default/{}", user.login.to_lowercase()),
        None => {
            let actor = format!("github:{}", user.login);
            auth.audit_as(&actor, "auth.sign-in", None, "denied", Some("no User entity matches")).await;
            return Ok(refuse(
                format!("GitHub user {} is not in the catalog: no User entity has that name, github.com/user-login annotation or e-mail.", user.login),
                &saved.return_to,
            ));
        }
    };
    let identity = Identity {
        user_ref,
        display_name: user.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| user.login.clone()),
        via: Via::Github { login: user.login.clone() },
        groups: super::github::groups_of_teams(&auth.catalog.index, &teams),
    };
    super::sign_in(&session, &identity).await?;
    auth.audit(&identity, "auth.sign-in", None, "ok", Some("github")).await;
    Ok(Redirect::to(&saved.return_to).into_response())
}

async fn me(Actor(identity): Actor) -> Json<Identity> {
    Json(identity)
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    result: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

async fn audit_list(
    Extension(auth): Extension<Arc<Auth>>,
    Actor(identity): Actor,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    auth.check(&identity, Action::AuditRead, "the audit log", None).await?;
    let filter = audit::AuditFilter { actor: q.actor, action: q.action, result: q.result, since: q.since, limit: q.limit.unwrap_or(100) };
    let events = audit::list(&auth.catalog.db.pool, &filter).await?;
    Ok(Json(json!({ "items": events })))
}

async fn audit_page(
    Extension(auth): Extension<Arc<Auth>>,
    Extension(RequestIdentity(identity)): Extension<RequestIdentity>,
    PageViewer(viewer): PageViewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let Some(identity) = identity else { return Ok(Redirect::to(&viewer.sign_in_href()).into_response()) };
    auth.check(&identity, Action::AuditRead, "the audit log", None).await?;
    let blank = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let filters = portolan_frontend::AuditFilters {
        actor: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        result: q.result.clone().unwrap_or_default(),
    };
    let filter = audit::AuditFilter {
        actor: blank(q.actor),
        action: blank(q.action),
        result: blank(q.result),
        since: blank(q.since),
        limit: q.limit.unwrap_or(200),
    };
    let events = audit::list(&auth.catalog.db.pool, &filter)
        .await?
        .into_iter()
        .map(|e| portolan_frontend::AuditRow { at: e.at, actor: e.actor, action: e.action, target: e.target, result: e.result, detail: e.detail })
        .collect();
    Ok(page(portolan_frontend::render_audit(&viewer, events, filters)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewToken {
    name: String,
    scopes: Vec<String>,
    /// Lifetime in days; none for no expiry.
    expires_in_days: Option<u32>,
}

async fn token_create(
    Extension(auth): Extension<Arc<Auth>>,
    Actor(identity): Actor,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    auth.check(&identity, Action::TokenManage, "API tokens", None).await?;
    if body.name.trim().is_empty() {
        return Err(AppError::input("name must not be empty"));
    }
    if let Some(bad) = body.scopes.iter().find(|s| Action::from_name(s).is_none()) {
        return Err(AppError::input(format!("unknown scope {bad:?}")));
    }
    let expires_at = body.expires_in_days.map(|days| {
        let at = std::time::SystemTime::now() + Duration::from_secs(u64::from(days) * 86_400);
        crate::store::entities::rfc3339(at)
    });
    let secret = format!("ptl_{}", super::random_secret());
    let token = tokens::ApiToken {
        id: uuid::Uuid::now_v7().to_string(),
        name: body.name.trim().to_owned(),
        scopes: body.scopes,
        created_by: identity.user_ref.clone(),
        created_at: crate::store::entities::now(),
        expires_at,
        revoked_at: None,
    };
    tokens::insert(&auth.catalog.db.pool, &token, &secret).await?;
    auth.audit(&identity, "auth.token.create", Some(&token.id), "ok", Some(&token.name)).await;
    Ok((StatusCode::CREATED, Json(json!({ "token": token, "secret": secret }))))
}

async fn tokens_list(Extension(auth): Extension<Arc<Auth>>, Actor(identity): Actor) -> Result<Json<Value>, AppError> {
    auth.check(&identity, Action::TokenManage, "API tokens", None).await?;
    Ok(Json(json!({ "items": tokens::list(&auth.catalog.db.pool).await? })))
}

async fn token_revoke(Extension(auth): Extension<Arc<Auth>>, Actor(identity): Actor, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    auth.check(&identity, Action::TokenManage, &id, None).await?;
    if !tokens::revoke(&auth.catalog.db.pool, &id).await? {
        return Err(AppError::not_found(format!("No live token with id {id}")));
    }
    auth.audit(&identity, "auth.token.revoke", Some(&id), "ok", None).await;
    Ok(StatusCode::NO_CONTENT)
}
