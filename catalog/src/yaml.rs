//! YAML documents as a tree of nodes that remember where they stand.
//!
//! Catalog files are multi-document YAML. Backstage reads them with the npm
//! `yaml` package (YAML 1.2 core schema, duplicate keys are errors, one broken
//! document does not hide its neighbours). We split the stream at its
//! document markers first, so that a syntax error stays inside its own
//! document, and then parse each document with `saphyr-parser`, keeping the
//! line and column of every node for diagnostics; a document in the plain
//! block YAML most catalog files are written in is read by [`fast`]
//! instead, into the same nodes, several times quicker.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

mod fast;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub column: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What the node holds.
    pub value: Value,
}

/// A mapping key: always text (YAML scalars as written), with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// Where the key starts.
    pub pos: Pos,
    /// The key's text.
    pub text: String,
}

/// Values of the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// The name of the value's type as a user would say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }
}

impl Node {
    /// The string, if this node is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this node is a mapping.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key`, if this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.text == key).map(|(_, v)| v)
    }

    /// The node as JSON, the form entities take on the API and in storage.
    pub fn to_json(&self) -> serde_json::Value {
        self.clone().into_json()
    }

    /// [`Node::to_json`], moving the strings instead of copying them.
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s),
            Value::Seq(items) => J::Array(items.into_iter().map(Node::into_json).collect()),
            Value::Map(entries) => J::Object(entries.into_iter().map(|(k, v)| (k.text, v.into_json())).collect()),
        }
    }
}

/// A syntax error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// What it found wrong.
    pub message: String,
}

/// One document of a YAML stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based index of the document in its file, empty documents included.
    pub index: usize,
    /// Line where the document starts (its `---` if it has one).
    pub line: u32,
    /// The root node, `None` for an empty document, or the syntax error.
    pub root: Result<Option<Node>, SyntaxError>,
}

/// Splits a YAML stream into documents and parses each on its own.
pub fn parse_documents(text: &str) -> Vec<Document> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    split_documents(text)
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| Document {
            index: i + 1,
            line: chunk.first_line,
            root: parse_one(chunk.text, chunk.first_line - 1),
        })
        .collect()
}

struct Chunk<'a> {
    text: &'a str,
    first_line: u32,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Cuts the stream before every `---` line. Text before the first marker that
/// holds only blank lines, comments and directives belongs to the first
/// document; an empty file has no document at all.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut only_preamble = true;
    let mut offset = 0usize;
    let mut line_no = 1u32;
    for line in text.split_inclusive('\n') {
        if is_marker(line, "---") && offset > start {
            if !only_preamble {
                chunks.push(Chunk { text: &text[start..offset], first_line: start_line });
                start = offset;
                start_line = line_no;
            }
            only_preamble = false;
        } else if is_marker(line, "---") {
            only_preamble = false;
        } else if only_preamble && !(is_blank_or_comment(line) || line.starts_with('%')) {
            only_preamble = false;
        }
        offset += line.len();
        line_no += 1;
    }
    if start < text.len() {
        chunks.push(Chunk { text: &text[start..], first_line: start_line });
    }
    chunks
}

fn pos_of(span: &Span, line_offset: u32) -> Pos {
    Pos::new(
        u32::try_from(span.start.line()).unwrap_or(u32::MAX).saturating_add(line_offset),
        u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    )
}

fn parse_one(text: &str, line_offset: u32) -> Result<Option<Node>, SyntaxError> {
    match fast::parse(text, line_offset) {
        Some(root) => Ok(root),
        None => parse_with_library(text, line_offset),
    }
}

/// A document as saphyr-parser reads it: the reference [`fast`] is held to.
fn parse_with_library(text: &str, line_offset: u32) -> Result<Option<Node>, SyntaxError> {
    let mut builder = TreeBuilder { parser: Parser::new_from_str(text), line_offset, anchors: HashMap::new() };
    builder.document()
}

struct TreeBuilder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    line_offset: u32,
    anchors: HashMap<usize, Node>,
}

enum Step<'a> {
    Node(Node),
    End,
    Other(Event<'a>, Pos),
}

