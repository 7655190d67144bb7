//! One input per template field, named and shaped the way
//! [`portolan_catalog::template::form_post`] reads it back: labels tied to
//! their inputs, help and errors tied by `aria-describedby`, and the HTML
//! constraints (`required`, `pattern`, `min`, `maxlength`, …) that the
//! browser can check before the server does.

use std::collections::BTreeMap;

use leptos::prelude::*;
use portolan_catalog::template::form_post::{enum_input_value, input_name, input_text};
use portolan_catalog::template::{Bounds, Control, Field, FieldError, FieldKind, RepoUrl};
use serde_json::Value;

use super::PickerOption;
use crate::pages::css_token;

/// What every input needs besides its field: the errors and the pickers' choices.
pub struct InputContext<'a> {
    /// Errors of the submitted values.
    pub errors: &'a [FieldError],
    /// Picker choices per field path.
    pub options: &'a BTreeMap<String, Vec<PickerOption>>,
}

/// The `id` of a field's input, e.g. `f-address-city`.
pub fn input_id(path: &str) -> String {
    format!("f-{}", css_token(path))
}

/// The messages of the errors on `path`, joined.
fn error_text(errors: &[FieldError], path: &str) -> Option<String> {
    let messages: Vec<&str> = errors.iter().filter(|e| e.path == path).map(|e| e.message.as_str()).collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// Ids the input is described by, and the description and error paragraphs.
struct Described {
    ids: Option<String>,
    help: Option<AnyView>,
    error: Option<AnyView>,
    invalid: Option<&'static str>,
}

fn described(field: &Field, id: &str, ctx: &InputContext<'_>) -> Described {
    let help_text: Vec<String> = [field.description.clone(), field.ui.help.clone()].into_iter().flatten().filter(|t| !t.trim().is_empty()).collect();
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let error = error_text(ctx.errors, &field.path);
    let mut ids = Vec::new();
    if !help_text.is_empty() {
        ids.push(help_id.clone());
    }
    if error.is_some() {
        ids.push(error_id.clone());
    }
    Described {
        ids: (!ids.is_empty()).then(|| ids.join(" ")),
        help: (!help_text.is_empty()).then(|| view! { <p class="field-help" id=help_id>{help_text.join(" ")}</p> }.into_any()),
        invalid: error.is_some().then_some("true"),
        error: error.map(|e| view! { <p class="field-error" id=error_id>{e}</p> }.into_any()),
    }
}

fn required_mark(field: &Field) -> Option<AnyView> {
    field.required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> }.into_any())
}

