-- Filters, facets, full-text search, sorting and relations are answered from
-- an in-memory index that every server builds from `entities` at start and
-- keeps current by following `catalog_changes`. The key/value `search`
-- table (about 27 rows per entity) and the `relations` table go: writing
-- them was most of the cost of an ingest.

DROP TABLE search;
DROP TABLE relations;
DROP INDEX entities_kind;
ALTER TABLE entities DROP COLUMN search_text;

-- The entity's outgoing relations, from its spec, as a JSON array of
-- [type, target ref] pairs; the index derives the inverse ones.
ALTER TABLE entities ADD COLUMN relations TEXT NOT NULL DEFAULT '[]';

-- Relations written before this migration are gone: a blank hash makes the
-- next processing pass write every entity again, relations included.
UPDATE entities SET hash = '';

-- One row per entity written or deleted, in commit order (writers hold a
-- lock while they append), so that every server can bring its index up to
-- date by reading the rows after the last one it applied.
CREATE TABLE catalog_changes (
    seq BIGSERIAL PRIMARY KEY,
    uid TEXT NOT NULL
);
