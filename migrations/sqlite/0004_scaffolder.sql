-- Scaffolder tasks: one row per run of a template. Workers claim open tasks
-- by moving them to processing; a heartbeat tells live runs from runs a
-- stopped server left behind.
CREATE TABLE scaffolder_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    spec TEXT NOT NULL,                  -- JSON: steps, output, parameters, user, templateInfo
    secrets TEXT,                        -- JSON; never returned, cleared when the task ends
    status TEXT NOT NULL,                -- open, processing, completed, failed, cancelled
    created_at TEXT NOT NULL,            -- RFC 3339, UTC
    created_by TEXT,                     -- user entity ref
    last_heartbeat_at TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    state TEXT                           -- JSON: step statuses and the rendered output
);
CREATE INDEX scaffolder_tasks_created ON scaffolder_tasks (created_at);
CREATE INDEX scaffolder_tasks_status ON scaffolder_tasks (status);

-- What a task said as it ran, in order: step changes, log lines, the end.
CREATE TABLE scaffolder_task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES scaffolder_tasks (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,            -- log, completion, cancelled, recovered
    body TEXT NOT NULL,                  -- JSON: message, stepId, status, output
    created_at TEXT NOT NULL
);
CREATE INDEX scaffolder_task_events_task ON scaffolder_task_events (task_id, id);
