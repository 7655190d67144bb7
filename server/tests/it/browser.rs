//! Browser tests: the portal's pages driven in a real headless Chromium over
//! WebDriver (chromedriver, through `fantoccini`), each flow once with
//! JavaScript on and once with it off — the pages are rendered on the server
//! and must work the same both ways.
//!
//! Every test starts its own chromedriver on a free loopback port (killed,
//! with the browsers it started, when the test ends) and one browser session
//! per JavaScript mode, with a fresh profile folder. Screenshots of the main
//! pages go to `target/browser-screenshots/` (`NAME.png` with JavaScript on,
//! `NAME-nojs.png` with it off); they are for people to look at and are not
//! committed.
//!
//! Without `chromedriver` and `chromium` on `PATH` (or the browser named by
//! `PORTOLAN_CHROMIUM`) the tests say `SKIPPED` and pass, unless
//! `PORTOLAN_REQUIRE_TOOLS=1` (CI), where they fail.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;

use super::support::{self, TestApp};

/// How long one wait for an element or a page may take: a bound for a loaded
/// CI machine (two cores shared with Go builds and other tests), not an expectation.
const WAIT: Duration = Duration::from_secs(30);
/// How long a whole test may take.
const TEST_LIMIT: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------
// Tools: chromedriver, the browser, and skipping when they are missing.
// ---------------------------------------------------------------------------

/// The two programs the tests need.
struct Tools {
    driver: PathBuf,
    browser: PathBuf,
}

/// The first of `names` found on `PATH` (or given as an absolute path).
fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        let direct = Path::new(name);
        if direct.is_absolute() {
            return direct.is_file().then(|| direct.to_path_buf());
        }
        std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
    })
}

/// The tools, or `None` after a loud `SKIPPED` line (a failure when tools are required).
fn tools_or_skip(test: &str) -> Option<Tools> {
    let driver = which(&["chromedriver"]);
    let browser = match std::env::var_os("PORTOLAN_CHROMIUM") {
        Some(p) => Some(PathBuf::from(p)),
        None => which(&["chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"]),
    };
    match (driver, browser) {
        (Some(driver), Some(browser)) => Some(Tools { driver, browser }),
        (driver, browser) => {
            let missing = [driver.is_none().then_some("chromedriver"), browser.is_none().then_some("chromium")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ");
            assert!(
                !support::tools_required(),
                "{test}: {missing} not found, and PORTOLAN_REQUIRE_TOOLS=1 requires the browser tests to run"
            );
            eprintln!("SKIPPED: {test}: {missing} not found (install chromium and chromium-driver)");
            None
        }
    }
}

/// A free loopback port (the OS picks it; a clash with another test is retried by the caller).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A chromedriver process of this test; killed, with the browsers it started, on drop.
struct Driver {
    child: Child,
    url: String,
    browser: PathBuf,
    /// Profile folders of the sessions, removed after the browsers are gone.
    profiles: Vec<tempfile::TempDir>,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until `GET /status` says it is ready.
    async fn start(tools: &Tools) -> Driver {
        let mut last_error = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let mut command = Command::new(&tools.driver);
            command
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // Its own process group, so the drop can end the browsers with it.
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            let child = command.spawn().expect("start chromedriver");
            let mut driver = Driver {
                child,
                url: format!("http://127.0.0.1:{port}"),
                browser: tools.browser.clone(),
                profiles: Vec::new(),
            };
            match driver.wait_ready().await {
                Ok(()) => return driver,
                Err(e) => last_error = e, // the port was taken meanwhile, or a slow start: try again
            }
        }
        panic!("chromedriver did not become ready: {last_error}");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = format!("{}/status", self.url);
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("chromedriver exited early: {exit}"));
            }
            match http.get(&status).send().await {
                Ok(response) if response.status().is_success() => {
                    let body: serde_json::Value = response.json().await.unwrap_or_default();
                    if body["value"]["ready"] == json!(true) {
                        return Ok(());
                    }
                }
                _ => {}
            }
            if Instant::now() > deadline {
                return Err(format!("no ready answer from {status} within 10 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new browser session with JavaScript on or off, in a fresh profile.
    async fn session(&mut self, js: Js) -> Browser {
        let profile = tempfile::tempdir().expect("profile folder");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-extensions".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut prefs = serde_json::Map::new();
        if js == Js::Off {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
            prefs.insert("profile.managed_default_content_settings.javascript".to_owned(), json!(2));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".to_owned(), json!("chrome"));
        caps.insert("pageLoadStrategy".to_owned(), json!("normal"));
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": self.browser.to_string_lossy(), "args": args, "prefs": prefs }),
        );
        self.profiles.push(profile);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = Client::with_capabilities_and_connector(&self.url, &caps, connector)
            .await
            .unwrap_or_else(|e| panic!("a {js:?} browser session from chromedriver at {}: {e}", self.url));
        client.set_window_size(1280, 900).await.expect("window size");
        let mut browser = Browser { client, js, chrome_height: 0 };
        browser.check_js_mode().await;
        // The window is taller than the page viewport by the browser's own frame.
        let png = browser.client.screenshot().await.expect("a first screenshot");
        browser.chrome_height = 900_u32.saturating_sub(png_height(&png));
        browser
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and any browser a failed test left open.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// A browser session and the steps the flows are written in.
// ---------------------------------------------------------------------------

/// Whether page scripts run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Js {
    On,
    Off,
}

impl Js {
    const BOTH: [Js; 2] = [Js::On, Js::Off];

    /// Suffix of screenshot names, and of the entity names a flow creates.
    fn suffix(self) -> &'static str {
        match self {
            Js::On => "",
            Js::Off => "-nojs",
        }
    }
}

/// One browser session.
#[derive(Clone)]
struct Browser {
    client: Client,
    js: Js,
    /// Window height minus viewport height.
    chrome_height: u32,
}

/// The height of a PNG image, from its header.
fn png_height(png: &[u8]) -> u32 {
    let bytes: [u8; 4] = png.get(20..24).and_then(|b| b.try_into().ok()).expect("a PNG screenshot");
    u32::from_be_bytes(bytes)
}

/// Where the screenshots go: `target/browser-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR").or_else(|| option_env!("CARGO_TARGET_DIR").map(Into::into)) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { support::repo().join(dir) }
        }
        None => support::repo().join("target"),
    };
    target.join("browser-screenshots")
}

