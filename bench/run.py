#!/usr/bin/env python3
"""bench/run.py - leaselint's benchmark (run by hand, never in CI).

What it measures
----------------
For each stream size N (default 1000, 5000, 20000 objects) it generates a
multi-document Kubernetes YAML stream with the shared generator

    python3 ../shared/bench/gen_manifests.py -n N --seed 1 -o <workdir>/gen-N.yaml

(cached in --workdir and reused while the size argument and the generator are
unchanged) and times three commands on it, side by side, interleaved
round-robin (lint, parse-only, pyyaml-c; lint, parse-only, pyyaml-c; ...):

  lint        leaselint --format json FILE      (stdout to /dev/null; exit 1 =
                                                  findings, normal; 2 = error)
  fix         leaselint --fix --format json COPY (a fresh copy of FILE per run,
                                                  copied before the clock starts)
  parse-only  leaselint --parse-only FILE       (read + split + parse, no rules;
                                                  one summary line on stderr)
  pyyaml-c    python3 -c '<read bytes; list(yaml.load_all(data,
                                   Loader=yaml.CSafeLoader))>' FILE
              (the libyaml-backed PyYAML loader: the reference point)
  baseline    OTHER --format json FILE          (only with --baseline OTHER: the
                                                  same lint by another build, e.g.
                                                  the commit before a change)

Every run is kept (nothing is discarded, no warm-up) and the report shows
medians.  Per run:

  wall  time.perf_counter() around subprocess.Popen(...) + os.wait4(pid, 0)
  CPU   ru_utime + ru_stime of the rusage that os.wait4 returns for that child
  RSS   peak resident set size, KiB (see "About peak RSS" below)

Targets (each marked PASS/FAIL):
  lint / parse-only wall          <= 1.3
  fix / lint wall                 <= 2.5   (issue 9: --fix verifies every changed
                                            document as data; was <= 2.0, never met)
  lint / pyyaml-c wall            <= 0.12
  lint peak RSS / input bytes     <= 3.0
  fix peak RSS / input bytes      <= 4.0
  lint wall, size b vs size a     <= 1.1 x (b / a)   (e.g. 20k/5k <= 4.4: linear)
  lint / baseline wall            <= 1.10  (with --baseline: a change may cost at
                                            most 10 %; issue 13's rule packs)

About peak RSS
--------------
On Linux a child's ru_maxrss (from wait4) can never be lower than the parent's
own high-water RSS at the time of the fork: the kernel folds the pre-exec
address space (here: this Python driver, ~14 MB) into the child's maxrss.  That
floor would swamp leaselint's real peak on small inputs.  So, by default
(--rss-via auto), when GNU time is installed each command is started as
`/usr/bin/time -f ... -o TMP -- CMD`: GNU time is a ~1 MB process whose own
wait4 sees the true peak of CMD.  Wall and CPU still come from our os.wait4 on
the wrapper (CPU includes the reaped CMD; time's own share is ~1 ms, and its
exec costs well under a millisecond of wall).  `--rss-via wait4` starts CMD
directly and reports os.wait4's ru_maxrss (floored as described).  The raw
wait4 value is recorded in --json output either way, and the floor is shown
in the machine info.

How to run
----------
    bench/run.sh                                   # all defaults
    python3 bench/run.py --sizes 1000,5000 --repeat 3
    python3 bench/run.py --skip-pyyaml --threads 1 --json /tmp/bench.json
    python3 bench/run.py --sizes 5000,20000 --repeat 9 --skip-pyyaml --skip-fix \
        --baseline OLD/target/release/leaselint    # a change against the build before it

By default the release binary is built first (`cargo build --release` in the
repository root, quiet, errors shown); use --no-build or --binary PATH to skip.
Needs Python 3.11 and, for the pyyaml-c command only, PyYAML with libyaml
(it runs in a subprocess; this driver never imports yaml).  The exit status is
0 when the benchmark ran (whatever the PASS/FAIL verdicts), 2 on errors.
Run it on an otherwise idle machine: the 20k stream is ~45 MB and PyYAML takes
~12 s per pass on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GEN = REPO.parent / "shared" / "bench" / "gen_manifests.py"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "leaselint-bench"
GEN_SEED = 1

# The PyYAML reference: read the whole file, build every document.
PYYAML_SNIPPET = ('import sys, yaml; data = open(sys.argv[1], "rb").read(); '
                  'list(yaml.load_all(data, Loader=yaml.CSafeLoader))')

COMMANDS = ("lint", "baseline", "parse-only", "fix", "pyyaml-c")

# Targets: (key, description, limit).  All are "value <= limit".
T_LINT_PARSE = 1.3
T_LINT_PYYAML = 0.12
T_LINT_RSS = 3.0
T_FIX_LINT = 2.5          # --fix on the stream vs a plain lint of it
T_FIX_RSS = 4.0           # --fix peak RSS vs the input size
T_SCALING_SLACK = 1.1  # lint wall may grow at most 1.1x the size ratio
T_LINT_BASELINE = 1.10    # lint vs the same lint by the --baseline build

GNU_TIME = "/usr/bin/time"
RSS_MARK = "LEASELINT_BENCH_MAXRSS_KIB="

MB = 1e6  # input sizes and RSS are both reported in MB = 10^6 bytes


def die(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------
# setup: arguments, generator, binary, machine info
# ---------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="leaselint benchmark: lint vs parse-only vs PyYAML (CSafeLoader).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the docstring at the top of bench/run.py for what is measured.")
    p.add_argument("--sizes", default="1000,5000,20000",
                   help="comma-separated object counts (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=5,
                   help="timed runs of lint and parse-only per size (default: %(default)s)")
    p.add_argument("--pyyaml-repeat", type=int, default=3,
                   help="timed runs of pyyaml-c per size (default: %(default)s)")
    p.add_argument("--skip-pyyaml", action="store_true", help="do not run the pyyaml-c command")
    p.add_argument("--skip-fix", action="store_true", help="do not run the fix command")
    p.add_argument("--threads", type=int, metavar="N",
                   help="pass --threads N to leaselint (default: leaselint's own default)")
    p.add_argument("--gen", type=Path, default=DEFAULT_GEN,
                   help="path to gen_manifests.py (default: <repo>/../shared/bench/gen_manifests.py)")
    p.add_argument("--binary", type=Path,
                   help="leaselint binary to use (implies --no-build)")
    p.add_argument("--no-build", action="store_true",
                   help="do not run `cargo build --release` first")
    p.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                   help="where generated streams are cached (default: %(default)s)")
    p.add_argument("--json", type=Path, metavar="OUT",
                   help="write all raw measurements and medians to OUT as JSON")
    p.add_argument("--baseline", type=Path, metavar="BINARY",
                   help="also time BINARY's lint of each stream, interleaved with ours, and report "
                        "lint / baseline (e.g. a release build of the commit before a change)")
    p.add_argument("--rss-via", choices=("auto", "time", "wait4"), default="auto",
                   help="peak RSS source: GNU time wrapper or os.wait4 of the direct child "
                        "(auto: GNU time when available; see the docstring)")
    a = p.parse_args()
    try:
        a.sizes = sorted({int(s) for s in a.sizes.split(",") if s.strip()})
    except ValueError:
        p.error(f"--sizes: expected comma-separated integers, got {a.sizes!r}")
    if not a.sizes or min(a.sizes) <= 0:
        p.error("--sizes: need at least one positive size")
    if a.repeat < 1 or a.pyyaml_repeat < 1:
        p.error("--repeat and --pyyaml-repeat must be >= 1")
    if a.threads is not None and a.threads < 1:
        p.error("--threads must be >= 1")
    return a


def build_binary(args: argparse.Namespace) -> Path:
    if args.binary:
        binary = args.binary.resolve()
    else:
        binary = REPO / "target" / "release" / "leaselint"
        if not args.no_build:
            print("building: cargo build --release (in %s) ..." % REPO, flush=True)
            r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                sys.stderr.write(r.stdout)
                die("cargo build --release failed")
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        die(f"leaselint binary not found or not executable: {binary}")
    return binary


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    # tracked files only: an untracked bench/ must not make the tree "dirty"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=REPO).returncode != 0
    return head + ("-dirty" if dirty else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what `nproc` prints
    except AttributeError:
        return os.cpu_count() or 0


def gnu_time_works() -> bool:
    """True when /usr/bin/time accepts -f/-o and reports %M."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        r = subprocess.run([GNU_TIME, "-f", RSS_MARK + "%M", "-o", out.name, "--", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0 and RSS_MARK in Path(out.name).read_text()


