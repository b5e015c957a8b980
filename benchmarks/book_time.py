#!/usr/bin/env python
"""Where the book's build time goes (issue 17 item 5): a cold build, then a warm one, per chapter.

Not a test: ~7 minutes on 2 cores, and the numbers depend on the machine and its load (the load
average before each build is in the output). Builds a copy of the checkout's ``book/`` and
``_config.yml`` in a temporary folder, so the checkout's own ``_build`` is left alone:

* **cold**: an empty ``MUSICCLUSTER_CACHE`` and no ``_build`` (a fresh clone's first ``make book``):
  every chapter executes, the stand-in corpus is rendered and its features extracted;
* **warm**: the same command again, nothing changed: the fingerprinted jupyter-cache
  (:mod:`musiccluster.book.execution_cache`) reuses every chapter.

Per chapter it reports myst-nb's "Executed notebook in ..." (or "reused" for a cache hit), and the
whole command's wall and user CPU time.

    PYTHONPATH=src .venv/bin/python benchmarks/book_time.py      # writes benchmarks/book_time.{md,json}
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXECUTED = re.compile(r"book/(\w+)\.md: Executed notebook in ([0-9.]+) seconds")
REUSED = re.compile(r"book/(\w+)\.md: Using cached notebook")


def build(project: Path, cache: Path) -> dict:
    """One ``jupyter-book build book`` in ``project``: wall, user CPU, per-chapter seconds."""
    env = dict(os.environ, MUSICCLUSTER_CACHE=str(cache), PYTHONPATH=str(ROOT / "src"))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", "book", "--keep-going"],
                         cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = run.stdout + run.stderr
    chapters = {m.group(1): float(m.group(2)) for m in EXECUTED.finditer(log)}
    chapters.update({m.group(1): "reused" for m in REUSED.finditer(log)})
    return {"rc": run.returncode, "wall_s": wall, "user_cpu_s": after.ru_utime - before.ru_utime,
            "load_before": load, "chapters": dict(sorted(chapters.items()))}


def markdown(result: dict) -> str:
    cold, warm = result["cold"], result["warm"]
    names = sorted(set(cold["chapters"]) | set(warm["chapters"]))
    fmt = lambda v: v if isinstance(v, str) else f"{v:.1f} s"  # noqa: E731
    lines = ["# Book build time (issue 17 item 5)", "",
             f"Made by `benchmarks/book_time.py` on {result['machine']}, {result['date']}, commit "
             f"{result['commit']}. Cold: empty `MUSICCLUSTER_CACHE`, no `_build` (a fresh clone's first "
             "`make book`); warm: the same build again, nothing changed. Goals: cold <= 120 s, warm <= 30 s.", "",
             "| chapter | cold | warm |", "|---|---:|---:|"]
    lines += [f"| {n} | {fmt(cold['chapters'].get(n, '-'))} | {fmt(warm['chapters'].get(n, '-'))} |" for n in names]
    lines += [f"| **whole build** | **{cold['wall_s']:.1f} s** ({cold['user_cpu_s']:.0f} s user CPU) | "
              f"**{warm['wall_s']:.1f} s** ({warm['user_cpu_s']:.0f} s user CPU) |", "",
              f"Load average before the cold build: {cold['load_before']}; before the warm one: "
              f"{warm['load_before']}. Exit status {cold['rc']} / {warm['rc']}.", ""]
    return "\n".join(lines)


def main() -> int:
    import platform

    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="book-time-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        shutil.copytree(ROOT / "book", project / "book", ignore=shutil.ignore_patterns("_build"), symlinks=True)
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(ROOT / name, project / name)
        shutil.copytree(ROOT / "benchmarks", project / "benchmarks")  # the records the chapters read
        cache = Path(tmp) / "cache"
        result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                             f"Python {platform.python_version()}",
                  "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit,
                  "cold": build(project, cache)}
        result["warm"] = build(project, cache)
    (HERE / "book_time.json").write_text(json.dumps(result, indent=2) + "\n")
    (HERE / "book_time.md").write_text(markdown(result))
    print(markdown(result))
    return 0 if result["cold"]["rc"] == result["warm"]["rc"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
