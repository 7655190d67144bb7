//! Reading `url` locations and URL references.
//!
//! - GitHub URLs (`https://<host>/<owner>/<repo>/blob/<ref>/<path>`, or
//!   `/tree/<ref>/<path>` for a folder) on a host of `integrations.github`
//!   are read through GitHub's REST API (`GET /repos/{owner}/{repo}/contents/{path}?ref=`),
//!   with the integration's token as a bearer token.
//! - Other `https` URLs are read by a plain GET when `backend.reading.allow`
//!   allows them (or their host is a GitHub integration's); `http` only when
//!   the allow-list names the host.
//! - Every answer's `ETag` is kept in memory with the body, and the next read
//!   of the same URL is conditional (`If-None-Match`): a `304` is served from
//!   memory and does not count against GitHub's rate limit.
//!
//! [`CompositeReader`] sends `file` locations to [`FileReader`] and `url`
//! locations to [`UrlReader`]; [`parse_read_file`] parses a read file with
//! its `$text`/`$json`/`$yaml` references resolved against where it was read
//! from, fetching URL references through the same reader.
//!
//! Tokens never appear in messages or logs.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portolan_catalog::{FileReport, LocationRef, Resolution, Resolver, read_catalog_file};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::reader::{FileReader, FileResolver, ListFuture, ReadEachFuture, ReadFile, ReadFuture, Reader};

/// Connect timeout of every request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Total timeout of every request, body included.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest body read; a catalog file or API definition is far smaller.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Default bounds of the `ETag` cache.
const CACHE_ENTRIES: usize = 2048;
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Names of the files a `/tree/` URL yields, as `portolan validate` searches folders.
const CATALOG_FILE_NAMES: &[&str] = &["catalog-info.yaml", "catalog-info.yml"];

/// One GitHub (or GitHub Enterprise) host: `integrations.github[]`.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubIntegrationSettings {
    /// The host of the web URLs, with `:port` when not the default (`github.com`).
    pub host: String,
    /// The REST API root (`https://api.github.com`, `https://HOST/api/v3`).
    pub api_base_url: String,
    /// Token sent as `Authorization: Bearer`; anonymous without one.
    pub token: Option<String>,
}

impl fmt::Debug for GithubIntegrationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubIntegrationSettings")
            .field("host", &self.host)
            .field("api_base_url", &self.api_base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `backend.reading.allow`: hosts (with `:port` when the URL has one, or
/// `*.example.com`) that may be read, each limited to path prefixes (none:
/// every path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadingAllowList {
    /// `(host pattern, path prefixes)`.
    pub entries: Vec<(String, Vec<String>)>,
}

impl ReadingAllowList {
    /// Whether `url` is an `http(s)` URL that an entry allows.
    pub fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = host_of(url) else { return false };
        self.entries.iter().any(|(pattern, paths)| {
            host_matches(pattern, &host) && (paths.is_empty() || paths.iter().any(|p| url.path().starts_with(p.as_str())))
        })
    }
}

/// `host` or `host:port`, lower-cased.
fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host.strip_suffix(domain).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == pattern,
    }
}

/// What may be read: the allow-list and the GitHub hosts. Shared with the
/// redirect policy, so a redirect cannot lead anywhere a URL could not.
#[derive(Debug)]
struct Policy {
    github: Vec<GithubIntegrationSettings>,
    allow: ReadingAllowList,
}

impl Policy {
    fn github_for(&self, host: &str) -> Option<&GithubIntegrationSettings> {
        self.github.iter().find(|g| g.host.eq_ignore_ascii_case(host))
    }

    /// Whether a plain GET of `url` is allowed.
    fn permits(&self, url: &Url) -> bool {
        if self.allow.allows(url) {
            return true;
        }
        url.scheme() == "https" && host_of(url).is_some_and(|h| self.github_for(&h).is_some())
    }

    /// Whether a redirect may lead to `url`: a readable URL or a URL under a
    /// GitHub API root (GitHub redirects renamed repositories there).
    fn permits_redirect(&self, url: &Url) -> bool {
        self.permits(url)
            || self.github.iter().any(|g| {
                Url::parse(&g.api_base_url).ok().is_some_and(|api| {
                    api.scheme() == url.scheme()
                        && host_of(&api) == host_of(url)
                        && url.path().starts_with(api.path().trim_end_matches('/'))
                })
            })
    }
}

