//! `${{ }}` expressions and skeleton templating, as Backstage's Nunjucks
//! templater does them, on minijinja with Backstage's delimiters.
//!
//! A value that is exactly one `${{ expr }}` keeps the JSON type of what the
//! expression yields (a number stays a number, an object an object); any
//! other string is rendered as text. Undefined values chain (`a.b.c` of a
//! missing `a` is empty), as in Nunjucks.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use portolan_catalog::template::RepoUrl;
use serde_json::{Map, Value as Json};

/// How a templating failure reads: what failed, where in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TemplateError {
    /// Where in the input, e.g. `input.values.name` or a file path.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// The filters Backstage adds to Nunjucks', listed by `/v2/templating-extensions`.
pub const FILTERS: &[(&str, &str)] = &[
    ("parseRepoUrl", "Splits a RepoUrlPicker value (host?owner=o&repo=r) into {host, owner, repo, organization, workspace, project}."),
    ("parseEntityRef", "Splits an entity reference into {kind, namespace, name}; takes optional {defaultKind, defaultNamespace}."),
    ("pick", "Picks one property of an object."),
    ("projectSlug", "Turns a RepoUrlPicker value into owner/repo."),
];

/// A templating environment: `${{ }}` for values, `{% %}` for blocks.
pub struct Templater {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templater")
    }
}

impl Templater {
    /// Backstage's syntax (`${{ }}`), for step inputs and skeleton files.
    pub fn backstage() -> Templater {
        Templater::with_syntax("${{", false, false)
    }

    /// Skeleton files with `trimBlocks` / `lstripBlocks` as `fetch:template` asks.
    pub fn skeleton(trim_blocks: bool, lstrip_blocks: bool, cookiecutter: bool) -> Templater {
        Templater::with_syntax(if cookiecutter { "{{" } else { "${{" }, trim_blocks, lstrip_blocks)
    }

    fn with_syntax(variable_start: &str, trim_blocks: bool, lstrip_blocks: bool) -> Templater {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .variable_delimiters(variable_start.to_owned(), "}}")
            .block_delimiters("{%", "%}")
            .comment_delimiters("{#", "#}")
            .trim_blocks(trim_blocks)
            .lstrip_blocks(lstrip_blocks)
            .keep_trailing_newline(true)
            .build();
        if let Ok(syntax) = syntax {
            env.set_syntax(syntax);
        }
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_recursion_limit(64);
        env.add_filter("parseRepoUrl", parse_repo_url);
        env.add_filter("parseEntityRef", parse_entity_ref);
        env.add_filter("pick", pick);
        env.add_filter("projectSlug", project_slug);
        env.add_filter("dump", dump);
        Templater { env }
    }

    /// Renders a text template (a skeleton file, a file name, a string input).
    pub fn render_text(&self, source: &str, context: &Json) -> Result<String, String> {
        let source = nunjucks_compat(source, self.env.syntax().variable_delimiters().0);
        self.env.render_str(&source, Value::from(Serde(context))).map_err(describe)
    }

    /// Renders one input value: strings are templated (keeping the JSON type
    /// of a lone `${{ }}`), arrays and objects recursively; a lone
    /// expression that is undefined gives `None`, so the key is left out.
    pub fn render_value(&self, value: &Json, context: &Json, path: &str) -> Result<Option<Json>, TemplateError> {
        match value {
            Json::String(text) => self.render_string(text, context, path),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.render_value(item, context, &format!("{path}[{i}]"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Json::Array(out)))
            }
            Json::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, item) in map {
                    if let Some(v) = self.render_value(item, context, &format!("{path}.{key}"))? {
                        out.insert(key.clone(), v);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    fn render_string(&self, text: &str, context: &Json, path: &str) -> Result<Option<Json>, TemplateError> {
        let fail = |message: String| TemplateError { path: path.to_owned(), message };
        if let Some(expr) = lone_expression(text) {
            let expr = nunjucks_compat(expr, "");
            let compiled = self.env.compile_expression(&expr).map_err(|e| fail(describe(e)))?;
            let value = compiled.eval(Value::from(Serde(context))).map_err(|e| fail(describe(e)))?;
            if value.is_undefined() {
                return Ok(None);
            }
            return serde_json::to_value(&value).map(Some).map_err(|e| fail(e.to_string()));
        }
        if !text.contains("${{") && !text.contains("{%") {
            return Ok(Some(Json::String(text.to_owned())));
        }
        self.render_text(text, context).map(|s| Some(Json::String(s))).map_err(fail)
    }

    /// Evaluates a step's `if`: false for false, null, undefined, `""`, `0` and `[]`.
    pub fn condition(&self, value: &Json, context: &Json, path: &str) -> Result<bool, TemplateError> {
        Ok(match self.render_value(value, context, path)? {
            None | Some(Json::Null) | Some(Json::Bool(false)) => false,
            Some(Json::String(s)) => !(s.is_empty() || s == "false"),
            Some(Json::Number(n)) => n.as_f64() != Some(0.0),
            Some(Json::Array(a)) => !a.is_empty(),
            Some(Json::Bool(true)) | Some(Json::Object(_)) => true,
        })
    }
}

/// Nunjucks accepts JavaScript's `===` and `!==` in expressions; Jinja spells
/// them `==` and `!=`. Rewrites them inside tags only (text outside, such as a
/// Markdown `===` underline, is left as written). With an empty
/// `variable_start` the whole source is one expression.
fn nunjucks_compat<'a>(source: &'a str, variable_start: &str) -> std::borrow::Cow<'a, str> {
    if !source.contains("===") && !source.contains("!==") {
        return std::borrow::Cow::Borrowed(source);
    }
    if variable_start.is_empty() {
        return std::borrow::Cow::Owned(source.replace("===", "==").replace("!==", "!="));
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let next = [("{%", "%}"), (variable_start, "}}")].into_iter().filter_map(|(open, close)| rest.find(open).map(|at| (at, open, close))).min_by_key(|(at, _, _)| *at);
        let Some((at, open, close)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at + open.len()]);
        rest = &rest[at + open.len()..];
        let end = rest.find(close).unwrap_or(rest.len());
        out.push_str(&rest[..end].replace("===", "==").replace("!==", "!="));
        rest = &rest[end..];
    }
    std::borrow::Cow::Owned(out)
}

