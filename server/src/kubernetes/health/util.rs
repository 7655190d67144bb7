//! Small helpers shared by the health modules: time arithmetic on
//! k8s-openapi's `Time`, short human durations, metadata access.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

/// Seconds from `t` to `now` (negative when `t` is in the future).
pub(crate) fn seconds_since(now: Timestamp, t: &Time) -> i64 {
    now.as_second().saturating_sub(t.0.as_second())
}

/// `t` plus `seconds`, saturating at the ends of jiff's range instead of
/// failing.
pub(crate) fn plus_seconds(t: &Time, seconds: i64) -> Timestamp {
    let second = t.0.as_second().saturating_add(seconds);
    let clamped = second.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(clamped).unwrap_or(t.0)
}

/// "45s", "12m", "3h", "20d", "2y": the precision a status line needs.
pub(crate) fn human(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        86_400..31_536_000 => format!("{}d", s / 86_400),
        _ => format!("{}y", s / 31_536_000),
    }
}

/// The object's name, or "" when it has none.
pub(crate) fn name(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// The object's namespace, or "" when it has none.
pub(crate) fn namespace(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_default()
}

/// One annotation's value.
pub(crate) fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

/// Whether `meta` names an owner with this uid (when both have one) or else
/// this kind and name.
pub(crate) fn owned_by(meta: &ObjectMeta, kind: &str, owner: &ObjectMeta) -> bool {
    let Some(refs) = meta.owner_references.as_ref() else {
        return false;
    };
    refs.iter().any(|r| match (&owner.uid, r.uid.is_empty()) {
        (Some(uid), false) => &r.uid == uid,
        _ => r.kind == kind && Some(&r.name) == owner.name.as_ref(),
    })
}

/// `"count singular"` or `"count plurals"`.
pub(crate) fn plural(count: i64, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// A condition's fields as the k8s-openapi condition types all have them.
pub(crate) struct Cond<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
    pub last_transition: Option<&'a Time>,
}

/// Builds [`Cond`] views from any list of k8s conditions.
macro_rules! conds {
    ($list:expr) => {
        $list
            .into_iter()
            .flatten()
            .map(|c| $crate::kubernetes::health::util::Cond {
                type_: c.type_.as_str(),
                status: c.status.as_str(),
                reason: c.reason.as_deref(),
                message: c.message.as_deref(),
                last_transition: c.last_transition_time.as_ref(),
            })
            .collect::<Vec<_>>()
    };
}
pub(crate) use conds;

/// The condition of this type in a list built with [`conds!`].
pub(crate) fn find<'a, 'b>(conds: &'b [Cond<'a>], type_: &str) -> Option<&'b Cond<'a>> {
    conds.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of this type has status `status`.
pub(crate) fn has(conds: &[Cond<'_>], type_: &str, status: &str) -> bool {
    find(conds, type_).is_some_and(|c| c.status == status)
}
