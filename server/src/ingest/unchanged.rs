//! Telling the files of a whole-location pass that have not changed since
//! the last one, so they are not parsed again.
//!
//! A periodic pass over 33,000 unchanged files used to parse them all
//! (3-4 s on both cores every `refreshInterval`, and the server's peak
//! memory). The parse of a file depends only on its text, where it was read
//! from, the location above it and the catalog rules, so a fingerprint of
//! those tells an unchanged file, and its stored entities are taken as
//! emitted again. Only files that parsed cleanly get a fingerprint: a file
//! with an invalid document keeps its errors by being parsed each time, a
//! file with a Location entity must be parsed for the targets to follow,
//! and a file with `$text`/`$json`/`$yaml` references depends on other files.
//! A fingerprint is trusted only while the location stores as many clean
//! entities from the file as it emitted (see
//! [`crate::store::fingerprints::of_location`]).

use hashbrown::HashMap;
use sha2::{Digest, Sha256};

use super::process::KindRule;
use super::reader::ReadFile;
use crate::store::fingerprints::{self, StoredFingerprint};

/// Raised when what a parse makes of a file changes without its text
/// changing (validation, annotations): every file is then parsed again once.
const PARSE_VERSION: u32 = 1;

/// The stored fingerprints of a location, for one pass.
#[derive(Debug)]
pub(super) struct Fingerprints {
    /// What every file's fingerprint starts from: the parse version and the
    /// pass's context.
    base: Sha256,
    /// The stored ones not yet matched to a file this pass read, by the
    /// hash of their source under `hasher`.
    stored: HashMap<u64, StoredFingerprint>,
    /// Hashes of the sources this pass has sorted: a file read twice (by
    /// two globs) is parsed the second time and gets no second
    /// fingerprint. Hashes, not the sources (33,000 paths at 100,000
    /// entities, already held twice by the pass): two sources with the same
    /// hash only cost the second one a parse.
    sorted: hashbrown::HashSet<u64>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Where the unmatched ones' sources are read back from.
    pool: sqlx::AnyPool,
    location_id: String,
}

/// What a pass learnt about its files' fingerprints, handed to the writer
/// with the chunk holding those files' entities.
#[derive(Debug, Default)]
pub(super) struct FileNotes {
    /// Sources that did not change: their stored entities count as emitted.
    pub unchanged: Vec<String>,
    /// How many entities those files emitted.
    pub unchanged_entities: usize,
    /// Sources whose fingerprints go (files parsed again, or gone).
    pub forget: Vec<String>,
    /// Fresh fingerprints: `(source, fingerprint, entities)`.
    pub record: Vec<(String, String, usize)>,
}

impl FileNotes {
    /// Whether there is nothing for the writer to do.
    pub fn is_empty(&self) -> bool {
        self.unchanged.is_empty() && self.forget.is_empty() && self.record.is_empty()
    }
}

/// A file of a group sorted by [`Fingerprints::sort_out`].
pub(super) enum Sorted {
    /// Not changed: not parsed again.
    Unchanged(ReadFile),
    /// To parse, with the fingerprint to record if it parses cleanly
    /// (`None`: it has references to other files, and never gets one).
    Parse(ReadFile, Option<String>),
}

impl Fingerprints {
    /// The fingerprints stored for a location whose root is `root`, read
    /// under `rule`.
    pub async fn load(pool: &sqlx::AnyPool, location_id: &str, root: &str, rule: &KindRule) -> Result<Fingerprints, sqlx::Error> {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let stored = fingerprints::of_location(pool, location_id, &hasher).await?;
        let (pool, location_id) = (pool.clone(), location_id.to_owned());
        Ok(Fingerprints { base: base_of(root, rule), stored, sorted: hashbrown::HashSet::new(), hasher, pool, location_id })
    }

