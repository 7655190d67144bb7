//! The quick reader is held to the library: wherever it takes a document,
//! it must build exactly the nodes (values, key order, positions) that
//! saphyr-parser's events build.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::parse;
use crate::yaml::{parse_with_library, split_documents};

/// Checks every document of `text`; returns how many there were and how
/// many the quick reader took.
fn agree(text: &str, context: &str) -> (usize, usize) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut taken = 0;
    let chunks = split_documents(text);
    for (i, chunk) in chunks.iter().enumerate() {
        if let Some(root) = parse(chunk.text, chunk.first_line - 1) {
            taken += 1;
            assert_eq!(Ok(root), parse_with_library(chunk.text, chunk.first_line - 1), "{context}, document {}:\n{}", i + 1, chunk.text);
        }
    }
    (chunks.len(), taken)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a fixtures directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn fixtures() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/realworld"), &mut files);
    files.sort();
    files.into_iter().filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?))).collect()
}

#[test]
fn agrees_with_the_library_on_every_real_world_fixture() {
    let files = fixtures();
    assert!(files.len() > 300, "the real-world fixtures are there");
    let (mut documents, mut taken) = (0, 0);
    for (path, text) in &files {
        let (d, t) = agree(text, &path.display().to_string());
        documents += d;
        taken += t;
    }
    // Most real catalog files are plain block YAML: the quick reader is
    // what reads them.
    assert!(taken * 10 >= documents * 7, "the quick reader took {taken} of {documents} documents");
}

#[test]
fn agrees_with_the_library_on_mutated_fixtures() {
    let edits: [fn(&str) -> String; 9] = [
        |_| String::new(),
        |l| format!(" {l}"),
        |l| l.strip_prefix(' ').unwrap_or(l).to_owned(),
        |l| format!("{l}:"),
        |l| format!("{l} # note"),
        |l| format!("{l}: x"),
        |l| l.replacen(": ", ":", 1),
        |l| format!("{l}\n{l}"),
        |l| format!("{l}\n  - extra"),
    ];
    for (path, text) in fixtures().iter().step_by(3) {
        let lines: Vec<&str> = text.lines().collect();
        for at in 0..lines.len().min(40) {
            for (e, edit) in edits.iter().enumerate() {
                let mut changed = lines.clone();
                let line = edit(lines[at]);
                changed[at] = &line;
                agree(&(changed.join("\n") + "\n"), &format!("{} with edit {e} on line {}", path.display(), at + 1));
            }
        }
    }
}

/// What the benchmark's generator writes, and the shapes around it.
const SHAPES: &str = r#"# a comment first
---
apiVersion: backstage.io/v1alpha1
kind: "Component"
metadata:
  name: 'service-1'
  title: Service 1   # trailing comment
  description: It's one; "quoted" words, a#hash and a:colon in a word.
  tags: [rust, grpc, tier-2, "q", 'it''s']
  empty:
  list: []
  annotations:
    github.com/project-slug: example/service-1
    backstage.io/techdocs-ref: dir:.
    "quoted key": 1.0
    1.5: x
    ~: null key
  links:
    - url: https://dashboards.example.com/d/service-1
      title: Dashboard
    -   plain item
    - 'quoted item'
    - [flow, item]
spec:
  type: service
  number: 0o17
  yes: no
  dependsOn:
  - resource:service-1-db
  - component:other
  definition: |
    openapi: 3.0.3
    paths:
      /items/{id}:

        get: x # not a comment
  strip: |-
    one
    two


  last: ~
---
- a
- b: c
  d:
- - nested
"#;

#[test]
fn the_shapes_catalog_files_are_written_in_are_read_quickly_and_alike() {
    let (documents, taken) = agree(SHAPES, "shapes");
    assert_eq!((documents, taken), (2, 1), "the nested compact sequence is left to the library");
}

#[test]
fn declines_what_it_does_not_read() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: {b: c}\n",
        "a: >\n  folded\n",
        "a: \"esc\\n\"\n",
        "a: 'two\n  lines'\n",
        "a: plain\n  continued\n",
        "a:\tb\n",
        "a: b\r\n",
        "? complex\n: key\n",
        "a: 1\na: 2\n",
        "a: b: c\n",
        "  indented: root\n",
        "scalar root\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: |\n  no line break at the end",
        "a: [x,\n  y]\n",
        "a: [x,]\n",
    ] {
        assert_eq!(parse(text, 0), None, "{text:?}");
        agree(text, text);
    }
    assert_eq!(parse("# only a comment\n", 0), Some(None));
}

