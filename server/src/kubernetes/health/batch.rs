//! Jobs and CronJobs: a failed Job is Failed, a running one Progressing, a
//! CronJob is as healthy as its latest run.

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::kubernetes::pod::SlimPod;
use super::Health;
use super::util::{conds, find, human, owned_by, plural, seconds_since};
use super::workloads::{WorkloadStatus, finish};

/// A Job's counts, or a CronJob's schedule and latest run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// Pods running now.
    pub active: i32,
    /// Of those, ready.
    pub ready: i32,
    /// Pods that succeeded.
    pub succeeded: i32,
    /// Pods that failed.
    pub failed: i32,
    /// Successful pods needed (`spec.completions`, default 1).
    pub completions: Option<i32>,
    /// `spec.suspend`.
    pub suspended: bool,
    /// When the Job started (a CronJob: when it last scheduled a run).
    pub start_time: Option<Time>,
    /// When the Job completed (a CronJob: its last successful run).
    pub completion_time: Option<Time>,
    /// A CronJob's schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A CronJob's latest Job, judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_job: Option<Box<WorkloadStatus>>,
}

/// A Job's health: `Failed` condition → Failed, `Complete` → Healthy,
/// running pods → Progressing (Degraded once pods have failed and it
/// retries), suspended → Healthy. `pods` are its pods.
pub fn job_status(job: &Job, pods: &[&SlimPod], now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("Job", "batch/v1", &job.metadata);
    let spec = job.spec.as_ref();
    let status = job.status.as_ref();
    let conditions = conds!(status.and_then(|s| s.conditions.as_ref()));
    let summary = JobSummary {
        active: status.and_then(|s| s.active).unwrap_or(0),
        ready: status.and_then(|s| s.ready).unwrap_or(0),
        succeeded: status.and_then(|s| s.succeeded).unwrap_or(0),
        failed: status.and_then(|s| s.failed).unwrap_or(0),
        completions: spec.and_then(|s| s.completions),
        suspended: spec.and_then(|s| s.suspend).unwrap_or(false),
        start_time: status.and_then(|s| s.start_time.clone()),
        completion_time: status.and_then(|s| s.completion_time.clone()),
        schedule: None,
        last_job: None,
    };
    let is = |t: &str| find(&conditions, t).filter(|c| c.status == "True");
    let verdict = if let Some(c) = is("Failed").or_else(|| is("FailureTarget")) {
        let why = c.reason.unwrap_or("Failed");
        (
            Health::Failed,
            c.message.map_or_else(
                || format!("failed: {why}"),
                |m| format!("failed: {why}: {m}"),
            ),
        )
    } else if is("Complete").is_some() || is("SuccessCriteriaMet").is_some() {
        let took = match (&summary.start_time, &summary.completion_time) {
            (Some(s), Some(c)) => format!(" in {}", human(c.0.as_second() - s.0.as_second())),
            _ => String::new(),
        };
        (Health::Healthy, format!("completed{took}"))
    } else if summary.suspended || is("Suspended").is_some() {
        (Health::Healthy, "suspended".to_owned())
    } else if status.is_none() {
        (Health::Unknown, "no status reported yet".to_owned())
    } else if summary.failed > 0 {
        (
            Health::Degraded,
            format!(
                "retrying after {}, {} active",
                plural(summary.failed.into(), "failed pod"),
                summary.active
            ),
        )
    } else {
        let age = summary
            .start_time
            .as_ref()
            .map(|t| format!(" for {}", human(seconds_since(now, t))));
        (
            Health::Progressing,
            format!(
                "running{}, {} active",
                age.unwrap_or_default(),
                summary.active
            ),
        )
    };
    w.job = Some(summary);
    let template = spec.and_then(|s| s.template.spec.as_ref());
    w.since = summary_start(&w);
    finish(w, verdict, template, pods, now)
}

fn summary_start(w: &WorkloadStatus) -> Option<Time> {
    w.job.as_ref().and_then(|j| j.start_time.clone())
}

/// A CronJob's health: suspended → Healthy; a run in progress →
/// Progressing; otherwise the verdict of its newest Job (`jobs` are its Jobs;
/// others are ignored when ownership can be told). Without Jobs, the status'
/// last schedule and last success times decide.
pub fn cronjob_status(cj: &CronJob, jobs: &[&Job], now: Timestamp) -> WorkloadStatus {
    let mut w = WorkloadStatus::new("CronJob", "batch/v1", &cj.metadata);
    let spec = cj.spec.as_ref();
    let status = cj.status.as_ref();
    let owned: Vec<&&Job> = jobs
        .iter()
        .filter(|j| owned_by(&j.metadata, "CronJob", &cj.metadata))
        .collect();
    let candidates = if owned.is_empty() {
        jobs.iter().collect()
    } else {
        owned
    };
    let newest = candidates
        .into_iter()
        .max_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .map(|j| Box::new(job_status(j, &[], now)));
    let last_schedule = status.and_then(|s| s.last_schedule_time.clone());
    let last_success = status.and_then(|s| s.last_successful_time.clone());
    let active = status.and_then(|s| s.active.as_ref()).map_or(0, Vec::len);
    let suspended = spec.and_then(|s| s.suspend).unwrap_or(false);
    let verdict = if suspended {
        (Health::Healthy, "suspended".to_owned())
    } else if let Some(job) = newest.as_ref() {
        (job.health, format!("last run {}: {}", job.name, job.reason))
    } else if active > 0 {
        (
            Health::Progressing,
            format!(
                "{} running",
                plural(i64::try_from(active).unwrap_or(i64::MAX), "job")
            ),
        )
    } else {
        match (&last_schedule, &last_success) {
            (None, _) => (Health::Healthy, "not run yet".to_owned()),
            (Some(s), Some(ok)) if ok.0 >= s.0 => (
                Health::Healthy,
                format!("last run succeeded {} ago", human(seconds_since(now, ok))),
            ),
            (Some(s), _) => (
                Health::Unknown,
                format!(
                    "last run {} ago, no success recorded since",
                    human(seconds_since(now, s))
                ),
            ),
        }
    };
    w.job = Some(JobSummary {
        active: i32::try_from(active).unwrap_or(i32::MAX),
        ready: 0,
        succeeded: 0,
        failed: 0,
        completions: None,
        suspended,
        start_time: last_schedule,
        completion_time: last_success,
        schedule: spec.map(|s| s.schedule.clone()),
        last_job: newest,
    });
    let template = spec
        .and_then(|s| s.job_template.spec.as_ref())
        .and_then(|j| j.template.spec.as_ref());
    w.since = summary_start(&w);
    finish(w, verdict, template, &[], now)
}
