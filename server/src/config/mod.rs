//! `portolan.yaml`: typed configuration shaped like Backstage's
//! `app-config.yaml`, so a Backstage operator recognises every key.
//!
//! Loading goes in layers: built-in defaults, then the file (with `${VAR}`
//! substituted from the environment), then `PORTOLAN_*` environment
//! overrides. The environment is passed in as a function rather than read
//! from the process, so tests (and embedders) never race on global state.
//!
//! Every key is checked: an unknown key or a value of the wrong shape is an
//! error naming the file, the line and the field path, with the keys or
//! values that would have been accepted. Values with rules are parsed into
//! types ([`ListenAddr`], [`DatabaseUrl`], [`ConfigDuration`], ...) so the
//! rest of the server never re-checks them. Secrets ([`Secret`], database
//! passwords) print as `***` in `Debug` output.
//!
//! ```yaml
//! backend:
//!   listen: 127.0.0.1:7007
//!   database: {url: sqlite://data/portolan.db}
//! catalog:
//!   locations: [{type: file, target: ./catalog-info.yaml}]
//!   refreshInterval: {minutes: 5}
//! integrations:
//!   github: [{host: github.com, token: "${GITHUB_TOKEN}"}]
//! ```

pub mod auth;
mod error;
pub mod kubernetes;
pub mod scaffolder;
mod tree;
mod values;

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;
use url::Url;

pub use error::{ConfigError, Position};
pub use values::{
    ConfigDuration, DatabaseUrl, GlobPattern, Host, HostPattern, HttpUrl, KindName, ListenAddr,
    LocationType, LogFormat, LogLevel, OrphanStrategy, PathPrefix, Secret, DEFAULT_HOST,
    DEFAULT_PORT,
};

use tree::{FieldPath, SubstError};

/// The conventional name of the configuration file.
pub const FILE_NAME: &str = "portolan.yaml";

/// The example catalog served when no configuration file is given.
pub const EXAMPLE_CATALOG: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/example/catalog-info.yaml");

/// Backstage's default `catalog.rules`: what registered locations may hold
/// when the configuration says nothing.
pub const DEFAULT_ALLOWED_KINDS: &[&str] = &["Component", "API", "Location"];

/// The default `catalog.refreshInterval`: how often each location is read
/// again.
pub const DEFAULT_REFRESH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Environment variable overriding `backend.database.url`.
pub const ENV_DATABASE_URL: &str = "PORTOLAN_DATABASE_URL";
/// Environment variable overriding `backend.listen`.
pub const ENV_LISTEN: &str = "PORTOLAN_LISTEN";
/// Environment variable overriding `backend.log.format`.
pub const ENV_LOG_FORMAT: &str = "PORTOLAN_LOG_FORMAT";
/// Environment variable overriding `backend.dataDir`.
pub const ENV_DATA_DIR: &str = "PORTOLAN_DATA_DIR";

/// The whole configuration, every default filled in and every path absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from (absolute), `None` for the built-in
    /// defaults; relative paths in the file were resolved against its folder.
    pub file: Option<PathBuf>,
    /// The HTTP server, storage and logging.
    pub backend: BackendConfig,
    /// What the catalog reads and how.
    pub catalog: CatalogConfig,
    /// Credentials and API addresses of code hosts.
    pub integrations: IntegrationsConfig,
    /// Sign-in and sessions.
    pub auth: auth::AuthConfig,
    /// Roles and rules.
    pub permission: auth::PermissionConfig,
    /// How templates run.
    pub scaffolder: scaffolder::ScaffolderConfig,
    /// The clusters watched for deploy and health status.
    pub kubernetes: kubernetes::KubernetesConfig,
}

/// `backend`: how the server runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendConfig {
    /// Where the HTTP server listens (`backend.listen`).
    pub listen: ListenAddr,
    /// The URL users and other services reach the server at
    /// (`backend.baseUrl`), used in links and redirects; derived from
    /// `listen` when not given (`localhost` for an all-interfaces host).
    pub base_url: HttpUrl,
    /// Where the catalog is stored.
    pub database: DatabaseConfig,
    /// Folder for everything the server writes (the default SQLite file,
    /// caches); absolute.
    pub data_dir: PathBuf,
    /// Log format and filter.
    pub log: LogConfig,
    /// Which URLs may be read from outside the integrations.
    pub reading: ReadingConfig,
}

