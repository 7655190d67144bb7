//! Values with rules, each a type that can only hold a valid value: once the
//! configuration is loaded nothing downstream has to check a URL, a duration
//! or a kind name again (parse, don't validate).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use url::Url;

// ---------------------------------------------------------------------------
// backend.listen

/// The address the HTTP server listens on: a host (IP address or DNS name)
/// and a port.
///
/// Written `host:port` (`127.0.0.1:7007`, `[::1]:7007`, `:7007` for every
/// interface) or, as Backstage writes it, `{host, port}` (host defaults to
/// `127.0.0.1`, port to `7007`; the port may be a number or a string).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListenAddr {
    host: String,
    port: u16,
}

/// The default port, Backstage's backend port.
pub const DEFAULT_PORT: u16 = 7007;
/// The default host: loopback, so a fresh install is not exposed.
pub const DEFAULT_HOST: &str = "127.0.0.1";

impl ListenAddr {
    /// A listen address from a host and a port; the host must be an IP
    /// address or a DNS name (empty means every interface, `0.0.0.0`).
    pub fn new(host: &str, port: u16) -> Result<Self, String> {
        let host = host.trim();
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        if host.is_empty() {
            return Ok(Self { host: "0.0.0.0".to_owned(), port });
        }
        if host.parse::<std::net::IpAddr>().is_ok() || is_dns_name(host) {
            Ok(Self { host: host.to_owned(), port })
        } else {
            Err(format!("{host:?} is not an IP address or a host name"))
        }
    }

    /// The host, without brackets for IPv6 (`::1`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether only this machine can connect (`127.0.0.1`, `::1`, `localhost`).
    pub fn is_loopback(&self) -> bool {
        let host = self.host().trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Whether the host means every interface (`0.0.0.0` or `::`), which a
    /// browser cannot reach as such.
    pub fn is_unspecified(&self) -> bool {
        self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_unspecified())
    }
}

impl Default for ListenAddr {
    fn default() -> Self {
        Self { host: DEFAULT_HOST.to_owned(), port: DEFAULT_PORT }
    }
}

impl fmt::Display for ListenAddr {
    /// `host:port`, IPv6 hosts in brackets: what `TcpListener::bind` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let Some((host, port)) = s.rsplit_once(':') else {
            return Err(format!("{s:?} is not host:port (e.g. 127.0.0.1:7007 or :7007)"));
        };
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(format!("{s:?}: write IPv6 addresses in brackets, e.g. [::1]:7007"));
        }
        let port = parse_port(port)?;
        Self::new(host, port).map_err(|e| format!("{s:?}: {e}"))
    }
}

fn parse_port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| format!("{s:?} is not a port number (0-65535)"))
}

fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A port written as a number or a string, as Backstage allows.
struct Port(u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number (0-65535)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                u16::try_from(v).map(Port).map_err(|_| E::custom(format!("{v} is not a port number (0-65535)")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                u16::try_from(v).map(Port).map_err(|_| E::custom(format!("{v} is not a port number (0-65535)")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Port, E> {
                parse_port(v).map(Port).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Backstage's mapping form of `backend.listen`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with host and port")]
struct ListenMap {
    host: Option<String>,
    port: Option<Port>,
}

impl<'de> Deserialize<'de> for ListenAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListenAddr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"host:port\", a port number, or {host, port}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ListenAddr, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListenAddr, E> {
                let Port(port) = Port::deserialize(de::value::U64Deserializer::<E>::new(v))?;
                Ok(ListenAddr { host: DEFAULT_HOST.to_owned(), port })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ListenAddr, A::Error> {
                let m = ListenMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                ListenAddr::new(
                    m.host.as_deref().unwrap_or(DEFAULT_HOST),
                    m.port.map_or(DEFAULT_PORT, |p| p.0),
                )
                .map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// URLs

/// An absolute `http` or `https` URL without a trailing slash
/// (`backend.baseUrl`, `integrations.github[].apiBaseUrl`), so paths can be
/// appended with `format!("{base}/api/catalog")`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct HttpUrl(String);

impl HttpUrl {
    /// The URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL parsed.
    pub fn url(&self) -> Url {
        // Checked on construction.
        Url::parse(&self.0).unwrap_or_else(|_| unreachable!("HttpUrl holds a valid URL"))
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HttpUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        // Shown redacted: a URL may carry a password.
        let shown = redact_url(s.trim());
        let url = Url::parse(s.trim()).map_err(|e| format!("{shown:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{shown:?} is not an http or https URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{shown:?} has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{shown:?}: a base URL takes no query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{shown:?}: a base URL takes no user or password"));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }
}

impl TryFrom<String> for HttpUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

// ---------------------------------------------------------------------------
// backend.database.url

/// Where the catalog is stored.
///
/// `sqlite://relative/path.db` (relative to the config file's folder, or the
/// working directory without a file), `sqlite:///absolute/path.db`,
/// `sqlite::memory:`, or a PostgreSQL URL (`postgres://` or
/// `postgresql://`). After [`Config::load`](super::Config::load) SQLite paths
/// are absolute. `Debug` and `Display` hide the PostgreSQL password.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DatabaseUrl {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// An SQLite database in memory, gone when the process ends (tests).
    SqliteMemory,
    /// A PostgreSQL connection URL, as written (it may hold a password).
    Postgres(String),
}

impl DatabaseUrl {
    /// The URL to connect with, password included: hand it to the driver,
    /// never to a log.
    pub fn connect_url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::SqliteMemory => "sqlite::memory:".to_owned(),
            Self::Postgres(url) => url.clone(),
        }
    }

    /// The URL with any password replaced by `***`, safe to log.
    pub fn redacted(&self) -> String {
        match self {
            Self::Postgres(s) => redact_url(s),
            other => other.connect_url(),
        }
    }

    /// A relative SQLite path made absolute against `base`.
    pub(crate) fn resolve_against(self, base: &Path) -> Self {
        match self {
            Self::Sqlite(p) => Self::Sqlite(super::join_normalized(base, &p)),
            other => other,
        }
    }
}

/// Replaces the password of a URL with `***` (text without one is returned
/// as is); text that does not parse but has an `@` is hidden after the
/// scheme entirely, since it may still hold a secret.
pub(crate) fn redact_url(s: &str) -> String {
    match Url::parse(s) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => s.to_owned(),
        // Without an `@` there is no user-info part to hide.
        Err(_) if !s.contains('@') => s.to_owned(),
        Err(_) => match s.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_owned(),
        },
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Self::SqliteMemory => f.write_str("SqliteMemory"),
            Self::Postgres(s) => f.debug_tuple("Postgres").field(&redact_url(s)).finish(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    /// The redacted URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "sqlite::memory:" || s == "sqlite://:memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(path) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("an SQLite URL needs a file path, e.g. sqlite://data/portolan.db".to_owned());
            }
            if path.contains('?') || path.contains('#') {
                return Err(format!("{s:?}: SQLite URL options are not supported; give only the path"));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return match Url::parse(s) {
                Ok(_) => Ok(Self::Postgres(s.to_owned())),
                Err(e) => Err(format!("{:?} is not a valid PostgreSQL URL: {e}", redact_url(s))),
            };
        }
        Err(format!(
            "{:?} is not a database URL; expected sqlite://PATH, sqlite::memory:, postgres:// or postgresql://",
            redact_url(s)
        ))
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

// ---------------------------------------------------------------------------
// durations

/// A positive length of time (`catalog.refreshInterval`).
///
/// Written as a string of number-unit pairs — `500ms`, `30s`, `5m`, `1h`,
/// `2d`, `1h30m` — or as Backstage's mapping `{minutes: 45}` (keys `weeks`,
/// `days`, `hours`, `minutes`, `seconds`, `milliseconds`, summed). Zero is
/// refused: every duration in the configuration is an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigDuration(Duration);

impl ConfigDuration {
    /// A duration from a `std` one; `None` for zero.
    pub fn new(d: Duration) -> Option<Self> {
        (!d.is_zero()).then_some(Self(d))
    }

    /// The `std` duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl From<ConfigDuration> for Duration {
    fn from(d: ConfigDuration) -> Duration {
        d.0
    }
}

impl fmt::Display for ConfigDuration {
    /// The shortest string form that parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis();
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl FromStr for ConfigDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("{s:?} is not a duration; write e.g. \"500ms\", \"30s\", \"5m\", \"1h\" or {{minutes: 45}}");
        let text = s.trim();
        if text.is_empty() {
            return Err(err());
        }
        let mut total = Duration::ZERO;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits == 0 {
                return Err(err());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| err())?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
            let unit = &rest[..unit_len];
            rest = rest[unit_len..].trim_start();
            let part = match unit {
                "ms" => Duration::from_millis(n),
                "s" => Duration::from_secs(n),
                "m" => n.checked_mul(60).map(Duration::from_secs).ok_or_else(err)?,
                "h" => n.checked_mul(3600).map(Duration::from_secs).ok_or_else(err)?,
                "d" => n.checked_mul(86_400).map(Duration::from_secs).ok_or_else(err)?,
                "" => return Err(format!("{s:?}: a duration needs a unit (ms, s, m, h or d)")),
                _ => return Err(format!("{s:?}: unknown unit {unit:?}; use ms, s, m, h or d")),
            };
            total = total.checked_add(part).ok_or_else(err)?;
        }
        Self::new(total).ok_or_else(|| format!("{s:?}: a duration must be longer than zero"))
    }
}

/// Backstage's `HumanDuration` mapping (without `years` and `months`, whose
/// length varies).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping of weeks, days, hours, minutes, seconds or milliseconds")]
struct HumanDuration {
    weeks: Option<u64>,
    days: Option<u64>,
    hours: Option<u64>,
    minutes: Option<u64>,
    seconds: Option<u64>,
    milliseconds: Option<u64>,
}

impl HumanDuration {
    fn total(&self) -> Option<Duration> {
        let secs = [(self.weeks, 604_800u64), (self.days, 86_400), (self.hours, 3600), (self.minutes, 60), (self.seconds, 1)]
            .into_iter()
            .try_fold(0u64, |acc, (n, size)| acc.checked_add(n.unwrap_or(0).checked_mul(size)?))?;
        Duration::from_secs(secs).checked_add(Duration::from_millis(self.milliseconds.unwrap_or(0)))
    }
}

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"30s\" or {minutes: 45}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConfigDuration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ConfigDuration, E> {
                Err(E::custom(format!("{v}: a duration needs a unit, e.g. \"{v}s\" or {{seconds: {v}}}")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ConfigDuration, E> {
                Err(E::custom(format!("{v}: a duration needs a unit, e.g. \"{v}s\" or {{seconds: {v}}}")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ConfigDuration, A::Error> {
                let h = HumanDuration::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let total = h.total().ok_or_else(|| de::Error::custom("the duration is too long"))?;
                ConfigDuration::new(total).ok_or_else(|| {
                    de::Error::custom("a duration must be longer than zero (give weeks, days, hours, minutes, seconds or milliseconds)")
                })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// enums

/// How the server writes its log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format {other:?}, expected text or json")),
        }
    }
}

/// Which log events are written: a `tracing` `EnvFilter` directive string
/// such as `info` or `portolan=debug,tower_http=info`, checked on load so a
/// typo fails at start-up instead of silently logging nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct LogLevel(String);

impl LogLevel {
    /// The directive string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LogLevel {
    fn default() -> Self {
        Self("info".to_owned())
    }
}

impl TryFrom<String> for LogLevel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        tracing_subscriber::EnvFilter::builder()
            .parse(&s)
            .map(|_| Self(s.clone()))
            .map_err(|e| format!("{s:?} is not a log filter directive: {e}"))
    }
}

/// What happens to entities that no location emits any more
/// (`catalog.orphanStrategy`, Backstage's default `delete`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrphanStrategy {
    /// Delete orphans (Backstage's default since the breaking change).
    #[default]
    Delete,
    /// Keep orphans, flagged `backstage.io/orphan: "true"`.
    Keep,
}

/// How a location's target is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationType {
    /// A local file path (glob patterns allowed).
    File,
    /// An absolute URL read through an integration or `backend.reading`.
    Url,
}

impl LocationType {
    /// The type as Backstage writes it (`file`, `url`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Url => "url",
        }
    }
}

