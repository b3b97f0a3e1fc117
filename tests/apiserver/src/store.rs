//! The objects the server holds, their resourceVersions, the event history watches replay from,
//! and the lease clock that renews Leases.
//!
//! Objects are kept per resource type in `BTreeMap`s keyed by `(namespace, name)`; the scale
//! generator's Pods are not stored at all but made on demand by index ([`crate::scale`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::resources::{self, RESOURCES, Resource};
use crate::scale::Scale;
use crate::util;

/// What a watch event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watches see it.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) rv: u64,
    pub(crate) resource: usize,
    pub(crate) namespace: String,
    pub(crate) kind: EventType,
    pub(crate) object: Arc<Value>,
}

type Key = (String, String);

struct LeaseClock {
    period: Option<Duration>,
    next: Instant,
}

/// All state behind one lock.
pub(crate) struct Store {
    /// The newest resourceVersion handed out.
    pub(crate) rv: u64,
    /// Continue tokens and watch resourceVersions older than this are expired (410): set only by
    /// [`Store::compact`], as an etcd compaction.
    pub(crate) compacted: u64,
    /// Watches from a resourceVersion older than this are expired too: the history kept for
    /// watches (the watch cache) has dropped the events after it.
    history_floor: u64,
    objects: Vec<BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Arc<Event>>,
    history_cap: usize,
    pub(crate) events: broadcast::Sender<Arc<Event>>,
    pub(crate) scale: Option<Scale>,
    default_period: Option<Duration>,
    clocks: BTreeMap<Key, LeaseClock>,
    uids: u64,
}

/// Where a list or a page of it comes from: stored objects first, then generated ones.
pub(crate) enum Item {
    Stored(Arc<Value>),
    Generated(Value),
}

impl Item {
    pub(crate) fn value(&self) -> &Value {
        match self {
            Item::Stored(v) => v,
            Item::Generated(v) => v,
        }
    }
}

fn meta_str<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get("metadata").and_then(|m| m.get(key)).and_then(Value::as_str).unwrap_or("")
}

impl Store {
    pub(crate) fn new(default_period: Option<Duration>) -> Self {
        let (events, _) = broadcast::channel(16_384);
        Store {
            rv: 1,
            compacted: 0,
            history_floor: 0,
            objects: vec![BTreeMap::new(); RESOURCES.len()],
            history: VecDeque::new(),
            history_cap: 10_000,
            events,
            scale: None,
            default_period,
            clocks: BTreeMap::new(),
            uids: 0,
        }
    }

