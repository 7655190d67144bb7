//! `RepoUrlPicker` values, `github.com?owner=o&repo=r`: reading, writing and
//! checking them against the picker's `allowedHosts`, `allowedOwners` and `allowedRepos`.

use super::field::FieldUi;

/// A repository location as the scaffolder passes it to `publish:*` actions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoUrl {
    /// Host, e.g. `github.com`.
    pub host: String,
    /// `owner`: user or organisation.
    pub owner: Option<String>,
    /// `repo`.
    pub repo: Option<String>,
    /// `organization` (Azure DevOps).
    pub organization: Option<String>,
    /// `workspace` (Bitbucket Cloud).
    pub workspace: Option<String>,
    /// `project` (Bitbucket, Azure DevOps).
    pub project: Option<String>,
}

impl RepoUrl {
    /// Reads `host?owner=o&repo=r`; `None` when there is no host.
    pub fn parse(value: &str) -> Option<RepoUrl> {
        let (host, query) = value.split_once('?').unwrap_or((value, ""));
        let host = host.trim();
        if host.is_empty() {
            return None;
        }
        let mut out = RepoUrl { host: host.to_owned(), ..RepoUrl::default() };
        for (key, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let v = Some(v.into_owned()).filter(|s| !s.is_empty());
            match key.as_ref() {
                "owner" => out.owner = v,
                "repo" => out.repo = v,
                "organization" => out.organization = v,
                "workspace" => out.workspace = v,
                "project" => out.project = v,
                _ => {}
            }
        }
        Some(out)
    }

    /// Writes the value back, `host?owner=o&repo=r`, parts percent-encoded.
    pub fn to_value(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, v) in [("owner", &self.owner), ("repo", &self.repo), ("organization", &self.organization), ("workspace", &self.workspace), ("project", &self.project)] {
            if let Some(v) = v {
                query.append_pair(key, v);
            }
        }
        let query = query.finish();
        if query.is_empty() { self.host.clone() } else { format!("{}?{query}", self.host) }
    }
}

/// Why `value` is not a repository location the picker allows.
pub(super) fn check(ui: &FieldUi, value: &str) -> Result<(), String> {
    let Some(url) = RepoUrl::parse(value) else {
        return Err("must name a host".to_owned());
    };
    let allowed = |key: &str, got: Option<&str>, what: &str| -> Result<(), String> {
        let list = ui.strings(key);
        match got {
            Some(got) if !list.is_empty() && !list.iter().any(|a| a == got) => Err(format!("{what} must be one of: {}", list.join(", "))),
            _ => Ok(()),
        }
    };
    allowed("allowedHosts", Some(&url.host), "the host")?;
    if url.repo.is_none() {
        return Err("must name a repository".to_owned());
    }
    let needs_owner = url.host.contains("github") || url.host.contains("gitlab") || (url.workspace.is_none() && url.organization.is_none());
    if needs_owner && url.owner.is_none() {
        return Err("must name an owner".to_owned());
    }
    allowed("allowedOwners", url.owner.as_deref(), "the owner")?;
    allowed("allowedRepos", url.repo.as_deref(), "the repository")?;
    Ok(())
}
