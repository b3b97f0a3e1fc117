#!/usr/bin/env python3
"""Findings per rule on the real charts of ../shared/corpus/real/, for one or more leaselint
binaries side by side (e.g. before and after a rule change), as a Markdown table.

    python3 bench/corpus_findings.py OLD_BINARY NEW_BINARY [--corpus DIR] [--args "-n prod"]

Each binary lints every `*.yaml` of the corpus on its own (`--no-config --format json FILE`),
as a user linting one rendered chart would. The table gives the findings per rule, the total,
and how many files would fail a CI step (a finding of severity warning or error: exit 1).
"""
import argparse
import collections
import json
import pathlib
import shlex
import subprocess
import sys


def counts(binary, files, extra):
    per_rule = collections.Counter()
    failing = 0
    for f in files:
        out = subprocess.run([binary, "--no-config", "--format", "json", *extra, str(f)],
                             capture_output=True, text=True, check=False)
        report = json.loads(out.stdout)
        per_rule.update(x["rule"] for x in report["findings"])
        failing += any(x["severity"] in ("warning", "error") for x in report["findings"])
    return per_rule, failing


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+")
    here = pathlib.Path(__file__).resolve().parent.parent
    parser.add_argument("--corpus", default=str(here / "../shared/corpus/real"))
    parser.add_argument("--args", default="", help="more leaselint arguments for every run")
    opts = parser.parse_args()
    files = sorted(pathlib.Path(opts.corpus).glob("*.yaml"))
    if not files:
        sys.exit(f"no *.yaml in {opts.corpus}")
    results = [counts(b, files, shlex.split(opts.args)) for b in opts.binaries]
    rules = sorted(set().union(*(r for r, _ in results)))
    print(f"| rule | {' | '.join(opts.binaries)} |")
    print("|---|" + "---:|" * len(results))
    for rule in rules:
        print(f"| {rule} | " + " | ".join(str(r[rule]) for r, _ in results) + " |")
    print("| **total** | " + " | ".join(f"**{sum(r.values())}**" for r, _ in results) + " |")
    print(f"| files that fail (of {len(files)}) | " + " | ".join(str(f) for _, f in results) + " |")


if __name__ == "__main__":
    main()