    /// Creates or replaces an object (by apiVersion, kind, namespace, name): fills in
    /// `resourceVersion`, `uid`, `creationTimestamp` and a missing namespace (`default`), and
    /// sends ADDED or MODIFIED to the watches.
    pub(crate) fn apply(&mut self, mut obj: Value) -> Result<Arc<Value>, String> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let res = resources::by_kind(api_version, kind)
            .ok_or_else(|| format!("this server does not serve {api_version} {kind}"))?;
        let index = resources::index_of(res);
        let name = meta_str(&obj, "name").to_string();
        if name.is_empty() {
            return Err(format!("a {kind} without metadata.name"));
        }
        let namespace = if res.namespaced {
            let ns = meta_str(&obj, "namespace");
            if ns.is_empty() { "default".to_string() } else { ns.to_string() }
        } else {
            String::new()
        };
        let key = (namespace.clone(), name);
        let previous = self.objects[index].get(&key).cloned();
        self.rv += 1;
        let rv = self.rv;
        if !obj.get("metadata").is_some_and(Value::is_object) {
            obj["metadata"] = json!({});
        }
        let meta = &mut obj["metadata"];
        if res.namespaced {
            meta["namespace"] = json!(namespace);
        }
        meta["resourceVersion"] = json!(rv.to_string());
        let uid = match previous.as_ref().map(|p| meta_str(p, "uid").to_string()) {
            Some(uid) if !uid.is_empty() => uid,
            _ => {
                self.uids += 1;
                format!("00000000-0000-4000-8000-{:012x}", self.uids)
            }
        };
        if meta.get("uid").and_then(Value::as_str).is_none() {
            meta["uid"] = json!(uid);
        }
        if meta.get("creationTimestamp").and_then(Value::as_str).is_none() {
            let created = previous
                .as_ref()
                .map(|p| meta_str(p, "creationTimestamp").to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| util::rfc3339(util::unix_now()));
            meta["creationTimestamp"] = json!(created);
        }
        let obj = Arc::new(obj);
        let kind = if previous.is_some() { EventType::Modified } else { EventType::Added };
        if res.kind == "Lease" && previous.is_none() {
            let period = self.default_period;
            self.clocks.insert(key.clone(), LeaseClock { period, next: Instant::now() + period.unwrap_or_default() });
        }
        self.objects[index].insert(key, Arc::clone(&obj));
        self.publish(rv, index, namespace, kind, Arc::clone(&obj));
        Ok(obj)
    }

    /// Deletes an object and sends DELETED (with a new resourceVersion) to the watches.
    pub(crate) fn delete(&mut self, res: &Resource, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let index = resources::index_of(res);
        let key = (namespace.to_string(), name.to_string());
        let old = self.objects[index].remove(&key)?;
        self.clocks.remove(&key);
        self.rv += 1;
        let mut obj = (*old).clone();
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let obj = Arc::new(obj);
        self.publish(self.rv, index, namespace.to_string(), EventType::Deleted, Arc::clone(&obj));
        Some(obj)
    }

    fn publish(&mut self, rv: u64, resource: usize, namespace: String, kind: EventType, object: Arc<Value>) {
        let event = Arc::new(Event { rv, resource, namespace, kind, object });
        self.history.push_back(Arc::clone(&event));
        while self.history.len() > self.history_cap {
            if let Some(old) = self.history.pop_front() {
                self.history_floor = self.history_floor.max(old.rv);
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.events.send(event);
    }

    /// Forgets the event history: every continue token and watch resourceVersion handed out so
    /// far is expired (410 Gone), as after an etcd compaction.
    pub(crate) fn compact(&mut self) {
        self.rv += 1;
        self.compacted = self.rv;
        self.history.clear();
    }

    /// Sets how often one Lease is renewed (`None`: never, as a lease whose holder is gone).
    pub(crate) fn set_renewal(&mut self, namespace: &str, name: &str, period: Option<Duration>) {
        let key = (namespace.to_string(), name.to_string());
        let next = Instant::now() + period.unwrap_or_default();
        self.clocks.insert(key, LeaseClock { period, next });
    }

    /// The shortest renewal period of any Lease, to pace the clock.
    pub(crate) fn shortest_period(&self) -> Option<Duration> {
        self.clocks.values().filter_map(|c| c.period).min()
    }

    /// Renews every Lease that is due: `spec.renewTime` now, a new resourceVersion, MODIFIED.
    pub(crate) fn renew_due(&mut self, now: Instant) -> usize {
        let Some(lease) = resources::by_kind("coordination.k8s.io/v1", "Lease") else { return 0 };
        let index = resources::index_of(lease);
        let due: Vec<Key> =
            self.clocks.iter().filter(|(_, c)| c.period.is_some() && c.next <= now).map(|(k, _)| k.clone()).collect();
        let stamp = util::rfc3339_micros(util::unix_now());
        let mut renewed = 0;
        for key in due {
            let Some(clock) = self.clocks.get_mut(&key) else { continue };
            let period = clock.period.unwrap_or(Duration::from_secs(1));
            clock.next += period;
            if clock.next < now {
                clock.next = now + period;
            }
            let Some(old) = self.objects[index].get(&key) else { continue };
            let holder = old.get("spec").and_then(|s| s.get("holderIdentity")).and_then(Value::as_str);
            if holder.is_none_or(str::is_empty) {
                continue;
            }
            let mut obj = (**old).clone();
            self.rv += 1;
            obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
            obj["spec"]["renewTime"] = json!(stamp);
            let obj = Arc::new(obj);
            self.objects[index].insert(key.clone(), Arc::clone(&obj));
            self.publish(self.rv, index, key.0, EventType::Modified, obj);
            renewed += 1;
        }
        renewed
    }

    /// One stored object.
    pub(crate) fn get(&self, res: &Resource, namespace: &str, name: &str) -> Option<Item> {
        let index = resources::index_of(res);
        if let Some(obj) = self.objects[index].get(&(namespace.to_string(), name.to_string())) {
            return Some(Item::Stored(Arc::clone(obj)));
        }
        self.scale.as_ref()?.find(res, namespace, name).map(Item::Generated)
    }

    fn stored(&self, res: &Resource, namespace: Option<&str>) -> Vec<Arc<Value>> {
        let index = resources::index_of(res);
        match namespace {
            None => self.objects[index].values().cloned().collect(),
            Some(ns) => self.objects[index]
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| Arc::clone(v))
                .collect(),
        }
    }

    /// Items `[start, start + max)` of a list, and whether more follow.
    pub(crate) fn page(&self, res: &Resource, namespace: Option<&str>, start: usize, max: usize) -> (Vec<Item>, bool) {
        let stored = self.stored(res, namespace);
        let generated = self.scale.as_ref().map(|s| s.ranges(res, namespace)).unwrap_or_default();
        let total = stored.len() + generated.iter().map(|r| r.len()).sum::<usize>();
        let end = start.saturating_add(max).min(total);
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        let mut i = start;
        while i < end {
            if let Some(obj) = stored.get(i) {
                out.push(Item::Stored(Arc::clone(obj)));
            } else {
                let mut j = i - stored.len();
                for range in &generated {
                    if j < range.len() {
                        if let Some(scale) = &self.scale {
                            out.push(Item::Generated(scale.object(res, range.start + j)));
                        }
                        break;
                    }
                    j -= range.len();
                }
            }
            i += 1;
        }
        (out, end < total)
    }

    /// The events after `rv` for one resource type (and namespace), or `None` when `rv` is older
    /// than the history kept (the watch gets 410 Gone).
    pub(crate) fn since(&self, rv: u64, resource: usize, namespace: Option<&str>) -> Option<Vec<Arc<Event>>> {
        if rv < self.compacted || rv < self.history_floor {
            return None;
        }
        Some(
            self.history
                .iter()
                .filter(|e| e.rv > rv && e.resource == resource && namespace.is_none_or(|ns| ns == e.namespace))
                .cloned()
                .collect(),
        )
    }
}

/// Parses a YAML or JSON stream of objects (several documents, `kind: List` items flattened).
pub fn parse_objects(text: &str) -> Result<Vec<Value>, String> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for doc in yaml_serde::Deserializer::from_str(text) {
        let value = Value::deserialize(doc).map_err(|e| e.to_string())?;
        match value {
            Value::Null => {}
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str) == Some("List") => {
                out.extend(map.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
            }
            other => out.push(other),
        }
    }
    Ok(out)
}
