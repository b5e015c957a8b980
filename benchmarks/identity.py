"""The renovation invariant: a refactor changes no number (issue #12).

Records what the command line writes on fixed inputs, so that a later commit can be checked
against an earlier one, file by file::

    .venv/bin/python benchmarks/identity.py record /tmp/before     # on the old commit
    .venv/bin/python benchmarks/identity.py record /tmp/after      # on the new one
    .venv/bin/python benchmarks/identity.py compare /tmp/before /tmp/after
    # a part only, in a workspace of one's own (paths under it are compared as <WORK>/...):
    .venv/bin/python benchmarks/identity.py record /tmp/mine --only evaluate --work /tmp/my-work

What is recorded (``--only`` picks parts; ``evaluate`` is the slow one, ~6 min):

* the default (embedded) corpus: ``features --out``, ``experiment --json``,
  ``evaluate --seeds 3 --json``;
* the Kaggle GTZAN 30-s table of ``../shared`` (skipped when absent):
  ``experiment --json``, ``evaluate --seeds 3 --json``;
* ``cluster`` on a small folder (24 clips of the default corpus copied into a music folder):
  ``--k 4`` with the VAE, ``--method pca`` with k chosen by silhouette, and ``--assign`` of 6
  other clips to the first model: every file it writes.

Every file is compared byte for byte, except JSON, which is compared after dropping the keys
that record *when* and *how long* (wall-clock times, dates) or *which source* (the library's
source fingerprint, which a refactor changes by definition); nothing else is dropped. The runs
use one workspace (``--work``, default ``/tmp/musiccluster-identity``), whose path is written as
``<WORK>`` before comparing, and a fresh cache, so nothing is read from an earlier run.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAGGLE = ROOT.parent / "shared" / "data" / "gtzan-kaggle" / "features_30_sec.csv"
WORK = Path("/tmp/musiccluster-identity")
PARTS = ("features", "experiment", "evaluate", "cluster")
#: JSON keys whose values are wall-clock times, dates or the source fingerprint.
VOLATILE = {"seconds", "timings_s", "created", "trained", "library_fingerprint", "elapsed_s", "runtime_s", "cost_s"}


def _mc(*args: str) -> None:
    exe = Path(sys.executable).parent / "musiccluster"
    cmd = [str(exe), *args, "--quiet"] if args[0] != "report" else [str(exe), *args]
    print("+ musiccluster", " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=WORK, stdout=subprocess.DEVNULL,
                   env={**os.environ, "MUSICCLUSTER_CACHE": str(WORK / "cache"), "MPLBACKEND": "Agg"})


def record(dest: Path, parts: set[str]) -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    dest.mkdir(parents=True, exist_ok=True)
    _mc("features", "--out", "default-features.csv")  # also renders the corpus the cluster part copies
    if "experiment" in parts:
        _mc("experiment", "--json", "default-experiment.json")
    if "evaluate" in parts:
        _mc("evaluate", "--seeds", "3", "--json", "default-evaluate.json")
    if not KAGGLE.exists():
        print(f"(no {KAGGLE}: the Kaggle runs are not recorded)")
    elif "experiment" in parts:
        _mc("experiment", "--features", str(KAGGLE), "--json", "kaggle-experiment.json")
    if KAGGLE.exists() and "evaluate" in parts:
        _mc("evaluate", "--features", str(KAGGLE), "--seeds", "3", "--json", "kaggle-evaluate.json")
    if "cluster" in parts:
        _cluster_part()
    _copy_outputs(dest)
    (dest / "WORK").write_text(str(WORK))


def _cluster_part() -> None:
    clips = sorted(p for p in (WORK / "cache").rglob("*.flac"))
    music, new = WORK / "music", WORK / "new"
    for i, clip in enumerate(clips[::7][:30]):
        target = (music if i < 24 else new) / clip.parent.name / clip.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(clip, target)
    _mc("cluster", "music", "--out", "out-vae", "--method", "vae", "--k", "4", "--epochs", "5")
    _mc("cluster", "music", "--out", "out-pca", "--method", "pca", "--k-range", "2:5")
    _mc("cluster", "--assign", "new", "--model", "out-vae/model", "--out", "out-assign")


def _copy_outputs(dest: Path) -> None:
    for path in sorted(WORK.rglob("*")):
        rel = path.relative_to(WORK)
        if path.is_file() and rel.parts[0] not in ("cache", "music", "new"):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    print(f"recorded {sum(1 for p in dest.rglob('*') if p.is_file())} files into {dest}")


def _strip(obj, work: str):
    if isinstance(obj, dict):
        return {k: _strip(v, work) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v, work) for v in obj]
    if isinstance(obj, str):
        return obj.replace(work, "<WORK>")
    return obj


def _text(path: Path, work: str) -> bytes:
    return path.read_bytes().replace(work.encode(), b"<WORK>")


def compare(a: Path, b: Path) -> int:
    work_a, work_b = ((d / "WORK").read_text().strip() if (d / "WORK").exists() else str(WORK) for d in (a, b))
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "WORK"}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "WORK"}
    bad = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    bad += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        if rel.suffix == ".json":
            same = (_strip(json.loads((a / rel).read_text()), work_a)
                    == _strip(json.loads((b / rel).read_text()), work_b))
        elif rel.suffix in (".csv", ".m3u", ".m3u8", ".txt"):
            same = _text(a / rel, work_a) == _text(b / rel, work_b)
        else:
            same = filecmp.cmp(a / rel, b / rel, shallow=False)
        if not same:
            bad.append(f"differs: {rel}")
    for line in bad:
        print(line)
    print(f"{len(files_a & files_b)} files compared, {len(bad)} difference(s)")
    return 1 if bad else 0


def main() -> int:
    global WORK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("dest", type=Path)
    r.add_argument("--only", nargs="+", choices=PARTS, default=PARTS,
                   help="record these parts only (features always: it renders the corpus)")
    r.add_argument("--work", type=Path, default=WORK, help=f"workspace, emptied first ({WORK})")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "record":
        WORK = args.work.resolve()
        record(args.dest.resolve(), set(args.only))
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
