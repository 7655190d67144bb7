//! The composition root of `portolan serve`: configuration, logging, the
//! database, the catalog service and its refresh loop, and the HTTP routes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

use crate::config::{Config, OrphanStrategy as ConfiguredOrphans};
use crate::ingest::url_reader::{CompositeReader, GithubIntegrationSettings, ReadingAllowList, UrlReader};
use crate::ingest::{Catalog, CatalogSettings, KindRule, OrphanStrategy, Reader};
use crate::store::Db;
use crate::store::locations::{self, ORIGIN_CONFIG};
use crate::scaffolder::actions::{GitSettings, GithubPublishTarget, Services as ActionServices};
use crate::scaffolder::{Scaffolder, ScaffolderSettings};
use crate::web::{AppState, LivePortal};

/// Options of `portolan serve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ServeArgs {
    /// Configuration file (`portolan.yaml`); without one the defaults serve the example catalog.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on, overriding `backend.listen`.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<SocketAddr>,
}

/// Runs the portal until Ctrl-C or SIGTERM.
pub fn serve(args: ServeArgs) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let config = match Config::load(args.config.as_deref(), &env) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("portolan: {err}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.backend.log.format, config.backend.log.level.as_str());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match start(&config, args.listen).await {
            Ok(code) => code,
            Err(err) => {
                tracing::error!("{err:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Sign-in, permissions and sessions as the configuration asks for them:
/// the guest identity is on by default only on loopback without a provider.
pub async fn auth_layers(config: &Config, catalog: Arc<Catalog>) -> anyhow::Result<crate::auth::Layers> {
    let github = config.auth.providers.github.as_ref().map(crate::auth::github::GithubOauth::new).transpose()?;
    let loopback = config.backend.listen.is_loopback();
    let guest = config.auth.allow_guest.unwrap_or(loopback && github.is_none());
    let settings = crate::auth::AuthSettings {
        guest,
        allow_unknown_users: config.auth.allow_unknown_users,
        github,
        base_url: config.backend.base_url.as_str().to_owned(),
    };
    let idle = config.auth.session_duration.map_or(std::time::Duration::from_secs(7 * 86_400), |d| d.get());
    crate::auth::Layers::new(settings, crate::auth::policy::Policy::new(&config.permission), catalog, idle).await
}

/// The catalog settings the configuration asks for.
pub fn catalog_settings(config: &Config) -> CatalogSettings {
    let to_rule = |rule: crate::config::KindRule| KindRule(Some(rule.kinds().iter().map(|k| k.as_str().to_owned()).collect()));
    CatalogSettings {
        orphans: match config.catalog.orphan_strategy {
            ConfiguredOrphans::Delete => OrphanStrategy::Delete,
            ConfiguredOrphans::Keep => OrphanStrategy::Keep,
        },
        registered_rule: to_rule(config.allowed_kinds(None)),
        static_rules: config
            .catalog
            .locations
            .iter()
            .map(|l| (l.target_str(), to_rule(config.allowed_kinds(Some(l)))))
            .collect(),
        static_default_rule: to_rule(config.allowed_kinds(None)),
        refresh_interval: config.catalog.refresh_interval.get(),
        index_snapshot: Some(config.backend.data_dir.join("catalog-index.bin")),
    }
}

/// The reader for every location type: local files, and URLs through the
/// GitHub integrations or the `backend.reading.allow` list.
pub fn reader(config: &Config) -> anyhow::Result<Arc<dyn Reader>> {
    Ok(Arc::new(CompositeReader::new(url_reader(config)?)))
}

/// The URL reader: GitHub through the integrations, other hosts per `backend.reading.allow`.
pub fn url_reader(config: &Config) -> anyhow::Result<UrlReader> {
    let github = config
        .integrations
        .github
        .iter()
        .map(|g| GithubIntegrationSettings {
            host: g.host.as_str().to_owned(),
            api_base_url: g.api_base_url.as_str().to_owned(),
            token: g.token.as_ref().map(|t| t.expose().to_owned()),
        })
        .collect();
    let allow = ReadingAllowList {
        entries: config
            .backend
            .reading
            .allow
            .iter()
            .map(|a| (a.host.as_str().to_owned(), a.paths.iter().map(|p| p.as_str().to_owned()).collect()))
            .collect(),
    };
    UrlReader::new(github, allow).map_err(anyhow::Error::msg)
}

/// Makes the `config` locations in the database match the configuration.
pub async fn sync_static_locations(catalog: &Catalog, config: &Config) -> anyhow::Result<()> {
    let pool = &catalog.db.pool;
    let wanted: Vec<(String, String)> = config
        .catalog
        .locations
        .iter()
        .map(|l| (l.location_type().to_string(), l.target_str()))
        .collect();
    for (location_type, target) in &wanted {
        if locations::find(pool, location_type, target).await?.is_none() {
            locations::insert(pool, location_type, target, ORIGIN_CONFIG).await?;
        }
    }
    for row in locations::list(pool).await? {
        let configured = wanted.iter().any(|(t, target)| *t == row.location_type && *target == row.target);
        if row.origin == ORIGIN_CONFIG && !configured {
            tracing::info!(target = %row.target, "location removed from the configuration");
            catalog.remove_location(&row.id).await?;
        }
    }
    Ok(())
}

/// The scaffolder as the configuration asks for it: publishing through the
/// GitHub integrations, workspaces under `scaffolder.workspaceDir`.
pub fn scaffolder(config: &Config, catalog: Arc<Catalog>) -> anyhow::Result<Arc<Scaffolder>> {
    let github = config
        .integrations
        .github
        .iter()
        .map(|g| GithubPublishTarget {
            host: g.host.as_str().to_owned(),
            api_base_url: g.api_base_url.as_str().to_owned(),
            token: g.token.as_ref().map(|t| t.expose().to_owned()),
        })
        .collect();
    let s = &config.scaffolder;
    let git = GitSettings { author_name: s.default_author.name.clone(), author_email: s.default_author.email.clone(), allowed_remotes: s.git.allowed_remotes.clone() };
    let settings = ScaffolderSettings {
        workspace_root: s.workspace_dir.clone().unwrap_or_else(|| config.backend.data_dir.join("scaffolder")),
        concurrent_tasks: s.concurrent_tasks_limit.max(1),
    };
    Ok(Scaffolder::new(ActionServices { catalog, github, git, urls: Some(url_reader(config)?) }, settings))
}

/// What the portal serves besides the catalog: the scaffolder and the cluster caches.
#[derive(Clone)]
pub struct Services {
    /// Runs templates.
    pub scaffolder: Arc<Scaffolder>,
    /// Watches clusters.
    pub kubernetes: Arc<crate::kubernetes::Kubernetes>,
}

impl Services {
    /// No publishing targets and no clusters (benchmarks and tests that need neither).
    pub fn defaults(catalog: &Arc<Catalog>) -> Services {
        Services { scaffolder: Scaffolder::with_defaults(Arc::clone(catalog)), kubernetes: crate::kubernetes::Kubernetes::none() }
    }
}

/// Every route of the portal: pages, the catalog, scaffolder and Kubernetes APIs, and the operational endpoints.
pub fn router(catalog: Arc<Catalog>, portal: LivePortal, metrics: Arc<crate::ops::Metrics>, auth: crate::auth::Layers, services: Services) -> axum::Router {
    let Services { scaffolder, kubernetes } = services;
    let kubernetes_api = crate::kubernetes::api::KubernetesApi { kubernetes: Arc::clone(&kubernetes), catalog: Arc::clone(&catalog) };
    let data: Arc<dyn portolan_frontend::PortalData> = Arc::new(portal);
    let pages = crate::web::scaffold::ScaffoldPages { data: Arc::clone(&data), scaffolder: Arc::clone(&scaffolder) };
    let app = crate::web::router(AppState { data, kubernetes, catalog: Arc::clone(&catalog) })
        .merge(crate::web::scaffold::router(pages))
        .nest("/api/catalog", crate::api::catalog::router(Arc::clone(&catalog)))
        .nest("/api/scaffolder", crate::scaffolder::api::router(scaffolder))
        .nest("/api/kubernetes", crate::kubernetes::api::router(kubernetes_api))
        .merge(crate::auth::routes::router());
    crate::web::harden(auth.wrap(crate::ops::mount(app, catalog, metrics)))
}

async fn start(config: &Config, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let database = &config.backend.database.url;
    if let crate::config::DatabaseUrl::Sqlite(path) = database {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
    }
    let db = Db::connect(&database.connect_url()).await.with_context(|| format!("database {}", database.redacted()))?;
    let metrics = Arc::new(crate::ops::Metrics::new());
    let catalog = Catalog::open(db.clone(), reader(config)?, catalog_settings(config)).await?;
    catalog.set_metrics(Arc::clone(&metrics));
    sync_static_locations(&catalog, config).await?;
    if crate::store::entities::count(&db.pool).await? == 0 {
        // A first start reads the catalog before serving; later starts serve
        // what is stored at once and refresh in the background.
        catalog.process_all().await?;
        tokio::spawn({
            let catalog = Arc::clone(&catalog);
            async move { catalog.save_index_snapshot(true).await }
        });
    }
    let portal = LivePortal::new(Arc::clone(&catalog));
    portal.reload().await?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let refresher = tokio::spawn(Arc::clone(&catalog).run_refresh_loop(stop_rx.clone()));
    let follower = tokio::spawn(Arc::clone(&catalog).follow_other_writers(stop_rx.clone()));
    let reloader = tokio::spawn(portal.clone().follow_changes(stop_rx.clone()));
    let scaffolder = scaffolder(config, Arc::clone(&catalog))?;
    scaffolder.mark_interrupted().await;
    let workers = tokio::spawn(Arc::clone(&scaffolder).run_workers(stop_rx.clone()));
    let targets = crate::kubernetes::cluster::targets(&config.kubernetes).await?;
    tracing::info!(clusters = targets.len(), "watching Kubernetes clusters");
    let kubernetes = crate::kubernetes::Kubernetes::start(targets, &config.kubernetes.watch_label, &stop_rx);

    let auth = auth_layers(config, Arc::clone(&catalog)).await?;
    let app = router(Arc::clone(&catalog), portal, metrics, auth, Services { scaffolder, kubernetes: Arc::clone(&kubernetes) });
    let listen = match listen {
        Some(addr) => addr,
        None => {
            let (host, port) = (config.backend.listen.host(), config.backend.listen.port());
            tokio::net::lookup_host((host, port))
                .await?
                .next()
                .with_context(|| format!("cannot resolve {host}:{port}"))?
        }
    };
    let code = crate::web::run(listen, app).await;
    let _ = stop_tx.send(true);
    let _ = refresher.await;
    let _ = follower.await;
    let _ = reloader.await;
    let _ = workers.await;
    kubernetes.stopped().await;
    Ok(code)
}
