-- The catalog: locations, final entities, relations in both directions, the
-- flattened key/value search table behind filters and facets, and the
-- sources (files, URLs) the refresh loop reads.

CREATE TABLE locations (
    id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    target TEXT NOT NULL,
    origin TEXT NOT NULL,                -- 'config' (static, not deletable) or 'api'
    created_at TEXT NOT NULL,
    UNIQUE (type, target)
);

CREATE TABLE entities (
    uid TEXT PRIMARY KEY NOT NULL,
    entity_ref TEXT NOT NULL UNIQUE,     -- kind:namespace/name, lower-cased
    kind TEXT NOT NULL,                  -- lower-cased
    namespace TEXT NOT NULL,             -- lower-cased
    name TEXT NOT NULL,                  -- lower-cased
    location_id TEXT NOT NULL,           -- the location whose tree emitted it
    source TEXT NOT NULL,                -- location ref of the file it was read from
    parent_ref TEXT,                     -- the Location entity that led to that file (ancestry)
    etag TEXT NOT NULL,
    hash TEXT NOT NULL,                  -- of what was read, to skip unchanged writes
    body TEXT NOT NULL,                  -- entity JSON with uid and etag, without relations and status
    errors TEXT,                         -- JSON array of processing errors; NULL when the last read was clean
    orphan BIGINT NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL,           -- lower-cased text for full-text filtering
    updated_at TEXT NOT NULL
);
CREATE INDEX entities_kind ON entities (kind, namespace, name);
CREATE INDEX entities_location ON entities (location_id);
CREATE INDEX entities_source ON entities (source);

-- Each relation is stored twice, as written and inverted, both owned by the
-- entity whose spec made it: the rows of an entity are `source_ref = its ref`.
CREATE TABLE relations (
    origin_uid TEXT NOT NULL REFERENCES entities (uid) ON DELETE CASCADE,
    source_ref TEXT NOT NULL,
    type TEXT NOT NULL,
    target_ref TEXT NOT NULL
);
CREATE INDEX relations_source ON relations (source_ref, type);
CREATE INDEX relations_origin ON relations (origin_uid);

-- Backstage's flattened search rows: lower-cased dotted keys and values.
CREATE TABLE search (
    uid TEXT NOT NULL REFERENCES entities (uid) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT,                          -- lower-cased, what filters match
    original_value TEXT                  -- as written, what facets show
);
CREATE INDEX search_key_value ON search (key, value, uid);
CREATE INDEX search_uid ON search (uid);

CREATE TABLE sources (
    source TEXT PRIMARY KEY NOT NULL,    -- "file:/abs/path" or "url:https://..."
    location_id TEXT NOT NULL,
    content_hash TEXT,
    etag TEXT,
    last_error TEXT,
    read_at TEXT
);
CREATE INDEX sources_location ON sources (location_id);
