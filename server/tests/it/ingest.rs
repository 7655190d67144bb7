//! Ingestion into real SQLite and PostgreSQL: counts, relations both ways,
//! edits, orphans, missing files and broken edits that keep the last good entity.

use std::path::{Path, PathBuf};

use portolan::ingest::{FileReader, KindRule, OrphanStrategy, process_files, process_location};
use portolan::search::SearchIndex;
use portolan::store::entities;
use portolan::store::locations::{self, LocationRow, ORIGIN_CONFIG};
use serde_json::Value;

use crate::support::{TestDb, copy_tree, repo};

/// A copy of the example catalog and templates in a temporary folder.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&repo().join("catalog/example"), &dir.path().join("catalog/example"));
        copy_tree(&repo().join("templates"), &dir.path().join("templates"));
        Workspace { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("catalog/example/catalog-info.yaml")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join("catalog/example").join(rel)
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }
}

/// Registers a `file` location at `root`, as the configuration does.
pub(crate) async fn register(t: &TestDb, root: &Path) -> LocationRow {
    locations::insert(&t.db.pool, "file", &root.to_string_lossy(), ORIGIN_CONFIG).await.expect("insert location")
}

async fn run(t: &TestDb, loc: &LocationRow, orphans: OrphanStrategy) -> portolan::ingest::ProcessOutcome {
    process_location(&t.db, &SearchIndex::new(), &FileReader, loc, &KindRule::default(), orphans).await.expect("process")
}

/// Re-reads only `paths` of `loc`, as the file watcher does; `None` when
/// that is not enough and a whole pass is needed.
async fn run_files(t: &TestDb, loc: &LocationRow, paths: Vec<PathBuf>) -> Option<portolan::ingest::ProcessOutcome> {
    process_files(&t.db, &SearchIndex::new(), &FileReader, loc, &KindRule::default(), OrphanStrategy::Delete, &paths).await.expect("process files")
}

async fn entity(t: &TestDb, entity_ref: &str) -> Option<Value> {
    let row = entities::by_ref(&t.db.pool, entity_ref).await.expect("by_ref")?;
    let index = SearchIndex::new();
    index.load(&t.db).await.expect("index");
    Some(entities::to_api_json(&row, &index.relations_of(entity_ref)))
}

async fn count(t: &TestDb) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM entities").fetch_one(&t.db.pool).await.expect("count").get::<i64, _>("n")
}

fn has_relation(entity: &Value, kind: &str, target: &str) -> bool {
    entity["relations"].as_array().is_some_and(|r| r.iter().any(|x| x["type"] == kind && x["targetRef"] == target))
}

