#!/usr/bin/env python
"""Issue 17's benchmark: fixed costs, worker counts, full-length songs, memory in track length.

Not a test: it takes ~10-15 minutes and its numbers depend on the machine and on what else runs
on it (the load average before each measurement is in the output). Every measurement is a fresh
``python -m musiccluster ...`` process (or a fresh ``python -c`` for the plain loop) with a fresh
feature cache, timed from outside:

(a) ``workers``: N = 10, 50, 200, 1000 WAV clips of 30 s (22 050 Hz mono; hard links to a few
    distinct generated clips, so that generating them costs nothing): ``musiccluster features``
    with its default workers, with ``--jobs 1``, and a plain ``librosa.load`` +
    ``librosa.feature.mfcc`` loop (``bench_extraction.plain_loop``).
(b) ``songs``: full-length MP3s of 2-6 min, 44.1 kHz stereo (written by soundfile/libsndfile's
    LAME encoder; hard links to a few distinct songs, since encoding costs ~15 s each here):
    the paper protocol against ``--segment-seconds 3``, default workers; wall time, CPU time
    (the process and its workers) and peak memory; the marginal cost per track (from two folder
    sizes) extrapolated to 10 000 four-minute tracks.
(c) ``long``: one 1-hour WAV (44.1 kHz stereo, 16 bit) against one 30-s WAV of the same kind:
    peak RSS of ``musiccluster features --jobs 1`` under the paper protocol (streamed) and with
    ``--segment-seconds 3``, and of the old whole-file decode (``load_audio`` + the equal split, in
    a ``python -c``) for comparison.
(d) ``startup``: ``musiccluster --help`` and ``musiccluster features --help``, five times each.

Peak memory: ``ru_maxrss`` of the largest single process (the measuring child or one of its
workers), and the largest sampled sum of RSS over the process tree (forked workers share their
parent's pages, which that sum counts once per process: an upper bound).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_issue17.py            # writes results_issue17.md/.json
    PYTHONPATH=src .venv/bin/python benchmarks/bench_issue17.py --quick    # a 1-minute check
"""

from __future__ import annotations

import argparse
import json
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
ROOT = HERE.parent
PY = sys.executable


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(cmd: list[str], sample: bool = True) -> dict:
    """Wall, CPU (child + reaped descendants) and peak memory of one command."""
    import psutil

    t0 = time.perf_counter()
    before = loadavg()
    proc = subprocess.Popen(cmd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = 0
    stop = threading.Event()

    def sampler():
        nonlocal peak_tree
        try:
            p = psutil.Process(proc.pid)
            while not stop.is_set():
                try:
                    total = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                    peak_tree = max(peak_tree, total)
                except psutil.Error:
                    pass
                stop.wait(0.05)
        except psutil.Error:
            pass

    th = threading.Thread(target=sampler, daemon=True)
    if sample:
        th.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stop.set()
    if sample:
        th.join()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
            "tree_rss_mb": peak_tree / 2**20, "load_before": before}


