use super::{Chosen, choose, overlaps};
use crate::diag::Edit;

fn edit(r: std::ops::Range<usize>, c: &str) -> Edit {
    Edit { range: r, content: c.to_string() }
}

fn diag(code: &'static str, edits: Vec<Edit>) -> Chosen {
    Chosen { code, key: (code, 0, None, String::new(), 0), edits, changes: Vec::new() }
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
    let diags = vec![a, b, c, d];
    let (edits, chosen) = choose(&diags);
    let codes: Vec<_> = chosen.iter().map(|&i| diags[i].code).collect();
    assert_eq!(codes, ["LL001", "LL003", "LL004"], "b overlaps a; c shares a's identical insertion");
    assert_eq!(edits, vec![edit(0..3, "x"), edit(10..10, "env"), edit(20..20, "w"), edit(20..21, "z")]);
}

mod passes {
    use crate::config::LintConfig;
    use crate::diag::{Edit, Fix, Patch};
    use crate::k8s::Object;
    use crate::lint::{Ctx, Registry, Rule};
    use crate::source::{FileRole, SourceFile};
    use crate::yaml::edit::Value;

    /// A test rule (borrowing LL010's metadata) whose fix is given by a function of the object.
    struct Scripted(fn(&Object<'_>) -> Option<Patch>);

    impl Rule for Scripted {
        fn code(&self) -> &'static str {
            "LL010"
        }

        fn name(&self) -> &'static str {
            "duplicate-key"
        }

        fn check_object(&self, obj: &Object<'_>, cx: &mut Ctx<'_>) {
            let Some(patch) = (self.0)(obj) else { return };
            let fix = cx.with_edits(Fix::safe("scripted"), &[], |_| Ok(patch));
            cx.report(obj.at(&crate::yaml::NodePath::root()), "scripted").fix(fix).emit();
        }
    }

    fn run_in(text: &str, rule: Scripted, path: Option<&str>) -> super::super::FixRun {
        let config = LintConfig::default();
        let registry = Registry::new(vec![Box::new(rule)], &config).unwrap();
        let file =
            SourceFile::new("t.yaml".into(), path.map(Into::into), FileRole::Manifests, text.as_bytes().to_vec());
        super::super::run(vec![file], &registry, &config, super::super::Options::default())
    }

    fn run(text: &str, rule: Scripted) -> super::super::FixRun {
        run_in(text, rule, None)
    }

    fn comment(at: usize, text: &str) -> Patch {
        Patch { edits: vec![Edit { range: at..at, content: text.into() }], changes: Vec::new() }
    }

    /// The reasons the run's remaining findings give for refused fixes.
    fn refusals(out: &super::super::FixRun) -> Vec<String> {
        out.report.diagnostics.iter().filter_map(|d| d.fix.as_ref()?.refused.clone()).collect()
    }

    const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"v\"\n";

    #[test]
    fn a_fix_that_never_converges_stops_at_the_pass_limit() {
        let out = run(CONFIGMAP, Scripted(|_| Some(comment(0, "# again\n"))));
        assert!(!out.converged);
        assert_eq!(out.applied.len(), super::super::MAX_PASSES);
        assert!(out.files[0].text.starts_with(&"# again\n".repeat(super::super::MAX_PASSES)));
    }

    #[test]
    fn a_fix_that_breaks_the_yaml_is_refused() {
        let out = run(CONFIGMAP, Scripted(|_| Some(comment(0, "{"))));
        assert!(out.converged);
        assert_eq!(out.files[0].text, CONFIGMAP, "the file keeps its last good state");
        assert!(out.applied.is_empty());
        let why = refusals(&out);
        assert!(why.iter().any(|w| w.contains("does not parse")), "{why:?}");
    }

    #[test]
    fn a_fix_that_breaks_the_type_of_a_valid_object_is_refused() {
        // `data.k` becomes a number: the API server would reject the ConfigMap.
        let fix = |o: &Object<'_>| {
            let v = o.root.get_path(&["data", "k"])?;
            let ed = crate::yaml::edit::Editor::new(o.text);
            ed.replace_scalar(v, &Value::raw("1")).ok()
        };
        let out = run(CONFIGMAP, Scripted(fix));
        assert_eq!(out.files[0].text, CONFIGMAP);
        let why = refusals(&out);
        assert!(why.iter().any(|w| w.contains("no longer deserializes")), "{why:?}");
    }

    #[test]
    fn a_fix_that_changes_what_it_did_not_declare_is_refused() {
        // The edit sets `data.k` but declares nothing.
        let fix = |o: &Object<'_>| {
            let v = o.root.get_path(&["data", "k"])?;
            let ed = crate::yaml::edit::Editor::new(o.text);
            let mut p = ed.replace_scalar(v, &Value::str("w")).ok()?;
            p.changes.clear();
            (v.as_str() == Some("v")).then_some(p)
        };
        let out = run(CONFIGMAP, Scripted(fix));
        assert_eq!(out.files[0].text, CONFIGMAP);
        let why = refusals(&out);
        assert!(why.iter().any(|w| w.contains("`data.k` of ConfigMap `a`")), "{why:?}");
    }

    #[test]
    fn an_object_that_was_invalid_before_is_only_held_to_parsing() {
        let invalid = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: true\n";
        let fix = |o: &Object<'_>| {
            let name = o.root.get_path(&["metadata", "name"])?;
            if name.scalar() == Some("b") {
                return None;
            }
            let ed = crate::yaml::edit::Editor::new(o.text);
            ed.replace_scalar(name, &Value::str("b")).ok()
        };
        let out = run(invalid, Scripted(fix));
        assert!(refusals(&out).is_empty(), "{:?}", refusals(&out));
        assert!(out.files[0].text.contains("name: b"));
    }

    #[test]
    fn a_file_with_a_parse_error_is_never_edited() {
        let broken = format!("{CONFIGMAP}---\na: [1, 2\n");
        let out = run_in(&broken, Scripted(|_| Some(comment(0, "# x\n"))), Some("t.yaml"));
        assert_eq!(out.files[0].text, broken);
        assert!(out.applied.is_empty());
        let why = refusals(&out);
        assert!(why.iter().any(|w| w.contains("does not parse (line 8")), "{why:?}");
    }

    #[test]
    fn on_stdin_the_documents_that_parse_are_fixed() {
        let broken = format!("{CONFIGMAP}---\na: [1, 2\n");
        let out = run(&broken, Scripted(|o| (!o.text.starts_with('#')).then(|| comment(0, "# x\n"))));
        assert_eq!(out.files[0].text, format!("# x\n{broken}"));
        assert_eq!(out.applied.len(), 1);
    }
}