/// The expression of a string that is exactly one `${{ … }}`.
fn lone_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    (!inner.contains("${{") && !inner.contains("}}")).then_some(inner.trim())
}

/// One line that says what failed and where in the template.
fn describe(err: Error) -> String {
    let mut text = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    if let Some(line) = err.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// A RepoUrlPicker value (`host?owner=o&repo=r`) as the publish actions and
/// filters need it: a host without a path, and a repo.
pub fn repo_url(text: &str) -> Result<RepoUrl, String> {
    if !text.contains('?') {
        return Err(format!("invalid repo URL {text:?}: expected host?owner=…&repo=…"));
    }
    let parsed = RepoUrl::parse(text).filter(|r| !r.host.contains('/')).ok_or_else(|| format!("invalid repo URL {text:?}: missing host"))?;
    if parsed.repo.is_none() {
        return Err(format!("invalid repo URL {text:?}: missing repo"));
    }
    Ok(parsed)
}

/// `parseRepoUrl`: `{host, owner, repo, organization, workspace, project}`, absent parts left out.
fn parse_repo_url(text: &str) -> Result<Value, Error> {
    let r = repo_url(text).map_err(invalid)?;
    let mut parts = Map::new();
    parts.insert("host".to_owned(), Json::String(r.host));
    for (key, value) in [("owner", r.owner), ("repo", r.repo), ("organization", r.organization), ("workspace", r.workspace), ("project", r.project)] {
        if let Some(value) = value {
            parts.insert(key.to_owned(), Json::String(value));
        }
    }
    Ok(Value::from(Serde(Json::Object(parts))))
}

/// `projectSlug`: `owner/repo` (the organization or workspace when there is no owner).
fn project_slug(text: &str) -> Result<String, Error> {
    let r = repo_url(text).map_err(invalid)?;
    let owner = r.owner.or(r.organization).or(r.workspace).unwrap_or_default();
    Ok(format!("{owner}/{}", r.repo.unwrap_or_default()))
}

fn parse_entity_ref(text: &str, defaults: Option<Value>) -> Result<Value, Error> {
    let default = |key: &str| defaults.as_ref().and_then(|d| d.get_attr(key).ok()).filter(|v| !v.is_undefined() && !v.is_none()).map(|v| v.to_string());
    let (kind, rest) = match text.split_once(':') {
        Some((k, rest)) if !k.contains('/') => (Some(k.to_owned()), rest),
        _ => (None, text),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) => (Some(ns.to_owned()), name),
        None => (None, rest),
    };
    if name.is_empty() || kind.as_deref() == Some("") || namespace.as_deref() == Some("") {
        return Err(invalid(format!("entity reference {text:?} is not on the form [<kind>:][<namespace>/]<name>")));
    }
    let kind = kind.or_else(|| default("defaultKind")).ok_or_else(|| invalid(format!("entity reference {text:?} has no kind and no defaultKind was given")))?;
    let namespace = namespace.or_else(|| default("defaultNamespace")).unwrap_or_else(|| "default".to_owned());
    Ok(Value::from(Serde(serde_json::json!({"kind": kind, "namespace": namespace, "name": name}))))
}

fn pick(value: Value, key: &str) -> Result<Value, Error> {
    value.get_attr(key)
}

/// Nunjucks' `dump(indent?)`: the value as JSON.
fn dump(value: Value, indent: Option<usize>) -> Result<Value, Error> {
    let text = match indent {
        Some(width) if width > 0 => {
            let mut out = Vec::new();
            let indent = " ".repeat(width.min(16));
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(&value, &mut serializer).map_err(|e| invalid(e.to_string()))?;
            String::from_utf8(out).map_err(|e| invalid(e.to_string()))?
        }
        _ => serde_json::to_string(&value).map_err(|e| invalid(e.to_string()))?,
    };
    Ok(Value::from_safe_string(text))
}