#[derive(Clone)]
struct CacheEntry {
    etag: String,
    body: Arc<str>,
    content_type: Option<String>,
    used: u64,
}

/// The last `ETag` and body per request URL, least recently used evicted first.
struct EtagCache {
    entries: HashMap<String, CacheEntry>,
    bytes: usize,
    tick: u64,
    max_entries: usize,
    max_bytes: usize,
}

impl EtagCache {
    fn get(&mut self, key: &str) -> Option<CacheEntry> {
        self.tick += 1;
        let entry = self.entries.get_mut(key)?;
        entry.used = self.tick;
        Some(entry.clone())
    }

    fn put(&mut self, key: String, mut entry: CacheEntry) {
        if self.max_entries == 0 || entry.body.len() > self.max_bytes {
            return;
        }
        self.tick += 1;
        entry.used = self.tick;
        self.bytes += entry.body.len();
        if let Some(old) = self.entries.insert(key, entry) {
            self.bytes -= old.body.len();
        }
        while self.entries.len() > self.max_entries || self.bytes > self.max_bytes {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes -= e.body.len();
            }
        }
    }
}

/// Reads `url` locations: GitHub through its REST API, other hosts by a
/// plain GET when allowed. Cheap to clone (the client and cache are shared).
#[derive(Clone)]
pub struct UrlReader {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    policy: Arc<Policy>,
    cache: Mutex<EtagCache>,
}

impl fmt::Debug for UrlReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlReader").field("github", &self.inner.policy.github).field("allow", &self.inner.policy.allow).finish()
    }
}

/// Which request is being made, for messages.
struct Target<'a> {
    /// The URL as written (credentials removed), for messages.
    shown: String,
    /// The host that answers, for messages.
    host: &'a str,
    /// Whether a token was sent.
    token_sent: bool,
    /// Whether this is GitHub's API (rate limits, 404 for private repositories).
    github: bool,
}

/// A parsed GitHub web URL.
struct GithubUrl<'a> {
    integration: &'a GithubIntegrationSettings,
    owner: String,
    repo: String,
    folder: bool,
    git_ref: String,
    /// Path inside the repository, percent-encoded as in the URL, without leading `/`.
    path: String,
}

impl UrlReader {
    /// A reader for these GitHub hosts and this allow-list, with the default
    /// cache bounds (2048 answers, 64 MiB).
    pub fn new(github: Vec<GithubIntegrationSettings>, allow: ReadingAllowList) -> Result<UrlReader, String> {
        Self::with_cache_bounds(github, allow, CACHE_ENTRIES, CACHE_BYTES)
    }

