//! The search index saved to a file and read back at start, on SQLite and
//! PostgreSQL: the same answers as an index built from the entities, the
//! changes made after the save applied on top, and a file that is damaged or
//! belongs to another database ignored.

use std::path::Path;
use std::sync::Arc;

use portolan::api::catalog::query::{Direction, EntityFilter, EntityQuery, FullTextFilter};
use portolan::ingest::{FileReader, KindRule, OrphanStrategy, process_location};
use portolan::search::SearchIndex;
use portolan::store::locations::{self, LocationRow, ORIGIN_CONFIG};

use crate::support::{TestDb, copy_tree, repo};

/// Every answer the index gives that a start must keep: entity refs per
/// kind, relations of each, facets, a full-text search.
fn answers(index: &SearchIndex) -> Vec<String> {
    let mut out = Vec::new();
    let all = index.page(&EntityQuery::default(), None, Direction::Next, 10_000, 0);
    for row in &all {
        out.push(format!("{} {}", row.uid, row.entity_ref));
        out.push(format!("{:?}", index.relations_of(&row.entity_ref)));
    }
    for kind in ["component", "api", "group", "user", "system", "location"] {
        let filter = EntityFilter::parse([format!("kind={kind}").as_str()]).expect("filter").map(|f| f.to_predicate());
        let query = EntityQuery { filter, ..Default::default() };
        out.push(format!("{kind}: {:?}", index.page(&query, None, Direction::Next, 10_000, 0).iter().map(|r| &r.entity_ref).collect::<Vec<_>>()));
    }
    let facets = index.facets(&["kind".to_owned(), "spec.type".to_owned(), "spec.owner".to_owned(), "metadata.tags".to_owned()], None);
    out.push(format!("{facets:?}"));
    let text = EntityQuery { full_text: FullTextFilter::new(Some("platform"), []), ..Default::default() };
    out.push(format!("{:?}", index.page(&text, None, Direction::Next, 100, 0).iter().map(|r| &r.entity_ref).collect::<Vec<_>>()));
    out.push(format!("{:?}", index.summaries().iter().map(|s| format!("{s:?}")).collect::<std::collections::BTreeSet<_>>()));
    out
}

async fn save(index: &Arc<SearchIndex>, t: &TestDb, path: &Path) -> Option<i64> {
    let (index, db, path, runtime) = (Arc::clone(index), t.db.clone(), path.to_owned(), tokio::runtime::Handle::current());
    tokio::task::spawn_blocking(move || index.write_snapshot(&runtime, &db, &path)).await.expect("join").expect("save")
}

async fn opened(t: &TestDb, path: &Path) -> SearchIndex {
    let index = SearchIndex::new();
    index.open(&t.db, Some(path)).await.expect("open");
    index
}

async fn built(t: &TestDb) -> SearchIndex {
    let index = SearchIndex::new();
    index.load(&t.db).await.expect("load");
    index
}

async fn example_catalog(t: &TestDb, dir: &Path) -> LocationRow {
    copy_tree(&repo().join("catalog/example"), &dir.join("catalog/example"));
    let root = dir.join("catalog/example/catalog-info.yaml");
    locations::insert(&t.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("location")
}

#[tokio::test]
async fn a_saved_index_reads_back_whole_and_catches_up() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("index.bin");
        let loc = example_catalog(&t, dir.path()).await;
        let writer = Arc::new(SearchIndex::new());
        let pass = async || process_location(&t.db, &writer, &FileReader, &loc, &KindRule::default(), OrphanStrategy::Delete).await.expect("process");
        pass().await;
        assert_eq!(save(&Arc::new(SearchIndex::new()), &t, &path).await, None, "an index that applied no change has nothing to save");
        let seq = save(&writer, &t, &path).await.expect("saved");
        assert_eq!(seq, writer.synced_seq().await);

        let restored = opened(&t, &path).await;
        assert_eq!(restored.len(), 93, "{:?}", t.db.backend);
        assert_eq!(answers(&restored), answers(&writer));
        assert_eq!(answers(&restored), answers(&built(&t).await));
        assert_eq!(restored.synced_seq().await, seq);

        // The file is what was read: a body changed behind the index's back
        // (no change row) shows in a full build, not in the snapshot.
        sqlx::query("UPDATE entities SET body = REPLACE(body, '\"Platform\"', '\"Platform (unlogged)\"')").execute(&t.db.pool).await.expect("update");
        let unlogged = |index: &SearchIndex| {
            let query = EntityQuery { full_text: FullTextFilter::new(Some("unlogged"), []), ..Default::default() };
            index.page(&query, None, Direction::Next, 10, 0).len()
        };
        assert!(unlogged(&built(&t).await) > 0);
        assert_eq!(unlogged(&opened(&t, &path).await), 0, "the index came from the file");
        sqlx::query("UPDATE entities SET body = REPLACE(body, '\"Platform (unlogged)\"', '\"Platform\"')").execute(&t.db.pool).await.expect("update");

        // Changes after the save: an edit and a deleted file.
        let domains = dir.path().join("catalog/example/domains.yaml");
        let text = std::fs::read_to_string(&domains).expect("read");
        std::fs::write(&domains, text.replacen("title: Platform\n", "title: Platform Engineering Domain\n", 1)).expect("write");
        std::fs::remove_file(dir.path().join("catalog/example/resources.yaml")).expect("remove");
        pass().await;
        let caught_up = opened(&t, &path).await;
        assert!(caught_up.synced_seq().await > seq);
        assert_eq!(answers(&caught_up), answers(&writer));
        assert_eq!(answers(&caught_up), answers(&built(&t).await));

        // A damaged file is not used: the index is built from the entities.
        let bytes = std::fs::read(&path).expect("read snapshot");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
        assert_eq!(answers(&opened(&t, &path).await), answers(&writer));
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 3;
        flipped[middle..middle + 64].fill(0xff);
        std::fs::write(&path, &flipped).expect("damage");
        assert_eq!(answers(&opened(&t, &path).await), answers(&writer));

        // Nor is the file of another database.
        std::fs::write(&path, &bytes).expect("restore");
        let other = TestDb::sqlite().await;
        let index = opened(&other, &path).await;
        assert!(index.is_empty(), "another database's snapshot is ignored");
    }
}
