//! The portal's pages, one module each, plus small helpers they share.

pub mod audit;
pub mod catalog;
pub mod entity;
pub mod entity_kinds;
pub mod home;
pub mod kubernetes;
pub mod not_found;
pub mod placeholder;
pub mod register;
pub mod scaffold;

/// Link to the catalog list restricted to `kind`, e.g. `/catalog?kind=component`.
pub fn kind_href(kind: &str) -> String {
    format!(
        "/catalog?kind={}",
        encode_query_value(&kind.to_ascii_lowercase())
    )
}

/// Percent-encodes `value` for use inside a URL query string (space as `+`).
pub fn encode_query_value(value: &str) -> String {
    percent_encode(value, "+")
}

/// Percent-encodes `value` for use as one path segment.
pub fn encode_path_segment(value: &str) -> String {
    percent_encode(value, "%20")
}

/// Keeps RFC 3986's unreserved characters, writes a space as `space`, and
/// percent-encodes every other byte.
fn percent_encode(value: &str, space: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A Backstage relation type in words, e.g. `ownedBy` → "owned by".
pub fn relation_label(relation: &str) -> &'static str {
    match relation {
        "ownedBy" => "owned by",
        "ownerOf" => "owner of",
        "partOf" => "part of",
        "hasPart" => "has part",
        "providesApi" => "provides API",
        "apiProvidedBy" => "API provided by",
        "consumesApi" => "consumes API",
        "apiConsumedBy" => "API consumed by",
        "dependsOn" => "depends on",
        "dependencyOf" => "dependency of",
        "childOf" => "child of",
        "parentOf" => "parent of",
        "memberOf" => "member of",
        "hasMember" => "has member",
        _ => "related to",
    }
}

/// A reference shown short: `group:default/team-a` → `team-a`, keeping the
/// kind when it is not the one expected and the namespace when not default.
pub fn short_ref(entity_ref: &str, expected_kind: Option<&str>) -> String {
    let (kind, rest) = match entity_ref.split_once(':') {
        Some((k, r)) => (Some(k), r),
        None => (None, entity_ref),
    };
    let rest = rest.strip_prefix("default/").unwrap_or(rest);
    match (kind, expected_kind) {
        (Some(k), Some(e)) if k.eq_ignore_ascii_case(e) => rest.to_owned(),
        (Some(k), _) => format!("{k}:{rest}"),
        (None, _) => rest.to_owned(),
    }
}

/// The page of `entity_ref` (`kind:namespace/name`, any case).
pub fn ref_href(entity_ref: &str) -> Option<String> {
    let (kind, rest) = entity_ref.split_once(':')?;
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    Some(crate::data::entity_href(kind, namespace, name))
}

/// A link to the entity a spec field names (`team-a`, `group:team-a`, …),
/// shown short; `kind` is the field's default kind.
pub fn ref_link(value: &str, kind: &str) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    let full = if value.contains(':') { value.to_owned() } else { format!("{kind}:{value}") };
    let shown = short_ref(value, Some(kind));
    match ref_href(&full) {
        Some(href) => view! { <a href=href>{shown}</a> }.into_any(),
        None => shown.into_any(),
    }
}

/// `value` reduced to lowercase ASCII letters, digits and dashes, for class names.
pub fn css_token(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect()
}

/// A one-line explanation of a Backstage kind, for the home page cards.
pub fn kind_blurb(kind: &str) -> &'static str {
    match kind.to_ascii_lowercase().as_str() {
        "component" => "Services, websites, libraries and other pieces of software.",
        "api" => "Interfaces that components provide and consume.",
        "system" => "Collections of components and APIs that form a product.",
        "domain" => "Business areas that group related systems.",
        "resource" => "Infrastructure a component needs at runtime: databases, buckets, queues.",
        "group" => "Teams and other organisational units.",
        "user" => "People, members of groups.",
        "location" => "References to more catalog files.",
        "template" => "Software templates for creating new projects.",
        _ => "Entities of a custom kind.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode_query_value("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(kind_href("API"), "/catalog?kind=api");
        assert_eq!(encode_path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(short_ref("group:default/team-a", Some("group")), "team-a");
        assert_eq!(short_ref("user:ops/jo", Some("group")), "user:ops/jo");
        assert_eq!(ref_href("component:default/web").as_deref(), Some("/catalog/default/component/web"));
    }
}