/// `backend.database`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// The database to connect to; defaults to `portolan.db` in the data dir.
    pub url: DatabaseUrl,
}

/// `backend.log`: how the log is written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with format and level")]
pub struct LogConfig {
    /// `text` (default) or `json`.
    pub format: LogFormat,
    /// An `EnvFilter` directive string; default `info`.
    pub level: LogLevel,
}

/// `backend.reading`: outbound URL reads allowed besides the integrations'
/// hosts (Backstage's `backend.reading.allow`), so `$text` references and
/// `url` locations cannot be aimed at arbitrary internal services.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with allow")]
pub struct ReadingConfig {
    /// The allowed hosts, each optionally limited to path prefixes.
    pub allow: Vec<ReadingAllow>,
}

impl ReadingConfig {
    /// Whether `url` may be read: an `http(s)` URL whose host (with port,
    /// when it has one) matches an entry and whose path starts with one of
    /// that entry's paths (any path when it lists none).
    pub fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = url.host_str() else { return false };
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        self.allow.iter().any(|a| {
            a.host.matches(&host)
                && (a.paths.is_empty() || a.paths.iter().any(|p| url.path().starts_with(p.as_str())))
        })
    }
}

/// One `backend.reading.allow` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with host and paths")]
pub struct ReadingAllow {
    /// The host (with `:port` if not the default), or `*.domain`.
    pub host: HostPattern,
    /// Path prefixes under the host; empty allows every path.
    #[serde(default)]
    pub paths: Vec<PathPrefix>,
}

/// `catalog`: where entities come from and how they are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogConfig {
    /// Static locations (`catalog.locations`), read at every refresh and
    /// not deletable through the API.
    pub locations: Vec<StaticLocation>,
    /// Which kinds locations may hold (`catalog.rules`); Backstage's
    /// default allows Component, API and Location.
    pub rules: Vec<CatalogRule>,
    /// What happens to entities no location emits any more.
    pub orphan_strategy: OrphanStrategy,
    /// How often locations are read again (`catalog.refreshInterval`, also
    /// accepted as Backstage's `catalog.processingInterval`).
    pub refresh_interval: ConfigDuration,
    /// When true, locations cannot be registered or deleted through the API.
    pub readonly: bool,
}

/// One `catalog.locations` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLocation {
    /// What to read: an absolute file path or a URL.
    pub target: LocationTarget,
    /// Kinds allowed from this location in addition to `catalog.rules`;
    /// `None` when the entry has no `rules` key.
    pub rules: Option<Vec<CatalogRule>>,
}

impl StaticLocation {
    /// `file` or `url`.
    pub fn location_type(&self) -> LocationType {
        match self.target {
            LocationTarget::File(_) => LocationType::File,
            LocationTarget::Url(_) => LocationType::Url,
        }
    }

    /// The target as text, as it goes into a Location entity and into
    /// `generated-<sha1("<type>:<target>")>`.
    pub fn target_str(&self) -> String {
        match &self.target {
            LocationTarget::File(p) => p.display().to_string(),
            LocationTarget::Url(u) => u.to_string(),
        }
    }
}

/// A static location's target, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocationTarget {
    /// `type: file`: an absolute path (may hold glob patterns), resolved
    /// against the configuration file's folder.
    File(PathBuf),
    /// `type: url`: an absolute URL.
    Url(Url),
}

/// A `catalog.rules` (or `catalog.locations[].rules`) entry: kinds allowed,
/// optionally only from matching locations.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with allow and locations")]
pub struct CatalogRule {
    /// Kinds allowed (compared ignoring case).
    pub allow: Vec<KindName>,
    /// When given, the rule applies only to locations matching one of these.
    #[serde(default)]
    pub locations: Option<Vec<RuleLocation>>,
}

