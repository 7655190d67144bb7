//! One watched cluster: how to reach it (URL and token, a kubeconfig
//! context, or the pod's own service account) and what pages say about it.

use anyhow::Context;
use base64::Engine as _;
use serde::Serialize;

use crate::config::kubernetes::{ClusterConfig, KubernetesConfig};

/// A cluster as configured, with its client settings.
#[derive(Clone)]
pub struct ClusterTarget {
    /// Its unique name.
    pub name: String,
    /// What pages call it.
    pub title: Option<String>,
    /// Its dashboard, linked from pages.
    pub dashboard_url: Option<String>,
    /// Backstage's `dashboardApp`.
    pub dashboard_app: Option<String>,
    /// How the client reaches it.
    pub config: kube::Config,
    /// `serviceAccount`, `kubeconfig` or `inCluster`.
    pub auth_provider: String,
}

impl std::fmt::Debug for ClusterTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTarget").field("name", &self.name).field("url", &self.config.cluster_url.to_string()).finish()
    }
}

/// What `GET /api/kubernetes/clusters` says of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    /// Its name.
    pub name: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard_url: Option<String>,
    /// Backstage's `dashboardApp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dashboard_app: Option<String>,
    /// How Portolan authenticates to it.
    pub auth_provider: String,
}

impl ClusterTarget {
    /// Its public description.
    pub fn info(&self) -> ClusterInfo {
        ClusterInfo {
            name: self.name.clone(),
            title: self.title.clone(),
            dashboard_url: self.dashboard_url.clone(),
            dashboard_app: self.dashboard_app.clone(),
            auth_provider: self.auth_provider.clone(),
        }
    }

    /// A cluster of `kubernetes.clusters`.
    pub fn from_config(cluster: &ClusterConfig) -> anyhow::Result<ClusterTarget> {
        let uri: axum::http::Uri = cluster.url.parse().with_context(|| format!("cluster {}: url {:?}", cluster.name, cluster.url))?;
        let mut config = kube::Config::new(uri);
        config.accept_invalid_certs = cluster.skip_tls_verify;
        config.auth_info.token = cluster.service_account_token.as_ref().map(|t| t.expose().to_owned().into());
        if let Some(data) = &cluster.ca_data {
            let pem = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .with_context(|| format!("cluster {}: caData is not base64", cluster.name))?;
            config.root_cert = Some(pem_certificates(&pem).with_context(|| format!("cluster {}: caData", cluster.name))?);
        }
        if let Some(file) = &cluster.ca_file {
            let pem = std::fs::read(file).with_context(|| format!("cluster {}: cannot read caFile {}", cluster.name, file.display()))?;
            config.root_cert = Some(pem_certificates(&pem).with_context(|| format!("cluster {}: caFile {}", cluster.name, file.display()))?);
        }
        Ok(ClusterTarget {
            name: cluster.name.clone(),
            title: cluster.title.clone(),
            dashboard_url: cluster.dashboard_url.clone(),
            dashboard_app: cluster.dashboard_app.clone(),
            config,
            auth_provider: cluster.auth_provider.clone(),
        })
    }
}

/// The DER certificates of a PEM bundle.
fn pem_certificates(pem: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = std::str::from_utf8(pem).context("not PEM text")?;
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("-----BEGIN CERTIFICATE") {
            current = Some(String::new());
        } else if line.starts_with("-----END CERTIFICATE") {
            let body = current.take().context("END without BEGIN")?;
            out.push(base64::engine::general_purpose::STANDARD.decode(body).context("a certificate is not base64")?);
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    anyhow::ensure!(!out.is_empty(), "no certificate found");
    Ok(out)
}

/// Every cluster the configuration names: `clusters` (and Backstage's
/// config locators), kubeconfig contexts, the cluster Portolan runs in.
pub async fn targets(config: &KubernetesConfig) -> anyhow::Result<Vec<ClusterTarget>> {
    let mut out: Vec<ClusterTarget> = config.all_clusters().iter().map(ClusterTarget::from_config).collect::<anyhow::Result<_>>()?;
    if let Some(file) = &config.kubeconfig {
        let kubeconfig = match &file.path {
            Some(path) => kube::config::Kubeconfig::read_from(path).with_context(|| format!("kubeconfig {}", path.display()))?,
            None => kube::config::Kubeconfig::read().context("kubeconfig ($KUBECONFIG or ~/.kube/config)")?,
        };
        let contexts: Vec<Option<String>> = if file.contexts.is_empty() { vec![None] } else { file.contexts.iter().cloned().map(Some).collect() };
        for context in contexts {
            let options = kube::config::KubeConfigOptions { context: context.clone(), ..Default::default() };
            let client = kube::Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
                .await
                .with_context(|| format!("kubeconfig context {}", context.as_deref().unwrap_or("(current)")))?;
            let name = context.or_else(|| kubeconfig.current_context.clone()).unwrap_or_else(|| "default".to_owned());
            out.push(ClusterTarget { name, title: None, dashboard_url: None, dashboard_app: None, config: client, auth_provider: "kubeconfig".to_owned() });
        }
    }
    if let Some(local) = &config.in_cluster {
        let client = kube::Config::incluster().context("in-cluster configuration (is Portolan running in a pod?)")?;
        out.push(ClusterTarget { name: local.name.clone(), title: None, dashboard_url: None, dashboard_app: None, config: client, auth_provider: "inCluster".to_owned() });
    }
    for target in &mut out {
        // kube's client would retry 429/503/504 itself, for minutes, with no
        // error reaching the watcher; the watcher's own backoff retries instead.
        target.config.default_retry = false;
    }
    let mut names = std::collections::HashSet::new();
    for target in &out {
        anyhow::ensure!(names.insert(target.name.clone()), "cluster name {} is used twice", target.name);
    }
    Ok(out)
}
