//! HTTP: TLS connections, routing, auth and faults, discovery, lists (JSON and `as=Table`),
//! gets and watches. Records every request.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::resources::{self, Resource};
use crate::store::{Event, Item};
use crate::{RequestRecord, State, lock, util};

/// A response body: all at once (with a Content-Length) or a stream of chunks (a watch).
pub(crate) enum ApiBody {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for ApiBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ApiBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ApiBody::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ApiBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ApiBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ApiBody::Full(None) => SizeHint::with_exact(0),
            ApiBody::Stream(_) => SizeHint::default(),
        }
    }
}

/// Accepts TLS connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let acceptor = acceptor.clone();
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, req)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        }
    }
}

fn header_str(req: &Request<Incoming>, name: header::HeaderName) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn handle(state: &State, req: Request<Incoming>) -> Response<ApiBody> {
    let mut record = RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or("").to_string(),
        accept: header_str(&req, header::ACCEPT),
        user_agent: header_str(&req, header::USER_AGENT),
        status: 0,
        bytes: 0,
    };
    let authorization = header_str(&req, header::AUTHORIZATION);
    let response = route(state, &record, &authorization);
    record.status = response.status().as_u16();
    if let ApiBody::Full(Some(b)) = response.body() {
        record.bytes = b.len();
    }
    lock(&state.requests).push(record);
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response<ApiBody> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(ApiBody::Full(Some(Bytes::from(bytes))));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn status_response(code: StatusCode, reason: &str, message: &str, details: Option<Value>) -> Response<ApiBody> {
    json_response(code, &util::status(code.as_u16(), reason, message, details))
}

fn not_found() -> Response<ApiBody> {
    status_response(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource", None)
}

/// Decodes `a=b&c=d%2Fe` into pairs.
pub(crate) fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "1" || v == "true")
    }
}

