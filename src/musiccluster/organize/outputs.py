"""The files ``musiccluster cluster`` writes into ``OUT_DIR``, and the tables behind them.

Command: ``musiccluster cluster``.

* ``assignments.csv``: one row per track: ``path`` (absolute), ``cluster``
  (1..k, 1 = the largest), ``confidence`` (share of the track's segments in
  its cluster), ``distance`` (of the track's mean embedding to the cluster
  centre), ``rank`` (1 = most typical track of its cluster), ``duration_s``,
  ``n_segments``, ``label`` (from the folder layout, empty if none), ``x``,
  ``y`` (map coordinates). UTF-8 (a file name that is not valid UTF-8 is written as its bytes).
* ``playlists/cluster-NN.m3u8``: see :mod:`.playlists`.
* ``map.png``: the tracks on the first two principal axes of their
  embeddings, coloured by cluster, centres marked; ``k-selection.png``: the
  silhouette curve, when k was chosen (:mod:`.figures`).
* ``skipped.csv``: ``path``, ``kind`` (``failed``: an audio file that could
  not be used; ``ignored``: not audio, hidden, or a folder not searched;
  ``unlisted``: a used track its playlist cannot list, see :mod:`.playlists`), ``reason``.
* ``summary.json``: parameters, counts, the k choice and its curve, cluster
  sizes, timings, the file list.

Every file is written by :func:`musiccluster.userfiles.write_user_file` (atomically, with the
umask's permissions, links written through). In the CSV files, a text cell that starts with
``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's rule against CSV
injection), so a spreadsheet shows ``=1+1.wav`` instead of evaluating it. What may be replaced
or deleted in OUT is decided by :mod:`.outdir`.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..userfiles import spreadsheet_safe, text_columns, write_user_file
from ..versions import versions
from .assign import ASSIGNMENT_RULE, TrackAssignment
from .figures import write_k_curve, write_map
from .playlists import ORDER_RULE, playlist_name, playlist_width, unlisted_tracks, write_playlists

ASSIGNMENT_COLUMNS = ["path", "cluster", "confidence", "distance", "rank", "duration_s",
                      "n_segments", "label", "x", "y"]
SKIPPED_COLUMNS = ["path", "kind", "reason"]


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy numbers and arrays, tuples and paths made JSON types (non-finite: None).

    Command: ``musiccluster cluster`` (``summary.json``, ``model/config.json``).
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """``df`` as UTF-8 CSV without its index, text cells made spreadsheet-safe.

    Command: ``musiccluster cluster``. Paths that are not valid UTF-8 are written as their bytes.
    """
    import csv

    path = Path(path)
    df = spreadsheet_safe(df)
    # the csv module quotes a cell with "\n" but not one with a bare "\r" (pandas ends lines with
    # "\n"): where a name holds one, every text cell is quoted, so no reader splits the row there
    has_cr = any(df[c].map(lambda v: isinstance(v, str) and "\r" in v).any() for c in text_columns(df))
    text = df.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)
    write_user_file(path, text.encode("utf-8", "surrogateescape"))
    return path


def write_skipped(skipped: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """``skipped.csv``: ``path``, ``kind``, ``reason``.

    Command: ``musiccluster cluster`` (written even when no track could be used).
    """
    return write_csv(skipped.reindex(columns=SKIPPED_COLUMNS), path)


def tracks_frame(tracks: pd.DataFrame, a: TrackAssignment, xy: np.ndarray) -> pd.DataFrame:
    """The rows of ``assignments.csv``, by cluster and rank (1 = nearest its centre).

    Command: ``musiccluster cluster``.
    """
    df = pd.DataFrame({
        "path": tracks["path"].to_numpy(),
        "cluster": a.labels + 1,
        "confidence": np.round(a.confidence, 4),
        "distance": a.distance,
        "duration_s": np.round(tracks["duration_s"].to_numpy(dtype=np.float64), 3),
        "n_segments": tracks["n_segments"].to_numpy(),
        "label": tracks["label"].to_numpy(),
        "x": xy[:, 0], "y": xy[:, 1],
    })
    order = df.sort_values(["cluster", "distance", "confidence", "path"],
                           ascending=[True, True, False, True], kind="mergesort")
    df["rank"] = 0
    df.loc[order.index, "rank"] = order.groupby("cluster").cumcount().to_numpy() + 1
    return df.loc[order.index].reset_index(drop=True)


def skipped_frame(ignored: list[tuple[str, str]], failed: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``skipped.csv``: audio files that ``failed`` (``path``, ``reason``) and the
    ``ignored`` items of the folder walk, sorted by kind and path.

    Command: ``musiccluster cluster``.
    """
    other = pd.DataFrame(ignored, columns=["path", "reason"])
    frames = [f for f in (failed.assign(kind="failed")[SKIPPED_COLUMNS],
                          other.assign(kind="ignored")[SKIPPED_COLUMNS]) if len(f)]
    if not frames:
        return pd.DataFrame(columns=SKIPPED_COLUMNS)
    both = pd.concat(frames, ignore_index=True)
    return both.sort_values(["kind", "path"], kind="mergesort").reset_index(drop=True)


def _cluster_table(df: pd.DataFrame, k: int, width: int) -> list[dict[str, Any]]:
    out = []
    for c in range(1, k + 1):
        sub = df[df["cluster"] == c]
        row: dict[str, Any] = {"cluster": c, "tracks": int(len(sub)),
                               "playlist": f"playlists/{playlist_name(c, width)}" if len(sub) else None,
                               "mean_confidence": float(sub["confidence"].mean()) if len(sub) else None,
                               "duration_h": float(sub["duration_s"].sum() / 3600) if len(sub) else 0.0}
        labels = sub["label"].dropna()
        if len(labels):
            row["top_labels"] = {str(k_): int(v) for k_, v in labels.value_counts().head(3).items()}
        out.append(row)
    return out


