//! One wizard step: its properties, and the parts of the schema that add
//! fields or requirements depending on the values (`dependencies`,
//! `if`/`then`/`else`, `allOf`), evaluated the way rjsf shows them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::SchemaProblem;
use super::field::{Field, string_list};
use super::schema::parse_field;
use super::validate::{FieldError, validate_fields};

/// A page of the template's form: one entry of `spec.parameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct FormStep {
    /// `title`, shown in the step indicator.
    pub title: String,
    /// `description`, shown above the fields.
    pub description: Option<String>,
    /// The step's schema as written, for the parameter-schema endpoint.
    pub schema: Value,
    /// The properties shown whatever the values are.
    pub fields: Vec<Field>,
    branch_required: Vec<String>,
    conditions: Vec<Condition>,
}

/// A set of properties and requirements: a step, or a part of one that applies when a condition holds.
#[derive(Debug, Clone, PartialEq, Default)]
struct Branch {
    fields: Vec<Field>,
    required: Vec<String>,
    conditions: Vec<Condition>,
}

/// A part of the schema that depends on the values.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    /// `dependencies: {a: [b, c]}`: when `a` is given, `b` and `c` are required.
    Requires { property: String, names: Vec<String> },
    /// `dependencies: {a: {…}}`: when `a` is given, the schema applies, and of its
    /// `oneOf` the branch whose `a` matches the value.
    Dependency { property: String, schema: Branch, one_of: Vec<Branch> },
    /// `if`/`then`/`else`.
    IfThen { test: Branch, then: Option<Branch>, otherwise: Option<Branch> },
}

impl FormStep {
    /// Reads step `index` of `spec.parameters`; `at` is where it is in the template.
    pub(super) fn parse(schema: &Value, index: usize, at: &str, problems: &mut Vec<SchemaProblem>) -> FormStep {
        let title = schema.get("title").and_then(Value::as_str).filter(|t| !t.trim().is_empty()).map_or_else(|| format!("Step {}", index + 1), str::to_owned);
        let description = schema.get("description").and_then(Value::as_str).map(str::to_owned);
        let branch = parse_branch(schema, at, problems, true);
        FormStep { title, description, schema: schema.clone(), fields: branch.fields, branch_required: branch.required, conditions: branch.conditions }
    }

