//! The portal's pages, one module each, plus small helpers they share.

pub mod catalog;
pub mod home;
pub mod not_found;
pub mod placeholder;

/// Link to the catalog list restricted to `kind`, e.g. `/catalog?kind=component`.
pub fn kind_href(kind: &str) -> String {
    format!(
        "/catalog?kind={}",
        encode_query_value(&kind.to_ascii_lowercase())
    )
}

/// Percent-encodes `value` for use inside a URL query string.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
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
    }
}
