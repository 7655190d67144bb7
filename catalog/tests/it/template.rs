//! The template form: reading real templates, every validation rule,
//! conditions, and the HTML post protocol.

use std::path::Path;

use portolan_catalog::template::form_post::{SHOWN, input_text};
use portolan_catalog::template::{
    Control, FieldError, RepoUrl, TemplateForm, WizardGo, WizardOutcome, read_step, read_wizard_post,
};
use portolan_catalog::yaml::parse_documents;
use portolan_catalog::parse_catalog_file;

use crate::support::{DirResolver, realworld, yaml_files};
use serde_json::{Map, Value, json};

/// Every Template document's `spec.parameters` under `dir`, with where it came from.
fn template_parameters(dir: &Path) -> Vec<(String, Value)> {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if !text.contains("scaffolder.backstage.io/v1beta3") {
            continue;
        }
        let resolver = DirResolver(path.parent().map(Path::to_path_buf).unwrap_or_default());
        let report = parse_catalog_file(&text, &resolver);
        for (doc, raw) in report.documents.iter().zip(parse_documents(&text)) {
            if doc.envelope.as_ref().is_none_or(|e| e.kind != "Template") {
                continue;
            }
            let params = match &doc.entity {
                Some(entity) => entity.spec.as_ref().and_then(|s| s.get("parameters")).cloned(),
                None => raw.root.ok().flatten().map(|r| r.to_json()).and_then(|j| j.get("spec")?.get("parameters").cloned()),
            };
            out.push((format!("{}#{}", path.display(), doc.index), params.unwrap_or(Value::Null)));
        }
    }
    out
}

fn form(parameters: Value) -> TemplateForm {
    TemplateForm::from_parameters(Some(&parameters)).0
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn rules(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(|e| format!("{} {}: {}", e.path, e.name, e.message)).collect()
}

#[test]
fn every_real_world_template_gives_a_form() {
    let root = realworld();
    let templates = template_parameters(&root);
    assert!(templates.len() >= 30, "found only {} templates", templates.len());
    for (name, params) in &templates {
        let (form, problems) = TemplateForm::from_parameters(Some(params));
        let unresolved = problems.iter().filter(|p| p.message.contains("unresolved")).count();
        if params.is_null() || params.as_array().is_some_and(|steps| steps.len() == unresolved) {
            continue;
        }
        let fields: usize = form.steps.iter().map(|s| s.all_fields().len()).sum();
        assert!(fields > 0, "{name}: no fields");
        let empty = Map::new();
        let defaults = form.with_defaults(&empty);
        let _ = form.validate(&defaults);
        let post = read_wizard_post(&form, &pairs(&[("_step", "0"), ("_state", "{not json"), ("_go", "next")]));
        let _ = post.outcome(&form);
    }
}

#[test]
fn the_portals_own_templates_read_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    let templates = template_parameters(&root);
    assert!(!templates.is_empty());
    for (name, params) in &templates {
        let (form, problems) = TemplateForm::from_parameters(Some(params));
        assert!(problems.is_empty(), "{name}: {problems:?}");
        assert!(form.steps.len() >= 2, "{name}");
        assert!(form.steps.iter().all(|s| !s.fields.is_empty()), "{name}");
    }
}

#[test]
fn problems_name_their_place_and_never_stop_the_form() {
    let (form, problems) = TemplateForm::from_parameters(Some(&json!([
        {"title": "A", "properties": {"port": {"type": "date"}, "name": {"type": "string", "pattern": "(?<=a)b"}}},
        "not a step",
    ])));
    assert_eq!(form.steps.len(), 1);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"spec.parameters[0].properties.port.type"), "{problems:?}");
    assert!(paths.contains(&"spec.parameters[0].properties.name.pattern"), "{problems:?}");
    assert!(paths.contains(&"spec.parameters[1]"), "{problems:?}");
    assert_eq!(form.steps[0].fields[0].control(), Control::Text);
    assert!(form.validate(&map(json!({"port": "x", "name": "zzz"}))).is_empty());
}

