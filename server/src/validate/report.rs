//! How `portolan validate` prints its findings.

use std::fmt::Write;

use portolan_catalog::{Diagnostic, Severity};
use serde_json::json;

use super::{CheckedFile, Validation};

/// Compiler-style text: `path:line:col: error: message [field]`, the
/// offending line with a caret, and one summary line.
pub fn render_text(v: &Validation) -> String {
    let mut out = String::new();
    for file in &v.files {
        let mut diagnostics: Vec<&Diagnostic> = file.report.diagnostics.iter().collect();
        diagnostics.sort_by_key(|d| (d.line, d.column));
        for d in diagnostics {
            write_diagnostic(&mut out, file, d);
        }
    }
    if v.skipped_skeleton_files > 0 {
        let _ = writeln!(out, "note: {} catalog file(s) inside template skeletons were not checked", v.skipped_skeleton_files);
    }
    let _ = writeln!(
        out,
        "{} entities in {} files: {} errors, {} warnings",
        v.entities(),
        v.files.len(),
        v.errors(),
        v.warnings()
    );
    out
}

fn write_diagnostic(out: &mut String, file: &CheckedFile, d: &Diagnostic) {
    let field = if d.field.is_empty() { String::new() } else { format!(" [{}]", d.field) };
    let _ = writeln!(out, "{}:{}:{}: {}: {}{}", file.display, d.line, d.column, d.severity, d.message, field);
    let line_index = usize::try_from(d.line).unwrap_or(0).saturating_sub(1);
    if let Some(line) = file.text.lines().nth(line_index) {
        let number = d.line.to_string();
        let gutter = " ".repeat(number.len());
        let caret_at: String = line
            .chars()
            .take(usize::try_from(d.column).unwrap_or(1).saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, " {number} | {line}");
        let _ = writeln!(out, " {gutter} | {caret_at}^");
    }
}

/// One JSON document: per file its entities and diagnostics, and a summary.
pub fn render_json(v: &Validation) -> String {
    let files: Vec<_> = v
        .files
        .iter()
        .map(|f| {
            let entities: Vec<_> = f
                .report
                .documents
                .iter()
                .filter_map(|d| {
                    let e = d.entity.as_ref()?;
                    Some(json!({"ref": e.entity_ref().to_string(), "kind": e.kind, "document": d.index, "line": d.line}))
                })
                .collect();
            json!({
                "path": f.display,
                "entities": entities,
                "diagnostics": f.report.diagnostics,
                "errors": f.report.count(Severity::Error),
                "warnings": f.report.count(Severity::Warning),
            })
        })
        .collect();
    let doc = json!({
        "files": files,
        "summary": {
            "entities": v.entities(),
            "files": v.files.len(),
            "errors": v.errors(),
            "warnings": v.warnings(),
            "skippedSkeletonFiles": v.skipped_skeleton_files,
        }
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