    /// A reader whose `ETag` cache keeps at most `entries` answers and `bytes`
    /// bytes of bodies (0 entries turns it off).
    pub fn with_cache_bounds(
        github: Vec<GithubIntegrationSettings>,
        allow: ReadingAllowList,
        entries: usize,
        bytes: usize,
    ) -> Result<UrlReader, String> {
        let policy = Arc::new(Policy { github, allow });
        let for_redirects = policy.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if for_redirects.permits_redirect(attempt.url()) {
                attempt.follow()
            } else {
                let host = attempt.url().host_str().unwrap_or("?").to_owned();
                attempt.error(format!("redirected to {host}, which is not allowed"))
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("portolan/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(redirects)
            .build()
            .map_err(|e| format!("Error: cannot set up the HTTP client: {e}"))?;
        let cache = EtagCache { entries: HashMap::new(), bytes: 0, tick: 0, max_entries: entries, max_bytes: bytes };
        Ok(UrlReader { inner: Arc::new(Inner { client, policy, cache: Mutex::new(cache) }) })
    }

    /// Reads one file at `url` as text. Errors are messages for the
    /// processing-errors panel (`NotFoundError: …`, `NotAllowedError: …`).
    pub async fn read_url(&self, url: &str) -> Result<String, String> {
        let parsed = Url::parse(url).map_err(|e| format!("InputError: {} is not a valid URL: {e}", redact(url)))?;
        if let Some(gh) = self.github_url(&parsed) {
            if gh.folder {
                return Err(format!("InputError: {} is a folder (a /tree/ URL), not a file", shown(&parsed)));
            }
            return self.github_file(&parsed, &gh).await;
        }
        self.plain(&parsed).await
    }

    /// Reads every file `url` stands for: one file, or the catalog files
    /// (`catalog-info.yaml`/`.yml`) under a GitHub `/tree/` folder.
    pub async fn read_location(&self, url: &str) -> Result<Vec<ReadFile>, String> {
        let parsed = Url::parse(url).map_err(|e| format!("InputError: {} is not a valid URL: {e}", redact(url)))?;
        if parsed.path().contains('*') {
            return Err(format!("InputError: {}: patterns are not supported in url locations", shown(&parsed)));
        }
        match self.github_url(&parsed) {
            Some(gh) if gh.folder => self.github_folder(&parsed, &gh).await,
            Some(gh) => {
                let text = self.github_file(&parsed, &gh).await?;
                Ok(vec![ReadFile { location: LocationRef::new("url", url), text, stamp: None }])
            }
            None => {
                let text = self.plain(&parsed).await?;
                Ok(vec![ReadFile { location: LocationRef::new("url", url), text, stamp: None }])
            }
        }
    }

    fn github_url(&self, url: &Url) -> Option<GithubUrl<'_>> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let integration = self.inner.policy.github_for(&host_of(url)?)?;
        let segments: Vec<&str> = url.path_segments()?.collect();
        let [owner, repo, kind, git_ref, rest @ ..] = segments.as_slice() else { return None };
        let folder = match *kind {
            "blob" => false,
            "tree" => true,
            _ => return None,
        };
        if owner.is_empty() || repo.is_empty() || git_ref.is_empty() {
            return None;
        }
        let path = rest.iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join("/");
        if path.is_empty() && !folder {
            return None;
        }
        Some(GithubUrl {
            integration,
            owner: (*owner).to_owned(),
            repo: (*repo).to_owned(),
            folder,
            git_ref: percent_decode(git_ref),
            path,
        })
    }

    fn api_url(gh: &GithubUrl<'_>, tail: &str) -> Result<Url, String> {
        let base = gh.integration.api_base_url.trim_end_matches('/');
        let text = format!("{base}/repos/{}/{}/{tail}", gh.owner, gh.repo);
        Url::parse(&text).map_err(|e| format!("Error: bad GitHub API URL for {}: {e}", gh.integration.host))
    }

    async fn github_file(&self, url: &Url, gh: &GithubUrl<'_>) -> Result<String, String> {
        let mut api = Self::api_url(gh, &format!("contents/{}", gh.path))?;
        api.query_pairs_mut().append_pair("ref", &gh.git_ref);
        let target = Target { shown: shown(url), host: &gh.integration.host, token_sent: gh.integration.token.is_some(), github: true };
        let (body, content_type) = self.get(api, "application/vnd.github.raw", gh.integration.token.as_deref(), &target).await?;
        // Some proxies answer with the JSON form whatever the Accept header said.
        if content_type.is_some_and(|t| t.starts_with("application/json"))
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(&body)
        {
            if json.is_array() {
                return Err(format!("InputError: {} is a folder; use a /tree/ URL", target.shown));
            }
            if json.get("encoding").and_then(|e| e.as_str()) == Some("base64")
                && let Some(content) = json.get("content").and_then(|c| c.as_str())
            {
                return decode_base64(content)
                    .ok_or_else(|| format!("Error: {}: GitHub sent content that is not base64 UTF-8 text", target.shown));
            }
        }
        Ok(body.to_string())
    }

    async fn github_folder(&self, url: &Url, gh: &GithubUrl<'_>) -> Result<Vec<ReadFile>, String> {
        let keep = |path: &str| CATALOG_FILE_NAMES.contains(&path.rsplit('/').next().unwrap_or(path));
        Ok(self.github_files_under(url, gh, keep).await?.into_iter().map(|(_, file)| file).collect())
    }

    /// Every file of a GitHub folder URL (`tree/…`, or `blob/…` naming a
    /// folder), as paths relative to the folder with their text: the
    /// skeletons of templates read from GitHub.
    pub async fn read_folder(&self, url: &str) -> Result<Vec<(String, String)>, String> {
        let parsed = Url::parse(url).map_err(|e| format!("InputError: {} is not a valid URL: {e}", redact(url)))?;
        let Some(mut gh) = self.github_url(&parsed) else {
            return Err(format!("NotAllowedError: {} is not a folder on a GitHub host of integrations.github", shown(&parsed)));
        };
        gh.folder = true;
        let files = self.github_files_under(&parsed, &gh, |_| true).await?;
        Ok(files.into_iter().map(|(path, file)| (path, file.text)).collect())
    }

    /// The files under `gh`'s folder whose repository path `keep` accepts, with their path relative to the folder.
    async fn github_files_under(&self, url: &Url, gh: &GithubUrl<'_>, keep: impl Fn(&str) -> bool) -> Result<Vec<(String, ReadFile)>, String> {
        let mut api = Self::api_url(gh, &format!("git/trees/{}", percent_encode_segment(&gh.git_ref)))?;
        api.query_pairs_mut().append_pair("recursive", "1");
        let target = Target { shown: shown(url), host: &gh.integration.host, token_sent: gh.integration.token.is_some(), github: true };
        let (body, _) = self.get(api, "application/vnd.github+json", gh.integration.token.as_deref(), &target).await?;
        let tree: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("Error: {}: GitHub sent a tree that is not JSON: {e}", target.shown))?;
        if tree.get("truncated").and_then(serde_json::Value::as_bool) == Some(true) {
            tracing::warn!(url = %target.shown, "GitHub truncated the tree listing; some catalog files may be missing");
        }
        let folder = percent_decode(&gh.path);
        let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
        let entries = tree.get("tree").and_then(serde_json::Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut any_under = false;
        let mut paths = Vec::new();
        for entry in entries {
            let Some(path) = entry.get("path").and_then(serde_json::Value::as_str) else { continue };
            if !path.starts_with(&prefix) {
                continue;
            }
            any_under = true;
            if entry.get("type").and_then(serde_json::Value::as_str) == Some("blob") && keep(path) {
                paths.push(path.to_owned());
            }
        }
        if !any_under && !folder.is_empty() {
            return Err(format!("NotFoundError: {} does not exist", target.shown));
        }
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let mut file_url = url.clone();
            file_url.set_query(None);
            file_url.set_fragment(None);
            if let Ok(mut segments) = file_url.path_segments_mut() {
                segments.clear().push(&gh.owner).push(&gh.repo).push("blob").push(&gh.git_ref).extend(path.split('/'));
            }
            let Some(file_gh) = self.github_url(&file_url) else { continue };
            let text = self.github_file(&file_url, &file_gh).await?;
            let relative = path.strip_prefix(&prefix).unwrap_or(&path).to_owned();
            files.push((relative, ReadFile { location: LocationRef::new("url", file_url.as_str()), text, stamp: None }));
        }
        Ok(files)
    }