#[test]
fn strings_are_checked_for_presence_length_pattern_and_format() {
    let f = form(json!({"required": ["name"], "properties": {
        "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 5},
        "mail": {"type": "string", "format": "email"},
        "day": {"type": "string", "format": "date"},
    }}));
    assert_eq!(rules(&f.validate(&map(json!({"name": ""})))), ["name required: is required"]);
    assert_eq!(rules(&f.validate(&map(json!({})))), ["name required: is required"]);
    assert_eq!(rules(&f.validate(&map(json!({"name": "a"})))), ["name minLength: must be at least 2 characters"]);
    assert_eq!(
        rules(&f.validate(&map(json!({"name": "abcdéf"})))),
        ["name maxLength: must be at most 5 characters", "name pattern: must match the pattern ^[a-z]+$"]
    );
    assert!(f.validate(&map(json!({"name": "ééé"}))).iter().all(|e| e.name != "maxLength"));
    assert_eq!(rules(&f.validate(&map(json!({"name": 12})))), ["name type: must be text"]);
    assert_eq!(
        rules(&f.validate(&map(json!({"name": "ab", "mail": "nope", "day": "2024-13-01"})))),
        ["mail format: must be a valid e-mail address", "day format: must be a valid date (YYYY-MM-DD)"]
    );
    let e = &f.validate(&map(json!({"name": "a"})))[0];
    let body = e.to_backstage_json();
    assert_eq!(body["property"], "instance.name");
    assert_eq!(body["path"], json!(["name"]));
    assert_eq!(body["argument"], 2);
    assert_eq!(body["schema"]["maxLength"], 5);
    assert!(body["stack"].as_str().is_some_and(|s| s.starts_with("instance.name must")));
}

#[test]
fn numbers_booleans_enums_and_const() {
    let f = form(json!({"properties": {
        "port": {"type": "integer", "minimum": 1024, "maximum": 65535},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "old": {"type": "number", "minimum": 5, "exclusiveMinimum": true},
        "on": {"type": "boolean"},
        "env": {"type": "string", "enum": ["dev", "prod"], "enumNames": ["Development", "Production"]},
        "fixed": {"type": "string", "const": "yes"},
    }}));
    let check = |v: Value| rules(&f.validate(&map(v)));
    assert_eq!(check(json!({"port": 80})), ["port minimum: must be at least 1024"]);
    assert_eq!(check(json!({"port": 70000})), ["port maximum: must be at most 65535"]);
    assert_eq!(check(json!({"port": 8080.5})), ["port type: must be a whole number"]);
    assert_eq!(check(json!({"port": "80"})), ["port type: must be a whole number"]);
    assert!(check(json!({"port": 8080.0})).is_empty());
    assert_eq!(check(json!({"ratio": 1})), ["ratio exclusiveMaximum: must be less than 1"]);
    assert_eq!(check(json!({"ratio": 0})), ["ratio exclusiveMinimum: must be greater than 0"]);
    assert_eq!(check(json!({"old": 5})), ["old exclusiveMinimum: must be greater than 5"]);
    assert_eq!(check(json!({"on": "yes"})), ["on type: must be yes or no (true or false)"]);
    assert_eq!(check(json!({"env": "qa"})), ["env enum: must be one of: Development, Production"]);
    assert_eq!(check(json!({"fixed": "no"})), ["fixed const: must be yes"]);
    assert!(check(json!({"port": 8080, "ratio": 0.5, "old": 6, "on": true, "env": "prod", "fixed": "yes"})).is_empty());
}

#[test]
fn arrays_and_nested_objects() {
    let f = form(json!({"properties": {
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "minItems": 1, "maxItems": 2, "uniqueItems": true},
        "address": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}}},
    }, "required": ["address"]}));
    let check = |v: Value| rules(&f.validate(&map(v)));
    assert_eq!(check(json!({"tags": [], "address": {"city": "x"}})), ["tags minItems: must have at least 1 item"]);
    assert_eq!(
        check(json!({"tags": ["a", "a", "b"], "address": {"city": "x"}})),
        ["tags maxItems: must have at most 2 items", "tags uniqueItems: must not list the same item twice"]
    );
    assert_eq!(check(json!({"tags": ["long"], "address": {"city": "x"}})), ["tags maxLength: item 1: must be at most 3 characters"]);
    assert_eq!(check(json!({"tags": "a", "address": {"city": "x"}})), ["tags type: must be a list"]);
    assert_eq!(check(json!({})), ["address.city required: is required"]);
    assert_eq!(check(json!({"address": {"city": "x", "zip": "abc"}})), ["address.zip type: must be a whole number"]);
    let e = f.validate(&map(json!({"address": {"zip": 1}})));
    assert_eq!(e[0].property, "instance.address.city");
    let item = f.validate(&map(json!({"tags": ["long"], "address": {"city": "x"}})));
    assert_eq!(item[0].to_backstage_json()["path"], json!(["tags", 0]));
}

