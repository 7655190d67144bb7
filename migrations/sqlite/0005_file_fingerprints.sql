-- What the last whole processing pass read from each file of a location, so
-- that the next pass can tell a file that has not changed and skip parsing
-- it: its entities are taken as emitted again, unchanged. A row is written
-- only for a file whose every document was a valid entity (no Location
-- entity, no $text/$json/$yaml reference), and trusted only while the
-- location still stores that many clean entities from the file.
--
-- The `sources` table of the first migration was never used.

DROP TABLE sources;

CREATE TABLE file_fingerprints (
    location_id TEXT NOT NULL,
    source TEXT NOT NULL,                -- location ref of the file, as on its entities
    fingerprint TEXT NOT NULL,           -- SHA-256 of the text and of what else the parse depends on
    entities INTEGER NOT NULL,           -- how many entities the file emitted
    PRIMARY KEY (location_id, source)
);