/// The input (or group of inputs) for `field` holding `value` (its default when `None`).
pub fn field_view(field: &Field, value: Option<&Value>, ctx: &InputContext<'_>) -> AnyView {
    let value = value.filter(|v| !v.is_null()).or(field.default.as_ref());
    let id = input_id(&field.path);
    let name = input_name(field);
    let d = described(field, &id, ctx);
    let label = field.label().to_owned();
    let control = field.control();
    let text = input_text(field, value);
    let placeholder = field.ui.placeholder.clone();
    let (required, autofocus) = (field.required, field.ui.autofocus);
    let simple = |input: AnyView, d: Described| {
        view! {
            <div class="field wizard-field">
                <label for=id.clone()>{label.clone()}{required_mark(field)}</label>
                {d.help}
                {input}
                {d.error}
            </div>
        }
        .into_any()
    };
    match control {
        Control::Hidden => view! { <input type="hidden" name=name value=text /> }.into_any(),
        Control::Text | Control::Password | Control::Tags => {
            let (pattern, minlength, maxlength, format) = match &field.kind {
                FieldKind::String { pattern, min_length, max_length, format } => {
                    (pattern.as_ref().and_then(|p| p.html()).map(str::to_owned), min_length.map(|n| n.to_string()), max_length.map(|n| n.to_string()), format.clone())
                }
                _ => (None, None, None, None),
            };
            let kind = match (control, format.as_deref()) {
                (Control::Password, _) => "password",
                (_, Some("email")) => "email",
                (_, Some("uri" | "url")) => "url",
                (_, Some("date")) => "date",
                _ => "text",
            };
            let autocomplete = (control == Control::Password).then_some("off");
            let input = view! {
                <input type=kind id=id.clone() name=name value=text required=required pattern=pattern minlength=minlength
                    maxlength=maxlength placeholder=placeholder autofocus=autofocus autocomplete=autocomplete
                    aria-describedby=d.ids.clone() aria-invalid=d.invalid />
            };
            simple(input.into_any(), d)
        }
        Control::Textarea | Control::Lines | Control::Json => {
            let class = if control == Control::Json { "code-input" } else { "" };
            let hint = match control {
                Control::Lines => Some("One item per line."),
                Control::Json => Some("JSON."),
                _ => None,
            };
            let maxlength = match &field.kind {
                FieldKind::String { max_length, .. } => max_length.map(|n| n.to_string()),
                _ => None,
            };
            let input = view! {
                {hint.map(|h| view! { <p class="field-help muted">{h}</p> })}
                <textarea id=id.clone() name=name rows="4" class=class required=required maxlength=maxlength placeholder=placeholder
                    autofocus=autofocus aria-describedby=d.ids.clone() aria-invalid=d.invalid>{text}</textarea>
            };
            simple(input.into_any(), d)
        }
        Control::Number => {
            let (bounds, step) = match &field.kind {
                FieldKind::Integer(b) => (*b, "1"),
                FieldKind::Number(b) => (*b, "any"),
                _ => (Bounds::default(), "any"),
            };
            let input = view! {
                <input type="number" id=id.clone() name=name value=text step=step min=bounds.minimum.map(|n| n.to_string())
                    max=bounds.maximum.map(|n| n.to_string()) required=required placeholder=placeholder autofocus=autofocus
                    aria-describedby=d.ids.clone() aria-invalid=d.invalid />
            };
            simple(input.into_any(), d)
        }
        Control::Checkbox => {
            let checked = value == Some(&Value::Bool(true));
            view! {
                <div class="field wizard-field field-check">
                    <input type="hidden" name=name.clone() value="false" />
                    <span class="check-line">
                        <input type="checkbox" id=id.clone() name=name value="true" checked=checked autofocus=autofocus
                            aria-describedby=d.ids.clone() aria-invalid=d.invalid />
                        <label for=id.clone()>{label.clone()}</label>
                    </span>
                    {d.help}
                    {d.error}
                </div>
            }
            .into_any()
        }
        Control::Select => {
            let (values, labels) = enum_of(&field.kind);
            let blank = (value.is_none() || !required).then(|| view! { <option value="">"Choose…"</option> });
            let options = values
                .iter()
                .zip(labels)
                .map(|(v, l)| view! { <option value=enum_input_value(v) selected=value == Some(v)>{l.clone()}</option> })
                .collect_view();
            let input = view! {
                <select id=id.clone() name=name required=required autofocus=autofocus aria-describedby=d.ids.clone() aria-invalid=d.invalid>
                    {blank}{options}
                </select>
            };
            simple(input.into_any(), d)
        }
        Control::Radio | Control::Checkboxes => {
            let (values, labels, kind) = match (&field.kind, control) {
                (FieldKind::Array { items, .. }, _) => {
                    let (v, l) = enum_of(&items.kind);
                    (v, l, "checkbox")
                }
                (k, _) => {
                    let (v, l) = enum_of(k);
                    (v, l, "radio")
                }
            };
            let chosen = |v: &Value| match value {
                Some(Value::Array(list)) => list.contains(v),
                Some(one) => one == v,
                None => false,
            };
            let items = values
                .iter()
                .zip(labels)
                .enumerate()
                .map(|(i, (v, l))| {
                    let item_id = format!("{id}-{i}");
                    view! {
                        <span class="check-line">
                            <input type=kind id=item_id.clone() name=name.clone() value=enum_input_value(v) checked=chosen(v)
                                required=required && kind == "radio" aria-describedby=d.ids.clone() />
                            <label for=item_id>{l.clone()}</label>
                        </span>
                    }
                })
                .collect_view();
            group(field, &id, d, items.into_any())
        }
        Control::Picker | Control::MultiPicker => picker(field, &id, &name, value, d, ctx),
        Control::RepoUrl => repo_url(field, &id, &name, value, d),
        Control::Group => {
            let map = value.and_then(Value::as_object);
            let children = field.children().iter().map(|c| field_view(c, map.and_then(|m| m.get(&c.name)), ctx)).collect_view();
            group(field, &id, d, children.into_any())
        }
    }
}