#[test]
fn dependencies_reveal_and_require_fields() {
    let f = form(json!({
        "properties": {"kind": {"type": "string", "enum": ["db", "queue"]}, "name": {"type": "string"}, "size": {"type": "integer"}},
        "dependencies": {
            "name": ["size"],
            "kind": {"oneOf": [
                {"properties": {"kind": {"enum": ["db"]}, "engine": {"type": "string", "enum": ["postgres", "mysql"]}}, "required": ["engine"]},
                {"properties": {"kind": {"enum": ["queue"]}, "topic": {"type": "string"}}},
            ]},
        },
    }));
    let step = &f.steps[0];
    assert!(step.has_conditions());
    let names = |v: Value| step.visible_fields(&map(v)).iter().map(|f| format!("{}{}", f.name, if f.required { "*" } else { "" })).collect::<Vec<_>>();
    assert_eq!(names(json!({})), ["kind", "name", "size"]);
    assert_eq!(names(json!({"name": "x"})), ["kind", "name", "size*"]);
    assert_eq!(names(json!({"kind": "db"})), ["kind", "name", "size", "engine*"]);
    assert_eq!(names(json!({"kind": "queue"})), ["kind", "name", "size", "topic"]);
    assert_eq!(rules(&step.validate(&map(json!({"kind": "db"})))), ["engine required: is required"]);
    assert!(step.validate(&map(json!({"kind": "queue"}))).is_empty());
    assert_eq!(step.all_fields().len(), 5);
}

#[test]
fn if_then_else_and_all_of() {
    let f = form(json!({
        "properties": {"action": {"type": "string", "enum": ["apply", "show"]}},
        "allOf": [{
            "if": {"properties": {"action": {"const": "apply"}}, "required": ["action"]},
            "then": {"properties": {"token": {"type": "string", "ui:widget": "password"}}, "required": ["token"]},
            "else": {"properties": {"format": {"type": "string", "default": "yaml"}}},
        }],
    }));
    let step = &f.steps[0];
    let names = |v: Value| step.visible_fields(&map(v)).iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(json!({"action": "apply"})), ["action", "token"]);
    assert_eq!(names(json!({"action": "show"})), ["action", "format"]);
    assert_eq!(names(json!({})), ["action", "format"]);
    assert_eq!(rules(&f.validate(&map(json!({"action": "apply"})))), ["token required: is required"]);
    assert_eq!(f.with_defaults(&map(json!({"action": "show"}))), map(json!({"action": "show", "format": "yaml"})));
}

#[test]
fn defaults_fill_only_what_is_missing() {
    let f = form(json!([
        {"properties": {"port": {"type": "integer", "default": 8080}, "name": {"type": "string", "default": "svc"}}},
        {"properties": {"db": {"type": "object", "properties": {"engine": {"type": "string", "default": "postgres"}}}}},
    ]));
    let filled = f.with_defaults(&map(json!({"name": "mine"})));
    assert_eq!(filled, map(json!({"name": "mine", "port": 8080, "db": {"engine": "postgres"}})));
}

#[test]
fn repo_url_picker_values() {
    let f = form(json!({"required": ["repoUrl"], "properties": {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker",
        "ui:options": {"allowedHosts": ["github.com"], "allowedOwners": ["acme"]}}}}));
    let check = |v: &str| rules(&f.validate(&map(json!({"repoUrl": v}))));
    assert!(check("github.com?owner=acme&repo=web").is_empty());
    assert_eq!(check("gitlab.com?owner=acme&repo=web"), ["repoUrl repoUrl: the host must be one of: github.com"]);
    assert_eq!(check("github.com?owner=other&repo=web"), ["repoUrl repoUrl: the owner must be one of: acme"]);
    assert_eq!(check("github.com?owner=acme"), ["repoUrl repoUrl: must name a repository"]);
    assert_eq!(check("github.com?repo=web"), ["repoUrl repoUrl: must name an owner"]);
    assert_eq!(check("?owner=acme&repo=web"), ["repoUrl repoUrl: must name a host"]);
    let url = RepoUrl::parse("github.com?owner=a%20b&repo=r").unwrap_or_default();
    assert_eq!(url.owner.as_deref(), Some("a b"));
    assert_eq!(RepoUrl::parse(&url.to_value()), Some(url));

    let step = &f.steps[0];
    assert_eq!(step.fields[0].control(), Control::RepoUrl);
    let posted = read_step(step, &pairs(&[("p.repoUrl.host", "github.com"), ("p.repoUrl.owner", "acme"), ("p.repoUrl.repo", "web")]));
    assert_eq!(posted, map(json!({"repoUrl": "github.com?owner=acme&repo=web"})));
    assert!(read_step(step, &pairs(&[("p.repoUrl.host", ""), ("p.repoUrl.owner", "")])).is_empty());
}

