//! `auth` and `permission`: who may sign in and what they may do, shaped
//! like Backstage's `auth.providers.github` and a small role/rule policy.
//!
//! ```yaml
//! auth:
//!   providers:
//!     github: {clientId: abc, clientSecret: "${GITHUB_CLIENT_SECRET}"}
//!   allowGuest: false          # default: only on loopback without a provider
//!   allowUnknownUsers: false   # sign-ins that match no User entity
//!   sessionDuration: {days: 7}
//! permission:
//!   roles:
//!     admin: [group:default/platform, user:default/alice]
//!   rules:
//!     - {actions: [catalog.location.create], allow: [admin, owner]}
//! ```

use serde::Deserialize;

use super::values::{ConfigDuration, HttpUrl, Secret};

/// Every action a permission rule can name.
pub const ACTIONS: &[&str] = &[
    "catalog.location.create",
    "catalog.location.delete",
    "catalog.entity.delete",
    "catalog.entity.refresh",
    "scaffolder.task.create",
    "scaffolder.task.cancel",
    "kubernetes.resources.read",
    "audit.read",
    "auth.token.manage",
];

/// `auth`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    default,
    expecting = "a mapping with providers, allowGuest, allowUnknownUsers and sessionDuration"
)]
pub struct AuthConfig {
    /// Sign-in providers.
    pub providers: AuthProviders,
    /// The guest identity: `None` means "on only when listening on loopback
    /// with no provider configured".
    pub allow_guest: Option<bool>,
    /// Let GitHub users sign in who match no `User` entity (they own nothing).
    pub allow_unknown_users: bool,
    /// How long an idle session lasts (default 7 days).
    pub session_duration: Option<ConfigDuration>,
}

/// `auth.providers`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with github")]
pub struct AuthProviders {
    /// GitHub OAuth.
    pub github: Option<GithubAuth>,
}

/// `auth.providers.github`, as Backstage configures it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with clientId, clientSecret, enterpriseInstanceUrl and apiBaseUrl")]
pub struct GithubAuth {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: Secret,
    /// GitHub Enterprise's address (`https://ghe.example.com`); github.com when not given.
    #[serde(default)]
    pub enterprise_instance_url: Option<HttpUrl>,
    /// The REST API's address; derived from the instance when not given.
    #[serde(default)]
    pub api_base_url: Option<HttpUrl>,
}

/// `permission`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with roles and rules")]
pub struct PermissionConfig {
    /// Role name → the user and group references that hold it.
    pub roles: std::collections::BTreeMap<String, Vec<String>>,
    /// Rules that replace the defaults for the actions they name.
    pub rules: Vec<PermissionRule>,
}

/// One `permission.rules` entry: who may take these actions.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a mapping with actions, allow and tags")]
pub struct PermissionRule {
    /// Action names, e.g. `catalog.location.delete`.
    pub actions: Vec<String>,
    /// Role names, or `owner` (the user or one of their groups owns the
    /// entity), or `signedIn` (anyone signed in).
    pub allow: Vec<String>,
    /// For `scaffolder.task.create`: only templates with one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}
