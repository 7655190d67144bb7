//! The template form as plain HTML forms post it, so that the wizard works
//! without scripts and the page and the server name fields the same way.
//!
//! Every field is posted as `p.<path>` (`p.name`, `p.address.city`), by the
//! control [`Field::control`] picks: booleans as a hidden `false` followed by a
//! checkbox `true`; arrays of scalars one item per line; arrays of enum values
//! as repeated checkboxes; `EntityTagsPicker` comma- or space-separated;
//! `RepoUrlPicker` as `p.<path>.host`, `.owner` and `.repo`; anything else as JSON.
//! A wizard post also carries [`STEP`], [`STATE`], [`GO`] and [`SHOWN`].

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::field::{Control, Field, FieldKind, value_label};
use super::repo_url::RepoUrl;
use super::validate::FieldError;
use super::{FormStep, TemplateForm};

/// Prefix of every field's input name.
pub const FIELD_PREFIX: &str = "p.";
/// Hidden input: index of the step being submitted; the number of steps means the review.
pub const STEP: &str = "_step";
/// Hidden input: JSON object of every value entered so far.
pub const STATE: &str = "_state";
/// The submit button's name: `next`, `back`, `refresh`, `review-edit:<n>` or `create`.
pub const GO: &str = "_go";
/// Hidden input: comma-separated paths of the fields the page showed, to notice fields a change revealed.
pub const SHOWN: &str = "_shown";
/// The parts of a `RepoUrlPicker`, suffixes of its input name.
pub const REPO_PARTS: [&str; 3] = ["host", "owner", "repo"];

/// The input name of `field`, e.g. `p.address.city`.
pub fn input_name(field: &Field) -> String {
    format!("{FIELD_PREFIX}{}", field.path)
}

/// How an enum value is written as an option's `value`: strings as they are, others as JSON.
pub fn enum_input_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The text an input shows for `value`, so that posting it back gives the same value.
pub fn input_text(field: &Field, value: Option<&Value>) -> String {
    let Some(value) = value.filter(|v| !v.is_null()) else { return String::new() };
    let items = |sep: &str| match value {
        Value::Array(list) => list.iter().map(value_label).collect::<Vec<_>>().join(sep),
        other => value_label(other),
    };
    match field.control() {
        Control::Lines | Control::MultiPicker => items("\n"),
        Control::Tags => items(", "),
        Control::Json => serde_json::to_string_pretty(value).unwrap_or_default(),
        Control::Hidden if !value.is_string() => value.to_string(),
        _ => value_label(value),
    }
}

/// Reads the posted values of one step's fields, coerced to the JSON types the
/// schema asks for (`"8080"` → `8080`). An unparsable number stays a string, so
/// that validation reports `type`; an empty input gives no value at all.
pub fn read_step(step: &FormStep, pairs: &[(String, String)]) -> Map<String, Value> {
    let posted = collect(pairs);
    let mut first = Map::new();
    for f in step.all_fields() {
        if let Some(v) = read_field(f, &posted) {
            first.insert(f.name.clone(), v);
        }
    }
    let mut values = Map::new();
    for f in step.visible_fields(&first) {
        if let Some(v) = read_field(&f, &posted) {
            values.insert(f.name.clone(), v);
        }
    }
    values
}

fn collect(pairs: &[(String, String)]) -> BTreeMap<&str, Vec<&str>> {
    let mut posted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs {
        if k.starts_with(FIELD_PREFIX) {
            posted.entry(k.as_str()).or_default().push(v.as_str());
        }
    }
    posted
}

fn read_field(field: &Field, posted: &BTreeMap<&str, Vec<&str>>) -> Option<Value> {
    let name = input_name(field);
    let all: Vec<&str> = posted.get(name.as_str()).cloned().unwrap_or_default();
    let last = all.last().copied().filter(|s| !s.is_empty());
    match field.control() {
        Control::Checkbox => (!all.is_empty()).then(|| Value::Bool(all.iter().any(|v| *v == "true" || *v == "on"))),
        Control::Text | Control::Textarea | Control::Password | Control::Picker => last.map(|s| coerce(field, s)),
        Control::Number | Control::Select | Control::Radio | Control::Hidden => last.map(|s| coerce(field, s)),
        Control::Checkboxes => {
            let items = match &field.kind {
                FieldKind::Array { items, .. } => items,
                _ => return None,
            };
            let list: Vec<Value> = all.iter().filter(|s| !s.is_empty()).map(|s| coerce(items, s)).collect();
            (!list.is_empty()).then_some(Value::Array(list))
        }
        Control::Lines | Control::MultiPicker => {
            let list: Vec<Value> = all
                .iter()
                .flat_map(|s| s.lines())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| match &field.kind {
                    FieldKind::Array { items, .. } => coerce(items, s),
                    _ => Value::String(s.to_owned()),
                })
                .collect();
            (!list.is_empty()).then_some(Value::Array(list))
        }
        Control::Tags => {
            let list: Vec<Value> = all.iter().flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace())).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_owned())).collect();
            (!list.is_empty()).then_some(Value::Array(list))
        }
        Control::RepoUrl => {
            let part = |p: &str| posted.get(format!("{name}.{p}").as_str()).and_then(|v| v.last()).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            let (host, owner, repo) = (part("host"), part("owner"), part("repo"));
            if host.is_none() && owner.is_none() && repo.is_none() {
                return None;
            }
            Some(Value::String(RepoUrl { host: host.unwrap_or_default(), owner, repo, ..RepoUrl::default() }.to_value()))
        }
        Control::Json => last.map(|s| serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))),
        Control::Group => {
            let mut map = Map::new();
            for child in field.children() {
                if let Some(v) = read_field(child, posted) {
                    map.insert(child.name.clone(), v);
                }
            }
            (!map.is_empty()).then_some(Value::Object(map))
        }
    }
}

