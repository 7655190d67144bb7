//! One form field read from a JSON Schema property, with the rjsf `ui:*`
//! keys Backstage templates write inline. Reading is lenient: whatever a
//! template says, a field comes out, and what could not be understood is a
//! [`SchemaProblem`].

use regex::Regex;
use serde_json::{Map, Value};

/// A property of a template step, the unit the form shows and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The property's key in its object, e.g. `city`.
    pub name: String,
    /// Dotted path from the step's root, e.g. `address.city`; the key of its value and of its errors.
    pub path: String,
    /// `title`, the label to show.
    pub title: Option<String>,
    /// `description`, shown under the label.
    pub description: Option<String>,
    /// The value's type and constraints.
    pub kind: FieldKind,
    /// Whether a value must be given (for the values it was computed for, see [`super::FormStep::visible_fields`]).
    pub required: bool,
    /// `default`, filled in when the user gives nothing.
    pub default: Option<Value>,
    /// `const`: the only value allowed.
    pub constant: Option<Value>,
    /// The rjsf presentation keys.
    pub ui: FieldUi,
    /// The property's schema as written, for Backstage-style error bodies.
    pub schema: Value,
}

/// What kind of value a field holds, with the JSON Schema constraints that apply to it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// `type: string`.
    String {
        /// `pattern`, a regular expression the text must contain a match of.
        pattern: Option<Pattern>,
        /// `minLength`, in characters.
        min_length: Option<u64>,
        /// `maxLength`, in characters.
        max_length: Option<u64>,
        /// `format`, e.g. `email`, `date`, `uri`.
        format: Option<String>,
    },
    /// `type: number`.
    Number(Bounds),
    /// `type: integer`.
    Integer(Bounds),
    /// `type: boolean`.
    Boolean,
    /// `enum` (or `oneOf` of `const`s): one of a fixed list.
    Enum {
        /// The allowed values.
        values: Vec<Value>,
        /// What to show for each (`enumNames`, or the value itself).
        labels: Vec<String>,
    },
    /// `type: array`.
    Array {
        /// The schema every item follows.
        items: Box<Field>,
        /// `minItems`.
        min_items: Option<u64>,
        /// `maxItems`.
        max_items: Option<u64>,
        /// `uniqueItems`.
        unique_items: bool,
    },
    /// `type: object`; no fields means free-form JSON.
    Object {
        /// Its properties.
        fields: Vec<Field>,
    },
}

/// Numeric limits of a number or integer field.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bounds {
    /// `minimum`, inclusive.
    pub minimum: Option<f64>,
    /// `maximum`, inclusive.
    pub maximum: Option<f64>,
    /// `exclusiveMinimum` (draft 6 number, or draft 4 `true` with `minimum`).
    pub exclusive_minimum: Option<f64>,
    /// `exclusiveMaximum`.
    pub exclusive_maximum: Option<f64>,
}

/// A `pattern` with its compiled form; `None` when Rust's regex engine can't read it.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The expression as written in the template.
    pub source: String,
    regex: Option<Regex>,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Pattern {
    /// Compiles `source`; a bad expression gives a pattern that checks nothing.
    pub fn new(source: &str) -> (Pattern, Option<String>) {
        match Regex::new(source) {
            Ok(regex) => (Pattern { source: source.to_owned(), regex: Some(regex) }, None),
            Err(e) => (Pattern { source: source.to_owned(), regex: None }, Some(e.to_string())),
        }
    }

    /// Whether `text` contains a match, `None` when the pattern could not be compiled.
    pub fn is_match(&self, text: &str) -> Option<bool> {
        self.regex.as_ref().map(|r| r.is_match(text))
    }

    /// The pattern for an HTML `pattern` attribute, only when it is anchored at
    /// both ends (HTML always anchors, JSON Schema never does) and compiled here.
    pub fn html(&self) -> Option<&str> {
        let anchored = self.source.starts_with('^') && self.source.ends_with('$') && !self.source.ends_with("\\$");
        (anchored && self.regex.is_some()).then_some(self.source.as_str())
    }
}