#[tokio::test]
async fn example_catalog_ingests_with_relations_both_ways() {
    for t in TestDb::all().await {
        let ws = Workspace::new();
        let loc = register(&t, &ws.root()).await;
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        // 92 entities from files plus the generated Location of the registration.
        assert_eq!(count(&t).await, 93, "{:?}", t.db.backend);

        let api = entity(&t, "api:default/trips-api").await.expect("trips api");
        assert!(api["spec"]["definition"].as_str().is_some_and(|d| d.contains("openapi")), "$text was resolved");
        let managed = api["metadata"]["annotations"]["backstage.io/managed-by-location"].as_str().unwrap_or_default();
        assert!(managed.starts_with("file:/"), "{managed}");
        let providers: Vec<&str> = api["relations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["type"] == "apiProvidedBy")
            .filter_map(|r| r["targetRef"].as_str())
            .collect();
        assert!(!providers.is_empty(), "inverse relation apiProvidedBy present");
        let provider = entity(&t, providers[0]).await.expect("provider");
        assert!(has_relation(&provider, "providesApi", "api:default/trips-api"));

        // A second pass over unchanged files writes nothing.
        let again = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(again.written, 0);
    }
}

/// The writer's commits leave the write-ahead log to a background
/// checkpoint: after a pass, the database file itself soon holds every page,
/// though the log is far below the size at which SQLite would copy it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_reaches_the_sqlite_file_through_a_background_checkpoint() {
    use sqlx::Row;
    let t = TestDb::sqlite().await;
    let ws = Workspace::new();
    let loc = register(&t, &ws.root()).await;
    run(&t, &loc, OrphanStrategy::Delete).await;
    let path = t.db.url.trim_start_matches("sqlite://").split('?').next().map(PathBuf::from).expect("path");
    let row = sqlx::query("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()").fetch_one(&t.db.pool).await.expect("size");
    let expected: i64 = row.get("n");
    let started = std::time::Instant::now();
    loop {
        let on_disk = std::fs::metadata(&path).expect("database file").len();
        if on_disk as i64 == expected {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the file has {on_disk} of {expected} bytes: the log was not copied");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let wal = std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
    assert!(wal > 0 && wal < 1000 * 4096, "the log ({wal} bytes) is below SQLite's own checkpoint size");
}

/// Multi-row inserts go in batches of 512 rows (the full batches' statement
/// kept prepared, the remainder's not): every row lands, whatever the count
/// around a batch's edge.
#[tokio::test]
async fn multi_row_inserts_store_every_row_across_batches() {
    use sqlx::Row;
    for t in TestDb::all().await {
        let mut conn = t.db.writer.acquire().await.expect("connection");
        let uids: Vec<[Option<String>; 1]> = (0..1100).map(|i| [Some(format!("uid-{i}"))]).collect();
        let rows: Vec<&[Option<String>]> = uids.iter().map(|r| r.as_slice()).collect();
        let mut expected = 0;
        for n in [1, 511, 512, 513, 1024, 1025, 1100] {
            entities::insert_rows(&mut conn, "catalog_changes", &["uid"], &rows[..n]).await.expect("insert");
            expected += n as i64;
        }
        let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM catalog_changes").fetch_one(&mut *conn).await.expect("count").get("n");
        assert_eq!(stored, expected, "{:?}", t.db.backend);
    }
}

#[tokio::test]
async fn edits_orphans_missing_files_and_broken_edits() {
    for t in TestDb::all().await {
        let ws = Workspace::new();
        let loc = register(&t, &ws.root()).await;
        run(&t, &loc, OrphanStrategy::Delete).await;
        let before = entity(&t, "domain:default/platform").await.expect("platform domain");

        // An edit shows, with a new etag.
        ws.edit("domains.yaml", "title: Platform\n", "title: Platform Engineering Domain\n");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(outcome.written, 1, "{outcome:?}");
        let after = entity(&t, "domain:default/platform").await.expect("still there");
        assert_eq!(after["metadata"]["title"], "Platform Engineering Domain");
        assert_ne!(before["metadata"]["etag"], after["metadata"]["etag"]);
        assert_eq!(before["metadata"]["uid"], after["metadata"]["uid"]);

        // A broken edit keeps the last good entity and records the error.
        ws.edit("domains.yaml", "title: Platform Engineering Domain", "title: [unclosed");
        run(&t, &loc, OrphanStrategy::Delete).await;
        let kept = entity(&t, "domain:default/platform").await.expect("last good version kept");
        assert_eq!(kept["metadata"]["title"], "Platform Engineering Domain");
        let status = kept["status"]["items"][0]["message"].as_str().unwrap_or_default();
        assert!(status.contains("domains.yaml"), "{kept}");

        // A file that disappears keeps its entities, with an error.
        std::fs::remove_file(ws.path("resources.yaml")).expect("rm");
        let n = count(&t).await;
        run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(count(&t).await, n, "nothing deleted when a file cannot be read");

        // An entity no longer emitted by a readable file is an orphan: deleted by default...
        let users = std::fs::read_to_string(ws.path("org.yaml")).expect("org");
        let first_user = users.split("\n---").find(|d| d.contains("kind: User")).expect("a user").to_owned();
        let name = first_user.lines().find_map(|l| l.trim().strip_prefix("name: ")).expect("name").to_owned();
        std::fs::write(ws.path("org.yaml"), users.replacen(&first_user, "", 1)).expect("write");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(outcome.orphaned, 1, "{outcome:?}");
        assert!(entity(&t, &format!("user:default/{name}")).await.is_none());
    }
}

#[tokio::test]
async fn orphans_are_kept_and_annotated_when_configured() {
    let t = TestDb::sqlite().await;
    let ws = Workspace::new();
    let loc = register(&t, &ws.root()).await;
    run(&t, &loc, OrphanStrategy::Keep).await;
    ws.edit("catalog-info.yaml", "- ./resources.yaml", "");
    let outcome = run(&t, &loc, OrphanStrategy::Keep).await;
    assert!(outcome.orphaned > 0, "{outcome:?}");
    let any_resource: String = {
        use sqlx::Row;
        sqlx::query("SELECT entity_ref FROM entities WHERE kind = 'resource' LIMIT 1")
            .fetch_one(&t.db.pool)
            .await
            .expect("a resource")
            .get("entity_ref")
    };
    let e = entity(&t, &any_resource).await.expect("kept");
    assert_eq!(e["metadata"]["annotations"]["backstage.io/orphan"], "true");
}

#[tokio::test]
async fn changed_files_alone_are_reprocessed_when_that_is_enough() {
    for t in TestDb::all().await {
        let ws = Workspace::new();
        let loc = register(&t, &ws.root()).await;
        run(&t, &loc, OrphanStrategy::Delete).await;
        let n = count(&t).await;
        let before = entity(&t, "domain:default/platform").await.expect("platform domain");
        let partial = |paths: Vec<PathBuf>| run_files(&t, &loc, paths);

        ws.edit("domains.yaml", "title: Platform\n", "title: Platform Engineering Domain\n");
        let outcome = partial(vec![ws.path("domains.yaml")]).await.expect("a file of plain entities is enough");
        assert_eq!((outcome.files, outcome.written), (1, 1), "{outcome:?}");
        let after = entity(&t, "domain:default/platform").await.expect("still there");
        assert_eq!(after["metadata"]["title"], "Platform Engineering Domain");
        assert_eq!(before["metadata"]["uid"], after["metadata"]["uid"]);
        assert_eq!(after["metadata"]["annotations"]["backstage.io/managed-by-location"], before["metadata"]["annotations"]["backstage.io/managed-by-location"]);
        assert_eq!(count(&t).await, n, "the other files' entities stay");

        ws.edit("domains.yaml", "title: Platform Engineering Domain", "title: [unclosed");
        partial(vec![ws.path("domains.yaml")]).await.expect("partial");
        let kept = entity(&t, "domain:default/platform").await.expect("last good version kept");
        assert_eq!(kept["metadata"]["title"], "Platform Engineering Domain");
        assert!(kept["status"]["items"][0]["message"].as_str().unwrap_or_default().contains("domains.yaml"), "{kept}");

        let users = std::fs::read_to_string(ws.path("org.yaml")).expect("org");
        let first_user = users.split("\n---").find(|d| d.contains("kind: User")).expect("a user").to_owned();
        let name = first_user.lines().find_map(|l| l.trim().strip_prefix("name: ")).expect("name").to_owned();
        std::fs::write(ws.path("org.yaml"), users.replacen(&first_user, "", 1)).expect("write");
        let outcome = partial(vec![ws.path("org.yaml")]).await.expect("partial");
        assert_eq!(outcome.orphaned, 1, "{outcome:?}");
        assert!(entity(&t, &format!("user:default/{name}")).await.is_none());

        // Not enough: the root file holds Location entities; a file is gone.
        assert!(partial(vec![ws.root()]).await.is_none());
        std::fs::remove_file(ws.path("resources.yaml")).expect("rm");
        assert!(partial(vec![ws.path("resources.yaml")]).await.is_none());
        assert!(count(&t).await > 0);
    }
}

#[tokio::test]
async fn a_pass_does_not_parse_the_files_that_did_not_change() {
    for t in TestDb::all().await {
        let ws = Workspace::new();
        let loc = register(&t, &ws.root()).await;
        let first = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(first.unchanged_files, 0, "{first:?}");
        let again = run(&t, &loc, OrphanStrategy::Delete).await;
        // The root file (Location entities) and apis.yaml ($text references) are parsed each time.
        assert_eq!(again.unchanged_files, again.files - 2, "{again:?}");
        assert_eq!((again.files, again.emitted, again.written, again.orphaned), (first.files, first.emitted, 0, 0), "{again:?}");
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        assert_eq!(count(&t).await, 93);

        // A new file defining an entity of an unchanged file again: the
        // first definition is kept, as when both files are parsed.
        let original_root = std::fs::read_to_string(ws.root()).expect("root");
        std::fs::write(ws.path("extra.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: rider-experience\n  title: Second definition\nspec:\n  owner: rider-apps\n").expect("write");
        ws.edit("catalog-info.yaml", "    - ./components/platform-core.yaml\n", "    - ./components/platform-core.yaml\n    - ./extra.yaml\n");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert!(outcome.errors.iter().any(|e| e.contains("extra.yaml") && e.contains("defined twice")), "{outcome:?}");
        let domain = entity(&t, "domain:default/rider-experience").await.expect("domain");
        assert_eq!(domain["metadata"]["title"], "Rider Experience");
        assert!(domain["metadata"]["annotations"]["backstage.io/managed-by-location"].as_str().is_some_and(|l| l.ends_with("/domains.yaml")), "{domain}");
        std::fs::write(ws.root(), original_root).expect("write");
        std::fs::remove_file(ws.path("extra.yaml")).expect("rm");
        run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(count(&t).await, 93);

        // A file a reference points at is read again: its change shows.
        std::fs::write(ws.path("apis/trips.openapi.yaml"), "openapi: 3.0.0\ninfo: {title: Trips v2, version: '2'}\npaths: {}\n").expect("write");
        run(&t, &loc, OrphanStrategy::Delete).await;
        let api = entity(&t, "api:default/trips-api").await.expect("trips api");
        assert!(api["spec"]["definition"].as_str().is_some_and(|d| d.contains("Trips v2")), "{api}");

        // An entity deleted behind the pass's back comes back: its file is parsed again.
        let row = entities::by_ref(&t.db.pool, "domain:default/platform").await.expect("by_ref").expect("stored");
        let mut conn = t.db.pool.acquire().await.expect("connection");
        assert!(entities::delete(&mut conn, &row.uid).await.expect("delete"));
        drop(conn);
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(outcome.written, 1, "{outcome:?}");
        assert!(entity(&t, "domain:default/platform").await.is_some());

        // An edit the file watcher stored, taken back before the next whole
        // pass: the pass does not take the file for unchanged.
        ws.edit("domains.yaml", "title: Platform\n", "title: Platform, edited\n");
        run_files(&t, &loc, vec![ws.path("domains.yaml")]).await.expect("a file of plain entities is enough");
        assert_eq!(entity(&t, "domain:default/platform").await.expect("platform")["metadata"]["title"], "Platform, edited");
        ws.edit("domains.yaml", "title: Platform, edited\n", "title: Platform\n");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(outcome.written, 1, "{outcome:?}");
        assert_eq!(entity(&t, "domain:default/platform").await.expect("platform")["metadata"]["title"], "Platform");

        // A broken file keeps its error on every pass, not only the first.
        ws.edit("domains.yaml", "title: Platform\n", "title: [unclosed\n");
        for _ in 0..2 {
            let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
            assert!(outcome.errors.iter().any(|e| e.contains("domains.yaml")), "{outcome:?}");
            let kept = entity(&t, "domain:default/platform").await.expect("last good version kept");
            assert_eq!(kept["metadata"]["title"], "Platform");
            assert!(kept["status"]["items"][0]["message"].as_str().unwrap_or_default().contains("domains.yaml"), "{kept}");
        }

        // A file that is gone and comes back unchanged is parsed again.
        let org = std::fs::read_to_string(ws.path("org.yaml")).expect("org");
        std::fs::write(ws.path("catalog-info.yaml"), std::fs::read_to_string(ws.root()).expect("root").replacen("- ./org.yaml", "", 1)).expect("write");
        let removed = run(&t, &loc, OrphanStrategy::Delete).await.orphaned;
        assert!(removed > 0);
        ws.edit("catalog-info.yaml", "targets:\n", "targets:\n    - ./org.yaml\n");
        std::fs::write(ws.path("org.yaml"), org).expect("write");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        // Its entities, and the root's Location entity whose targets changed.
        assert_eq!(outcome.written, removed + 1, "{outcome:?}");
        assert_eq!(count(&t).await, 93);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_loop_notices_an_edit_through_the_file_system_events() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use portolan::ingest::{Catalog, CatalogSettings};

    for t in TestDb::all().await {
        let ws = Workspace::new();
        register(&t, &ws.root()).await;
        let settings = CatalogSettings { refresh_interval: Duration::from_secs(3600), ..CatalogSettings::default() };
        let catalog = Catalog::open(t.db.clone(), Arc::new(FileReader), settings).await.expect("open");
        catalog.process_all().await.expect("first pass");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let refresher = tokio::spawn(Arc::clone(&catalog).run_refresh_loop(stopped));
        // The loop's first look checks every file; the edit comes after it.
        tokio::time::sleep(Duration::from_millis(700)).await;
        ws.edit("domains.yaml", "title: Platform\n", "title: Platform, edited\n");
        let edited_at = Instant::now();
        let indexed_title = || {
            let summaries = catalog.index.summaries();
            summaries.iter().map(|l| &l.summary).find(|s| s.kind.eq_ignore_ascii_case("domain") && s.name == "platform").and_then(|s| s.title.clone())
        };
        // Well before the loop's next check of every file (ten seconds on):
        // only the event can have told it.
        while indexed_title().as_deref() != Some("Platform, edited") {
            assert!(edited_at.elapsed() < Duration::from_secs(5), "the edit was not noticed ({:?})", t.db.backend);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let row = entities::by_ref(&t.db.pool, "domain:default/platform").await.expect("by_ref").expect("stored");
        assert_eq!(serde_json::from_str::<Value>(&row.body).expect("body")["metadata"]["title"], "Platform, edited");
        stop.send(true).expect("stop");
        refresher.await.expect("refresh loop");
    }
}

/// The refs a query for `kind=<kind>` selects in `index`.
fn kind_refs(index: &SearchIndex, kind: &str) -> Vec<String> {
    use portolan::api::catalog::query::{Direction, EntityFilter, EntityQuery};
    let filter = EntityFilter::parse([format!("kind={kind}").as_str()]).expect("filter").map(|f| f.to_predicate());
    let query = EntityQuery { filter, ..Default::default() };
    index.page(&query, None, Direction::Next, 10_000, 0).into_iter().map(|r| r.entity_ref).collect()
}

#[tokio::test]
async fn a_second_server_follows_the_writes_of_another() {
    for t in TestDb::all().await {
        let ws = Workspace::new();
        let loc = register(&t, &ws.root()).await;
        // `writer` is the server that processes; `follower` another replica on the same database.
        let (writer, follower) = (SearchIndex::new(), SearchIndex::new());
        follower.load(&t.db).await.expect("load");
        let rule = KindRule::default();
        let pass = |orphans| process_location(&t.db, &writer, &FileReader, &loc, &rule, orphans);
        pass(OrphanStrategy::Delete).await.expect("process");
        assert_eq!(writer.len(), 93, "{:?}", t.db.backend);
        assert_eq!(follower.len(), 0);
        assert_eq!(follower.sync(&t.db, None).await.expect("sync"), 93);
        assert_eq!(follower.len(), 93);
        assert_eq!(kind_refs(&follower, "user"), kind_refs(&writer, "user"));
        let group = kind_refs(&writer, "group").into_iter().next().expect("a group");
        assert_eq!(follower.relations_of(&group), writer.relations_of(&group));

        // An edit and an orphan reach the follower as well.
        let users = std::fs::read_to_string(ws.path("org.yaml")).expect("org");
        let first_user = users.split("\n---").find(|d| d.contains("kind: User")).expect("a user").to_owned();
        std::fs::write(ws.path("org.yaml"), users.replacen(&first_user, "", 1)).expect("write");
        ws.edit("domains.yaml", "title: Platform\n", "title: Platform Engineering Domain\n");
        pass(OrphanStrategy::Delete).await.expect("process");
        assert_eq!(follower.sync(&t.db, None).await.expect("sync"), 2);
        assert_eq!(follower.len(), 92);
        assert_eq!(kind_refs(&follower, "user"), kind_refs(&writer, "user"));
        let titled = |index: &SearchIndex| {
            use portolan::api::catalog::query::{Direction, EntityQuery, FullTextFilter};
            let query = EntityQuery { full_text: FullTextFilter::new(Some("engineering domain"), []), ..Default::default() };
            index.page(&query, None, Direction::Next, 10, 0).into_iter().map(|r| r.entity_ref).collect::<Vec<_>>()
        };
        assert_eq!(titled(&follower), vec!["domain:default/platform".to_owned()]);

        // A follower whose next changes were trimmed from the log reloads everything.
        let users = std::fs::read_to_string(ws.path("org.yaml")).expect("org");
        let next_user = users.split("\n---").find(|d| d.contains("kind: User")).expect("a user").to_owned();
        std::fs::write(ws.path("org.yaml"), users.replacen(&next_user, "", 1)).expect("write");
        pass(OrphanStrategy::Delete).await.expect("process");
        sqlx::query("DELETE FROM catalog_changes").execute(&t.db.pool).await.expect("trim");
        ws.edit("domains.yaml", "title: Platform Engineering Domain\n", "title: Platform\n");
        pass(OrphanStrategy::Delete).await.expect("process");
        follower.sync(&t.db, None).await.expect("sync");
        assert_eq!(follower.len(), 91, "the deletion whose change row was trimmed is seen");
        assert_eq!(kind_refs(&follower, "user"), kind_refs(&writer, "user"), "a full load lists entities like single inserts do");
        assert_eq!(kind_refs(&follower, "group"), kind_refs(&writer, "group"));
        assert!(titled(&follower).is_empty(), "the edit back is seen");
    }
}

#[tokio::test]
async fn a_catalog_stored_before_the_index_migration_is_kept_and_rewritten() {
    // A database as the first release left it: migration 0001 only, one entity with
    // its search rows and relations in the old tables.
    for backend in ["sqlite", "postgres"] {
        let (url, _guard, pg_name) = match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().expect("tempdir");
                (format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display()), Some(dir), None)
            }
            _ => {
                let Some(t) = TestDb::postgres().await else { continue };
                let name = format!("portolan_old_{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&t.db.pool).await.expect("create database");
                (format!("postgres://postgres@127.0.0.1:5432/{name}"), None, Some(name))
            }
        };
        let folder = tempfile::tempdir().expect("tempdir");
        let dialect = if backend == "sqlite" { "sqlite" } else { "postgres" };
        let first = repo().join(format!("migrations/{dialect}/0001_catalog.sql"));
        std::fs::copy(&first, folder.path().join("0001_catalog.sql")).expect("copy migration");
        sqlx::any::install_default_drivers();
        let old = sqlx::AnyPool::connect(&url).await.expect("old database");
        sqlx::migrate::Migrator::new(folder.path()).await.expect("migrator").run(&old).await.expect("0001");
        sqlx::query(
            "INSERT INTO entities (uid, entity_ref, kind, namespace, name, location_id, source, etag, hash, body, search_text, updated_at) \
             VALUES ('u1', 'component:default/old', 'component', 'default', 'old', 'loc', 'file:/x', 'e', 'h', \
             '{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":{\"name\":\"old\",\"uid\":\"u1\"},\"spec\":{\"owner\":\"team-a\"}}', 'old', 'now')",
        )
        .execute(&old)
        .await
        .expect("old entity");
        sqlx::query("INSERT INTO relations (origin_uid, source_ref, type, target_ref) VALUES ('u1', 'component:default/old', 'ownedBy', 'group:default/team-a')")
            .execute(&old)
            .await
            .expect("old relation");
        old.close().await;

        // Opening it applies the later migrations: the entity stays, marked for rewriting.
        let db = portolan::store::Db::connect(&url).await.expect("migrated");
        let row = entities::by_ref(&db.pool, "component:default/old").await.expect("read").expect("the entity is kept");
        assert_eq!(row.uid, "u1", "{backend}");
        use sqlx::Row;
        let hash: String = sqlx::query("SELECT hash FROM entities WHERE uid = 'u1'").fetch_one(&db.pool).await.expect("hash").get("hash");
        assert_eq!(hash, "", "{backend}: the next pass writes it again, relations included");
        let index = SearchIndex::new();
        index.load(&db).await.expect("index");
        assert_eq!(index.len(), 1, "{backend}");
        db.pool.close().await;
        if let Some(name) = pg_name {
            let admin = sqlx::AnyPool::connect("postgres://postgres@127.0.0.1:5432/test").await.expect("admin");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await.expect("drop database");
        }
    }
}

/// A catalog write that reads before it writes must not fail when another
/// connection writes in between. On SQLite a deferred transaction would get
/// "database is locked" at once there (its snapshot is stale, and the busy
/// timeout does not apply): a registration failed that way while the
/// scaffolder's task runner wrote the task's log.
#[tokio::test]
async fn a_catalog_write_waits_for_other_writers_instead_of_failing() {
    use portolan::store::changes;
    for t in TestDb::all().await {
        let mut tx = changes::begin_write(&t.db).await.expect("begin");
        let before = changes::latest(&mut *tx).await.expect("read in the transaction");
        let pool = t.db.pool.clone();
        let other = tokio::spawn(async move {
            locations::insert(&pool, "url", "https://example.com/other/catalog-info.yaml", ORIGIN_CONFIG).await
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let range = changes::record(&mut tx, &["uid-1".to_owned()]).await.expect("write after the other connection's write");
        tx.commit().await.expect("commit");
        other.await.expect("join").expect("the other connection's write");
        assert_eq!(range, Some((before + 1, before + 1)), "{:?}", t.db.backend);
    }
}

/// A glob's files are read a group at a time; one that cannot be read
/// keeps its entities (last good version, with the error) and the other
/// files of the glob are processed as usual. Reading the glob as a whole
/// used to fail it whole, and every entity of its files was then orphaned.
#[tokio::test]
async fn a_glob_with_an_unreadable_file_keeps_its_entities_and_reads_the_rest() {
    let component = |name: &str, title: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  title: {title}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n")
    };
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..600 {
            std::fs::write(dir.path().join(format!("c{i:03}.yaml")), component(&format!("c{i:03}"), "First")).expect("write");
        }
        let loc = register(&t, &dir.path().join("*.yaml")).await;
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!((outcome.files, outcome.errors.len()), (600, 0), "{outcome:?}");
        assert_eq!(count(&t).await, 601, "600 components and the generated location");

        // One file in the second group of files turns into bytes that are not UTF-8;
        // a file in the first group changes.
        std::fs::write(dir.path().join("c550.yaml"), b"\xff\xfe not text").expect("write");
        std::fs::write(dir.path().join("c001.yaml"), component("c001", "Second")).expect("write");
        let outcome = run(&t, &loc, OrphanStrategy::Delete).await;
        assert_eq!(outcome.written, 1, "{outcome:?}");
        assert_eq!(outcome.orphaned, 0, "{outcome:?}");
        assert!(outcome.errors.iter().any(|e| e.contains("c550.yaml")), "{outcome:?}");
        assert_eq!(count(&t).await, 601, "nothing deleted");
        let kept = entity(&t, "component:default/c550").await.expect("the unreadable file's entity is kept");
        assert_eq!(kept["metadata"]["title"], "First");
        let status = kept["status"]["items"][0]["message"].as_str().unwrap_or_default();
        assert!(status.contains("c550.yaml"), "{kept}");
        let edited = entity(&t, "component:default/c001").await.expect("edited");
        assert_eq!(edited["metadata"]["title"], "Second");
    }
}
