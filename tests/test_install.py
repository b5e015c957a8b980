"""Installing the package the ordinary way (issue #18): dependency bounds, ``--version``, the files
users and citers look for, and a clean ``pip install`` of the wheel that runs the main jobs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HEAVY = ("torch", "sklearn", "librosa", "scipy", "pandas", "matplotlib", "numpy", "joblib", "symusic")
VERSION_RE = re.compile(
    r"^musiccluster (?P<own>\S+) \(torch (?P<torch>\S+), librosa (?P<librosa>\S+), "
    r"symusic (?P<symusic>\S+), numpy (?P<numpy>\S+), python (?P<python>\S+)\)$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- fast checks ------------------------------------------------------------------------------------

def test_version_names_the_versions_that_decide_the_results():
    exe = shutil.which("musiccluster", path=str(BIN))
    assert exe, "the musiccluster console script is not installed in this environment"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    m = VERSION_RE.match(out.stdout.strip())
    assert m, out.stdout
    import musiccluster

    assert m["own"] == musiccluster.__version__
    for name in ("torch", "librosa", "symusic", "numpy"):
        assert m[name] == metadata.version(name)
    assert m["python"] == ".".join(map(str, sys.version_info[:3]))


def test_version_imports_nothing_heavy():
    """``--version`` reads package metadata; it imports none of the numerical libraries."""
    code = ("import contextlib, io, sys\n"
            "from musiccluster.cli import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):\n"
            "    main(['--version'])\n"
            "assert buf.getvalue().startswith('musiccluster '), buf.getvalue()\n"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_versions_reads_metadata_and_says_absent():
    from musiccluster.versions import ABSENT, versions

    found = versions(("symusic", "no-such-distribution-musiccluster"))
    assert found["symusic"] == metadata.version("symusic")
    assert found["no-such-distribution-musiccluster"] == ABSENT
    assert found["python"] == ".".join(map(str, sys.version_info[:3]))
    assert set(versions()) >= {"musiccluster", "python", "torch", "numpy", "scikit-learn", "librosa",
                               "symusic", "pretty_midi"}


def test_pinned_requirements_are_inside_the_dependency_bounds():
    """requirements.txt (the book's exact pins) installs ``-e .``: the bounds must admit every pin."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    project = _pyproject()["project"]
    assert SpecifierSet(project["requires-python"]).contains(".".join(map(str, sys.version_info[:3])))
    bounds = [Requirement(r) for r in project["dependencies"]]
    bounds += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = req.specifier
    missing, outside = [], []
    for req in bounds:
        assert str(req.specifier), f"{req.name} has no bounds"
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            missing.append(req.name)
            continue
        (exact,) = [s.version for s in pin if s.operator == "=="]
        if not req.specifier.contains(exact):
            outside.append(f"{req.name}=={exact} not in {req.specifier}")
    assert missing == [] and outside == []


def test_symusic_is_held_to_the_release_that_renders_the_corpus():
    from packaging.requirements import Requirement

    deps = {Requirement(r).name: Requirement(r).specifier for r in _pyproject()["project"]["dependencies"]}
    assert deps["symusic"].contains("0.5.9") and not deps["symusic"].contains("0.6.0")
    assert deps["torch"].contains("2.13.0+cpu") and not deps["torch"].contains("2.14.1")


def test_licence_and_citation_files():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and "LICENSE" in project["license-files"]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) 2026 musiccluster contributors" in licence
    assert "TimGM6mb.sf2" in (ROOT / "THIRD_PARTY_NOTICES.md").read_text(encoding="utf-8")
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert cff["cff-version"] == "1.2.0" and cff["authors"] and cff["version"] == project["version"]
    (paper,) = cff["references"]
    assert paper["title"] == "Unsupervised Clustering of Musical Audio using Linear Variational Autoencoders"
    assert paper["year"] == 2026 and paper["authors"] and paper["type"]


# --- the clean install ------------------------------------------------------------------------------

def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would leak the test venv or the checkout into a run."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONSAFEPATH"}}
    env.update(extra)
    return env


def _run(cmd: list, *, timeout: float, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env or _clean_env())


def _show(out: subprocess.CompletedProcess) -> str:
    return f"exit {out.returncode}\n--- stdout\n{out.stdout[-4000:]}\n--- stderr\n{out.stderr[-4000:]}"


