//! `publish:github` (a repository created through GitHub's REST API with
//! octocrab, then the first commit pushed over git) and `publish:git` (push
//! to any allowed git remote: GitLab, Gitea, a bare repository).

use serde_json::{Map, Value as Json, json};

use super::git::{Push, commit_and_push, valid_branch};
use super::{Action, ActionContext, DryRun, flag, required_text, strings, text};
use crate::scaffolder::expr::repo_url;
use crate::scaffolder::paths;

/// A GitHub host `publish:github` can create repositories on.
#[derive(Clone)]
pub struct GithubPublishTarget {
    /// Host as RepoUrlPicker spells it, e.g. `github.com`.
    pub host: String,
    /// REST API base, e.g. `https://api.github.com`.
    pub api_base_url: String,
    /// Token that may create repositories.
    pub token: Option<String>,
}

impl std::fmt::Debug for GithubPublishTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubPublishTarget")
            .field("host", &self.host)
            .field("api_base_url", &self.api_base_url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// What a publish commits: the input's `sourcePath` folder, or the workspace.
fn source_dir(ctx: &ActionContext<'_>, input: &Map<String, Json>) -> Result<std::path::PathBuf, String> {
    let dir = paths::inside(ctx.workspace, text(input, "sourcePath").unwrap_or("."))?;
    if !dir.is_dir() {
        return Err(format!("input.sourcePath {} is not a folder in the workspace", text(input, "sourcePath").unwrap_or(".")));
    }
    Ok(dir)
}

fn branch<'a>(input: &'a Map<String, Json>, default: &'a str) -> Result<&'a str, String> {
    let name = text(input, "defaultBranch").unwrap_or(default);
    if valid_branch(name) { Ok(name) } else { Err(format!("input.defaultBranch {name:?} is not a valid branch name")) }
}

fn git_push<'a>(ctx: &'a ActionContext<'_>, input: &'a Map<String, Json>, dir: &'a std::path::Path, remote: &'a str, branch: &'a str) -> Result<Push<'a>, String> {
    let git = &ctx.services("publishing")?.git;
    Ok(Push {
        dir,
        remote,
        branch,
        message: text(input, "gitCommitMessage").unwrap_or("initial commit"),
        author_name: text(input, "gitAuthorName").unwrap_or(&git.author_name),
        author_email: text(input, "gitAuthorEmail").unwrap_or(&git.author_email),
        credentials: None,
    })
}

/// `publish:git`.
pub struct PublishGit;

#[async_trait::async_trait]
impl Action for PublishGit {
    fn id(&self) -> &'static str {
        "publish:git"
    }
    fn description(&self) -> &'static str {
        "Pushes the workspace as the first commit of an existing empty repository at any allowed git remote."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["remoteUrl"], "properties": {
            "remoteUrl": {"type": "string", "description": "Git remote to push to; must start with one of scaffolder.git.allowedRemotes."},
            "defaultBranch": {"type": "string", "description": "Branch to create (default main)."},
            "sourcePath": {"type": "string"}, "gitCommitMessage": {"type": "string"},
            "gitAuthorName": {"type": "string"}, "gitAuthorEmail": {"type": "string"},
            "repoContentsUrl": {"type": "string", "description": "Where the catalog can read the pushed files (passed through as an output)."}
        }})
    }
    fn output_schema(&self) -> Json {
        json!({"type": "object", "properties": {"remoteUrl": {"type": "string"}, "commitHash": {"type": "string"}, "repoContentsUrl": {"type": "string"}}})
    }
    fn dry_run(&self) -> DryRun {
        DryRun::Skip
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let remote = required_text(input, "remoteUrl")?;
        let allowed = &ctx.services("publish:git")?.git.allowed_remotes;
        if !allowed.iter().any(|prefix| remote.starts_with(prefix.as_str())) {
            return Err(format!("publish:git may not push to {remote}: it is not under any of scaffolder.git.allowedRemotes ({})", if allowed.is_empty() { "none configured".to_owned() } else { allowed.join(", ") }));
        }
        let dir = source_dir(ctx, input)?;
        let branch = branch(input, "main")?;
        ctx.log(format!("Pushing to {remote} ({branch})"));
        let hash = commit_and_push(&git_push(ctx, input, &dir, remote, branch)?).await?;
        ctx.log(format!("Pushed commit {hash}"));
        ctx.set_output("remoteUrl", remote.to_owned());
        ctx.set_output("commitHash", hash);
        if let Some(contents) = text(input, "repoContentsUrl") {
            ctx.set_output("repoContentsUrl", contents.to_owned());
        }
        Ok(())
    }
}

/// `publish:github`.
pub struct PublishGithub;

/// One line from an octocrab error: GitHub's status and message.
fn github_error(what: &str, err: octocrab::Error) -> String {
    match err {
        octocrab::Error::GitHub { source, .. } => {
            let details = source.errors.as_ref().map(|e| format!(" ({})", Json::Array(e.clone()))).unwrap_or_default();
            format!("{what}: GitHub answered {} {}{details}", source.status_code.as_u16(), source.message)
        }
        other => format!("{what}: {other}"),
    }
}

