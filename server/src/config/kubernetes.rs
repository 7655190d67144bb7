//! `kubernetes`: the clusters Portolan watches.
//!
//! ```yaml
//! kubernetes:
//!   clusters:
//!     - name: prod-eu
//!       title: Production (EU)
//!       url: https://k8s.prod-eu.example.com
//!       authProvider: serviceAccount
//!       serviceAccountToken: ${PROD_EU_TOKEN}
//!       caData: LS0tLS1CRUdJTi...      # base64 PEM; or caFile: /etc/ssl/prod-eu.pem
//!       skipTLSVerify: false
//!       dashboardUrl: https://dashboard.prod-eu.example.com
//!   clusterLocatorMethods:            # Backstage's spelling is read too
//!     - type: config
//!       clusters: [...]
//!   kubeconfig: {path: ~/.kube/config, contexts: [kind-dev]}
//!   inCluster: {name: local}          # when Portolan runs in a pod
//!   watchLabel: backstage.io/kubernetes-id
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::values::Secret;

/// `kubernetes`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with clusters, clusterLocatorMethods, kubeconfig, inCluster, watchLabel and serviceLocatorMethod")]
pub struct KubernetesConfig {
    /// Clusters reached with a URL and a service-account token.
    pub clusters: Vec<ClusterConfig>,
    /// Backstage's `clusterLocatorMethods`; `type: config` entries add their clusters.
    pub cluster_locator_methods: Vec<ClusterLocator>,
    /// Contexts of a kubeconfig file.
    pub kubeconfig: Option<KubeconfigConfig>,
    /// The cluster Portolan runs in, through its pod's service account.
    pub in_cluster: Option<InClusterConfig>,
    /// Only objects carrying this label are watched and cached (bounded
    /// memory); entities with their own label selector match among them.
    pub watch_label: String,
    /// Backstage's `serviceLocatorMethod`: `multiTenant` (every cluster for
    /// every entity; the default) or `singleTenant` (the cluster the entity's
    /// `backstage.io/kubernetes-cluster` names, else all).
    pub service_locator_method: Option<ServiceLocator>,
}

/// `kubernetes.serviceLocatorMethod`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with type")]
pub struct ServiceLocator {
    /// `multiTenant` or `singleTenant`.
    #[serde(rename = "type")]
    pub locator_type: String,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        Self {
            clusters: Vec::new(),
            cluster_locator_methods: Vec::new(),
            kubeconfig: None,
            in_cluster: None,
            watch_label: "backstage.io/kubernetes-id".to_owned(),
            service_locator_method: None,
        }
    }
}

impl KubernetesConfig {
    /// Every configured cluster: `clusters`, then those of `type: config` locators.
    pub fn all_clusters(&self) -> Vec<ClusterConfig> {
        let mut all = self.clusters.clone();
        for locator in &self.cluster_locator_methods {
            if locator.locator_type == "config" {
                all.extend(locator.clusters.iter().cloned());
            }
        }
        all
    }
}

/// One cluster of `kubernetes.clusters`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with name, url, authProvider, serviceAccountToken, caData, caFile, skipTLSVerify, dashboardUrl, dashboardApp and title")]
pub struct ClusterConfig {
    /// Unique name, as `backstage.io/kubernetes-cluster` and the API use it.
    pub name: String,
    /// What pages call it.
    #[serde(default)]
    pub title: Option<String>,
    /// The API server.
    pub url: String,
    /// Only `serviceAccount` is supported.
    #[serde(default = "service_account")]
    pub auth_provider: String,
    /// The bearer token.
    #[serde(default)]
    pub service_account_token: Option<Secret>,
    /// The CA bundle, base64 PEM.
    #[serde(default)]
    pub ca_data: Option<String>,
    /// The CA bundle, as a PEM file.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (testing only).
    #[serde(default, rename = "skipTLSVerify")]
    pub skip_tls_verify: bool,
    /// The cluster's dashboard, linked from pages.
    #[serde(default)]
    pub dashboard_url: Option<String>,
    /// Backstage's `dashboardApp` (kept for the API).
    #[serde(default)]
    pub dashboard_app: Option<String>,
    /// Backstage's `skipMetricsLookup` (metrics are not read).
    #[serde(default)]
    pub skip_metrics_lookup: bool,
}

fn service_account() -> String {
    "serviceAccount".to_owned()
}

/// One entry of `kubernetes.clusterLocatorMethods`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with type and clusters")]
pub struct ClusterLocator {
    /// `config` (others are refused at load).
    #[serde(rename = "type")]
    pub locator_type: String,
    /// The clusters.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
}

/// `kubernetes.kubeconfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with path and contexts")]
pub struct KubeconfigConfig {
    /// The file (default: `$KUBECONFIG` or `~/.kube/config`).
    pub path: Option<PathBuf>,
    /// Contexts to watch, each as a cluster of that name (default: the current context).
    pub contexts: Vec<String>,
}

/// `kubernetes.inCluster`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with name")]
pub struct InClusterConfig {
    /// What the cluster is called.
    #[serde(default = "local")]
    pub name: String,
}

fn local() -> String {
    "local".to_owned()
}