fn route(state: &State, record: &RequestRecord, authorization: &str) -> Response<ApiBody> {
    if authorization.strip_prefix("Bearer ") != Some(state.token.as_str()) {
        return status_response(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized", None);
    }
    {
        let mut faults = lock(&state.faults);
        if faults.throttle > 0 {
            faults.throttle -= 1;
            let mut response = status_response(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests, please try again later.",
                Some(json!({"retryAfterSeconds": faults.retry_after})),
            );
            if let Ok(value) = HeaderValue::from_str(&faults.retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    if record.method != "GET" {
        return status_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("the server does not allow this method on the requested resource: {}", record.method),
            None,
        );
    }
    let params = Params(query_params(&record.query));
    let segments: Vec<&str> = record.path.split('/').filter(|s| !s.is_empty()).collect();
    let ok = |doc: Option<Value>| doc.map_or_else(not_found, |d| json_response(StatusCode::OK, &d));
    match segments.as_slice() {
        ["version"] => ok(Some(resources::version())),
        ["api"] => ok(Some(resources::core_versions(&lock(&state.address)))),
        ["api", version] => ok(resources::resource_list("", version)),
        ["apis"] => ok(Some(resources::group_list())),
        ["apis", group] => ok(resources::group(group)),
        ["apis", group, version] => ok(resources::resource_list(group, version)),
        ["api", version, rest @ ..] => resource(state, "", version, rest, &params, &record.accept),
        ["apis", group, version, rest @ ..] => resource(state, group, version, rest, &params, &record.accept),
        _ => not_found(),
    }
}

fn resource(
    state: &State,
    group: &str,
    version: &str,
    rest: &[&str],
    params: &Params,
    accept: &str,
) -> Response<ApiBody> {
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => return not_found(),
    };
    let Some(res) = resources::by_path(group, version, plural) else { return not_found() };
    if namespace.is_some() && !res.namespaced {
        return not_found();
    }
    let verb = match (name, params.flag("watch")) {
        (_, true) => "watch",
        (Some(_), false) => "get",
        (None, false) => "list",
    };
    if let Some(forbidden) = forbidden(state, res, verb, namespace) {
        return forbidden;
    }
    let table = accept.contains("as=Table");
    match name {
        Some(name) => {
            let ns = if res.namespaced { namespace.unwrap_or("default") } else { "" };
            let item = state.store().get(res, ns, name);
            match item {
                Some(item) if table => {
                    let rv = item.value()["metadata"]["resourceVersion"].as_str().unwrap_or("").to_string();
                    json_response(StatusCode::OK, &to_table(res, std::slice::from_ref(&item), &rv, None, params))
                }
                Some(item) => json_response(StatusCode::OK, item.value()),
                None => status_response(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("{} \"{name}\" not found", res.qualified()),
                    Some(json!({"name": name, "group": res.group, "kind": res.plural})),
                ),
            }
        }
        None if verb == "watch" => watch(state, res, namespace, params, table),
        None => list(state, res, namespace, params, table),
    }
}

fn forbidden(state: &State, res: &Resource, verb: &str, namespace: Option<&str>) -> Option<Response<ApiBody>> {
    let faults = lock(&state.faults);
    if !faults.forbidden.contains(res.plural) && !faults.forbidden.contains(&res.qualified()) {
        return None;
    }
    let scope = namespace.map_or_else(|| "at the cluster scope".to_string(), |ns| format!("in the namespace \"{ns}\""));
    let message = format!(
        "{} is forbidden: User \"system:serviceaccount:leaselint:leaselint\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        res.qualified(),
        res.plural,
        res.group
    );
    Some(status_response(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some(json!({"group": res.group, "kind": res.plural})),
    ))
}

/// An item as it appears in a list: without `apiVersion` and `kind`, as the API server sends
/// built-in types.
fn list_item(obj: &Value) -> Value {
    match obj {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "apiVersion" && *k != "kind")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn continue_token(rv: u64, offset: usize) -> String {
    util::base64(format!("{{\"v\":\"leaselint.test/1\",\"rv\":{rv},\"start\":{offset}}}").as_bytes())
}

fn parse_continue(token: &str) -> Option<(u64, usize)> {
    // The token is base64 of a small JSON object; decode by re-encoding candidates is overkill:
    // decode base64 directly.
    let decoded = decode_base64(token)?;
    let doc: Value = serde_json::from_slice(&decoded).ok()?;
    Some((doc.get("rv")?.as_u64()?, usize::try_from(doc.get("start")?.as_u64()?).ok()?))
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for b in s.bytes().filter(|&b| b != b'=') {
        let v = ALPHABET.iter().position(|&a| a == b)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn list(state: &State, res: &Resource, namespace: Option<&str>, params: &Params, table: bool) -> Response<ApiBody> {
    let limit = params.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|&l| l > 0);
    let page_size = match limit {
        Some(limit) => state.max_page.map_or(limit, |m| m.clamp(1, limit)),
        None => usize::MAX,
    };
    let store = state.store();
    let (rv, start) = match params.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => match parse_continue(token) {
            Some((rv, _)) if rv < store.compacted => {
                return status_response(
                    StatusCode::GONE,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. \
                     You can start a new list without the continue parameter.",
                    None,
                );
            }
            Some(parsed) => parsed,
            None => {
                return status_response(StatusCode::BAD_REQUEST, "BadRequest", "continue key is not valid", None);
            }
        },
        None => (store.rv, 0),
    };
    let (items, more) = store.page(res, namespace, start, page_size);
    drop(store);
    let next = more.then(|| continue_token(rv, start + items.len()));
    if table {
        return json_response(StatusCode::OK, &to_table(res, &items, &rv.to_string(), next.as_deref(), params));
    }
    let mut metadata = Map::new();
    metadata.insert("resourceVersion".to_string(), json!(rv.to_string()));
    if let Some(next) = &next {
        metadata.insert("continue".to_string(), json!(next));
    }
    let doc = json!({
        "kind": format!("{}List", res.kind),
        "apiVersion": res.api_version(),
        "metadata": metadata,
        "items": items.iter().map(|i| list_item(i.value())).collect::<Vec<_>>(),
    });
    json_response(StatusCode::OK, &doc)
}

/// `1d`, `5h`, `3m`, `42s` since an RFC 3339 `creationTimestamp`, as kubectl's AGE column.
fn age(created: &str) -> String {
    let parse = || -> Option<i64> {
        let (date, time) = created.trim_end_matches('Z').split_once('T')?;
        let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let mut t = time.split(':').map(|p| p.split('.').next().and_then(|p| p.parse::<i64>().ok()));
        let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some((era * 146_097 + doe - 719_468) * 86_400 + hh * 3600 + mm * 60 + ss)
    };
    let Some(then) = parse() else { return "<unknown>".to_string() };
    let secs = (util::unix_now().as_secs() as i64 - then).max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or("")
}

/// A `meta.k8s.io/v1` Table, as `kubectl get` asks for: Name, a column or two per kind, Age.
fn to_table(res: &Resource, items: &[Item], rv: &str, next: Option<&str>, params: &Params) -> Value {
    let column = |name: &str, format: &str| json!({"name": name, "type": "string", "format": format, "description": "", "priority": 0});
    let mut columns = vec![column("Name", "name")];
    match res.kind {
        "Lease" => columns.push(column("Holder", "")),
        "Pod" => {
            columns.push(column("Status", ""));
            columns.push(column("Node", ""));
        }
        _ => {}
    }
    columns.push(column("Age", ""));
    let include = params.get("includeObject").unwrap_or("Metadata");
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let obj = item.value();
            let mut cells = vec![json!(str_at(obj, &["metadata", "name"]))];
            match res.kind {
                "Lease" => cells.push(json!(str_at(obj, &["spec", "holderIdentity"]))),
                "Pod" => {
                    cells.push(json!(str_at(obj, &["status", "phase"])));
                    cells.push(json!(str_at(obj, &["spec", "nodeName"])));
                }
                _ => {}
            }
            cells.push(json!(age(str_at(obj, &["metadata", "creationTimestamp"]))));
            let object = match include {
                "None" => Value::Null,
                "Object" => obj.clone(),
                _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}),
            };
            json!({"cells": cells, "object": object})
        })
        .collect();
    let mut metadata = json!({"resourceVersion": rv});
    if let Some(next) = next {
        metadata["continue"] = json!(next);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns, "rows": rows})
}

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

fn watch(state: &State, res: &Resource, namespace: Option<&str>, params: &Params, table: bool) -> Response<ApiBody> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        assert_eq!(parse_continue(&continue_token(42, 1000)), Some((42, 1000)));
        assert_eq!(parse_continue("not a token"), None);
    }

    #[test]
    fn decodes_queries() {
        let params = query_params("limit=500&labelSelector=app%3Dweb&continue=abc%3D%3D");
        assert_eq!(params[1], ("labelSelector".to_string(), "app=web".to_string()));
        assert_eq!(params[2].1, "abc==");
    }
}
