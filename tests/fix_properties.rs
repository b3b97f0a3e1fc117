//! Property tests of `--fix` over generated streams: the shared benchmark generator's output
//! (`../shared/bench/gen_manifests.py`, skipped with a notice when absent) and this file's own
//! generator of style variants (indentation, sequence style, flow and block collections, quoting,
//! CRLF, final newline, comments, `...` markers, Lists). For each stream: `--fix` succeeds, a
//! second run changes nothing, the result lints without errors, no applicable fix remains, every
//! comment survives in order, and the stdin pipe gives the same bytes as the in-place fix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail loudly")]

mod common;

use std::path::Path;

use common::{json, repo, run_in};

fn check_guarantees(dir: &Path, name: &str, original: &str, args: &[&str]) -> bool {
    std::fs::write(dir.join(name), original).unwrap();
    let mut fix_args = args.to_vec();
    fix_args.extend(["--format", "json", name]);
    let out = run_in(dir, &fix_args, None);
    if out.status.code() == Some(2) {
        let report = json(&out);
        panic!("{name}: --fix failed: {}\n--- input\n{original}", report["errors"]);
    }
    let fixed = std::fs::read_to_string(dir.join(name)).unwrap();
    run_in(dir, &fix_args, None);
    assert_eq!(std::fs::read_to_string(dir.join(name)).unwrap(), fixed, "{name}: not idempotent:\n{original}");
    let report = json(&run_in(dir, &["--format", "json", name], None));
    assert_eq!(report["errors"], serde_json::Value::Array(vec![]), "{name}: errors after --fix:\n{fixed}");
    let unsafe_too = args.contains(&"--unsafe-fixes");
    for f in report["findings"].as_array().unwrap() {
        let applicable = f["fix"] == "safe" || (unsafe_too && f["fix"] == "unsafe");
        assert!(!applicable, "{name}: an applicable fix remains: {f}\n--- original\n{original}\n--- fixed\n{fixed}");
    }
    let comments =
        |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).map(str::to_string).collect::<Vec<_>>();
    let after = comments(&fixed);
    let mut rest = after.iter();
    for c in comments(original) {
        assert!(rest.any(|f| *f == c), "{name}: comment {c:?} lost:\n{fixed}");
    }
    let mut pipe_args = args.to_vec();
    pipe_args.extend(["--format", "json", "-"]);
    let piped = run_in(dir, &pipe_args, Some(original.as_bytes()));
    assert_eq!(String::from_utf8(piped.stdout).unwrap(), fixed, "{name}: stdin and in-place differ");
    fixed != original
}