def check_pyyaml() -> str:
    r = subprocess.run([sys.executable, "-c",
                        "import yaml; print(yaml.__version__, yaml.__with_libyaml__, "
                        "hasattr(yaml, 'CSafeLoader'))"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("PyYAML is not importable by %s (use --skip-pyyaml):\n%s" % (sys.executable, r.stderr))
    version, libyaml, csafe = r.stdout.split()
    if libyaml != "True" or csafe != "True":
        die(f"PyYAML {version} has no libyaml (CSafeLoader) support (use --skip-pyyaml)")
    return version


# ---------------------------------------------------------------------------
# generating (and caching) the input streams
# ---------------------------------------------------------------------------

def generate(gen: Path, workdir: Path, n: int) -> Path:
    """<workdir>/gen-N.yaml, regenerated only when missing or when the recorded
    generator arguments / generator source hash differ."""
    out = workdir / f"gen-{n}.yaml"
    stamp = out.with_suffix(".yaml.args.json")
    gen_args = ["-n", str(n), "--seed", str(GEN_SEED)]
    want = {"args": gen_args, "generator_sha256": hashlib.sha256(gen.read_bytes()).hexdigest()}
    try:
        if out.is_file() and json.loads(stamp.read_text()) == want:
            print(f"  reusing {out} ({out.stat().st_size / MB:.1f} MB)", flush=True)
            return out
    except (OSError, ValueError):
        pass
    tmp = out.with_suffix(".yaml.tmp")
    print(f"  generating {out} ...", end="", flush=True)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(gen), *gen_args, "-o", str(tmp)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print()
        sys.stderr.write(r.stderr)
        die(f"generator failed (exit {r.returncode})")
    tmp.replace(out)  # atomic: a half-written stream is never reused
    stamp.write_text(json.dumps(want))
    print(f" {time.perf_counter() - t0:.1f} s; {r.stderr.strip()}", flush=True)
    return out


# ---------------------------------------------------------------------------
# running and measuring one command
# ---------------------------------------------------------------------------

def command_lines(binary: Path, threads: int | None, baseline: Path | None = None) -> dict[str, list[str]]:
    """argv templates; the literal "{file}" is replaced by the input path."""
    t = ["--threads", str(threads)] if threads is not None else []
    other = {"baseline": [str(baseline), *t, "--format", "json", "{file}"]} if baseline else {}
    return {
        "lint": [str(binary), *t, "--format", "json", "{file}"],
        **other,
        "parse-only": [str(binary), *t, "--parse-only", "{file}"],
        # --fix rewrites its input: each run gets a fresh copy (copied before the clock starts)
        "fix": [str(binary), *t, "--fix", "--format", "json", "{fixcopy}"],
        "pyyaml-c": [sys.executable, "-c", PYYAML_SNIPPET, "{file}"],
    }


def measure(argv: list[str], use_time: bool, stdout=subprocess.DEVNULL) -> dict:
    """Run argv once (stdout to /dev/null unless `stdout` names another sink,
    stderr to a temp file); return the measurements.  Popen + os.wait4 gives
    the rusage of exactly this child."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r", suffix=".time") as tout:
        full = [GNU_TIME, "-f", RSS_MARK + "%M", "-o", tout.name, "--", *argv] if use_time else argv
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = code = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        rss_time = None
        if use_time:
            for line in Path(tout.name).read_text().splitlines():
                if line.startswith(RSS_MARK):
                    rss_time = int(line[len(RSS_MARK):])
    return {
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        # what we report: GNU time's view when wrapped, else wait4's
        "maxrss_kib": rss_time if rss_time is not None else ru.ru_maxrss,
        "wait4_maxrss_kib": ru.ru_maxrss,
        "rss_source": "gnu-time" if rss_time is not None else "wait4",
        "exit_code": code,
        "stderr": stderr,
    }


def check_exit(name: str, m: dict, argv: list[str], ok: set[int] | None = None) -> None:
    if ok is None:
        ok = {0, 1} if name in ("lint", "baseline", "fix") else {0}  # 1 = findings (remaining), normal
    if m["exit_code"] not in ok:
        print(flush=True)  # end the progress line
        sys.stderr.write(m["stderr"])
        die(f"{name} failed with exit code {m['exit_code']}: {shlex.join(argv)}")


def spread(total: int, k: int) -> set[int]:
    """k round indices spread evenly over range(total) (k <= total)."""
    if k >= total:
        return set(range(total))
    if k == 1:
        return {total // 2}
    return {round(i * (total - 1) / (k - 1)) for i in range(k)}


def bench_size(n: int, path: Path, cmds: dict[str, list[str]], args, use_time: bool) -> dict:
    size = path.stat().st_size
    names = [c for c in COMMANDS if c in cmds and not (c == "pyyaml-c" and args.skip_pyyaml)
             and not (c == "fix" and args.skip_fix)]
    fixcopy = path.with_name(path.stem + ".fix-copy.yaml")
    rounds = max(args.repeat, 0 if args.skip_pyyaml else args.pyyaml_repeat)
    plan = {
        "lint": spread(rounds, args.repeat),
        "baseline": spread(rounds, args.repeat),
        "parse-only": spread(rounds, args.repeat),
        "fix": spread(rounds, args.repeat),
        "pyyaml-c": spread(rounds, args.pyyaml_repeat),
    }
    runs: dict[str, list[dict]] = {c: [] for c in names}
    parse_summary = ""
    for r in range(rounds):
        print(f"  round {r + 1}/{rounds}:", end="", flush=True)
        for name in names:  # round-robin: A B C, A B C, ...
            if r not in plan[name]:
                continue
            if name == "fix":
                shutil.copyfile(path, fixcopy)
            argv = [str(path) if a == "{file}" else str(fixcopy) if a == "{fixcopy}" else a for a in cmds[name]]
            m = measure(argv, use_time)
            check_exit(name, m, argv)
            if name == "parse-only":
                parse_summary = m["stderr"].strip().splitlines()[-1] if m["stderr"].strip() else ""
            m["round"] = r
            del m["stderr"]
            runs[name].append(m)
            print(f" {name} {m['wall_s']:.3f}s", end="", flush=True)
        print(flush=True)

    medians = {}
    for name, ms in runs.items():
        rss_mb = statistics.median(m["maxrss_kib"] for m in ms) * 1024 / MB
        medians[name] = {
            "runs": len(ms),
            "wall_s": statistics.median(m["wall_s"] for m in ms),
            "wall_min_s": min(m["wall_s"] for m in ms),
            "wall_max_s": max(m["wall_s"] for m in ms),
            "cpu_s": statistics.median(m["cpu_s"] for m in ms),
            "maxrss_mb": rss_mb,
            "rss_over_input": rss_mb * MB / size,
        }
    return {"objects": n, "file": str(path), "input_bytes": size,
            "parse_only_stderr": parse_summary, "runs": runs, "medians": medians}


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "FAIL"


def target(label: str, value: float, limit: float, fmt: str = ".3f", where: str = "") -> dict:
    v = verdict(value, limit)
    print(f"  {label:<34} {value:{fmt}}   (target <= {limit})  {v}")
    return {"name": f"{where}: {label}" if where else label, "value": value, "limit": limit,
            "pass": v == "PASS"}


def report_size(res: dict) -> list[dict]:
    med = res["medians"]
    print()
    print(f"== {res['objects']} objects: {res['input_bytes'] / MB:.2f} MB input "
          f"({res['input_bytes']} bytes), {res['file']}")
    if res["parse_only_stderr"]:
        print(f"   leaselint {res['parse_only_stderr']}")
    print(f"  {'command':<11} {'runs':>4} {'wall s':>8} {'(min-max)':>17} {'CPU s':>8} "
          f"{'peak RSS MB':>12} {'RSS/input':>10}")
    for name, m in med.items():
        rng = f"({m['wall_min_s']:.3f}-{m['wall_max_s']:.3f})"
        print(f"  {name:<11} {m['runs']:>4} {m['wall_s']:>8.3f} {rng:>17} {m['cpu_s']:>8.3f} "
              f"{m['maxrss_mb']:>12.1f} {m['rss_over_input']:>10.2f}")
    n = str(res["objects"])
    checks = [target("lint / parse-only (wall)", med["lint"]["wall_s"] / med["parse-only"]["wall_s"],
                     T_LINT_PARSE, where=n)]
    if "baseline" in med:
        checks.append(target("lint / baseline (wall)", med["lint"]["wall_s"] / med["baseline"]["wall_s"],
                             T_LINT_BASELINE, where=n))
        print(f"  {'lint / baseline (CPU)':<34} {med['lint']['cpu_s'] / med['baseline']['cpu_s']:.3f}   (shown, no target)")
    if "fix" in med:
        checks.append(target("fix / lint (wall)", med["fix"]["wall_s"] / med["lint"]["wall_s"], T_FIX_LINT, where=n))
    if "pyyaml-c" in med:
        checks.append(target("lint / pyyaml-c (wall)", med["lint"]["wall_s"] / med["pyyaml-c"]["wall_s"],
                             T_LINT_PYYAML, where=n))
    checks.append(target("lint peak RSS / input size", med["lint"]["rss_over_input"], T_LINT_RSS, ".2f",
                         where=n))
    if "fix" in med:
        checks.append(target("fix peak RSS / input size", med["fix"]["rss_over_input"], T_FIX_RSS, ".2f",
                             where=n))
    res["targets"] = checks
    return checks


def report_scaling(results: list[dict]) -> list[dict]:
    checks = []
    if len(results) < 2:
        return checks
    print()
    print("== scaling (lint median wall, consecutive sizes; target <= 1.1 x size ratio)")
    for a, b in zip(results, results[1:]):
        ratio = b["medians"]["lint"]["wall_s"] / a["medians"]["lint"]["wall_s"]
        limit = round(T_SCALING_SLACK * b["objects"] / a["objects"], 3)
        checks.append(target(f"lint {b['objects']} / {a['objects']}", ratio, limit))
    return checks


def main() -> None:
    args = parse_args()
    gen = args.gen.resolve()
    if not gen.is_file():
        die(f"generator not found: {gen}\n"
            f"       expected <repo>/../shared/bench/gen_manifests.py; pass --gen PATH")
    binary = build_binary(args)
    pyyaml_version = None if args.skip_pyyaml else check_pyyaml()

    if args.rss_via == "wait4":
        use_time = False
    else:
        use_time = gnu_time_works()
        if args.rss_via == "time" and not use_time:
            die(f"--rss-via time: {GNU_TIME} (GNU time with -f/-o) is not usable")

    baseline = None
    if args.baseline:
        baseline = args.baseline.resolve()
        if not (baseline.is_file() and os.access(baseline, os.X_OK)):
            die(f"--baseline: not an executable file: {baseline}")
    cmds = command_lines(binary, args.threads, baseline)
    floor_wait4 = measure(["true"], False)["wait4_maxrss_kib"]
    floor_time = measure(["true"], True)["maxrss_kib"] if use_time else None

    meta = {
        "commit": git_commit(),
        "nproc": nproc(),
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pyyaml": pyyaml_version,
        "binary": str(binary),
        "generator": str(gen),
        "workdir": str(args.workdir),
        "sizes": args.sizes,
        "repeat": args.repeat,
        "pyyaml_repeat": None if args.skip_pyyaml else args.pyyaml_repeat,
        "threads": args.threads,
        "rss_source": "gnu-time" if use_time else "wait4",
        "rss_floor_wait4_kib": floor_wait4,
        "rss_of_true_via_time_kib": floor_time,
        "commands": {k: shlex.join(v).replace("'{file}'", "{file}") for k, v in cmds.items()
                     if not (k == "pyyaml-c" and args.skip_pyyaml)},
        "generator_command": shlex.join([sys.executable, str(gen), "-n", "N", "--seed",
                                         str(GEN_SEED), "-o", str(args.workdir / "gen-N.yaml")]),
    }

    print(f"leaselint benchmark  commit {meta['commit']}")
    print(f"  machine: nproc {meta['nproc']}, {meta['cpu_model']}, Linux {meta['kernel']}")
    print(f"  python {meta['python']}" + (f", PyYAML {pyyaml_version} (CSafeLoader)" if pyyaml_version else ""))
    print(f"  binary: {binary}")
    print(f"  runs per size: lint/parse-only {args.repeat}"
          + ("" if args.skip_pyyaml else f", pyyaml-c {args.pyyaml_repeat}")
          + ", interleaved round-robin, medians reported")
    if use_time:
        print(f"  peak RSS via {GNU_TIME} -f %M (child's own peak; /bin/true shows {floor_time} KiB). "
              f"os.wait4 alone would floor at {floor_wait4} KiB (this driver's RSS)")
    else:
        print(f"  peak RSS via os.wait4 ru_maxrss: floored at this driver's RSS, {floor_wait4} KiB "
              f"({floor_wait4 * 1024 / MB:.1f} MB)")
    print("  commands ({file} = the generated stream):")
    print(f"    generate    {meta['generator_command']}")
    for k, v in meta["commands"].items():
        print(f"    {k:<11} {v}")

    args.workdir.mkdir(parents=True, exist_ok=True)
    print()
    print("inputs:")
    paths = {n: generate(gen, args.workdir, n) for n in args.sizes}

    results = []
    for n in args.sizes:
        print()
        print(f"benchmarking {n} objects ...", flush=True)
        results.append(bench_size(n, paths[n], cmds, args, use_time))

    print()
    print("=" * 78)
    print(f"RESULTS  commit {meta['commit']}, nproc {meta['nproc']}, {meta['cpu_model']}"
          + (f", --threads {args.threads}" if args.threads is not None else ""))
    print("(medians; MB = 10^6 bytes; RSS/input = peak RSS / input bytes)")
    checks = []
    for res in results:
        checks += report_size(res)
    scaling = report_scaling(results)
    checks += scaling
    failed = [c["name"] for c in checks if not c["pass"]]
    print()
    print(f"targets: {len(checks) - len(failed)} PASS, {len(failed)} FAIL"
          + (f"  (failed: {'; '.join(failed)})" if failed else ""))

    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "sizes": results, "scaling": scaling},
                                        indent=2) + "\n")
        print(f"raw measurements written to {args.json}")


if __name__ == "__main__":
    main()
