//! `/audit`: the audit log with filters (a GET form, so it works without
//! JavaScript and every view is a URL).

use leptos::prelude::*;

/// One audit event as the page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRow {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// How it ended: `ok`, `denied`, `failed`.
    pub result: String,
    /// More.
    pub detail: Option<String>,
}

/// The filters of the page, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilters {
    /// Exact actor.
    pub actor: String,
    /// Action or prefix ending in `.`.
    pub action: String,
    /// Exact result.
    pub result: String,
}

/// The audit page.
#[component]
pub fn AuditPage(
    /// The events, newest first.
    events: Vec<AuditRow>,
    /// The filters in force.
    filters: AuditFilters,
) -> impl IntoView {
    let results = ["", "ok", "denied", "failed"].map(|r| {
        let selected = filters.result == r;
        let label = if r.is_empty() { "any" } else { r };
        view! { <option value=r selected=selected>{label}</option> }
    });
    let rows = events
        .into_iter()
        .map(|e| {
            let class = format!("audit-result audit-{}", e.result);
            view! {
                <tr>
                    <td><time datetime=e.at.clone()>{e.at.clone()}</time></td>
                    <td>{e.actor}</td>
                    <td><code>{e.action}</code></td>
                    <td>{e.target.unwrap_or_default()}</td>
                    <td><span class=class>{e.result}</span></td>
                    <td>{e.detail.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="page audit">
            <h1>"Audit log"</h1>
            <form class="filters" method="get" action="/audit">
                <label>"Actor " <input type="text" name="actor" value=filters.actor placeholder="user:default/alice" /></label>
                <label>"Action " <input type="text" name="action" value=filters.action placeholder="catalog." /></label>
                <label>"Result " <select name="result">{results}</select></label>
                <button type="submit">"Filter"</button>
            </form>
            <table class="table">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"On"</th><th>"Result"</th><th>"Detail"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
