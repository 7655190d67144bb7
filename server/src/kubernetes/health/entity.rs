//! One verdict for a catalog entity from all its workloads across clusters.

use super::Health;
use super::workloads::WorkloadStatus;

/// Folds an entity's workloads (from every cluster) into one [`Health`] and a
/// one-line reason, worst first: any Failed → Failed, else any Degraded →
/// Degraded (a rollout whose pods fail is already Degraded on its own), else
/// any Progressing → Progressing, else any Unknown → Unknown (one workload we
/// cannot judge keeps the entity from being called Healthy), else Healthy.
/// No workloads at all → Unknown. The reason names the worst workload (and
/// its cluster) and how many others share its state.
pub fn entity_health(workloads: &[WorkloadStatus]) -> (Health, String) {
    let Some(worst) = workloads.iter().max_by_key(|w| w.health) else {
        return (Health::Unknown, "no workloads found".to_owned());
    };
    let same = workloads
        .iter()
        .filter(|w| w.health == worst.health)
        .count();
    let clusters = {
        let mut names: Vec<&str> = workloads
            .iter()
            .filter_map(|w| w.cluster.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    if worst.health == Health::Healthy {
        let across = if clusters > 1 {
            format!(" across {clusters} clusters")
        } else {
            String::new()
        };
        let all = if same == 1 {
            "1 workload healthy".to_owned()
        } else {
            format!("all {same} workloads healthy")
        };
        return (Health::Healthy, format!("{all}{across}"));
    }
    let place = match &worst.cluster {
        Some(cluster) => format!(" in {cluster}"),
        None => String::new(),
    };
    let namespace = if worst.namespace.is_empty() {
        String::new()
    } else {
        format!("{}/", worst.namespace)
    };
    let more = match same {
        1 => String::new(),
        n => format!(" (and {} more {})", n - 1, worst.health),
    };
    (
        worst.health,
        format!(
            "{} {namespace}{}{place}: {}{more}",
            worst.kind, worst.name, worst.reason
        ),
    )
}