/// The body of `POST /orgs/:org/repos` or `POST /user/repos`, from the inputs GitHub's API takes.
fn repository_body(repo: &str, input: &Map<String, Json>) -> Json {
    let visibility = text(input, "repoVisibility").unwrap_or("private");
    let mut body = json!({
        "name": repo,
        "private": visibility != "public",
        "visibility": visibility,
        "has_issues": flag(input, "hasIssues", true),
        "has_wiki": flag(input, "hasWiki", true),
        "has_projects": flag(input, "hasProjects", true),
        "allow_merge_commit": flag(input, "allowMergeCommit", true),
        "allow_squash_merge": flag(input, "allowSquashMerge", true),
        "allow_rebase_merge": flag(input, "allowRebaseMerge", true),
        "allow_auto_merge": flag(input, "allowAutoMerge", false),
        "delete_branch_on_merge": flag(input, "deleteBranchOnMerge", false),
    });
    for (from, to) in [("description", "description"), ("homepage", "homepage"), ("squashMergeCommitTitle", "squash_merge_commit_title"), ("squashMergeCommitMessage", "squash_merge_commit_message")] {
        if let Some(value) = text(input, from) {
            body[to] = Json::String(value.to_owned());
        }
    }
    if let Some(Json::Object(properties)) = input.get("customProperties") {
        body["custom_properties"] = Json::Object(properties.clone());
    }
    body
}

/// The body of `PUT …/branches/:branch/protection`.
fn protection_body(input: &Map<String, Json>) -> Json {
    let contexts = strings(input, "requiredStatusCheckContexts");
    json!({
        "required_status_checks": if contexts.is_empty() { Json::Null } else { json!({"strict": flag(input, "requireBranchesToBeUpToDate", true), "contexts": contexts}) },
        "enforce_admins": flag(input, "protectEnforceAdmins", true),
        "required_pull_request_reviews": {
            "required_approving_review_count": input.get("requiredApprovingReviewCount").and_then(Json::as_u64).unwrap_or(1),
            "require_code_owner_reviews": flag(input, "requireCodeOwnerReviews", false),
            "dismiss_stale_reviews": flag(input, "dismissStaleReviews", false),
            "require_last_push_approval": flag(input, "requireLastPushApproval", false),
        },
        "restrictions": input.get("restrictions").cloned().unwrap_or(Json::Null),
        "required_linear_history": flag(input, "requiredLinearHistory", false),
        "required_conversation_resolution": flag(input, "requiredConversationResolution", false),
    })
}

async fn put(client: &octocrab::Octocrab, url: String, body: &Json) -> Result<(), octocrab::Error> {
    let response = client._put(url, Some(body)).await?;
    octocrab::map_github_error(response).await.map(|_| ())
}