impl fmt::Display for LocationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------
// names

/// An entity kind name in a catalog rule (`Component`, `API`, ...), checked
/// against Backstage's kind format. Rules compare kinds case-insensitively,
/// as Backstage does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct KindName(String);

impl KindName {
    /// The kind as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `kind`, ignoring case.
    pub fn matches(&self, kind: &str) -> bool {
        self.0.eq_ignore_ascii_case(kind)
    }
}

impl TryFrom<String> for KindName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if portolan_catalog::rules::is_valid_kind(&s) {
            Ok(Self(s))
        } else {
            Err(format!("{s:?} is not a kind name (a letter, then letters and digits)"))
        }
    }
}

impl fmt::Display for KindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host name with an optional port (`github.com`, `ghe.example.com`,
/// `localhost:8080`): how integrations are told apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Host(String);

impl Host {
    /// The host (and port) as written, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_host(s: &str) -> Result<String, String> {
    let lower = s.trim().to_ascii_lowercase();
    if lower.contains("://") || lower.contains('/') {
        return Err(format!("{s:?}: give only the host name, without scheme or path"));
    }
    let (name, port) = match lower.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (lower.as_str(), None),
    };
    if !is_dns_name(name) || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(format!("{s:?} is not a host name (with an optional :port)"));
    }
    Ok(lower)
}

