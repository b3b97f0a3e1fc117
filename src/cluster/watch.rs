//! One watch on Leases, shared by the audit's sample and serve's lease metrics: it starts at a
//! resourceVersion, asks for bookmarks (kube's `WatchParams` default), follows the
//! resourceVersion of every event and bookmark, and says how it ended — the server closed it
//! (`timeoutSeconds` or the server's own cut: open it again from [`Cursor::version`]), the
//! resourceVersion is too old (410 Gone, at the request or as an ERROR event), or the caller's
//! deadline passed. Never more than one watch is open: the caller opens the next one after this
//! one ended.

use std::time::Instant;

use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, WatchEvent, WatchParams};

/// Where the next watch starts: the last resourceVersion seen (a list's, an event's, a bookmark's).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cursor {
    pub(crate) version: String,
}

/// A change to one Lease, as a watch reports it.
#[derive(Debug)]
pub(crate) enum Change {
    Added(Lease),
    Modified(Lease),
    Deleted(Lease),
    /// A BOOKMARK: nothing changed, the resourceVersion moved.
    Bookmark,
}

/// How one watch ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The server ended it: open the next one from the cursor.
    Closed,
    /// 410 Gone: the cursor is older than the server's history (list again, or watch from now).
    Gone,
    /// The caller's deadline passed.
    Deadline,
}

/// `(namespace, name)` of a Lease.
pub(crate) fn key(l: &Lease) -> (String, String) {
    (l.metadata.namespace.clone().unwrap_or_default(), l.metadata.name.clone().unwrap_or_default())
}

/// Opens one watch from `cursor` (asking the server to end it after `timeout_seconds`) and hands
/// each change to `each` until the watch ends or `deadline` passes; the cursor follows every
/// event and bookmark. An error other than 410 (the connection, an ERROR event) is returned.
pub(crate) async fn watch_once(
    api: &Api<Lease>,
    cursor: &mut Cursor,
    timeout_seconds: u32,
    deadline: Option<Instant>,
    mut each: impl FnMut(Change),
) -> Result<Ended, kube::Error> {
    let params = WatchParams::default().timeout(timeout_seconds.max(1));
    let stream = match api.watch(&params, &cursor.version).await {
        Ok(s) => s,
        Err(kube::Error::Api(status)) if status.code == 410 => return Ok(Ended::Gone),
        Err(e) => return Err(e),
    };
    let mut stream = std::pin::pin!(stream);
    loop {
        let next = match deadline {
            Some(end) => {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(Ended::Deadline);
                }
                match tokio::time::timeout(left, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => return Ok(Ended::Deadline),
                }
            }
            None => stream.next().await,
        };
        let mut moved = |l: &Lease| {
            if let Some(v) = l.metadata.resource_version.as_ref() {
                cursor.version.clone_from(v);
            }
        };
        match next {
            Some(Ok(WatchEvent::Added(l))) => {
                moved(&l);
                each(Change::Added(l));
            }
            Some(Ok(WatchEvent::Modified(l))) => {
                moved(&l);
                each(Change::Modified(l));
            }
            Some(Ok(WatchEvent::Deleted(l))) => {
                moved(&l);
                each(Change::Deleted(l));
            }
            Some(Ok(WatchEvent::Bookmark(b))) => {
                cursor.version = b.metadata.resource_version;
                each(Change::Bookmark);
            }
            Some(Ok(WatchEvent::Error(status))) if status.code == 410 => return Ok(Ended::Gone),
            Some(Ok(WatchEvent::Error(status))) => return Err(kube::Error::Api(status)),
            Some(Err(e)) => return Err(e),
            None => return Ok(Ended::Closed),
        }
    }
}
