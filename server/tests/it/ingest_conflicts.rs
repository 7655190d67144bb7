//! Two locations emitting the same entity: the one that stored it first
//! keeps it, and the other reports a conflict — also when the first stores
//! it in the middle of the other's pass.

use std::sync::atomic::{AtomicBool, Ordering};

use portolan::ingest::reader::ReadFuture;
use portolan::ingest::{FileReader, KindRule, OrphanStrategy, ProcessOutcome, Reader, process_location};
use portolan::search::SearchIndex;
use portolan::store::Db;
use portolan::store::locations::LocationRow;
use sqlx::Row;

use crate::ingest::register;
use crate::support::TestDb;

fn components(names: impl Iterator<Item = String>, title: &str) -> String {
    names
        .map(|name| {
            format!("---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  title: {title}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n")
        })
        .collect()
}

async fn process(db: &Db, reader: &dyn Reader, loc: &LocationRow) -> ProcessOutcome {
    process_location(db, &SearchIndex::new(), reader, loc, &KindRule::default(), OrphanStrategy::Delete).await.expect("process")
}

/// The location an entity is stored from, and its title.
async fn stored_from(db: &Db, entity_ref: &str) -> (String, String) {
    let row = sqlx::query("SELECT location_id, body FROM entities WHERE entity_ref = $1")
        .bind(entity_ref)
        .fetch_one(&db.pool)
        .await
        .expect("stored");
    let body: serde_json::Value = serde_json::from_str(&row.get::<String, _>("body")).expect("body");
    (row.get("location_id"), body["metadata"]["title"].as_str().unwrap_or_default().to_owned())
}

async fn stored_of(db: &Db, location: &LocationRow) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM entities WHERE location_id = $1")
        .bind(&location.id)
        .fetch_one(&db.pool)
        .await
        .expect("count")
        .get("n")
}

fn conflicts(outcome: &ProcessOutcome) -> Vec<&String> {
    outcome.errors.iter().filter(|e| e.starts_with("ConflictError")).collect()
}

#[tokio::test]
async fn an_entity_another_location_stored_stays_theirs() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("theirs.yaml"), components(["shared".to_owned()].into_iter(), "Theirs")).expect("write");
        std::fs::write(dir.path().join("mine.yaml"), components(["shared", "own"].map(str::to_owned).into_iter(), "Mine")).expect("write");
        let theirs = register(&t, &dir.path().join("theirs.yaml")).await;
        let mine = register(&t, &dir.path().join("mine.yaml")).await;
        assert_eq!(conflicts(&process(&t.db, &FileReader, &theirs).await).len(), 0);

        let outcome = process(&t.db, &FileReader, &mine).await;
        assert_eq!(conflicts(&outcome).len(), 1, "{outcome:?}");
        assert!(conflicts(&outcome)[0].contains("component:default/shared"), "{outcome:?}");
        assert_eq!(stored_from(&t.db, "component:default/shared").await, (theirs.id.clone(), "Theirs".to_owned()));
        assert_eq!(stored_from(&t.db, "component:default/own").await, (mine.id.clone(), "Mine".to_owned()));
    }
}

/// Reads files from disk; before the first read of `c.yaml` it waits for
/// the pass's first chunk to be stored, then has `other` processed whole.
struct InterleavingReader<'t> {
    db: &'t Db,
    pass: &'t LocationRow,
    other: &'t LocationRow,
    done: AtomicBool,
}

impl Reader for InterleavingReader<'_> {
    fn read<'a>(&'a self, location: &'a portolan_catalog::LocationRef) -> ReadFuture<'a> {
        Box::pin(async move {
            if location.target.ends_with("c.yaml") && !self.done.swap(true, Ordering::SeqCst) {
                let waiting = std::time::Instant::now();
                while stored_of(self.db, self.pass).await == 0 {
                    assert!(waiting.elapsed() < std::time::Duration::from_secs(30), "the pass's first chunk was never stored");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                let outcome = process(self.db, &FileReader, self.other).await;
                assert!(outcome.errors.is_empty(), "{outcome:?}");
            }
            FileReader.read(location).await
        })
    }
}

/// A pass of a location alone in the database does not look its entities
/// up; another location storing one of them between its chunks must still
/// make it a conflict (not a failed insert, nor a stolen entity).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_another_location_stores_during_a_pass_stays_theirs() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("catalog-info.yaml"),
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: files\nspec:\n  targets: [./a.yaml, ./b.yaml, ./c.yaml]\n",
        )
        .expect("write");
        // 1,100 entities a file: a chunk is sent after each, and a chunk is
        // written once the next one arrives, so the first is stored before
        // c.yaml is read and the third (c.yaml's) after `other` ran.
        for file in ["a", "b", "c"] {
            let names = (0..1_100).map(|i| format!("{file}-{i:04}"));
            std::fs::write(dir.path().join(format!("{file}.yaml")), components(names, "Mine")).expect("write");
        }
        std::fs::write(dir.path().join("other.yaml"), components(["c-0005".to_owned()].into_iter(), "Theirs")).expect("write");
        let pass = register(&t, &dir.path().join("catalog-info.yaml")).await;
        let other = register(&t, &dir.path().join("other.yaml")).await;

        let reader = InterleavingReader { db: &t.db, pass: &pass, other: &other, done: AtomicBool::new(false) };
        let outcome = process(&t.db, &reader, &pass).await;
        assert!(reader.done.load(Ordering::SeqCst), "c.yaml was read");
        assert_eq!(conflicts(&outcome).len(), 1, "{outcome:?}");
        assert!(conflicts(&outcome)[0].contains("component:default/c-0005"), "{outcome:?}");
        assert_eq!(stored_from(&t.db, "component:default/c-0005").await, (other.id.clone(), "Theirs".to_owned()));
        assert_eq!(stored_from(&t.db, "component:default/c-0006").await, (pass.id.clone(), "Mine".to_owned()));
        assert_eq!(stored_of(&t.db, &pass).await, 3 * 1_100 - 1 + 2, "every other component, the Location and the generated one");
    }
}