fn enum_of(kind: &FieldKind) -> (&[Value], &[String]) {
    match kind {
        FieldKind::Enum { values, labels } => (values, labels),
        _ => (&[], &[]),
    }
}

/// A `<fieldset>` for fields entered through several inputs.
fn group(field: &Field, id: &str, d: Described, inputs: AnyView) -> AnyView {
    view! {
        <fieldset class="field-group" id=id.to_owned() aria-describedby=d.ids.clone()>
            <legend>{field.label().to_owned()}{required_mark(field)}</legend>
            {d.help}
            <div class="field-group-inputs">{inputs}</div>
            {d.error}
        </fieldset>
    }
    .into_any()
}

fn picker(field: &Field, id: &str, name: &str, value: Option<&Value>, d: Described, ctx: &InputContext<'_>) -> AnyView {
    let choices = ctx.options.get(&field.path).cloned().unwrap_or_default();
    let label = field.label().to_owned();
    let multiple = field.control() == Control::MultiPicker;
    let strict = field.ui.options.get("allowArbitraryValues").and_then(Value::as_bool) == Some(false);
    let current: Vec<String> = match value {
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let input = if !choices.is_empty() && (strict || multiple) {
        let blank = (!multiple).then(|| view! { <option value="">"Choose…"</option> });
        let options = choices
            .iter()
            .map(|o| view! { <option value=o.value.clone() selected=current.contains(&o.value)>{o.label.clone()}</option> })
            .collect_view();
        view! {
            <select id=id.to_owned() name=name.to_owned() multiple=multiple required=field.required autofocus=field.ui.autofocus
                aria-describedby=d.ids.clone() aria-invalid=d.invalid>{blank}{options}</select>
        }
        .into_any()
    } else if multiple {
        view! {
            <p class="field-help muted">"Entity references, one per line."</p>
            <textarea id=id.to_owned() name=name.to_owned() rows="3" required=field.required aria-describedby=d.ids.clone()
                aria-invalid=d.invalid>{current.join("\n")}</textarea>
        }
        .into_any()
    } else {
        let list_id = format!("{id}-choices");
        let options = choices.iter().map(|o| view! { <option value=o.value.clone()>{o.label.clone()}</option> }).collect_view();
        view! {
            <input type="text" id=id.to_owned() name=name.to_owned() value=current.join("") list=list_id.clone() autocomplete="off"
                required=field.required autofocus=field.ui.autofocus placeholder=field.ui.placeholder.clone()
                aria-describedby=d.ids.clone() aria-invalid=d.invalid />
            <datalist id=list_id>{options}</datalist>
        }
        .into_any()
    };
    view! {
        <div class="field wizard-field">
            <label for=id.to_owned()>{label}{required_mark(field)}</label>
            {d.help}
            {input}
            {d.error}
        </div>
    }
    .into_any()
}

fn repo_url(field: &Field, id: &str, name: &str, value: Option<&Value>, d: Described) -> AnyView {
    let current = value.and_then(Value::as_str).and_then(RepoUrl::parse).unwrap_or_default();
    let part = |key: &str, label: &'static str, allowed: Vec<String>, got: String| {
        let part_id = format!("{id}-{key}");
        let part_name = format!("{name}.{key}");
        let input = if allowed.is_empty() {
            view! { <input type="text" id=part_id.clone() name=part_name value=got required=field.required aria-describedby=d.ids.clone() aria-invalid=d.invalid /> }.into_any()
        } else {
            let options = allowed.iter().map(|a| view! { <option value=a.clone() selected=*a == got>{a.clone()}</option> }).collect_view();
            view! { <select id=part_id.clone() name=part_name required=field.required aria-describedby=d.ids.clone() aria-invalid=d.invalid>{options}</select> }.into_any()
        };
        view! { <div class="field repo-part"><label for=part_id>{label}</label>{input}</div> }
    };
    let inputs = view! {
        {part("host", "Host", field.ui.strings("allowedHosts"), current.host.clone())}
        {part("owner", "Owner", field.ui.strings("allowedOwners"), current.owner.clone().unwrap_or_default())}
        {part("repo", "Repository", field.ui.strings("allowedRepos"), current.repo.clone().unwrap_or_default())}
    };
    group(field, id, d, inputs.into_any())
}
