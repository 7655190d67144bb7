//! Static files compiled into the binary, so it runs standalone.

use axum::http::header;
use axum::response::IntoResponse;

/// The portal's stylesheet: the base, then the components' own sheets.
const STYLESHEET: &str = concat!(
    include_str!("../../../style/portolan.css"),
    "\n",
    include_str!("../../../style/pages.css"),
    "\n",
    include_str!("../../../style/api-definition.css"),
    "\n",
    include_str!("../../../style/graph.css"),
);

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

/// `GET /static/deployments-live.js`: the Deployments tab's live updates.
pub(super) async fn deployments_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        portolan_frontend::DEPLOYMENTS_SCRIPT,
    )
}
