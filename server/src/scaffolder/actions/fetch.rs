//! `fetch:template`, `fetch:template:file`, `fetch:plain`, `fetch:plain:file`:
//! copy a skeleton next to the template into the workspace, rendering file
//! contents and names with the step's `values`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json, json};

use super::{Action, ActionContext, TemplateBase, flag, required_text, strings, text};
use crate::scaffolder::expr::Templater;
use crate::scaffolder::paths;

/// A skeleton ready to copy: a folder next to the template, or one read from
/// a URL into a scratch folder that goes when this is dropped.
struct Fetched {
    path: PathBuf,
    scratch: Option<PathBuf>,
}

impl Drop for Fetched {
    fn drop(&mut self) {
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Where a `url` input points: inside the template's folder on this machine
/// (as Backstage's `resolveSafeChildPath` requires), or a URL, absolute or
/// relative to a template read from GitHub.
fn resolve(base: &TemplateBase, url: &str) -> Result<Result<PathBuf, url::Url>, String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url::Url::parse(url).map(Err).map_err(|e| format!("url {url:?} is not a valid URL: {e}"));
    }
    match base {
        TemplateBase::Dir(dir) => paths::inside(dir, url).map(Ok).map_err(|e| format!("url {url:?}: {e} (the template's folder)")),
        TemplateBase::Url(base) => url::Url::parse(base).and_then(|b| b.join(url)).map(Err).map_err(|e| format!("url {url:?} relative to {base}: {e}")),
        TemplateBase::None => Err(format!("fetching {url}: the template has no base location to resolve it against")),
    }
}

/// The skeleton folder (`folder`) or file a `url` input names, read from a URL when it is one.
async fn fetch(ctx: &ActionContext<'_>, url: &str, folder: bool) -> Result<Fetched, String> {
    let remote = match resolve(ctx.base, url)? {
        Ok(path) => return Ok(Fetched { path, scratch: None }),
        Err(remote) => remote,
    };
    let reader = ctx.services.and_then(|s| s.urls.as_ref()).ok_or_else(|| format!("fetching {remote}: this run cannot read URLs"))?;
    let scratch = ctx.workspace.with_file_name(format!("fetch-{}", uuid::Uuid::new_v4()));
    let fetched = Fetched { path: scratch.clone(), scratch: Some(scratch.clone()) };
    ctx.log(format!("Reading {remote}"));
    let files = if folder {
        reader.read_folder(remote.as_str()).await?
    } else {
        let name = remote.path_segments().and_then(|mut s| s.next_back()).filter(|n| !n.is_empty()).unwrap_or("file").to_owned();
        vec![(name, reader.read_url(remote.as_str()).await?)]
    };
    for (relative, text) in &files {
        let to = paths::inside(&scratch, relative)?;
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&to, text).map_err(|e| format!("cannot write {relative}: {e}"))?;
    }
    std::fs::create_dir_all(&scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    if folder {
        return Ok(fetched);
    }
    let single = files.first().map(|(name, _)| scratch.join(name)).ok_or("nothing was read")?;
    let mut fetched = fetched;
    fetched.path = single;
    Ok(fetched)
}

/// Renders every entry of a skeleton into the workspace.
struct Copy<'a> {
    templater: Option<Templater>,
    context: Json,
    raw_globs: Vec<glob::Pattern>,
    extension: Option<String>,
    replace: bool,
    target: &'a Path,
}

