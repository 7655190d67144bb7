//! Backstage's field format rules (`KubernetesValidatorFunctions`,
//! `CommonValidatorFunctions`), written as byte scanners: they run for every
//! name, tag, label and annotation of every entity, so they must be cheap.

/// Longest name, namespace, kind, tag and DNS label Backstage accepts.
pub const MAX_NAME_LEN: usize = 63;
/// Longest DNS subdomain (label/annotation key prefixes, apiVersion groups).
pub const MAX_SUBDOMAIN_LEN: usize = 253;

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `metadata.name`: 1-63 chars, `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`.
pub fn is_valid_object_name(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_NAME_LEN {
        return false;
    }
    is_alnum(b[0])
        && is_alnum(b[b.len() - 1])
        && b.iter().all(|&c| is_alnum(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// A DNS label: 1-63 chars, `^[a-z0-9]+(-[a-z0-9]+)*$` (`metadata.namespace`).
pub fn is_valid_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_NAME_LEN {
        return false;
    }
    let lower_alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    lower_alnum(b[0])
        && lower_alnum(b[b.len() - 1])
        && b.iter().all(|&c| lower_alnum(c) || c == b'-')
        && !s.contains("--")
}

/// A DNS subdomain: at most 253 chars, dot-separated DNS labels.
pub fn is_valid_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SUBDOMAIN_LEN && s.split('.').all(is_valid_dns_label)
}

/// `metadata.namespace`: a DNS label.
pub fn is_valid_namespace(s: &str) -> bool {
    is_valid_dns_label(s)
}

/// `kind`: 1-63 chars, `^[a-zA-Z][a-z0-9A-Z]*$`.
pub fn is_valid_kind(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|&c| is_alnum(c))
}

/// `apiVersion`: `[prefix/]suffix`, prefix a DNS subdomain, suffix 1-63 alphanumerics.
pub fn is_valid_api_version(s: &str) -> bool {
    let (prefix, suffix) = match s.split_once('/') {
        Some((p, v)) => (Some(p), v),
        None => (None, s),
    };
    let suffix_ok = !suffix.is_empty()
        && suffix.len() <= MAX_NAME_LEN
        && suffix.bytes().all(is_alnum);
    suffix_ok && prefix.is_none_or(is_valid_dns_subdomain)
}

/// Label and annotation keys: `[prefix/]name`, at most one `/`, prefix a DNS
/// subdomain, name an object name.
pub fn is_valid_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => {
            is_valid_dns_subdomain(prefix) && !name.contains('/') && is_valid_object_name(name)
        }
        None => is_valid_object_name(s),
    }
}

/// Label values: empty, or an object name.
pub fn is_valid_label_value(s: &str) -> bool {
    s.is_empty() || is_valid_object_name(s)
}

/// Tags: 1-63 chars, `^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`.
pub fn is_valid_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let tag_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b':' | b'+' | b'#');
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && b.iter().all(|&c| tag_char(c) || c == b'-')
        && !s.contains("--")
}

/// What a rule expects, in Backstage's words, for diagnostics.
pub mod expected {
    /// Expectation text for `metadata.name` and similar object names.
    pub const OBJECT_NAME: &str = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total";
    /// Expectation text for `metadata.namespace`.
    pub const NAMESPACE: &str = "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total";
    /// Expectation text for `kind`.
    pub const KIND: &str = "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total";
    /// Expectation text for `apiVersion`.
    pub const API_VERSION: &str = "a string that is a valid apiVersion, [prefix/]version where prefix is a DNS subdomain and version at most 63 of [a-zA-Z0-9]";
    /// Expectation text for label and annotation keys.
    pub const KEY: &str = "a valid prefix and/or suffix: [prefix/]name, prefix a DNS subdomain, name sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters";
    /// Expectation text for label values.
    pub const LABEL_VALUE: &str = "a string that is empty or sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total";
    /// Expectation text for tags.
    pub const TAG: &str = "a string that is sequences of [a-z0-9+#:] separated by [-], at most 63 characters in total";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "my-service", "My_Service.v2", "a1", "1"] {
            assert!(is_valid_object_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "my service", "a/b", &"x".repeat(64), "ä"] {
            assert!(!is_valid_object_name(bad), "{bad}");
        }
    }

    #[test]
    fn namespaces_and_tags() {
        assert!(is_valid_namespace("team-a"));
        assert!(!is_valid_namespace("Team-A"));
        assert!(!is_valid_namespace("a--b"));
        assert!(is_valid_tag("c++"));
        assert!(is_valid_tag("c#"));
        assert!(is_valid_tag("lang:go"));
        assert!(!is_valid_tag("Java"));
        assert!(!is_valid_tag("a_b"));
    }

    #[test]
    fn keys_and_versions() {
        assert!(is_valid_key("backstage.io/kubernetes-id"));
        assert!(is_valid_key("simple"));
        assert!(!is_valid_key("a/b/c"));
        assert!(!is_valid_key("Backstage.io/x"));
        assert!(is_valid_api_version("backstage.io/v1alpha1"));
        assert!(is_valid_api_version("v1"));
        assert!(!is_valid_api_version("backstage.io/"));
        assert!(!is_valid_kind("1Component"));
    }
}
