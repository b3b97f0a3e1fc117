//! `meta.k8s.io/v1` Tables, as `kubectl get` asks for them (`Accept: …;as=Table;…`).

use serde_json::{Value, json};

use crate::http::Params;
use crate::resources::Resource;
use crate::store::Item;
use crate::util;

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

pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str).unwrap_or("")
}

/// A `meta.k8s.io/v1` Table, as `kubectl get` asks for: Name, a column or two per kind, Age.
pub(crate) fn to_table(res: &Resource, items: &[Item], rv: &str, next: Option<&str>, params: &Params) -> Value {
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
