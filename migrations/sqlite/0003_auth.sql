-- Who registered a location: its registrant may unregister it like an owner.
ALTER TABLE locations ADD COLUMN created_by TEXT;

-- The audit log: every sign-in, registration, deletion, refresh, template
-- run and token change, with who, what, when and how it ended.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,                    -- RFC 3339, UTC
    actor TEXT NOT NULL,                 -- user entity ref, or token:<id>
    action TEXT NOT NULL,                -- e.g. catalog.location.create, auth.sign-in
    target TEXT,
    result TEXT NOT NULL,                -- allowed, denied, failed, ok
    detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);

-- API tokens for automation: only a hash of the secret is kept.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,           -- sha256 of the secret, hex
    scopes TEXT NOT NULL,                -- JSON array of action names
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
