//! Sampling (SPEC §9 `--sample`): one watch on Leases in every namespace for the sample's
//! length, counting each Lease's renewals (a MODIFIED event whose `spec.renewTime` moved). The
//! watch starts at the Lease list's resourceVersion, asks for bookmarks, and is opened again
//! (never two at once) when the server ends it (`timeoutSeconds`, the server's own cut) — from
//! the last resourceVersion seen, or from the start of a new watch after a 410 (events of Leases
//! seen before are then only updates, not renewals).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, WatchEvent, WatchParams};

use super::ApiUse;

/// Renewals counted per (namespace, name) during the sample.
#[derive(Debug, Default)]
pub(crate) struct Renewals {
    pub(crate) counts: HashMap<(String, String), u64>,
    /// The sample's length, seconds.
    pub(crate) seconds: f64,
    /// Watches opened (one at a time).
    pub(crate) watches: u64,
}

fn key(l: &Lease) -> (String, String) {
    (l.metadata.namespace.clone().unwrap_or_default(), l.metadata.name.clone().unwrap_or_default())
}

fn renew_time(l: &Lease) -> Option<String> {
    l.spec.as_ref().and_then(|s| s.renew_time.as_ref()).map(|t| t.0.to_string())
}

/// Watches Leases from `version` (the list's, whose renewTimes are `listed`) for `length`,
/// counting renewals; `progress` is called with the elapsed fraction as events arrive.
pub(crate) async fn sample(
    client: &kube::Client,
    version: &str,
    listed: HashMap<(String, String), Option<String>>,
    only: &[String],
    length: Duration,
    usage: &mut ApiUse,
    mut progress: impl FnMut(f64),
) -> Result<Renewals, kube::Error> {
    // One namespace: a watch in it (what namespace-scoped RBAC allows); several: one watch in
    // every namespace, events of the others skipped.
    let api: Api<Lease> = match only {
        [ns] => Api::namespaced(client.clone(), ns),
        _ => Api::all(client.clone()),
    };
    let started = Instant::now();
    let end = started + length;
    let mut version = version.to_string();
    // Each Lease's last known renewTime, from the list, then from the events.
    let mut seen = listed;
    let mut out = Renewals::default();
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        // Rounded up: a watch that ends a moment before the sample does would be opened again.
        let seconds = left.as_secs_f64().ceil().max(1.0);
        let params = WatchParams::default().timeout(u32::try_from(seconds as u64).unwrap_or(u32::MAX));
        usage.requests += 1;
        usage.watches += 1;
        out.watches += 1;
        let stream = match api.watch(&params, &version).await {
            Ok(s) => s,
            // Too old to resume: watch again from now (the next events are updates).
            Err(kube::Error::Api(status)) if status.code == 410 => {
                version = "0".to_string();
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut stream = std::pin::pin!(stream);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let Ok(next) = tokio::time::timeout(left, stream.next()).await else { break };
            progress(started.elapsed().as_secs_f64() / length.as_secs_f64().max(f64::EPSILON));
            match next {
                // One watch in every namespace (never one per namespace): others are skipped.
                Some(Ok(WatchEvent::Modified(l) | WatchEvent::Added(l) | WatchEvent::Deleted(l)))
                    if !only.is_empty() && !only.contains(&key(&l).0) =>
                {
                    version = l.metadata.resource_version.clone().unwrap_or(version);
                }
                Some(Ok(WatchEvent::Modified(l))) => {
                    let now = renew_time(&l);
                    let before = seen.insert(key(&l), now.clone());
                    if now.is_some() && before.is_some_and(|b| b != now) {
                        *out.counts.entry(key(&l)).or_default() += 1;
                    }
                    version = l.metadata.resource_version.clone().unwrap_or(version);
                }
                Some(Ok(WatchEvent::Added(l))) => {
                    seen.insert(key(&l), renew_time(&l));
                    version = l.metadata.resource_version.clone().unwrap_or(version);
                }
                Some(Ok(WatchEvent::Deleted(l))) => {
                    seen.remove(&key(&l));
                    version = l.metadata.resource_version.clone().unwrap_or(version);
                }
                Some(Ok(WatchEvent::Bookmark(b))) => version = b.metadata.resource_version,
                Some(Ok(WatchEvent::Error(status))) if status.code == 410 => {
                    version = "0".to_string();
                    break;
                }
                Some(Ok(WatchEvent::Error(status))) => return Err(kube::Error::Api(status)),
                Some(Err(e)) => return Err(e),
                // The server ended the watch: open it again from where it stopped.
                None => break,
            }
        }
    }
    out.seconds = length.as_secs_f64();
    Ok(out)
}
