//! serve's lease watch (`--watch-leases`, SPEC §11): for the life of the server, one watch on
//! Leases in every namespace (never one per namespace). It lists the Leases once (pages of
//! [`super::PAGE_SIZE`], the client-side rate limit), then watches from the list's
//! resourceVersion with bookmarks ([`super::watch`]); when the server ends a watch it opens the
//! next from the last resourceVersion seen, and after a 410 it lists again. Errors go to the
//! log; while the watch is down the sink hears so, and it retries with backoff.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;

use super::tracker::{LeaseSink, LeaseTracker};
use super::watch::{Change, Cursor, Ended, watch_once};
use super::{ApiUse, RateLimit, error_chain, list_each};

/// `timeoutSeconds` of each watch, seconds: kube's default (290 s, under the 295 s its client
/// allows). The server ends the watch then (or sooner, at its own cut), and the next one starts
/// where it stopped: about one watch request per 5 minutes.
const WATCH_TIMEOUT_SECONDS: u32 = 290;
/// The first wait after an error, doubled after each failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between two attempts (client-go's reflector backs off to 30 s as well).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A watch that ends sooner than this without an event counts as a failure for the backoff (a
/// server that closes every watch at once is not asked again in a tight loop).
const SHORTEST_WATCH: Duration = Duration::from_secs(1);
/// The list's rate limit: the audit's defaults (SPEC §9: 20 requests/s, burst 40).
const LIST_QPS: f64 = 20.0;
const LIST_BURST: u32 = 40;

/// The wait before the next attempt: doubles while attempts fail, back to the first after a
/// success.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Backoff {
        Backoff { next: FIRST_BACKOFF }
    }

    fn reset(&mut self) {
        self.next = FIRST_BACKOFF;
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(MAX_BACKOFF);
    }
}

/// Follows the Leases for ever (the server aborts the task at shutdown), telling `sink` the
/// counts and renewals; `log` gets one line per error and per re-list.
pub(crate) async fn follow_leases<S: LeaseSink + Send>(
    client: kube::Client,
    sink: &mut S,
    log: &(dyn Fn(String) + Send + Sync),
) {
    let api: Api<Lease> = Api::all(client);
    let mut tracker = LeaseTracker::default();
    let mut limit = RateLimit::new(LIST_QPS, LIST_BURST);
    let mut usage = ApiUse::default();
    let mut backoff = Backoff::new();
    // `None`: list first (at the start, and after a 410).
    let mut cursor: Option<Cursor> = None;
    sink.watching(false);
    loop {
        let Some(at) = cursor.as_mut() else {
            tracker.begin_list();
            match list_each(&api, &mut limit, &mut usage, |l: Lease| tracker.listed(&l, &mut *sink)).await {
                Ok(version) => {
                    tracker.end_list(&mut *sink);
                    cursor = Some(Cursor { version });
                    sink.watching(true);
                    backoff.reset();
                }
                Err(e) => {
                    sink.watching(false);
                    log(format!("cannot list Leases (retrying in {:?}): {}", backoff.next, error_chain(&e)));
                    backoff.wait().await;
                }
            }
            continue;
        };
        let opened = Instant::now();
        let mut received = false;
        let ended = watch_once(&api, at, WATCH_TIMEOUT_SECONDS, None, |change| {
            if !received {
                received = true;
                sink.watching(true);
            }
            match change {
                Change::Added(l) => tracker.added(&l, &mut *sink),
                Change::Modified(l) => tracker.modified(&l, &mut *sink),
                Change::Deleted(l) => tracker.deleted(&l, &mut *sink),
                Change::Bookmark => {}
            }
        })
        .await;
        match ended {
            Ok(Ended::Closed | Ended::Deadline) => {
                if received || opened.elapsed() >= SHORTEST_WATCH {
                    backoff.reset();
                } else {
                    backoff.wait().await;
                }
            }
            Ok(Ended::Gone) => {
                log(format!(
                    "the Lease watch's resourceVersion {} is gone (410): listing the {} Leases again",
                    at.version,
                    tracker.len()
                ));
                cursor = None;
            }
            Err(e) => {
                sink.watching(false);
                log(format!("the Lease watch failed (retrying in {:?}): {}", backoff.next, error_chain(&e)));
                backoff.wait().await;
            }
        }
    }
}
