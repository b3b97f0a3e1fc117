use super::{Limits, NodePath, locate, parse_chunk};

fn docs(text: &str) -> (Vec<super::Doc<'_>>, Vec<super::parse::ParseError>) {
    parse_chunk(text, 0..text.len(), Limits::default())
}

fn slice(text: &str, r: std::ops::Range<usize>) -> &str {
    &text[r]
}

#[test]
fn spans_of_keys_values_and_collections() {
    let text = "a: 1\nb:\n  - x\n  - {c: \"d\", e: [1, 2]}\nf: |\n  line\n";
    let (docs, errors) = docs(text);
    assert!(errors.is_empty(), "{errors:?}");
    let root = docs[0].root().unwrap();
    let (k, v) = root.entry("a").unwrap();
    assert_eq!(slice(text, k.span()), "a");
    assert_eq!(slice(text, v.span()), "1");
    let b = root.get("b").unwrap();
    assert!(b.is_sequence());
    assert_eq!(slice(text, b.span()), "- x\n  - {c: \"d\", e: [1, 2]}");
    let flow = b.item(1).unwrap();
    assert_eq!(slice(text, flow.span()), "{c: \"d\", e: [1, 2]}");
    assert_eq!(flow.get_str("c"), Some("d"));
    assert_eq!(slice(text, flow.get("e").unwrap().span()), "[1, 2]");
    let f = root.get("f").unwrap();
    assert_eq!(f.scalar(), Some("line\n"));
    assert!(slice(text, f.span()).starts_with("|\n  line"));
    assert_eq!(slice(text, root.span()), text);
}

#[test]
fn scalars_resolve_like_kubernetes() {
    let text = "a: yes\nb: \"yes\"\nc: 0755\nd: !!str 5\ne: =\nf:\ng: 2\n";
    let (docs, _) = docs(text);
    let root = docs[0].root().unwrap();
    assert_eq!(root.get("a").unwrap().as_bool(), Some(true));
    assert_eq!(root.get_str("b"), Some("yes"));
    assert_eq!(root.get("c").unwrap().as_i64(), Some(493));
    assert_eq!(root.get_str("d"), Some("5"));
    assert_eq!(root.get_str("e"), Some("="));
    assert!(root.get("f").unwrap().is_null());
    assert_eq!(root.get("g").unwrap().as_str(), None);
    assert_eq!(root.get("g").unwrap().as_text(), Some("2"));
}

#[test]
fn aliases_and_merge_keys() {
    let text = "base: &b {x: 1, y: 2}\nuse: *b\nm:\n  <<: *b\n  y: 3\n";
    let (docs, errors) = docs(text);
    assert!(errors.is_empty(), "{errors:?}");
    let root = docs[0].root().unwrap();
    assert_eq!(root.get("use").unwrap().get("x").unwrap().as_i64(), Some(1));
    let m = root.get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.get("y").unwrap().as_i64(), Some(3));
    assert!(docs[0].duplicates.is_empty());
}

#[test]
fn duplicate_keys_are_recorded_and_last_wins() {
    let text = "a: 1\nb: 2\na: 3\n";
    let (docs, _) = docs(text);
    let root = docs[0].root().unwrap();
    assert_eq!(root.get("a").unwrap().as_i64(), Some(3));
    assert_eq!(docs[0].duplicates.len(), 1);
    let d = &docs[0].duplicates[0];
    assert_eq!(slice(text, docs[0].node(d.later).unwrap().span()), "a");
}

#[test]
fn several_documents_comments_and_end_markers() {
    let text = "# Source: c/templates/a.yaml\na: 1\n--- # note\nb: 2\n...\n---\n# only a comment\n";
    let (docs, errors) = docs(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(docs.len(), 3);
    assert_eq!(slice(text, docs[0].comments[0].clone()), "# Source: c/templates/a.yaml");
    assert!(docs[0].has_content() && docs[1].has_content());
    assert!(!docs[2].has_content());
}

#[test]
fn errors_point_into_the_file_and_parsing_resumes() {
    let text = "a: 1\n---\nb: [1, 2\n---\nc: 3\n";
    let (docs, errors) = docs(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].offset, 12);
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].root().unwrap().get("c").unwrap().as_i64(), Some(3));
}

#[test]
fn undefined_alias_is_an_error() {
    let text = "a: *nope\n";
    let (docs, errors) = docs(text);
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("anchor"), "{}", errors[0].message);
}

#[test]
fn bom_and_crlf() {
    let text = "\u{feff}a: 1\r\nb:\r\n  - x\r\n";
    let (docs, errors) = docs(text);
    assert!(errors.is_empty());
    let root = docs[0].root().unwrap();
    assert_eq!(slice(text, root.get("b").unwrap().span()), "- x");
}

#[test]
fn locate_names_the_deepest_existing_node() {
    let text = "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n";
    let (docs, _) = docs(text);
    let root = docs[0].root().unwrap();
    let path = NodePath::keys(&["spec", "template", "spec", "containers"]).index(0).key("resources").key("limits");
    let loc = locate(text, root, &path);
    assert_eq!(loc.path.to_string(), "spec.template.spec.containers[0]");
    assert_eq!(slice(text, loc.span), "name: c");
    let loc = locate(text, root, &NodePath::keys(&["spec", "template", "spec"]));
    assert_eq!(slice(text, loc.span.clone()), "spec");
    assert_eq!(loc.span.start, 22);
    let img = locate(text, root, &NodePath::keys(&["spec", "template", "spec", "containers"]).index(0).key("image"));
    assert_eq!(slice(text, img.span), "x");
}

#[test]
fn alias_expansion_is_measured_and_limited() {
    let bomb = super::alias_bomb();
    let (docs, errors) = parse_chunk(&bomb, 0..bomb.len(), Limits::default());
    assert!(docs.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("more than 1000000 nodes"), "{}", errors[0].message);
    // Exactly at the limit: `a` (3 nodes) named by four aliases adds 4 x 2 = 8 nodes.
    let text = "a: &a [x, y]
b: [*a, *a, *a, *a]
c: *x
";
    let text = text.replace("c: *x\n", "");
    let at = |n: u64| parse_chunk(&text, 0..text.len(), Limits { max_alias_nodes: n, ..Limits::default() }).1.len();
    assert_eq!(at(8), 0);
    assert_eq!(at(7), 1);
    // A recursive alias is an error whatever the limit.
    let cyclic = "a: &a {b: *a}\n";
    let (_, errors) = parse_chunk(cyclic, 0..cyclic.len(), Limits { max_alias_nodes: u64::MAX, ..Limits::default() });
    assert!(errors[0].message.starts_with("recursive alias"), "{:?}", errors);
}
