-- Every query of entities by the file they were read from also names the
-- location (a pass's lookups, the fingerprints' counts, the parent of a
-- file), and the rest by location alone: one index on both replaces one on
-- each. A write updates one index fewer, and a periodic pass, which looks
-- for the entities of files it did not find unchanged, reads the index
-- instead of every row of the location.
CREATE INDEX entities_location_source ON entities (location_id, source);
DROP INDEX entities_location;
DROP INDEX entities_source;
