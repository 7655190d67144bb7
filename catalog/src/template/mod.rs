//! A scaffolder template's form: Backstage v1beta3 `spec.parameters` (one
//! JSON Schema object or a list of them, one per wizard step) read into
//! fields the portal can show, and the rules those fields check.
//!
//! The page that renders the wizard and the server that starts tasks both
//! use this module, so the form, the HTML post protocol ([`form_post`]) and
//! the validation of `POST /api/scaffolder/v2/tasks` agree. Pure: no I/O.

pub mod field;
pub mod form_post;
pub mod picker;
pub mod repo_url;
mod schema;
pub mod step;
pub mod validate;

use serde_json::{Map, Value};

pub use field::{Bounds, Control, Field, FieldKind, FieldUi, Pattern, value_label};
pub use form_post::{WizardGo, WizardOutcome, WizardPost, read_step, read_wizard_post};
pub use picker::PickerQuery;
pub use repo_url::RepoUrl;
pub use step::FormStep;
pub use validate::{FieldError, is_missing};

/// Something in a template's parameters this module could not fully use; the
/// form still works, and the template author should hear about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// Where, e.g. `spec.parameters[1].properties.port.type`.
    pub path: String,
    /// What, e.g. `"date" is not a JSON Schema type; shown as text`.
    pub message: String,
}

impl SchemaProblem {
    pub(crate) fn new(path: &str, message: &str) -> SchemaProblem {
        SchemaProblem { path: path.to_owned(), message: message.to_owned() }
    }
}

/// The whole form of a template: its wizard steps in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateForm {
    /// The steps; none when the template takes no parameters.
    pub steps: Vec<FormStep>,
}

impl TemplateForm {
    /// Reads `spec.parameters`. Lenient, because a template written for
    /// Backstage should still be usable here: a schema we can't fully understand
    /// still gives fields (an unknown type is shown as text), and what was not
    /// understood comes back as problems with their place in the template.
    pub fn from_parameters(parameters: Option<&Value>) -> (TemplateForm, Vec<SchemaProblem>) {
        let mut problems = Vec::new();
        let steps = match parameters {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .filter_map(|(i, schema)| {
                    let at = format!("spec.parameters[{i}]");
                    if let Some(key) = unresolved_placeholder(schema) {
                        problems.push(SchemaProblem::new(&at, &format!("is an unresolved {key} reference; the step is left out")));
                        None
                    } else if schema.is_object() {
                        Some(FormStep::parse(schema, i, &at, &mut problems))
                    } else {
                        problems.push(SchemaProblem::new(&at, "is not a schema object; the step is left out"));
                        None
                    }
                })
                .collect(),
            Some(schema @ Value::Object(_)) => vec![FormStep::parse(schema, 0, "spec.parameters", &mut problems)],
            Some(_) => {
                problems.push(SchemaProblem::new("spec.parameters", "is neither a schema object nor a list of them"));
                Vec::new()
            }
        };
        (TemplateForm { steps }, problems)
    }

    /// Checks the values against every step, the way `POST /api/scaffolder/v2/tasks`
    /// must before starting a task (Backstage answers 400 with these errors).
    pub fn validate(&self, values: &Map<String, Value>) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = Vec::new();
        for step in &self.steps {
            for e in step.validate(values) {
                if !errors.iter().any(|seen| seen.property == e.property && seen.name == e.name) {
                    errors.push(e);
                }
            }
        }
        errors
    }

    /// The index of the first step that has one of `errors`, for sending the user back to it.
    pub fn step_of(&self, errors: &[FieldError]) -> Option<usize> {
        self.steps.iter().position(|s| {
            let names: Vec<String> = s.all_fields().iter().map(|f| f.name.clone()).collect();
            errors.iter().any(|e| names.iter().any(|n| e.path == *n || e.path.starts_with(&format!("{n}."))))
        })
    }

    /// The values with schema defaults filled in where the user gave none,
    /// as Backstage's form submits them.
    pub fn with_defaults(&self, values: &Map<String, Value>) -> Map<String, Value> {
        let mut out = values.clone();
        for step in &self.steps {
            // Twice: a default can switch on a condition whose fields have defaults too.
            for _ in 0..2 {
                for f in step.visible_fields(&out) {
                    fill_default(&f, &mut out);
                }
            }
        }
        out
    }
}

/// `$yaml`, `$json` or `$text` when `schema` is still such a placeholder (the
/// catalog could not read what it points at).
fn unresolved_placeholder(schema: &Value) -> Option<&str> {
    let obj = schema.as_object()?;
    let (key, _) = obj.iter().next().filter(|_| obj.len() == 1)?;
    ["$yaml", "$json", "$text"].contains(&key.as_str()).then_some(key.as_str())
}

fn fill_default(field: &Field, values: &mut Map<String, Value>) {
    let current = values.get(&field.name);
    if is_missing(current)
        && let Some(d) = &field.default {
            values.insert(field.name.clone(), d.clone());
            return;
        }
    if let FieldKind::Object { fields } = &field.kind {
        if !fields.iter().any(|c| c.default.is_some() || !c.children().is_empty()) {
            return;
        }
        let mut child = values.get(&field.name).and_then(Value::as_object).cloned().unwrap_or_default();
        if !values.get(&field.name).is_none_or(Value::is_object) {
            return;
        }
        for c in fields {
            fill_default(c, &mut child);
        }
        if !child.is_empty() {
            values.insert(field.name.clone(), Value::Object(child));
        }
    }
}