def _label_agreement(df: pd.DataFrame) -> dict[str, float] | None:
    lab = df["label"]
    mask = lab.notna().to_numpy()
    if mask.sum() < 2 or lab[mask].nunique() < 2:
        return None
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    y, c = lab[mask].astype(str).to_numpy(), df.loc[mask, "cluster"].to_numpy()
    return {"tracks_with_label": int(mask.sum()), "adjusted_rand": float(adjusted_rand_score(y, c)),
            "nmi": float(normalized_mutual_info_score(y, c))}


def run_summary(mode: str, *, music_dir: Path, n_files: int, out: Path, tracks: pd.DataFrame,
            skipped: pd.DataFrame, k: int, params, method: str, k_info: dict[str, Any],
            cache_root: Path | None, scheduler: str | None, n_jobs: int | None, n_rows: int,
            timings: dict[str, float]) -> dict[str, Any]:
    """What ``summary.json`` holds (``mode``: ``train`` or ``assign``); its file list is added on writing.

    Command: ``musiccluster cluster``.
    """
    n_failed = int((skipped["kind"] == "failed").sum())
    return {
        "command": "musiccluster cluster" + (" --assign" if mode == "assign" else ""),
        "mode": mode,
        "musiccluster_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "music_dir": str(music_dir),
        "out_dir": str(out),
        "method": method,
        "benchmark": _benchmark(method),
        "params": {name: getattr(params, name) for name in (
            "n_segments", "segment_seconds", "n_mfcc", "min_segment_s", "latent_dim", "hidden_dim", "epochs", "lr",
            "batch_size", "beta", "loss_reduction", "seed")},
        "assignment_rule": ASSIGNMENT_RULE,
        "playlist_order": ORDER_RULE,
        "k": k_info,
        "counts": {
            "files_seen": n_files, "audio_files": int(len(tracks)) + n_failed, "tracks_used": int(len(tracks)),
            "audio_files_skipped": n_failed, "other_items_ignored": int(len(skipped) - n_failed),
            "segments": int(n_rows), "clusters": k,
            "nonempty_clusters": int(tracks["cluster"].nunique()),
        },
        "clusters": _cluster_table(tracks, k, playlist_width(k)),
        "mean_confidence": float(tracks["confidence"].mean()),
        "label_agreement": _label_agreement(tracks),
        "feature_cache": str(cache_root) if cache_root is not None else None,
        "scheduler": scheduler,
        "n_jobs": n_jobs,
        "environment": {"platform": platform.platform(), "cpus": os.cpu_count(), **versions()},
        "timings_s": timings,
    }


def _benchmark(method: str) -> dict[str, Any] | None:
    """The method's figures on the default corpus (``benchmarks/similarity.md``), for summary.json."""
    from .options import BENCHMARK, DEFAULT_METHOD, benchmark_line

    if method not in BENCHMARK:
        return None
    return {**BENCHMARK[method], "figure": benchmark_line(method), "default_method": DEFAULT_METHOD,
            "corpus": "default stand-in corpus (200 clips, 10 styles)", "source": "benchmarks/similarity.md"}


def write_outputs(out: Path, tracks: pd.DataFrame, skipped: pd.DataFrame, model, summary: dict[str, Any],
                  *, k_curve=None, title: str = "", timings: dict[str, float] | None = None,
                  t_start: float | None = None, extra: dict[str, Path] | None = None) -> dict[str, Path]:
    """Write every output file of a run into ``out``; ``summary.json`` last.

    Command: ``musiccluster cluster``. ``model`` gives ``k``, the centres and the map
    (:class:`~musiccluster.organize.model.LibraryModel`); ``summary`` is completed with the
    timings and the file list.
    """
    t = time.perf_counter()
    out = Path(out)
    k = model.k
    width = playlist_width(k)
    files: dict[str, Path] = dict(extra or {})
    files["assignments"] = write_csv(tracks.reindex(columns=ASSIGNMENT_COLUMNS), out / "assignments.csv")
    files["playlists"] = out / "playlists"
    playlists = write_playlists(tracks, out / "playlists", k, width)
    unlisted = unlisted_tracks(tracks)
    summary["counts"]["tracks_not_in_playlists"] = int(len(unlisted))
    if len(unlisted):
        skipped = pd.concat([skipped, unlisted], ignore_index=True)
    files["skipped"] = write_skipped(skipped, out / "skipped.csv")
    files["map"] = write_map(tracks, model.project(model.centers), out / "map.png", k, title, width)
    if k_curve:  # an earlier run's k-selection.png is removed by the manifest (.outdir)
        files["k_curve"] = write_k_curve(k_curve, summary["k"]["chosen"], out / "k-selection.png")
    if timings is not None:
        timings["outputs"] = time.perf_counter() - t
        if t_start is not None:
            timings["total"] = time.perf_counter() - t_start
    summary["timings_s"] = {name: round(v, 3) for name, v in (timings or {}).items()}
    summary["outputs"] = {name: p.relative_to(out).as_posix() for name, p in files.items()}
    summary["outputs"]["playlist_files"] = [p.relative_to(out).as_posix() for p in playlists]
    files["summary"] = out / "summary.json"
    write_user_file(files["summary"], (json.dumps(jsonable(summary), indent=2, ensure_ascii=False)
                                       + "\n").encode("utf-8", "backslashreplace"))
    return files
