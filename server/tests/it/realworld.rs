//! Every real-world catalog file from 36 public repositories goes through
//! `portolan validate`; entity counts match `EXPECTED.md` (made with the YAML
//! reader Backstage uses) and broken files get diagnostics on the right line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use portolan::validate::validate_paths;
use portolan_catalog::{Severity, kinds::is_standard_api_version};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/realworld")
}

/// One row of EXPECTED.md.
struct Expected {
    path: PathBuf,
    kinds: BTreeMap<String, usize>,
    /// (document, line, column) of each YAML parse error named in the notes.
    parse_errors: Vec<(usize, u32, u32)>,
    empty_file: bool,
}

fn parse_expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(fixtures().join("EXPECTED.md")).expect("EXPECTED.md");
    let mut folder = String::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            folder = name.trim().to_owned();
            continue;
        }
        let cells: Vec<&str> = line.split(" | ").collect();
        if !line.starts_with("| `") || cells.len() < 4 {
            continue;
        }
        let file = cells[0].trim_start_matches("| `").trim_end_matches('`');
        let mut kinds = BTreeMap::new();
        if cells[2] != "—" {
            for part in cells[2].split(", ") {
                let (kind, n) = part.rsplit_once('×').expect("kind×count");
                kinds.insert(kind.to_owned(), n.parse().expect("count"));
            }
        }
        let notes = cells[3];
        let mut parse_errors = Vec::new();
        if let Some((_, errs)) = notes.split_once("parse errors: ") {
            for err in errs.split("; ").filter(|e| e.starts_with("doc")) {
                let doc: usize = err[3..].split(':').next().and_then(|d| d.parse().ok()).expect("docN");
                if let Some((_, at)) = err.rsplit_once(" at line ") {
                    let (l, c) = at.trim_end_matches(':').split_once(", column ").expect("line, column");
                    parse_errors.push((doc, l.parse().expect("line"), c.parse().expect("column")));
                }
            }
        }
        let empty_file = notes.contains("empty file");
        rows.push(Expected { path: fixtures().join(&folder).join(file), kinds, parse_errors, empty_file });
    }
    rows
}

#[test]
fn every_realworld_file_matches_expected_counts() {
    let rows = parse_expected();
    assert!(rows.len() >= 400, "EXPECTED.md lists {} files", rows.len());
    let mut mismatches = Vec::new();
    for row in &rows {
        let validation = validate_paths(std::slice::from_ref(&row.path), false)
            .unwrap_or_else(|e| panic!("{}: {e:#}", row.path.display()));
        let file = &validation.files[0];
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for doc in &file.report.documents {
            if let Some(env) = &doc.envelope {
                let label = if is_standard_api_version(&env.api_version) {
                    env.kind.clone()
                } else {
                    format!("{} [{}]", env.kind, env.api_version)
                };
                *kinds.entry(label).or_default() += 1;
            }
        }
        if kinds != row.kinds {
            mismatches.push(format!("{}: expected {:?}, found {:?}", row.path.display(), row.kinds, kinds));
        }
        for &(doc, line, column) in &row.parse_errors {
            let hit = file.report.diagnostics.iter().find(|d| d.document == doc && d.severity == Severity::Error);
            match hit {
                Some(d) if d.line == line => {}
                Some(d) => mismatches.push(format!(
                    "{}: doc{doc} parse error expected at {line}:{column}, reported at {}:{}: {}",
                    row.path.display(),
                    d.line,
                    d.column,
                    d.message
                )),
                None => mismatches.push(format!("{}: doc{doc} has no error diagnostic", row.path.display())),
            }
        }
        if row.empty_file {
            assert!(file.report.diagnostics.iter().any(|d| d.severity == Severity::Error && d.line == 1));
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

fn diagnostics_of(relative: &str) -> Vec<(Severity, u32, String, String)> {
    let validation = validate_paths(&[fixtures().join(relative)], false).expect("validate");
    validation.files[0].report.diagnostics.iter().map(|d| (d.severity, d.line, d.field.clone(), d.message.clone())).collect()
}

#[test]
fn broken_files_name_the_line() {
    let space = diagnostics_of("evoila__tap-workshop/catalog/component.yaml");
    assert!(space.iter().any(|(s, line, field, _)| *s == Severity::Error && *line == 4 && field == "metadata.name"), "{space:?}");

    let empty = diagnostics_of("im-open__validate-catalog-info/test/catalog-infos/empty.yml");
    assert_eq!(empty.len(), 1);
    assert_eq!((empty[0].0, empty[0].1), (Severity::Error, 1));

    let glued = diagnostics_of("b4mad__racing-manifests/catalog/systems/pitwall.yaml");
    assert!(glued.iter().any(|(s, line, _, m)| *s == Severity::Error && *line == 24 && m.contains("apiVersion")), "{glued:?}");

    let not_catalog = diagnostics_of("DiamondLightSource__blueapi/docs/reference/openapi.yaml");
    assert!(
        not_catalog.iter().any(|(s, line, _, m)| *s == Severity::Error && *line == 1 && m.contains("not a catalog entity")),
        "{not_catalog:?}"
    );
}
