//! Errors of the HTTP API, in Backstage's shape.
//!
//! Backstage clients (`@backstage/catalog-client`, `ResponseError`) read the
//! error name from the body to decide what went wrong, so every failure leaves
//! the server as
//! `{"error": {"name", "message"}, "request": {"method", "url"}, "response": {"statusCode"}}`.
//!
//! [`AppError`]'s `IntoResponse` cannot see the request, so it writes the
//! envelope without `request` and leaves an [`ErrorInfo`] in the response's
//! extensions; the [`error_envelope`] middleware, which saw the request,
//! rewrites the body with `request` filled in. [`ApiJson`] and [`ApiQuery`]
//! turn axum's extractor rejections into [`AppError::InputError`] so that bad
//! bodies and query strings come out in the same envelope.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// The message sent for internal errors: their details stay in the log.
const INTERNAL_MESSAGE: &str = "An internal error occurred; see the server log for details";

/// The largest plain-text error body the middleware reads to re-wrap it.
const MAX_PLAIN_BODY: usize = 64 * 1024;

/// A failed API request, named as Backstage names its errors so that
/// Backstage's clients and plugins recognise them.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed (bad filter, body, cursor, ...).
    #[error("{0}")]
    InputError(String),
    /// 401: no or invalid credentials.
    #[error("{0}")]
    AuthenticationError(String),
    /// 403: the caller may not do this.
    #[error("{0}")]
    NotAllowedError(String),
    /// 404: the entity, location, ... does not exist.
    #[error("{0}")]
    NotFoundError(String),
    /// 409: the thing already exists or changed under the caller.
    #[error("{0}")]
    ConflictError(String),
    /// 500: a bug or an outside failure (database, I/O). Logged in full,
    /// answered with a generic message so internals never leak to clients.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl AppError {
    /// A 400 with `message`; the common case, so it gets a short constructor.
    pub fn input(message: impl Into<String>) -> Self {
        AppError::InputError(message.into())
    }

    /// A 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFoundError(message.into())
    }

    /// A 409 with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::ConflictError(message.into())
    }

    /// The HTTP status Backstage uses for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::InputError(_) => StatusCode::BAD_REQUEST,
            AppError::AuthenticationError(_) => StatusCode::UNAUTHORIZED,
            AppError::NotAllowedError(_) => StatusCode::FORBIDDEN,
            AppError::NotFoundError(_) => StatusCode::NOT_FOUND,
            AppError::ConflictError(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Backstage's error class name, which clients switch on.
    pub fn name(&self) -> &'static str {
        match self {
            AppError::InputError(_) => "InputError",
            AppError::AuthenticationError(_) => "AuthenticationError",
            AppError::NotAllowedError(_) => "NotAllowedError",
            AppError::NotFoundError(_) => "NotFoundError",
            AppError::ConflictError(_) => "ConflictError",
            AppError::Internal(_) => "Error",
        }
    }

    /// What the client is told: the message, except for internal errors.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => INTERNAL_MESSAGE.to_owned(),
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(err))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

/// What an error response is about, left in the response's extensions by
/// [`AppError`] so that [`error_envelope`] can rebuild the body with the
/// request it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Backstage's error name, e.g. `NotFoundError`.
    pub name: String,
    /// The message for the client.
    pub message: String,
    /// The status code of the response.
    pub status: StatusCode,
}

/// Backstage's error body; `request` is absent when the middleware did not run.
fn envelope(info: &ErrorInfo, request: Option<(&str, &str)>) -> serde_json::Value {
    let mut body = json!({
        "error": { "name": info.name, "message": info.message },
    });
    if let (Some((method, url)), Some(map)) = (request, body.as_object_mut()) {
        map.insert("request".into(), json!({ "method": method, "url": url }));
    }
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "response".into(),
            json!({ "statusCode": info.status.as_u16() }),
        );
    }
    body
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "internal error answering a request");
        }
        let info = ErrorInfo {
            name: self.name().to_owned(),
            message: self.public_message(),
            status: self.status(),
        };
        let mut response = json_response(info.status, &envelope(&info, None));
        response.extensions_mut().insert(info);
        response
    }
}

/// Backstage's name for an error status that did not come from an [`AppError`].
fn name_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "InputError",
        401 => "AuthenticationError",
        403 => "NotAllowedError",
        404 => "NotFoundError",
        409 => "ConflictError",
        _ => "Error",
    }
}

/// Middleware (`axum::middleware::from_fn(error_envelope)`) that puts the
/// request's method and URL into error envelopes, as Backstage does.
///
/// Responses carrying an [`ErrorInfo`] get their body rebuilt. Other error
/// responses (status ≥ 400) with an empty or `text/plain` body — axum's own
/// rejections, unmatched routes, wrong methods — are wrapped too, so that a
/// client never sees an error that is not in the envelope. Internal (5xx)
/// texts are replaced by a generic message.
pub async fn error_envelope(req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let url = req
        .extensions()
        .get::<OriginalUri>()
        .map(|uri| uri.0.to_string())
        .unwrap_or_else(|| req.uri().to_string());
    let response = next.run(req).await;

    if let Some(info) = response.extensions().get::<ErrorInfo>().cloned() {
        let (parts, _) = response.into_parts();
        return rebuild(parts, &info, &method, &url);
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let plain = match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value
            .to_str()
            .map(|v| v.starts_with("text/plain"))
            .unwrap_or(false),
    };
    if !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_PLAIN_BODY).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if status.is_server_error() || text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("Request failed")
            .to_owned()
    } else {
        text
    };
    let info = ErrorInfo {
        name: name_for_status(status).to_owned(),
        message,
        status,
    };
    rebuild(parts, &info, &method, &url)
}

fn rebuild(mut parts: axum::http::response::Parts, info: &ErrorInfo, method: &str, url: &str) -> Response {
    let body = envelope(info, Some((method, url))).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.extensions.insert(info.clone());
    Response::from_parts(parts, Body::from(body))
}

/// `axum::Json` whose rejections (malformed JSON, wrong content type, wrong
/// shape) are [`AppError::InputError`]s, so they come out in Backstage's
/// envelope. Also a response: serialises `T` as JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(AppError::InputError(rejection.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// `axum::extract::Query` whose rejections are [`AppError::InputError`]s.
///
/// Repeated parameters (`filter=a&filter=b`) need `T = Vec<(String, String)>`;
/// [`crate::api::catalog::query::QueryParams`] wraps exactly that.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(AppError::InputError(rejection.body_text())),
        }
    }
}
