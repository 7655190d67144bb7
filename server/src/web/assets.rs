//! Static files compiled into the binary, so it runs standalone.

use axum::http::header;
use axum::response::IntoResponse;

/// The portal's only stylesheet.
const STYLESHEET: &str = include_str!("../../../style/portolan.css");

/// `GET /style/portolan.css`.
pub(super) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        STYLESHEET,
    )
}