impl Copy<'_> {
    fn render_path(&self, relative: &str) -> Result<String, String> {
        match &self.templater {
            Some(t) if relative.contains("${{") || relative.contains("{%") || relative.contains("{{") => {
                t.render_text(relative, &self.context).map_err(|e| format!("file name {relative}: {e}"))
            }
            _ => Ok(relative.to_owned()),
        }
    }

    fn copy_tree(&self, ctx: &ActionContext<'_>, source: &Path) -> Result<usize, String> {
        if !source.is_dir() {
            return Err(format!("{} is not a folder", source.display()));
        }
        let mut written = 0;
        for relative in paths::list_files(source) {
            written += usize::from(self.copy_one(ctx, &source.join(&relative), &relative)?);
        }
        Ok(written)
    }

    fn copy_one(&self, ctx: &ActionContext<'_>, from: &Path, relative: &str) -> Result<bool, String> {
        let raw = self.raw_globs.iter().any(|g| g.matches(relative));
        let mut rendered = self.render_path(relative)?;
        let mut render_contents = self.templater.is_some() && !raw;
        if let Some(ext) = &self.extension {
            render_contents = render_contents && rendered.ends_with(ext.as_str());
            if let Some(stripped) = rendered.strip_suffix(ext.as_str()) {
                rendered = stripped.to_owned();
            }
        }
        if paths::has_empty_segment(&rendered) {
            ctx.log(format!("Skipping {relative}: its name renders empty"));
            return Ok(false);
        }
        let to = paths::inside(self.target, &rendered)?;
        if to.symlink_metadata().is_ok() && !self.replace {
            ctx.log(format!("Skipping {rendered}: it exists and replace is false"));
            return Ok(false);
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let meta = from.symlink_metadata().map_err(|e| format!("cannot read {relative}: {e}"))?;
        if meta.file_type().is_symlink() {
            let link = std::fs::read_link(from).map_err(|e| format!("cannot read link {relative}: {e}"))?;
            let _ = std::fs::remove_file(&to);
            return symlink(&link, &to).map(|()| true).map_err(|e| format!("cannot copy link {relative}: {e}"));
        }
        let bytes = std::fs::read(from).map_err(|e| format!("cannot read {relative}: {e}"))?;
        let contents = match (&self.templater, render_contents, std::str::from_utf8(&bytes)) {
            (Some(t), true, Ok(source)) => t.render_text(source, &self.context).map_err(|e| format!("{relative}: {e}"))?.into_bytes(),
            _ => bytes,
        };
        std::fs::write(&to, contents).map_err(|e| format!("cannot write {rendered}: {e}"))?;
        std::fs::set_permissions(&to, meta.permissions()).map_err(|e| format!("cannot set the mode of {rendered}: {e}"))?;
        Ok(true)
    }
}

#[cfg(unix)]
fn symlink(link: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(link, to)
}

#[cfg(not(unix))]
fn symlink(_link: &Path, _to: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("symbolic links are not supported on this system"))
}

fn target_dir(ctx: &ActionContext<'_>, input: &Map<String, Json>) -> Result<PathBuf, String> {
    paths::inside(ctx.workspace, text(input, "targetPath").unwrap_or("./"))
}

fn templated(input: &Map<String, Json>) -> Result<(Templater, Json), String> {
    let cookiecutter = flag(input, "cookiecutterCompat", false);
    let templater = Templater::skeleton(flag(input, "trimBlocks", false), flag(input, "lstripBlocks", false), cookiecutter);
    let values = input.get("values").cloned().unwrap_or_else(|| json!({}));
    let context = if cookiecutter { json!({"cookiecutter": values}) } else { json!({"values": values}) };
    Ok((templater, context))
}

fn extension(input: &Map<String, Json>) -> Result<Option<String>, String> {
    match input.get("templateFileExtension") {
        None | Some(Json::Null) | Some(Json::Bool(false)) => Ok(None),
        Some(Json::Bool(true)) => Ok(Some(".njk".to_owned())),
        Some(Json::String(s)) if !s.is_empty() => Ok(Some(if s.starts_with('.') { s.clone() } else { format!(".{s}") })),
        Some(other) => Err(format!("input.templateFileExtension must be a string or a boolean, got {other}")),
    }
}

/// `fetch:template`.
pub struct FetchTemplate;

