//! A quick reader for the plain block YAML nearly every catalog file is
//! written in, beside the YAML library that reads everything else.
//!
//! Every YAML parser measured here reads about 65 MB/s: over the 46 MB of
//! the 100,000-entity benchmark catalog, saphyr-parser's events alone took
//! 0.75 s and libyaml's (unsafe-libyaml, libyaml-safer) 0.66-0.71 s, most of
//! a full ingest's parsing. This reader takes documents made only of block
//! mappings and sequences, one-line plain and quoted scalars, one-line flow
//! sequences of scalars and literal block scalars, and builds the very nodes
//! the library's events build, positions included, in one pass over the
//! lines. It declines anything else (tabs, carriage returns, anchors,
//! aliases, tags, flow mappings, folded scalars, multi-line scalars,
//! escapes, complex keys, duplicate keys, anything malformed): such a
//! document goes to saphyr-parser, which stays the reference. The tests hold
//! the two to the same trees on every real-world fixture, on mutations of
//! them and on generated documents.

use std::borrow::Cow;

use saphyr_parser::ScalarStyle;

use super::{Key, Node, Pos, Value, key_of, resolve_scalar};

/// Longest implicit key YAML allows.
const MAX_KEY_CHARS: usize = 1024;

/// One line of a document, without its line break.
struct Line<'a> {
    text: &'a str,
    /// Where its content starts: its leading spaces, or, once a sequence
    /// entry's content is read as a compact mapping, that content's start.
    indent: usize,
    /// Holds only spaces or a comment.
    blank: bool,
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    /// The next line to read.
    at: usize,
    /// Added to 1-based line numbers: where the document starts in its file.
    line_offset: u32,
    /// Whether the document's text ends with a line break.
    ends_with_newline: bool,
}

/// The root of a document in the subset (`None` for an empty document),
/// or `None` when the document holds anything else.
pub(super) fn parse(text: &str, line_offset: u32) -> Option<Option<Node>> {
    if text.bytes().any(|b| b == b'\t' || b == b'\r') {
        return None;
    }
    let mut lines: Vec<Line> = text
        .split('\n')
        .map(|text| {
            let indent = leading_spaces(text);
            let rest = &text[indent..];
            Line { text, indent, blank: rest.is_empty() || rest.starts_with('#') }
        })
        .collect();
    let mut marker_allowed = true;
    for line in &mut lines {
        if line.blank {
            continue;
        }
        if line.text.starts_with("---") && marker_allowed && only_comment(&line.text[3..]) {
            line.blank = true;
        } else if line.text.starts_with("---") || line.text.starts_with("...") || line.text.starts_with('%') {
            return None;
        }
        marker_allowed = false;
    }
    let mut reader = Reader { lines, at: 0, line_offset, ends_with_newline: text.ends_with('\n') };
    reader.skip_blank();
    let Some(first) = reader.lines.get(reader.at) else { return Some(None) };
    if first.indent != 0 {
        return None;
    }
    let root = reader.block(0)?;
    reader.skip_blank();
    (reader.at == reader.lines.len()).then_some(Some(root))
}

