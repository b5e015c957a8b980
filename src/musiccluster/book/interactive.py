"""The interactive latent map of chapters *Results* and *Listening*: one point per clip, a click
plays a few seconds of it.

The component itself (Bokeh, inline JavaScript) is :mod:`musiccluster.organize.interactive_map`,
shared with ``musiccluster cluster``'s ``map.html``; this module turns an experiment into its points
and its excerpts. Excerpts are Ogg Opus at about 20 kbit/s (a 3-s excerpt is about 8 KB), written as
files beside the page in a book build (loaded only when clicked), else inlined as data URIs.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..cache import atomic_write_bytes
from ..evaluation.clips import majority_vote
from ..groups import group_means
from .figures import project_2d

#: Opus in Ogg works at 48 kHz only; the excerpt is resampled to it.
OPUS_SR = 48_000


def encode_opus(y: np.ndarray, sr: int, quality: float = 0.95) -> bytes:
    """Mono audio as Ogg Opus bytes (``quality``: libsndfile's compression level, 0 best .. 1 smallest).

    Chapters *Results*, *Listening* (the map's excerpts).
    """
    import soundfile as sf
    from scipy.signal import resample_poly

    y = np.clip(np.nan_to_num(np.asarray(y, dtype=np.float64)), -1.0, 1.0)
    g = np.gcd(int(sr), OPUS_SR)
    y48 = resample_poly(y, OPUS_SR // g, int(sr) // g) if sr != OPUS_SR else y
    buf = io.BytesIO()
    sf.write(buf, np.clip(y48, -1.0, 1.0).astype(np.float32), OPUS_SR, format="OGG", subtype="OPUS",
             compression_level=float(quality))
    return buf.getvalue()


def clip_points(result, embedding: str = "vae") -> pd.DataFrame:
    """One row per clip: ``clip_id``, ``label``, ``cluster`` (majority of its segments' K-Means
    clusters, ties: the smaller), ``confidence`` (share of its segments in that cluster), ``x``, ``y``
    (the clip's mean embedding on the embedding's first two principal axes) and the ``path`` and
    ``start_s`` of the clip's first segment in its cluster (where its excerpt starts).

    Chapters *Results*, *Listening*.
    """
    res = getattr(result, embedding)
    meta = result.data.meta.reset_index(drop=True)
    meta = meta.assign(**{c: meta[c] if c in meta else v for c, v in (("path", ""), ("start_s", 0.0), ("label", ""))})
    meta["path"] = meta["path"].fillna("").astype(str)
    clips, vote, share = majority_vote(meta["clip_id"].to_numpy(), np.asarray(res.labels))
    codes = pd.Index(clips).get_indexer(meta["clip_id"])
    xy = project_2d(group_means(np.asarray(res.embedding, dtype=np.float64), codes, len(clips)))
    first = meta.assign(cluster=np.asarray(res.labels), code=codes)
    first = first[first["cluster"].to_numpy() == vote[codes]].drop_duplicates("code").set_index("code").sort_index()
    labels = meta["label"].fillna("").groupby(codes, sort=True).first()
    return pd.DataFrame({"clip_id": clips, "label": labels.astype(str).to_numpy(), "cluster": vote.astype(int),
                         "confidence": np.round(share, 3), "x": xy[:, 0], "y": xy[:, 1],
                         "path": first["path"].to_numpy(), "start_s": first["start_s"].to_numpy(dtype=float)})


def with_excerpts(points: pd.DataFrame, seconds: float = 3.0, folder: Path | None = None,
                  url_prefix: str = "") -> pd.DataFrame:
    """``points`` with an ``audio`` column: each clip's excerpt as a file in ``folder`` (linked as
    ``url_prefix + name``) or, without a folder, as a data URI. No audio (a feature table): empty.

    Chapters *Results*, *Listening*.
    """
    from .._constants import SR
    from .listen import segment_audio

    urls = []
    for i, row in points.reset_index(drop=True).iterrows():
        if not isinstance(row.get("path"), str) or not row["path"]:
            urls.append("")
            continue
        data = encode_opus(segment_audio({"path": row["path"], "start_s": row["start_s"]}, seconds=seconds), SR)
        if folder is None:
            urls.append("data:audio/ogg;base64," + base64.b64encode(data).decode("ascii"))
        else:
            name = f"clip-{i:05d}.opus.ogg"
            atomic_write_bytes(Path(folder) / name, data, mode=0o644)
            urls.append(url_prefix + name)
    return points.assign(audio=urls)


def latent_map(result, page: str, seconds: float = 3.0, element_id: str | None = None) -> str:
    """The HTML of the interactive map of ``result``'s VAE clips for chapter ``page``.

    Colour by cluster or by label (a toggle, where the corpus has labels); hover: clip, label,
    cluster, confidence; a click plays ``seconds`` of the clip. In a book build the excerpts are
    files in the page's downloads folder (:func:`musiccluster.book.downloads.downloads_folder`).

    Chapters *Results*, *Listening*.
    """
    from ..organize.interactive_map import map_fragment
    from .downloads import downloads_folder

    folder = downloads_folder()
    points = clip_points(result)
    sub = "excerpts"  # the same clips and excerpts on every page: one folder
    points = with_excerpts(points, seconds, None if folder is None else folder / sub,
                           url_prefix=f"_static/downloads/{sub}/")
    colour_by = ["cluster"] + (["label"] if points["label"].str.len().gt(0).any() else [])
    hover = [("clip", "clip_id"), ("label", "label"), ("cluster", "cluster"), ("confidence", "confidence")]
    return map_fragment(points, colour_by=colour_by, hover=hover, element_id=element_id or f"mc-map-{page}",
                        title="VAE latent map, one point per clip")
