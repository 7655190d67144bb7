//! The cards an entity page adds for its kind: a group's members and
//! sub-groups, a user's groups, a system's parts, an API's providers and
//! consumers, a component's APIs and dependencies, a template's parameters.

use leptos::prelude::*;
use serde_json::Value;

use super::short_ref;
use crate::data::{EntityDetail, RelationView};

/// The kind-specific cards of `entity`.
#[component]
pub fn KindCards(
    /// The entity shown.
    entity: EntityDetail,
) -> impl IntoView {
    let kind = entity.summary.kind.to_ascii_lowercase();
    let list = |title: &'static str, relation: &str| related_card(title, entity.related(relation).cloned().collect());
    match kind.as_str() {
        "group" => view! {
            {profile(&entity.spec)}
            {list("Members", "hasMember")}
            {list("Sub-groups", "parentOf")}
            {list("Parent group", "childOf")}
            {list("Owns", "ownerOf")}
        }
        .into_any(),
        "user" => view! {
            {profile(&entity.spec)}
            {list("Groups", "memberOf")}
            {list("Owns", "ownerOf")}
        }
        .into_any(),
        "system" => {
            let parts: Vec<RelationView> = entity.related("hasPart").cloned().collect();
            let of_kind = |k: &str| parts.iter().filter(|r| r.target_ref.starts_with(&format!("{k}:"))).cloned().collect::<Vec<_>>();
            view! {
                {related_card("Components", of_kind("component"))}
                {related_card("APIs", of_kind("api"))}
                {related_card("Resources", of_kind("resource"))}
                {list("Domain", "partOf")}
            }
            .into_any()
        }
        "domain" => view! { {list("Systems", "hasPart")} {list("Part of", "partOf")} }.into_any(),
        "api" => {
            let definition_link = entity.definition.as_ref().map(|_| {
                let href = format!("{}?tab=definition", entity.summary.href());
                view! { <p><a class="button" href=href>"Read the definition"</a></p> }
            });
            view! {
                {definition_link}
                {list("Provided by", "apiProvidedBy")}
                {list("Consumed by", "apiConsumedBy")}
            }
            .into_any()
        }
        "component" => view! {
            {list("Provided APIs", "providesApi")}
            {list("Consumed APIs", "consumesApi")}
            {list("Depends on", "dependsOn")}
            {list("Dependency of", "dependencyOf")}
            {list("Subcomponents", "hasPart")}
        }
        .into_any(),
        "resource" => view! {
            {list("Dependency of", "dependencyOf")}
            {list("Depends on", "dependsOn")}
        }
        .into_any(),
        "template" => template_card(&entity).into_any(),
        "location" => location_card(&entity.spec).into_any(),
        _ => ().into_any(),
    }
}

fn related_card(title: &'static str, items: Vec<RelationView>) -> impl IntoView {
    if items.is_empty() {
        return None;
    }
    let rows = items
        .into_iter()
        .map(|r| match r.target {
            Some(t) => {
                let meta = [t.spec_type.clone(), Some(t.kind.clone())].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                view! {
                    <li>
                        <a href=t.href()>{t.display_name().to_owned()}</a>
                        <span class="muted">" " {meta}</span>
                        {t.description.clone().map(|d| view! { <span class="related-desc">{d}</span> })}
                    </li>
                }
                .into_any()
            }
            None => view! {
                <li><span>{short_ref(&r.target_ref, None)}</span> <span class="badge badge-warn">"not in the catalog"</span></li>
            }
            .into_any(),
        })
        .collect_view();
    Some(view! {
        <section class="card">
            <h2>{title}</h2>
            <ul class="related-list">{rows}</ul>
        </section>
    })
}

fn profile(spec: &Value) -> impl IntoView + use<> {
    let p = spec.get("profile")?;
    let field = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let name = field("displayName");
    let email = field("email");
    if name.is_none() && email.is_none() {
        return None;
    }
    let email = email.map(|e| {
        let href = format!("mailto:{e}");
        view! { <div class="about-item"><dt>"Email"</dt><dd><a href=href>{e}</a></dd></div> }
    });
    let name = name.map(|n| view! { <div class="about-item"><dt>"Name"</dt><dd>{n}</dd></div> });
    Some(view! {
        <section class="card">
            <h2>"Profile"</h2>
            <dl class="about">{name}{email}</dl>
        </section>
    })
}

fn location_card(spec: &Value) -> impl IntoView + use<> {
    let mut targets: Vec<String> = spec.get("target").and_then(Value::as_str).map(str::to_owned).into_iter().collect();
    if let Some(list) = spec.get("targets").and_then(Value::as_array) {
        targets.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if targets.is_empty() {
        return None;
    }
    let items = targets.into_iter().map(|t| view! { <li><code>{t}</code></li> }).collect_view();
    Some(view! {
        <section class="card">
            <h2>"Targets"</h2>
            <ul class="related-list">{items}</ul>
        </section>
    })
}

/// One parameter of a template step, for the overview.
struct Parameter {
    name: String,
    title: String,
    kind: String,
    required: bool,
    description: String,
}

fn parameters_of(step: &Value) -> Vec<Parameter> {
    let required: Vec<&str> = step.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(props) = step.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .map(|(name, p)| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let kind = p
                .get("ui:field")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| match p.get("type") {
                    Some(Value::String(t)) => t.clone(),
                    Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
                    _ if p.get("enum").is_some() => "enum".to_owned(),
                    _ => "any".to_owned(),
                });
            Parameter { name: name.clone(), title: text("title"), kind, required: required.contains(&name.as_str()), description: text("description") }
        })
        .collect()
}

fn template_card(entity: &EntityDetail) -> impl IntoView + use<> {
    let spec = &entity.spec;
    let steps: Vec<Value> = match spec.get("parameters") {
        Some(Value::Array(steps)) => steps.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let sections = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let title = step.get("title").and_then(Value::as_str).map_or_else(|| format!("Step {}", i + 1), str::to_owned);
            let rows = parameters_of(step)
                .into_iter()
                .map(|p| {
                    view! {
                        <tr>
                            <th scope="row"><code>{p.name}</code>{p.required.then(|| view! { <span class="required" title="required">" *"</span> })}</th>
                            <td>{p.title}</td>
                            <td>{p.kind}</td>
                            <td>{p.description}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <h3>{title}</h3>
                <table class="entity-table compact">
                    <thead><tr><th scope="col">"Parameter"</th><th scope="col">"Title"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
        .collect_view();
    let actions = spec
        .get("steps")
        .and_then(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .map(|s| {
                    let name = s.get("name").or_else(|| s.get("id")).and_then(Value::as_str).unwrap_or("step").to_owned();
                    let action = s.get("action").and_then(Value::as_str).unwrap_or("?").to_owned();
                    view! { <li>{name} " " <code>{action}</code></li> }
                })
                .collect_view()
        });
    let s = &entity.summary;
    let choose = format!(
        "/create/templates/{}/{}",
        super::encode_path_segment(&s.namespace),
        super::encode_path_segment(&s.name)
    );
    view! {
        <section class="card">
            <h2>"Template"</h2>
            <p><a class="button" href=choose>"Choose this template"</a></p>
            {sections}
            <h3>"Steps"</h3>
            <ol class="related-list">{actions}</ol>
        </section>
    }
}