    async fn plain(&self, url: &Url) -> Result<String, String> {
        let shown_url = shown(url);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("NotAllowedError: reading {shown_url} is not allowed; only http(s) URLs are read"));
        }
        let host = host_of(url).unwrap_or_default();
        if !self.inner.policy.permits(url) {
            return Err(format!("NotAllowedError: reading from {host} is not allowed; add it to backend.reading.allow"));
        }
        let target = Target { shown: shown_url, host: &host, token_sent: false, github: false };
        let (body, _) = self.get(url.clone(), "*/*", None, &target).await?;
        Ok(body.to_string())
    }

    /// A conditional GET: the cached body on `304`, the new one (cached
    /// with its `ETag`) on `200`, a message otherwise.
    async fn get(&self, url: Url, accept: &str, token: Option<&str>, target: &Target<'_>) -> Result<(Arc<str>, Option<String>), String> {
        let key = format!("{accept} {url}");
        let cached = self.inner.cache.lock().ok().and_then(|mut c| c.get(&key));
        let mut request = self.inner.client.get(url).header(header::ACCEPT, accept);
        if target.github {
            request = request.header("X-GitHub-Api-Version", "2022-11-28");
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(entry) = &cached {
            request = request.header(header::IF_NONE_MATCH, entry.etag.as_str());
        }
        let response = request.send().await.map_err(|e| format!("Error: cannot read {}: {}", target.shown, describe(&e)))?;
        let status = response.status();
        tracing::debug!(url = %target.shown, status = status.as_u16(), "read");
        if status == StatusCode::NOT_MODIFIED
            && let Some(entry) = cached
        {
            return Ok((entry.body, entry.content_type));
        }
        if !status.is_success() {
            return Err(status_message(status, response.headers(), target));
        }
        let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
        let bytes = read_body(response).await.map_err(|e| format!("Error: cannot read {}: {e}", target.shown))?;
        let text: Arc<str> = String::from_utf8(bytes).map_err(|_| format!("Error: {} is not UTF-8 text", target.shown))?.into();
        if let Some(etag) = etag
            && let Ok(mut cache) = self.inner.cache.lock()
        {
            cache.put(key, CacheEntry { etag, body: text.clone(), content_type: content_type.clone(), used: 0 });
        }
        Ok((text, content_type))
    }
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(format!("the answer is larger than {} MiB", MAX_BODY / 1024 / 1024));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!("the answer is larger than {} MiB", MAX_BODY / 1024 / 1024));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A message for a failed answer; names the host and whether a token was
/// sent, never the token.
fn status_message(status: StatusCode, headers: &HeaderMap, target: &Target<'_>) -> String {
    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let code = status.as_u16();
    let token = if target.token_sent {
        "a token was sent".to_owned()
    } else if target.github {
        format!("no token is configured for {} in integrations.github", target.host)
    } else {
        "no token was sent".to_owned()
    };
    let rate_limited = header_str("x-ratelimit-remaining") == Some("0");
    if matches!(code, 403 | 429) && (rate_limited || header_str("retry-after").is_some()) {
        let when = match (header_str("x-ratelimit-reset").and_then(|r| r.parse::<i64>().ok()), header_str("retry-after")) {
            (Some(reset), _) if rate_limited => format!("it resets at {}", utc_time(reset)),
            (_, Some(after)) => format!("retry after {after} s"),
            (Some(reset), None) => format!("it resets at {}", utc_time(reset)),
            (None, None) => "try again later".to_owned(),
        };
        return format!(
            "RateLimitError: the API rate limit of {} is used up reading {} ({token}); {when}",
            target.host, target.shown
        );
    }
    match code {
        404 if target.github && !target.token_sent => format!(
            "NotFoundError: {} does not exist on {} (or the repository is private: {token})",
            target.shown, target.host
        ),
        404 => format!("NotFoundError: {} does not exist on {}", target.shown, target.host),
        401 => format!("AuthenticationError: {} refused to authenticate the request for {} (HTTP 401; {token})", target.host, target.shown),
        403 => format!("NotAllowedError: {} refused access to {} (HTTP 403; {token})", target.host, target.shown),
        _ => format!("Error: {} answered HTTP {status} for {}", target.host, target.shown),
    }
}

