//! Snapshot tests of what authors see for broken entities.

use portolan_catalog::{NoResolver, parse_catalog_file};

fn render(text: &str) -> String {
    let report = parse_catalog_file(text, &NoResolver);
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&format!("doc{} {}:{} {} [{}] {}\n", d.document, d.line, d.column, d.severity, d.field, d.message));
    }
    let refs: Vec<String> = report.entities().map(|e| e.entity_ref().to_string()).collect();
    out.push_str(&format!("entities: {}\n", refs.join(", ")));
    out
}

#[test]
fn field_rules() {
    insta::assert_snapshot!(render(include_str!("inputs/field-rules.yaml")));
}

#[test]
fn missing_and_wrong_types() {
    insta::assert_snapshot!(render(include_str!("inputs/missing-fields.yaml")));
}

#[test]
fn syntax_errors_stay_in_their_document() {
    insta::assert_snapshot!(render(include_str!("inputs/syntax.yaml")));
}

#[test]
fn relations_both_ways() {
    let report = parse_catalog_file(include_str!("inputs/relations.yaml"), &NoResolver);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let lines: Vec<String> = report
        .entities()
        .flat_map(|e| {
            let me = e.entity_ref();
            e.relations.iter().map(move |r| format!("{me} -{}-> {} (inverse {})", r.relation_type, r.target_ref, r.relation_type.inverse()))
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}