    /// Sorts a group of files read under the Location entity `parent_ref`
    /// into unchanged ones and ones to parse, hashing them on all cores.
    pub async fn sort_out(&mut self, group: Vec<ReadFile>, parent_ref: &str, notes: &mut FileNotes) -> anyhow::Result<Vec<Sorted>> {
        let mut base = self.base.clone();
        field(&mut base, parent_ref);
        let hashed = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            group
                .into_par_iter()
                .map(|file| {
                    let source = file.location.to_string();
                    let fingerprint = (!has_references(&file.text)).then(|| {
                        let mut hasher = base.clone();
                        field(&mut hasher, &source);
                        hasher.update(file.text.as_bytes());
                        <[u8; 32]>::from(hasher.finalize())
                    });
                    (source, fingerprint, file)
                })
                .collect::<Vec<_>>()
        })
        .await?;
        Ok(hashed.into_iter().map(|(source, fingerprint, file)| self.sort_one(source, fingerprint, file, notes)).collect())
    }

    /// Sorts one file (see [`Fingerprints::sort_out`]).
    fn sort_one(&mut self, source: String, fingerprint: Option<[u8; 32]>, file: ReadFile, notes: &mut FileNotes) -> Sorted {
        let key = std::hash::BuildHasher::hash_one(&self.hasher, &source);
        if !self.sorted.insert(key) {
            return Sorted::Parse(file, None);
        }
        let unchanged = match self.stored.get(&key) {
            None => return Sorted::Parse(file, fingerprint.map(hex::encode)),
            // Its stored row, and the other source's, go with the unmatched ones.
            Some(stored) if stored.collided => return Sorted::Parse(file, None),
            Some(stored) => (stored.trusted && fingerprint == Some(stored.fingerprint)).then_some(stored.entities),
        };
        self.stored.remove(&key);
        match unchanged {
            Some(entities) => {
                notes.unchanged.push(source);
                notes.unchanged_entities += entities;
                Sorted::Unchanged(file)
            }
            None => {
                notes.forget.push(source);
                Sorted::Parse(file, fingerprint.map(hex::encode))
            }
        }
    }

    /// The sources of stored fingerprints no file of this pass matched:
    /// files gone or unreadable, whose fingerprints go. Only then are the
    /// sources read back (the map holds their hashes).
    pub async fn unmatched(self) -> Result<Vec<String>, sqlx::Error> {
        if self.stored.is_empty() {
            return Ok(Vec::new());
        }
        let hashes: hashbrown::HashSet<u64> = self.stored.into_keys().collect();
        fingerprints::sources_hashed(&self.pool, &self.location_id, &self.hasher, &hashes).await
    }
}

/// What every file's fingerprint starts from: the parse version, the
/// location's root and the catalog rules.
fn base_of(root: &str, rule: &KindRule) -> Sha256 {
    let mut base = Sha256::new();
    base.update(PARSE_VERSION.to_le_bytes());
    base.update(env!("CARGO_PKG_VERSION").as_bytes());
    field(&mut base, root);
    // Every kind allowed differs from none allowed.
    match &rule.0 {
        None => base.update([0u8]),
        Some(kinds) => {
            base.update([1u8]);
            for kind in kinds {
                field(&mut base, &kind.to_ascii_lowercase());
            }
        }
    }
    base
}

