//! A whole catalog file: every document parsed, substituted and checked,
//! each on its own so that one broken document never hides the others.

use serde::Serialize;

use crate::diagnostics::{Diagnostic, FieldPath, Severity};
use crate::entity::Entity;
use crate::substitution::{Resolver, substitute};
use crate::validation::{Reference, check_taking_spec};
use crate::yaml::{self, Node, Pos, Value};

/// apiVersion and kind of a document, as written, whether or not it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// `apiVersion` as written.
    pub api_version: String,
    /// `kind` as written.
    pub kind: String,
    /// `metadata.name`, if it is a string.
    pub name: Option<String>,
}

/// What became of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentReport {
    /// 1-based index in the file, empty documents included.
    pub index: usize,
    /// Line where the document starts.
    pub line: u32,
    /// Set when the document is a mapping with both `apiVersion` and `kind`.
    pub envelope: Option<Envelope>,
    /// The entity, when the document has no errors.
    pub entity: Option<Entity>,
    /// Relations and location targets the document names, with positions.
    pub references: Vec<Reference>,
}

/// What became of a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileReport {
    /// Its documents, in order.
    pub documents: Vec<DocumentReport>,
    /// Every finding, in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// The valid entities of the file.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.documents.iter().filter_map(|d| d.entity.as_ref())
    }

    /// How many findings have the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }
}

/// Parses and checks a catalog file. `resolver` reads `$text`/`$json`/`$yaml` references.
pub fn parse_catalog_file(text: &str, resolver: &dyn Resolver) -> FileReport {
    parse(text, resolver, true)
}

/// [`parse_catalog_file`] as ingestion needs it, which builds what it does
/// not use of a valid document for nothing: the documents'
/// [`DocumentReport::references`] are left empty, and only a document
/// without an entity gets its [`DocumentReport::envelope`] (read after
/// substitution). Those lists, with a field path written out for each
/// reference, and the envelopes were a few percent of the CPU time of a
/// 100,000-entity ingest.
pub fn read_catalog_file(text: &str, resolver: &dyn Resolver) -> FileReport {
    parse(text, resolver, false)
}

/// Parses and checks `text`; `full` for [`parse_catalog_file`]'s report.
fn parse(text: &str, resolver: &dyn Resolver, full: bool) -> FileReport {
    let mut report = FileReport::default();
    if text.trim().is_empty() {
        let message = if text.is_empty() { "the file is empty" } else { "the file holds only white space" };
        report.diagnostics.push(Diagnostic::error(0, Pos::new(1, 1), "", format!("{message}; a catalog file holds at least one entity")));
        return report;
    }
    for document in yaml::parse_documents(text) {
        let mut entry = DocumentReport { index: document.index, line: document.line, envelope: None, entity: None, references: Vec::new() };
        match document.root {
            Err(e) => report.diagnostics.push(Diagnostic::error(document.index, e.pos, "", e.message)),
            Ok(None) => {}
            Ok(Some(mut root)) => {
                if full {
                    entry.envelope = envelope(&root);
                }
                substitute(&mut root, resolver, &FieldPath::default(), document.index, &mut report.diagnostics);
                let checked = check_taking_spec(&mut root, document.index, &mut report.diagnostics, full);
                if !full && checked.entity.is_none() {
                    entry.envelope = envelope(&root);
                }
                entry.entity = checked.entity;
                entry.references = checked.references;
            }
        }
        report.documents.push(entry);
    }
    report.diagnostics.sort_by_key(|d| (d.document, d.line, d.column));
    if report.documents.iter().all(|d| d.envelope.is_none() && d.entity.is_none()) && report.count(Severity::Error) == 0 {
        report.diagnostics.push(Diagnostic::warning(0, Pos::new(1, 1), "", "no entities in this file"));
    }
    report
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Seq(_) | Value::Map(_) | Value::Null => None,
        _ => Some(node.to_json().to_string()),
    }
}

fn envelope(root: &Node) -> Option<Envelope> {
    Some(Envelope {
        api_version: scalar_text(root.get("apiVersion")?)?,
        kind: scalar_text(root.get("kind")?)?,
        name: root.get("metadata").and_then(|m| m.get("name")).and_then(Node::as_str).map(str::to_owned),
    })
}
