#!/usr/bin/env python
"""Benchmark feature extraction and ``musiccluster cluster`` on generated corpora.

Not a test: it takes minutes and its numbers depend on the machine. For N in
``--sizes`` (default 50, 200, 800 clips of 30 s, from
:func:`musiccluster.synth.generate_corpus`) it measures, each in a fresh Python
process so that nothing is warm that a user's first run would not have:

``plain``
    a one-file-at-a-time loop: ``librosa.load`` + ``librosa.feature.mfcc`` on
    each of the 10 segments, mean and variance: the same 26 numbers per
    segment, with librosa's default threading, as a script would run it after
    ``import librosa`` (its first call loads librosa's sub-modules, ~2 s: that
    share is reported separately as ``warmup_s``).
``plain_1t``
    the same loop with BLAS limited to one thread (the fastest serial loop on a
    busy machine; the fair denominator of a parallel speed-up). Both plain
    loops rebuild librosa's mel filterbank for every segment, as
    ``librosa.feature.mfcc(y=...)`` does; ours builds it once per process
    (bit-identical features), so part of any speed-up is per-segment work,
    not parallelism.
``cold``
    our extraction as ``musiccluster cluster`` runs it
    (:func:`musiccluster.organize.features.extract_library_features`: joblib/loky
    workers on all cores, per-clip cache) into an empty cache. Includes
    starting the worker processes.
``cached``
    the same again, in a new process, with the cache filled (a rerun).
``cached_extractor``
    :func:`musiccluster.features.extract_features` alone with the cache
    filled. Like ``cached`` it reads the finished clips in its own process and
    starts no worker (it did start its workers before commit 5f6b065, which the
    numbers in ``benchmarks/README.md`` predate).
``e2e``
    wall time of ``musiccluster cluster DIR --out OUT`` (VAE, k chosen over
    2..12, all outputs written) with an empty cache, including Python start-up.
``e2e_cached``
    the same command again, features cached.

Peak memory is the largest sum of the resident memory of the measuring process
and all its children (workers), sampled every 50 ms with psutil.

Writes ``results.csv`` and ``results.md`` (machine description, load average
before and after, table) to ``--out-dir`` (default: this folder)::

    .venv/bin/python benchmarks/bench_extraction.py                 # the full run (~12 min on 2 cores)
    .venv/bin/python benchmarks/bench_extraction.py --sizes 20 --duration 10 --out-dir /tmp/b   # a quick check
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SR = 22050
N_SEGMENTS = 10
N_MFCC = 13


# ---------------------------------------------------------------------------
# measuring (runs in a child process)
# ---------------------------------------------------------------------------
class PeakMemory:
    """Peak of (this process + all descendants) resident memory, sampled in a thread."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> int:
        import psutil

        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self._sample())
            except Exception:
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        try:
            import psutil  # noqa: F401

            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        except ImportError:
            self._thread = None
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self._sample())
        else:  # fallback: this process's peak plus the largest child's
            import resource

            self.peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                         + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
        return False