/// One posted string as the field's type; what does not parse stays a string.
fn coerce(field: &Field, text: &str) -> Value {
    let keep = || Value::String(text.to_owned());
    match &field.kind {
        FieldKind::Integer(_) => {
            let t = text.trim();
            t.parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| t.parse::<f64>().ok().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15).map(|n| Value::from(n as i64)))
                .or_else(|| t.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number))
                .unwrap_or_else(keep)
        }
        FieldKind::Number(_) => {
            let t = text.trim();
            t.parse::<i64>().map(Value::from).ok().or_else(|| t.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)).unwrap_or_else(keep)
        }
        FieldKind::Boolean => match text {
            "true" | "on" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => keep(),
        },
        FieldKind::Enum { values, .. } => values.iter().find(|v| enum_input_value(v) == text).cloned().unwrap_or_else(keep),
        FieldKind::Array { .. } | FieldKind::Object { .. } => serde_json::from_str(text).unwrap_or_else(|_| keep()),
        FieldKind::String { .. } => keep(),
    }
}

/// Where the wizard's button asks to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardGo {
    /// Check this step and go on (also what Enter in a text input does).
    Next,
    /// Keep what was typed and go back a step, without checking.
    Back,
    /// Show this step again (fields a change reveals appear).
    Refresh,
    /// From the review: edit step `n`.
    Edit(usize),
    /// From the review: start the task.
    Create,
}

impl WizardGo {
    /// The button value that asks for this, e.g. `review-edit:1`.
    pub fn value(self) -> String {
        match self {
            WizardGo::Next => "next".to_owned(),
            WizardGo::Back => "back".to_owned(),
            WizardGo::Refresh => "refresh".to_owned(),
            WizardGo::Edit(n) => format!("review-edit:{n}"),
            WizardGo::Create => "create".to_owned(),
        }
    }

    fn parse(value: &str) -> WizardGo {
        match value {
            "back" => WizardGo::Back,
            "refresh" => WizardGo::Refresh,
            "create" => WizardGo::Create,
            other => other.strip_prefix("review-edit:").and_then(|n| n.parse().ok()).map_or(WizardGo::Next, WizardGo::Edit),
        }
    }
}

/// One submission of the wizard, read.
#[derive(Debug, Clone, PartialEq)]
pub struct WizardPost {
    /// The step that was submitted (the number of steps for the review).
    pub step: usize,
    /// The button pressed.
    pub go: WizardGo,
    /// `_state` with this step's fields replaced by what was posted (a field
    /// absent from the post is removed, so unchecking and clearing work).
    pub values: Map<String, Value>,
    /// Whether fields are visible now that the page did not show (per [`SHOWN`]):
    /// the user should see them before going on.
    pub revealed: bool,
}

/// What the server should do with a wizard post.
#[derive(Debug, Clone, PartialEq)]
pub enum WizardOutcome {
    /// Render step `step` (the review when it equals the number of steps) with these errors.
    Show {
        /// Which step.
        step: usize,
        /// Problems to show on it.
        errors: Vec<FieldError>,
    },
    /// Every step is valid: start a task with these values (defaults filled in).
    Create {
        /// The task's parameters.
        values: Map<String, Value>,
    },
}

/// Reads a wizard post. A broken `_state` counts as empty, an unknown step as the first.
pub fn read_wizard_post(form: &TemplateForm, pairs: &[(String, String)]) -> WizardPost {
    let last = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let step = last(STEP).and_then(|s| s.trim().parse::<usize>().ok()).filter(|s| *s <= form.steps.len()).unwrap_or(0);
    let go = last(GO).map_or(WizardGo::Next, WizardGo::parse);
    let mut values = last(STATE).and_then(|s| serde_json::from_str::<Value>(s).ok()).and_then(|v| match v {
        Value::Object(map) => Some(map),
        _ => None,
    }).unwrap_or_default();
    let mut revealed = false;
    if let Some(current) = form.steps.get(step) {
        for f in current.all_fields() {
            values.remove(&f.name);
        }
        values.extend(read_step(current, pairs));
        if let Some(shown) = last(SHOWN) {
            let shown: Vec<&str> = shown.split(',').map(str::trim).collect();
            revealed = current.visible_fields(&values).iter().any(|f| f.ui.widget.as_deref() != Some("hidden") && !shown.contains(&f.path.as_str()));
        }
    }
    WizardPost { step, go, values, revealed }
}

impl WizardPost {
    /// Decides where the wizard goes: Back and Edit without checks, Next after
    /// checking this step, Create after checking every step with defaults filled in.
    pub fn outcome(&self, form: &TemplateForm) -> WizardOutcome {
        let review = form.steps.len();
        let show = |step: usize, errors: Vec<FieldError>| WizardOutcome::Show { step, errors };
        match self.go {
            WizardGo::Back => show(self.step.saturating_sub(1), Vec::new()),
            WizardGo::Refresh => show(self.step, Vec::new()),
            WizardGo::Edit(n) => show(n.min(review), Vec::new()),
            WizardGo::Next => match form.steps.get(self.step) {
                None => show(review, Vec::new()),
                Some(_) if self.revealed => show(self.step, Vec::new()),
                Some(s) => {
                    let errors = s.validate(&self.values);
                    if errors.is_empty() { show(self.step + 1, errors) } else { show(self.step, errors) }
                }
            },
            WizardGo::Create => {
                let values = form.with_defaults(&self.values);
                let errors = form.validate(&values);
                if errors.is_empty() {
                    WizardOutcome::Create { values }
                } else {
                    show(form.step_of(&errors).unwrap_or(review), errors)
                }
            }
        }
    }
}
