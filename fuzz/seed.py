#!/usr/bin/env python3
"""fuzz/seed.py - builds the fuzz targets' seed corpora (fuzz/corpus/<target>/, not committed).

Seeds: every fixture (fixtures/**/*.yaml) and every file of the shared real-world corpus
(../shared/corpus/real/, skipped with a notice when absent), whole when at most --max-len bytes,
and each of their documents (split at `---` lines) on its own. The `fix` target reads its first
byte as a flag (odd: unsafe fixes too), so each of its seeds is stored twice, with 0x00 and 0x01
in front (bit 0: unsafe fixes too; bit 1: the input is stdin; bit 2: it is a `.json` file): each
seed with 0x00, 0x01 and 0x03, and each single document that PyYAML reads as a mapping also as
pretty-printed JSON with 0x05. Seeds are named by their SHA-1, so running this again adds
nothing twice.

    python3 fuzz/seed.py [--max-len 65536]
"""

import argparse
import hashlib
import pathlib
import re
import sys

FUZZ = pathlib.Path(__file__).resolve().parent
REPO = FUZZ.parent
SHARED = REPO.parent / "shared" / "corpus" / "real"
TARGETS = ["split_parse", "lint", "fix"]


def pieces(data: bytes, max_len: int):
    if len(data) <= max_len:
        yield data
    docs = re.split(rb"(?m)^(?=---(?:[ \t\r\n]|$))", data)
    if len(docs) > 1:
        for d in docs:
            if 0 < len(d) <= max_len:
                yield d


def to_json(piece: bytes):
    """One YAML document that is a mapping, as pretty-printed JSON (None otherwise)."""
    try:
        import json
        import yaml
        docs = [d for d in yaml.safe_load_all(piece) if d is not None]
    except Exception:
        return None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return None
    try:
        return (json.dumps(docs[0], indent=2, default=str) + "\n").encode()
    except Exception:
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-len", type=int, default=65536)
    args = ap.parse_args()
    sources = sorted((REPO / "fixtures").rglob("*.yaml"))
    if SHARED.is_dir():
        sources += sorted(p for p in SHARED.iterdir() if p.suffix in (".yaml", ".yml"))
    else:
        print(f"notice: {SHARED} is absent; seeding from fixtures/ only", file=sys.stderr)
    seeds = {}
    json_seeds = {}
    for path in sources:
        for piece in pieces(path.read_bytes(), args.max_len):
            seeds[hashlib.sha1(piece).hexdigest()] = piece
            as_json = to_json(piece)
            if as_json is not None and len(as_json) <= args.max_len:
                json_seeds[hashlib.sha1(as_json).hexdigest()] = as_json
    for target in TARGETS:
        out = FUZZ / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        for digest, piece in seeds.items():
            if target == "fix":
                for flag in (b"\x00", b"\x01", b"\x03"):
                    (out / f"{digest}-{flag[0]}").write_bytes(flag + piece)
            else:
                (out / digest).write_bytes(piece)
        if target == "fix":
            for digest, piece in json_seeds.items():
                (out / f"{digest}-5").write_bytes(b"\x05" + piece)
    print(f"{len(seeds)} seeds from {len(sources)} files into {FUZZ / 'corpus'}/{{{','.join(TARGETS)}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