impl CatalogRule {
    /// Whether the rule applies to a location of this type and target.
    pub fn applies_to(&self, location_type: LocationType, target: &str) -> bool {
        match &self.locations {
            None => true,
            Some(matchers) => matchers.iter().any(|m| m.matches(location_type, target)),
        }
    }
}

/// A location matcher in a catalog rule (Backstage's `{type, exact?,
/// pattern?}`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with type, exact and pattern")]
pub struct RuleLocation {
    /// The location type that must match.
    #[serde(rename = "type")]
    pub location_type: LocationType,
    /// The target, exactly.
    pub exact: Option<String>,
    /// A glob the target must match.
    pub pattern: Option<GlobPattern>,
}

impl RuleLocation {
    /// Whether a location of this type and target matches.
    pub fn matches(&self, location_type: LocationType, target: &str) -> bool {
        self.location_type == location_type
            && self.exact.as_deref().is_none_or(|e| e == target)
            && self.pattern.as_ref().is_none_or(|p| p.matches(target))
    }
}

/// The kinds a location may hold: the answer of [`Config::allowed_kinds`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindRule {
    kinds: Vec<KindName>,
}

impl KindRule {
    /// Whether entities of `kind` are allowed (ignoring case).
    pub fn allows(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k.matches(kind))
    }

    /// The allowed kinds, each once, in rule order.
    pub fn kinds(&self) -> &[KindName] {
        &self.kinds
    }

    fn add(&mut self, rules: &[CatalogRule], location: Option<(LocationType, &str)>) {
        for rule in rules {
            let applies = match location {
                Some((t, target)) => rule.applies_to(t, target),
                None => rule.locations.is_none(),
            };
            if applies {
                for k in &rule.allow {
                    if !self.allows(k.as_str()) {
                        self.kinds.push(k.clone());
                    }
                }
            }
        }
    }
}

/// `integrations`: how code hosts are reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationsConfig {
    /// GitHub and GitHub Enterprise hosts, one entry per host; `github.com`
    /// is always present (without a token unless configured), as in
    /// Backstage.
    pub github: Vec<GithubIntegration>,
}

impl IntegrationsConfig {
    /// The GitHub integration for `host` (e.g. `github.com`), if any.
    pub fn github_for(&self, host: &str) -> Option<&GithubIntegration> {
        self.github.iter().find(|g| g.host.as_str().eq_ignore_ascii_case(host))
    }
}

/// One `integrations.github` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubIntegration {
    /// The host, `github.com` or a GitHub Enterprise host.
    pub host: Host,
    /// A personal access token; without one, requests are anonymous (60
    /// requests an hour on github.com).
    pub token: Option<Secret>,
    /// The REST API root: `https://api.github.com` for github.com,
    /// `https://HOST/api/v3` for GitHub Enterprise, unless given.
    pub api_base_url: HttpUrl,
}