#[async_trait::async_trait]
impl Action for FetchTemplate {
    fn id(&self) -> &'static str {
        "fetch:template"
    }
    fn description(&self) -> &'static str {
        "Copies a skeleton folder into the workspace, rendering file contents and names with `values`."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["url"], "properties": {
            "url": {"type": "string", "description": "Folder of the skeleton, relative to the template."},
            "targetPath": {"type": "string", "description": "Where in the workspace to put it (default: the root)."},
            "values": {"type": "object", "description": "What `${{ values.x }}` in the skeleton sees."},
            "copyWithoutTemplating": {"type": "array", "items": {"type": "string"}, "description": "Globs of files copied without rendering their contents."},
            "copyWithoutRender": {"type": "array", "items": {"type": "string"}, "description": "Deprecated name of copyWithoutTemplating."},
            "cookiecutterCompat": {"type": "boolean", "description": "Use `{{ cookiecutter.x }}` instead of `${{ values.x }}`."},
            "templateFileExtension": {"type": ["string", "boolean"], "description": "Render only files with this extension (true: .njk), stripping it."},
            "replace": {"type": "boolean", "description": "Overwrite files that exist (default false)."},
            "trimBlocks": {"type": "boolean"},
            "lstripBlocks": {"type": "boolean"}
        }})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let url = required_text(input, "url")?;
        let source = fetch(ctx, url, true).await?;
        let extension = extension(input)?;
        let mut raw = strings(input, "copyWithoutTemplating");
        let deprecated = strings(input, "copyWithoutRender");
        if !raw.is_empty() && !deprecated.is_empty() {
            return Err("input.copyWithoutTemplating and input.copyWithoutRender cannot both be set".to_owned());
        }
        raw.extend(deprecated);
        if extension.is_some() && (!raw.is_empty() || flag(input, "cookiecutterCompat", false)) {
            return Err("input.templateFileExtension cannot be combined with copyWithoutTemplating or cookiecutterCompat".to_owned());
        }
        let raw_globs = raw
            .iter()
            .map(|g| glob::Pattern::new(g.trim_start_matches("./")).map_err(|e| format!("input.copyWithoutTemplating: bad glob {g:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let (templater, context) = templated(input)?;
        let target = target_dir(ctx, input)?;
        ctx.log(format!("Fetching template content from {url}"));
        let copy = Copy { templater: Some(templater), context, raw_globs, extension, replace: flag(input, "replace", false), target: &target };
        let written = copy.copy_tree(ctx, &source.path)?;
        ctx.log(format!("Rendered {written} files into {}", text(input, "targetPath").unwrap_or("the workspace")));
        Ok(())
    }
}

/// `fetch:template:file`.
pub struct FetchTemplateFile;

#[async_trait::async_trait]
impl Action for FetchTemplateFile {
    fn id(&self) -> &'static str {
        "fetch:template:file"
    }
    fn description(&self) -> &'static str {
        "Renders one file next to the template into the workspace."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["url", "targetPath"], "properties": {
            "url": {"type": "string"}, "targetPath": {"type": "string"}, "values": {"type": "object"},
            "cookiecutterCompat": {"type": "boolean"}, "replace": {"type": "boolean"},
            "trimBlocks": {"type": "boolean"}, "lstripBlocks": {"type": "boolean"}
        }})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        copy_file(ctx, input, true).await
    }
}

async fn copy_file(ctx: &ActionContext<'_>, input: &Map<String, Json>, render: bool) -> Result<(), String> {
    let fetched = fetch(ctx, required_text(input, "url")?, false).await?;
    let source = &fetched.path;
    let target_path = required_text(input, "targetPath")?;
    let (parent, name) = match target_path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => (".", target_path),
    };
    let (templater, context) = templated(input)?;
    let target = paths::inside(ctx.workspace, if parent.is_empty() { "." } else { parent })?;
    let copy = Copy { templater: render.then_some(templater), context, raw_globs: Vec::new(), extension: None, replace: flag(input, "replace", false), target: &target };
    if !source.is_file() {
        return Err(format!("{} is not a file", source.display()));
    }
    copy.copy_one(ctx, source, name).map(|_| ())
}

/// `fetch:plain`.
pub struct FetchPlain;

#[async_trait::async_trait]
impl Action for FetchPlain {
    fn id(&self) -> &'static str {
        "fetch:plain"
    }
    fn description(&self) -> &'static str {
        "Copies a folder next to the template into the workspace as it is."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}, "targetPath": {"type": "string"}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let url = required_text(input, "url")?;
        let source = fetch(ctx, url, true).await?;
        let target = target_dir(ctx, input)?;
        let copy = Copy { templater: None, context: Json::Null, raw_globs: Vec::new(), extension: None, replace: true, target: &target };
        let written = copy.copy_tree(ctx, &source.path)?;
        ctx.log(format!("Copied {written} files from {url}"));
        Ok(())
    }
}

/// `fetch:plain:file`.
pub struct FetchPlainFile;

#[async_trait::async_trait]
impl Action for FetchPlainFile {
    fn id(&self) -> &'static str {
        "fetch:plain:file"
    }
    fn description(&self) -> &'static str {
        "Copies one file next to the template into the workspace as it is."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["url", "targetPath"], "properties": {"url": {"type": "string"}, "targetPath": {"type": "string"}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let mut input = input.clone();
        input.insert("replace".to_owned(), Json::Bool(true));
        copy_file(ctx, &input, false).await
    }
}
