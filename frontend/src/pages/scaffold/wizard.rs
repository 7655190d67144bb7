//! A template's wizard: the step indicator, the current step's form (or
//! the review), the error summary, and the buttons that move between steps.
//! Every move is a POST of the one form, so it works with JavaScript off.

use leptos::prelude::*;
use portolan_catalog::template::form_post::{GO, SHOWN, STATE, STEP};
use portolan_catalog::template::{FieldError, WizardGo};
use serde_json::Value;

use super::inputs::{InputContext, field_view, input_id};
use super::review::review;
use super::{WizardView, template_href};

/// The `id` of the wizard's form, which buttons outside it (the step indicator) name.
const FORM_ID: &str = "wizard";

/// The wizard page content.
#[component]
pub fn WizardPage(
    /// What to show.
    view: WizardView,
) -> impl IntoView {
    let steps = view.form.steps.len();
    let step = view.step.min(steps);
    let action = template_href(&view.template);
    let state = serde_json::to_string(&Value::Object(view.values.clone())).unwrap_or_else(|_| "{}".to_owned());
    let title = view.template.display_name().to_owned();
    let description = view.template.description.clone().filter(|d| !d.trim().is_empty()).map(|d| view! { <p class="lede">{d}</p> });
    let problem = view.problem.clone().map(|p| view! { <p class="notice notice-error" role="alert">{p}</p> });
    let indicator = indicator(&view, step);
    let (body, shown) = if step < steps { step_body(&view, step) } else { (review(&view), String::new()) };
    let summary = error_summary(&view, step);
    let shown_field = (step < steps).then(|| view! { <input type="hidden" name=SHOWN value=shown /> });
    view! {
        <div class="page-head">
            <p class="eyebrow"><a href="/create">"Create"</a></p>
            <h1>{title}</h1>
            {description}
        </div>
        {indicator}
        {problem}
        {summary}
        <form class="card wizard-form" id=FORM_ID method="post" action=action>
            <crate::viewer::CsrfField />
            <input type="hidden" name=STEP value=step.to_string() />
            <input type="hidden" name=STATE value=state />
            {shown_field}
            {body}
        </form>
    }
}

/// The list of steps, the current one marked; earlier steps are buttons that go back to them.
fn indicator(view: &WizardView, step: usize) -> impl IntoView + use<> {
    let steps = view.form.steps.len();
    let titles = view.form.steps.iter().map(|s| s.title.clone()).chain(std::iter::once("Review".to_owned()));
    let items = titles
        .enumerate()
        .map(|(i, t)| {
            let current = (i == step).then_some("step");
            let class = if i < step { "wizard-step done" } else if i == step { "wizard-step current" } else { "wizard-step" };
            let number = format!("{}", i + 1);
            let label = if i < step && i < steps {
                view! { <button type="submit" form=FORM_ID name=GO value=WizardGo::Edit(i).value() formnovalidate=true class="wizard-step-link">{t}</button> }.into_any()
            } else {
                view! { <span>{t}</span> }.into_any()
            };
            view! { <li class=class aria-current=current><span class="wizard-step-number" aria-hidden="true">{number}</span>{label}</li> }
        })
        .collect_view();
    view! { <nav aria-label="Steps"><ol class="wizard-steps">{items}</ol></nav> }
}

/// The fields of the current step and its buttons, and the paths of the fields shown.
fn step_body(view: &WizardView, step: usize) -> (AnyView, String) {
    let Some(current) = view.form.steps.get(step) else { return (().into_any(), String::new()) };
    let fields = current.visible_fields(&view.values);
    let shown = fields.iter().map(|f| f.path.clone()).collect::<Vec<_>>().join(",");
    let ctx = InputContext { errors: &view.errors, options: &view.options };
    let inputs = fields.iter().map(|f| field_view(f, view.values.get(&f.name), &ctx)).collect_view();
    let last = step + 1 == view.form.steps.len();
    let next = if last { view.labels.review.clone() } else { "Next".to_owned() };
    let refresh = current.has_conditions().then(|| {
        view! { <button type="submit" name=GO value=WizardGo::Refresh.value() formnovalidate=true class="button-secondary">"Update form"</button> }
    });
    let back = (step > 0).then(|| {
        view! { <button type="submit" name=GO value=WizardGo::Back.value() formnovalidate=true class="button-secondary">{view.labels.back.clone()}</button> }
    });
    let description = current.description.clone().filter(|d| !d.trim().is_empty()).map(|d| view! { <p class="step-description">{d}</p> });
    let required_note = fields.iter().any(|f| f.required).then(|| view! { <p class="muted field-help">"Fields marked " <span class="required">"*"</span> " are required."</p> });
    let condition_note = current.has_conditions().then(|| view! { <p class="muted field-help">"Some answers add more fields; “Update form” shows them without moving on."</p> });
    let body = view! {
        <h2>{current.title.clone()}</h2>
        {description}
        {required_note}
        <div class="wizard-fields">{inputs}</div>
        {condition_note}
        <div class="wizard-actions">
            <button type="submit" name=GO value=WizardGo::Next.value()>{next}</button>
            {refresh}
            {back}
        </div>
    };
    (body.into_any(), shown)
}

/// The errors at the top, each linking to its field when the field is on this page.
fn error_summary(view: &WizardView, step: usize) -> Option<impl IntoView + use<>> {
    if view.errors.is_empty() {
        return None;
    }
    let on_page: Vec<String> = view.form.steps.get(step).map(|s| visible_paths(s.visible_fields(&view.values))).unwrap_or_default();
    let count = view.errors.len();
    let items = view
        .errors
        .iter()
        .map(|e| {
            let label = label_of(view, e);
            let text = format!("{label}: {}", e.message);
            if on_page.contains(&e.path) {
                view! { <li><a href=format!("#{}", input_id(&e.path))>{text}</a></li> }.into_any()
            } else {
                view! { <li>{text}</li> }.into_any()
            }
        })
        .collect_view();
    let heading = if count == 1 { "There is a problem".to_owned() } else { format!("There are {count} problems") };
    Some(view! {
        <div class="notice notice-error error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title">
            <h2 id="error-summary-title">{heading}</h2>
            <ul>{items}</ul>
        </div>
    })
}

fn visible_paths(fields: Vec<portolan_catalog::template::Field>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = fields;
    while let Some(f) = stack.pop() {
        out.push(f.path.clone());
        stack.extend(f.children().iter().cloned());
    }
    out
}

/// The label of the field an error is on, found in any step; the path when none has it.
fn label_of(view: &WizardView, e: &FieldError) -> String {
    view.form
        .steps
        .iter()
        .flat_map(|s| s.all_fields())
        .flat_map(|f| std::iter::once(f).chain(f.children().iter()))
        .find(|f| f.path == e.path)
        .map_or_else(|| e.path.clone(), |f| f.label().to_owned())
}
