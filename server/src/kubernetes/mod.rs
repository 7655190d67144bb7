//! Live deploy and health status from Kubernetes clusters: a watch cache per
//! cluster (kube-runtime watchers and reflector stores), workloads matched to
//! catalog entities by Backstage's annotations, health and errors worked out
//! from the cached objects, changes pushed to pages as they happen.

pub mod health;
