"""The recorded real-GTZAN evaluation (benchmarks/eval-gtzan-30s.json) is what the library computes now.

The book shows that record as the "recorded run on real GTZAN features (clip level)"; this test
recomputes it from ../shared/data/gtzan-kaggle/features_30_sec.csv with the record's own parameters
and configuration, and compares every number except the timings and the library fingerprint, so the
record can never go stale silently. About two minutes on 2 cores.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT.parent / "shared" / "data" / "gtzan-kaggle" / "features_30_sec.csv"


def _differences(a, b, path="") -> list[str]:
    """Where two JSON values differ (numbers to 1e-9 relative: the same machine gives the same bits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in {'record' if k in a else 'recomputed'}" for k in set(a) ^ set(b)]
        for k in sorted(set(a) & set(b)):
            out += _differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


@pytest.mark.slow
def test_recorded_gtzan_evaluation_matches_what_the_library_computes(tmp_path):
    if not TABLE.is_file():
        pytest.skip(f"the real GTZAN feature table is not here ({TABLE}); the record cannot be recomputed")
    from musiccluster.evaluation import evaluate
    from musiccluster.evaluation.recorded import RECORDED_GTZAN, comparable, load_provenance, result_of_record

    recorded = json.loads(RECORDED_GTZAN.read_text(encoding="utf-8"))
    view = result_of_record(recorded)
    params = view.params.replace(data_dir=str(TABLE.resolve()))
    fresh = evaluate(params, view.config, cache=False, cache_dir=tmp_path, n_jobs=-1, progress=False)
    recomputed = json.loads(fresh.to_json(timing=False))
    diffs = _differences(comparable(recorded), comparable(recomputed))
    assert not diffs, (f"{RECORDED_GTZAN.name} is stale ({len(diffs)} differences, first: {diffs[:5]}); "
                       f"regenerate it with: {load_provenance().command}")


def test_the_readme_quotes_the_committed_record():
    """The README's paragraph on real GTZAN states numbers of the recorded run: they must be its numbers."""
    from musiccluster.evaluation.recorded import load_recorded

    r = load_recorded()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    sweep = next(s for s in r.sweep if s.loss_reduction == "sum" and s.beta == 10)
    own = {m: r.stat(m, "silhouette_own").mean for m in ("vae", "pca")}
    quotes = [
        f"the VAE's own-space silhouette is {own['vae']:.3f} against PCA's {own['pca']:.3f}",
        f"in the common space they score {r.stat('vae', 'silhouette_common').mean:.3f} and "
        f"{r.stat('pca', 'silhouette_common').mean:.3f}",
        f"against {r.stat('vae', 'silhouette_common', scope='null').mean:.2f} for the same pipelines",
        f"own-space silhouettes are already {r.stat('vae', 'silhouette_own', scope='null').mean:.2f}",
        f"ARI is {r.stat('vae', 'ari').mean:.3f} vs {r.stat('pca', 'ari').mean:.3f}",
        f"lifts the VAE's own-space silhouette to {sweep.metrics['silhouette_own'].mean:.2f}",
        f"the null gets {sweep.null['silhouette_own'].mean:.2f} there",
        f"drop to {sweep.metrics['silhouette_common'].mean:.2f} in the common space",
        f"PCA's {own['pca']:.3f} does not depend on the VAE",
    ]
    missing = [q for q in quotes if q not in readme]
    assert not missing, "README no longer matches benchmarks/eval-gtzan-30s.json:\n" + "\n".join(missing)
