//! Property tests: the hand-written rule scanners agree with Backstage's
//! regular expressions on any input, and entity refs round-trip.

use portolan_catalog::rules;
use portolan_catalog::{EntityRef, RefDefaults};
use proptest::prelude::*;
use regex::Regex;

fn object_name_re() -> Regex {
    Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap()
}

fn backstage_object_name(s: &str) -> bool {
    s.len() <= 63 && object_name_re().is_match(s)
}

fn backstage_dns_label(s: &str) -> bool {
    s.len() <= 63 && Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap().is_match(s)
}

fn backstage_tag(s: &str) -> bool {
    s.len() <= 63 && Regex::new(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$").unwrap().is_match(s)
}

fn backstage_key(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [name] => backstage_object_name(name),
        [prefix, name] => {
            prefix.len() <= 253
                && prefix.split('.').all(backstage_dns_label)
                && backstage_object_name(name)
        }
        _ => false,
    }
}

/// Strings drawn mostly from the characters the rules care about.
fn near_miss() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._/:+#-]{0,70}",
        "[a-z0-9-]{0,70}",
        "[a-z0-9.]{1,20}/[a-zA-Z0-9._-]{0,20}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn object_names_match_backstage(s in near_miss()) {
        prop_assert_eq!(rules::is_valid_object_name(&s), backstage_object_name(&s), "{:?}", s);
    }

    #[test]
    fn namespaces_match_backstage(s in near_miss()) {
        prop_assert_eq!(rules::is_valid_namespace(&s), backstage_dns_label(&s), "{:?}", s);
    }

    #[test]
    fn tags_match_backstage(s in near_miss()) {
        prop_assert_eq!(rules::is_valid_tag(&s), backstage_tag(&s), "{:?}", s);
    }

    #[test]
    fn keys_match_backstage(s in near_miss()) {
        prop_assert_eq!(rules::is_valid_key(&s), backstage_key(&s), "{:?}", s);
    }

    #[test]
    fn label_values_match_backstage(s in near_miss()) {
        prop_assert_eq!(rules::is_valid_label_value(&s), s.is_empty() || backstage_object_name(&s), "{:?}", s);
    }

    #[test]
    fn refs_round_trip(kind in "[A-Za-z][A-Za-z0-9]{0,10}", ns in "[a-z0-9]{1,8}(-[a-z0-9]{1,8})?", name in "[A-Za-z0-9][A-Za-z0-9._-]{0,20}") {
        let text = format!("{kind}:{ns}/{name}");
        let parsed = EntityRef::parse(&text, RefDefaults::default()).unwrap();
        prop_assert_eq!(parsed.to_string(), text.to_ascii_lowercase());
        prop_assert_eq!(parsed.to_string().parse::<EntityRef>().unwrap(), parsed.clone());
        let short = EntityRef::parse(&name, RefDefaults { kind: Some(&kind), namespace: Some(&ns) }).unwrap();
        prop_assert_eq!(short, parsed);
    }

    #[test]
    fn ref_parsing_never_panics(s in any::<String>()) {
        let _ = EntityRef::parse(&s, RefDefaults { kind: Some("Group"), namespace: None });
    }

    #[test]
    fn parsing_any_text_never_panics(s in any::<String>()) {
        let _ = portolan_catalog::parse_catalog_file(&s, &portolan_catalog::NoResolver);
    }
}
