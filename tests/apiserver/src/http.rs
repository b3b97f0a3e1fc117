//! HTTP: TLS connections, routing, auth and faults, discovery, lists (JSON and `as=Table`),
//! gets and watches. Records every request.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::resources::{self, Resource};
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
                    // rustls verified it against the CA: the connection is authenticated by it.
                    let client_cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(&state, req, client_cert)) }
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

fn handle(state: &State, req: Request<Incoming>, client_cert: bool) -> Response<ApiBody> {
    let mut record = RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or("").to_string(),
        accept: header_str(&req, header::ACCEPT),
        user_agent: header_str(&req, header::USER_AGENT),
        status: 0,
        bytes: 0,
        client_cert,
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

pub(crate) fn status_response(
    code: StatusCode,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Response<ApiBody> {
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

pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v == "1" || v == "true")
    }
}

fn route(state: &State, record: &RequestRecord, authorization: &str) -> Response<ApiBody> {
    if !record.client_cert && authorization.strip_prefix("Bearer ") != Some(state.token.as_str()) {
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
                    json_response(
                        StatusCode::OK,
                        &crate::table::to_table(res, std::slice::from_ref(&item), &rv, None, params),
                    )
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
        None if verb == "watch" => crate::watch::watch(state, res, namespace, params, table),
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
        return json_response(
            StatusCode::OK,
            &crate::table::to_table(res, &items, &rv.to_string(), next.as_deref(), params),
        );
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