/// A reqwest error with its causes, without the URL (reported separately, redacted).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "bad redirect"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `url` without user name, password, query or fragment.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

fn redact(text: &str) -> String {
    Url::parse(text).map_or_else(|_| text.split(['?', '#']).next().unwrap_or_default().to_owned(), |u| shown(&u))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_base64(content: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: String = content.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

impl Reader for UrlReader {
    fn read<'a>(&'a self, location: &'a LocationRef) -> ReadFuture<'a> {
        Box::pin(async move {
            if location.location_type != "url" {
                return Err(format!("reading {} locations is not supported by the URL reader", location.location_type));
            }
            self.read_location(&location.target).await
        })
    }
}

/// Sends `file` locations to [`FileReader`] and `url` locations to [`UrlReader`].
#[derive(Debug, Clone)]
pub struct CompositeReader {
    file: FileReader,
    url: UrlReader,
}

impl CompositeReader {
    /// A reader of local files and of URLs through `url`.
    pub fn new(url: UrlReader) -> CompositeReader {
        CompositeReader { file: FileReader, url }
    }

    /// The URL reader (e.g. for a [`UrlResolver`]).
    pub fn url_reader(&self) -> &UrlReader {
        &self.url
    }
}

impl Reader for CompositeReader {
    fn read<'a>(&'a self, location: &'a LocationRef) -> ReadFuture<'a> {
        match location.location_type.as_str() {
            "file" => self.file.read(location),
            "url" => self.url.read(location),
            other => {
                let message = format!("reading {other} locations is not supported yet");
                Box::pin(async move { Err(message) })
            }
        }
    }

    fn list<'a>(&'a self, location: &'a LocationRef) -> ListFuture<'a> {
        self.file.list(location)
    }

    fn read_each<'a>(&'a self, locations: &'a [LocationRef]) -> ReadEachFuture<'a> {
        // Only local globs are listed; their files all go to the file reader.
        if locations.iter().all(|l| l.location_type == "file") {
            return self.file.read_each(locations);
        }
        Box::pin(super::reader::read_one_by_one(self, locations))
    }
}

/// What a file's relative references resolve against.
#[derive(Debug, Clone)]
enum Base {
    /// The folder of a local file.
    Folder(PathBuf),
    /// The URL of a file read from a URL.
    Url(Url),
    /// Nothing (an unknown location type).
    None,
}

impl Base {
    fn of(location: &LocationRef) -> Base {
        match location.location_type.as_str() {
            "file" => Base::Folder(Path::new(&location.target).parent().map(Path::to_path_buf).unwrap_or_default()),
            "url" => Url::parse(&location.target).map_or(Base::None, Base::Url),
            _ => Base::None,
        }
    }
}

/// How a [`UrlResolver`] fetches URLs.
enum Fetch {
    /// Through a reader, blocking on the runtime.
    Reader(Arc<dyn Reader>, tokio::runtime::Handle),
    /// Through an async task that owns the reader (see [`parse_read_file`]).
    Relay(mpsc::Sender<(String, oneshot::Sender<Resolution>)>),
}

/// Resolves `$text`/`$json`/`$yaml` references of a file: relative paths
/// of a local file through [`FileResolver`], URLs — absolute ones, and
/// relative ones in a file read from a URL (`Url::join`) — through a reader
/// (so the allow-list, tokens and `ETag` cache apply).
///
/// [`Resolver::read`] blocks: call it off the async runtime (as
/// `read_catalog_file` runs in `spawn_blocking`), never on a runtime worker.
pub struct UrlResolver {
    base: Base,
    fetch: Fetch,
}

impl fmt::Debug for UrlResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlResolver").field("base", &self.base).finish_non_exhaustive()
    }
}