    /// Whether some fields come and go with the values (so a form without
    /// scripts needs a way to show them after a change).
    pub fn has_conditions(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// The fields shown for these values, with `required` as it holds for them:
    /// the step's properties, then those that `dependencies` and
    /// `if`/`then`/`else` add. Owned, because a condition can make a field required.
    pub fn visible_fields(&self, values: &Map<String, Value>) -> Vec<Field> {
        let mut fields = self.fields.clone();
        let mut required: BTreeSet<String> = self.branch_required.iter().cloned().collect();
        for c in &self.conditions {
            apply(c, values, &mut fields, &mut required);
        }
        for f in &mut fields {
            f.required = f.required || required.contains(&f.name);
        }
        fields
    }

    /// Every field the step can show, whatever the values (first definition of a name wins).
    pub fn all_fields(&self) -> Vec<&Field> {
        let mut out: Vec<&Field> = self.fields.iter().collect();
        for c in &self.conditions {
            collect_all(c, &mut out);
        }
        out
    }

    /// The problems of these values with this step's schema.
    pub fn validate(&self, values: &Map<String, Value>) -> Vec<FieldError> {
        validate_fields(&self.visible_fields(values), values)
    }
}

fn parse_branch(schema: &Value, at: &str, problems: &mut Vec<SchemaProblem>, top: bool) -> Branch {
    let mut branch = Branch { required: string_list(schema.get("required")), ..Branch::default() };
    let Some(obj) = schema.as_object() else {
        problems.push(SchemaProblem::new(at, "is not a schema object"));
        return branch;
    };
    if let Some(props) = obj.get("properties") {
        match props.as_object() {
            Some(props) => {
                for (name, prop) in props {
                    let required = branch.required.contains(name);
                    branch.fields.push(parse_field(name, name, prop, required, &format!("{at}.properties.{name}"), problems));
                }
            }
            None => problems.push(SchemaProblem::new(&format!("{at}.properties"), "is not an object")),
        }
    }
    if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        for (property, dep) in deps {
            let dep_at = format!("{at}.dependencies.{property}");
            let condition = match dep {
                Value::Array(_) => Condition::Requires { property: property.clone(), names: string_list(Some(dep)) },
                Value::Object(o) => {
                    let one_of = o
                        .get("oneOf")
                        .and_then(Value::as_array)
                        .map(|list| list.iter().enumerate().map(|(i, b)| parse_branch(b, &format!("{dep_at}.oneOf[{i}]"), problems, false)).collect())
                        .unwrap_or_default();
                    let mut rest = dep.clone();
                    if let Some(r) = rest.as_object_mut() {
                        r.remove("oneOf");
                    }
                    Condition::Dependency { property: property.clone(), schema: parse_branch(&rest, &dep_at, problems, false), one_of }
                }
                _ => {
                    problems.push(SchemaProblem::new(&dep_at, "is neither a list of properties nor a schema"));
                    continue;
                }
            };
            branch.conditions.push(condition);
        }
    }
    if let Some(test) = obj.get("if") {
        let then = obj.get("then").map(|t| parse_branch(t, &format!("{at}.then"), problems, false));
        let otherwise = obj.get("else").map(|e| parse_branch(e, &format!("{at}.else"), problems, false));
        let test = parse_branch(test, &format!("{at}.if"), problems, false);
        branch.conditions.push(Condition::IfThen { test, then, otherwise });
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        for (i, part) in all.iter().enumerate() {
            let part = parse_branch(part, &format!("{at}.allOf[{i}]"), problems, false);
            merge_fields(&mut branch.fields, part.fields);
            branch.required.extend(part.required);
            branch.conditions.extend(part.conditions);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = obj.get(key).and_then(Value::as_array) {
            if top || !options.is_empty() {
                problems.push(SchemaProblem::new(&format!("{at}.{key}"), "is shown as all of its options' fields, none of them required"));
            }
            for (i, option) in options.iter().enumerate() {
                let mut part = parse_branch(option, &format!("{at}.{key}[{i}]"), problems, false);
                for f in &mut part.fields {
                    f.required = false;
                }
                merge_fields(&mut branch.fields, part.fields);
            }
        }
    }
    for f in &mut branch.fields {
        f.required = f.required || branch.required.contains(&f.name);
    }
    branch
}

/// Adds `more` to `fields`; a name already there is replaced in place (the later schema is the more specific one).
fn merge_fields(fields: &mut Vec<Field>, more: Vec<Field>) {
    for f in more {
        match fields.iter_mut().find(|g| g.name == f.name) {
            Some(existing) => {
                let required = existing.required || f.required;
                *existing = Field { required, ..f };
            }
            None => fields.push(f),
        }
    }
}

/// Whether a value counts as given (rjsf drops empty strings).
fn present(values: &Map<String, Value>, property: &str) -> bool {
    !matches!(values.get(property), None | Some(Value::Null)) && values.get(property) != Some(&Value::String(String::new()))
}

fn matches(test: &Branch, values: &Map<String, Value>) -> bool {
    let mut fields = test.fields.clone();
    for f in &mut fields {
        f.required = test.required.contains(&f.name);
    }
    let missing = test.required.iter().any(|r| !present(values, r));
    !missing && validate_fields(&fields, values).is_empty()
}

fn apply_branch(branch: &Branch, skip: Option<&str>, values: &Map<String, Value>, fields: &mut Vec<Field>, required: &mut BTreeSet<String>) {
    let added: Vec<Field> = branch.fields.iter().filter(|f| Some(f.name.as_str()) != skip).cloned().collect();
    merge_fields(fields, added);
    required.extend(branch.required.iter().cloned());
    for c in &branch.conditions {
        apply(c, values, fields, required);
    }
}

fn apply(condition: &Condition, values: &Map<String, Value>, fields: &mut Vec<Field>, required: &mut BTreeSet<String>) {
    match condition {
        Condition::Requires { property, names } => {
            if present(values, property) {
                required.extend(names.iter().cloned());
            }
        }
        Condition::Dependency { property, schema, one_of } => {
            if !present(values, property) {
                return;
            }
            apply_branch(schema, None, values, fields, required);
            let chosen = one_of.iter().find(|b| {
                let own: Vec<Field> = b.fields.iter().filter(|f| f.name == *property).cloned().collect();
                !own.is_empty() && validate_fields(&own, values).is_empty()
            });
            if let Some(b) = chosen {
                apply_branch(b, Some(property), values, fields, required);
            }
        }
        Condition::IfThen { test, then, otherwise } => {
            let branch = if matches(test, values) { then } else { otherwise };
            if let Some(b) = branch {
                apply_branch(b, None, values, fields, required);
            }
        }
    }
}

fn collect_all<'a>(condition: &'a Condition, out: &mut Vec<&'a Field>) {
    let add = |b: &'a Branch, out: &mut Vec<&'a Field>| {
        for f in &b.fields {
            if !out.iter().any(|g| g.name == f.name) {
                out.push(f);
            }
        }
        for c in &b.conditions {
            collect_all(c, out);
        }
    };
    match condition {
        Condition::Requires { .. } => {}
        Condition::Dependency { schema, one_of, .. } => {
            add(schema, out);
            for b in one_of {
                add(b, out);
            }
        }
        Condition::IfThen { then, otherwise, .. } => {
            for b in [then, otherwise].into_iter().flatten() {
                add(b, out);
            }
        }
    }
}
