//! The real-world objects of shared/fixtures/k8s-samples served to kube's
//! typed watchers: every sample deserialises and reaches the store.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use super::{ID, Reflector, eventually, fake, within};
use crate::fake_kube::sample_objects;

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/k8s-samples")
}

/// `namespace/name` of what the store holds.
async fn watched<K>(client: &Client) -> BTreeSet<String>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone + Send + Sync,
{
    let reflector = Reflector::start(Api::<K>::all(client.clone()), watcher::Config::default().labels(&format!("{ID}=samples")));
    let ready = tokio::time::timeout(Duration::from_secs(5), reflector.store.wait_until_ready()).await;
    assert!(ready.is_ok(), "{} store not ready: {:?}", K::kind(&K::DynamicType::default()), reflector.error_texts());
    assert_eq!(reflector.error_count(), 0, "{}: {:?}", K::kind(&K::DynamicType::default()), reflector.error_texts());
    reflector.store.state().iter().map(|o| format!("{}/{}", o.namespace().unwrap_or_default(), o.name_any())).collect()
}

#[tokio::test]
async fn every_sample_reaches_a_typed_reflector() {
    let dir = samples_dir();
    assert!(dir.is_dir(), "{} is missing", dir.display());
    let (kube, client) = fake().await;
    let samples = sample_objects(&dir);
    assert!(samples.len() >= 40, "{} samples", samples.len());
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_file, mut object) in samples {
        object["metadata"]["labels"][ID] = json!("samples");
        let stored = kube.apply(object);
        let key = format!("{}/{}", stored["metadata"]["namespace"].as_str().expect("ns"), stored["metadata"]["name"].as_str().expect("name"));
        expected.entry(stored["kind"].as_str().expect("kind").to_owned()).or_default().insert(key);
    }
    assert_eq!(expected.keys().collect::<Vec<_>>(), ["Deployment", "HorizontalPodAutoscaler", "Pod", "ReplicaSet"]);
    assert_eq!(watched::<Pod>(&client).await, expected["Pod"]);
    assert_eq!(watched::<Deployment>(&client).await, expected["Deployment"]);
    assert_eq!(watched::<ReplicaSet>(&client).await, expected["ReplicaSet"]);
    assert_eq!(watched::<HorizontalPodAutoscaler>(&client).await, expected["HorizontalPodAutoscaler"]);

    // autoscaling/v1 objects are served as autoscaling/v2, converted like the API server does.
    let hpa: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "default");
    let nginx = hpa.get("nginx").await.expect("k9s hpa.json");
    let metric = &nginx.spec.as_ref().expect("spec").metrics.as_ref().expect("metrics")[0];
    assert_eq!(metric.resource.as_ref().expect("resource").target.average_utilization, Some(10));
    let conditions = nginx.status.expect("status").conditions.expect("conditions from the annotation");
    assert_eq!(conditions[0].reason.as_deref(), Some("FailedGetScale"));

    // load_samples applies the files as they are (no label), last one of a name wins.
    let (plain, client) = fake().await;
    let stored = plain.load_samples(&dir);
    assert!(stored.len() >= 40);
    let pods: Api<Pod> = Api::all(client);
    let reflector = Reflector::start(pods, watcher::Config::default());
    within("store ready", Duration::from_secs(5), reflector.store.wait_until_ready()).await.expect("ready");
    eventually("all sample pods", Duration::from_secs(1), || reflector.store.state().len() == expected["Pod"].len()).await;
}
