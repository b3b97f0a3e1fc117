#!/usr/bin/env python3
"""The scale benchmark of `leaselint audit` (issue 11): the test API server (tests/apiserver,
its own process) serves a simulated cluster at the seed's scale — 4,000 nodes, 200,000 pods,
5,000 Deployments (and their ReplicaSets), 20 StatefulSets, 2,000 per-pod Leases — and the audit
reads it and lints the objects it keeps. Measured per size: wall time, peak RSS of the audit,
requests, list requests, watches, bytes read (from the server's request log), objects linted
and findings.

    cargo build --release -p leaselint-test-apiserver && cargo build --release
    python3 bench/audit_scale.py [--pods 100000,200000] [--sample 0] [--repeat 1]

Targets (issue 11): peak RSS at most 400 MB; list requests at most one per 500 objects plus one
per resource type; exactly one watch when sampling; time linear in the number of objects
(100k vs 200k pods within 2.2x).
"""
import argparse
import json
import math
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER = ROOT / "target/release/leaselint-test-apiserver"
LEASELINT = ROOT / "target/release/leaselint"
# The resources the audit lists (SPEC §9).
RESOURCE_TYPES = 17


def run(pods, sample, workdir):
    log = workdir / f"requests-{pods}.jsonl"
    server = subprocess.Popen(
        [str(SERVER), "--dir", str(workdir), "--seed", "--pods", str(pods), "--request-log", str(log)],
        stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline().split()
        if not line or line[0] != "ready":
            sys.exit(f"the test API server did not start: {line}")
        kubeconfig = line[2]
        start = time.monotonic()
        out = subprocess.run(
            ["/usr/bin/time", "-f", "%M", str(LEASELINT), "--no-config", "audit", "--format", "json",
             "--sample", sample, "--kubeconfig", kubeconfig],
            capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        if out.returncode not in (0, 1):  # 1: findings
            sys.exit(f"audit failed ({out.returncode}): {out.stderr[-2000:]}")
        rss_kb = int(out.stderr.strip().splitlines()[-1])
        report = json.loads(out.stdout)
        time.sleep(0.5)  # the server writes its request log every 200 ms
        requests = [json.loads(l) for l in log.read_text().splitlines()]
        return {
            "pods": pods,
            "wall_s": wall,
            "rss_mb": rss_kb * 1024 / 1e6,
            "requests": report["api"]["requests"],
            "lists": report["api"]["lists"],
            "watches": report["api"]["watches"],
            "bytes_mb": sum(r["bytes"] for r in requests) / 1e6,
            "leases": report["totals"]["leases"],
            "linted": report["summary"]["objects"],
            "findings": len(report["findings"]),
        }
    finally:
        server.kill()  # stopped by its process id
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", default="100000,200000")
    parser.add_argument("--sample", default="0")
    opts = parser.parse_args()
    for binary in (SERVER, LEASELINT):
        if not binary.exists():
            sys.exit(f"build it first: {binary}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pods in [int(p) for p in opts.pods.split(",")]:
            rows.append(run(pods, opts.sample, pathlib.Path(tmp)))
    print("| pods | leases | wall s | peak RSS MB | requests | lists | watches | MB read | objects linted | findings |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pods']:,} | {r['leases']:,} | {r['wall_s']:.1f} | {r['rss_mb']:.0f} | {r['requests']} | "
              f"{r['lists']} | {r['watches']} | {r['bytes_mb']:.0f} | {r['linted']:,} | {r['findings']:,} |")
    for r in rows:
        # Objects served: Leases (nodes + per-pod + identity), Pods, 5,000 ReplicaSets and
        # Deployments, 20 StatefulSets; one list per 500 of them plus one per resource type (17).
        objects = r["pods"] + r["leases"] + 5_000 + 5_000 + 20
        bound = math.ceil(objects / 500) + RESOURCE_TYPES
        print(f"{r['pods']:,} pods: lists {r['lists']} (bound {bound}: {'PASS' if r['lists'] <= bound else 'FAIL'}), "
              f"RSS {r['rss_mb']:.0f} MB (<= 400: {'PASS' if r['rss_mb'] <= 400 else 'FAIL'})")
    if len(rows) >= 2:
        ratio = rows[-1]["wall_s"] / rows[0]["wall_s"]
        print(f"time {rows[-1]['pods']:,} / {rows[0]['pods']:,} pods: {ratio:.2f} (<= 2.2: {'PASS' if ratio <= 2.2 else 'FAIL'})")


if __name__ == "__main__":
    main()
