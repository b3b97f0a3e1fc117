//! Sampling (SPEC §9 `--sample`): one watch on Leases in every namespace for the sample's
//! length, counting each Lease's renewals (a MODIFIED event whose `spec.renewTime` moved). The
//! watch ([`super::watch`]) starts at the Lease list's resourceVersion, asks for bookmarks, and
//! is opened again (never two at once) when the server ends it (`timeoutSeconds`, the server's
//! own cut) — from the last resourceVersion seen, or from the start of a new watch after a 410
//! (events of Leases seen before are then only updates, not renewals).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;

use super::ApiUse;
use super::watch::{Change, Cursor, Ended, key, watch_once};

/// Renewals counted per (namespace, name) during the sample.
#[derive(Debug, Default)]
pub(crate) struct Renewals {
    pub(crate) counts: HashMap<(String, String), u64>,
    /// The sample's length, seconds.
    pub(crate) seconds: f64,
    /// Watches opened (one at a time).
    pub(crate) watches: u64,
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
    let mut cursor = Cursor { version: version.to_string() };
    // Each Lease's last known renewTime, from the list, then from the events.
    let mut seen = listed;
    let mut out = Renewals::default();
    while Instant::now() < end {
        let left = end.saturating_duration_since(Instant::now());
        // Rounded up: a watch that ends a moment before the sample does would be opened again.
        let seconds = left.as_secs_f64().ceil().max(1.0);
        usage.requests += 1;
        usage.watches += 1;
        out.watches += 1;
        let ended = watch_once(&api, &mut cursor, u32::try_from(seconds as u64).unwrap_or(u32::MAX), Some(end), |c| {
            progress(started.elapsed().as_secs_f64() / length.as_secs_f64().max(f64::EPSILON));
            match c {
                // One watch in every namespace (never one per namespace): others are skipped.
                Change::Added(l) | Change::Modified(l) | Change::Deleted(l)
                    if !only.is_empty() && !only.contains(&key(&l).0) => {}
                Change::Modified(l) => {
                    let now = renew_time(&l);
                    let before = seen.insert(key(&l), now.clone());
                    if now.is_some() && before.is_some_and(|b| b != now) {
                        *out.counts.entry(key(&l)).or_default() += 1;
                    }
                }
                Change::Added(l) => {
                    seen.insert(key(&l), renew_time(&l));
                }
                Change::Deleted(l) => {
                    seen.remove(&key(&l));
                }
                Change::Bookmark => {}
            }
        })
        .await?;
        match ended {
            // Too old to resume: watch again from now (the next events are updates).
            Ended::Gone => cursor.version = "0".to_string(),
            // The server ended the watch: open it again from where it stopped.
            Ended::Closed | Ended::Deadline => {}
        }
    }
    out.seconds = length.as_secs_f64();
    Ok(out)
}