def _source_copy(dest: Path) -> Path:
    """What the sdist holds, copied, so that building never writes into the checkout."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "src", dest / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build"))
    return dest


def _build_wheel(tmp: Path) -> Path:
    """Build the wheel with this environment's setuptools (offline), else in pip's isolated build."""
    src, dist = _source_copy(tmp / "source"), tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, src]
    try:
        from packaging.version import Version

        local_backend = Version(metadata.version("setuptools")) >= Version("77")
    except metadata.PackageNotFoundError:
        local_backend = False
    out = _run(cmd[:4] + ["--no-build-isolation"] + cmd[4:] if local_backend else cmd, timeout=600, cwd=tmp)
    if out.returncode != 0 and not local_backend and "satisfies the requirement setuptools" in out.stderr:
        pytest.skip("cannot build the wheel: no setuptools>=77 here and none from the package index")
    assert out.returncode == 0, "building the wheel failed\n" + _show(out)
    (wheel,) = dist.glob("musiccluster-*.whl")
    return wheel


def _tone_folder(root: Path) -> Path:
    import soundfile as sf

    from conftest import tone

    for g, (genre, base) in enumerate((("low", 110.0), ("high", 440.0))):
        (root / genre).mkdir(parents=True)
        for i in range(3):
            sf.write(root / genre / f"{genre}.{i:05d}.wav", tone(4.0, base * (1 + 0.1 * i), seed=10 * g + i),
                     22050)
    return root


@pytest.mark.slow
def test_clean_pip_install_of_the_wheel_runs_the_main_jobs(tmp_path):
    """Wheel -> fresh venv -> ``pip install`` (no requirements.txt) -> ``--version``, a tiny
    ``experiment`` on the embedded corpus, ``features`` on a folder: what a new user does first.

    pip's own cache is used (not disabled), so a rerun reuses what pip caches (where the index allows
    it). About 3 minutes on 2 cores: about 40 s to install (torch from a local wheel), about 2 minutes for
    the experiment, most of it librosa's numba kernels compiling on their first call in a new environment.
    """
    times = {}
    t = time.monotonic()
    wheel = _build_wheel(tmp_path)
    times["build wheel"] = time.monotonic() - t

    t, venv = time.monotonic(), tmp_path / "venv"
    out = _run([sys.executable, "-m", "venv", venv], timeout=300, cwd=tmp_path)
    if out.returncode != 0:
        pytest.skip(f"`python -m venv` cannot make a virtual environment here: {out.stderr.strip()[-500:]}")
    py, mc = venv / "bin" / "python", venv / "bin" / "musiccluster"
    # --no-compile: bytecode is written on first import instead (about a minute less on 2 cores).
    out = _run([py, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile", wheel],
               timeout=1800, cwd=tmp_path)
    assert out.returncode == 0, "pip install of the wheel failed\n" + _show(out)
    times["venv + pip install"] = time.monotonic() - t

    t = time.monotonic()
    env = _clean_env(MUSICCLUSTER_CACHE=str(tmp_path / "cache"), MPLBACKEND="Agg",
                     PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    where = _run([py, "-c", "import json, musiccluster\nfrom importlib import metadata\n"
                  "d = metadata.distribution('musiccluster')\n"
                  "print(json.dumps([musiccluster.__file__, [str(f) for f in d.files if 'LICENSE' in str(f)]]))"],
                 timeout=60, cwd=tmp_path, env=env)
    assert where.returncode == 0, _show(where)
    module_file, licence_files = json.loads(where.stdout)
    assert Path(module_file).resolve().is_relative_to(venv.resolve()), module_file  # the wheel, not the checkout
    assert any(f.endswith("LICENSE") for f in licence_files), licence_files

    version = _run([mc, "--version"], timeout=60, cwd=tmp_path, env=env)
    assert version.returncode == 0, _show(version)
    m = VERSION_RE.match(version.stdout.strip())
    assert m and m["symusic"] == "0.5.9" and "absent" not in version.stdout, version.stdout

    result = tmp_path / "result.json"
    exp = _run([mc, "experiment", "--corpus-size", "2", "--epochs", "1", "--k", "2", "--json", result],
               timeout=900, cwd=tmp_path, env=env)
    assert exp.returncode == 0, "experiment failed in the clean install\n" + _show(exp)
    record = json.loads(result.read_text())
    assert record["n_clips"] == 20 and record["params"]["k"] == 2
    assert -1 <= record["silhouette_vae"] <= 1 and -1 <= record["silhouette_pca"] <= 1

    table = tmp_path / "features.csv"
    feats = _run([mc, "features", _tone_folder(tmp_path / "tones"), "--segments", "2", "--quiet",
                  "--out", table], timeout=600, cwd=tmp_path, env=env)
    assert feats.returncode == 0, "features failed in the clean install\n" + _show(feats)
    lines = table.read_text().splitlines()
    assert len(lines) == 1 + 6 * 2 and "mfcc13_var" in lines[0] and "label" in lines[0]
    times["commands"] = time.monotonic() - t
    print("clean install, seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in times.items()))
