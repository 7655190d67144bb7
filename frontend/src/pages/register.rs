//! Registering an existing component (`/catalog-import`): enter a URL or
//! path, see what the catalog would read, register it; and unregistering a
//! location after a confirmation that lists what goes with it.

use leptos::prelude::*;

use crate::data::{EntitySummary, LocationDetail, LocationPreview};

/// Where the import page's forms post to.
pub const IMPORT_PATH: &str = "/catalog-import";

/// The import page: the form, and after an analysis its preview or error.
#[component]
pub fn ImportPage(
    /// The target typed so far.
    #[prop(into)]
    target: String,
    /// What a dry run found, when one ran.
    preview: Option<LocationPreview>,
    /// Why the last step failed.
    error: Option<String>,
) -> impl IntoView {
    let error = error.map(|e| {
        view! { <p class="notice notice-error" role="alert" id="target-error">{e}</p> }
    });
    let described = error.as_ref().map(|_| "target-error");
    let preview = preview.map(preview_card);
    view! {
        <div class="page-head">
            <h1>"Register an existing component"</h1>
            <p class="lede">
                "Point the catalog at a " <code>"catalog-info.yaml"</code>
                " file: a URL (GitHub blob or tree, or any allowed host) or a path on the server."
            </p>
        </div>
        <section class="card">
            <form class="stack-form" method="post" action=IMPORT_PATH>
                <crate::viewer::CsrfField />
                <input type="hidden" name="action" value="analyze" />
                <div class="field">
                    <label for="import-target">"URL or path"</label>
                    <input id="import-target" name="target" type="text" required=true value=target
                        aria-describedby=described
                        placeholder="https://github.com/org/repo/blob/main/catalog-info.yaml" />
                </div>
                {error}
                <div class="field-actions">
                    <button type="submit">"Analyze"</button>
                </div>
            </form>
        </section>
        {preview}
    }
}

fn entity_list(entities: Vec<EntitySummary>, link: bool) -> impl IntoView {
    let items = entities
        .into_iter()
        .map(|e| {
            let name = e.display_name().to_owned();
            let reference = e.entity_ref();
            let name = if link {
                view! { <a href=e.href()>{name}</a> }.into_any()
            } else {
                view! { <strong>{name}</strong> }.into_any()
            };
            view! { <li>{name} " " <code class="muted">{reference}</code></li> }
        })
        .collect_view();
    view! { <ul class="related-list">{items}</ul> }
}

fn preview_card(p: LocationPreview) -> impl IntoView {
    let count = p.entities.len();
    let errors = (!p.errors.is_empty()).then(|| {
        let items = p.errors.iter().map(|e| view! { <li><code>{e.clone()}</code></li> }).collect_view();
        view! { <div class="notice notice-warn"><p>"Problems found while reading:"</p><ul>{items}</ul></div> }
    });
    let action = if p.exists {
        view! { <p class="notice notice-warn">"This location is registered already; its entities refresh on their own."</p> }.into_any()
    } else if count == 0 {
        view! { <p>"Nothing to register: no entity was found there."</p> }.into_any()
    } else {
        view! {
            <form method="post" action=IMPORT_PATH>
                <crate::viewer::CsrfField />
                <input type="hidden" name="action" value="register" />
                <input type="hidden" name="target" value=p.target.clone() />
                <button type="submit">{format!("Register {count} {}", if count == 1 { "entity" } else { "entities" })}</button>
            </form>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="preview-title" id="preview">
            <h2 id="preview-title">"Review"</h2>
            <p>"Location " <code>{format!("{}:{}", p.location_type, p.target)}</code> {format!(" holds {count} {}:", if count == 1 { "entity" } else { "entities" })}</p>
            {entity_list(p.entities, false)}
            {errors}
            {action}
        </section>
    }
}

/// After registering: what was added, with links.
#[component]
pub fn RegisteredPage(
    /// The new location and its entities.
    detail: LocationDetail,
) -> impl IntoView {
    let count = detail.entities.len();
    view! {
        <div class="page-head">
            <p class="eyebrow">"Registered"</p>
            <h1>"The location is in the catalog"</h1>
            <p class="lede"><code>{format!("{}:{}", detail.location.location_type, detail.location.target)}</code>
                {format!(" added {count} {}.", if count == 1 { "entity" } else { "entities" })}</p>
        </div>
        <section class="card" role="status">
            {entity_list(detail.entities, true)}
            <p><a class="button button-quiet" href=IMPORT_PATH>"Register another"</a></p>
        </section>
    }
}

/// The confirmation before a location is removed.
#[component]
pub fn UnregisterPage(
    /// The location and what goes with it.
    detail: LocationDetail,
) -> impl IntoView {
    let count = detail.entities.len();
    let action = format!("{IMPORT_PATH}/locations/{}/unregister", super::encode_path_segment(&detail.location.id));
    let body = if detail.location.from_config {
        view! { <p class="notice notice-warn">"This location comes from portolan.yaml; remove it there."</p> }.into_any()
    } else {
        view! {
            <form method="post" action=action>
                <crate::viewer::CsrfField />
                <button type="submit" class="button-danger">{format!("Unregister and remove {count} {}", if count == 1 { "entity" } else { "entities" })}</button>
                " "
                <a class="button button-quiet" href="/catalog">"Cancel"</a>
            </form>
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1>"Unregister a location"</h1>
            <p class="lede">"The catalog will stop reading " <code>{format!("{}:{}", detail.location.location_type, detail.location.target)}</code>
                {format!(" and remove the {count} {} it holds:", if count == 1 { "entity" } else { "entities" })}</p>
        </div>
        <section class="card">
            {entity_list(detail.entities, true)}
            {body}
        </section>
    }
}

/// After unregistering.
#[component]
pub fn UnregisteredPage(
    /// The removed location and its former entities.
    detail: LocationDetail,
) -> impl IntoView {
    let count = detail.entities.len();
    view! {
        <div class="page-head">
            <p class="eyebrow">"Unregistered"</p>
            <h1>"The location was removed"</h1>
            <p class="lede" role="status"><code>{format!("{}:{}", detail.location.location_type, detail.location.target)}</code>
                {format!(" and its {count} {} are gone from the catalog.", if count == 1 { "entity" } else { "entities" })}</p>
            <p class="actions"><a class="button" href="/catalog">"Back to the catalog"</a></p>
        </div>
    }
}
