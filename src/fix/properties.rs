//! Property tests of `--fix` over generated inputs of the kinds that broke it (issue 9): block
//! scalars that keep their trailing lines before an insertion point, anchors shared across the
//! objects of a `List`, JSON files, comments on lines a fix removes, `List`s mixing per-pod
//! Leases with other objects. Each input goes through the fuzz target's property
//! (`fuzzing::fix`): the output is the input with the kept passes' edits, every pass changed
//! nothing but what its fixes declared (compared as JSON), the output parses, lint's `fixable`
//! is what was fixed, and a second `--fix` changes nothing.

#![allow(clippy::unwrap_used, reason = "tests")]

/// xorshift64*: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn coin(&mut self) -> bool {
        self.below(2) == 0
    }
}

/// Indents every line of `text` by `n` spaces.
fn indent(text: &str, n: usize) -> String {
    text.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("{}{l}\n", " ".repeat(n)) }).collect()
}

/// A container whose resources are written in one of several ways (an anchor, an alias, flow or
/// block, comments on the lines a fix removes) and whose last key may be a block scalar that
/// keeps its trailing lines.
fn container(rng: &mut Rng, name: &str, resources: &str) -> String {
    let mut c = format!("- name: {name}\n  image: example/{name}:1\n");
    c.push_str(resources);
    match rng.below(4) {
        0 => c.push_str("  args:\n    - |+\n      kept lines\n\n\n"),
        1 => c.push_str("  args:\n    - >+\n      folded\n      kept\n\n"),
        2 => c.push_str("  command: [run]\n"),
        _ => {}
    }
    c
}

fn resources(rng: &mut Rng, anchor: Option<&str>) -> String {
    let tag = anchor.map_or_else(String::new, |a| format!(" &{a}"));
    let cpu_comment = if rng.coin() { "  # agreed with the capacity team" } else { "" };
    match rng.below(4) {
        0 => format!(
            "  resources:{tag}\n    requests:\n      cpu: 200m\n      memory: 256Mi\n    limits:\n      cpu: 400m{cpu_comment}\n      memory: 512Mi\n"
        ),
        1 => {
            format!("  resources:{tag} {{requests: {{cpu: 100m, memory: 1Gi}}, limits: {{cpu: 100m, memory: 1Gi}}}}\n")
        }
        2 => format!(
            "  resources:{tag}\n    # the limit the team chose\n    limits:\n      cpu: 1{cpu_comment}\n    requests:\n      memory: 128Mi\n"
        ),
        _ => format!("  resources:{tag}\n    requests: {{memory: 64Mi}}\n"),
    }
}

fn deployment(rng: &mut Rng, name: &str, body_indent: usize, anchor: Option<&str>) -> String {
    let latency = if rng.coin() { "  annotations: {leaselint.io/latency-sensitive: \"true\"}\n" } else { "" };
    let replicas = rng.below(4);
    let res = resources(rng, anchor);
    let c = container(rng, name, &res);
    let doc = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: web\n{latency}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n{}",
        indent(&c, 8)
    );
    indent(&doc, body_indent)
}

fn job_with_alias(name: &str, alias: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  namespace: web\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: {name}\n          image: x\n          resources: *{alias}\n"
    )
}

fn lease(name: &str) -> String {
    format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: {name}\n  namespace: edge\n  labels: {{app: relay}}  # the relay's lock\nspec:\n  holderIdentity: {name}\n"
    )
}

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: relay-config\n  namespace: edge\ndata:\n  mode: |+\n    fast\n\n";

/// `items` as a `List` document (each item indented under its dash).
fn list(items: &[String]) -> String {
    let mut out = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for item in items {
        let mut lines = item.lines();
        out.push_str(&format!("  - {}\n", lines.next().unwrap_or_default()));
        for l in lines {
            out.push_str(&if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") });
        }
    }
    out
}

/// One generated YAML stream.
fn stream(rng: &mut Rng, case: usize) -> String {
    let mut docs = Vec::new();
    for d in 0..1 + rng.below(3) {
        let name = format!("app{case}x{d}");
        let doc = match rng.below(5) {
            0 => deployment(rng, &name, 0, None),
            1 => {
                // An anchor in one object of a List, an alias in another.
                let alias = format!("res{d}");
                let items =
                    vec![deployment(rng, &name, 0, Some(&alias)), job_with_alias(&format!("{name}-job"), &alias)];
                list(&items)
            }
            2 => {
                // Per-pod Leases: documents and List items, mixed with another object.
                let mut items =
                    vec![lease(&format!("relay{d}-1")), CONFIGMAP.to_string(), lease(&format!("relay{d}-2"))];
                if rng.coin() {
                    items.swap(0, 1);
                }
                let l = list(&items);
                if rng.coin() { format!("{}---\n{l}", lease(&format!("relay{d}-0"))) } else { l }
            }
            3 => {
                // The same anchor used twice inside one object.
                let anchor = format!("shared{d}");
                let mut doc = deployment(rng, &name, 0, Some(&anchor));
                doc.push_str(&format!(
                    "      initContainers:\n        - name: init\n          image: x\n          resources: *{anchor}\n"
                ));
                doc
            }
            _ => format!("# a comment-only document {d}\n"),
        };
        docs.push(doc);
    }
    let mut text = docs.join("---\n");
    if rng.coin() {
        text = text.replace('\n', "\r\n");
    }
    text
}

/// A pretty-printed JSON Deployment (`list`: inside a JSON `List`).
fn json_case(rng: &mut Rng, list: bool) -> String {
    let replicas = rng.below(4);
    let limits = if rng.coin() { r#", "limits": {"cpu": "500m", "memory": "1Gi"}"# } else { "" };
    let latency = if rng.coin() { r#", "annotations": {"leaselint.io/latency-sensitive": "true"}"# } else { "" };
    let obj = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "web"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "x", "resources": {"requests": {"memory": "1Gi"}}}]}
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&obj).unwrap();
    text = text.replace(
        "\"requests\": {\n                  \"memory\": \"1Gi\"\n                }",
        &format!("\"requests\": {{\"memory\": \"1Gi\"}}{limits}"),
    );
    text = text.replace("\"namespace\": \"web\"", &format!("\"namespace\": \"web\"{latency}"));
    if list {
        let items = indent(&text, 4);
        text = format!(
            "{{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n{}  ]\n}}",
            items.trim_start_matches(' ').trim_end()
        );
        text = text.replace("[\n{", "[\n    {");
    }
    text.push('\n');
    text
}

