//! Rendering the scaffolder pages.

use std::collections::BTreeMap;

use portolan_catalog::template::TemplateForm;
use serde_json::{Map, Value, json};

use super::*;
use crate::explore::{ExplorePage, ExploreQuery, Facet, FacetKey, FacetValue};
use crate::viewer::Viewer;

/// The parameters of `templates/go-service/template.yaml`, plus a secret on the second step.
fn go_service() -> TemplateForm {
    let parameters = json!([
        {
            "title": "Service details",
            "description": "What the service is called, what it does and who owns it.",
            "required": ["name", "description", "owner"],
            "properties": {
                "name": {"title": "Name", "type": "string", "description": "Unique name of the service.", "ui:field": "EntityNamePicker",
                    "ui:autofocus": true, "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "minLength": 2, "maxLength": 63},
                "description": {"title": "Description", "type": "string", "maxLength": 200},
                "owner": {"title": "Owner", "type": "string", "ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": "Group"}}},
                "system": {"title": "System", "type": "string", "ui:field": "EntityPicker", "ui:options": {"catalogFilter": {"kind": "System"}}},
            },
        },
        {
            "title": "Runtime and repository",
            "required": ["repoUrl"],
            "properties": {
                "port": {"title": "HTTP port", "type": "integer", "default": 8080, "minimum": 1024, "maximum": 65535},
                "repoUrl": {"title": "Repository location", "type": "string", "ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["github.com"]}},
                "token": {"title": "Deploy token", "type": "string", "ui:widget": "password"},
                "note": {"title": "Internal note", "type": "string", "ui:backstage": {"review": {"show": false}}},
            },
        },
    ]);
    TemplateForm::from_parameters(Some(&parameters)).0
}

fn viewer() -> Viewer {
    Viewer { csrf: "csrf-token-1".to_owned(), path: "/create".to_owned(), ..Viewer::default() }
}

fn template() -> crate::data::EntitySummary {
    crate::data::EntitySummary {
        kind: "Template".into(),
        namespace: "default".into(),
        name: "go-service".to_owned(),
        title: Some("Go service".to_owned()),
        description: Some("Golden path for a new Go HTTP service.".to_owned()),
        owner: Some("group:default/platform-eng".into()),
        spec_type: Some("service".into()),
        tags: ["go".into(), "service".into()].into(),
        ..Default::default()
    }
}

fn wizard(step: usize, values: Value) -> WizardView {
    let form = go_service();
    let values: Map<String, Value> = values.as_object().cloned().unwrap_or_default();
    let errors = form.steps.get(step).map(|s| s.validate(&values)).unwrap_or_default();
    let mut options = BTreeMap::new();
    options.insert("owner".to_owned(), vec![PickerOption { value: "group:default/payments".to_owned(), label: "Payments".to_owned() }]);
    WizardView { template: template(), form, step, values, errors, options, labels: ButtonLabels::default(), problem: None }
}

