//! Dry runs: every v1beta3 template of the real-world fixtures runs without
//! a crash (those whose actions Portolan has render their skeletons; the
//! others are reported by action name), and templates or parameters that
//! try to leave the workspace are refused.

use std::path::Path;

use portolan::scaffolder::actions::{ActionRegistry, TemplateBase};
use portolan::scaffolder::dry_run;
use portolan_catalog::template::{FieldKind, TemplateForm};
use serde_json::{Map, Value, json};

/// A value a required field of this kind accepts, for templates run without a user.
fn sample(kind: &FieldKind, picker: Option<&str>) -> Value {
    match (kind, picker) {
        (_, Some("RepoUrlPicker")) => json!("github.com?owner=acme&repo=sample"),
        (_, Some("OwnerPicker" | "EntityPicker" | "OwnedEntityPicker" | "MyGroupsPicker")) => json!("group:default/sample"),
        (FieldKind::Integer { .. } | FieldKind::Number { .. }, _) => json!(1),
        (FieldKind::Boolean, _) => json!(true),
        (FieldKind::Enum { values, .. }, _) => values.first().cloned().unwrap_or(json!("sample")),
        (FieldKind::Array { .. }, _) => json!([]),
        (FieldKind::Object { .. }, _) => json!({}),
        _ => json!("sample"),
    }
}

/// Defaults, plus a sample value for every required field without one.
fn values_for(form: &TemplateForm) -> Map<String, Value> {
    let mut values = form.with_defaults(&Map::new());
    for step in &form.steps {
        for field in step.visible_fields(&values) {
            if field.required && !values.contains_key(&field.path) && !field.path.contains('.') {
                values.insert(field.path.clone(), sample(&field.kind, field.ui.field.as_deref()));
            }
        }
    }
    values
}

/// Every `scaffolder.backstage.io/v1beta3` Template document under the fixtures, with its file.
fn realworld_templates() -> Vec<(std::path::PathBuf, Value)> {
    let root = crate::support::repo().join("../shared/fixtures/realworld");
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if !matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        if !text.contains("scaffolder.backstage.io/v1beta3") {
            continue;
        }
        for doc in serde_norway::Deserializer::from_str(&text) {
            let Ok(value) = <Value as serde::Deserialize>::deserialize(doc) else { continue };
            if value["kind"] == "Template" && value["apiVersion"] == "scaffolder.backstage.io/v1beta3" {
                out.push((path.to_path_buf(), resolve_yaml_steps(path, value)));
            }
        }
    }
    out
}

/// Steps written as `$yaml: ./file.yaml`, read the way the catalog reads them at ingestion.
fn resolve_yaml_steps(file: &Path, mut template: Value) -> Value {
    if let Some(Value::Array(steps)) = template.pointer_mut("/spec/steps") {
        for step in steps.iter_mut() {
            let Some(reference) = step.get("$yaml").and_then(Value::as_str) else { continue };
            let Ok(text) = std::fs::read_to_string(file.parent().expect("folder").join(reference)) else { continue };
            if let Ok(value) = serde_norway::from_str::<Value>(&text) {
                *step = value;
            }
        }
    }
    template
}

#[tokio::test]
async fn every_realworld_template_dry_runs_without_a_crash() {
    let actions = ActionRegistry::default();
    let scratch = tempfile::tempdir().expect("tempdir");
    let templates = realworld_templates();
    assert!(templates.len() >= 30, "found {} templates", templates.len());
    let (mut completed, mut rendered, mut unsupported) = (0, 0, std::collections::BTreeSet::new());
    for (file, template) in &templates {
        let form = TemplateForm::from_parameters(template.pointer("/spec/parameters")).0;
        let values = values_for(&form);
        let base = TemplateBase::Dir(file.parent().expect("folder").to_path_buf());
        let user = json!({"ref": "user:default/guest"});
        let result = dry_run::run(&actions, None, scratch.path(), template, &values, &Map::new(), &base, &user).await.expect("dry run");
        let steps = template.pointer("/spec/steps").and_then(Value::as_array).cloned().unwrap_or_default();
        let first_unknown = steps.iter().filter_map(|s| s["action"].as_str()).find(|a| actions.get(a).is_none());
        match (&result.error, first_unknown) {
            (None, _) => completed += 1,
            (Some(error), Some(action)) if error.contains(&format!("unknown action \"{action}\"")) => {
                unsupported.insert(action.to_owned());
            }
            (Some(error), _) => eprintln!("{}: {error}", file.display()),
        }
        if !result.files.is_empty() {
            rendered += 1;
        }
        for f in &result.files {
            assert!(!f.path.starts_with('/') && !f.path.split('/').any(|s| s == ".."), "{}: {}", file.display(), f.path);
        }
    }
    eprintln!("MEASURED: {} realworld templates: {completed} completed, {rendered} rendered files, unsupported actions reported by name: {unsupported:?}", templates.len());
    assert!(rendered >= 8, "only {rendered} templates rendered their skeletons");
    assert!(completed >= 5, "only {completed} completed");
    assert!(!unsupported.is_empty(), "the fixtures use actions Portolan does not have, e.g. publish:gitlab");
}

