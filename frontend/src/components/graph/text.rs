//! Texts of the graph: relation types in words, truncated labels, estimated
//! label widths and CSS class tokens.

/// Human text for a relation type: "ownedBy" → "owned by",
/// "providesApi" → "provides API"; unknown camelCase types are split into
/// lower-case words.
pub fn relation_text(relation: &str) -> String {
    let known = match relation.to_ascii_lowercase().as_str() {
        "ownedby" => Some("owned by"),
        "ownerof" => Some("owner of"),
        "providesapi" => Some("provides API"),
        "apiprovidedby" => Some("API provided by"),
        "consumesapi" => Some("consumes API"),
        "apiconsumedby" => Some("API consumed by"),
        "dependson" => Some("depends on"),
        "dependencyof" => Some("dependency of"),
        "haspart" => Some("has part"),
        "partof" => Some("part of"),
        "parentof" => Some("parent of"),
        "childof" => Some("child of"),
        "memberof" => Some("member of"),
        "hasmember" => Some("has member"),
        _ => None,
    };
    if let Some(text) = known {
        return text.to_owned();
    }
    let mut out = String::with_capacity(relation.len() + 4);
    let mut prev_lower = false;
    for c in relation.chars() {
        if c == '_' || c == '-' || c.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        "related to".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The relation types in words, joined by `separator`: "owned by · depends on".
pub(super) fn relations_text(relations: &[String], separator: &str) -> String {
    relations
        .iter()
        .map(|r| relation_text(r))
        .collect::<Vec<_>>()
        .join(separator)
}

/// `text` cut to at most `max` characters, the last one an ellipsis when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Estimated width of a label pill for `text` at the 11px label font.
pub(super) fn label_width(text: &str) -> i32 {
    let chars = i32::try_from(text.chars().count()).unwrap_or(i32::MAX / 8);
    chars.saturating_mul(6).saturating_add(14)
}

/// `value` reduced to lowercase ASCII letters, digits and dashes, for class names.
pub(super) fn css_token(value: &str) -> String {
    let token: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if token.is_empty() {
        "unknown".to_owned()
    } else {
        token
    }
}
