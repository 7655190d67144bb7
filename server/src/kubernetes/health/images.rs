//! Which images a workload asks for (its pod template) and which ones its pods
//! actually run (`image` + the resolved `imageID` digest), so a page can say
//! "running 1.4.2 (sha256:…) since …" and spot pods left on an old version.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodSpec;
use serde::Serialize;

use crate::kubernetes::pod::SlimPod;

/// One container image of a pod template, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    /// The container it belongs to.
    pub container: String,
    /// The image exactly as written, e.g. `ghcr.io/org/app:1.4.2`.
    pub image: String,
    /// The image without tag and digest, e.g. `ghcr.io/org/app`.
    pub repository: String,
    /// The tag, when one is written (`latest` is not assumed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The digest, when the image is pinned with `@sha256:…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// An init container's image.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
}

/// An image the pods of a workload are running, with how many pods run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningImage {
    /// The container running it.
    pub container: String,
    /// The image as the kubelet reports it (`status.containerStatuses[].image`).
    pub image: String,
    /// The tag of that image, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The resolved image ID (`imageID`), when the image has been pulled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The digest inside the image ID, e.g. `sha256:…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// How many of the given pods run this exact image in this container.
    pub pods: u32,
}

/// Splits an image reference into repository, tag and digest. A `:` only
/// starts a tag after the last `/`, so registry ports (`host:5000/app`) stay
/// in the repository.
pub fn parse_image(image: &str) -> (String, Option<String>, Option<String>) {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest.to_owned())),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(colon) => {
            let at = slash + colon;
            (
                rest[..at].to_owned(),
                Some(rest[at + 1..].to_owned()).filter(|t| !t.is_empty()),
                digest,
            )
        }
        None => (rest.to_owned(), None, digest),
    }
}

/// The digest inside a kubelet image ID: `docker-pullable://app@sha256:…`,
/// `repo@sha256:…` or a bare `sha256:…`.
pub(crate) fn digest_of(image_id: &str) -> Option<String> {
    if let Some((_, digest)) = image_id.rsplit_once('@') {
        return Some(digest.to_owned()).filter(|d| !d.is_empty());
    }
    let bare = image_id.strip_prefix("docker://").unwrap_or(image_id);
    bare.starts_with("sha256:").then(|| bare.to_owned())
}

/// The images of a pod template: init containers first, as they start first.
pub(crate) fn template_images(spec: Option<&PodSpec>) -> Vec<ImageRef> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    let init = spec.init_containers.iter().flatten().map(|c| (c, true));
    let main = spec.containers.iter().map(|c| (c, false));
    init.chain(main)
        .filter_map(|(c, init)| {
            let image = c.image.clone()?;
            let (repository, tag, digest) = parse_image(&image);
            Some(ImageRef {
                container: c.name.clone(),
                image,
                repository,
                tag,
                digest,
                init,
            })
        })
        .collect()
}

/// The distinct (container, image, imageID) triples the pods' regular
/// containers report, with a pod count each, in container-name order.
pub(crate) fn running_images(pods: &[&SlimPod]) -> Vec<RunningImage> {
    let mut seen: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for pod in pods {
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_deref());
        for cs in statuses.unwrap_or_default() {
            *seen
                .entry((cs.name.clone(), cs.image.clone(), cs.image_id.clone()))
                .or_default() += 1;
        }
    }
    seen.into_iter()
        .map(|((container, image, image_id), pods)| RunningImage {
            container,
            tag: parse_image(&image).1,
            digest: digest_of(&image_id),
            image,
            image_id: Some(image_id).filter(|id| !id.is_empty()),
            pods,
        })
        .collect()
}
