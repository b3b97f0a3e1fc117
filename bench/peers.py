#!/usr/bin/env python3
"""bench/peers.py - leaselint side by side with its peers (run by hand, never in CI).

What it measures
----------------
Three tools on the same inputs, interleaved round-robin per repeat (leaselint,
checkov, pyyaml-c; leaselint, checkov, pyyaml-c; ...):

  leaselint  leaselint --no-config --format json INPUT
             (stdout to /dev/null; exit 1 = findings, normal; 2 = error)
  checkov    env CKV_SKIP_PACKAGE_UPDATE_CHECK=true checkov {-f FILE | -d DIR}
                 --framework kubernetes -o json --quiet --skip-download
             (Checkov's Kubernetes framework; exit 1 = failed checks, normal.
             Its stdout - JSON of ~80 MB per 1k objects even with --quiet -
             goes through a pipe of which this driver keeps only the last
             64 KiB, to read the closing "summary" object; see "Checkov" below)
  pyyaml-c   python3 -c '<for each file: list(yaml.load_all(data,
                                    Loader=yaml.CSafeLoader))>' INPUT
             (PyYAML's libyaml parser in one subprocess: the parse floor; it
             loads every .yaml/.yml file of a directory, sorted, in one process)

Inputs: the real corpus directory (default ../shared/corpus/real: rendered
charts, see its SOURCES.md; leaselint and pyyaml-c get the directory, Checkov
gets `-d DIR`), then generated streams of N objects for each --sizes N,
made by bench/run.py's generator helper

    python3 ../shared/bench/gen_manifests.py -n N --seed 1 -o <workdir>/gen-N.yaml

(cached in --workdir and reused while the arguments and the generator are
unchanged - the same cache as bench/run.py's).

Measurement is bench/run.py's (imported, not copied): wall time is
time.perf_counter() around Popen + os.wait4, CPU time is ru_utime + ru_stime
of that child's rusage, peak RSS comes from a `/usr/bin/time -f %M` wrapper
(os.wait4's ru_maxrss when GNU time is missing; see run.py's "About peak
RSS").  Every run is kept, the report shows medians.

Objects: before timing, leaselint lints each input once more (untimed) and
its JSON summary gives the object count ("objects": every non-empty document,
the items of *List objects one by one).  That count is the denominator of
objects/s (wall) and objects/CPU-second for every tool.  For the reader to
see that the peers really read the inputs, each timed run also records what
the peer itself counted: pyyaml-c prints its number of non-null documents on
stderr, and Checkov's JSON summary gives resource_count (graph vertices: the
objects plus one derived Pod per workload pod template) and its passed /
failed check counts and parsing_errors.

Checkov
-------
Offline: by default Checkov 3.3.30 makes two kinds of network calls per run,
neither needed for a local scan: GET api0.prismacloud.io/bridgecrew/api/v2/
guidelines (policy metadata; 4 attempts with a 3.1 s connect timeout each,
then a warning with a traceback on stderr) and, once an hour (cache in
~/.cache/checkov), GET pypi.org for an update check (1 s timeout).
`--skip-download` stops the first (the env var BC_SKIP_MAPPING=TRUE does the
same), CKV_SKIP_PACKAGE_UPDATE_CHECK=true the second; with both, a Python
audit hook sees no socket.getaddrinfo or socket.connect at all, and stderr
stays empty (the driver warns when it is not).

`--quiet` changes only the output (the JSON lists the failed checks, not the
passed ones; no progress bar): the checks run and the summary counts are the
same.  The pipe instead of /dev/null costs Checkov ~0.05 s of CPU per 400 MB
written (its output on 5k objects; a synthetic writer measured both ways);
the driver's reader thread runs on the other core.  --checkov-devnull
restores /dev/null (and loses the resource count).

Cost: Checkov works mostly on one core (CPU exceeds wall by ~10% only on the
corpus, a -d scan) and grows superlinearly with the stream: on a 2-core AMD
EPYC, 14 s and 0.6 GB peak RSS on 1k objects, 105 s and 2.4 GB on 5k, over
20 minutes on 20k.  So on inputs of more than --checkov-once-above objects
(default 5000) it runs once, in the middle round, while leaselint and
pyyaml-c still run --repeat times.

What Checkov skips silently (parsing_errors stays 0; visible only as fewer
resources): a file whose text contains `{{ .Values.` or `{{ .Release.` (taken
for an unrendered Helm template; e.g. istio-istiod.yaml, whose injection
template ConfigMap holds such text), and a file its PyYAML SafeLoader cannot
construct (e.g. kube-prometheus-setup.yaml: a CRD enum holds the plain scalar
`=`, YAML 1.1's value tag).  pyyaml-c constructs that tag as a string so that
the parse floor covers the whole corpus.

Reference: kubeconform publishes 50,714 resources validated in 6.7 s on 4
cores, 1,892 resources per core-second; the report sets leaselint's objects
per CPU-second on the largest generated stream (20k by default) beside it.
That is a published figure for different work (schema validation), not a
measurement made here.

How to run
----------
    python3 bench/peers.py                        # corpus, 1k, 5k, 20k (about 30 min)
    python3 bench/peers.py --sizes 1000 --repeat 1 --no-build
    python3 bench/peers.py --skip-checkov --json /tmp/peers.json --markdown
    python3 bench/peers.py --sizes 1000,5000 --checkov /path/to/checkov

By default the release binary is built first (`cargo build --release`, as in
bench/run.py); --no-build or --binary PATH skip that.  Checkov defaults to
../venv-checkov/bin/checkov, else `checkov` on PATH.  The driver needs Python
3.11 and the standard library only; pyyaml-c needs PyYAML with libyaml for
the running interpreter.  Exit status 0 when the benchmark ran, 2 on errors.
Run it on an otherwise idle machine, one benchmark at a time.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as base  # noqa: E402  (bench/run.py: measurement, build, machine info, generator)

REPO = base.REPO
MB = base.MB
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "real"
DEFAULT_CHECKOV = REPO.parent / "venv-checkov" / "bin" / "checkov"

TOOLS = ("leaselint", "checkov", "pyyaml-c")
OK_EXIT = {"leaselint": {0, 1}, "checkov": {0, 1}, "pyyaml-c": {0}}

# Checkov offline: no policy-metadata download, no PyPI update check (see the docstring).
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
CHECKOV_FLAGS = ["--framework", "kubernetes", "-o", "json", "--quiet", "--skip-download"]
CHECKOV_TAIL = 64 * 1024  # bytes of Checkov's stdout kept to find its "summary"

# The parse floor: every file read whole and loaded with list(); the number of
# non-null documents on stderr.  A plain "=" resolves to YAML 1.1's value tag,
# which no safe loader constructs; it is built as the string "=".
PYYAML_SNIPPET = r'''
import os, sys, yaml
yaml.CSafeLoader.add_constructor("tag:yaml.org,2002:value", yaml.constructor.SafeConstructor.construct_yaml_str)
p = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs
               if f.endswith((".yaml", ".yml"))) if os.path.isdir(p) else [p]
n = 0
for f in files:
    data = open(f, "rb").read()
    n += sum(d is not None for d in list(yaml.load_all(data, Loader=yaml.CSafeLoader)))
print(f"pyyaml-c: {len(files)} files, {n} documents", file=sys.stderr)
'''.strip()

# kubeconform's published figure: resources, seconds, cores.
KUBECONFORM = (50714, 6.7, 4)


# ---------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="leaselint vs Checkov (kubernetes) vs PyYAML CSafeLoader, side by side.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the docstring at the top of bench/peers.py for what is measured.")
    p.add_argument("--sizes", default="1000,5000,20000",
                   help="comma-separated object counts of generated streams; '' for none "
                        "(default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3,
                   help="timed runs per tool and input (default: %(default)s)")
    p.add_argument("--checkov-once-above", type=int, default=5000, metavar="N",
                   help="run Checkov once on inputs with more than N objects (default: %(default)s)")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                   help="real-manifest directory (default: <repo>/../shared/corpus/real)")
    p.add_argument("--no-corpus", action="store_true", help="do not benchmark the corpus directory")
    p.add_argument("--skip-checkov", action="store_true", help="do not run Checkov")
    p.add_argument("--skip-pyyaml", action="store_true", help="do not run pyyaml-c")
    p.add_argument("--checkov", type=Path,
                   help="checkov executable (default: <repo>/../venv-checkov/bin/checkov, else PATH)")
    p.add_argument("--checkov-devnull", action="store_true",
                   help="send Checkov's stdout to /dev/null (no pipe; no resource count)")
    p.add_argument("--threads", type=int, metavar="N", help="pass --threads N to leaselint")
    p.add_argument("--gen", type=Path, default=base.DEFAULT_GEN,
                   help="path to gen_manifests.py (default: <repo>/../shared/bench/gen_manifests.py)")
    p.add_argument("--workdir", type=Path, default=base.DEFAULT_WORKDIR,
                   help="where generated streams are cached (default: %(default)s)")
    p.add_argument("--binary", type=Path, help="leaselint binary to use (implies --no-build)")
    p.add_argument("--no-build", action="store_true", help="do not run `cargo build --release` first")
    p.add_argument("--json", type=Path, metavar="OUT", help="write all raw measurements to OUT as JSON")
    p.add_argument("--markdown", action="store_true", help="also print a README-ready markdown table")
    a = p.parse_args()
    try:
        a.sizes = sorted({int(s) for s in a.sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes: expected comma-separated integers, got {a.sizes!r}")
    if a.sizes and min(a.sizes) <= 0:
        p.error("--sizes: sizes must be positive")
    if not a.sizes and a.no_corpus:
        p.error("nothing to benchmark: no --sizes and --no-corpus")
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
    if a.threads is not None and a.threads < 1:
        p.error("--threads must be >= 1")
    return a


def find_checkov(args: argparse.Namespace) -> tuple[Path, str]:
    if args.checkov:
        exe = args.checkov
    elif os.access(DEFAULT_CHECKOV, os.X_OK):
        exe = DEFAULT_CHECKOV
    else:
        found = shutil.which("checkov")
        if not found:
            base.die(f"checkov not found ({DEFAULT_CHECKOV} or PATH); pass --checkov PATH or --skip-checkov")
        exe = Path(found)
    exe = exe.absolute()  # not resolve(): a venv's bin/ entry point must keep its path
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                       env={**os.environ, **CHECKOV_ENV})
    if r.returncode != 0:
        base.die(f"{exe} --version failed (exit {r.returncode}):\n{r.stderr}")
    return exe, r.stdout.strip().splitlines()[-1]


def input_bytes(path: Path) -> tuple[int, int]:
    """(files, bytes) of what leaselint reads: the file, or a directory's *.yaml/*.yml/*.json."""
    if path.is_dir():
        files = [f for f in path.rglob("*") if f.is_file() and f.suffix in (".yaml", ".yml", ".json")]
        return len(files), sum(f.stat().st_size for f in files)
    return 1, path.stat().st_size


# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------

def command_lines(binary: Path, threads: int | None, checkov: Path | None) -> dict[str, list[str]]:
    """argv templates; "{input}" is the file or directory, "{-f|-d}" Checkov's flag for it."""
    lint = [a if a != "{file}" else "{input}" for a in base.command_lines(binary, threads)["lint"]]
    lint.insert(1, "--no-config")
    cmds = {"leaselint": lint,
            "pyyaml-c": [sys.executable, "-c", PYYAML_SNIPPET, "{input}"]}
    if checkov is not None:
        cmds["checkov"] = ["env", *(f"{k}={v}" for k, v in CHECKOV_ENV.items()), str(checkov),
                           "{-f|-d}", "{input}", *CHECKOV_FLAGS]
    return cmds


def argv_for(template: list[str], path: Path) -> list[str]:
    flag = "-d" if path.is_dir() else "-f"
    return [str(path) if a == "{input}" else flag if a == "{-f|-d}" else a for a in template]


def checkov_summary(tail: bytes) -> dict | None:
    found = re.findall(rb'"summary":\s*(\{[^{}]*\})', tail)
    if not found:
        return None
    try:
        return json.loads(found[-1])
    except ValueError:
        return None


def measure_piped(argv: list[str], use_time: bool) -> dict:
    """base.measure with stdout into a pipe that a thread drains, keeping the last
    CHECKOV_TAIL bytes (Checkov's JSON is too big to keep: ~80 MB per 1k objects)."""
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)  # fewer wake-ups for the writer
    except (AttributeError, OSError):
        pass
    tail = bytearray()
    total = 0

    def drain() -> None:
        nonlocal total
        while chunk := os.read(r, 1 << 20):
            total += len(chunk)
            tail.extend(chunk)
            if len(tail) > 2 * CHECKOV_TAIL:
                del tail[:-CHECKOV_TAIL]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        m = base.measure(argv, use_time, stdout=w)
    finally:
        os.close(w)  # the child has exited: the reader sees EOF after the rest
        reader.join()
        os.close(r)
    m["stdout_bytes"] = total
    m["checkov_summary"] = checkov_summary(bytes(tail))
    return m


