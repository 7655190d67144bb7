//! GraphQL and protobuf sources with light syntax highlighting, and any other
//! source shown as written.

use leptos::prelude::*;

/// Sources longer than this (in characters) are shown without highlighting.
const MAX_HIGHLIGHT_CHARS: usize = 300_000;

/// The languages the highlighter knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    GraphQl,
    Proto,
    /// No highlighting.
    Plain,
}

impl Lang {
    fn token(self) -> &'static str {
        match self {
            Self::GraphQl => "graphql",
            Self::Proto => "proto",
            Self::Plain => "plain",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::GraphQl => "GraphQL schema",
            Self::Proto => "Protocol Buffers definition",
            Self::Plain => "Definition source",
        }
    }
}

/// The kinds of highlighted token; each becomes `apidef-tok-<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    Keyword,
    Type,
    String,
    Comment,
    Number,
}

impl Tok {
    fn class(self) -> &'static str {
        match self {
            Self::Keyword => "apidef-tok-keyword",
            Self::Type => "apidef-tok-type",
            Self::String => "apidef-tok-string",
            Self::Comment => "apidef-tok-comment",
            Self::Number => "apidef-tok-number",
        }
    }
}

const GRAPHQL_KEYWORDS: &[&str] = &[
    "type",
    "input",
    "enum",
    "scalar",
    "interface",
    "union",
    "schema",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "extend",
    "implements",
    "directive",
    "repeatable",
    "true",
    "false",
    "null",
];
const GRAPHQL_BUILTIN_TYPES: &[&str] = &["Int", "Float", "String", "Boolean", "ID"];
const PROTO_KEYWORDS: &[&str] = &[
    "syntax",
    "edition",
    "package",
    "import",
    "option",
    "service",
    "rpc",
    "returns",
    "stream",
    "message",
    "enum",
    "oneof",
    "map",
    "repeated",
    "optional",
    "required",
    "reserved",
    "extend",
    "extensions",
    "to",
    "max",
    "public",
    "weak",
    "group",
    "true",
    "false",
];
const PROTO_SCALAR_TYPES: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

/// A heading and the highlighted source in `<pre><code>`.
pub(super) fn source_section(text: &str, lang: Lang) -> AnyView {
    let class = format!("apidef-source apidef-lang-{}", lang.token());
    let code = highlighted(text, lang);
    view! {
        <section class="apidef-section apidef-code">
            <h3>{lang.heading()}</h3>
            <pre class=class tabindex="0"><code>{code}</code></pre>
        </section>
    }
    .into_any()
}

/// `text` as text nodes and `<span class="apidef-tok-…">` elements. Leptos
/// escapes every text node, so the source can never become markup.
fn highlighted(text: &str, lang: Lang) -> Vec<AnyView> {
    if lang == Lang::Plain || text.chars().count() > MAX_HIGHLIGHT_CHARS {
        return vec![text.to_owned().into_any()];
    }
    tokenize(text, lang)
        .into_iter()
        .map(|(tok, part)| match tok {
            None => part.into_any(),
            Some(tok) => view! { <span class=tok.class()>{part}</span> }.into_any(),
        })
        .collect()
}

/// Splits `text` into plain runs and tokens. Concatenating the parts gives
/// `text` back exactly.
pub(super) fn tokenize(text: &str, lang: Lang) -> Vec<(Option<Tok>, String)> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let slice = |from: usize, to: usize| -> String {
        chars
            .get(from..to.min(chars.len()))
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    };
    let mut out: Vec<(Option<Tok>, String)> = Vec::new();
    let mut push = |tok: Option<Tok>, part: String| {
        if tok.is_none()
            && let Some((None, last)) = out.last_mut()
        {
            last.push_str(&part);
            return;
        }
        out.push((tok, part));
    };
    let until_newline = |from: usize| {
        let mut j = from;
        while j < chars.len() && at(j) != '\n' {
            j += 1;
        }
        j
    };
    let mut i = 0;
    while i < chars.len() {
        let c = at(i);
        // Comments.
        let line_comment = match lang {
            Lang::GraphQl => c == '#',
            _ => c == '/' && at(i + 1) == '/',
        };
        if line_comment {
            let end = until_newline(i);
            push(Some(Tok::Comment), slice(i, end));
            i = end;
            continue;
        }
        if lang == Lang::Proto && c == '/' && at(i + 1) == '*' {
            let mut j = i + 2;
            while j < chars.len() && !(at(j) == '*' && at(j + 1) == '/') {
                j += 1;
            }
            let end = (j + 2).min(chars.len());
            push(Some(Tok::Comment), slice(i, end));
            i = end;
            continue;
        }
        // Strings.
        if lang == Lang::GraphQl && c == '"' && at(i + 1) == '"' && at(i + 2) == '"' {
            let mut j = i + 3;
            while j < chars.len()
                && !(at(j) == '"'
                    && at(j + 1) == '"'
                    && at(j + 2) == '"'
                    && at(j.saturating_sub(1)) != '\\')
            {
                j += 1;
            }
            let end = (j + 3).min(chars.len());
            push(Some(Tok::String), slice(i, end));
            i = end;
            continue;
        }
        if c == '"' || (lang == Lang::Proto && c == '\'') {
            let mut j = i + 1;
            while j < chars.len() && at(j) != c && at(j) != '\n' {
                j += if at(j) == '\\' { 2 } else { 1 };
            }
            let end = if at(j) == c { j + 1 } else { j }.min(chars.len());
            push(Some(Tok::String), slice(i, end));
            i = end;
            continue;
        }
        // Words.
        if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i + 1;
            loop {
                let d = at(j);
                let qualified = lang == Lang::Proto
                    && d == '.'
                    && (at(j + 1).is_ascii_alphabetic() || at(j + 1) == '_');
                if d.is_ascii_alphanumeric() || d == '_' || qualified {
                    j += 1;
                } else {
                    break;
                }
            }
            let word = slice(i, j);
            push(classify(&word, lang), word);
            i = j;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == '.' || at(j) == '_' {
                j += 1;
            }
            push(Some(Tok::Number), slice(i, j));
            i = j;
            continue;
        }
        push(None, c.to_string());
        i += 1;
    }
    out
}

/// The token kind of a word, or `None` for plain identifiers.
fn classify(word: &str, lang: Lang) -> Option<Tok> {
    let (keywords, builtins) = match lang {
        Lang::GraphQl => (GRAPHQL_KEYWORDS, GRAPHQL_BUILTIN_TYPES),
        Lang::Proto => (PROTO_KEYWORDS, PROTO_SCALAR_TYPES),
        Lang::Plain => return None,
    };
    if keywords.contains(&word) {
        return Some(Tok::Keyword);
    }
    if builtins.contains(&word) {
        return Some(Tok::Type);
    }
    // By convention type names start with a capital; ALL_CAPS are enum values.
    let last = word.rsplit('.').next().unwrap_or(word);
    let capital = last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let all_caps = last.len() > 1
        && last
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    (capital && !all_caps).then_some(Tok::Type)
}