#[test]
fn posted_strings_become_json_types() {
    let f = form(json!({"properties": {
        "port": {"type": "integer"}, "ratio": {"type": "number"}, "on": {"type": "boolean"}, "off": {"type": "boolean"},
        "level": {"type": "integer", "enum": [1, 2, 3]}, "name": {"type": "string"}, "empty": {"type": "string"},
        "hosts": {"type": "array", "items": {"type": "string"}},
        "picks": {"type": "array", "uniqueItems": true, "items": {"type": "string", "enum": ["a", "b", "c"]}},
        "tags": {"type": "array", "items": {"type": "string"}, "ui:field": "EntityTagsPicker"},
        "extra": {"type": "object"},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}},
    }}));
    let step = &f.steps[0];
    let got = read_step(step, &pairs(&[
        ("p.port", "8080"), ("p.ratio", "0.5"), ("p.on", "false"), ("p.on", "true"), ("p.off", "false"),
        ("p.level", "2"), ("p.name", "svc"), ("p.empty", ""), ("p.hosts", "a.example\r\n\r\n b.example \n"),
        ("p.picks", "a"), ("p.picks", "c"), ("p.tags", "go, web  api"), ("p.extra", "{\"k\": 1}"),
        ("p.address.city", "Oslo"), ("p.unknown", "x"), ("_csrf", "t"),
    ]));
    assert_eq!(got, map(json!({
        "port": 8080, "ratio": 0.5, "on": true, "off": false, "level": 2, "name": "svc",
        "hosts": ["a.example", "b.example"], "picks": ["a", "c"], "tags": ["go", "web", "api"],
        "extra": {"k": 1}, "address": {"city": "Oslo"},
    })));
    let bad = read_step(step, &pairs(&[("p.port", "80x"), ("p.extra", "{oops")]));
    assert_eq!(bad, map(json!({"port": "80x", "extra": "{oops"})));
    assert_eq!(rules(&f.validate(&bad)), ["port type: must be a whole number", "extra type: must be an object"]);
    let field = |name: &str| step.fields.iter().find(|f| f.name == name).cloned().unwrap_or_else(|| panic!("{name}"));
    assert_eq!(input_text(&field("hosts"), got.get("hosts")), "a.example\nb.example");
    assert_eq!(input_text(&field("tags"), got.get("tags")), "go, web, api");
    assert_eq!(input_text(&field("port"), got.get("port")), "8080");
}

#[test]
fn wizard_posts_carry_state_and_move_between_steps() {
    let f = form(json!([
        {"title": "One", "required": ["name"], "properties": {"name": {"type": "string"}, "public": {"type": "boolean"}}},
        {"title": "Two", "properties": {"port": {"type": "integer", "default": 8080}}},
    ]));
    let state = json!({"name": "old", "public": true, "port": 9000}).to_string();
    let post = read_wizard_post(&f, &pairs(&[("_step", "0"), ("_state", &state), ("p.name", "svc"), ("p.public", "false"), ("_go", "next")]));
    assert_eq!(post.values, map(json!({"port": 9000, "name": "svc", "public": false})));
    assert_eq!(post.outcome(&f), WizardOutcome::Show { step: 1, errors: vec![] });

    let cleared = read_wizard_post(&f, &pairs(&[("_step", "0"), ("_state", &state), ("p.name", ""), ("_go", "next")]));
    assert!(!cleared.values.contains_key("name") && !cleared.values.contains_key("public"));
    match cleared.outcome(&f) {
        WizardOutcome::Show { step: 0, errors } => assert_eq!(rules(&errors), ["name required: is required"]),
        other => panic!("{other:?}"),
    }
    let back = read_wizard_post(&f, &pairs(&[("_step", "1"), ("_state", &state), ("p.port", "1"), ("_go", "back")]));
    assert_eq!(back.outcome(&f), WizardOutcome::Show { step: 0, errors: vec![] });
    assert_eq!(back.values.get("port"), Some(&json!(1)));

    let edit = read_wizard_post(&f, &pairs(&[("_step", "2"), ("_state", &state), ("_go", "review-edit:1")]));
    assert_eq!(edit.go, WizardGo::Edit(1));
    assert_eq!(edit.outcome(&f), WizardOutcome::Show { step: 1, errors: vec![] });

    let create = read_wizard_post(&f, &pairs(&[("_step", "2"), ("_state", "{\"name\":\"svc\"}"), ("_go", "create")]));
    assert_eq!(create.outcome(&f), WizardOutcome::Create { values: map(json!({"name": "svc", "port": 8080})) });
    let missing = read_wizard_post(&f, &pairs(&[("_step", "2"), ("_state", "{}"), ("_go", "create")]));
    assert!(matches!(missing.outcome(&f), WizardOutcome::Show { step: 0, .. }));

    let broken = read_wizard_post(&f, &pairs(&[("_step", "99"), ("_state", "[1,2"), ("_go", "bogus")]));
    assert_eq!((broken.step, broken.go), (0, WizardGo::Next));
    assert!(broken.values.is_empty());
    assert_eq!(WizardGo::Edit(3).value(), "review-edit:3");
}

