//! `scaffolder`: how templates run.
//!
//! ```yaml
//! scaffolder:
//!   concurrentTasksLimit: 10       # tasks one replica runs at once
//!   workspaceDir: /var/lib/portolan/scaffolder   # default <dataDir>/scaffolder
//!   builtinTemplates: true         # register the golden paths in templates/
//!   defaultAuthor: {name: Portolan, email: portolan@example.com}
//!   git:
//!     allowedRemotes: [https://gitlab.example.com/, /srv/git/]   # what publish:git may push to
//! ```

use std::path::PathBuf;

use serde::Deserialize;

/// The golden-path templates shipped with Portolan, as a glob of template files.
pub const BUILTIN_TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../templates/*/template.yaml");

/// `scaffolder`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with concurrentTasksLimit, workspaceDir, builtinTemplates, defaultAuthor and git")]
pub struct ScaffolderConfig {
    /// Tasks one replica runs at once (Backstage's `concurrentTasksLimit`; 0 means 1).
    pub concurrent_tasks_limit: usize,
    /// Where task workspaces are made; relative to the file's folder; default `<dataDir>/scaffolder`.
    pub workspace_dir: Option<PathBuf>,
    /// Whether the golden paths in `templates/` are registered as a static location.
    pub builtin_templates: bool,
    /// Who commits when a template names nobody.
    pub default_author: AuthorConfig,
    /// `publish:git`'s limits.
    pub git: GitConfig,
}

impl Default for ScaffolderConfig {
    fn default() -> Self {
        Self { concurrent_tasks_limit: 10, workspace_dir: None, builtin_templates: true, default_author: AuthorConfig::default(), git: GitConfig::default() }
    }
}

/// `scaffolder.defaultAuthor`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with name and email")]
pub struct AuthorConfig {
    /// Commit author name.
    pub name: String,
    /// Commit author e-mail.
    pub email: String,
}

impl Default for AuthorConfig {
    fn default() -> Self {
        Self { name: "Portolan".to_owned(), email: "portolan@localhost".to_owned() }
    }
}

/// `scaffolder.git`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default, expecting = "a mapping with allowedRemotes")]
pub struct GitConfig {
    /// Remote URL (or path) prefixes `publish:git` may push to; empty turns it off.
    pub allowed_remotes: Vec<String>,
}