impl TryFrom<String> for Host {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        check_host(&s).map(Self)
    }
}

/// A host in `backend.reading.allow`: a [`Host`], or `*.example.com` for
/// every subdomain of `example.com` (not the domain itself), as Backstage
/// allows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct HostPattern(String);

impl HostPattern {
    /// The pattern as written, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `host` (with `:port` when the URL has one) matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(domain) => host.strip_suffix(domain).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => host == self.0,
        }
    }
}

impl TryFrom<String> for HostPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let trimmed = s.trim();
        match trimmed.strip_prefix("*.") {
            Some(rest) => check_host(rest).map(|h| Self(format!("*.{h}"))),
            None => check_host(trimmed).map(Self),
        }
    }
}

/// A URL path prefix in `backend.reading.allow[].paths`; starts with `/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct PathPrefix(String);

impl PathPrefix {
    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PathPrefix {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.starts_with('/') && !s.split('/').any(|seg| seg == "..") {
            Ok(Self(s))
        } else {
            Err(format!("{s:?}: a path must start with \"/\" and have no \"..\""))
        }
    }
}

/// A glob pattern over location targets in a catalog rule's `locations`
/// (Backstage uses minimatch; `*`, `**`, `?` and `[...]` work the same).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct GlobPattern(glob::Pattern);

impl GlobPattern {
    /// Whether `target` matches.
    pub fn matches(&self, target: &str) -> bool {
        self.0.matches(target)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for GlobPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        glob::Pattern::new(&s).map(Self).map_err(|e| format!("{s:?} is not a glob pattern: {e}"))
    }
}

// ---------------------------------------------------------------------------
// secrets

/// A secret (token, password): `Debug` and `Display` print `***`, so a
/// secret that reaches a log line or an error message shows nothing. Read it
/// with [`Secret::expose`] where it is sent.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Secret(String);

impl Secret {
    /// A secret from its value; empty values are refused (an unset token is
    /// left out, not written empty).
    pub fn new(value: impl Into<String>) -> Result<Self, String> {
        let value = value.into();
        if value.is_empty() {
            Err("must not be empty (leave the key out instead)".to_owned())
        } else {
            Ok(Self(value))
        }
    }

    /// The secret's value: only for sending it where it belongs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Secret {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::new(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