#[test]
fn a_revealed_field_keeps_the_wizard_on_its_step() {
    let f = form(json!({"properties": {"db": {"type": "boolean"}}, "dependencies": {"db": {"properties": {"engine": {"type": "string"}}}}}));
    let post = read_wizard_post(&f, &pairs(&[("_step", "0"), ("_state", "{}"), ("p.db", "false"), ("p.db", "true"), (SHOWN, "db"), ("_go", "next")]));
    assert!(post.revealed);
    assert_eq!(post.outcome(&f), WizardOutcome::Show { step: 0, errors: vec![] });
    let seen = read_wizard_post(&f, &pairs(&[("_step", "0"), ("p.db", "true"), (SHOWN, "db,engine"), ("_go", "next")]));
    assert!(!seen.revealed);
    assert_eq!(seen.outcome(&f), WizardOutcome::Show { step: 1, errors: vec![] });
}

#[test]
fn pickers_and_widgets_choose_their_controls() {
    let f = form(json!({"properties": {
        "owner": {"type": "string", "ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": ["Group", "User"]}}},
        "notes": {"type": "string", "ui:widget": "textarea"},
        "secret": {"type": "string", "ui:widget": "password"},
        "masked": {"type": "string", "ui:backstage": {"review": {"mask": "***"}}},
        "quiet": {"type": "string", "ui:backstage": {"review": {"show": false}}},
        "size": {"type": "string", "enum": ["s", "m"], "ui:widget": "radio"},
        "name": {"type": "string", "ui:field": "EntityNamePicker"},
    }}));
    let step = &f.steps[0];
    let controls: Vec<Control> = step.fields.iter().map(|f| f.control()).collect();
    assert_eq!(controls, [Control::Picker, Control::Textarea, Control::Password, Control::Text, Control::Text, Control::Radio, Control::Text]);
    assert!(step.fields[2].is_secret() && step.fields[3].is_secret() && !step.fields[4].is_secret());
    assert!(!step.fields[4].ui.review_show);
    assert_eq!(step.fields[0].ui.options["catalogFilter"]["kind"][1], "User");
    assert_eq!(rules(&step.validate(&map(json!({"name": "-bad-"}))))[0].split(':').next(), Some("name entityName"));
}

#[test]
fn pickers_say_what_to_offer() {
    let f = form(json!({"properties": {
        "owner": {"type": "string", "ui:field": "OwnerPicker"},
        "system": {"type": "string", "ui:field": "EntityPicker", "ui:options": {"catalogFilter": [{"kind": "System"}, {"kind": ["Component"], "spec.type": "service", "metadata.annotations.x": {"exists": true}}], "allowArbitraryValues": false}},
        "legacy": {"type": "string", "ui:field": "EntityPicker", "ui:options": {"allowedKinds": ["Group"], "defaultKind": "Group"}},
        "many": {"type": "array", "items": {"type": "string"}, "ui:field": "MultiEntityPicker"},
        "name": {"type": "string", "ui:field": "EntityNamePicker"},
    }}));
    let fields = &f.steps[0].fields;
    let owner = fields[0].picker().unwrap_or_else(|| panic!("owner picker"));
    assert_eq!(owner.filters, [std::collections::BTreeMap::from([("kind".to_owned(), vec!["Group".to_owned(), "User".to_owned()])])]);
    assert_eq!(owner.default_kind.as_deref(), Some("Group"));
    let system = fields[1].picker().unwrap_or_else(|| panic!("system picker"));
    assert_eq!(system.filters.len(), 2);
    assert_eq!(system.filters[1]["metadata.annotations.x"], Vec::<String>::new());
    assert_eq!(system.filters[1]["spec.type"], ["service"]);
    assert!(!system.arbitrary && !system.multiple);
    let legacy = fields[2].picker().unwrap_or_else(|| panic!("legacy picker"));
    assert_eq!(legacy.filters[0]["kind"], ["Group"]);
    assert!(fields[3].picker().is_some_and(|p| p.multiple && p.filters.is_empty()));
    assert!(fields[4].picker().is_none());
    assert_eq!(fields[3].control(), Control::MultiPicker);
}
