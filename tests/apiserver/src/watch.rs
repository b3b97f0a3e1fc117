//! Watches: the initial ADDED events or the history replayed from a resourceVersion, then live
//! events as chunked JSON lines, BOOKMARKs, an ERROR 410 when the resourceVersion is too old or
//! the watch falls behind, and the end after `timeoutSeconds` (or the server's cut).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::http::{ApiBody, Params, status_response};
use crate::resources::{self, Resource};
use crate::store::{Event, Item};
use crate::table::{str_at, to_table};
use crate::{State, util};

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn bookmark(res: &Resource, rv: u64) -> Bytes {
    event_line(
        "BOOKMARK",
        &json!({"kind": res.kind, "apiVersion": res.api_version(), "metadata": {"resourceVersion": rv.to_string(),
            "annotations": {"k8s.io/initial-events-end": "true"}}}),
    )
}

pub(crate) fn watch(
    state: &State,
    res: &Resource,
    namespace: Option<&str>,
    params: &Params,
    table: bool,
) -> Response<ApiBody> {
    let res: Resource = *res;
    let resource = resources::index_of(&res);
    let mut timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|&t| t > 0)
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    if let Some(max) = state.max_watch {
        timeout = timeout.min(max);
    }
    let bookmarks = params.flag("allowWatchBookmarks");
    let encode = move |kind: &str, obj: &Value| -> Bytes {
        if table {
            let item = Item::Generated(obj.clone());
            event_line(
                kind,
                &to_table(
                    &res,
                    std::slice::from_ref(&item),
                    str_at(obj, &["metadata", "resourceVersion"]),
                    None,
                    &Params(Vec::new()),
                ),
            )
        } else {
            event_line(kind, obj)
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut initial: Vec<Bytes> = Vec::new();
    let (events, start_rv, expired) = {
        let store = state.store();
        let events = store.events.subscribe();
        let requested = params.get("resourceVersion").filter(|v| !v.is_empty() && *v != "0");
        match requested.map(|v| v.parse::<u64>()) {
            None => {
                // Start at "most recent": ADDED for everything that exists, then changes.
                let mut start = 0;
                loop {
                    let (page, more) = store.page(&res, namespace, start, 1000);
                    start += page.len();
                    initial.extend(page.iter().map(|i| encode("ADDED", i.value())));
                    if !more || page.is_empty() {
                        break;
                    }
                }
                (events, store.rv, None)
            }
            Some(Ok(rv)) => match store.since(rv, resource, namespace) {
                Some(history) => {
                    initial.extend(history.iter().map(|e| encode(e.kind.as_str(), &e.object)));
                    (events, store.rv, None)
                }
                None => (events, store.rv, Some(rv)),
            },
            Some(Err(_)) => {
                return status_response(StatusCode::BAD_REQUEST, "BadRequest", "invalid resourceVersion", None);
            }
        }
    };
    if let Some(rv) = expired {
        let status = util::status(410, "Expired", &format!("too old resource version: {rv} ({start_rv})"), None);
        initial.push(event_line("ERROR", &status));
    }
    let namespace = namespace.map(str::to_string);
    let interval = state.bookmark_interval;
    tokio::spawn(async move {
        for chunk in initial {
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
        if expired.is_some() {
            return;
        }
        stream_events(tx, events, &res, resource, namespace.as_deref(), start_rv, bookmarks, interval, timeout, encode)
            .await;
    });
    let mut response = Response::new(ApiBody::Stream(rx));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[allow(clippy::too_many_arguments)]
async fn stream_events(
    tx: mpsc::Sender<Bytes>,
    mut events: broadcast::Receiver<Arc<Event>>,
    res: &Resource,
    resource: usize,
    namespace: Option<&str>,
    start_rv: u64,
    bookmarks: bool,
    interval: Duration,
    timeout: Duration,
    encode: impl Fn(&str, &Value) -> Bytes,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_rv = start_rv;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                if bookmarks {
                    let _ = tx.send(bookmark(res, last_rv)).await;
                }
                return;
            }
            _ = ticker.tick(), if bookmarks => {
                if tx.send(bookmark(res, last_rv)).await.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
            received = events.recv() => match received {
                Ok(event) => {
                    if event.rv <= last_rv {
                        continue;
                    }
                    last_rv = event.rv;
                    if event.resource != resource || namespace.is_some_and(|ns| ns != event.namespace) {
                        continue;
                    }
                    if tx.send(encode(event.kind.as_str(), &event.object)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let status = util::status(410, "Expired", "watch fell behind: too old resource version", None);
                    let _ = tx.send(event_line("ERROR", &status)).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}
