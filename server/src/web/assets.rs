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

/// A static file compiled in, with its type, cached for five minutes.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body)
}

/// `GET /style/portolan.css`.
pub(super) async fn stylesheet() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

/// `GET /static/deployments-live.js`: the Deployments tab's live updates.
pub(super) async fn deployments_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", portolan_frontend::DEPLOYMENTS_SCRIPT)
}

/// `GET /static/task-follow.js`: the task page's live updates.
pub(super) async fn task_follow_script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", portolan_frontend::TASK_FOLLOW_SCRIPT)
}
