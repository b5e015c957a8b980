"""The renovation invariant: a refactor changes no number (issue #12).

Records what the command line writes on fixed inputs, so that a later commit can be checked
against an earlier one, file by file::

    .venv/bin/python benchmarks/identity.py record /tmp/before     # on the old commit
    .venv/bin/python benchmarks/identity.py record /tmp/after      # on the new one
    .venv/bin/python benchmarks/identity.py compare /tmp/before /tmp/after

What is recorded (``--quick`` drops the two ``evaluate`` runs, the slow part):

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
use one fixed workspace (``/tmp/musiccluster-identity``), so the paths written into the outputs
are the same on every run, and a fresh cache, so nothing is read from an earlier run.
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
#: JSON keys whose values are wall-clock times, dates or the source fingerprint.
VOLATILE = {"seconds", "timings_s", "created", "trained", "library_fingerprint", "elapsed_s"}


def _mc(*args: str) -> None:
    exe = Path(sys.executable).parent / "musiccluster"
    cmd = [str(exe), *args, "--quiet"] if args[0] != "report" else [str(exe), *args]
    print("+ musiccluster", " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=WORK, stdout=subprocess.DEVNULL,
                   env={**os.environ, "MUSICCLUSTER_CACHE": str(WORK / "cache"), "MPLBACKEND": "Agg"})


def record(dest: Path, quick: bool) -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    dest.mkdir(parents=True, exist_ok=True)
    _mc("features", "--out", "default-features.csv")
    _mc("experiment", "--json", "default-experiment.json")
    if not quick:
        _mc("evaluate", "--seeds", "3", "--json", "default-evaluate.json")
    if KAGGLE.exists():
        _mc("experiment", "--features", str(KAGGLE), "--json", "kaggle-experiment.json")
        if not quick:
            _mc("evaluate", "--features", str(KAGGLE), "--seeds", "3", "--json", "kaggle-evaluate.json")
    else:
        print(f"(no {KAGGLE}: the Kaggle runs are not recorded)")
    clips = sorted(p for p in (WORK / "cache").rglob("*.flac"))
    music, new = WORK / "music", WORK / "new"
    for i, clip in enumerate(clips[::7][:30]):
        target = (music if i < 24 else new) / clip.parent.name / clip.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(clip, target)
    _mc("cluster", "music", "--out", "out-vae", "--k", "4", "--epochs", "5")
    _mc("cluster", "music", "--out", "out-pca", "--method", "pca", "--k-range", "2:5")
    _mc("cluster", "--assign", "new", "--model", "out-vae/model", "--out", "out-assign")
    for path in sorted(WORK.rglob("*")):
        rel = path.relative_to(WORK)
        if path.is_file() and rel.parts[0] not in ("cache", "music", "new"):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    print(f"recorded {sum(1 for p in dest.rglob('*') if p.is_file())} files into {dest}")


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def compare(a: Path, b: Path) -> int:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    bad = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    bad += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        if rel.suffix == ".json":
            same = _strip(json.loads((a / rel).read_text())) == _strip(json.loads((b / rel).read_text()))
        else:
            same = filecmp.cmp(a / rel, b / rel, shallow=False)
        if not same:
            bad.append(f"differs: {rel}")
    for line in bad:
        print(line)
    print(f"{len(files_a & files_b)} files compared, {len(bad)} difference(s)")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("dest", type=Path)
    r.add_argument("--quick", action="store_true", help="leave out the two evaluate runs")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "record":
        record(args.dest.resolve(), args.quick)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
