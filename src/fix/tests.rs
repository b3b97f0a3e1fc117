use super::{choose, overlaps};
use crate::diag::{Diagnostic, Edit, Fix, Loc, Severity};
use crate::yaml::NodePath;

fn edit(r: std::ops::Range<usize>, c: &str) -> Edit {
    Edit { range: r, content: c.to_string() }
}

fn diag(code: &'static str, edits: Vec<Edit>) -> Diagnostic {
    let mut fix = Fix::safe(format!("fix {code}"));
    fix.edits = edits;
    Diagnostic {
        code,
        name: "test",
        severity: Severity::Warning,
        loc: Loc { file: 0, span: 0..0, path: NodePath::root(), object: None },
        message: String::new(),
        fix: Some(fix),
    }
}

#[test]
fn overlap_rules() {
    assert!(overlaps(&edit(1..4, ""), &edit(2..5, "")));
    assert!(!overlaps(&edit(1..4, ""), &edit(4..5, "")));
    assert!(overlaps(&edit(3..3, "a"), &edit(3..3, "b")));
    assert!(overlaps(&edit(3..3, "a"), &edit(1..5, "")));
    assert!(!overlaps(&edit(1..1, "a"), &edit(1..5, "")));
    assert!(!overlaps(&edit(5..5, "a"), &edit(1..5, "")));
}

#[test]
fn overlapping_fixes_wait_for_the_next_pass_and_identical_edits_merge() {
    let a = diag("LL001", vec![edit(0..3, "x"), edit(10..10, "env")]);
    let b = diag("LL002", vec![edit(2..5, "y")]);
    let c = diag("LL003", vec![edit(10..10, "env"), edit(20..21, "z")]);
    let d = diag("LL004", vec![edit(20..20, "w")]);
    let diags = vec![&a, &b, &c, &d];
    let (edits, chosen) = choose(&diags);
    let codes: Vec<_> = chosen.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["LL001", "LL003", "LL004"], "b overlaps a; c shares a's identical insertion");
    assert_eq!(edits, vec![edit(0..3, "x"), edit(10..10, "env"), edit(20..20, "w"), edit(20..21, "z")]);
}
