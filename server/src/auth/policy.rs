//! The permission policy: roles from `portolan.yaml`, rules per action,
//! and the defaults when no rule names an action — signed-in users read
//! everything, register locations, refresh and run templates; owners and
//! admins unregister and delete; admins manage tokens.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::auth::{ACTIONS, PermissionConfig};

/// What a rule may let someone do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Register a location.
    LocationCreate,
    /// Unregister a location.
    LocationDelete,
    /// Delete an entity.
    EntityDelete,
    /// Ask for an entity's location to be read again.
    EntityRefresh,
    /// Run a template.
    TaskCreate,
    /// Cancel a task.
    TaskCancel,
    /// Read cluster state.
    KubernetesRead,
    /// Read the audit log.
    AuditRead,
    /// Create, list and revoke API tokens.
    TokenManage,
}

impl Action {
    /// The name used in configuration, tokens' scopes and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::LocationCreate => "catalog.location.create",
            Action::LocationDelete => "catalog.location.delete",
            Action::EntityDelete => "catalog.entity.delete",
            Action::EntityRefresh => "catalog.entity.refresh",
            Action::TaskCreate => "scaffolder.task.create",
            Action::TaskCancel => "scaffolder.task.cancel",
            Action::KubernetesRead => "kubernetes.resources.read",
            Action::AuditRead => "audit.read",
            Action::TokenManage => "auth.token.manage",
        }
    }

    /// Parses a configured name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// Every action.
    pub const ALL: [Action; 9] = [
        Action::LocationCreate,
        Action::LocationDelete,
        Action::EntityDelete,
        Action::EntityRefresh,
        Action::TaskCreate,
        Action::TaskCancel,
        Action::KubernetesRead,
        Action::AuditRead,
        Action::TokenManage,
    ];

    fn default_allow(self) -> &'static [&'static str] {
        match self {
            Action::LocationCreate | Action::EntityRefresh | Action::TaskCreate | Action::KubernetesRead | Action::AuditRead => {
                &["signedIn"]
            }
            Action::LocationDelete | Action::EntityDelete | Action::TaskCancel => &["owner", "admin"],
            Action::TokenManage => &["admin"],
        }
    }
}

/// Who is asking: their user ref and every ref they own through (themselves
/// and their groups, transitively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The user entity ref.
    pub user_ref: String,
    /// Refs that count as "them" for ownership: the user and their groups.
    pub ownership: BTreeSet<String>,
}

/// The rules in force.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    roles: BTreeMap<String, BTreeSet<String>>,
    rules: BTreeMap<Action, Vec<String>>,
}

impl Policy {
    /// The policy of `config` (already checked when the config was loaded).
    pub fn new(config: &PermissionConfig) -> Policy {
        let roles = config
            .roles
            .iter()
            .map(|(role, members)| {
                let refs = members
                    .iter()
                    .filter_map(|m| {
                        let defaults = portolan_catalog::RefDefaults { kind: Some("user"), namespace: None };
                        portolan_catalog::EntityRef::parse(m, defaults).ok().map(|r| r.to_string())
                    })
                    .collect();
                (role.clone(), refs)
            })
            .collect();
        let mut rules: BTreeMap<Action, Vec<String>> = BTreeMap::new();
        for rule in &config.rules {
            for action in rule.actions.iter().filter_map(|a| Action::from_name(a)) {
                rules.entry(action).or_default().extend(rule.allow.iter().cloned());
            }
        }
        debug_assert!(Action::ALL.iter().all(|a| ACTIONS.contains(&a.as_str())));
        Policy { roles, rules }
    }

    /// Whether `subject` holds `role`.
    pub fn has_role(&self, subject: &Subject, role: &str) -> bool {
        self.roles.get(role).is_some_and(|members| subject.ownership.iter().any(|r| members.contains(r)))
    }

    /// Whether `subject` may take `action` on something owned by `owners`
    /// (`None` when the action is not about an owned thing).
    pub fn allows(&self, subject: &Subject, action: Action, owners: Option<&[String]>) -> bool {
        let allow: Vec<&str> = match self.rules.get(&action) {
            Some(allow) => allow.iter().map(String::as_str).collect(),
            None => action.default_allow().to_vec(),
        };
        allow.iter().any(|who| match *who {
            "signedIn" => true,
            "owner" => owners.is_some_and(|owners| owners.iter().any(|o| subject.ownership.contains(o))),
            role => self.has_role(subject, role),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(user: &str, groups: &[&str]) -> Subject {
        let mut ownership: BTreeSet<String> = groups.iter().map(|g| g.to_string()).collect();
        ownership.insert(user.to_owned());
        Subject { user_ref: user.to_owned(), ownership }
    }

    #[test]
    fn defaults_let_owners_and_admins_delete_and_everyone_register() {
        let mut config = PermissionConfig::default();
        config.roles.insert("admin".into(), vec!["group:default/platform".into()]);
        let policy = Policy::new(&config);
        let alice = subject("user:default/alice", &["group:default/payments"]);
        let root = subject("user:default/root", &["group:default/platform"]);
        let owners = vec!["group:default/payments".to_owned()];
        assert!(policy.allows(&alice, Action::LocationCreate, None));
        assert!(policy.allows(&alice, Action::LocationDelete, Some(&owners)));
        assert!(!policy.allows(&alice, Action::LocationDelete, Some(&["group:default/other".to_owned()])));
        assert!(policy.allows(&root, Action::LocationDelete, Some(&["group:default/other".to_owned()])));
        assert!(!policy.allows(&alice, Action::TokenManage, None));
        assert!(policy.allows(&root, Action::TokenManage, None));
    }

    #[test]
    fn rules_replace_the_defaults_of_their_actions() {
        let mut config = PermissionConfig::default();
        config.roles.insert("admin".into(), vec!["user:default/root".into()]);
        config.rules.push(crate::config::auth::PermissionRule {
            actions: vec!["catalog.location.create".into()],
            allow: vec!["admin".into()],
            tags: vec![],
        });
        let policy = Policy::new(&config);
        assert!(!policy.allows(&subject("user:default/alice", &[]), Action::LocationCreate, None));
        assert!(policy.allows(&subject("user:default/root", &[]), Action::LocationCreate, None));
        assert!(policy.allows(&subject("user:default/alice", &[]), Action::EntityRefresh, None), "other actions keep their defaults");
    }
}
