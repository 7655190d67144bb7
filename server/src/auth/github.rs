//! GitHub sign-in: the OAuth authorization-code flow (github.com or GitHub
//! Enterprise), then the user's profile, e-mails and teams through octocrab,
//! and the catalog `User` entity they are (Backstage's resolvers: entity
//! name = login, the `github.com/user-login` annotation, the profile
//! e-mail). Teams map to the catalog groups whose `github.com/team-slug`
//! annotation names them, so ownership follows GitHub teams too.

use serde::Deserialize;

use crate::api::catalog::query::{Direction, EntityQuery, Predicate};
use crate::config::auth::GithubAuth;
use crate::search::SearchIndex;

/// GitHub OAuth endpoints and the app's credentials.
#[derive(Clone)]
pub struct GithubOauth {
    /// `https://github.com` or the Enterprise instance.
    pub instance: url::Url,
    /// `https://api.github.com` or `<instance>/api/v3`.
    pub api: url::Url,
    /// The OAuth app's client id.
    pub client_id: String,
    client_secret: crate::config::Secret,
}

impl std::fmt::Debug for GithubOauth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubOauth").field("instance", &self.instance.as_str()).field("client_id", &self.client_id).finish()
    }
}

/// A GitHub user, as the REST API describes them.
#[derive(Debug, Clone, Deserialize)]
pub struct GithubUser {
    /// The login.
    pub login: String,
    /// The profile name.
    #[serde(default)]
    pub name: Option<String>,
    /// The public e-mail.
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    verified: bool,
}

#[derive(Deserialize)]
struct Team {
    slug: String,
    organization: TeamOrganization,
}

#[derive(Deserialize)]
struct TeamOrganization {
    login: String,
}

/// What GitHub says of a signed-in user.
#[derive(Debug, Clone)]
pub struct GithubProfile {
    /// The user.
    pub user: GithubUser,
    /// Verified e-mail addresses.
    pub emails: Vec<String>,
    /// Teams as `org/slug`, lower-cased.
    pub teams: Vec<String>,
}

impl GithubOauth {
    /// The OAuth settings of `auth.providers.github`.
    pub fn new(config: &GithubAuth) -> anyhow::Result<GithubOauth> {
        let instance = match &config.enterprise_instance_url {
            Some(u) => url::Url::parse(u.as_str())?,
            None => url::Url::parse("https://github.com")?,
        };
        let api = match (&config.api_base_url, &config.enterprise_instance_url) {
            (Some(u), _) => url::Url::parse(u.as_str())?,
            (None, Some(_)) => instance.join("/api/v3")?,
            (None, None) => url::Url::parse("https://api.github.com")?,
        };
        Ok(GithubOauth { instance, api, client_id: config.client_id.clone(), client_secret: config.client_secret.clone() })
    }

    /// Where to send the browser to sign in.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let mut url = self.instance.clone();
        url.set_path("/login/oauth/authorize");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "read:user user:email read:org")
            .append_pair("state", state);
        url.to_string()
    }

    /// Trades the callback's code for an access token.
    pub async fn exchange(&self, http: &reqwest::Client, code: &str, redirect_uri: &str) -> anyhow::Result<String> {
        let mut url = self.instance.clone();
        url.set_path("/login/oauth/access_token");
        let response: TokenResponse = http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
                ("code", code),
                ("redirect_uri", redirect_uri),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match (response.access_token, response.error) {
            (Some(token), _) => Ok(token),
            (None, error) => anyhow::bail!(
                "GitHub refused the sign-in: {}",
                response.error_description.or(error).unwrap_or_else(|| "no access token".into())
            ),
        }
    }

    /// The signed-in user's profile, verified e-mails and teams.
    pub async fn profile(&self, token: &str) -> anyhow::Result<GithubProfile> {
        let client = octocrab::Octocrab::builder().base_uri(self.api.as_str())?.personal_token(token.to_owned()).build()?;
        let user: GithubUser = client.get("/user", None::<&()>).await?;
        // E-mails need the user:email scope and teams read:org; without them the profile still signs in.
        let emails: Vec<Email> = client.get("/user/emails", None::<&()>).await.unwrap_or_default();
        let teams: Vec<Team> = client.get("/user/teams", None::<&()>).await.unwrap_or_default();
        Ok(GithubProfile {
            user,
            emails: emails.into_iter().filter(|e| e.verified).map(|e| e.email).collect(),
            teams: teams.into_iter().map(|t| format!("{}/{}", t.organization.login, t.slug).to_lowercase()).collect(),
        })
    }
}

/// The catalog groups that stand for these GitHub teams (`org/slug`).
pub fn groups_of_teams(index: &SearchIndex, teams: &[String]) -> Vec<String> {
    let mut groups = Vec::new();
    for team in teams {
        let Ok(filter) = Predicate::from_json(&serde_json::json!({ "kind": "group", "metadata.annotations.github.com/team-slug": team })) else {
            continue;
        };
        let query = EntityQuery { filter: Some(filter), ..EntityQuery::default() };
        groups.extend(index.page(&query, None, Direction::Next, 10, 0).into_iter().map(|r| r.entity_ref));
    }
    groups.sort();
    groups.dedup();
    groups
}

/// The catalog `User` a GitHub user is: by name, then by the
/// `github.com/user-login` annotation, then by e-mail.
pub fn resolve_user(index: &SearchIndex, user: &GithubUser, emails: &[String]) -> Option<String> {
    let find = |predicate: serde_json::Value| {
        let filter = Predicate::from_json(&predicate).ok()?;
        let query = EntityQuery { filter: Some(filter), ..EntityQuery::default() };
        let rows = index.page(&query, None, Direction::Next, 2, 0);
        (rows.len() == 1).then(|| rows[0].entity_ref.clone())
    };
    let login = user.login.to_lowercase();
    find(serde_json::json!({ "kind": "user", "metadata.name": login }))
        .or_else(|| find(serde_json::json!({ "kind": "user", "metadata.annotations.github.com/user-login": login })))
        .or_else(|| {
            user.email.iter().chain(emails).find_map(|email| find(serde_json::json!({ "kind": "user", "spec.profile.email": email })))
        })
}