#[async_trait::async_trait]
impl Action for PublishGithub {
    fn id(&self) -> &'static str {
        "publish:github"
    }
    fn description(&self) -> &'static str {
        "Creates a GitHub repository, pushes the workspace as its first commit, and sets topics, collaborators and branch protection."
    }
    fn input_schema(&self) -> Json {
        let boolean = json!({"type": "boolean"});
        let string = json!({"type": "string"});
        let mut properties = Map::new();
        properties.insert("repoUrl".into(), json!({"type": "string", "description": "RepoUrlPicker value: github.com?owner=o&repo=r"}));
        for key in ["description", "homepage", "access", "defaultBranch", "sourcePath", "gitCommitMessage", "gitAuthorName", "gitAuthorEmail", "squashMergeCommitTitle", "squashMergeCommitMessage"] {
            properties.insert(key.into(), string.clone());
        }
        properties.insert("repoVisibility".into(), json!({"type": "string", "enum": ["private", "internal", "public"]}));
        for key in ["hasIssues", "hasWiki", "hasProjects", "allowMergeCommit", "allowSquashMerge", "allowRebaseMerge", "allowAutoMerge", "deleteBranchOnMerge", "protectDefaultBranch", "protectEnforceAdmins", "requireCodeOwnerReviews", "dismissStaleReviews", "requireBranchesToBeUpToDate", "requiredConversationResolution", "requireLastPushApproval", "requiredLinearHistory"] {
            properties.insert(key.into(), boolean.clone());
        }
        properties.insert("requiredApprovingReviewCount".into(), json!({"type": "integer"}));
        properties.insert("topics".into(), json!({"type": "array", "items": {"type": "string"}}));
        properties.insert("requiredStatusCheckContexts".into(), json!({"type": "array", "items": {"type": "string"}}));
        properties.insert("collaborators".into(), json!({"type": "array", "items": {"type": "object", "properties": {"user": string, "team": string, "access": string}}}));
        properties.insert("repoVariables".into(), json!({"type": "object", "additionalProperties": {"type": "string"}}));
        properties.insert("customProperties".into(), json!({"type": "object"}));
        json!({"type": "object", "required": ["repoUrl"], "properties": properties})
    }
    fn output_schema(&self) -> Json {
        json!({"type": "object", "properties": {"remoteUrl": {"type": "string"}, "repoContentsUrl": {"type": "string"}, "commitHash": {"type": "string"}}})
    }
    fn dry_run(&self) -> DryRun {
        DryRun::Skip
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let parsed = repo_url(required_text(input, "repoUrl")?)?;
        let (host, repo) = (parsed.host, parsed.repo.unwrap_or_default());
        let owner = parsed.owner.ok_or("input.repoUrl has no owner")?;
        let services = ctx.services("publish:github")?;
        let target = services.github.iter().find(|t| t.host == host).ok_or_else(|| format!("no integrations.github entry for host {host}"))?;
        let token = target.token.clone().ok_or_else(|| format!("integrations.github for {host} has no token, so repositories cannot be created"))?;
        let api = target.api_base_url.trim_end_matches('/').to_owned();
        let client = octocrab::Octocrab::builder()
            .base_uri(api.as_str())
            .and_then(|b| b.personal_token(token.clone()).build())
            .map_err(|e| github_error("cannot create the GitHub client", e))?;

        let account: Json = client.get(format!("/users/{owner}"), None::<&()>).await.map_err(|e| github_error(&format!("looking up {owner}"), e))?;
        let is_org = account.get("type").and_then(Json::as_str) == Some("Organization");
        let route = if is_org { format!("/orgs/{owner}/repos") } else { "/user/repos".to_owned() };
        ctx.log(format!("Creating repository {owner}/{repo} on {host}"));
        let created: Json = client.post(route, Some(&repository_body(&repo, input))).await.map_err(|e| github_error(&format!("creating {owner}/{repo}"), e))?;
        let clone_url = created.get("clone_url").and_then(Json::as_str).ok_or("GitHub's answer has no clone_url")?.to_owned();
        let html_url = created.get("html_url").and_then(Json::as_str).unwrap_or_default().to_owned();
        let repo_api = format!("{api}/repos/{owner}/{repo}");

        let topics = strings(input, "topics");
        if !topics.is_empty() {
            put(&client, format!("{repo_api}/topics"), &json!({"names": topics})).await.map_err(|e| github_error("setting topics", e))?;
        }
        if let Some(access) = text(input, "access").filter(|a| a.contains('/') && is_org) {
            let team = access.rsplit('/').next().unwrap_or(access);
            put(&client, format!("{api}/orgs/{owner}/teams/{team}/repos/{owner}/{repo}"), &json!({"permission": "admin"})).await.map_err(|e| github_error(&format!("giving {access} admin access"), e))?;
        }
        if let Some(Json::Array(collaborators)) = input.get("collaborators") {
            for c in collaborators.iter().filter_map(Json::as_object) {
                let permission = text(c, "access").unwrap_or("pull");
                let (url, who) = match (text(c, "user"), text(c, "team")) {
                    (Some(user), _) => (format!("{repo_api}/collaborators/{user}"), user),
                    (None, Some(team)) => (format!("{api}/orgs/{owner}/teams/{team}/repos/{owner}/{repo}"), team),
                    _ => return Err("input.collaborators entries need user or team".to_owned()),
                };
                put(&client, url, &json!({"permission": permission})).await.map_err(|e| github_error(&format!("adding collaborator {who}"), e))?;
            }
        }
        if let Some(Json::Object(variables)) = input.get("repoVariables") {
            for (name, value) in variables {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                let _: Json = client.post(format!("{repo_api}/actions/variables"), Some(&json!({"name": name, "value": value}))).await.map_err(|e| github_error(&format!("setting variable {name}"), e))?;
            }
        }
        if input.get("secrets").is_some() {
            ctx.log("Repository secrets are not set by Portolan yet: add them in the repository's settings");
        }

        let dir = source_dir(ctx, input)?;
        let branch = branch(input, "master")?;
        let mut push = git_push(ctx, input, &dir, &clone_url, branch)?;
        push.credentials = Some(("x-access-token", token.as_str()));
        ctx.log(format!("Pushing the first commit to {clone_url} ({branch})"));
        let hash = commit_and_push(&push).await?;

        if flag(input, "protectDefaultBranch", true) {
            let protected = put(&client, format!("{repo_api}/branches/{branch}/protection"), &protection_body(input)).await;
            if let Err(e) = protected {
                ctx.log(format!("Warning: branch protection on {branch} was not set: {}", github_error("", e).trim_start_matches(": ")));
            }
        }
        ctx.log(format!("Published {html_url} at {hash}"));
        ctx.set_output("remoteUrl", clone_url);
        ctx.set_output("repoContentsUrl", format!("{html_url}/blob/{branch}"));
        ctx.set_output("commitHash", hash);
        Ok(())
    }
}
