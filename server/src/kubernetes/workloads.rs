//! An entity's workloads in one cluster, judged: the matched Deployments,
//! StatefulSets, DaemonSets, Jobs, CronJobs and HPAs, each with the
//! ReplicaSets, Jobs and pods it owns (by `ownerReferences`), passed to the
//! health engine. Pods the entity's selector matches but no matched workload
//! owns are judged as a bare ReplicaSet-less group.

use std::collections::HashMap;
use std::sync::Arc;

use kube::{Resource, ResourceExt};

use super::cache::ClusterCache;
use super::health::{self, Timestamp, WorkloadStatus};
use super::matching::EntityTarget;
use super::pod::SlimPod;
use super::snapshot::matching;

/// The uids of an object's owners.
fn owners(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> impl Iterator<Item = &str> {
    meta.owner_references.iter().flatten().map(|o| o.uid.as_str())
}

fn owned_by<'a, K: kube::Resource>(items: &'a [Arc<K>], owner: &str) -> Vec<&'a K> {
    items.iter().filter(|i| owners(i.meta()).any(|u| u == owner)).map(|i| i.as_ref()).collect()
}

/// The entity's workloads in `cache`, judged at `now`.
pub fn entity_workloads(cache: &ClusterCache, target: &EntityTarget, now: Timestamp) -> Vec<WorkloadStatus> {
    let cluster = cache.target.name.as_str();
    if target.cluster.as_deref().is_some_and(|c| c != cluster) {
        return Vec::new();
    }
    let s = &cache.stores;
    let pods: Vec<Arc<SlimPod>> = matching(&s.pods, cluster, target);
    let replicasets = matching(&s.replicasets, cluster, target);
    let jobs = matching(&s.jobs, cluster, target);
    let mut out = Vec::new();
    let mut claimed: HashMap<String, ()> = HashMap::new();
    let mut claim = |pods: &[&SlimPod]| {
        for p in pods {
            claimed.insert(p.uid().unwrap_or_default(), ());
        }
    };

    for d in matching(&s.deployments, cluster, target) {
        let uid = d.uid().unwrap_or_default();
        let rs: Vec<_> = owned_by(&replicasets, &uid);
        let mut rs_pods = Vec::new();
        for r in &rs {
            rs_pods.extend(owned_by(&pods, &r.uid().unwrap_or_default()));
        }
        claim(&rs_pods);
        out.push(health::deployment_status(&d, &rs, &rs_pods, now));
    }
    for sts in matching(&s.statefulsets, cluster, target) {
        let owned = owned_by(&pods, &sts.uid().unwrap_or_default());
        claim(&owned);
        out.push(health::statefulset_status(&sts, &owned, now));
    }
    for ds in matching(&s.daemonsets, cluster, target) {
        let owned = owned_by(&pods, &ds.uid().unwrap_or_default());
        claim(&owned);
        out.push(health::daemonset_status(&ds, &owned, now));
    }
    let cronjobs = matching(&s.cronjobs, cluster, target);
    for cj in &cronjobs {
        let owned = owned_by(&jobs, &cj.uid().unwrap_or_default());
        out.push(health::cronjob_status(cj, &owned, now));
    }
    for job in &jobs {
        let by_cronjob = owners(job.meta()).any(|u| cronjobs.iter().any(|c| c.uid().as_deref() == Some(u)));
        let owned = owned_by(&pods, &job.uid().unwrap_or_default());
        claim(&owned);
        if !by_cronjob {
            out.push(health::job_status(job, &owned, now));
        }
    }
    for rs in &replicasets {
        let has_deployment = owners(rs.meta()).next().is_some();
        if !has_deployment {
            let owned = owned_by(&pods, &rs.uid().unwrap_or_default());
            claim(&owned);
            out.push(health::replicaset_status(rs, &owned, now));
        }
    }
    for hpa in matching(&s.hpas, cluster, target) {
        out.push(health::hpa_status(&hpa, now));
    }
    let loose: Vec<&SlimPod> = pods.iter().filter(|p| !claimed.contains_key(&p.uid().unwrap_or_default())).map(|p| p.as_ref()).collect();
    if !loose.is_empty() {
        out.push(loose_pods(&loose, now));
    }
    out.into_iter().map(|w| w.in_cluster(cluster)).collect()
}

/// Pods that no matched workload owns, as one group.
fn loose_pods(pods: &[&SlimPod], now: Timestamp) -> WorkloadStatus {
    let statuses: Vec<_> = pods.iter().map(|p| health::pod_status(p, now)).collect();
    let errors = pods.iter().flat_map(|p| health::detect_pod_errors(p, now)).collect();
    let worst = statuses.iter().map(|p| p.health).max().unwrap_or(health::Health::Unknown);
    let reason = statuses.iter().find(|p| p.health == worst).map(|p| format!("pod {}: {}", p.name, p.reason)).unwrap_or_default();
    let namespace = statuses.first().map(|p| p.namespace.clone()).unwrap_or_default();
    WorkloadStatus {
        cluster: None,
        kind: "Pod".to_owned(),
        api_group: "v1".to_owned(),
        name: if statuses.len() == 1 { "1 pod without a controller".to_owned() } else { format!("{} pods without a controller", statuses.len()) },
        namespace,
        health: worst,
        reason,
        rollout: None,
        job: None,
        scaling: None,
        template_images: Vec::new(),
        running_images: Vec::new(),
        since: None,
        pods: statuses,
        errors,
    }
}