/// Dry-runs one step against a template folder holding `skeleton/hello.txt`.
async fn one_step(folder: &Path, step: Value, parameters: Value) -> Option<String> {
    let template = json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": {"name": "evil"}, "spec": {"type": "x", "steps": [
        {"id": "setup", "action": "fetch:plain", "input": {"url": "./skeleton"}},
        step,
    ]}});
    let values = parameters.as_object().cloned().unwrap_or_default();
    let scratch = folder.join("scratch");
    let result = dry_run::run(&ActionRegistry::default(), None, &scratch, &template, &values, &Map::new(), &TemplateBase::Dir(folder.join("template")), &json!({})).await.expect("dry run");
    result.error
}

#[tokio::test]
async fn templates_and_parameters_cannot_leave_the_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = dir.path().join("template");
    std::fs::create_dir_all(template.join("skeleton")).expect("mkdir");
    std::fs::write(template.join("skeleton/hello.txt"), "hi ${{ values.name }}\n").expect("write");
    std::fs::write(dir.path().join("secret.txt"), "do not copy").expect("write");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, template.join("skeleton/escape")).expect("symlink");

    let refused = [
        (json!({"action": "fetch:template", "input": {"url": "../secret.txt"}}), json!({}), "\"..\""),
        (json!({"action": "fetch:template", "input": {"url": "/etc"}}), json!({}), "absolute"),
        (json!({"action": "fetch:template", "input": {"url": "./skeleton", "targetPath": "../../x", "replace": true}}), json!({}), "\"..\""),
        (json!({"action": "fetch:template:file", "input": {"url": "./skeleton/hello.txt", "targetPath": "${{ parameters.name }}.txt", "values": {"name": "x"}}}), json!({"name": "../../pwned"}), "\"..\""),
        (json!({"action": "catalog:write", "input": {"filePath": "/tmp/pwned.yaml", "entity": {"kind": "Component"}}}), json!({}), "absolute"),
        (json!({"action": "catalog:write", "input": {"filePath": "escape/pwned.yaml", "entity": {"kind": "Component"}}}), json!({}), "symbolic link"),
        (json!({"action": "fs:rename", "input": {"files": [{"from": "hello.txt", "to": "../moved.txt"}]}}), json!({}), "\"..\""),
        (json!({"action": "fs:delete", "input": {"files": ["/etc/hostname"]}}), json!({}), "absolute"),
        (json!({"action": "fs:delete", "input": {"files": ["escape/anything"]}}), json!({}), "symbolic link"),
        (json!({"action": "publish:git", "input": {"remoteUrl": "x", "sourcePath": "../"}}), json!({}), "dry run"),
    ];
    for (step, parameters, expected) in refused {
        let error = one_step(dir.path(), step.clone(), parameters).await;
        if expected == "dry run" {
            assert_eq!(error, None, "publish steps are skipped in dry runs");
            continue;
        }
        let error = error.unwrap_or_else(|| panic!("{step} was not refused"));
        assert!(error.contains(expected), "{step}: {error}");
        assert!(error.contains("workspace") || error.contains("template's folder"), "{step}: {error}");
    }
    assert_eq!(std::fs::read_dir(&outside).expect("outside").count(), 0, "nothing was written outside");
    assert!(dir.path().join("secret.txt").exists());
}