// ---------------------------------------------------------------------------
// The file as written, before defaults that depend on where it is.

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with backend, catalog, integrations, auth, permission, scaffolder and kubernetes")]
struct RawConfig {
    backend: RawBackend,
    catalog: RawCatalog,
    integrations: RawIntegrations,
    auth: auth::AuthConfig,
    permission: auth::PermissionConfig,
    scaffolder: scaffolder::ScaffolderConfig,
    kubernetes: kubernetes::KubernetesConfig,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with listen, baseUrl, database, dataDir, log and reading")]
struct RawBackend {
    listen: Option<ListenAddr>,
    base_url: Option<HttpUrl>,
    database: RawDatabase,
    data_dir: Option<PathBuf>,
    log: LogConfig,
    reading: ReadingConfig,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with url")]
struct RawDatabase {
    url: Option<DatabaseUrl>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with locations, rules, orphanStrategy, refreshInterval and readonly")]
struct RawCatalog {
    locations: Vec<RawLocation>,
    rules: Option<Vec<CatalogRule>>,
    orphan_strategy: OrphanStrategy,
    #[serde(alias = "processingInterval")]
    refresh_interval: Option<ConfigDuration>,
    readonly: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with type, target and rules")]
struct RawLocation {
    #[serde(rename = "type")]
    location_type: LocationType,
    target: String,
    #[serde(default)]
    rules: Option<Vec<CatalogRule>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with github")]
struct RawIntegrations {
    github: Vec<RawGithub>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with host, token and apiBaseUrl")]
struct RawGithub {
    host: Host,
    #[serde(default)]
    token: Option<Secret>,
    #[serde(default)]
    api_base_url: Option<HttpUrl>,
}

// ---------------------------------------------------------------------------
// Loading

/// Where a [`RawConfig`] came from: what errors are reported against, and
/// what relative paths are resolved against.
struct Source<'a> {
    /// The file as given, for messages; `None` without a file.
    file: Option<&'a Path>,
    /// The YAML text, to find positions in.
    text: &'a str,
    /// Absolute folder for relative paths.
    base: PathBuf,
}

impl Source<'_> {
    fn invalid(&self, path: FieldPath, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file(),
            position: tree::locate(self.text, &path),
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The file for messages (`portolan.yaml` for the built-in defaults).
    fn file(&self) -> PathBuf {
        self.file.map_or_else(|| PathBuf::from(FILE_NAME), Path::to_path_buf)
    }
}

impl Config {
    /// Loads the configuration: defaults, then the file at `path` when given
    /// (relative paths in it resolved against its folder), then the
    /// `PORTOLAN_*` overrides. `env` looks environment variables up, for
    /// `${VAR}` in the file and for the overrides; pass
    /// `&|name| std::env::var(name).ok()` for the process environment.
    ///
    /// Without a file: listen on `127.0.0.1:7007`, SQLite in `./data`, and
    /// the example catalog as the one static location, allowed every
    /// built-in kind.
    pub fn load(
        path: Option<&Path>,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { file: path.to_path_buf(), source })?;
                Self::from_yaml(&text, path, env)
            }
            None => {
                let cwd = absolute(Path::new("."));
                let source = Source { file: None, text: "", base: cwd };
                let mut raw = RawConfig::default();
                raw.catalog.locations.push(RawLocation {
                    location_type: LocationType::File,
                    target: EXAMPLE_CATALOG.to_owned(),
                    rules: Some(vec![all_built_in_kinds()]),
                });
                apply_overrides(&mut raw, env)?;
                resolve(raw, &source, None)
            }
        }
    }

    /// Loads the configuration from YAML text as if read from `file` (which
    /// names it in errors and whose folder relative paths are resolved
    /// against), then applies the overrides, like [`Config::load`].
    pub fn from_yaml(
        text: &str,
        file: &Path,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let source = Source { file: Some(file), text, base: absolute(folder) };

        let mut value: Value = serde_norway::from_str(text).map_err(|e| ConfigError::Syntax {
            file: file.to_path_buf(),
            position: e.location().map(|l| Position { line: l.line(), column: l.column() }),
            message: strip_location(&e.to_string()),
        })?;
        if value.is_null() {
            value = Value::Mapping(Default::default());
        }
        drop_nulls(&mut value);
        tree::substitute(&mut value, &FieldPath::default(), env).map_err(|e| match e {
            SubstError::Missing { path, variable } => ConfigError::MissingVariable {
                file: file.to_path_buf(),
                position: tree::locate(text, &path),
                path: path.to_string(),
                variable,
            },
            SubstError::Malformed { path, message } => source.invalid(path, message),
        })?;

        let raw: RawConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = FieldPath::from_serde(e.path());
            let message = e.inner().to_string();
            let position = unknown_field(&message)
                .and_then(|key| {
                    // The path ends at the unknown key itself or at its mapping.
                    let parent = match path.0.last() {
                        Some(tree::Seg::Key(k)) if k == key => FieldPath(path.0[..path.0.len() - 1].to_vec()),
                        _ => path.clone(),
                    };
                    tree::locate_key(text, &parent, key)
                })
                .or_else(|| tree::locate(text, &path));
            ConfigError::Invalid { file: source.file(), position, path: path.to_string(), message }
        })?;

        let file_abs = join_normalized(&source.base, Path::new(file.file_name().unwrap_or(file.as_os_str())));
        let mut raw = raw;
        apply_overrides(&mut raw, env)?;
        resolve(raw, &source, Some(file_abs))
    }