/// How many spaces `s` starts with.
fn leading_spaces(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// Nothing but spaces, then perhaps a comment after a space.
fn only_comment(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// A block sequence entry: `-` then a space or the line's end.
fn is_entry(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// Whether a plain scalar may start `s` in this subset (YAML's indicators
/// may not, and a few that could are left to the library).
fn plain_start(s: &str) -> bool {
    match s.as_bytes() {
        [] | [b' ', ..] => false,
        [b'-'] | [b'-', b' ', ..] => false,
        [first, ..] => !b"?:,[]{}#&*!|>'\"%@`".contains(first),
    }
}

/// A one-line quoted scalar starting at `start` (its quote): its text and
/// style, and where it ends. `None` for escapes or a missing closing quote.
fn quoted(text: &str, start: usize) -> Option<(String, ScalarStyle, usize)> {
    let bytes = text.as_bytes();
    if bytes[start] == b'"' {
        let len = text[start + 1..].find('"')?;
        let content = &text[start + 1..start + 1 + len];
        if content.contains('\\') {
            return None;
        }
        return Some((content.to_owned(), ScalarStyle::DoubleQuoted, start + len + 2));
    }
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        let len = text[i..].find('\'')?;
        out.push_str(&text[i..i + len]);
        i += len + 1;
        if bytes.get(i) == Some(&b'\'') {
            out.push('\'');
            i += 1;
        } else {
            return Some((out, ScalarStyle::SingleQuoted, i));
        }
    }
}

/// A mapping key starting at `start`: its text and style, and where its
/// colon is. `None` when the line is not a key followed by `: ` or a
/// line-ending colon.
fn find_key(text: &str, start: usize) -> Option<(Cow<'_, str>, ScalarStyle, usize)> {
    let bytes = text.as_bytes();
    let (key, style, colon) = match bytes.get(start)? {
        b'\'' | b'"' => {
            let (key, style, end) = quoted(text, start)?;
            let colon = end + leading_spaces(&text[end..]);
            (Cow::Owned(key), style, colon)
        }
        _ => {
            if !plain_start(&text[start..]) {
                return None;
            }
            let mut i = start;
            let colon = loop {
                match bytes.get(i)? {
                    b':' if matches!(bytes.get(i + 1), None | Some(b' ')) => break i,
                    b'#' if bytes[i - 1] == b' ' => return None,
                    _ => i += 1,
                }
            };
            let key = &text[start..colon];
            if key.ends_with(' ') {
                return None;
            }
            (Cow::Borrowed(key), ScalarStyle::Plain, colon)
        }
    };
    let followed = bytes.get(colon) == Some(&b':') && matches!(bytes.get(colon + 1), None | Some(b' '));
    (followed && text[start..colon].chars().count() <= MAX_KEY_CHARS).then_some((key, style, colon))
}

/// A one-line plain scalar in block context: `s` up to a comment, without
/// trailing spaces. `None` for what would be a mapping here.
fn plain_value(s: &str) -> Option<&str> {
    if !plain_start(s) {
        return None;
    }
    let bytes = s.as_bytes();
    let mut end = s.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if matches!(bytes.get(i + 1), None | Some(b' ')) => return None,
            b'#' if bytes[i - 1] == b' ' => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Some(s[..end].trim_end_matches(' '))
}

impl<'a> Reader<'a> {
    fn skip_blank(&mut self) {
        while self.lines.get(self.at).is_some_and(|l| l.blank) {
            self.at += 1;
        }
    }

    /// The position of byte `at` of line `line`.
    fn pos(&self, line: usize, at: usize) -> Pos {
        let text = self.lines[line].text;
        let column = if text.is_ascii() { at } else { text[..at].chars().count() };
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Pos::new(narrow(line + 1).saturating_add(self.line_offset), narrow(column + 1))
    }

    /// The mapping or sequence whose first line is the current one.
    fn block(&mut self, indent: usize) -> Option<Node> {
        if is_entry(&self.lines[self.at].text[indent..]) { self.sequence(indent, false) } else { self.mapping(indent) }
    }

    fn mapping(&mut self, indent: usize) -> Option<Node> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.at) else { break };
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (text, style, colon) = find_key(line.text, indent)?;
            let key = key_of(Node { pos: self.pos(self.at, indent), value: resolve_scalar(text, style, None) });
            if entries.iter().any(|(k, _)| k.text == key.text) {
                return None;
            }
            let value = self.value_after_key(indent, colon)?;
            entries.push((key, value));
        }
        let pos = entries.first()?.0.pos;
        Some(Node { pos, value: Value::Map(entries) })
    }

    /// The value of the key whose colon is at `colon` of the current line:
    /// on the same line, on the lines below, or null.
    fn value_after_key(&mut self, indent: usize, colon: usize) -> Option<Node> {
        let line = self.at;
        let text = self.lines[line].text;
        let start = colon + 1 + leading_spaces(&text[colon + 1..]);
        if start < text.len() && text.as_bytes()[start] != b'#' {
            return self.inline_value(line, start, false);
        }
        self.at += 1;
        self.skip_blank();
        match self.lines.get(self.at) {
            Some(next) if next.indent > indent => self.block(next.indent),
            Some(next) if next.indent == indent && is_entry(&next.text[indent..]) => self.sequence(indent, true),
            _ => Some(Node { pos: self.pos(line, colon), value: Value::Null }),
        }
    }

    /// A value that starts at byte `start` of line `line`, which it ends.
    fn inline_value(&mut self, line: usize, start: usize, in_sequence: bool) -> Option<Node> {
        let text = self.lines[line].text;
        let pos = self.pos(line, start);
        let value = match text.as_bytes()[start] {
            b'\'' | b'"' => {
                let (s, _, end) = quoted(text, start)?;
                if !only_comment(&text[end..]) {
                    return None;
                }
                Value::Str(s)
            }
            b'[' => return self.flow_sequence(line, start),
            b'|' if !in_sequence => return self.literal(line, start),
            _ => resolve_scalar(Cow::Borrowed(plain_value(&text[start..])?), ScalarStyle::Plain, None),
        };
        self.at = line + 1;
        Some(Node { pos, value })
    }

    /// `[a, 'b', "c"]` on one line, starting at byte `open`.
    fn flow_sequence(&mut self, line: usize, open: usize) -> Option<Node> {
        let text = self.lines[line].text;
        let bytes = text.as_bytes();
        let skip = |i: usize| i + leading_spaces(text.get(i..).unwrap_or_default());
        let mut items = Vec::new();
        let mut i = skip(open + 1);
        if bytes.get(i) != Some(&b']') {
            loop {
                let pos = self.pos(line, i);
                let (value, end) = match bytes.get(i)? {
                    b'\'' | b'"' => {
                        let (s, _, end) = quoted(text, i)?;
                        (Value::Str(s), end)
                    }
                    _ => {
                        let len = text[i..].find([',', ']'])?;
                        let item = text[i..i + len].trim_end_matches(' ');
                        if !plain_start(item) || item.contains([':', '#', '[', '{', '}', '\'', '"']) {
                            return None;
                        }
                        (resolve_scalar(Cow::Borrowed(item), ScalarStyle::Plain, None), i + len)
                    }
                };
                items.push(Node { pos, value });
                i = skip(end);
                match bytes.get(i)? {
                    b']' => break,
                    b',' => {
                        i = skip(i + 1);
                        if matches!(bytes.get(i), None | Some(b']')) {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        if !only_comment(&text[i + 1..]) {
            return None;
        }
        self.at = line + 1;
        Some(Node { pos: self.pos(line, open), value: Value::Seq(items) })
    }

    /// A literal block scalar (`|` or `|-`) whose indicator is at byte `bar`.
    fn literal(&mut self, line: usize, bar: usize) -> Option<Node> {
        let header = &self.lines[line].text[bar + 1..];
        let (strip, rest) = match header.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, header),
        };
        if !only_comment(rest) {
            return None;
        }
        let first = line + 1;
        let content = self.lines.get(first)?;
        let indent = leading_spaces(content.text);
        if indent == content.text.len() || indent <= self.lines[line].indent {
            return None;
        }
        let mut parts: Vec<&str> = Vec::new();
        let mut next = first;
        while let Some(l) = self.lines.get(next) {
            let spaces = leading_spaces(l.text);
            if spaces == l.text.len() {
                if spaces > indent {
                    return None;
                }
                parts.push("");
            } else if spaces >= indent {
                parts.push(&l.text[indent..]);
            } else {
                break;
            }
            next += 1;
        }
        if next == self.lines.len() && !self.ends_with_newline {
            return None;
        }
        while parts.last() == Some(&"") {
            parts.pop();
        }
        let mut value = parts.join("\n");
        if !strip {
            value.push('\n');
        }
        self.at = next;
        Some(Node { pos: self.pos(first, indent), value: Value::Str(value) })
    }

    /// A block sequence whose entries' dashes are at `indent`; `indentless`
    /// when it is the value of a key at that same indent.
    fn sequence(&mut self, indent: usize, indentless: bool) -> Option<Node> {
        let mut items = Vec::new();
        let mut pos = None;
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.at) else { break };
            if line.indent < indent {
                break;
            }
            let text = line.text;
            if line.indent > indent || !is_entry(&text[indent..]) {
                if indentless && line.indent == indent {
                    break;
                }
                return None;
            }
            let start = indent + 1 + leading_spaces(&text[indent + 1..]);
            let rest = &text[start..];
            if rest.is_empty() || rest.starts_with('#') || is_entry(rest) || (indentless && items.is_empty() && start != indent + 2) {
                return None;
            }
            let here = self.at;
            let item = if find_key(text, start).is_some() {
                self.lines[here].indent = start;
                self.mapping(start)?
            } else {
                self.inline_value(here, start, true)?
            };
            pos.get_or_insert(if indentless { item.pos } else { self.pos(here, indent) });
            items.push(item);
        }
        Some(Node { pos: pos?, value: Value::Seq(items) })
    }
}

#[cfg(test)]
mod tests;
