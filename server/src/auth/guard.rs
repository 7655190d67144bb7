//! The two middlewares every request passes: [`identify`] finds who is
//! asking, [`guard_writes`] refuses state-changing requests without an
//! identity (401) or, for session cookies, without the form token (403).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::{Auth, RequestIdentity, SESSION_CSRF, session_error, session_user};
use crate::error::AppError;

/// How the request authenticated, for [`guard_writes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    None,
    Session,
    Token,
}

/// Resolves the request's [`Identity`] from a Bearer token or the session.
/// A Bearer header that is not a live token is a 401, whatever the path.
pub async fn identify(auth: axum::Extension<Arc<Auth>>, session: Session, mut request: Request, next: Next) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|s| s.trim().to_owned());
    let (identity, credential) = match bearer {
        Some(secret) => match auth.token_identity(&secret).await {
            Ok(Some(identity)) => (Some(identity), Credential::Token),
            Ok(None) => return AppError::AuthenticationError("The API token is unknown, revoked or expired".into()).into_response(),
            Err(e) => return e.into_response(),
        },
        None => match session_user(&session).await {
            Ok(user) => (user, Credential::Session),
            Err(e) => return e.into_response(),
        },
    };
    let credential = if identity.is_none() { Credential::None } else { credential };
    request.extensions_mut().insert(RequestIdentity(identity));
    request.extensions_mut().insert(credential);
    next.run(request).await
}

/// POSTs that only read (queries, validation): no identity or token needed.
fn reads_only(method: &Method, path: &str) -> bool {
    method == Method::POST && ["/entities/by-query", "/entities/by-refs", "/validate-entity", "/api/kubernetes/resources/workloads/query"].iter().any(|p| path.ends_with(p))
}

/// Paths that sign people in: they need the session's form token but no identity.
fn signs_in(path: &str) -> bool {
    path == "/sign-in/guest"
}

/// The largest form body read to find its `_csrf` field.
const MAX_FORM: usize = 1 << 20;

/// Refuses state-changing requests without an identity (401) and, for
/// session cookies, without the session's anti-forgery token (403).
pub async fn guard_writes(session: Session, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) || reads_only(&method, &path) {
        return next.run(request).await;
    }
    let credential = request.extensions().get::<Credential>().copied().unwrap_or(Credential::None);
    if credential == Credential::Token {
        return next.run(request).await;
    }
    if credential == Credential::None && !signs_in(&path) {
        return AppError::AuthenticationError("Sign in first: this request changes something".into()).into_response();
    }
    let expected = match session.get::<String>(SESSION_CSRF).await {
        Ok(Some(token)) => token,
        Ok(None) => return forbidden_csrf(),
        Err(e) => return session_error(e).into_response(),
    };
    let header_token = request.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(token) = header_token {
        return if constant_time_eq(&token, &expected) { next.run(request).await } else { forbidden_csrf() };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return forbidden_csrf();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    };
    let sent = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned());
    if !sent.is_some_and(|t| constant_time_eq(&t, &expected)) {
        return forbidden_csrf();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn forbidden_csrf() -> Response {
    AppError::NotAllowedError("The form's anti-forgery token is missing or stale; reload the page and try again".into()).into_response()
}

/// Compares secrets without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