#[test]
fn a_step_with_errors_marks_its_fields() {
    let page = crate::render_wizard(&viewer(), wizard(0, json!({"name": "Bad Name"})));
    assert_eq!(page.status, 422);
    let html = page.html;
    assert!(html.contains(r#"action="/create/templates/default/go-service""#), "{html}");
    assert!(html.contains(r#"name="_csrf" value="csrf-token-1""#));
    assert!(html.contains(r#"name="_step" value="0""#));
    assert!(html.contains(r#"name="_state" value="{&quot;name&quot;:&quot;Bad Name&quot;}""#), "{html}");
    assert!(html.contains(r#"name="_shown" value="name,description,owner,system""#));
    assert!(html.contains(r#"<label for="f-name">Name"#));
    assert!(html.contains(r#"id="f-name" name="p.name" value="Bad Name" required"#), "{html}");
    assert!(html.contains(r#"pattern="^[a-z]([-a-z0-9]*[a-z0-9])?$" minlength="2" maxlength="63""#));
    assert!(html.contains("autofocus"));
    assert!(html.contains(r#"aria-describedby="f-name-help f-name-error" aria-invalid="true""#), "{html}");
    assert!(html.contains(r#"<p id="f-name-error" class="field-error">must match the pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$</p>"#), "{html}");
    assert!(html.contains("There are 3 problems"));
    assert!(html.contains(r##"<a href="#f-owner">Owner: is required</a>"##), "{html}");
    assert!(html.contains(r#"list="f-owner-choices""#) && html.contains(r#"<option value="group:default/payments">Payments</option>"#));
    assert!(html.contains(r#"name="_go" value="next""#));
    assert!(!html.contains(r#"value="back""#), "no Back on the first step");
    assert!(html.contains(r#"aria-current="step""#));
    assert!(html.contains("Runtime and repository") && html.contains("Review"));
}

#[test]
fn the_second_step_has_a_repository_picker_and_a_number() {
    let html = crate::render_wizard(&viewer(), wizard(1, json!({"name": "svc", "repoUrl": "github.com?owner=acme&repo=svc"}))).html;
    assert!(html.contains(r#"<select id="f-repourl-host" name="p.repoUrl.host" required"#), "{html}");
    assert!(html.contains(r#"<option value="github.com" selected>github.com</option>"#), "{html}");
    assert!(html.contains(r#"name="p.repoUrl.owner" value="acme""#) && html.contains(r#"name="p.repoUrl.repo" value="svc""#));
    assert!(html.contains(r#"type="number" id="f-port" name="p.port" value="8080" step="1" min="1024" max="65535""#), "{html}");
    assert!(html.contains(r#"type="password" id="f-token" name="p.token""#));
    assert!(html.contains(r#"value="back" formnovalidate"#));
    assert!(html.contains(">Review</button>"));
    assert!(html.contains(r#"<button type="submit" form="wizard" name="_go" value="review-edit:0" formnovalidate"#), "{html}");
}

#[test]
fn the_review_masks_secrets_and_hides_what_asks_to_be_hidden() {
    let values = json!({"name": "svc", "description": "Does things", "owner": "group:default/payments", "port": 8080,
        "repoUrl": "github.com?owner=acme&repo=svc", "token": "s3cr3t-value", "note": "private-note"});
    let mut view = wizard(2, values);
    view.labels = ButtonLabels::from_presentation(Some(&json!({"buttonLabels": {"createButtonText": "Make it"}})));
    let html = crate::render_wizard(&viewer(), view).html;
    let review = html.split("<h2>Review</h2>").nth(1).unwrap_or_default();
    assert!(!review.is_empty(), "{html}");
    assert!(review.contains("<th scope=\"row\">Deploy token</th><td><span aria-label=\"hidden\" class=\"masked\">******</span>"), "{review}");
    assert!(!review.contains("s3cr3t-value"));
    assert!(!review.contains("Internal note") && !review.contains("private-note"));
    assert!(review.contains("Payments (group:default/payments)"));
    assert!(review.contains("github.com/acme/svc"));
    assert!(review.contains(r#"value="review-edit:1""#) && review.contains("aria-label=\"Edit Runtime and repository\""));
    assert!(review.contains(r#"name="_go" value="create">Make it</button>"#));
    assert!(html.contains(r#"name="_step" value="2""#));
}

fn task(status: &str) -> TaskView {
    TaskView {
        id: "a1b2".to_owned(),
        template_title: "Go service".to_owned(),
        template_href: Some("/create/templates/default/go-service".to_owned()),
        status: status.to_owned(),
        created_at: "2025-01-02T03:04:05.678Z".to_owned(),
        created_by: Some("user:default/jo".to_owned()),
        steps: vec![
            TaskStepView { id: "fetch".to_owned(), name: "Render the skeleton".to_owned(), action: "fetch:template".to_owned(), status: "completed".to_owned() },
            TaskStepView { id: "publish".to_owned(), name: "Publish".to_owned(), action: "publish:github".to_owned(), status: "processing".to_owned() },
        ],
        log: vec![
            TaskLogLine { id: 3, created_at: "2025-01-02T03:04:06Z".to_owned(), step_id: Some("fetch".to_owned()), message: "Fetching <template>".to_owned() },
            TaskLogLine { id: 7, created_at: "2025-01-02T03:04:07Z".to_owned(), step_id: Some("publish".to_owned()), message: "Creating repository".to_owned() },
        ],
        may_cancel: true,
        ..TaskView::default()
    }
}

#[test]
fn a_running_task_follows_itself() {
    let html = crate::render_task(&viewer(), task("processing")).html;
    assert!(html.contains(r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#), "{html}");
    assert!(html.contains(r#"<script src="/static/task-follow.js" defer></script>"#), "{html}");
    assert!(html.contains(r#"data-task-id="a1b2" data-last-event="7" data-follow="true""#), "{html}");
    assert!(html.contains(r#"data-step-id="publish""#) && html.contains(r#"data-log-for="fetch""#));
    assert!(html.contains("Fetching &lt;template&gt;"));
    assert!(html.contains(r#"action="/create/tasks/a1b2/cancel""#) && html.contains(r#"name="_csrf" value="csrf-token-1""#));
    assert!(html.contains(r#"id="task-status" data-status="processing""#), "{html}");
    assert!(html.contains("2025-01-02 03:04:05"));
    assert!(TASK_FOLLOW_SCRIPT.contains("EventSource") && TASK_FOLLOW_SCRIPT.contains("completion"));
}

#[test]
fn a_finished_task_shows_its_output() {
    let mut done = task("completed");
    done.links = vec![TaskLink { title: "Repository".to_owned(), url: "https://github.com/acme/svc".to_owned(), icon: Some("github".to_owned()) }];
    done.texts = vec![TaskText { title: "Next".to_owned(), content: "Deploy it".to_owned() }];
    let html = crate::render_task(&viewer(), done).html;
    assert!(!html.contains("task-follow.js") && !html.contains("http-equiv"));
    assert!(!html.contains("/cancel"));
    assert!(html.contains(r#"href="https://github.com/acme/svc" class="button button-quiet">Repository</a>"#), "{html}");
    assert!(html.contains("Deploy it"));
    let list = crate::render_tasks(&viewer(), vec![TaskRowView { id: "a1b2".to_owned(), template_title: "Go service".to_owned(), status: "failed".to_owned(), created_at: "2025-01-02T03:04:05Z".to_owned(), ..TaskRowView::default() }]).html;
    assert!(list.contains(r#"href="/create/tasks/a1b2""#) && list.contains("status-failed"));
}

#[test]
fn the_template_list_links_choices_and_tags() {
    let page = ExplorePage {
        rows: vec![template()],
        total: 1,
        facets: vec![Facet { key: FacetKey::Tag, values: vec![FacetValue { value: "go".to_owned(), count: 1, selected: true }], more: 0 }],
        ..ExplorePage::default()
    };
    let query = ExploreQuery::from_pairs([("tag", "go")]);
    let html = crate::render_templates(&viewer(), page, &query).html;
    assert!(html.contains(r#"href="/create/templates/default/go-service""#), "{html}");
    assert!(html.contains(r#"<a href="/create?tag=service">service</a>"#));
    assert!(html.contains(r#"href="/create" aria-pressed="true""#), "selected tag toggles off: {html}");
    assert!(html.contains(r#"<input type="hidden" name="tag" value="go">"#));
    assert!(html.contains(r#"aria-current="page">Create"#) || html.contains(r#"href="/create" aria-current="page""#));
    let empty = crate::render_templates(&viewer(), ExplorePage::default(), &ExploreQuery::default()).html;
    assert!(empty.contains("no software templates yet"));
}
