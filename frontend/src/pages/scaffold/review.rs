//! The wizard's last step: every value per step, secrets masked and
//! `ui:backstage.review.show: false` left out, an Edit button per step, and Create.

use leptos::prelude::*;
use portolan_catalog::template::{Control, Field, FieldKind, RepoUrl, WizardGo, is_missing, value_label};
use portolan_catalog::template::form_post::GO;
use serde_json::Value;

use super::WizardView;

/// What the review shows for a secret without a mask of its own.
pub const DEFAULT_MASK: &str = "******";

/// The review: a table per step, then the buttons.
pub fn review(view: &WizardView) -> AnyView {
    let steps = view.form.steps.len();
    let sections = view
        .form
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut rows = Vec::new();
            for f in step.visible_fields(&view.values) {
                rows_for(&f, view.values.get(&f.name), f.label().to_owned(), view, &mut rows);
            }
            let heading_id = format!("review-step-{i}");
            let edit_label = format!("Edit {}", step.title);
            let table = if rows.is_empty() {
                view! { <p class="muted">"Nothing to fill in here."</p> }.into_any()
            } else {
                let body = rows.into_iter().map(|(label, value)| view! { <tr><th scope="row">{label}</th><td>{value}</td></tr> }).collect_view();
                view! { <table class="kv-table review-table" aria-labelledby=heading_id.clone()><tbody>{body}</tbody></table> }.into_any()
            };
            view! {
                <section class="review-step">
                    <div class="review-step-head">
                        <h3 id=heading_id>{step.title.clone()}</h3>
                        <button type="submit" name=GO value=WizardGo::Edit(i).value() formnovalidate=true class="button-secondary" aria-label=edit_label>"Edit"</button>
                    </div>
                    {table}
                </section>
            }
        })
        .collect_view();
    let none = (steps == 0).then(|| view! { <p>"This template asks for nothing: create it when you are ready."</p> });
    let back = (steps > 0).then(|| {
        view! { <button type="submit" name=GO value=WizardGo::Back.value() formnovalidate=true class="button-secondary">{view.labels.back.clone()}</button> }
    });
    view! {
        <h2>"Review"</h2>
        <p class="muted">"Check what you entered; nothing is created until you press " {view.labels.create.clone()} "."</p>
        {none}
        {sections}
        <div class="wizard-actions">
            <button type="submit" name=GO value=WizardGo::Create.value()>{view.labels.create.clone()}</button>
            {back}
        </div>
    }
    .into_any()
}

/// The review rows of one field (several for an object's properties).
fn rows_for(field: &Field, value: Option<&Value>, label: String, view: &WizardView, rows: &mut Vec<(String, AnyView)>) {
    if !field.ui.review_show || field.control() == Control::Hidden {
        return;
    }
    if field.control() == Control::Group && !is_missing(value) {
        let map = value.and_then(Value::as_object);
        for c in field.children() {
            rows_for(c, map.and_then(|m| m.get(&c.name)), format!("{label} › {}", c.label()), view, rows);
        }
        return;
    }
    let shown = match value {
        v if is_missing(v) => view! { <span class="muted" aria-label="none">"—"</span> }.into_any(),
        Some(_) if field.is_secret() => {
            let mask = field.ui.review_mask.clone().unwrap_or_else(|| DEFAULT_MASK.to_owned());
            view! { <span class="masked" aria-label="hidden">{mask}</span> }.into_any()
        }
        Some(v) => display(field, v, view).into_any(),
        None => ().into_any(),
    };
    rows.push((label, shown));
}

/// A value as the review shows it: labels for enums and picked entities, Yes/No, lists joined.
fn display(field: &Field, value: &Value, view: &WizardView) -> String {
    match (&field.kind, value) {
        (FieldKind::Boolean, Value::Bool(b)) => if *b { "Yes" } else { "No" }.to_owned(),
        (FieldKind::Enum { values, labels }, v) => values.iter().position(|x| x == v).and_then(|i| labels.get(i)).cloned().unwrap_or_else(|| value_label(v)),
        (FieldKind::Array { items, .. }, Value::Array(list)) => list.iter().map(|v| display(items, v, view)).collect::<Vec<_>>().join(", "),
        (_, Value::String(s)) if field.control() == Control::RepoUrl => match RepoUrl::parse(s) {
            Some(u) => [Some(u.host), u.owner, u.repo].into_iter().flatten().collect::<Vec<_>>().join("/"),
            None => s.clone(),
        },
        (_, Value::String(s)) if matches!(field.control(), Control::Picker | Control::MultiPicker) => {
            match view.options.get(&field.path).and_then(|o| o.iter().find(|o| o.value == *s)) {
                Some(o) if o.label != o.value => format!("{} ({})", o.label, o.value),
                _ => s.clone(),
            }
        }
        (_, v) => value_label(v),
    }
}