    /// The kinds a location may hold, following Backstage's
    /// `DefaultCatalogRulesEnforcer`: the `catalog.rules` entries that apply
    /// to the location, plus — for a static location with its own `rules` —
    /// those. `None` stands for a location registered through the API (whose
    /// type and target are not known here): rules limited to particular
    /// locations are then left out; use [`Config::allowed_kinds_at`] when
    /// they are known.
    pub fn allowed_kinds(&self, location: Option<&StaticLocation>) -> KindRule {
        let mut rule = KindRule::default();
        match location {
            Some(loc) => {
                let target = loc.target_str();
                if let Some(own) = &loc.rules {
                    rule.add(own, None);
                }
                rule.add(&self.catalog.rules, Some((loc.location_type(), &target)));
            }
            None => rule.add(&self.catalog.rules, None),
        }
        rule
    }

    /// The kinds a registered location of this type and target may hold:
    /// every `catalog.rules` entry that applies to it.
    pub fn allowed_kinds_at(&self, location_type: LocationType, target: &str) -> KindRule {
        let mut rule = KindRule::default();
        rule.add(&self.catalog.rules, Some((location_type, target)));
        rule
    }
}

/// Turns the file as written into the configuration, filling the defaults
/// that depend on where the file is.
fn resolve(raw: RawConfig, source: &Source<'_>, file: Option<PathBuf>) -> Result<Config, ConfigError> {
    let RawConfig { backend, catalog, integrations, auth, permission, mut scaffolder, kubernetes } = raw;
    let data_dir = join_normalized(&source.base, backend.data_dir.as_deref().unwrap_or(Path::new("data")));
    let database_url = backend.database.url.map(|u| u.resolve_against(&source.base));
    let listen = backend.listen.unwrap_or_default();

    let mut locations = Vec::with_capacity(catalog.locations.len());
    for (i, loc) in catalog.locations.into_iter().enumerate() {
        let target = match loc.location_type {
            LocationType::File => {
                if loc.target.trim().is_empty() {
                    return Err(source.invalid(FieldPath::of(&["catalog", "locations"]).index(i).key("target"), "a file target must not be empty"));
                }
                LocationTarget::File(join_normalized(&source.base, Path::new(&loc.target)))
            }
            LocationType::Url => {
                let path = || FieldPath::of(&["catalog", "locations"]).index(i).key("target");
                let shown = values::redact_url(&loc.target);
                match Url::parse(&loc.target) {
                    Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                        return Err(source.invalid(
                            path(),
                            format!("{shown:?}: put credentials in integrations, not in the URL"),
                        ));
                    }
                    Ok(url) if matches!(url.scheme(), "http" | "https") => LocationTarget::Url(url),
                    Ok(_) => {
                        return Err(source.invalid(path(), format!("{shown:?} is not an http or https URL")));
                    }
                    Err(e) => {
                        return Err(source.invalid(path(), format!("{shown:?} is not an absolute URL: {e}")));
                    }
                }
            }
        };
        locations.push(StaticLocation { target, rules: loc.rules });
    }

    let mut github: Vec<GithubIntegration> = Vec::new();
    for (i, g) in integrations.github.into_iter().enumerate() {
        if github.iter().any(|prev| prev.host == g.host) {
            return Err(source.invalid(
                FieldPath::of(&["integrations", "github"]).index(i).key("host"),
                format!("{} is configured twice", g.host),
            ));
        }
        let api_base_url = match g.api_base_url {
            Some(u) => u,
            None => default_github_api(&g.host),
        };
        github.push(GithubIntegration { host: g.host, token: g.token, api_base_url });
    }
    if !github.iter().any(|g| g.host.as_str() == "github.com") {
        let host = Host::try_from("github.com".to_owned()).unwrap_or_else(|_| unreachable!());
        let api_base_url = default_github_api(&host);
        github.push(GithubIntegration { host, token: None, api_base_url });
    }

    check_permission(&permission, source)?;
    check_kubernetes(&kubernetes, source)?;
    scaffolder.workspace_dir = Some(join_normalized(&source.base, scaffolder.workspace_dir.as_deref().unwrap_or(&data_dir.join("scaffolder"))));
    if scaffolder.builtin_templates {
        let allow = vec![KindName::try_from("Template".to_owned()).unwrap_or_else(|_| unreachable!())];
        locations.push(StaticLocation {
            target: LocationTarget::File(join_normalized(&source.base, Path::new(scaffolder::BUILTIN_TEMPLATES))),
            rules: Some(vec![CatalogRule { allow, locations: None }]),
        });
    }
    Ok(Config {
        file,
        auth,
        permission,
        scaffolder,
        kubernetes,
        backend: BackendConfig {
            base_url: backend.base_url.unwrap_or_else(|| derive_base_url(&listen)),
            listen,
            database: DatabaseConfig {
                url: database_url.unwrap_or_else(|| DatabaseUrl::Sqlite(data_dir.join("portolan.db"))),
            },
            data_dir,
            log: backend.log,
            reading: backend.reading,
        },
        catalog: CatalogConfig {
            locations,
            rules: catalog.rules.unwrap_or_else(default_rules),
            orphan_strategy: catalog.orphan_strategy,
            refresh_interval: catalog
                .refresh_interval
                .unwrap_or_else(|| ConfigDuration::new(DEFAULT_REFRESH_INTERVAL).unwrap_or_else(|| unreachable!())),
            readonly: catalog.readonly,
        },
        integrations: IntegrationsConfig { github },
    })
}

