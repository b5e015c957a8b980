#!/usr/bin/env python
"""How the stages after feature extraction scale: time and peak memory at 10k / 100k tracks.

Not a test. Audio extraction scales per file (see ``bench_extraction.py``); what
grows with the whole library is what happens after it: assembling the feature
table, training the VAE, choosing k, K-Means, assigning tracks and writing the
outputs. This script feeds :func:`musiccluster.organize.run.cluster_features`
synthetic features (N tracks x 10 segments x 26 MFCC statistics drawn around
12 centres, assembled by the real :func:`musiccluster.features.extract._assemble` from
per-clip results as the extractor would return them) and reports wall time per
stage and the peak resident memory of the process.

    .venv/bin/python benchmarks/bench_scale.py --tracks 10000 100000

Appends a section to ``results_scale.md`` in ``--out-dir`` (default: this folder).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def run(n_tracks: int, epochs: int, batch_size: int) -> dict:
    import numpy as np
    from bench_extraction import PeakMemory

    from musiccluster.data.corpus import Clip
    from musiccluster.features.extract import _assemble
    from musiccluster.organize.run import cluster_features
    from musiccluster.params import FeatureParams

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(12, 26))
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        clips = [Clip(Path(f"/music/Artist {i % 997:03d}/Album {i % 13}/{i:06d} some track title.flac"),
                      f"Artist {i % 997:03d}/Album {i % 13}/{i:06d} some track title", None)
                 for i in range(n_tracks)]
        which = rng.integers(0, 12, n_tracks)
        results = [(centres[which[i]] + rng.normal(0, 1.0, size=(10, 26)), 180.0, None) for i in range(n_tracks)]
        fs = _assemble(clips, results, FeatureParams(10, 13), "synthetic")
        del results
        t_assemble = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as out:
            res = cluster_features(fs, out, method="vae", epochs=epochs, batch_size=batch_size, progress=False)
            stages = dict(res.summary["timings_s"])
            k = res.summary["k"]["chosen"]
    return {"tracks": n_tracks, "segments": n_tracks * 10, "assemble_s": round(t_assemble, 1),
            **{f"{name}_s": round(v, 1) for name, v in stages.items()}, "k": k,
            "peak_mb": round(mem.peak / 2**20),
            "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracks", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--_one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._one:
        print(json.dumps(run(args._one, args.epochs, args.batch_size)))
        return 0
    import subprocess

    rows = []
    for n in args.tracks:  # each size in a fresh process: its own peak memory
        print(f"{n} tracks ...", flush=True)
        proc = subprocess.run([sys.executable, __file__, "--_one", str(n), "--epochs", str(args.epochs),
                               "--batch-size", str(args.batch_size)], capture_output=True, text=True)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    cols = list(rows[0])
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [f"## {time.strftime('%Y-%m-%d %H:%M %Z')}: VAE {args.epochs} epochs, batch grown from "
             f"{args.batch_size} by `auto_batch_size` (128 at 10k tracks, 1024 at 100k), "
             f"k chosen over 2..12; {os.cpu_count()} CPUs, load average {load}", "",
             "| " + " | ".join(cols) + " |", "|" + "---:|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    lines += ["", "Times in seconds; no audio is decoded (the features are given), `assemble_s` is building "
              "the feature table from per-clip results as the extractor does; `peak_mb`: peak resident "
              "memory of the process (psutil, sampled), `ru_maxrss_mb`: the kernel's peak.", ""]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / "results_scale.md"
    head = "" if out.exists() else ("# Scaling of the stages after extraction (`benchmarks/bench_scale.py`)\n\n")
    with open(out, "a") as fh:
        fh.write(head + "\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