# ---------------------------------------------------------------------------
# one input
# ---------------------------------------------------------------------------

def leaselint_census(template: list[str], path: Path) -> dict:
    """One untimed lint: the JSON report's summary (files, documents, objects, ...)."""
    argv = argv_for(template, path)
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode not in OK_EXIT["leaselint"]:
        sys.stderr.write(r.stderr)
        base.die(f"leaselint failed with exit code {r.returncode}: {shlex.join(argv)}")
    report = json.loads(r.stdout)
    if report.get("errors"):
        print(f"  warning: leaselint reports {len(report['errors'])} file errors on {path}", flush=True)
    return report["summary"]


def bench_input(label: str, path: Path, cmds: dict[str, list[str]], args, use_time: bool) -> dict:
    files, size = input_bytes(path)
    census = leaselint_census(cmds["leaselint"], path)
    objects = census["objects"]
    print(f"  leaselint counts {objects} objects ({census['documents']} documents, "
          f"{census['files']} files, {size / MB:.2f} MB)", flush=True)
    names = [t for t in TOOLS if t in cmds]
    rounds = args.repeat
    once = objects > args.checkov_once_above
    plan = {t: set(range(rounds)) for t in names}
    if "checkov" in plan and once:
        plan["checkov"] = base.spread(rounds, 1)
    runs: dict[str, list[dict]] = {t: [] for t in names}
    notes: dict[str, str] = {}
    for r in range(rounds):
        print(f"  round {r + 1}/{rounds}:", end="", flush=True)
        for name in names:  # round-robin
            if r not in plan[name]:
                continue
            argv = argv_for(cmds[name], path)
            if name == "checkov" and not args.checkov_devnull:
                m = measure_piped(argv, use_time)
            else:
                m = base.measure(argv, use_time)
            base.check_exit(name, m, argv, OK_EXIT[name])
            err = m.pop("stderr").strip()
            if name == "pyyaml-c" and err:
                m["census"] = err.splitlines()[-1]
            elif err:  # leaselint and (offline) Checkov print nothing on stderr
                m["stderr_head"] = err[:2000]
                notes.setdefault(name, err.splitlines()[0][:200])
            m["round"] = r
            runs[name].append(m)
            print(f" {name} {m['wall_s']:.3f}s", end="", flush=True)
        print(flush=True)
    for name, first in notes.items():
        print(f"  warning: {name} wrote to stderr: {first}", flush=True)

    medians = {}
    for name, ms in runs.items():
        wall = statistics.median(m["wall_s"] for m in ms)
        cpu = statistics.median(m["cpu_s"] for m in ms)
        medians[name] = {
            "runs": len(ms),
            "wall_s": wall,
            "wall_min_s": min(m["wall_s"] for m in ms),
            "wall_max_s": max(m["wall_s"] for m in ms),
            "cpu_s": cpu,
            "maxrss_mb": statistics.median(m["maxrss_kib"] for m in ms) * 1024 / MB,
            "objects_per_s": objects / wall,
            "objects_per_cpu_s": objects / cpu if cpu > 0 else None,
        }
    ll = medians["leaselint"]
    for name, med in medians.items():
        med["leaselint_over_tool_wall"] = ll["wall_s"] / med["wall_s"]
        med["leaselint_over_tool_cpu"] = ll["cpu_s"] / med["cpu_s"] if med["cpu_s"] > 0 else None

    peer_counts = {}
    if runs.get("pyyaml-c"):
        peer_counts["pyyaml-c"] = runs["pyyaml-c"][-1].get("census", "")
    if runs.get("checkov"):
        s = runs["checkov"][-1].get("checkov_summary")
        if s is None:
            peer_counts["checkov"] = ("(stdout not read: --checkov-devnull)" if args.checkov_devnull
                                      else "(no summary found in Checkov's JSON)")
        else:
            peer_counts["checkov"] = (f"checkov: {s.get('resource_count')} resources, "
                                      f"{s.get('passed')} passed + {s.get('failed')} failed checks, "
                                      f"{s.get('parsing_errors')} parsing errors")
            if not s.get("resource_count"):
                print("  warning: Checkov reports no resources: it did not scan this input", flush=True)
    return {"input": label, "path": str(path), "files": files, "input_bytes": size,
            "objects": objects, "leaselint_summary": census, "checkov_once": once and "checkov" in plan,
            "peer_counts": peer_counts, "runs": runs, "medians": medians}


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def fmt_ratio(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.4f} (1/{1 / x:,.0f})" if x < 0.01 else f"{x:.3f} (1/{1 / x:,.1f})"