impl UrlResolver {
    /// A resolver for the file read from `file`, fetching URLs through
    /// `reader` (a [`UrlReader`] or [`CompositeReader`]). Must be created
    /// inside a Tokio runtime, whose handle it keeps.
    pub fn new(reader: Arc<dyn Reader>, file: &LocationRef) -> UrlResolver {
        UrlResolver { base: Base::of(file), fetch: Fetch::Reader(reader, tokio::runtime::Handle::current()) }
    }

    fn fetch(&self, url: String) -> Resolution {
        match &self.fetch {
            Fetch::Reader(reader, handle) => handle.block_on(fetch_text(reader.as_ref(), url)),
            Fetch::Relay(requests) => {
                let (reply, answer) = oneshot::channel();
                if requests.blocking_send((url, reply)).is_err() {
                    return Resolution::Deferred("the reader is gone".to_owned());
                }
                answer.blocking_recv().unwrap_or_else(|_| Resolution::Deferred("the reader is gone".to_owned()))
            }
        }
    }
}

impl Resolver for UrlResolver {
    fn read(&self, reference: &str) -> Resolution {
        let absolute = Url::parse(reference).ok();
        match (&self.base, absolute) {
            (_, Some(url)) => self.fetch(url.into()),
            (Base::Folder(folder), None) => FileResolver { folder }.read(reference),
            (Base::Url(base), None) => match base.join(reference) {
                Ok(url) => self.fetch(url.into()),
                Err(e) => Resolution::Failed(format!("cannot resolve it against {}: {e}", shown(base))),
            },
            (Base::None, None) => Resolution::Deferred("there is no file to resolve it against".to_owned()),
        }
    }
}

/// Reads `url` through `reader` as a `url` location: its one file's text.
async fn fetch_text(reader: &dyn Reader, url: String) -> Resolution {
    match reader.read(&LocationRef::new("url", url)).await {
        Ok(files) if files.len() == 1 => Resolution::Text(files.into_iter().next().map(|f| f.text).unwrap_or_default()),
        Ok(_) => Resolution::Failed("it is a folder, not a file".to_owned()),
        // A reader without URL support (plain `FileReader`): leave it, as offline validation does.
        Err(message) if message.starts_with("reading url locations is not supported") => {
            Resolution::Deferred("URLs are not read by this reader".to_owned())
        }
        Err(message) => Resolution::Failed(message),
    }
}

/// Parses a file read from `location` off the async runtime, resolving its
/// `$text`/`$json`/`$yaml` references with a [`UrlResolver`]: relative paths
/// against the file's folder or URL, URLs fetched through `reader` (by this
/// task, while the parse waits).
pub async fn parse_read_file(reader: &dyn Reader, location: &LocationRef, text: String) -> Result<FileReport, tokio::task::JoinError> {
    let file = ReadFile { location: location.clone(), text, stamp: None };
    let parsed = parse_read_files(reader, vec![file]).await?;
    Ok(parsed.into_iter().next().map(|(_, _, report)| report).unwrap_or_default())
}