def in_child(call: str) -> None:
    """Run ``call`` (Python, with this module imported as ``b``) in a fresh process: the files are
    generated there, so that this process stays small (``ru_maxrss`` of a child counts the pages it
    was forked with) and never imports numpy."""
    subprocess.run([PY, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_issue17 as b; {call}"],
                   env=env(), check=True)


def features_cmd(folder: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [PY, "-m", "musiccluster", "features", str(folder), "--out", str(out), "--cache-dir", str(cache),
            "--quiet", *extra]


def fresh(work: Path, name: str) -> Path:
    p = work / name
    shutil.rmtree(p, ignore_errors=True)
    return p


def make_folder(work: Path, name: str, sources: list[Path], n: int) -> Path:
    """``n`` hard links (distinct names, distinct paths) to ``sources`` in turn."""
    folder = work / name
    if folder.exists() and len(list(folder.iterdir())) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(n):
        src = sources[i % len(sources)]
        os.link(src, folder / f"track{i:05d}{src.suffix}")
    return folder


def song(seconds: float, sr: int, seed: int):
    """A test signal with some noise (so that a VBR MP3 has a realistic bitrate), stereo float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    base = 110.0 * (1 + seed % 7 * 0.13)
    y = sum(np.sin(2 * np.pi * base * h * t) / h for h in (1, 2, 3)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    y = 0.25 * y / np.max(np.abs(y))
    left = (y + 0.03 * rng.standard_normal(t.size)).astype(np.float32)
    right = (np.roll(y, 200) + 0.03 * rng.standard_normal(t.size)).astype(np.float32)
    return np.stack([left, right], axis=1)


def write_clip(path: str, seconds: float, sr: int, seed: int, fmt: str = "WAV", mono: bool = False) -> None:
    import soundfile as sf

    y = song(seconds, sr, seed)
    sf.write(path, y.mean(axis=1) if mono else y, sr, format=fmt)


def write_long_wav(path: Path, seconds: float, sr: int = 44100) -> None:
    import soundfile as sf

    block = song(60.0, sr, 5)
    with sf.SoundFile(path, "w", sr, 2, subtype="PCM_16") as f:
        left = int(seconds * sr)
        while left > 0:
            f.write(block[:left])
            left -= len(block)


def bench_workers(work: Path, sizes: list[int], clip_s: float, plain_max: int) -> list[dict]:
    src = work / "src-clips"
    src.mkdir(parents=True, exist_ok=True)
    sources = []
    for i in range(8):
        p = src / f"clip{i}.wav"
        if not p.exists():
            in_child(f"b.write_clip({str(p)!r}, {clip_s}, 22050, {i}, mono=True)")
        sources.append(p)
    # One untimed run first: a fresh environment compiles librosa's numba kernels (and writes .pyc
    # files) on its first use, ~30 s here, which would otherwise be charged to the first measurement.
    warm = make_folder(work, "clips-warmup", sources, 2)
    run(features_cmd(warm, work / "o.csv", fresh(work, "cache")))
    rows = []
    for n in sizes:
        folder = make_folder(work, f"clips{n}", sources, n)
        files = sorted(str(p) for p in folder.iterdir())
        listing = work / f"files{n}.json"
        listing.write_text(json.dumps(files))
        for kind, cmd in (  # each command (and its fresh, empty cache) made just before it runs
            ("default", lambda: features_cmd(folder, work / "o.csv", fresh(work, "cache"))),
            ("jobs1", lambda: features_cmd(folder, work / "o.csv", fresh(work, "cache"), "--jobs", "1")),
            ("plain", lambda: [PY, "-c", "import json,sys; sys.path.insert(0, %r); from bench_extraction import "
                               "plain_loop; plain_loop(json.load(open(%r)))" % (str(HERE), str(listing))]),
        ):
            if kind == "plain" and n > plain_max:
                continue
            # Small folders take ~5 s, of which run-to-run noise is +-0.5 s: the median of three runs.
            runs = [run(cmd()) for _ in range(3 if n <= 50 else 1)]
            r = sorted(runs, key=lambda x: x["wall_s"])[len(runs) // 2]
            r = {**r, "walls_s": [x["wall_s"] for x in runs]}
            rows.append({"n": n, "kind": kind, **r})
            print(f"  workers N={n:5d} {kind:8s} {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s  "
                  f"load {r['load_before']}", flush=True)
    return rows


def bench_songs(work: Path, n_tracks: int, n_small: int, n_distinct: int) -> list[dict]:
    src = work / "src-songs"
    src.mkdir(parents=True, exist_ok=True)
    sources, durations = [], []
    for i in range(n_distinct):
        seconds = 120.0 + 240.0 * i / max(1, n_distinct - 1)  # 2 to 6 min
        p = src / f"song{i}.mp3"
        if not p.exists():
            in_child(f"b.write_clip({str(p)!r}, {seconds}, 44100, {i}, fmt='MP3')")
        sources.append(p)
        durations.append(seconds)
    rows = []
    for n in (n_small, n_tracks):
        folder = make_folder(work, f"songs{n}", sources, n)
        mean_s = sum(durations[i % n_distinct] for i in range(n)) / n
        for scheme, extra in (("paper", ()), ("3s", ("--segment-seconds", "3"))):
            r = run(features_cmd(folder, work / "o.csv", fresh(work, "cache"), *extra))
            rows.append({"n": n, "scheme": scheme, "mean_track_s": mean_s,
                         "mp3_kbps": sum(p.stat().st_size for p in sources) * 8 / 1000 / sum(durations), **r})
            print(f"  songs N={n:4d} {scheme:5s} {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s  "
                  f"max rss {r['max_rss_mb']:6.0f} MB  load {r['load_before']}", flush=True)
    return rows


OLD_WHOLE_FILE = (
    "import sys; import numpy as np; from musiccluster.features.segments import load_audio, segment_bounds; "
    "from musiccluster.features.mfcc import mfcc_stats; y = load_audio(sys.argv[1]); "
    "X = np.stack([mfcc_stats(y[a:b]) for a, b in segment_bounds(len(y), 10)])"
)


def bench_long(work: Path, long_s: float) -> list[dict]:
    rows = []
    files = {"30 s": work / "long" / "short.wav", f"{long_s / 60:g} min": work / "long" / "long.wav"}
    for label, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            in_child(f"b.write_long_wav(b.Path({str(path)!r}), {30.0 if label == '30 s' else long_s})")
        folder = work / f"one-{path.stem}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        os.link(path, folder / path.name)
        for how, cmd in (
            ("paper protocol (streamed above 2 min)",
             lambda: features_cmd(folder, work / "o.csv", fresh(work, "cache"), "--jobs", "1")),
            ("--segment-seconds 3", lambda: features_cmd(folder, work / "o.csv", fresh(work, "cache"), "--jobs", "1",
                                                         "--segment-seconds", "3")),
            ("old whole-file decode", lambda: [PY, "-c", OLD_WHOLE_FILE, str(path)]),
        ):
            r = run(cmd())
            rows.append({"file": label, "how": how, **r})
            print(f"  long {label:7s} {how:28s} {r['wall_s']:7.2f} s  max rss {r['max_rss_mb']:6.0f} MB  "
                  f"load {r['load_before']}", flush=True)
    return rows


def bench_startup(repeat: int = 5) -> list[dict]:
    rows = []
    for what in (["--help"], ["features", "--help"]):
        walls = [run([PY, "-m", "musiccluster", *what], sample=False)["wall_s"] for _ in range(repeat)]
        rows.append({"command": "musiccluster " + " ".join(what), "min_s": min(walls),
                     "median_s": sorted(walls)[len(walls) // 2], "load_before": loadavg()})
        print(f"  startup {rows[-1]['command']:28s} min {rows[-1]['min_s']:.2f} s", flush=True)
    return rows


def machine() -> dict:
    import psutil

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    code = ("import json; from musiccluster.features import workers as w; print(json.dumps({str(n): "
            "w.plan_workers(-1, n, 10, s, w.can_fork()) for n in (2, 4, 10, 16, 50, 200, 1000)}))")
    for scheme, s in (("paper", "None"), ("3s", "3.0")):
        out = subprocess.run([PY, "-c", code.replace("s, w.can", f"{s}, w.can")], env=env(), check=True,
                             capture_output=True, text=True).stdout
        info[f"default_workers_{scheme}"] = json.loads(out)
    return info


def markdown(result: dict) -> str:
    """``results_issue17.md``: the JSON as tables, with the goals beside the numbers."""
    m = result["machine"]
    lines = [f"# Issue 17 benchmark ({m.get('cpu', '?')}, {m['usable_cores']} cores, Python {m['python']})", "",
             f"{result['note']}.", "", f"* before: `{result['uptime_start']}`", f"* after: `{result['uptime_end']}`",
             f"* total {result['total_s'] / 60:.1f} min; default workers chosen (paper protocol, by N): "
             f"{m.get('default_workers_paper')}", ""]
    if "startup" in result:
        lines += ["## (d) start-up", "", "| command | min | median | load before |", "|---|---:|---:|---|"]
        lines += [f"| `{r['command']}` | {r['min_s']:.2f} s | {r['median_s']:.2f} s | {r['load_before']} |"
                  for r in result["startup"]] + [""]
    if "workers" in result:
        by = {(r["n"], r["kind"]): r for r in result["workers"]}
        lines += ["## (a) 30-s clips: default workers vs `--jobs 1` vs a plain librosa loop", "",
                  "Whole `musiccluster features` command (start-up included), fresh cache; N <= 50: the median of three runs. Goal: default never "
                  "> 5 % slower than `--jobs 1`; >= 1.8x faster from N = 200 on 2 free cores.", "",
                  "| N | default | `--jobs 1` | plain loop | default / jobs 1 | CPU default | CPU jobs 1 | load before (default run) |",
                  "|---:|---:|---:|---:|---:|---:|---:|---|"]
        for n in sorted({r["n"] for r in result["workers"]}):
            d, j, pl = by.get((n, "default")), by.get((n, "jobs1")), by.get((n, "plain"))
            lines.append(f"| {n} | {d['wall_s']:.1f} s | {j['wall_s']:.1f} s | "
                         f"{pl['wall_s']:.1f} s |" if pl else f"| {n} | {d['wall_s']:.1f} s | {j['wall_s']:.1f} s | - |")
            lines[-1] += f" {d['wall_s'] / j['wall_s']:.2f} | {d['cpu_s']:.1f} s | {j['cpu_s']:.1f} s | {d['load_before']} |"
        lines.append("")
    if "songs" in result:
        rows = result["songs"]
        lines += ["## (b) full-length MP3s (2-6 min, 44.1 kHz stereo), default workers", "",
                  "| tracks | mean length | scheme | wall | CPU | peak RSS (largest process) | peak RSS (tree sum) | load before |",
                  "|---:|---:|---|---:|---:|---:|---:|---|"]
        for r in rows:
            lines.append(f"| {r['n']} | {r['mean_track_s'] / 60:.1f} min | {r['scheme']} | {r['wall_s']:.1f} s | "
                         f"{r['cpu_s']:.1f} s | {r['max_rss_mb']:.0f} MB | {r['tree_rss_mb']:.0f} MB | {r['load_before']} |")
        ns = sorted({r["n"] for r in rows})
        lines += ["", f"MP3 bitrate of the generated songs: {rows[0]['mp3_kbps']:.0f} kbit/s (libsndfile's LAME VBR).", "",
                  "Extrapolation to 10 000 four-minute tracks (marginal cost per track between the two folder "
                  "sizes, scaled to 4 min for the paper protocol; the fixed scheme decodes 30 s per track "
                  "whatever its length). Goal: <= 25 min with 10 x 3 s on 2 cores.", ""]
        for scheme in ("paper", "3s"):
            a = next(r for r in rows if r["n"] == ns[0] and r["scheme"] == scheme)
            b = next(r for r in rows if r["n"] == ns[-1] and r["scheme"] == scheme)
            per = (b["wall_s"] - a["wall_s"]) / (b["n"] - a["n"])
            cpu = (b["cpu_s"] - a["cpu_s"]) / (b["n"] - a["n"])
            if scheme == "paper":
                scale = 240.0 / b["mean_track_s"]
                per, cpu = per * scale, cpu * scale
            lines.append(f"* {scheme}: {per:.2f} s wall and {cpu:.2f} s CPU per track -> "
                         f"{per * 10_000 / 60:.0f} min wall for 10 000 (CPU-bound on 2 free cores: "
                         f"{cpu * 10_000 / 2 / 60:.0f} min)")
        lines.append("")
    if "long" in result:
        lines += ["## (c) peak RSS: one 1-hour WAV vs one 30-s WAV (44.1 kHz stereo, 16 bit), `--jobs 1`", "",
                  "| file | how | wall | peak RSS | load before |", "|---|---|---:|---:|---|"]
        lines += [f"| {r['file']} | {r['how']} | {r['wall_s']:.1f} s | {r['max_rss_mb']:.0f} MB | {r['load_before']} |"
                  for r in result["long"]] + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a check that it runs)")
    ap.add_argument("--work-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results_issue17.json")
    ap.add_argument("--only", nargs="*", default=["workers", "songs", "long", "startup"])
    ap.add_argument("--plain-max", type=int, default=200, help="largest N for the plain librosa loop")
    ap.add_argument("--markdown", type=Path, metavar="JSON", help="only rewrite the .md of a JSON result")
    args = ap.parse_args(argv)
    if args.markdown:
        args.markdown.with_suffix(".md").write_text(markdown(json.loads(args.markdown.read_text())) + "\n")
        return 0
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench17-"))
    q = args.quick
    result = {"machine": machine(), "uptime_start": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
              "note": "each measurement's load average just before it is in load_before (a quiet 2-core "
                      "machine reads below ~1)"}
    print(result["uptime_start"], flush=True)
    t0 = time.perf_counter()
    try:
        if "startup" in args.only:
            result["startup"] = bench_startup(2 if q else 5)
        if "workers" in args.only:
            result["workers"] = bench_workers(work, [10, 20] if q else [10, 50, 200, 1000], 30.0, args.plain_max)
        if "songs" in args.only:
            result["songs"] = bench_songs(work, 4 if q else 200, 2 if q else 20, 2 if q else 4)
        if "long" in args.only:
            result["long"] = bench_long(work, 300.0 if q else 3600.0)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    result["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    result["total_s"] = time.perf_counter() - t0
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result) + "\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.md').name} in {result['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