def report_input(res: dict) -> None:
    print()
    print(f"== {res['input']}: {res['objects']} objects (leaselint), {res['files']} files, "
          f"{res['input_bytes'] / MB:.2f} MB, {res['path']}")
    for line in res["peer_counts"].values():
        print(f"   {line}")
    print(f"  {'tool':<10} {'runs':>4} {'wall s':>9} {'CPU s':>9} {'RSS MB':>8} {'obj/s':>9} "
          f"{'obj/CPU-s':>10}  {'leaselint/tool wall':>20}  {'leaselint/tool CPU':>20}")
    for name, m in res["medians"].items():
        ops_cpu = f"{m['objects_per_cpu_s']:,.0f}" if m["objects_per_cpu_s"] else "-"
        lw = "-" if name == "leaselint" else fmt_ratio(m["leaselint_over_tool_wall"])
        lc = "-" if name == "leaselint" else fmt_ratio(m["leaselint_over_tool_cpu"])
        print(f"  {name:<10} {m['runs']:>4} {m['wall_s']:>9.3f} {m['cpu_s']:>9.3f} {m['maxrss_mb']:>8.1f} "
              f"{m['objects_per_s']:>9,.0f} {ops_cpu:>10}  {lw:>20}  {lc:>20}")


def kubeconform_reference(results: list[dict]) -> dict | None:
    gen = [r for r in results if r["input"].startswith("gen-")]
    if not gen:
        return None
    big = max(gen, key=lambda r: r["objects"])
    kc = KUBECONFORM[0] / (KUBECONFORM[1] * KUBECONFORM[2])
    ll = big["medians"]["leaselint"]["objects_per_cpu_s"]
    ref = {"kubeconform_resources": KUBECONFORM[0], "kubeconform_seconds": KUBECONFORM[1],
           "kubeconform_cores": KUBECONFORM[2], "kubeconform_per_core_s": kc,
           "leaselint_input": big["input"], "leaselint_objects": big["objects"],
           "leaselint_cpu_s": big["medians"]["leaselint"]["cpu_s"],
           "leaselint_per_cpu_s": ll, "ratio": ll / kc}
    print()
    print(f"reference: kubeconform publishes {KUBECONFORM[0]:,} resources in {KUBECONFORM[1]} s on "
          f"{KUBECONFORM[2]} cores = {kc:,.0f} resources per core-second (schema validation; "
          f"published, not measured here).")
    print(f"           leaselint on {big['input']}: {big['objects']:,} objects / "
          f"{ref['leaselint_cpu_s']:.3f} CPU-s = {ll:,.0f} objects per CPU-second "
          f"= {ref['ratio']:.1f} x kubeconform's figure.")
    return ref


