"""Shared fixtures: a private cache folder and tiny audio corpora made on the fly."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KAGGLE_30S = SHARED / "data" / "gtzan-kaggle" / "features_30_sec.csv"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory, _private_cache):
    """The book built once per session with the README's command, into a temporary folder:
    ``html`` (the ``_build/html`` folder), ``log`` and ``returncode`` (tests/test_book.py,
    tests/test_browser.py share it)."""
    import subprocess
    import sys
    from types import SimpleNamespace

    out = tmp_path_factory.mktemp("book")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", "book", "--path-output",
                           str(out)], cwd=root, capture_output=True, text=True)
    return SimpleNamespace(html=out / "_build" / "html", log=proc.stdout + proc.stderr, returncode=proc.returncode)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Never touch the user's cache: every test session gets its own."""
    folder = tmp_path_factory.mktemp("mccache")
    old = os.environ.get("MUSICCLUSTER_CACHE")
    os.environ["MUSICCLUSTER_CACHE"] = str(folder)
    os.environ.setdefault("MPLBACKEND", "Agg")
    yield folder
    if old is None:
        os.environ.pop("MUSICCLUSTER_CACHE", None)
    else:
        os.environ["MUSICCLUSTER_CACHE"] = old


def tone(seconds: float, freq: float, sr: int = 22050, seed: int = 0, noise: float = 0.05) -> np.ndarray:
    """A harmonic tone with a little noise and an amplitude envelope (float32, mono)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * freq * h * t) / h for h in (1, 2, 3))
    y = y * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)) + noise * rng.standard_normal(t.size)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture
def audio_dir(tmp_path) -> Path:
    """A GTZAN-layout folder: 2 genres x 3 clips of 4 s, written as .au and .wav."""
    root = tmp_path / "genres"
    for g, (genre, base) in enumerate((("blues", 110.0), ("metal", 330.0))):
        (root / genre).mkdir(parents=True)
        for i in range(3):
            y = tone(4.0, base * (1 + 0.1 * i), seed=10 * g + i)
            ext = "au" if genre == "blues" else "wav"
            sf.write(root / genre / f"{genre}.{i:05d}.{ext}", y, 22050)
    return root


@pytest.fixture
def kaggle_30s() -> Path:
    if not KAGGLE_30S.exists():
        pytest.skip(f"shared GTZAN feature table not available at {KAGGLE_30S}")
    return KAGGLE_30S