/// A document's shape, to write as YAML in several ways.
#[derive(Debug, Clone)]
enum Shape {
    Scalar(&'static str),
    Literal(Vec<&'static str>, bool),
    Flow(Vec<&'static str>),
    Map(Vec<(&'static str, Shape)>),
    Seq(Vec<Shape>),
}

const KEYS: &[&str] = &["a", "name", "spec.type", "\"quoted key\"", "'single'", "1.5", "~", "true", "k-1", "x y", "é", "a#b", "n"];
const SCALARS: &[&str] = &[
    "1", "value", "'quoted'", "\"double\"", "'it''s'", "~", "null", "2.0", "0x1f", "yes", "https://x.example/a?b=c", "-h",
    "a b  c", "x # comment", "é ü", "[a, 'b', \"c\"]", "[]", "[1, 2.5, ~]", "tier-2", "dir:.", "a:b", "",
];
const TEXT: &[&str] = &["line", "  indented", "", "with: colon", "# hash", "{braces}", "   "];

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        4 => prop::sample::select(SCALARS).prop_map(Shape::Scalar),
        1 => (prop::collection::vec(prop::sample::select(TEXT), 1..4), any::<bool>()).prop_map(|(l, s)| Shape::Literal(l, s)),
        1 => prop::collection::vec(prop::sample::select(&["a", "'b'", "\"c\"", "1", "é"][..]), 0..4).prop_map(Shape::Flow),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 1..5).prop_map(Shape::Map),
            prop::collection::vec(inner, 1..4).prop_map(Shape::Seq),
        ]
    })
}

/// Writes `shape` at `indent`, nested `step` further; `indentless` writes
/// sequences under keys at the key's indent.
fn write(shape: &Shape, indent: usize, step: usize, indentless: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    match shape {
        Shape::Map(entries) => {
            let mut written = std::collections::HashSet::new();
            for (key, value) in entries.iter().filter(|(key, _)| written.insert(*key)) {
                out.push_str(&format!("{pad}{key}:"));
                write_value(value, indent, step, indentless, out);
            }
        }
        Shape::Seq(items) => {
            for item in items {
                out.push_str(&format!("{pad}-"));
                match item {
                    Shape::Map(_) => {
                        let mut nested = String::new();
                        write(item, indent + 2, step, indentless, &mut nested);
                        out.push(' ');
                        out.push_str(&nested[indent + 2..]);
                    }
                    // Left to the library, and tested on their own above.
                    Shape::Seq(_) | Shape::Literal(..) | Shape::Scalar("") => out.push_str(" item\n"),
                    _ => write_value(item, indent, step, indentless, out),
                }
            }
        }
        _ => {
            out.push_str(&pad);
            write_value(shape, indent, step, indentless, out);
        }
    }
}

fn write_value(value: &Shape, indent: usize, step: usize, indentless: bool, out: &mut String) {
    match value {
        Shape::Scalar(s) => out.push_str(&format!(" {s}\n")),
        Shape::Flow(items) => out.push_str(&format!(" [{}]\n", items.join(", "))),
        Shape::Literal(lines, strip) => {
            out.push_str(if *strip { " |-\n" } else { " |\n" });
            for line in std::iter::once(&"first").chain(lines) {
                out.push_str(&format!("{}{line}\n", " ".repeat(indent + step)));
            }
        }
        Shape::Seq(_) if indentless => {
            out.push('\n');
            write(value, indent, step, indentless, out);
        }
        _ => {
            out.push('\n');
            write(value, indent + step, step, indentless, out);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn agrees_with_the_library_on_generated_documents(
        root in prop::collection::vec((prop::sample::select(KEYS), shape()), 1..6),
        step in 1usize..5,
        indentless: bool,
        edit in prop::option::of((0usize..64, 0usize..6)),
    ) {
        let mut text = String::from("---\n");
        write(&Shape::Map(root), 0, step, indentless, &mut text);
        if let Some((line, kind)) = edit {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            let at = line % lines.len();
            match kind {
                0 => { lines.remove(at); }
                1 => lines[at].insert(0, ' '),
                2 => { if lines[at].starts_with(' ') { lines[at].remove(0); } }
                3 => lines[at].push(':'),
                4 => lines[at].push_str(" # c"),
                _ => { let copy = lines[at].clone(); lines.insert(at, copy); }
            }
            text = lines.join("\n") + "\n";
        }
        let (d, t) = agree(&text, &text);
        let _ = (d, t);
    }
}
