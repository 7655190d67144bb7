//! `portolan.yaml`: defaults, every key, errors that name the field, `${VAR}`
//! substitution, environment overrides and secret redaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use portolan::config::{
    Config, ConfigError, DatabaseUrl, KindName, ListenAddr, LocationTarget, LocationType,
    LogFormat, OrphanStrategy, EXAMPLE_CATALOG,
};

/// An environment made of `pairs`, so tests never touch the process's.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name: &str| map.get(name).cloned()
}

/// Writes `text` as `portolan.yaml` in a fresh folder.
fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("portolan.yaml");
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

fn load(text: &str, vars: &[(&str, &str)]) -> Result<(tempfile::TempDir, Config), ConfigError> {
    let (dir, path) = write(text);
    Config::load(Some(&path), &env(vars)).map(|c| (dir, c))
}

fn load_err(text: &str, vars: &[(&str, &str)]) -> String {
    match load(text, vars) {
        Ok((_, c)) => panic!("expected an error, loaded {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn kinds(names: &[&str]) -> Vec<KindName> {
    names.iter().map(|k| KindName::try_from((*k).to_owned()).expect("kind")).collect()
}

/// The real path of a temp dir (macOS puts them behind a symlink; we resolve
/// lexically, so compare against the path as given).
fn folder(dir: &tempfile::TempDir) -> &Path {
    dir.path()
}

#[test]
fn defaults_without_a_file() {
    let c = Config::load(None, &env(&[])).expect("defaults load");
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(c.file, None);
    assert_eq!(c.backend.listen.to_string(), "127.0.0.1:7007");
    assert_eq!(c.backend.base_url.as_str(), "http://127.0.0.1:7007");
    assert_eq!(c.backend.data_dir, cwd.join("data"));
    assert_eq!(c.backend.database.url, DatabaseUrl::Sqlite(cwd.join("data").join("portolan.db")));
    assert_eq!(c.backend.log.format, LogFormat::Text);
    assert_eq!(c.backend.log.level.as_str(), "info");
    assert!(c.backend.reading.allow.is_empty());

    assert_eq!(c.catalog.locations.len(), 2, "the example catalog and the built-in templates");
    assert!(matches!(&c.catalog.locations[1].target, LocationTarget::File(t) if t.ends_with("templates/*/template.yaml")));
    let loc = &c.catalog.locations[0];
    assert_eq!(loc.location_type(), LocationType::File);
    let LocationTarget::File(target) = &loc.target else { panic!("file target") };
    assert!(target.ends_with("catalog/example/catalog-info.yaml"), "{target:?}");
    assert!(!target.components().any(|c| c.as_os_str() == ".."), "normalized: {target:?}");
    assert!(target.is_file(), "the example catalog exists at {target:?}");
    assert_eq!(Path::new(EXAMPLE_CATALOG).canonicalize().ok(), target.canonicalize().ok());

    // The example location allows every kind; registered locations get
    // Backstage's default.
    let example = c.allowed_kinds(Some(loc));
    for kind in ["Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"] {
        assert!(example.allows(kind), "{kind}");
    }
    let registered = c.allowed_kinds(None);
    assert!(registered.allows("component") && registered.allows("API") && registered.allows("Location"));
    assert!(!registered.allows("Group") && !registered.allows("Template"));

    assert_eq!(c.catalog.orphan_strategy, OrphanStrategy::Delete);
    assert_eq!(c.catalog.refresh_interval.get(), Duration::from_secs(60));
    assert!(!c.catalog.readonly);
    assert_eq!(c.integrations.github.len(), 1);
    assert_eq!(c.integrations.github[0].host.as_str(), "github.com");
    assert_eq!(c.integrations.github[0].api_base_url.as_str(), "https://api.github.com");
    assert!(c.integrations.github[0].token.is_none());
}

#[test]
fn an_empty_file_gives_the_defaults_without_locations() {
    let (dir, c) = load("# nothing yet\n", &[]).expect("loads");
    assert_eq!(c.file.as_deref(), Some(folder(&dir).join("portolan.yaml").as_path()));
    assert_eq!(c.backend.data_dir, folder(&dir).join("data"));
    assert_eq!(c.catalog.locations.len(), 1, "only the built-in templates");
    assert!(c.scaffolder.builtin_templates);
    assert_eq!(c.catalog.rules.len(), 1);
    assert_eq!(c.catalog.rules[0].allow, kinds(&["Component", "API", "Location"]));
    // `key:` with nothing after it means "not set".
    let (_dir, c) = load("backend:\ncatalog:\n  rules:\n", &[]).expect("nulls are unset");
    assert_eq!(c.backend.listen, ListenAddr::default());
    assert_eq!(c.catalog.rules[0].allow, kinds(&["Component", "API", "Location"]));
}

const FULL: &str = r#"
backend:
  listen: 0.0.0.0:8080
  baseUrl: https://portal.example.com/
  database:
    url: postgres://portolan:s3cr3t@db.example.com:5432/portolan
  dataDir: ./state
  log:
    format: json
    level: portolan=debug,tower_http=info
  reading:
    allow:
      - host: example.com
        paths: ["/docs/"]
      - host: "*.internal.example.com"
catalog:
  locations:
    - type: file
      target: ./catalog-info.yaml
      rules: [{allow: [Component, API]}]
    - type: url
      target: https://github.com/acme/repo/blob/main/catalog-info.yaml
  rules:
    - allow: [Component, API, Location, System]
    - allow: [Group, User]
      locations: [{type: url, pattern: "https://github.com/acme/org/**"}]
  orphanStrategy: keep
  refreshInterval: 5m
  readonly: true
integrations:
  github:
    - host: github.com
      token: ghp_plain_token
    - host: ghe.example.com
      token: ghe_token
"#;

#[test]
fn a_full_file_sets_every_field() {
    let (dir, c) = load(FULL, &[]).expect("full file loads");
    let b = &c.backend;
    assert_eq!(b.listen.host(), "0.0.0.0");
    assert_eq!(b.listen.port(), 8080);
    assert_eq!(b.base_url.as_str(), "https://portal.example.com");
    assert_eq!(
        b.database.url,
        DatabaseUrl::Postgres("postgres://portolan:s3cr3t@db.example.com:5432/portolan".into())
    );
    assert_eq!(b.database.url.connect_url(), "postgres://portolan:s3cr3t@db.example.com:5432/portolan");
    assert_eq!(b.data_dir, folder(&dir).join("state"));
    assert_eq!(b.log.format, LogFormat::Json);
    assert_eq!(b.log.level.as_str(), "portolan=debug,tower_http=info");
    assert_eq!(b.reading.allow.len(), 2);
    let url = |s: &str| url::Url::parse(s).expect("url");
    assert!(b.reading.allows(&url("https://example.com/docs/a.yaml")));
    assert!(!b.reading.allows(&url("https://example.com/private/a.yaml")));
    assert!(b.reading.allows(&url("http://git.internal.example.com/anything")));
    assert!(!b.reading.allows(&url("http://internal.example.com/anything")));
    assert!(!b.reading.allows(&url("https://evil.com/docs/")));

    let cat = &c.catalog;
    assert_eq!(cat.locations.len(), 3, "two configured, then the built-in templates");
    assert_eq!(cat.locations[0].target, LocationTarget::File(folder(&dir).join("catalog-info.yaml")));
    assert_eq!(cat.locations[0].rules.as_ref().map(|r| r[0].allow.clone()), Some(kinds(&["Component", "API"])));
    assert_eq!(cat.locations[1].location_type(), LocationType::Url);
    assert_eq!(cat.locations[1].target_str(), "https://github.com/acme/repo/blob/main/catalog-info.yaml");
    assert!(cat.locations[1].rules.is_none());
    assert_eq!(cat.rules.len(), 2);
    assert_eq!(cat.orphan_strategy, OrphanStrategy::Keep);
    assert_eq!(cat.refresh_interval.get(), Duration::from_secs(300));
    assert!(cat.readonly);

    // Rules: own rules add to the global ones that apply; location-limited
    // rules apply only where they match.
    let own = c.allowed_kinds(Some(&cat.locations[0]));
    assert_eq!(own.kinds(), kinds(&["Component", "API", "Location", "System"]).as_slice());
    let registered = c.allowed_kinds(None);
    assert!(registered.allows("System") && !registered.allows("Group"));
    let org = c.allowed_kinds_at(LocationType::Url, "https://github.com/acme/org/teams.yaml");
    assert!(org.allows("Group") && org.allows("user") && org.allows("Component"));
    let other = c.allowed_kinds_at(LocationType::Url, "https://github.com/acme/other/teams.yaml");
    assert!(!other.allows("Group"));

    let gh = &c.integrations.github;
    assert_eq!(gh.len(), 2);
    assert_eq!(gh[0].api_base_url.as_str(), "https://api.github.com");
    assert_eq!(gh[0].token.as_ref().map(|t| t.expose()), Some("ghp_plain_token"));
    assert_eq!(gh[1].api_base_url.as_str(), "https://ghe.example.com/api/v3");
    assert_eq!(c.integrations.github_for("GHE.example.com").map(|g| g.host.as_str()), Some("ghe.example.com"));

    // Loading the same file again gives the same configuration (Clone + Eq).
    let again = Config::load(c.file.as_deref(), &env(&[])).expect("loads again");
    assert_eq!(again, c.clone());
}

#[test]
fn an_unknown_key_at_depth_names_the_path_and_the_allowed_keys() {
    let text = "backend:\n  log:\n    format: text\n    levle: debug\n";
    let msg = load_err(text, &[]);
    assert!(msg.contains("portolan.yaml:4:5: backend.log"), "{msg}");
    assert!(msg.contains("unknown field `levle`"), "{msg}");
    assert!(msg.contains("expected `format` or `level`"), "{msg}");

    let msg = load_err("catalog:\n  locations:\n    - type: file\n      target: a.yaml\n      rule: []\n", &[]);
    assert!(msg.contains(":5:7: catalog.locations[0]"), "{msg}");
    assert!(msg.contains("unknown field `rule`, expected one of `type`, `target`, `rules`"), "{msg}");

    let msg = load_err("backend:\n  listen: {host: localhost, prot: 1}\n", &[]);
    assert!(msg.contains("backend.listen"), "{msg}");
    assert!(msg.contains("unknown field `prot`, expected `host` or `port`"), "{msg}");

    let msg = load_err("catalogue: {}\n", &[]);
    assert!(msg.contains(":1:1: "), "{msg}");
    assert!(msg.contains("unknown field `catalogue`, expected one of `backend`, `catalog`, `integrations`"), "{msg}");
}

#[test]
fn a_wrong_enum_value_names_the_path_and_the_variants() {
    let text = "catalog:\n  locations:\n    - {type: file, target: a.yaml}\n    - type: ftp\n      target: b.yaml\n";
    let msg = load_err(text, &[]);
    assert!(msg.starts_with(&format!("{}", Path::new("portolan.yaml").display())) || msg.contains("portolan.yaml:"), "{msg}");
    assert!(msg.contains("portolan.yaml:4:13: catalog.locations[1].type: unknown variant `ftp`, expected `file` or `url`"), "{msg}");

    let msg = load_err("catalog:\n  orphanStrategy: forget\n", &[]);
    assert!(msg.contains("catalog.orphanStrategy: unknown variant `forget`, expected `delete` or `keep`"), "{msg}");
    let msg = load_err("backend:\n  log: {format: xml}\n", &[]);
    assert!(msg.contains("backend.log.format: unknown variant `xml`"), "{msg}");
}

#[test]
fn bad_values_name_their_field() {
    let cases = [
        ("backend:\n  database:\n    url: mysql://x/y\n", "backend.database.url: \"mysql://x/y\" is not a database URL"),
        ("backend:\n  listen: 127.0.0.1:99999\n", "backend.listen: \"99999\" is not a port number"),
        ("backend:\n  baseUrl: ftp://x\n", "backend.baseUrl: \"ftp://x\" is not an http or https URL"),
        ("backend:\n  log: {level: \"info,[\"}\n", "backend.log.level:"),
        ("catalog:\n  refreshInterval: 30\n", "catalog.refreshInterval: 30: a duration needs a unit"),
        ("catalog:\n  refreshInterval: 0s\n", "catalog.refreshInterval: \"0s\": a duration must be longer than zero"),
        ("catalog:\n  refreshInterval: {months: 1}\n", "catalog.refreshInterval.months: unknown field `months`, expected one of `weeks`"),
        ("catalog:\n  rules: [{allow: [\"Not a kind\"]}]\n", "catalog.rules[0].allow[0]: \"Not a kind\" is not a kind name"),
        ("catalog:\n  locations: [{type: url, target: ./relative.yaml}]\n", "catalog.locations[0].target: \"./relative.yaml\" is not an absolute URL"),
        ("catalog:\n  readonly: yes please\n", "catalog.readonly: invalid type"),
        ("integrations:\n  github: [{host: \"https://github.com\"}]\n", "integrations.github[0].host: \"https://github.com\": give only the host name"),
        ("integrations:\n  github: [{host: github.com}, {host: github.com}]\n", "integrations.github[1].host: github.com is configured twice"),
        ("integrations:\n  github: [{host: github.com, token: \"\"}]\n", "integrations.github[0].token: must not be empty"),
    ];
    for (text, want) in cases {
        let msg = load_err(text, &[]);
        assert!(msg.contains(want), "for {text:?}:\n  got  {msg}\n  want {want}");
    }
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = load("backend:\n  listen: [1, 2\n", &[]).expect_err("syntax error");
    let pos = err.position().expect("a position");
    assert!(pos.line >= 2, "{err}");
    assert!(err.to_string().contains(&format!("portolan.yaml:{}:{}: ", pos.line, pos.column)), "{err}");
    let msg = load_err("backend: {}\nbackend: {}\n", &[]);
    assert!(msg.contains("duplicate"), "{msg}");
}

#[test]
fn variables_are_substituted_and_a_missing_one_is_named_with_its_path() {
    let text = r#"
backend:
  baseUrl: https://${PORTAL_HOST}
  listen: {host: 127.0.0.1, port: "${PORT}"}
integrations:
  github:
    - host: github.com
      token: "${GITHUB_TOKEN}"
catalog:
  locations:
    - type: url
      target: "https://example.com/$${NOT_A_VAR}/catalog-info.yaml"
"#;
    let (_dir, c) = load(text, &[("PORTAL_HOST", "portal.example.com"), ("PORT", "9000"), ("GITHUB_TOKEN", "ghp_x")])
        .expect("substituted");
    assert_eq!(c.backend.base_url.as_str(), "https://portal.example.com");
    assert_eq!(c.backend.listen.port(), 9000);
    assert_eq!(c.integrations.github[0].token.as_ref().map(|t| t.expose()), Some("ghp_x"));
    assert_eq!(c.catalog.locations[0].target_str(), "https://example.com/$%7BNOT_A_VAR%7D/catalog-info.yaml");

    let err = load(text, &[("PORTAL_HOST", "p"), ("PORT", "1")]).expect_err("missing variable");
    let msg = err.to_string();
    assert!(
        msg.contains("portolan.yaml:8:14: integrations.github[0].token: environment variable GITHUB_TOKEN is not set"),
        "{msg}"
    );
    assert_eq!(err.path(), Some("integrations.github[0].token"));

    let msg = load_err("backend:\n  baseUrl: http://${HOST\n", &[]);
    assert!(msg.contains("backend.baseUrl: unterminated"), "{msg}");
}

#[test]
fn environment_overrides_win_over_the_file() {
    let text = "backend:\n  listen: 127.0.0.1:7007\n  database: {url: sqlite://db/file.db}\n  log: {format: text}\n";
    let (dir, c) = load(text, &[]).expect("loads");
    assert_eq!(c.backend.database.url, DatabaseUrl::Sqlite(folder(&dir).join("db/file.db")));

    let vars = [
        ("PORTOLAN_LISTEN", "0.0.0.0:9999"),
        ("PORTOLAN_DATABASE_URL", "postgresql://u:pw@localhost/portolan"),
        ("PORTOLAN_LOG_FORMAT", "json"),
        ("PORTOLAN_DATA_DIR", "/var/lib/portolan"),
    ];
    let (_dir, c) = load(text, &vars).expect("loads with overrides");
    assert_eq!(c.backend.listen.to_string(), "0.0.0.0:9999");
    // The derived base URL follows the overridden listen address.
    assert_eq!(c.backend.base_url.as_str(), "http://localhost:9999");
    assert_eq!(c.backend.database.url, DatabaseUrl::Postgres("postgresql://u:pw@localhost/portolan".into()));
    assert_eq!(c.backend.log.format, LogFormat::Json);
    assert_eq!(c.backend.data_dir, PathBuf::from("/var/lib/portolan"));

    // Without a file too; the default database moves with the data dir.
    let c = Config::load(None, &env(&[("PORTOLAN_DATA_DIR", "/srv/p"), ("PORTOLAN_LISTEN", "[::1]:7000")]))
        .expect("defaults with overrides");
    assert_eq!(c.backend.database.url, DatabaseUrl::Sqlite(PathBuf::from("/srv/p/portolan.db")));
    assert_eq!(c.backend.listen.host(), "::1");
    assert_eq!(c.backend.base_url.as_str(), "http://[::1]:7000");

    // Empty means unset; a bad value names the variable and the field.
    let c = Config::load(None, &env(&[("PORTOLAN_LISTEN", "")])).expect("empty is unset");
    assert_eq!(c.backend.listen, ListenAddr::default());
    let err = Config::load(None, &env(&[("PORTOLAN_LOG_FORMAT", "xml")])).expect_err("bad override");
    assert_eq!(err.to_string(), "PORTOLAN_LOG_FORMAT (overrides backend.log.format): unknown log format \"xml\", expected text or json");
    let err = Config::load(None, &env(&[("PORTOLAN_DATABASE_URL", "mysql://root:hunter2@x/db")])).expect_err("bad url");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn durations_as_strings_and_as_backstage_mappings() {
    let interval = |v: &str| -> Duration {
        let (_dir, c) = load(&format!("catalog:\n  refreshInterval: {v}\n"), &[]).expect("duration");
        c.catalog.refresh_interval.get()
    };
    assert_eq!(interval("{minutes: 45}"), Duration::from_secs(45 * 60));
    assert_eq!(interval("{seconds: 30}"), Duration::from_secs(30));
    assert_eq!(interval("{hours: 1, minutes: 30}"), Duration::from_secs(5400));
    assert_eq!(interval("{milliseconds: 250}"), Duration::from_millis(250));
    assert_eq!(interval("\"30s\""), Duration::from_secs(30));
    assert_eq!(interval("500ms"), Duration::from_millis(500));
    assert_eq!(interval("5m"), Duration::from_secs(300));
    assert_eq!(interval("1h"), Duration::from_secs(3600));
    assert_eq!(interval("1h30m"), Duration::from_secs(5400));
    // Backstage's name for it is accepted too.
    let (_dir, c) = load("catalog:\n  processingInterval: {minutes: 2}\n", &[]).expect("alias");
    assert_eq!(c.catalog.refresh_interval.get(), Duration::from_secs(120));
    assert_eq!(c.catalog.refresh_interval.to_string(), "2m");
    let msg = load_err("catalog:\n  refreshInterval: 5 fortnights\n", &[]);
    assert!(msg.contains("catalog.refreshInterval: \"5 fortnights\": unknown unit"), "{msg}");
}

#[test]
fn listen_as_host_port_string_or_backstage_mapping() {
    let listen = |v: &str| -> ListenAddr {
        let (_dir, c) = load(&format!("backend:\n  listen: {v}\n"), &[]).expect("listen");
        c.backend.listen
    };
    assert_eq!(listen("{host: 0.0.0.0, port: 7008}").to_string(), "0.0.0.0:7008");
    assert_eq!(listen("{port: \"7010\"}").to_string(), "127.0.0.1:7010");
    assert_eq!(listen("{host: localhost}").to_string(), "localhost:7007");
    assert_eq!(listen("\":7007\"").to_string(), "0.0.0.0:7007");
    assert_eq!(listen("\"[::]:7007\"").to_string(), "[::]:7007");
    assert_eq!(listen("7011").to_string(), "127.0.0.1:7011");
    let (_dir, c) = load("backend:\n  listen: {host: 0.0.0.0, port: 7008}\n", &[]).expect("loads");
    assert_eq!(c.backend.base_url.as_str(), "http://localhost:7008");
    let msg = load_err("backend:\n  listen: {port: 70000}\n", &[]);
    assert!(msg.contains("backend.listen.port: 70000 is not a port number"), "{msg}");
    let msg = load_err("backend:\n  listen: \"not a host:80\"\n", &[]);
    assert!(msg.contains("backend.listen: \"not a host:80\""), "{msg}");
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let (_dir, c) = load(FULL, &[]).expect("loads");
    let debug = format!("{c:?}");
    assert!(!debug.contains("ghp_plain_token"), "{debug}");
    assert!(!debug.contains("ghe_token"), "{debug}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(debug.contains("token: Some(\"***\")"), "{debug}");
    assert!(debug.contains("postgres://portolan:***@db.example.com:5432/portolan"), "{debug}");
    let pretty = format!("{c:#?}");
    assert!(!pretty.contains("s3cr3t") && !pretty.contains("ghp_plain_token"), "{pretty}");
    assert_eq!(c.backend.database.url.to_string(), "postgres://portolan:***@db.example.com:5432/portolan");
    // Secrets in error messages are redacted too.
    for text in [
        "backend:\n  database: {url: \"postgres://u:hunter2@[bad/db\"}\n",
        "backend:\n  baseUrl: \"https://u:hunter2@portal.example.com\"\n",
        "catalog:\n  locations: [{type: url, target: \"https://u:hunter2@example.com/c.yaml\"}]\n",
    ] {
        let msg = load_err(text, &[]);
        assert!(!msg.contains("hunter2"), "{msg}");
    }
}

#[test]
fn relative_paths_resolve_against_the_config_file_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sub = dir.path().join("conf");
    std::fs::create_dir(&sub).expect("mkdir");
    let path = sub.join("portolan.yaml");
    std::fs::write(
        &path,
        "backend:\n  dataDir: ../var\n  database: {url: \"sqlite://db/p.db\"}\ncatalog:\n  locations:\n    - {type: file, target: ./catalog-info.yaml}\n    - {type: file, target: ../shared/*.yaml}\n    - {type: file, target: /abs/catalog.yaml}\n",
    )
    .expect("write");
    let c = Config::load(Some(&path), &env(&[])).expect("loads");
    assert_eq!(c.backend.data_dir, dir.path().join("var"));
    assert_eq!(c.backend.database.url, DatabaseUrl::Sqlite(sub.join("db/p.db")));
    let targets: Vec<_> = c.catalog.locations.iter().map(|l| l.target.clone()).collect();
    assert_eq!(
        targets,
        [
            LocationTarget::File(sub.join("catalog-info.yaml")),
            LocationTarget::File(dir.path().join("shared/*.yaml")),
            LocationTarget::File(PathBuf::from("/abs/catalog.yaml")),
            LocationTarget::File(PathBuf::from(portolan::config::scaffolder::BUILTIN_TEMPLATES.replace("/server/../", "/"))),
        ]
    );
    // Database URL forms.
    for (url, want) in [
        ("sqlite:///abs/path.db", DatabaseUrl::Sqlite(PathBuf::from("/abs/path.db"))),
        ("sqlite::memory:", DatabaseUrl::SqliteMemory),
        ("postgres://user@host:5432/db", DatabaseUrl::Postgres("postgres://user@host:5432/db".into())),
    ] {
        let (_d, c) = load(&format!("backend:\n  database: {{url: \"{url}\"}}\n"), &[]).expect("db url");
        assert_eq!(c.backend.database.url, want, "{url}");
    }
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let err = Config::load(Some(Path::new("/nonexistent/portolan.yaml")), &env(&[])).expect_err("missing");
    assert!(err.to_string().starts_with("/nonexistent/portolan.yaml: cannot read"), "{err}");
}

#[test]
fn auth_and_permission_are_read_and_checked() {
    let text = "auth:\n  providers:\n    github:\n      clientId: abc\n      clientSecret: ${GH_SECRET}\n  allowGuest: false\npermission:\n  roles:\n    admin: [group:default/platform]\n  rules:\n    - actions: [catalog.location.create]\n      allow: [admin, owner]\n";
    let (_dir, c) = load(text, &[("GH_SECRET", "s3cret-value")]).expect("valid");
    let github = c.auth.providers.github.as_ref().expect("github");
    assert_eq!(github.client_secret.expose(), "s3cret-value");
    assert!(!format!("{c:?}").contains("s3cret-value"), "Debug hides the client secret");
    assert_eq!(c.auth.allow_guest, Some(false));
    assert_eq!(c.permission.roles["admin"], vec!["group:default/platform".to_owned()]);

    let bad_action = load_err("permission:\n  rules:\n    - actions: [catalog.nuke]\n      allow: [owner]\n", &[]);
    assert!(bad_action.contains("portolan.yaml:3:") && bad_action.contains("permission.rules[0].actions[0]") && bad_action.contains("unknown action"), "{bad_action}");
    let bad_role = load_err("permission:\n  rules:\n    - actions: [audit.read]\n      allow: [wizards]\n", &[]);
    assert!(bad_role.contains("permission.rules[0].allow[0]") && bad_role.contains("wizards"), "{bad_role}");
    let bad_member = load_err("permission:\n  roles:\n    admin: [component:default/x]\n", &[]);
    assert!(bad_member.contains("permission.roles.admin[0]"), "{bad_member}");
    let unknown = load_err("auth:\n  provider: {}\n", &[]);
    assert!(unknown.contains("provider"), "{unknown}");
}

#[test]
fn scaffolder_and_kubernetes_are_read_and_checked() {
    let text = "scaffolder:\n  concurrentTasksLimit: 3\n  workspaceDir: ./work\n  builtinTemplates: false\n  defaultAuthor: {name: Bot, email: bot@example.com}\n  git: {allowedRemotes: [\"https://gitlab.example.com/\"]}\nkubernetes:\n  clusters:\n    - {name: prod, url: \"https://k8s.example.com\", serviceAccountToken: \"${K8S_TOKEN}\", dashboardUrl: \"https://dash.example.com\", skipTLSVerify: true}\n  clusterLocatorMethods:\n    - type: config\n      clusters: [{name: staging, url: \"http://127.0.0.1:8001\"}]\n  watchLabel: app.example.com/service\n";
    let (dir, c) = load(text, &[("K8S_TOKEN", "secret-token")]).expect("loads");
    assert_eq!(c.scaffolder.concurrent_tasks_limit, 3);
    assert_eq!(c.scaffolder.workspace_dir.as_deref(), Some(folder(&dir).join("work").as_path()));
    assert!(!c.scaffolder.builtin_templates);
    assert!(c.catalog.locations.is_empty(), "no built-in templates location when turned off");
    assert_eq!(c.scaffolder.git.allowed_remotes, ["https://gitlab.example.com/"]);
    let clusters = c.kubernetes.all_clusters();
    assert_eq!(clusters.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["prod", "staging"]);
    assert_eq!(clusters[0].service_account_token.as_ref().map(|t| t.expose()), Some("secret-token"));
    assert!(clusters[0].skip_tls_verify);
    assert_eq!(c.kubernetes.watch_label, "app.example.com/service");
    assert!(!format!("{c:?}").contains("secret-token"), "the token is redacted in Debug");

    let cases = [
        ("kubernetes:\n  clusters: [{name: a, url: \"not a url\"}]\n", "kubernetes.clusters[0].url: \"not a url\" is not an http(s) URL"),
        ("kubernetes:\n  clusters: [{name: a, url: \"https://x\"}, {name: a, url: \"https://y\"}]\n", "kubernetes.clusters[1].name: cluster name \"a\" is empty or used twice"),
        ("kubernetes:\n  clusters: [{name: a, url: \"https://x\", authProvider: google}]\n", "kubernetes.clusters[0].authProvider: \"google\" is not supported"),
        ("kubernetes:\n  clusterLocatorMethods: [{type: gke}]\n", "kubernetes.clusterLocatorMethods[0].type: \"gke\" is not supported"),
        ("kubernetes:\n  clusters: [{name: a, url: \"https://x\", tokn: y}]\n", "kubernetes.clusters[0].tokn: unknown field `tokn`"),
        ("scaffolder:\n  git: {allowedRemote: [x]}\n", "scaffolder.git.allowedRemote: unknown field `allowedRemote`"),
    ];
    for (text, want) in cases {
        let msg = load_err(text, &[]);
        assert!(msg.contains(want), "for {text:?}:\n  got  {msg}\n  want {want}");
    }
}