/// Hashes `text` with its length, so that two fields cannot run together.
fn field(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

/// Whether a file may hold `$text`/`$json`/`$yaml` references (whose
/// targets can change while it does not). A mention in prose counts too.
fn has_references(text: &str) -> bool {
    text.match_indices('$').any(|(at, _)| {
        let rest = &text[at + 1..];
        rest.starts_with("text") || rest.starts_with("json") || rest.starts_with("yaml")
    })
}

/// Whether a parsed file may get a fingerprint: every document is a valid
/// entity the rules allow, none a Location, and nothing is an error.
/// Returns how many entities it emitted.
pub(super) fn clean_entities(report: &portolan_catalog::FileReport, rule: &KindRule) -> Option<usize> {
    let errors = report.diagnostics.iter().any(|d| d.severity == portolan_catalog::Severity::Error);
    let mut entities = 0;
    for doc in &report.documents {
        let entity = doc.entity.as_ref()?;
        if !rule.allows(&entity.kind) || entity.kind.eq_ignore_ascii_case("location") {
            return None;
        }
        entities += 1;
    }
    (!errors).then_some(entities)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_told_from_prose() {
        assert!(has_references("description:\n  $text: ./README.md\n"));
        assert!(has_references("spec:\n  definition:\n    $yaml: https://example.com/api.yaml\n"));
        assert!(!has_references("description: costs $5 a month\nname: a\n"));
        assert!(!has_references("name: text-service\n"));
    }

    #[test]
    fn the_rules_and_the_root_are_part_of_every_fingerprint() {
        let base = |root: &str, rule: KindRule| hex::encode(base_of(root, &rule).finalize());
        let all = base("file:/c/catalog-info.yaml", KindRule(None));
        let none = base("file:/c/catalog-info.yaml", KindRule(Some(vec![])));
        let components = base("file:/c/catalog-info.yaml", KindRule(Some(vec!["Component".into()])));
        assert_ne!(all, none);
        assert_ne!(none, components);
        assert_eq!(components, base("file:/c/catalog-info.yaml", KindRule(Some(vec!["component".into()]))));
        assert_ne!(all, base("file:/d/catalog-info.yaml", KindRule(None)));
    }

    fn read_file(path: &str, text: &str) -> ReadFile {
        ReadFile { location: portolan_catalog::LocationRef::new("file", path), text: text.to_owned(), stamp: None }
    }

    const ROOT: &str = "file:/c/catalog-info.yaml";
    const PARENT: &str = "location:default/root";

    #[tokio::test]
    async fn stored_fingerprints_are_found_by_source_and_the_unmatched_read_back() {
        let db = crate::store::Db::connect("sqlite::memory:").await.expect("database");
        let rule = KindRule(None);
        let mut first = Fingerprints::load(&db.pool, "loc", ROOT, &rule).await.expect("fingerprints");
        let mut notes = FileNotes::default();
        let files = vec![read_file("/c/a.yaml", "a: 1\n"), read_file("/c/b.yaml", "b: 1\n")];
        let fresh: Vec<(String, String, usize)> = first
            .sort_out(files, PARENT, &mut notes)
            .await
            .expect("sorted")
            .into_iter()
            .filter_map(|sorted| match sorted {
                Sorted::Parse(file, Some(fingerprint)) => Some((file.location.to_string(), fingerprint, 0)),
                _ => None,
            })
            .collect();
        assert_eq!(fresh.len(), 2, "both files are new and get fingerprints");
        let mut conn = db.pool.acquire().await.expect("connection");
        crate::store::fingerprints::replace(&mut conn, "loc", &[], &fresh).await.expect("recorded");
        drop(conn);

        // The next pass reads a unchanged, and b is gone.
        let mut next = Fingerprints::load(&db.pool, "loc", ROOT, &rule).await.expect("fingerprints");
        let mut notes = FileNotes::default();
        let sorted = next.sort_out(vec![read_file("/c/a.yaml", "a: 1\n")], PARENT, &mut notes).await.expect("sorted");
        assert!(matches!(sorted.as_slice(), [Sorted::Unchanged(_)]));
        assert_eq!(notes.unchanged, ["file:/c/a.yaml"]);
        assert_eq!(next.unmatched().await.expect("sources"), ["file:/c/b.yaml"]);

        // An edited file is parsed, its old fingerprint forgotten.
        let mut edited = Fingerprints::load(&db.pool, "loc", ROOT, &rule).await.expect("fingerprints");
        let mut notes = FileNotes::default();
        let sorted = edited.sort_out(vec![read_file("/c/a.yaml", "a: 2\n")], PARENT, &mut notes).await.expect("sorted");
        assert!(matches!(sorted.as_slice(), [Sorted::Parse(_, Some(_))]));
        assert_eq!(notes.forget, ["file:/c/a.yaml"]);
    }

    #[tokio::test]
    async fn a_source_whose_hash_another_shares_is_parsed_and_its_row_forgotten() {
        let db = crate::store::Db::connect("sqlite::memory:").await.expect("database");
        let rule = KindRule(None);
        let mut conn = db.pool.acquire().await.expect("connection");
        let row = ("file:/c/a.yaml".to_owned(), "00".repeat(32), 0);
        crate::store::fingerprints::replace(&mut conn, "loc", &[], &[row]).await.expect("recorded");
        drop(conn);
        let mut fingerprints = Fingerprints::load(&db.pool, "loc", ROOT, &rule).await.expect("fingerprints");
        // As `of_location` leaves an entry two sources hash to.
        for stored in fingerprints.stored.values_mut() {
            stored.collided = true;
        }
        let mut notes = FileNotes::default();
        let sorted = fingerprints.sort_out(vec![read_file("/c/a.yaml", "a: 1\n")], PARENT, &mut notes).await.expect("sorted");
        assert!(matches!(sorted.as_slice(), [Sorted::Parse(_, None)]), "parsed, with no fingerprint to record");
        assert_eq!(fingerprints.unmatched().await.expect("sources"), ["file:/c/a.yaml"], "its stored row goes");
    }
}
