#!/usr/bin/env python
"""How many clips a forked worker takes at a time (issue 17): the chunk rule against the earlier one.

Not a test: timings depend on the machine. On ``N`` generated 30-s WAV clips (22 050 Hz, distinct
content, so the cache never serves one clip for another), it runs ``musiccluster features`` with a
fresh cache, interleaved ``--repeat`` times: ``--jobs 1``, the default workers with the earlier
chunk rule (``ceil(n / 8w)``, at most 16 clips), and the default with the current
:func:`musiccluster.features.workers.chunk_size` (``ceil(n / 64w)``, 1-8). The earlier rule is put
back by replacing ``chunk_size`` in the child process before the command runs. Reports each run and
the medians, with ``uptime`` before and after.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_chunks.py      # writes benchmarks/results_chunks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RUN = """
import math, sys
import musiccluster.features.workers as w
if sys.argv[1] == "earlier":
    w.chunk_size = lambda n, k: max(1, min(16, math.ceil(n / (8 * max(1, k)))))
from musiccluster.cli import main
sys.exit(main(sys.argv[2:]))
"""


def make_clips(folder: Path, n: int) -> None:
    import soundfile as sf

    rng = np.random.default_rng(2)
    t = np.arange(30 * 22050) / 22050
    for i in range(n):
        y = 0.2 * np.sin(2 * np.pi * (150 + 3 * i) * t) * (1 + 0.3 * np.sin(2 * np.pi * (0.5 + i / 100) * t))
        sf.write(folder / f"c{i:04d}.wav", (y + 0.05 * rng.standard_normal(len(t))).astype(np.float32), 22050,
                 subtype="PCM_16")


def one(variant: str, folder: Path, work: Path) -> float:
    cache = work / "cache"
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    env = {**os.environ, "MUSICCLUSTER_CACHE": str(cache)}
    args = ["features", str(folder), "--out", str(work / "f.csv"), "--quiet"]
    if variant == "jobs1":
        args += ["--jobs", "1"]
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, "earlier" if variant == "earlier" else "current", *args], env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results_chunks.md")
    args = ap.parse_args()
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "clips").mkdir()
        make_clips(work / "clips", args.n)
        before = uptime()
        times: dict[str, list[float]] = {"jobs1": [], "earlier": [], "current": []}
        for _ in range(args.repeat):
            for variant in times:
                times[variant].append(one(variant, work / "clips", work))
        after = uptime()
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = ["# Chunk size of the forked workers (issue 17)", "",
             f"Made by `benchmarks/bench_chunks.py`: N = {args.n} 30-s WAV clips, `musiccluster features` with a "
             f"fresh cache, the three variants interleaved {args.repeat} times, {os.cpu_count()} cores.", "",
             f"* before: `{before}`", f"* after: `{after}`", "",
             "| variant | runs (s) | median | `--jobs 1` / this |", "|---|---|---:|---:|"]
    names = {"jobs1": "`--jobs 1`", "earlier": "default, earlier chunks (ceil(n/8w), <= 16)",
             "current": "default, current chunks (ceil(n/64w), 1-8)"}
    for k, v in times.items():
        lines.append(f"| {names[k]} | {', '.join(f'{x:.2f}' for x in v)} | {med[k]:.2f} s | "
                     f"{med['jobs1'] / med[k]:.2f}x |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