/// The generated input parses, and how many fixes `--fix --unsafe-fixes` applies to it.
fn fixes_applied(text: &str, json: bool) -> usize {
    let name = if json { "p.json" } else { "p.yaml" };
    let file = crate::source::SourceFile::new(
        name.into(),
        Some(name.into()),
        crate::source::FileRole::Manifests,
        text.as_bytes().to_vec(),
    );
    let config = crate::config::LintConfig::default();
    let registry = crate::lint::Registry::new(crate::rules::builtin(), &config).unwrap();
    let lint = crate::lint::lint(std::slice::from_ref(&file), &registry, &config);
    assert!(lint.errors.is_empty(), "the generator wrote something that does not parse: {:?}\n{text}", lint.errors);
    let opts = super::Options { unsafe_fixes: true, history: false };
    super::run(vec![file], &registry, &config, opts).applied.len()
}

#[test]
fn generated_streams_keep_every_undeclared_byte_of_data() {
    let mut rng = Rng(0x5EED_1234_ABCD_0042);
    let mut applied = 0;
    for case in 0..120 {
        let text = stream(&mut rng, case);
        applied += fixes_applied(&text, false);
        for flags in [0u8, 1, 3] {
            let mut data = vec![flags];
            data.extend_from_slice(text.as_bytes());
            let outcome = std::panic::catch_unwind(|| crate::fuzzing::fix(&data));
            assert!(outcome.is_ok(), "case {case}, flags {flags}:\n{text}");
        }
    }
    assert!(applied > 300, "the cases exercise the fixes ({applied} applied)");
}

#[test]
fn generated_json_files_stay_json() {
    let mut rng = Rng(0x0DDB_A11C_0FFE_E000);
    let mut applied = 0;
    for case in 0..40 {
        let text = json_case(&mut rng, case % 2 == 1);
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "the generator writes JSON:\n{text}");
        applied += fixes_applied(&text, true);
        for flags in [4u8, 5] {
            let mut data = vec![flags];
            data.extend_from_slice(text.as_bytes());
            let outcome = std::panic::catch_unwind(|| crate::fuzzing::fix(&data));
            assert!(outcome.is_ok(), "case {case}, flags {flags}:\n{text}");
        }
    }
    assert!(applied > 60, "the cases exercise the fixes ({applied} applied)");
}

/// `summary.fixable` of a plain lint (its safe part for `--fix`) is what `--fix` (`--fix
/// --unsafe-fixes`) then fixes, on every fixture and every file of the real corpus
/// (`../shared/corpus/real/`, skipped with a notice when absent).
#[test]
fn lint_counts_as_fixable_what_fix_fixes() {
    use crate::diag::Applicability;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<std::path::PathBuf> = walkdir::WalkDir::new(root.join("fixtures"))
        .into_iter()
        .filter_map(Result::ok)
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("config.yaml"))
        .collect();
    let corpus = root.join("../shared/corpus/real");
    match std::fs::read_dir(&corpus) {
        Ok(entries) => paths.extend(
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")),
        ),
        Err(_) => eprintln!("notice: {} is absent; the parity check covers the fixtures only", corpus.display()),
    }
    paths.sort();
    let config = crate::config::LintConfig::default();
    let registry = crate::lint::Registry::new(crate::rules::builtin(), &config).unwrap();
    let mut checked = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let name = path.display().to_string();
        let load = || {
            crate::source::SourceFile::new(
                name.clone(),
                Some(path.clone()),
                crate::source::FileRole::Manifests,
                bytes.clone(),
            )
        };
        let lint = crate::lint::lint(&[load()], &registry, &config);
        for (unsafe_fixes, wanted) in [(false, Applicability::Safe), (true, Applicability::Unsafe)] {
            let fixable = lint.diagnostics.iter().filter(|d| d.fix.as_ref().is_some_and(|f| f.applies(wanted))).count();
            let run = super::run(vec![load()], &registry, &config, super::Options { unsafe_fixes, history: false });
            assert!(run.converged, "{name}: did not converge");
            assert_eq!(
                run.applied.len(),
                fixable,
                "{name} (unsafe fixes: {unsafe_fixes}): lint said {fixable} fixable"
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked} files checked");
}
