//! `catalog:write`, `catalog:register` and `catalog:fetch`: the scaffolder's
//! way into Portolan's own catalog. Registering reads the new location at
//! once, so its entities are in the catalog when the step ends.

use serde_json::{Map, Value as Json, json};

use super::{Action, ActionContext, DryRun, flag, required_text, strings, text};
use crate::ingest::RegisterError;
use crate::scaffolder::paths;
use crate::store::{entities, locations};

/// `catalog:write`.
pub struct CatalogWrite;

#[async_trait::async_trait]
impl Action for CatalogWrite {
    fn id(&self) -> &'static str {
        "catalog:write"
    }
    fn description(&self) -> &'static str {
        "Writes an entity as a catalog-info.yaml file into the workspace."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "required": ["entity"], "properties": {
            "entity": {"type": "object", "description": "The entity to write."},
            "filePath": {"type": "string", "description": "Where (default catalog-info.yaml)."}
        }})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let Some(Json::Object(entity)) = input.get("entity") else {
            return Err("input.entity must be an object".to_owned());
        };
        let mut entity = entity.clone();
        if let Some(template) = ctx.template_ref {
            let metadata = entity.entry("metadata").or_insert_with(|| json!({}));
            if let Some(metadata) = metadata.as_object_mut() {
                let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
                if let Some(annotations) = annotations.as_object_mut() {
                    annotations.insert("backstage.io/source-template".to_owned(), Json::String(template.to_owned()));
                }
            }
        }
        let file = text(input, "filePath").unwrap_or("catalog-info.yaml");
        let path = paths::inside(ctx.workspace, file)?;
        let yaml = serde_norway::to_string(&Json::Object(entity)).map_err(|e| format!("cannot write the entity as YAML: {e}"))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, yaml).map_err(|e| format!("cannot write {file}: {e}"))?;
        ctx.log(format!("Wrote {file}"));
        Ok(())
    }
}

/// `catalog:register`.
pub struct CatalogRegister;

/// The URL `catalog:register` registers: `catalogInfoUrl`, or `repoContentsUrl` + `catalogInfoPath`.
fn catalog_info_url(input: &Map<String, Json>) -> Result<String, String> {
    if let Some(url) = text(input, "catalogInfoUrl").filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    let Some(base) = text(input, "repoContentsUrl").filter(|u| !u.is_empty()) else {
        return Err("input needs catalogInfoUrl, or repoContentsUrl with catalogInfoPath".to_owned());
    };
    let path = text(input, "catalogInfoPath").unwrap_or("/catalog-info.yaml");
    Ok(format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/')))
}

#[async_trait::async_trait]
impl Action for CatalogRegister {
    fn id(&self) -> &'static str {
        "catalog:register"
    }
    fn description(&self) -> &'static str {
        "Registers a catalog-info file's URL as a location and reads it at once."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "properties": {
            "catalogInfoUrl": {"type": "string", "description": "URL of the catalog file."},
            "repoContentsUrl": {"type": "string", "description": "URL of the repository contents, e.g. a publish step's repoContentsUrl."},
            "catalogInfoPath": {"type": "string", "description": "Path of the catalog file in the repository (default /catalog-info.yaml)."},
            "optional": {"type": "boolean", "description": "Do not fail when the file cannot be read."}
        }})
    }
    fn output_schema(&self) -> Json {
        json!({"type": "object", "properties": {"entityRef": {"type": "string"}, "catalogInfoUrl": {"type": "string"}}})
    }
    fn dry_run(&self) -> DryRun {
        DryRun::Skip
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let url = catalog_info_url(input)?;
        let optional = flag(input, "optional", false);
        let catalog = &ctx.services("catalog:register")?.catalog;
        ctx.log(format!("Registering {url} in the catalog"));
        let pool = &catalog.db.pool;
        let location = match catalog.register("url", &url).await {
            Ok(location) => location,
            Err(RegisterError::Exists(_)) => {
                let existing = locations::find(pool, "url", &url).await.map_err(|e| e.to_string())?;
                let Some(existing) = existing else { return Err(format!("{url} is registered and not registered at once")) };
                catalog.process(&existing).await.map_err(|e| format!("refreshing {url}: {e:#}"))?;
                ctx.log(format!("{url} was registered already; it was refreshed"));
                existing
            }
            Err(e) if optional => {
                ctx.log(format!("Could not register {url} (optional): {e}"));
                return Ok(());
            }
            Err(e) => return Err(format!("registering {url}: {e}")),
        };
        let mut refs: Vec<String> = entities::states_of_location(pool, &location.id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|s| s.entity_ref)
            .filter(|r| !r.starts_with("location:"))
            .collect();
        refs.sort();
        ctx.set_output("catalogInfoUrl", url.clone());
        match refs.first() {
            Some(first) => {
                ctx.log(format!("Registered {}", refs.join(", ")));
                ctx.set_output("entityRef", first.clone());
                Ok(())
            }
            None if optional => {
                ctx.log(format!("{url} was registered but gave no entity yet (optional)"));
                Ok(())
            }
            None => Err(format!("{url} was registered but gave no entity: it could not be read, or holds none (the location stays registered and is retried)")),
        }
    }
}

/// `catalog:fetch`.
pub struct CatalogFetch;

#[async_trait::async_trait]
impl Action for CatalogFetch {
    fn id(&self) -> &'static str {
        "catalog:fetch"
    }
    fn description(&self) -> &'static str {
        "Reads entities from the catalog by reference."
    }
    fn input_schema(&self) -> Json {
        json!({"type": "object", "properties": {
            "entityRef": {"type": "string"}, "entityRefs": {"type": "array", "items": {"type": "string"}},
            "optional": {"type": "boolean"}, "defaultKind": {"type": "string"}, "defaultNamespace": {"type": "string"}
        }})
    }
    fn output_schema(&self) -> Json {
        json!({"type": "object", "properties": {"entity": {"type": "object"}, "entities": {"type": "array"}}})
    }
    async fn run(&self, ctx: &mut ActionContext<'_>, input: &Map<String, Json>) -> Result<(), String> {
        let catalog = &ctx.services("catalog:fetch")?.catalog;
        let optional = flag(input, "optional", false);
        let defaults = portolan_catalog::RefDefaults { kind: text(input, "defaultKind"), namespace: text(input, "defaultNamespace") };
        let fetch = async |text: &str| -> Result<Json, String> {
            let parsed = portolan_catalog::EntityRef::parse(text, defaults).map_err(|e| e.to_string())?;
            let row = entities::by_ref(&catalog.db.pool, &parsed.to_string()).await.map_err(|e| e.to_string())?;
            match row {
                Some(row) => serde_json::from_str(&row.body).map_err(|e| e.to_string()),
                None if optional => Ok(Json::Null),
                None => Err(format!("entity {parsed} is not in the catalog")),
            }
        };
        if input.contains_key("entityRef") {
            let entity = fetch(required_text(input, "entityRef")?).await?;
            ctx.set_output("entity", entity);
        }
        let refs = strings(input, "entityRefs");
        if !refs.is_empty() {
            let mut found = Vec::new();
            for r in &refs {
                found.push(fetch(r).await?);
            }
            ctx.set_output("entities", Json::Array(found));
        }
        Ok(())
    }
}
