//! A task as it runs (`/create/tasks/:id`): status, steps with their logs,
//! the output once done, and a cancel button; and the recent tasks
//! (`/create/tasks`). With scripts on, `task-follow.js` reads the `data-*`
//! attributes of the task section and follows the event stream; without,
//! the page refreshes itself while the task runs.

use leptos::prelude::*;

use super::{TaskLogLine, TaskRowView, TaskView, short_time, task_href};
use crate::pages::{css_token, ref_link};

/// A status as a badge; `id` lets the script update it.
fn status_badge(status: &str, id: Option<String>) -> impl IntoView + use<> {
    let class = format!("badge task-status status-{}", css_token(status));
    view! { <span class=class id=id data-status=status.to_owned()>{status.to_owned()}</span> }
}

fn time(at: &str) -> impl IntoView + use<> {
    view! { <time datetime=at.to_owned()>{short_time(at)}</time> }
}

/// A log as monospace lines; `step` names the step it belongs to ("" for the task's own lines).
fn log_block(step: &str, lines: Vec<&TaskLogLine>) -> impl IntoView + use<> {
    let body = lines
        .into_iter()
        .map(|l| view! { <span class="log-line" data-event-id=l.id.to_string()><span class="log-time">{short_time(&l.created_at)}</span>" "{l.message.clone()}"\n"</span> })
        .collect_view();
    view! { <pre class="log" data-log-for=step.to_owned()>{body}</pre> }
}

/// The task page content.
#[component]
pub fn TaskPage(
    /// What to show.
    task: TaskView,
) -> impl IntoView {
    let running = task.is_running();
    let last = task.log.iter().map(|l| l.id).max().unwrap_or(0).to_string();
    let follow = running.then_some("true");
    let steps = task
        .steps
        .iter()
        .map(|s| {
            let lines: Vec<&TaskLogLine> = task.log.iter().filter(|l| l.step_id.as_deref() == Some(s.id.as_str())).collect();
            let open = matches!(s.status.as_str(), "processing" | "failed") || (running && !lines.is_empty());
            view! {
                <li class="task-step" data-step-id=s.id.clone()>
                    <details open=open>
                        <summary>
                            <span class="task-step-name">{s.name.clone()}</span>
                            " " <code class="muted">{s.action.clone()}</code>
                            " " <span class="step-status">{status_badge(&s.status, None)}</span>
                        </summary>
                        {log_block(&s.id, lines)}
                    </details>
                </li>
            }
        })
        .collect_view();
    let known: Vec<&str> = task.steps.iter().map(|s| s.id.as_str()).collect();
    let general: Vec<&TaskLogLine> = task.log.iter().filter(|l| l.step_id.as_deref().is_none_or(|id| !known.contains(&id))).collect();
    let general = (!general.is_empty() || running).then(|| view! { <h3>"Task log"</h3>{log_block("", general)} });
    let error = task.error.clone().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> });
    let links = (!task.links.is_empty()).then(|| {
        let items = task
            .links
            .iter()
            .map(|l| {
                let icon = l.icon.clone().map(|i| view! { <span class=format!("link-icon icon-{}", css_token(&i)) aria-hidden="true"></span> });
                view! { <li>{icon}<a class="button button-quiet" href=l.url.clone()>{l.title.clone()}</a></li> }
            })
            .collect_view();
        view! { <ul class="task-links">{items}</ul> }
    });
    let texts = task
        .texts
        .iter()
        .map(|t| view! { <section class="task-text"><h3>{t.title.clone()}</h3><div class="task-text-body">{t.content.clone()}</div></section> })
        .collect_view();
    let output = (!task.links.is_empty() || !task.texts.is_empty()).then(|| view! { <section class="card" aria-labelledby="task-output"><h2 id="task-output">"Output"</h2>{links}{texts}</section> });
    let cancel_action = format!("{}/cancel", task_href(&task.id));
    let cancel = (running && task.may_cancel).then(|| {
        view! {
            <form method="post" action=cancel_action class="task-cancel">
                <crate::viewer::CsrfField />
                <button type="submit" class="button-danger">"Cancel task"</button>
            </form>
        }
    });
    let refresh = running.then(|| view! { <p class="muted task-refresh">"Running. " <a href=task_href(&task.id)>"Refresh"</a> " to see the latest log."</p> });
    let by = task.created_by.clone().filter(|b| !b.is_empty()).map(|b| view! { " by " {ref_link(&b, "user")} });
    let again = task.template_href.clone().map(|h| view! { <a class="button button-quiet" href=h>"Run the template again"</a> });
    view! {
        <div class="page-head">
            <p class="eyebrow"><a href="/create/tasks">"Tasks"</a></p>
            <h1>{task.template_title.clone()}</h1>
            <p class="lede">"Task " <code>{task.id.clone()}</code> " " {status_badge(&task.status, Some("task-status".to_owned()))}
                " · started " {time(&task.created_at)} {by}</p>
        </div>
        <section class="task" id="task" data-task-id=task.id.clone() data-last-event=last data-follow=follow aria-live="polite">
            {error}
            {output}
            <section class="card" aria-labelledby="task-steps-title">
                <h2 id="task-steps-title">"Steps"</h2>
                <ol class="task-steps">{steps}</ol>
                {general}
                {refresh}
            </section>
            <div class="actions">{cancel}{again}</div>
        </section>
    }
}

/// The recent tasks page content.
#[component]
pub fn TasksPage(
    /// The tasks, newest first.
    tasks: Vec<TaskRowView>,
) -> impl IntoView {
    let rows = tasks
        .iter()
        .map(|t| {
            let template = match t.template_href.clone() {
                Some(h) => view! { <a href=h>{t.template_title.clone()}</a> }.into_any(),
                None => t.template_title.clone().into_any(),
            };
            let by = match t.created_by.clone().filter(|b| !b.is_empty()) {
                Some(b) => ref_link(&b, "user"),
                None => view! { <span class="muted" aria-label="none">"—"</span> }.into_any(),
            };
            let label = format!("Task {} of {}", t.id, t.template_title);
            view! {
                <tr>
                    <th scope="row">{template}</th>
                    <td data-label="Status">{status_badge(&t.status, None)}</td>
                    <td data-label="Created by">{by}</td>
                    <td data-label="Created">{time(&t.created_at)}</td>
                    <td><a href=task_href(&t.id) aria-label=label>"Open"</a></td>
                </tr>
            }
        })
        .collect_view();
    let table = (!tasks.is_empty()).then(|| {
        view! {
            <div class="table-wrap">
                <table class="entity-table">
                    <caption class="visually-hidden">"Recent tasks"</caption>
                    <thead><tr><th scope="col">"Template"</th><th scope="col">"Status"</th><th scope="col">"Created by"</th><th scope="col">"Created"</th><th scope="col"><span class="visually-hidden">"Link"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    });
    let empty = tasks.is_empty().then(|| view! { <div class="empty-state"><p>"No tasks yet."</p><p><a href="/create">"Choose a template"</a></p></div> });
    view! {
        <div class="page-head">
            <p class="eyebrow"><a href="/create">"Create"</a></p>
            <h1>"Recent tasks"</h1>
        </div>
        {table}
        {empty}
    }
}