/// Refuses clusters without a usable URL, with a name used twice, or with an
/// authentication Portolan does not have.
fn check_kubernetes(k: &kubernetes::KubernetesConfig, source: &Source<'_>) -> Result<(), ConfigError> {
    for (i, locator) in k.cluster_locator_methods.iter().enumerate() {
        if locator.locator_type != "config" {
            let path = FieldPath::of(&["kubernetes", "clusterLocatorMethods"]).index(i).key("type");
            return Err(source.invalid(path, format!("{:?} is not supported; use config (or kubernetes.kubeconfig / kubernetes.inCluster)", locator.locator_type)));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, cluster) in k.all_clusters().iter().enumerate() {
        let path = |key: &str| FieldPath::of(&["kubernetes", "clusters"]).index(i).key(key);
        if cluster.name.trim().is_empty() || !seen.insert(cluster.name.clone()) {
            return Err(source.invalid(path("name"), format!("cluster name {:?} is empty or used twice", cluster.name)));
        }
        match Url::parse(&cluster.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return Err(source.invalid(path("url"), format!("{:?} is not an http(s) URL", cluster.url))),
        }
        if cluster.auth_provider != "serviceAccount" {
            return Err(source.invalid(path("authProvider"), format!("{:?} is not supported; use serviceAccount", cluster.auth_provider)));
        }
    }
    Ok(())
}

/// Refuses rules with unknown actions or roles and role members that are
/// not user or group references.
fn check_permission(permission: &auth::PermissionConfig, source: &Source<'_>) -> Result<(), ConfigError> {
    for (role, members) in &permission.roles {
        for (i, member) in members.iter().enumerate() {
            let parsed = portolan_catalog::EntityRef::parse(member, portolan_catalog::RefDefaults { kind: Some("user"), namespace: None });
            let ok = parsed.as_ref().is_ok_and(|r| matches!(r.kind(), "user" | "group"));
            if !ok {
                let path = FieldPath::of(&["permission", "roles", role.as_str()]).index(i);
                return Err(source.invalid(path, format!("{member:?} is not a user or group reference such as group:default/platform")));
            }
        }
    }
    for (i, rule) in permission.rules.iter().enumerate() {
        for (j, action) in rule.actions.iter().enumerate() {
            if !auth::ACTIONS.contains(&action.as_str()) {
                let path = FieldPath::of(&["permission", "rules"]).index(i).key("actions").index(j);
                return Err(source.invalid(path, format!("unknown action {action:?}; expected one of {}", auth::ACTIONS.join(", "))));
            }
        }
        for (j, who) in rule.allow.iter().enumerate() {
            if !matches!(who.as_str(), "owner" | "signedIn") && !permission.roles.contains_key(who) {
                let path = FieldPath::of(&["permission", "rules"]).index(i).key("allow").index(j);
                return Err(source.invalid(path, format!("{who:?} is neither owner, signedIn nor a role under permission.roles")));
            }
        }
    }
    Ok(())
}

/// Applies `PORTOLAN_*` environment overrides to the file as written
/// (empty values count as unset), so defaults derived from an overridden
/// field (base URL from listen, database from data dir) follow it. Paths in
/// overrides are relative to the working directory.
fn apply_overrides(raw: &mut RawConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let bad = |variable: &str, path: &str, message: String| ConfigError::Override {
        variable: variable.to_owned(),
        path: path.to_owned(),
        message,
    };
    let cwd = absolute(Path::new("."));

    if let Some(v) = get(ENV_LISTEN) {
        raw.backend.listen = Some(v.parse().map_err(|m| bad(ENV_LISTEN, "backend.listen", m))?);
    }
    if let Some(v) = get(ENV_LOG_FORMAT) {
        raw.backend.log.format = v.parse().map_err(|m| bad(ENV_LOG_FORMAT, "backend.log.format", m))?;
    }
    if let Some(v) = get(ENV_DATA_DIR) {
        raw.backend.data_dir = Some(join_normalized(&cwd, Path::new(&v)));
    }
    if let Some(v) = get(ENV_DATABASE_URL) {
        let url: DatabaseUrl = v.parse().map_err(|m| bad(ENV_DATABASE_URL, "backend.database.url", m))?;
        raw.backend.database.url = Some(url.resolve_against(&cwd));
    }
    Ok(())
}

/// `http://HOST:PORT` for a listen address, `localhost` standing in for an
/// all-interfaces host.
fn derive_base_url(listen: &ListenAddr) -> HttpUrl {
    let text = if listen.is_unspecified() {
        format!("http://localhost:{}", listen.port())
    } else {
        format!("http://{listen}")
    };
    text.parse().unwrap_or_else(|_| unreachable!("a listen address makes a valid URL"))
}

fn default_github_api(host: &Host) -> HttpUrl {
    let text = if host.as_str() == "github.com" {
        "https://api.github.com".to_owned()
    } else {
        format!("https://{host}/api/v3")
    };
    text.parse().unwrap_or_else(|_| unreachable!("a host makes a valid URL"))
}

fn default_rules() -> Vec<CatalogRule> {
    vec![CatalogRule {
        allow: DEFAULT_ALLOWED_KINDS
            .iter()
            .filter_map(|k| KindName::try_from((*k).to_owned()).ok())
            .collect(),
        locations: None,
    }]
}

fn all_built_in_kinds() -> CatalogRule {
    CatalogRule {
        allow: portolan_catalog::kinds::BUILT_IN_KINDS
            .iter()
            .filter_map(|k| KindName::try_from(k.kind.to_owned()).ok())
            .collect(),
        locations: None,
    }
}

/// Removes `key: ~` entries (and empty `key:`) so they mean "not set", as in
/// Backstage, instead of failing as the wrong type.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            map.retain(|_, v| !v.is_null());
            for (_, v) in map.iter_mut() {
                drop_nulls(v);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(drop_nulls),
        Value::Tagged(t) => drop_nulls(&mut t.value),
        _ => {}
    }
}

/// The key named by serde's "unknown field `x`, expected ..." message.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// serde_norway puts " at line L column C" into its messages; the position
/// is reported separately, so that fragment is cut out.
fn strip_location(message: &str) -> String {
    let Some(start) = message.find(" at line ") else { return message.to_owned() };
    let rest = &message[start + " at line ".len()..];
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = rest.strip_prefix(" column ").unwrap_or(rest);
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{}{}", &message[..start], rest)
}

/// `path` made absolute from the working directory (unchanged if that is
/// unknown).
fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    normalize(&abs)
}

/// `base.join(path)` with `.` and `..` resolved lexically, like Node's
/// `path.resolve` that Backstage uses for file locations.
pub(crate) fn join_normalized(base: &Path, path: &Path) -> PathBuf {
    normalize(&base.join(path))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