/// A file parsed by [`parse_read_files`]: where it was read, its stamp, its report.
pub type ParsedFile = (LocationRef, Option<super::reader::FileStamp>, FileReport);

/// Parses many read files at once on every core, in their order, resolving
/// references as [`parse_read_file`] does; the URLs the files ask for are
/// fetched by this task, several at a time, while the parses wait.
pub async fn parse_read_files(reader: &dyn Reader, files: Vec<ReadFile>) -> Result<Vec<ParsedFile>, tokio::task::JoinError> {
    use futures_util::StreamExt;
    let (requests, mut incoming) = mpsc::channel::<(String, oneshot::Sender<Resolution>)>(16);
    let mut parse = tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        files
            .into_par_iter()
            .map(|ReadFile { location, text, stamp }| {
                let resolver = UrlResolver { base: Base::of(&location), fetch: Fetch::Relay(requests.clone()) };
                let report = read_catalog_file(&text, &resolver);
                (location, stamp, report)
            })
            .collect::<Vec<_>>()
    });
    let mut fetches = futures_util::stream::FuturesUnordered::new();
    loop {
        tokio::select! {
            parsed = &mut parse => return parsed,
            Some((url, reply)) = incoming.recv() => {
                fetches.push(async move {
                    let _ = reply.send(fetch_text(reader, url).await);
                });
            }
            Some(()) = fetches.next(), if !fetches.is_empty() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_time(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_time(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("feature%2Fx"), "feature/x");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_encode_segment("feature/x"), "feature%2Fx");
    }

    #[test]
    fn allow_list_hosts_paths_and_wildcards() {
        let allow = ReadingAllowList {
            entries: vec![("*.example.com".into(), vec![]), ("docs.internal:8080".into(), vec!["/catalog/".into()])],
        };
        let ok = |u: &str| allow.allows(&Url::parse(u).expect("url"));
        assert!(ok("https://a.example.com/x.yaml"));
        assert!(ok("http://b.c.example.com/x.yaml"));
        assert!(!ok("https://example.com/x.yaml"));
        assert!(!ok("https://evilexample.com/x.yaml"));
        assert!(ok("http://docs.internal:8080/catalog/a.yaml"));
        assert!(!ok("http://docs.internal:8080/other/a.yaml"));
        assert!(!ok("http://docs.internal/catalog/a.yaml"));
        assert!(!ok("file:///etc/passwd"));
    }

    #[test]
    fn github_urls() {
        let reader = UrlReader::new(
            vec![GithubIntegrationSettings { host: "github.com".into(), api_base_url: "https://api.github.com".into(), token: None }],
            ReadingAllowList::default(),
        )
        .expect("reader");
        let url = Url::parse("https://github.com/o/r/blob/feature%2Fx/docs/a%20b.yaml").expect("url");
        let gh = reader.github_url(&url).expect("github");
        assert_eq!((gh.owner.as_str(), gh.repo.as_str(), gh.git_ref.as_str(), gh.path.as_str(), gh.folder), ("o", "r", "feature/x", "docs/a%20b.yaml", false));
        let tree = reader.github_url(&Url::parse("https://github.com/o/r/tree/main").expect("url")).expect("tree");
        assert!(tree.folder && tree.path.is_empty());
        assert!(reader.github_url(&Url::parse("https://github.com/o/r").expect("url")).is_none());
        assert!(reader.github_url(&Url::parse("https://gitlab.com/o/r/blob/main/a.yaml").expect("url")).is_none());
        let debug = format!("{:?}", GithubIntegrationSettings { host: "h".into(), api_base_url: "a".into(), token: Some("sekrit".into()) });
        assert!(!debug.contains("sekrit"));
    }

    #[test]
    fn cache_evicts_least_recently_used() {
        let mut cache = EtagCache { entries: HashMap::new(), bytes: 0, tick: 0, max_entries: 2, max_bytes: 100 };
        let entry = |body: &str| CacheEntry { etag: "e".into(), body: body.into(), content_type: None, used: 0 };
        cache.put("a".into(), entry("aaa"));
        cache.put("b".into(), entry("bbb"));
        assert!(cache.get("a").is_some());
        cache.put("c".into(), entry("ccc"));
        assert!(cache.get("b").is_none());
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        cache.put("d".into(), entry(&"d".repeat(99)));
        assert_eq!(cache.entries.len(), 1);
        assert!(cache.bytes <= 100);
    }
}