/// The rjsf keys of a property (`ui:widget`, `ui:field`, `ui:options`, …).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldUi {
    /// `ui:widget`: `textarea`, `password`, `radio`, `hidden`, …
    pub widget: Option<String>,
    /// `ui:field`: `OwnerPicker`, `RepoUrlPicker`, `EntityTagsPicker`, …
    pub field: Option<String>,
    /// `ui:help`.
    pub help: Option<String>,
    /// `ui:placeholder`.
    pub placeholder: Option<String>,
    /// `ui:autofocus`.
    pub autofocus: bool,
    /// `ui:backstage.review.show` (true unless set to false).
    pub review_show: bool,
    /// `ui:backstage.review.mask`: what the review step shows instead of the value.
    pub review_mask: Option<String>,
    /// `ui:options` as written.
    pub options: Map<String, Value>,
}

impl FieldUi {
    /// A `ui:options` entry that is a string or a list of strings, as a list.
    pub fn strings(&self, key: &str) -> Vec<String> {
        string_list(self.options.get(key))
    }
}

/// A string or a list of strings (other items skipped), as a list.
pub(super) fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// How a field is entered in an HTML form; decided here so that the page that
/// renders a form and the server that reads it back agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// One-line text input.
    Text,
    /// Multi-line text.
    Textarea,
    /// Masked text input.
    Password,
    /// Number input.
    Number,
    /// A checkbox with a hidden `false` fallback.
    Checkbox,
    /// A `<select>` over an enum.
    Select,
    /// Radio buttons over an enum.
    Radio,
    /// An array of enum values as checkboxes, each posting its value.
    Checkboxes,
    /// An array of scalars as a textarea, one item per line.
    Lines,
    /// `EntityTagsPicker`: comma- or space-separated words.
    Tags,
    /// An entity reference chosen from a list (`OwnerPicker`, `EntityPicker`, …).
    Picker,
    /// Several entity references, one per line (`MultiEntityPicker`).
    MultiPicker,
    /// `RepoUrlPicker`: host, owner and repository inputs.
    RepoUrl,
    /// Anything else as JSON text.
    Json,
    /// `ui:widget: hidden`: carried, not shown.
    Hidden,
    /// An object with properties: a group of child fields.
    Group,
}

impl Field {
    /// The label to show: the title, or the property name.
    pub fn label(&self) -> &str {
        self.title.as_deref().filter(|t| !t.trim().is_empty()).unwrap_or(&self.name)
    }

    /// Whether the value is a secret the review must not show (`ui:widget: password`,
    /// `ui:field: Secret`, or a review mask).
    pub fn is_secret(&self) -> bool {
        self.ui.widget.as_deref() == Some("password") || self.ui.field.as_deref() == Some("Secret") || self.ui.review_mask.is_some()
    }

    /// The control that enters this field.
    pub fn control(&self) -> Control {
        if self.ui.widget.as_deref() == Some("hidden") {
            return Control::Hidden;
        }
        match self.ui.field.as_deref() {
            Some("RepoUrlPicker") => return Control::RepoUrl,
            Some("EntityTagsPicker") => return Control::Tags,
            Some("MultiEntityPicker") => return Control::MultiPicker,
            Some("OwnerPicker" | "EntityPicker" | "OwnedEntityPicker" | "MyGroupsPicker") if !matches!(self.kind, FieldKind::Array { .. } | FieldKind::Object { .. }) => {
                return Control::Picker;
            }
            Some("Secret") => return Control::Password,
            _ => {}
        }
        match &self.kind {
            FieldKind::String { .. } => match self.ui.widget.as_deref() {
                Some("textarea") => Control::Textarea,
                Some("password") => Control::Password,
                _ => Control::Text,
            },
            FieldKind::Number(_) | FieldKind::Integer(_) => Control::Number,
            FieldKind::Boolean => Control::Checkbox,
            FieldKind::Enum { .. } if self.ui.widget.as_deref() == Some("radio") => Control::Radio,
            FieldKind::Enum { .. } => Control::Select,
            FieldKind::Array { items, .. } => match items.kind {
                FieldKind::Enum { .. } => Control::Checkboxes,
                FieldKind::String { .. } | FieldKind::Number(_) | FieldKind::Integer(_) => Control::Lines,
                _ => Control::Json,
            },
            FieldKind::Object { fields } if !fields.is_empty() => Control::Group,
            FieldKind::Object { .. } => Control::Json,
        }
    }

    /// The child fields of an object field (empty for others).
    pub fn children(&self) -> &[Field] {
        match &self.kind {
            FieldKind::Object { fields } => fields,
            _ => &[],
        }
    }
}

/// A value as a person reads it: strings without quotes, the rest as JSON.
pub fn value_label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
