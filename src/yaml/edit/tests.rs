use super::{Conventions, Editor, Quote, Value, apply, apply_in_place, merge, quote_str};
use crate::change::{Edit, Patch};
use crate::yaml::{Limits, NodeRef, parse_chunk};

/// Parses `text`, runs `f` on the root of its first document, applies the edit.
fn edit(text: &str, f: impl Fn(&Editor<'_>, NodeRef<'_, '_>) -> Result<Patch, super::EditError>) -> String {
    let (docs, errors) = parse_chunk(text, 0..text.len(), Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let root = docs[0].root().unwrap();
    let e = Editor::new(text);
    let patch = f(&e, root).unwrap();
    let out = apply(text, &patch.edits).unwrap();
    let (_, errors) = parse_chunk(&out, 0..out.len(), Limits::default());
    assert!(errors.is_empty(), "the edit broke the YAML:\n{out}\n{errors:?}");
    out
}

fn refused(text: &str, f: impl Fn(&Editor<'_>, NodeRef<'_, '_>) -> Result<Patch, super::EditError>) -> String {
    let (docs, _) = parse_chunk(text, 0..text.len(), Limits::default());
    let root = docs[0].root().unwrap();
    f(&Editor::new(text), root).unwrap_err().0
}

#[test]
fn conventions_are_read_off_the_file() {
    let c = Conventions::of("a:\n    b:\n      - x\n", false);
    assert_eq!((c.newline, c.indent, c.indented_sequences), ("\n", 4, true));
    let c = Conventions::of("a:\r\n  b:\r\n  - x\r\n", false);
    assert_eq!((c.newline, c.indent, c.indented_sequences), ("\r\n", 2, false));
    let c = Conventions::of("a: 1\n", false);
    assert_eq!((c.indent, c.indented_sequences), (2, true));
}

#[test]
fn strings_are_quoted_only_when_needed() {
    let cases = [
        ("web", "web"),
        ("2", "\"2\""),
        ("true", "\"true\""),
        ("yes", "\"yes\""),
        ("", "\"\""),
        ("a: b", "\"a: b\""),
        ("--lease-name=x", "--lease-name=x"),
        ("$(POD_NAMESPACE)", "$(POD_NAMESPACE)"),
        ("ns-lease-$(POD_NAMESPACE)", "ns-lease-$(POD_NAMESPACE)"),
        ("*x", "\"*x\""),
        ("- x", "\"- x\""),
        ("a #b", "\"a #b\""),
        ("0755", "\"0755\""),
        ("a#b", "a#b"),
        ("a:b", "a:b"),
        ("http://x", "http://x"),
        ("a:", "\"a:\""),
        ("x,y", "\"x,y\""),
        ("a\tb", "\"a\\tb\""),
        ("a\u{85}b", "\"a\\u0085b\""),
        ("x\u{2028}y", "\"x\\u2028y\""),
        ("1_000.5", "\"1_000.5\""),
        ("<<", "\"<<\""),
        ("2024-01-01", "\"2024-01-01\""),
        ("2024-x", "\"2024-x\""),
        ("v2024-01", "v2024-01"),
        ("caf\u{e9}", "caf\u{e9}"),
    ];
    for (s, want) in cases {
        assert_eq!(quote_str(s, Quote::Plain), want, "{s:?}");
    }
    assert_eq!(quote_str("it's", Quote::Single), "'it''s'");
    assert_eq!(quote_str("x", Quote::Double), "\"x\"");
}

#[test]
fn insert_entry_after_the_last_entry_before_the_next_comment_block() {
    let text = "spec:\n  a: 1\n  b:\n    c: 2 # keep\n# about d\nd: 3\n";
    let out = edit(text, |e, r| e.insert_entry(r.get("spec").unwrap(), "x", &Value::raw("9")));
    assert_eq!(out, "spec:\n  a: 1\n  b:\n    c: 2 # keep\n  x: 9\n# about d\nd: 3\n");
}

#[test]
fn insert_nested_block_with_the_file_indent_and_sequence_style() {
    let text = "spec:\n    containers:\n    - name: a\n    hostNetwork: false\n";
    let value = Value::map(vec![(
        "options",
        Value::Seq(vec![Value::map(vec![("name", Value::str("ndots")), ("value", Value::str("2"))])]),
    )]);
    let out = edit(text, |e, r| e.insert_entry(r.get("spec").unwrap(), "dnsConfig", &value));
    assert_eq!(
        out,
        "spec:\n    containers:\n    - name: a\n    hostNetwork: false\n    dnsConfig:\n        options:\n        - name: ndots\n          value: \"2\"\n"
    );
}

#[test]
fn insert_into_flow_mappings_stays_flow() {
    let text = "limits: {cpu: 1, memory: 2Gi}\nempty: {}\n";
    let out = edit(text, |e, r| e.insert_entry(r.get("limits").unwrap(), "ephemeral-storage", &Value::raw("1Gi")));
    assert_eq!(out, "limits: {cpu: 1, memory: 2Gi, ephemeral-storage: 1Gi}\nempty: {}\n");
    let out = edit(text, |e, r| e.insert_entry(r.get("empty").unwrap(), "a", &Value::str("x y")));
    assert_eq!(out, "limits: {cpu: 1, memory: 2Gi}\nempty: {a: x y}\n");
}

#[test]
fn crlf_and_missing_final_newline_are_kept() {
    let text = "a:\r\n  b: 1";
    let out = edit(text, |e, r| e.insert_entry(r.get("a").unwrap(), "c", &Value::raw("2")));
    assert_eq!(out, "a:\r\n  b: 1\r\n  c: 2");
}

#[test]
fn append_and_prepend_items_follow_the_sequence() {
    let text = "args:\n- --a\n- \"--b\"\nenv: [\"x\"]\nitems:\n  - name: a\n    value: \"1\"\n";
    let out = edit(text, |e, r| e.append_item(r.get("args").unwrap(), &Value::str("--c")));
    assert_eq!(out, "args:\n- --a\n- \"--b\"\n- --c\nenv: [\"x\"]\nitems:\n  - name: a\n    value: \"1\"\n");
    let out = edit(text, |e, r| e.append_item(r.get("env").unwrap(), &Value::str("y")));
    assert!(out.contains("env: [\"x\", \"y\"]"), "{out}");
    let item = Value::map(vec![("name", Value::str("POD_NAMESPACE")), ("value", Value::str("1"))]);
    let out = edit(text, |e, r| e.prepend_item(r.get("items").unwrap(), &item));
    assert!(out.contains("items:\n  - name: POD_NAMESPACE\n    value: \"1\"\n  - name: a\n"), "{out}");
}

#[test]
fn remove_entry_block_flow_and_dash_lines() {
    let text =
        "r:\n  limits:\n    cpu: 500m # x\n    memory: 1Gi\n  flow: {cpu: 1, memory: 2}\nl:\n- name: a\n  image: b\n";
    let out = edit(text, |e, r| e.remove_entry(r.get_path(&["r", "limits"]).unwrap(), "cpu"));
    assert_eq!(
        out, "r:\n  limits:\n    # x\n    memory: 1Gi\n  flow: {cpu: 1, memory: 2}\nl:\n- name: a\n  image: b\n",
        "the comment of the removed line stays"
    );
    let out = edit(text, |e, r| e.remove_entry(r.get_path(&["r", "flow"]).unwrap(), "cpu"));
    assert!(out.contains("flow: {memory: 2}"), "{out}");
    let out = edit(text, |e, r| e.remove_entry(r.get_path(&["r", "flow"]).unwrap(), "memory"));
    assert!(out.contains("flow: {cpu: 1}"), "{out}");
    let out = edit(text, |e, r| e.remove_entry(r.get("l").unwrap().item(0).unwrap(), "name"));
    assert!(out.ends_with("l:\n- image: b\n"), "{out}");
    let msg = refused("a:\n  only: 1\n", |e, r| e.remove_entry(r.get("a").unwrap(), "only"));
    assert!(msg.contains("empty mapping"), "{msg}");
}

#[test]
fn replace_scalar_keeps_the_quoting() {
    let text = "a: \"x\"\nb: 'y'\nc: z\nd:\n";
    assert_eq!(
        edit(text, |e, r| e.replace_scalar(r.get("a").unwrap(), &Value::str("2"))),
        "a: \"2\"\nb: 'y'\nc: z\nd:\n"
    );
    assert_eq!(
        edit(text, |e, r| e.replace_scalar(r.get("b").unwrap(), &Value::str("w"))),
        "a: \"x\"\nb: 'w'\nc: z\nd:\n"
    );
    assert_eq!(
        edit(text, |e, r| e.replace_scalar(r.get("c").unwrap(), &Value::str("2"))),
        "a: \"x\"\nb: 'y'\nc: \"2\"\nd:\n"
    );
    assert_eq!(
        edit(text, |e, r| e.replace_scalar(r.get("d").unwrap(), &Value::raw("1"))),
        "a: \"x\"\nb: 'y'\nc: z\nd: 1\n"
    );
    let msg = refused("a: &x 1\nb: *x\n", |e, r| e.replace_scalar(r.get("b").unwrap(), &Value::raw("2")));
    assert!(msg.contains("alias"), "{msg}");
}

#[test]
fn replace_entry_in_place() {
    let text = "env:\n  - name: A\n    valueFrom:\n      fieldRef: {fieldPath: metadata.name}\n  - name: B\n";
    let out = edit(text, |e, r| {
        e.replace_entry(r.get("env").unwrap().item(0).unwrap(), "valueFrom", "value", &Value::str("x"))
    });
    assert_eq!(out, "env:\n  - name: A\n    value: x\n  - name: B\n");
}

#[test]
fn documents_are_inserted_after_and_removed() {
    let text = "a: 1\n---\nb: 2\n";
    let (docs, _) = parse_chunk(text, 0..5, Limits::default());
    let e = Editor::new(text);
    let ins = e.insert_document_after(&docs[0].place(), &Value::map(vec![("c", Value::raw("3"))])).unwrap();
    assert_eq!(apply(text, &ins.edits).unwrap(), "a: 1\n---\nc: 3\n---\nb: 2\n");
    let (docs2, _) = parse_chunk(text, 5..text.len(), Limits::default());
    let ins = e.insert_document_after(&docs2[0].place(), &Value::map(vec![("c", Value::raw("3"))])).unwrap();
    assert_eq!(apply(text, &ins.edits).unwrap(), "a: 1\n---\nb: 2\n---\nc: 3\n");
    let rm = e.remove_document(&docs2[0], 1).unwrap();
    assert_eq!(apply(text, &rm.edits).unwrap(), "a: 1\n");
    let bare = "a: 1";
    let (docs3, _) = parse_chunk(bare, 0..bare.len(), Limits::default());
    let ins =
        Editor::new(bare).insert_document_after(&docs3[0].place(), &Value::map(vec![("c", Value::raw("3"))])).unwrap();
    assert_eq!(apply(bare, &ins.edits).unwrap(), "a: 1\n---\nc: 3", "no final newline stays none");
}

#[test]
fn merge_joins_touching_edits_and_rejects_overlaps() {
    let e = |r: std::ops::Range<usize>, c: &str| Edit { range: r, content: c.to_string() };
    assert_eq!(merge(vec![e(5..5, "b"), e(2..5, "a")]), Some(vec![e(2..5, "ab")]));
    assert_eq!(merge(vec![e(1..1, "x"), e(1..1, "y")]), Some(vec![e(1..1, "xy")]));
    assert_eq!(merge(vec![e(1..4, ""), e(2..2, "y")]), None);
    assert_eq!(merge(vec![e(1..2, ""), e(5..6, "")]).map(|v| v.len()), Some(2));
    // An insertion at the end of a line that a deletion removes moves after the deletion.
    let text = "a:\n  b: 1\n  c: 2\n";
    let merged = merge(vec![e(10..17, ""), e(16..16, "\n  d: 3")]).unwrap();
    assert_eq!(apply(text, &merged).unwrap(), "a:\n  b: 1\n  d: 3\n");
}

#[test]
fn in_place_application_equals_copying_application() {
    let e = |r: std::ops::Range<usize>, c: &str| Edit { range: r, content: c.to_string() };
    let text = "0123456789abcdefghij";
    let cases = vec![
        vec![e(2..5, ""), e(7..7, "XYZW"), e(12..18, "q")],
        vec![e(0..0, "long insertion at the start "), e(19..20, "")],
        vec![e(1..10, ""), e(15..15, "++++++++++++++++")],
        vec![e(3..4, "é"), e(10..10, "ü")],
        vec![],
        vec![e(20..20, "end")],
    ];
    for edits in cases {
        let copied = apply(text, &edits).unwrap();
        assert_eq!(apply_in_place(text.to_string(), &edits).unwrap(), copied, "{edits:?}");
    }
    assert_eq!(apply_in_place("abc".into(), &[e(2..3, ""), e(0..1, "")]), Err("abc".to_string()), "unsorted");
}
