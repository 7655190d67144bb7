//! Health, rollout state and Backstage's error detection over Kubernetes objects.