impl Browser {
    /// Proves the session's JavaScript mode with a page whose script changes its text.
    async fn check_js_mode(&self) {
        self.client
            .goto("data:text/html,<p id=probe>static</p><script>document.getElementById('probe').textContent='scripted'</script>")
            .await
            .expect("open the JavaScript probe page");
        let text = self.text("#probe").await;
        let expected = if self.js == Js::On { "scripted" } else { "static" };
        assert_eq!(text, expected, "the {:?} session's JavaScript mode is not what was asked for", self.js);
    }

    async fn url(&self) -> String {
        self.client.current_url().await.map(|u| u.to_string()).unwrap_or_else(|e| format!("<no url: {e}>"))
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("[{:?}] open {url}: {e}", self.js));
    }

    /// The first element matching `css`, waiting for it.
    async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("[{:?}] no element `{css}` on {}: {e}", self.js, self.url().await),
        }
    }

    /// All elements matching `css` (none is fine).
    async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("[{:?}] look for `{css}`: {e}", self.js))
    }

    async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// The visible text of the first element matching `css`.
    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element.text().await.unwrap_or_else(|e| panic!("[{:?}] text of `{css}`: {e}", self.js))
    }

    /// The visible texts of all elements matching `css`.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.find_all(css).await {
            out.push(element.text().await.unwrap_or_else(|e| panic!("[{:?}] text of `{css}`: {e}", self.js)));
        }
        out
    }

    /// The names in the explorer's table, in order (one WebDriver call, not one per row).
    async fn entity_names(&self) -> Vec<String> {
        let tbody = self.find("table.entity-table tbody").await;
        let html = tbody.html(true).await.unwrap_or_else(|e| panic!("[{:?}] the table's markup: {e}", self.js));
        let re = regex::Regex::new(r#"class="entity-display"[^>]*>([^<]*)</a>"#).expect("regex");
        re.captures_iter(&html).map(|c| c[1].replace("&amp;", "&")).collect()
    }

    async fn attr(&self, element: &Element, name: &str) -> Option<String> {
        element.attr(name).await.unwrap_or_else(|e| panic!("[{:?}] attribute {name}: {e}", self.js))
    }

    /// Clicks `element` and waits until the page at another URL (or a new
    /// document at the same URL, after a POST) has loaded.
    async fn click_and_wait(&self, element: &Element, what: &str) {
        let old_body = self.client.find(Locator::Css("body")).await.ok();
        element.click().await.unwrap_or_else(|e| panic!("[{:?}] click {what}: {e}", self.js));
        let deadline = Instant::now() + WAIT;
        loop {
            // The old body going stale means a new document replaced it.
            let replaced = match &old_body {
                Some(body) => body.tag_name().await.is_err(),
                None => true,
            };
            if replaced && self.client.find(Locator::Css("body")).await.is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "[{:?}] clicking {what} loaded no new page (still {})", self.js, self.url().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first element matching `css` and waits for the next page.
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.click_and_wait(&element, &format!("`{css}`")).await;
    }

    /// Clicks the first link or button matching `css` whose text contains `label` (any case).
    async fn click_labelled(&self, css: &str, label: &str) {
        for element in self.find_all(css).await {
            // Rendered text: CSS may change its case (`text-transform`).
            if element.text().await.is_ok_and(|t| t.to_lowercase().contains(&label.to_lowercase())) {
                self.click_and_wait(&element, &format!("`{css}` \"{label}\"")).await;
                return;
            }
        }
        panic!("[{:?}] no `{css}` with text \"{label}\" on {}", self.js, self.url().await);
    }

    /// The first element matching `css`, waiting up to `limit` while the page
    /// may reload itself meanwhile (a meta refresh, or a script's reload).
    async fn find_across_reloads(&self, css: &str, limit: Duration) -> Element {
        let deadline = Instant::now() + limit;
        loop {
            // Errors are expected while a reload replaces the document: try again.
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return element;
            }
            assert!(Instant::now() < deadline, "[{:?}] no `{css}` on {} within {} s", self.js, self.url().await, limit.as_secs());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The page heading.
    async fn h1(&self) -> String {
        self.text("h1").await
    }

    /// Saves a screenshot of the whole page as `NAME.png` (or `NAME-nojs.png`).
    async fn screenshot(&self, name: &str) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        // Grow the window to the page's height (capped), so the shot shows all of it.
        let height = match self.client.find(Locator::Css("html")).await {
            Ok(html) => html.rectangle().await.map(|(_, _, _, h)| h).unwrap_or(900.0),
            Err(_) => 900.0,
        };
        let tall = (height.ceil() as u32 + self.chrome_height).clamp(900, 8000);
        if tall > 900 {
            let _ = self.client.set_window_size(1280, tall).await;
        }
        let png = self.client.screenshot().await.unwrap_or_else(|e| panic!("[{:?}] screenshot {name}: {e}", self.js));
        if tall > 900 {
            let _ = self.client.set_window_size(1280, 900).await;
        }
        let path = dir.join(format!("{name}{}.png", self.js.suffix()));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// Runs `flow` once with JavaScript on and once off, each in a new session
/// that is closed even when the flow panics (the panic is then passed on).
async fn in_both_modes<F, Fut>(test: &str, flow: F)
where
    F: Fn(Browser) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(tools) = tools_or_skip(test) else { return };
    let run = async {
        let mut driver = Driver::start(&tools).await;
        for js in Js::BOTH {
            let browser = driver.session(js).await;
            let outcome = AssertUnwindSafe(flow(browser.clone())).catch_unwind().await;
            let _ = browser.client.close().await;
            if let Err(panic) = outcome {
                // Repeated here, last: a long log may be cut before the panic's own lines.
                let message = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("(no message)");
                eprintln!("{test}: failed with JavaScript {js:?}: {message}");
                std::panic::resume_unwind(panic);
            }
        }
        drop(driver);
    };
    tokio::time::timeout(TEST_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("{test} took longer than {} s", TEST_LIMIT.as_secs()));
}

/// The portal with the example catalog, served on a loopback port.
async fn example() -> (TestApp, String) {
    let app = TestApp::builder().with_example_catalog().build().await.expect("the example portal");
    let base = app.serve().await;
    (app, base)
}

/// The number before " of " in "1–25 of 61 entities" … as (first, last, total).
fn parse_count(status: &str) -> (usize, usize, usize) {
    let re = regex::Regex::new(r"^([\d,]+)–([\d,]+) of ([\d,]+) entit").expect("regex");
    let caps = re.captures(status.trim()).unwrap_or_else(|| panic!("result count \"{status}\" is not \"A–B of N entities\""));
    let n = |i: usize| caps[i].replace(',', "").parse::<usize>().expect("a number");
    (n(1), n(2), n(3))
}

// ---------------------------------------------------------------------------
// The flows.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn browser_explorer_facets_sort_search_and_paging() {
    let (_app, base) = example().await;
    in_both_modes("browser_explorer_facets_sort_search_and_paging", |b| {
        let base = base.clone();
        async move {
            b.goto(&format!("{base}/")).await;
            assert_eq!(b.h1().await, "Software catalog");
            b.screenshot("home").await;

            b.goto(&format!("{base}/catalog")).await;
            assert_eq!(b.h1().await, "All entities");
            let (_, _, all) = parse_count(&b.text("#result-count").await);
            b.screenshot("catalog").await;

            // The Kind facet: a link, counted.
            let facet = b.find(r#"a.facet-value[aria-label^="Kind Component:"]"#).await;
            let label = b.attr(&facet, "aria-label").await.unwrap_or_default();
            let count: usize = label.rsplit(": ").next().and_then(|n| n.replace(',', "").parse().ok()).expect("facet count");
            b.click_and_wait(&facet, "the Kind Component facet").await;
            let url = b.url().await;
            assert!(url.to_ascii_lowercase().contains("kind=component"), "facet URL {url}");
            assert_eq!(b.h1().await, "Components");
            let (first, last, total) = parse_count(&b.text("#result-count").await);
            assert_eq!((first, total), (1, count), "the facet's count is the result count");
            assert!(total < all && last == total.min(50), "{first}–{last} of {total} (all: {all})");
            let selected = b.find(r#"a.facet-value.selected[aria-label^="Kind Component:"]"#).await;
            assert_eq!(b.attr(&selected, "aria-pressed").await.as_deref(), Some("true"));
            b.screenshot("catalog-filtered").await;

            // Sorting by name: ascending first, a second click reverses it.
            let names = b.entity_names().await;
            assert_eq!(names.len(), last, "one row per counted entity");
            b.click_labelled("a.sort-link", "Name").await;
            assert!(b.url().await.contains("sort=name"), "sort in the URL: {}", b.url().await);
            b.find(r#"th[aria-sort="ascending"]"#).await;
            let ascending = b.entity_names().await;
            assert_eq!(ascending.len(), names.len(), "sorting keeps the rows");
            b.click_labelled("a.sort-link", "Name").await;
            let url = b.url().await;
            assert!(url.contains("order=desc"), "descending sort in the URL: {url}");
            let header = b.find(r#"th[aria-sort="descending"]"#).await;
            assert!(b.attr(&header, "aria-sort").await.is_some());
            let descending = b.entity_names().await;
            assert_ne!(descending, ascending, "the order changed");
            assert_eq!(descending.iter().rev().cloned().collect::<Vec<_>>(), ascending, "descending is ascending reversed");

            // Text search keeps the facet selection (hidden fields).
            let q = b.find("#filter-q").await;
            q.send_keys("trip").await.expect("type into the search box");
            b.click_labelled("form.filters button[type=submit]", "Search").await;
            let url = b.url().await;
            assert!(url.contains("q=trip") && url.to_ascii_lowercase().contains("kind=component"), "search URL {url}");
            let found = b.entity_names().await;
            assert!(found.iter().any(|n| n == "Trip service"), "search results {found:?}");
            assert_eq!(b.attr(&b.find("#filter-q").await, "value").await.as_deref(), Some("trip"), "the box keeps the query");
            b.screenshot("catalog-search").await;

            // Paging: 25 a page, then the next page.
            b.goto(&format!("{base}/catalog?limit=25")).await;
            let (first, last, total) = parse_count(&b.text("#result-count").await);
            assert_eq!((first, last, total), (1, 25, all));
            let page_one = b.entity_names().await;
            b.click("a[rel=next]").await;
            let status = b.text("#result-count").await;
            assert!(status.starts_with(&format!("26–{} of", all.min(50))), "second page: {status}");
            let page_two = b.entity_names().await;
            assert!(page_two.iter().all(|n| !page_one.contains(n)), "pages overlap: {page_one:?} / {page_two:?}");
            assert!(b.exists("a[rel=prev]").await, "a link back");
            b.screenshot("catalog-page-2").await;
        }
    })
    .await;
}

#[tokio::test]
async fn browser_entity_page_of_each_kind() {
    let (_app, base) = example().await;
    in_both_modes("browser_entity_page_of_each_kind", |b| {
        let base = base.clone();
        async move {
            b.goto(&format!("{base}/catalog")).await;
            let mut kinds = Vec::new();
            for facet in b.find_all(r#"a.facet-value[aria-label^="Kind "]"#).await {
                let label = b.attr(&facet, "aria-label").await.unwrap_or_default();
                let kind = label.trim_start_matches("Kind ").split(':').next().unwrap_or_default().to_owned();
                let href = b.attr(&facet, "href").await.expect("a facet link has an href");
                kinds.push((kind, href));
            }
            for expected in ["Component", "API", "System", "Domain", "Resource", "Group", "User"] {
                assert!(kinds.iter().any(|(k, _)| k == expected), "kind facet {expected} in {kinds:?}");
            }

            // Each kind: its facet's page, then the first entity in the table.
            for (kind, href) in &kinds {
                b.goto(&format!("{base}{href}")).await;
                let link = b.find("tbody th.entity-name a.entity-display").await;
                let name = link.text().await.expect("entity link text");
                b.click_and_wait(&link, &format!("the first {kind}")).await;
                assert_eq!(b.h1().await, name, "{kind} page heading");
                assert_eq!(b.text("p.eyebrow").await.to_lowercase(), kind.to_lowercase(), "kind above the heading");
                assert!(b.exists("#relations").await, "{kind} {name}: the relations card");
                let graph = b.exists("#relations svg.graph-svg[role=img]").await;
                let none = b.exists("#relations .graph-empty").await;
                assert!(graph || none, "{kind} {name}: a graph or \"No relations\"");
                if kind != "Component" {
                    b.screenshot(&format!("entity-{}", kind.to_lowercase())).await;
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn browser_relation_graph_and_api_definition() {
    let (_app, base) = example().await;
    in_both_modes("browser_relation_graph_and_api_definition", |b| {
        let base = base.clone();
        async move {
            // A component with relations: the graph links to them.
            b.goto(&format!("{base}/catalog/default/component/trip-service")).await;
            assert_eq!(b.h1().await, "Trip service");
            let svg = b.find("#relations svg.graph-svg[role=img]").await;
            let summary = b.attr(&svg, "aria-label").await.unwrap_or_default();
            assert!(!summary.is_empty(), "the graph has a text summary");
            assert!(!b.find_all("#relations svg a.graph-link").await.is_empty(), "graph nodes are links");
            b.screenshot("entity-component").await;
            // A graph node leads to that entity.
            b.click("#relations svg a.graph-link").await;
            assert!(b.url().await.contains("/catalog/default/"), "a graph node opens an entity page");
            assert!(b.exists("#relations").await);

            // The API page and its Definition tab.
            b.goto(&format!("{base}/catalog/default/api/trips-api")).await;
            let heading = b.h1().await;
            assert!(!heading.is_empty());
            assert!(!b.exists("#definition-title").await, "the overview comes first");
            b.click_labelled("nav.tabs a", "Definition").await;
            assert!(b.url().await.contains("tab=definition"));
            let current = b.find(r#"nav.tabs a[aria-current="page"]"#).await;
            assert_eq!(current.text().await.expect("tab text"), "Definition");
            assert_eq!(b.text("#definition-title").await, "Definition");
            let definition = b.text("section[aria-labelledby=definition-title]").await;
            assert!(
                definition.contains("listTrips") || definition.contains("/trips/{tripId}"),
                "operations are shown: {}",
                definition.chars().take(600).collect::<String>()
            );
            let paths = b.texts("code.apidef-path").await;
            assert!(paths.iter().any(|p| p == "/trips/{tripId}"), "operation paths {paths:?}");
            b.screenshot("api-definition").await;
            b.click_labelled("nav.tabs a", "YAML").await;
            assert!(b.text("pre.source").await.contains("trips-api"));
        }
    })
    .await;
}

#[tokio::test]
async fn browser_register_then_unregister() {
    let (app, base) = example().await;
    let scratch = app.scratch.path().to_path_buf();
    in_both_modes("browser_register_then_unregister", |b| {
        let base = base.clone();
        let scratch = scratch.clone();
        async move {
            // A name per mode: both runs share the portal.
            let name = format!("browser-imported{}", b.js.suffix());
            let dir = scratch.join(&name);
            std::fs::create_dir_all(&dir).expect("scratch folder");
            let file = dir.join("catalog-info.yaml");
            std::fs::write(
                &file,
                format!(
                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  description: Registered by the browser test\nspec:\n  type: service\n  lifecycle: experimental\n  owner: group:default/trip-engine\n"
                ),
            )
            .expect("write catalog-info.yaml");
            let target = file.to_string_lossy().into_owned();
            let page = format!("{base}/catalog/default/component/{name}");

            b.goto(&format!("{base}/catalog-import")).await;
            assert_eq!(b.h1().await, "Sign in to Portolan", "registering needs a signed-in user");
            b.click_labelled("form button[type=submit]", "Continue as guest").await;
            assert_eq!(b.h1().await, "Register an existing component", "back where the sign-in started");
            let input = b.find("#import-target").await;
            input.send_keys(&target).await.expect("type the path");
            b.click_labelled("form button[type=submit]", "Analyze").await;
            let preview = b.text("#preview").await;
            assert!(preview.contains(&name), "the preview lists the entity: {preview}");
            assert!(!b.exists("#target-error").await, "no error");
            b.screenshot("register-preview").await;

            b.click_labelled("#preview button[type=submit]", "Register 1 entity").await;
            assert_eq!(b.h1().await, "The location is in the catalog");
            let link = b.find(&format!(r#"section[role=status] a[href="/catalog/default/component/{name}"]"#)).await;
            b.screenshot("register-done").await;
            b.click_and_wait(&link, "the registered entity").await;
            assert_eq!(b.url().await, page);
            assert_eq!(b.h1().await, name);
            assert!(b.text(".page-head").await.contains("Registered by the browser test"));

            b.click_labelled("a.button-danger", "Unregister this location").await;
            assert_eq!(b.h1().await, "Unregister a location");
            let listed = b.texts("ul.related-list li").await;
            assert!(listed.iter().any(|l| l.contains(&name)), "the confirmation lists the entity: {listed:?}");
            b.screenshot("unregister-confirm").await;
            b.click_labelled("button.button-danger", "Unregister and remove 1 entity").await;
            assert_eq!(b.h1().await, "The location was removed");
            b.screenshot("unregister-done").await;

            b.goto(&page).await;
            assert_eq!(b.h1().await, "Not found", "the entity is gone");
        }
    })
    .await;
}

#[tokio::test]
async fn browser_unknown_entity_suggests_close_names() {
    let (_app, base) = example().await;
    in_both_modes("browser_unknown_entity_suggests_close_names", |b| {
        let base = base.clone();
        async move {
            b.goto(&format!("{base}/catalog/default/component/trip-servce")).await;
            assert_eq!(b.h1().await, "Not found");
            assert_eq!(b.text("#close-title").await, "Did you mean");
            let link = b.find(r#".close-matches a[href="/catalog/default/component/trip-service"]"#).await;
            b.screenshot("not-found").await;
            b.click_and_wait(&link, "the close match").await;
            assert_eq!(b.h1().await, "Trip service");
        }
    })
    .await;
}

#[tokio::test]
async fn browser_scaffold_wizard_from_template_list_to_completed_task() {
    let (app, _gh, _repos) = crate::scaffolder::app_with_github().await;
    let base = app.serve().await;
    in_both_modes("browser_scaffold_wizard_from_template_list_to_completed_task", |b| {
        let base = base.clone();
        async move {
            // A name per mode: both runs share the portal.
            let name = match b.js {
                Js::On => "wiz-js",
                Js::Off => "wiz-nojs",
            };
            b.goto(&format!("{base}/create")).await;
            assert_eq!(b.h1().await, "Create something new");
            b.screenshot("create").await;
            b.click(r#"a[aria-label="Choose Go service"]"#).await;
            assert_eq!(b.h1().await, "Sign in to Portolan", "the wizard needs a signed-in user");
            b.click_labelled("form button[type=submit]", "Continue as guest").await;
            assert_eq!(b.h1().await, "Go service", "back at the wizard after signing in");
            assert!(b.url().await.ends_with("/create/templates/default/go-service"), "{}", b.url().await);

            // Step 1.
            b.find("#f-name").await.send_keys(name).await.expect("type the name");
            b.find("#f-description").await.send_keys("Made by the browser test").await.expect("type the description");
            let owner = b.find("#f-owner").await;
            match owner.tag_name().await.expect("owner control").as_str() {
                "select" => owner.select_by_value("group:default/platform-eng").await.expect("choose the owner"),
                _ => owner.send_keys("group:default/platform-eng").await.expect("type the owner"),
            }
            b.screenshot("scaffold-step-1").await;
            b.click(r#"button[name="_go"][value="next"]"#).await;

            // Step 2: the host is a select of the allowed hosts; the port has its default.
            assert_eq!(b.text(r#"li[aria-current="step"] span:not(.wizard-step-number)"#).await, "Runtime and repository", "on step 2");
            let host = b.find("#f-repourl-host").await;
            assert_eq!(host.tag_name().await.expect("host control"), "select");
            assert_eq!(host.prop("value").await.expect("host value").as_deref(), Some("github.com"));
            assert_eq!(b.find("#f-port").await.prop("value").await.expect("port").as_deref(), Some("8080"));
            b.find("#f-repourl-owner").await.send_keys("acme").await.expect("type the repository owner");
            b.find("#f-repourl-repo").await.send_keys(name).await.expect("type the repository name");
            b.screenshot("scaffold-step-2").await;
            b.click_labelled(r#"button[name="_go"][value="next"]"#, "Review").await;

            // Review, then Create.
            let review = b.text("form#wizard").await;
            for shown in [name, "Made by the browser test", "group:default/platform-eng", &format!("github.com/acme/{name}"), "8080"] {
                assert!(review.contains(shown), "the review shows {shown}: {review}");
            }
            b.screenshot("scaffold-review").await;
            let started = Instant::now();
            b.click_labelled(r#"button[name="_go"][value="create"]"#, "Create").await;
            assert!(b.url().await.contains("/create/tasks/"), "on the task page: {}", b.url().await);
            assert_eq!(b.h1().await, "Go service");

            // The page follows the run (script, or refresh) until it completes.
            b.find_across_reloads(r#"#task-status[data-status="completed"]"#, Duration::from_secs(90)).await;
            eprintln!("MEASURED: [{:?}] Create → task page shows completed in {} ms", b.js, started.elapsed().as_millis());
            let href = format!("/catalog/default/component/{name}");
            let link = b.find(&format!(r#".task-links a[href="{href}"]"#)).await;
            assert_eq!(link.text().await.expect("link text"), "Open in catalog");
            let steps = b.texts(".task-step .step-status").await;
            assert_eq!(steps, ["completed", "completed", "completed"], "every step completed");
            b.screenshot("scaffold-task").await;
            b.click_and_wait(&link, "Open in catalog").await;
            assert_eq!(b.url().await, format!("{base}{href}"));
            assert_eq!(b.h1().await, name);
            assert!(b.text(".page-head").await.contains("Made by the browser test"));
        }
    })
    .await;
}

/// The pod names in the Deployments tab's panel (open or closed tables), from its markup.
async fn pod_names(b: &Browser) -> Vec<String> {
    let panel = b.find("#deployments-live").await;
    let html = panel.html(true).await.unwrap_or_else(|e| panic!("[{:?}] the panel's markup: {e}", b.js));
    let html = regex::Regex::new("<!--[^>]*-->").expect("regex").replace_all(&html, "");
    let re = regex::Regex::new(r#"class="pod-name"[^>]*>\s*<code>([^<]*)</code>"#).expect("regex");
    re.captures_iter(&html).map(|c| c[1].to_owned()).collect()
}

#[tokio::test]
async fn browser_deployments_tab_updates_live() {
    let f = crate::kubernetes::fleet().await;
    let base = f.app.serve().await;
    let us = std::sync::Arc::clone(&f.us);
    in_both_modes("browser_deployments_tab_updates_live", |b| {
        let base = base.clone();
        let us = std::sync::Arc::clone(&us);
        async move {
            let tab = format!("{base}/catalog/default/component/payments-service?tab=deployments");
            b.goto(&tab).await;
            assert_eq!(b.h1().await, "Payments service");
            let current = b.find(r#"nav.tabs a[aria-current="page"]"#).await;
            assert_eq!(current.text().await.expect("tab text"), "Deployments");
            let headings = b.texts("#deployments-live .k8s-cluster-head h3").await;
            assert!(headings.iter().any(|h| h.starts_with("Cluster eu")) && headings.iter().any(|h| h.starts_with("Cluster us")), "cluster names: {headings:?}");
            // The crash-looping pod is shown, its table open, with its waiting reason.
            let rows = b.texts("#deployments-live details[open] tr.pod-row").await;
            assert!(rows.iter().any(|r| r.contains("my-pod") && r.contains("CrashLoopBackOff")), "the crash-looping pod's row: {rows:?}");
            let overall = b.find("#deployments-live [data-overall-health]").await;
            assert_eq!(b.attr(&overall, "data-overall-health").await.as_deref(), Some("failed"));
            let name = format!("live-pod{}", b.js.suffix());
            assert!(!pod_names(&b).await.contains(&name), "no {name} yet");

            let mut pod = crate::kubernetes::sample("flanksource__is-healthy/pkg/health/testdata/Kubernetes/Pod/healthy.yaml", "payments");
            pod["metadata"]["name"] = json!(name);
            match b.js {
                Js::On => {
                    // The script follows the stream: its first status event has arrived.
                    let deadline = Instant::now() + WAIT;
                    while !b.text("[data-live-state]").await.starts_with("Live: updated") {
                        assert!(Instant::now() < deadline, "the live state says {:?}", b.text("[data-live-state]").await);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    b.screenshot("deployments").await;
                    // A marker that a reload would lose, and an observer noting when the pod appears.
                    let observe = format!(
                        "window.__marker = 1; window.__seen = null; var root = document.getElementById('deployments-live');\
                         new MutationObserver(function () {{ if (window.__seen === null && root.innerHTML.indexOf('{name}') >= 0) {{ window.__seen = performance.now(); }} }})\
                         .observe(root, {{ childList: true, subtree: true }}); return performance.now();"
                    );
                    let t0 = b.client.execute(&observe, vec![]).await.expect("set the marker").as_f64().expect("a time");
                    let started = Instant::now();
                    us.apply(pod);
                    let took = loop {
                        if pod_names(&b).await.contains(&name) {
                            break started.elapsed();
                        }
                        assert!(started.elapsed() < Duration::from_secs(5), "{name} not shown within 5 s: {:?}", pod_names(&b).await);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    };
                    let seen = b.client.execute("return window.__seen", vec![]).await.expect("the observer's time").as_f64();
                    let in_page = seen.map_or_else(|| "?".to_owned(), |s| format!("{:.0}", s - t0));
                    eprintln!("MEASURED: [On] cluster change → {name} on the open Deployments tab in {} ms (polled over WebDriver; {in_page} ms in the page)", took.as_millis());
                    assert!(took < Duration::from_secs(1), "{name} took {took:?}");
                    let marker = b.client.execute("return window.__marker === 1", vec![]).await.expect("read the marker");
                    assert_eq!(marker, json!(true), "the page was not reloaded");
                    assert!(b.text("[data-live-state]").await.starts_with("Live: updated"));
                    b.screenshot("deployments-updated").await;
                }
                Js::Off => {
                    assert_eq!(b.text("[data-live-state]").await, "As of this page load.");
                    b.screenshot("deployments").await;
                    us.apply(pod);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    assert!(!pod_names(&b).await.contains(&name), "without scripts the page stays as loaded");
                    // The Refresh link reloads the tab, which shows the new pod.
                    b.click_labelled(".deployments-refresh a", "Refresh").await;
                    assert_eq!(b.url().await, tab);
                    let deadline = Instant::now() + WAIT;
                    while !pod_names(&b).await.contains(&name) {
                        assert!(Instant::now() < deadline, "{name} not shown after a reload: {:?}", pod_names(&b).await);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        b.client.refresh().await.expect("reload");
                    }
                    assert!(pod_names(&b).await.contains(&"my-pod".to_owned()));
                }
            }

            // The fleet page: both clusters, and the failing entity.
            b.goto(&format!("{base}/clusters")).await;
            assert_eq!(b.h1().await, "Clusters");
            let page = b.text("body").await.to_lowercase();
            for expected in ["cluster eu", "cluster us", "payments service", "connected"] {
                assert!(page.contains(expected), "{expected:?} on /clusters: {page}");
            }
            b.screenshot("clusters").await;
        }
    })
    .await;
}