def cpu_seconds() -> float:
    """User + system CPU seconds of this process, its live descendants and its reaped children."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            try:
                t = child.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    except ImportError:
        pass
    return total


def plain_loop(files: list[str]) -> int:
    import librosa
    import numpy as np

    rows = 0
    for f in files:
        y, _ = librosa.load(f, sr=SR, mono=True)
        seg = len(y) // N_SEGMENTS
        for i in range(N_SEGMENTS):
            m = librosa.feature.mfcc(y=y[i * seg:(i + 1) * seg], sr=SR, n_mfcc=N_MFCC)
            np.concatenate([m.mean(axis=1), m.var(axis=1)])
            rows += 1
    return rows


def measure(spec: dict) -> dict:
    kind, folder = spec["kind"], spec["folder"]
    if kind.startswith("plain"):
        import librosa
        import numpy as np
        from threadpoolctl import threadpool_limits

        files = sorted(str(p) for p in Path(folder).rglob("*.flac"))
        limit = threadpool_limits(1) if kind == "plain_1t" else None
        with PeakMemory() as mem:
            cpu0, t = cpu_seconds(), time.perf_counter()
            librosa.feature.mfcc(y=np.zeros(SR, dtype=np.float32), sr=SR, n_mfcc=N_MFCC)  # first call
            warm = time.perf_counter() - t
            rows = plain_loop(files)
            seconds, cpu = time.perf_counter() - t, cpu_seconds() - cpu0
        if limit is not None:
            limit.restore_original_limits()
        return {"seconds": seconds, "rows": rows, "peak_mb": mem.peak / 2**20, "warmup_s": warm, "cpu_s": cpu}
    from musiccluster.data.corpus import find_clips
    from musiccluster.features.extract import extract_features
    from musiccluster.organize.features import extract_library_features
    from musiccluster.params import FeatureParams, Params

    clips = find_clips(folder)
    with PeakMemory() as mem:
        cpu0, t = cpu_seconds(), time.perf_counter()
        if kind == "cached_extractor":
            fs = extract_features(clips, FeatureParams(N_SEGMENTS, N_MFCC), cache_dir=spec["cache"], n_jobs=spec["jobs"],
                                  progress=False)
        else:
            fs = extract_library_features(clips, Params(n_segments=N_SEGMENTS, n_mfcc=N_MFCC),
                                          cache_dir=spec["cache"], n_jobs=spec["jobs"], progress=False)
        seconds, cpu = time.perf_counter() - t, cpu_seconds() - cpu0  # workers still alive: counted
    return {"seconds": seconds, "rows": int(fs.n_samples), "peak_mb": mem.peak / 2**20, "cpu_s": cpu}


def run_child(spec: dict) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--_measure", json.dumps(spec)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['kind']} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_e2e(folder: Path, out: Path, cache: Path, jobs: int) -> dict:
    exe = Path(sys.executable).with_name("musiccluster")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "musiccluster"]
    cmd += ["cluster", str(folder), "--out", str(out), "--cache-dir", str(cache), "--jobs", str(jobs), "--quiet"]
    with PeakMemory() as mem:
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"musiccluster cluster failed:\n{proc.stderr[-3000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return {"seconds": seconds, "rows": summary["counts"]["segments"], "peak_mb": mem.peak / 2**20,
            "k": summary["k"]["chosen"], "stages": summary["timings_s"]}


# ---------------------------------------------------------------------------
# corpus and machine
# ---------------------------------------------------------------------------
def make_corpora(work: Path, sizes: list[int], duration: float, jobs: int) -> dict[int, Path]:
    """One generated corpus of max(sizes) clips; a folder of symbolic links per size."""
    from musiccluster._constants import GTZAN_GENRES
    from musiccluster.synth import generate_corpus

    per_style = math.ceil(max(sizes) / len(GTZAN_GENRES))
    corpus = work / f"corpus-n{per_style}-d{duration:g}-s0"
    print(f"corpus: {per_style * len(GTZAN_GENRES)} clips of {duration:g} s in {corpus} "
          f"(generated once, reused)", flush=True)
    files = generate_corpus(corpus, n_per_style=per_style, duration=duration, seed=0, n_jobs=jobs,
                            progress=True)
    by_style: dict[str, list[Path]] = {}
    for f in sorted(files):
        by_style.setdefault(f.parent.name, []).append(f)
    folders = {}
    for n in sizes:
        folder = work / f"subset-{n}-d{duration:g}"
        if folder.exists():
            shutil.rmtree(folder)
        chosen = [f for i in range(per_style) for s in sorted(by_style) for f in by_style[s][i:i + 1]][:n]
        for f in chosen:
            (folder / f.parent.name).mkdir(parents=True, exist_ok=True)
            (folder / f.parent.name / f.name).symlink_to(f)
        folders[n] = folder
    return folders


def machine() -> dict[str, str]:
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus (os.cpu_count)": str(os.cpu_count())}
    try:
        info["usable cpus"] = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        info["memory"] = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        pass
    import joblib
    import librosa
    import numpy
    import soundfile

    info["versions"] = (f"librosa {librosa.__version__}, numpy {numpy.__version__}, joblib {joblib.__version__}, "
                        f"soundfile {soundfile.__version__} (libsndfile {soundfile.__libsndfile_version__})")
    return info


def load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ---------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800], help="corpus sizes (clips)")
    ap.add_argument("--duration", type=float, default=30.0, help="clip length, s (30)")
    ap.add_argument("--jobs", type=int, default=-1, help="workers for our extraction (-1: all cores)")
    ap.add_argument("--work-dir", type=Path, default=None,
                    help="corpora and scratch caches (default: <musiccluster cache>/benchmarks)")
    ap.add_argument("--out-dir", type=Path, default=HERE, help="where results.md/.csv go (this folder)")
    ap.add_argument("--skip", nargs="*", default=[], help="measurements to leave out (e.g. e2e_cached)")
    ap.add_argument("--note", default="", help="a line to add to results.md")
    ap.add_argument("--_measure", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._measure:
        print(json.dumps(measure(json.loads(args._measure))))
        return 0

    from musiccluster.cache import cache_dir

    work = (args.work_dir or cache_dir() / "benchmarks").expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    load_before = load()
    folders = make_corpora(work, sorted(args.sizes), args.duration, args.jobs)
    kinds = [k for k in ("plain", "plain_1t", "cold", "cached", "cached_extractor", "e2e", "e2e_cached")
             if k not in args.skip]
    rows = []
    for n, folder in folders.items():
        scratch = Path(tempfile.mkdtemp(prefix=f"bench-{n}-", dir=work))
        try:
            for kind in kinds:
                print(f"N={n:4d} {kind:17s} ... ", end="", flush=True)
                if kind.startswith("e2e"):
                    res = run_e2e(folder, scratch / f"out-{kind}", scratch / "cache-e2e", args.jobs)
                else:
                    cache = scratch / ("cache-ours" if kind.startswith(("cold", "cached")) else "unused")
                    res = run_child({"kind": kind, "folder": str(folder), "cache": str(cache), "jobs": args.jobs})
                res.update(n=n, kind=kind, load=load())
                rows.append(res)
                print(f"{res['seconds']:8.2f} s  peak {res['peak_mb']:7.0f} MB  (load {res['load']})", flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    load_after = load()
    write_results(args, rows, machine(), load_before, load_after)
    return 0


def write_results(args, rows, info, load_before, load_after) -> None:
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    fields = ["n", "kind", "seconds", "cpu_s", "rows", "peak_mb", "load", "warmup_s", "k", "stages"]
    with open(out / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "seconds": f"{r['seconds']:.3f}", "peak_mb": f"{r['peak_mb']:.0f}",
                        "warmup_s": f"{r['warmup_s']:.3f}" if "warmup_s" in r else "",
                        "cpu_s": f"{r['cpu_s']:.2f}" if "cpu_s" in r else "",
                        "stages": json.dumps(r.get("stages", "")) if r.get("stages") else ""})
    by = {(r["n"], r["kind"]): r for r in rows}

    def sec(n, kind):
        r = by.get((n, kind))
        return r["seconds"] if r else float("nan")

    def mb(n, kind):
        r = by.get((n, kind))
        return f"{r['peak_mb']:.0f}" if r else "–"

    def f(x, fmt="{:.1f}"):
        return "–" if x != x else fmt.format(x)

    lines = [
        "# Feature extraction benchmark",
        "",
        f"Generated by `benchmarks/bench_extraction.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}: "
        f"synthetic corpora (`musiccluster.synth.generate_corpus`, {args.duration:g} s FLAC clips at 22 050 Hz), "
        f"{N_SEGMENTS} segments x {2 * N_MFCC} MFCC statistics per clip, `--jobs {args.jobs}`.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        f"- load average (1/5/15 min) before: {load_before}; after: {load_after}"
        + (" — **the machine was shared with other jobs; rerun on a quiet machine for clean numbers**"
           if _busy(load_before, load_after, info) else ""),
        *([f"- note: {args.note}"] if args.note else []),
        "",
        "## Results (seconds, wall clock)",
        "",
        "| N clips | audio (h) | plain loop | plain loop, 1 BLAS thread | ours cold | speed-up vs plain | "
        "speed-up vs 1-thread loop | ours cached | cached / cold | extractor cached | "
        "`musiccluster cluster` cold | … rerun (cached) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r["n"] for r in rows}):
        cold = sec(n, "cold")
        lines.append(
            f"| {n} | {n * args.duration / 3600:.2f} | {f(sec(n, 'plain'))} | {f(sec(n, 'plain_1t'))} | "
            f"{f(cold)} | {f(sec(n, 'plain') / cold, '{:.2f}x')} | {f(sec(n, 'plain_1t') / cold, '{:.2f}x')} | "
            f"{f(sec(n, 'cached'), '{:.2f}')} | {f(100 * sec(n, 'cached') / cold, '{:.1f} %')} | "
            f"{f(sec(n, 'cached_extractor'), '{:.2f}')} | {f(sec(n, 'e2e'))} | {f(sec(n, 'e2e_cached'))} |")
    lines += [
        "",
        "Per clip, CPU time and peak memory (MB, sum over the process and its workers). `cores used` = "
        "CPU seconds / wall seconds of our cold extraction: how much of the machine it actually got "
        "(2 = both cores of an idle 2-core machine).",
        "",
        "| N clips | plain 1-thread s/clip | ours cold s/clip | ours cached ms/clip | CPU s plain 1-thread | "
        "CPU s ours cold | cores used (ours cold) | peak MB plain | peak MB ours cold | peak MB ours cached | "
        "peak MB `musiccluster cluster` |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cpu(n, kind):
        r = by.get((n, kind))
        return r.get("cpu_s", float("nan")) if r else float("nan")

    for n in sorted({r["n"] for r in rows}):
        lines.append(
            f"| {n} | {f(sec(n, 'plain_1t') / n, '{:.3f}')} | {f(sec(n, 'cold') / n, '{:.3f}')} | "
            f"{f(1000 * sec(n, 'cached') / n, '{:.2f}')} | {f(cpu(n, 'plain_1t'))} | {f(cpu(n, 'cold'))} | "
            f"{f(cpu(n, 'cold') / sec(n, 'cold'), '{:.2f}')} | {mb(n, 'plain')} | {mb(n, 'cold')} | "
            f"{mb(n, 'cached')} | {mb(n, 'e2e')} |")
    stages = [r for r in rows if r["kind"] == "e2e" and r.get("stages")]
    if stages:
        lines += ["", "Stages of `musiccluster cluster` (cold, seconds, from its summary.json):", "",
                  "| N clips | k chosen | " + " | ".join(stages[0]["stages"]) + " |",
                  "|---:|---:|" + "---:|" * len(stages[0]["stages"])]
        for r in stages:
            lines.append(f"| {r['n']} | {r.get('k', '')} | " + " | ".join(f"{v:.1f}" for v in r["stages"].values()) + " |")
    lines += ["", "Columns: see the docstring of `benchmarks/bench_extraction.py`. Each measurement runs in a "
              "fresh Python process, timed from the point where the top-level modules are imported: `ours "
              "cold` includes starting the worker processes (each imports librosa, scipy.signal ...), the "
              "plain loops include librosa's first-call loading (`warmup_s` in results.csv: "
              + ", ".join(f"{r['warmup_s']:.1f}" for r in rows if "warmup_s" in r) + " s).", ""]
    (out / "results.md").write_text("\n".join(lines))
    print(f"wrote {out / 'results.md'} and {out / 'results.csv'}")


def _busy(before: str, after: str, info: dict) -> bool:
    try:
        cpus = int(info.get("usable cpus") or info.get("cpus (os.cpu_count)"))
        return max(float(before.split("/")[0]), float(after.split("/")[0])) > 0.5 * cpus
    except (ValueError, TypeError):
        return False


if __name__ == "__main__":
    sys.exit(main())
