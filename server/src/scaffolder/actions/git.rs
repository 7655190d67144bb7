//! Making the first commit of a workspace and pushing it, with the `git`
//! command line (gix cannot push). Credentials travel in the child's
//! environment as an HTTP header, never in its arguments or the remote URL.

use std::path::Path;

use base64::Engine as _;
use tokio::process::Command;

/// How commits are made, and where `publish:git` may push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSettings {
    /// Author and committer name when the template sets none.
    pub author_name: String,
    /// Author and committer e-mail when the template sets none.
    pub author_email: String,
    /// Remote URL prefixes `publish:git` may push to (none: it is off).
    pub allowed_remotes: Vec<String>,
}

impl Default for GitSettings {
    fn default() -> Self {
        Self { author_name: "Portolan".to_owned(), author_email: "portolan@localhost".to_owned(), allowed_remotes: Vec::new() }
    }
}

/// One push of a folder as a new repository's first commit.
#[derive(Debug)]
pub struct Push<'a> {
    /// The folder whose files are committed.
    pub dir: &'a Path,
    /// Where to push.
    pub remote: &'a str,
    /// The branch to create.
    pub branch: &'a str,
    /// The commit message.
    pub message: &'a str,
    /// Author name.
    pub author_name: &'a str,
    /// Author e-mail.
    pub author_email: &'a str,
    /// HTTP basic credentials (user, secret) for the remote.
    pub credentials: Option<(&'a str, &'a str)>,
}

async fn git(push: &Push<'_>, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    command
        .args(args)
        .current_dir(push.dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", push.author_name)
        .env("GIT_AUTHOR_EMAIL", push.author_email)
        .env("GIT_COMMITTER_NAME", push.author_name)
        .env("GIT_COMMITTER_EMAIL", push.author_email)
        .kill_on_drop(true);
    if let Some((user, secret)) = push.credentials {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
        command
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.extraHeader")
            .env("GIT_CONFIG_VALUE_0", format!("Authorization: Basic {basic}"));
    }
    let out = command.output().await.map_err(|e| format!("cannot run git: {e} (is git installed?)"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!("git {} failed: {}", args.first().copied().unwrap_or_default(), stderr.trim()))
    }
}

/// Commits everything in the folder on a fresh branch and pushes it; the commit hash.
pub async fn commit_and_push(push: &Push<'_>) -> Result<String, String> {
    if push.dir.join(".git").exists() {
        return Err("the folder to publish is already a git repository".to_owned());
    }
    git(push, &["init", "--quiet", "--initial-branch", push.branch]).await?;
    git(push, &["add", "--all"]).await?;
    git(push, &["commit", "--quiet", "--no-verify", "--allow-empty", "-m", push.message]).await?;
    let hash = git(push, &["rev-parse", "HEAD"]).await?;
    let refspec = format!("HEAD:refs/heads/{}", push.branch);
    git(push, &["push", "--quiet", "--", push.remote, &refspec]).await?;
    Ok(hash)
}

/// Whether a branch name is one git accepts and cannot be read as an option.
pub fn valid_branch(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.chars().any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
}