impl<'a> TreeBuilder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Pos), SyntaxError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, pos_of(&span, self.line_offset))),
            Some(Err(e)) => Err(SyntaxError {
                pos: Pos::new(
                    u32::try_from(e.marker().line()).unwrap_or(u32::MAX).saturating_add(self.line_offset),
                    u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
                ),
                message: e.info().to_owned(),
            }),
            None => Err(SyntaxError { pos: Pos::new(self.line_offset + 1, 1), message: "unexpected end of input".into() }),
        }
    }

    fn document(&mut self) -> Result<Option<Node>, SyntaxError> {
        let mut root = None;
        loop {
            match self.step()? {
                Step::Node(node) => {
                    if root.is_some() {
                        return Err(SyntaxError {
                            pos: node.pos,
                            message: "a second document starts here without a `---` line before it".into(),
                        });
                    }
                    root = Some(node);
                }
                Step::Other(Event::StreamEnd, _) => {
                    return Ok(root.filter(|r: &Node| r.value != Value::Null));
                }
                Step::Other(Event::DocumentStart(_) | Event::DocumentEnd | Event::StreamStart, _) => {}
                Step::Other(_, pos) => return Err(unexpected(pos)),
                Step::End => return Err(unexpected(Pos::new(self.line_offset + 1, 1))),
            }
        }
    }

    fn step(&mut self) -> Result<Step<'a>, SyntaxError> {
        let (event, pos) = self.next()?;
        Ok(match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(text, style, tag.as_deref().map(|t| (t.handle.as_str(), t.suffix.as_str())));
                Step::Node(self.remember(anchor, Node { pos, value }))
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.step()? {
                        Step::Node(n) => items.push(n),
                        Step::End => break,
                        Step::Other(_, p) => return Err(unexpected(p)),
                    }
                }
                Step::Node(self.remember(anchor, Node { pos, value: Value::Seq(items) }))
            }
            Event::MappingStart(anchor, _) => {
                let entries = self.mapping()?;
                Step::Node(self.remember(anchor, Node { pos, value: Value::Map(entries) }))
            }
            Event::SequenceEnd | Event::MappingEnd => Step::End,
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => Step::Node(Node { pos, value: node.value.clone() }),
                None => return Err(SyntaxError { pos, message: "alias to an unknown anchor".into() }),
            },
            other => Step::Other(other, pos),
        })
    }

    fn mapping(&mut self) -> Result<Vec<(Key, Node)>, SyntaxError> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            let key = match self.step()? {
                Step::End => return Ok(entries),
                Step::Node(n) => key_of(n),
                Step::Other(_, p) => return Err(unexpected(p)),
            };
            let value = match self.step()? {
                Step::Node(n) => n,
                Step::End | Step::Other(..) => return Err(unexpected(key.pos)),
            };
            if entries.iter().any(|(k, _)| k.text == key.text) {
                return Err(SyntaxError {
                    pos: key.pos,
                    message: format!("duplicate key `{}`: mapping keys must be unique", key.text),
                });
            }
            entries.push((key, value));
        }
    }

    fn remember(&mut self, anchor: usize, node: Node) -> Node {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        node
    }
}

fn unexpected(pos: Pos) -> SyntaxError {
    SyntaxError { pos, message: "unexpected YAML structure".into() }
}

fn key_of(node: Node) -> Key {
    let text = match &node.value {
        Value::Str(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        // Like Backstage's reader, a collection used as a key becomes its text.
        Value::Seq(_) | Value::Map(_) => node.to_json().to_string(),
    };
    Key { pos: node.pos, text }
}

/// Resolves a scalar by the YAML 1.2 core schema, as Backstage's reader does.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<(&str, &str)>) -> Value {
    match tag {
        Some(("!!", "str")) => return Value::Str(text.into_owned()),
        Some(("!!", "int" | "float" | "bool" | "null")) => {}
        Some(_) if style != ScalarStyle::Plain => return Value::Str(text.into_owned()),
        _ if style != ScalarStyle::Plain => return Value::Str(text.into_owned()),
        _ => {}
    }
    resolve_plain(&text).unwrap_or_else(|| Value::Str(text.into_owned()))
}

fn resolve_plain(s: &str) -> Option<Value> {
    let Some(&first) = s.as_bytes().first() else { return Some(Value::Null) };
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F')) {
        return None;
    }
    match s {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(Value::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::Int);
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s.parse::<i64>().map_or_else(|_| Value::Float(s.parse().unwrap_or(f64::NAN)), Value::Int));
    }
    if is_core_float(digits) {
        return s.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, sign already removed.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests;