#[test]
fn generated_benchmark_streams() {
    let generator = repo().join("../shared/bench/gen_manifests.py");
    if !generator.is_file() {
        eprintln!("notice: ../shared/bench/gen_manifests.py is absent; skipping the generated-stream fix test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (seed, extra) in [(1, ""), (2, "--no-comments"), (3, "--issue-rate=0.5"), (4, "--no-empty-docs")] {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(&generator).args(["-n", "150", "--seed", &seed.to_string()]);
        if !extra.is_empty() {
            cmd.arg(extra);
        }
        let out = cmd.output().expect("python3 runs the generator");
        assert!(out.status.success(), "generator failed: {}", String::from_utf8_lossy(&out.stderr));
        let stream = String::from_utf8(out.stdout).unwrap();
        check_guarantees(tmp.path(), &format!("gen-{seed}.yaml"), &stream, &["--fix"]);
        check_guarantees(tmp.path(), &format!("gen-{seed}-unsafe.yaml"), &stream, &["--fix", "--unsafe-fixes"]);
    }
}

/// A small deterministic PRNG (xorshift64*), so the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One workload (plus, sometimes, a Service, an HPA, a PDB or a Lease group) in a random style.
fn generate(rng: &mut Rng, i: usize) -> String {
    let ind = if rng.chance(30) { 4 } else { 2 };
    let seq_indent = if rng.chance(50) { ind } else { 0 };
    let p = |n: usize| " ".repeat(n * ind);
    let s = |n: usize| " ".repeat(n * ind + seq_indent);
    let q = |rng: &mut Rng, v: &str| match rng.next() % 3 {
        0 => v.to_string(),
        1 => format!("\"{v}\""),
        _ => format!("'{v}'"),
    };
    let kind = rng.pick(&["Deployment", "StatefulSet", "DaemonSet", "Job"]);
    let api = if kind == "Job" { "batch/v1" } else { "apps/v1" };
    let name = format!("app{i}");
    let ns = if rng.chance(70) { format!("{}namespace: team{}\n", p(1), i % 3) } else { String::new() };
    let mut y = String::new();
    if rng.chance(40) {
        y.push_str(&format!("# Source: chart/templates/{name}.yaml\n"));
    }
    y.push_str(&format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n{}name: {name}\n{ns}", p(1)));
    y.push_str("spec:\n");
    if matches!(kind, "Deployment" | "StatefulSet") {
        y.push_str(&format!(
            "{}replicas: {}{}\n",
            p(1),
            1 + rng.next() % 4,
            if rng.chance(30) { " # scaled" } else { "" }
        ));
    }
    if kind != "Job" {
        y.push_str(&format!("{}selector:\n{}matchLabels: {{app: {name}}}\n", p(1), p(2)));
    }
    y.push_str(&format!("{}template:\n{}metadata:\n{}labels:\n{}app: {name}\n", p(1), p(2), p(3), p(4)));
    if rng.chance(30) {
        y.push_str(&format!("{}annotations:\n{}leaselint.io/latency-sensitive: \"true\"\n", p(3), p(4)));
    }
    y.push_str(&format!("{}spec:\n", p(2)));
    if kind == "Job" {
        y.push_str(&format!("{}restartPolicy: Never\n", p(3)));
    }
    if rng.chance(30) {
        y.push_str(&format!("{}# the containers\n", p(3)));
    }
    y.push_str(&format!("{}containers:\n", p(3)));
    let c = s(3);
    y.push_str(&format!("{c}- name: main\n{c}  image: {}\n", q(rng, "example/app:1")));
    match rng.next() % 4 {
        0 => y.push_str(&format!("{c}  args: [\"--leader-elect\", \"--lease-name=$(POD_NAME)\"]\n{c}  env:\n{c}  - name: POD_NAME\n{c}    valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}\n")),
        1 => y.push_str(&format!("{c}  args:\n{c}  - --election-id\n{c}  - {}\n", q(rng, "shared-lock"))),
        2 => y.push_str(&format!("{c}  env:\n{c}  - name: LEASE_NAMESPACE\n{c}    value: {}\n", q(rng, "kube-system"))),
        _ => {}
    }
    match rng.next() % 4 {
        0 => y.push_str(&format!(
            "{c}  resources: {{limits: {{cpu: 500m, memory: 256Mi}}, requests: {{cpu: 100m, memory: 128Mi}}}}\n"
        )),
        1 => y.push_str(&format!(
            "{c}  resources:\n{c}{}limits:\n{c}{}cpu: {}\n{c}{}requests:\n{c}{}memory: 128Mi # the request\n",
            p(1),
            p(2),
            q(rng, "1"),
            p(1),
            p(2)
        )),
        2 => y.push_str(&format!("{c}  resources:\n{c}{}requests: {{memory: 64Mi}}\n", p(1))),
        _ => {}
    }
    if rng.chance(30) {
        y.push_str(&format!("{}dnsConfig:\n{}options:\n{}- name: ndots\n{}  value: \"5\"\n", p(3), p(4), s(4), s(4)));
    }
    if rng.chance(40) {
        y.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}{}}}\nspec:\n{}selector: {{app: {name}}}\n",
            if ns.is_empty() { String::new() } else { format!(", namespace: team{}", i % 3) },
            p(1)
        ));
    }
    if rng.chance(25) {
        y.push_str(&format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n{}name: {name}\n{ns}spec:\n{}minAvailable: {}\n{}selector:\n{}matchLabels: {{app: {name}}}\n",
            p(1),
            p(1),
            q(rng, "100%"),
            p(1),
            p(2)
        ));
    }
    if rng.chance(20) {
        for n in 0..2 {
            y.push_str(&format!(
                "---\napiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n{}name: {name}-{n}\n{}namespace: locks\nspec:\n{}holderIdentity: {name}-{n}\n",
                p(1),
                p(1),
                p(1)
            ));
        }
    }
    if rng.chance(10) {
        y.push_str("...\n");
    }
    y
}

#[test]
fn generated_style_variants() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut changed = 0;
    for case in 0..150 {
        let docs: Vec<String> = (0..1 + rng.next() % 3).map(|i| generate(&mut rng, case * 10 + i as usize)).collect();
        let mut stream = docs.join("---\n");
        if rng.chance(30) {
            stream = stream.replace('\n', "\r\n");
        }
        if rng.chance(20) {
            stream = stream.trim_end().to_string();
        }
        let args: &[&str] = if rng.chance(50) { &["--fix"] } else { &["--fix", "--unsafe-fixes"] };
        changed += usize::from(check_guarantees(tmp.path(), &format!("case-{case}.yaml"), &stream, args));
    }
    assert!(changed > 120, "the generated cases exercise the fixes ({changed} of 150 changed)");
}