def markdown(results: list[dict], meta: dict) -> None:
    print()
    print(f"Measured with `bench/peers.py` at {meta['commit']} ({meta['nproc']} cores, {meta['cpu_model']}; "
          f"medians, {meta['repeat']} runs per tool and input, Checkov once above {meta['checkov_once_above']} objects; "
          f"{meta['checkov_version'] or 'no Checkov'}, PyYAML {meta['pyyaml'] or '-'}). "
          "Objects as leaselint counts them; MB = 10^6 bytes.")
    print()
    print("| input | objects | tool | runs | wall (s) | CPU (s) | peak RSS (MB) | objects/s | objects/CPU-s "
          "| leaselint ÷ tool (wall) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        for name, m in res["medians"].items():
            ops_cpu = f"{m['objects_per_cpu_s']:,.0f}" if m["objects_per_cpu_s"] else "-"
            ratio = "-" if name == "leaselint" else fmt_ratio(m["leaselint_over_tool_wall"])
            print(f"| {res['input']} | {res['objects']:,} | {name} | {m['runs']} | {m['wall_s']:.3f} | "
                  f"{m['cpu_s']:.3f} | {m['maxrss_mb']:.0f} | {m['objects_per_s']:,.0f} | {ops_cpu} | {ratio} |")


def main() -> None:
    args = parse_args()
    gen = args.gen.resolve()
    if args.sizes and not gen.is_file():
        base.die(f"generator not found: {gen}; pass --gen PATH")
    corpus = None if args.no_corpus else args.corpus.resolve()
    if corpus is not None and not corpus.is_dir():
        base.die(f"corpus directory not found: {corpus}; pass --corpus DIR or --no-corpus")
    binary = base.build_binary(args)
    pyyaml_version = None if args.skip_pyyaml else base.check_pyyaml()
    checkov, checkov_version = (None, None) if args.skip_checkov else find_checkov(args)
    use_time = base.gnu_time_works()
    cmds = command_lines(binary, args.threads, checkov)
    if args.skip_pyyaml:
        del cmds["pyyaml-c"]

    meta = {
        "commit": base.git_commit(),
        "nproc": base.nproc(),
        "cpu_model": base.cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pyyaml": pyyaml_version,
        "checkov_version": f"Checkov {checkov_version}" if checkov_version else None,
        "binary": str(binary),
        "corpus": str(corpus) if corpus else None,
        "sizes": args.sizes,
        "repeat": args.repeat,
        "checkov_once_above": args.checkov_once_above,
        "threads": args.threads,
        "rss_source": "gnu-time" if use_time else "wait4",
        "commands": {k: shlex.join(v) for k, v in cmds.items()},
        "generator_command": shlex.join([sys.executable, str(gen), "-n", "N", "--seed",
                                         str(base.GEN_SEED), "-o", str(args.workdir / "gen-N.yaml")]),
    }
    print(f"leaselint vs peers  commit {meta['commit']}")
    print(f"  machine: nproc {meta['nproc']}, {meta['cpu_model']}, Linux {meta['kernel']}")
    print(f"  python {meta['python']}" + (f", PyYAML {pyyaml_version} (CSafeLoader)" if pyyaml_version else "")
          + (f", {meta['checkov_version']}" if checkov_version else ""))
    print(f"  binary: {binary}")
    print(f"  runs per input: {args.repeat}, interleaved round-robin, medians reported"
          + ("" if args.skip_checkov else f"; Checkov once above {args.checkov_once_above} objects"))
    print(f"  peak RSS via {'/usr/bin/time -f %M' if use_time else 'os.wait4 ru_maxrss (floored at the driver RSS)'}")
    print("  commands ({input} = file or directory; {-f|-d} = Checkov's -f FILE or -d DIR):")
    for k, v in meta["commands"].items():  # the PyYAML snippet in full is in --json's meta
        print(f"    {k:<10} {v if k != 'pyyaml-c' else shlex.join([sys.executable, '-c', '<PYYAML_SNIPPET>', '{input}'])}")

    inputs: list[tuple[str, Path]] = []
    if corpus is not None:
        inputs.append(("corpus", corpus))
    if args.sizes:
        args.workdir.mkdir(parents=True, exist_ok=True)
        print()
        print("inputs:")
        for n in args.sizes:
            inputs.append((f"gen-{n}", base.generate(gen, args.workdir, n)))

    results = []
    for label, path in inputs:
        print()
        print(f"benchmarking {label} ({path}) ...", flush=True)
        results.append(bench_input(label, path, cmds, args, use_time))

    print()
    print("=" * 78)
    print(f"RESULTS  commit {meta['commit']}, nproc {meta['nproc']}, {meta['cpu_model']}"
          + (f", --threads {args.threads}" if args.threads is not None else ""))
    print("(medians; MB = 10^6 bytes; objects as leaselint counts them; "
          "leaselint/tool < 1 means leaselint is faster)")
    for res in results:
        report_input(res)
    ref = kubeconform_reference(results)
    if args.markdown:
        markdown(results, meta)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "inputs": results, "kubeconform_reference": ref},
                                        indent=2) + "\n")
        print(f"\nraw measurements written to {args.json}")


if __name__ == "__main__":
    main()
