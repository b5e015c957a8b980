"""Listening to the data and the clusters (chapters *Data and augmentation* and *Listening*).

A segment is *typical* of its cluster when it lies close to the cluster's
K-Means centre in the space that was clustered. Players are embedded in the
HTML pages as compressed audio (MP3 where libsndfile can write it, about
5 KB per second, otherwise 16-bit WAV, about 60 KB per second), so keep
excerpts a few seconds long.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from .._constants import SR


def typical_segments(embedding: np.ndarray, labels: np.ndarray, centers: np.ndarray, meta: pd.DataFrame,
                     n: int = 3, distinct_clips: bool = True) -> pd.DataFrame:
    """The ``n`` segments nearest each cluster centre.

    Parameters
    ----------
    embedding, labels, centers
        The clustered space, the assignments and the K-Means centres.
    meta : DataFrame
        Row metadata (``FeatureSet.meta``).
    n : int
        Segments per cluster.
    distinct_clips : bool
        At most one segment per clip (otherwise one song's near-duplicate segments fill the list).

    Returns
    -------
    DataFrame
        ``cluster``, ``rank``, ``distance`` and the metadata columns, ordered by cluster then rank.
    """
    dist = np.linalg.norm(embedding - centers[labels], axis=1)
    df = meta.reset_index(drop=True).assign(cluster=labels, distance=dist)
    out = []
    for c in sorted(np.unique(labels)):
        members = df[df["cluster"] == c].sort_values("distance", kind="stable")
        if distinct_clips:
            members = members.drop_duplicates("clip_id")
        out.append(members.head(n).assign(rank=np.arange(1, min(n, len(members)) + 1)))
    cols = ["cluster", "rank", "distance"] + [c for c in meta.columns]
    return pd.concat(out, ignore_index=True)[cols]


def has_audio(meta: pd.DataFrame) -> bool:
    """Whether every row points at an audio file (``False`` for a feature table)."""
    paths = meta["path"].fillna("").astype(str)
    return bool(len(paths)) and bool((paths != "").all())


def segment_audio(row: pd.Series | dict, seconds: float = 3.0, sr: int = SR) -> np.ndarray:
    """Up to ``seconds`` of a segment's audio, read from its source file, starting at ``start_s``."""
    import soundfile as sf

    from ..features.segments import load_audio

    start = float(row["start_s"])
    try:  # read only the part we need when the file allows seeking
        info = sf.info(row["path"])
        if info.samplerate == sr:
            y, _ = sf.read(row["path"], start=int(start * sr), frames=int(seconds * sr), dtype="float32",
                           always_2d=True)
            return y.mean(axis=1)
    except Exception:
        pass
    y = load_audio(row["path"], sr)
    return y[int(start * sr): int((start + seconds) * sr)]


def encode_audio(y: np.ndarray, sr: int = SR) -> tuple[bytes, str]:
    """Compress mono audio for embedding in a page: ``(bytes, mime type)``.

    MP3 when the installed libsndfile can write it (1.1 or later), else 16-bit WAV.
    """
    import soundfile as sf

    y = np.clip(np.nan_to_num(np.asarray(y, dtype=np.float32)), -1.0, 1.0)
    try:
        buf = io.BytesIO()
        sf.write(buf, y, sr, format="MP3")
        return buf.getvalue(), "audio/mpeg"
    except Exception:
        buf = io.BytesIO()
        sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
        return buf.getvalue(), "audio/wav"


def audio_html(y: np.ndarray, sr: int = SR, caption: str = "") -> str:
    """An HTML ``<audio>`` player with the audio inlined as a data URI, and an optional caption."""
    data, mime = encode_audio(y, sr)
    src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    cap = f'<div style="font-size:0.85em">{html.escape(caption)}</div>' if caption else ""
    return (f'<div style="margin:0.2em 0 0.6em 0">{cap}<audio controls preload="metadata" '
            f'style="height:2.2em;max-width:100%" src="{src}"></audio></div>')


def player(y: np.ndarray, sr: int = SR, caption: str = ""):
    """:func:`audio_html` as a displayable IPython object (for a notebook cell)."""
    from IPython.display import HTML

    return HTML(audio_html(y, sr, caption))


def label_summary(labels: np.ndarray | None, members: np.ndarray, top: int = 3) -> str:
    """``"reggae 55 %, jazz 25 %, blues 11 %"``: the commonest labels among ``members`` (a boolean mask)."""
    if labels is None:
        return "(no labels)"
    shares = pd.Series(np.asarray(labels)[members]).value_counts(normalize=True).head(top)
    return ", ".join(f"{name} {share:.0%}" for name, share in shares.items())


def cluster_gallery(embedding: np.ndarray, clusters: np.ndarray, centers: np.ndarray, meta: pd.DataFrame,
                    labels: np.ndarray | None = None, n: int = 3, seconds: float = 3.0) -> str:
    """An HTML table: per cluster its size, its label mix and players of its most typical segments.

    Used by chapter *Listening*. Without audio (a feature table) the segments are listed by name.
    """
    typical = typical_segments(embedding, clusters, centers, meta, n=n)
    audio = has_audio(meta)
    rows = []
    for c, group in typical.groupby("cluster"):
        members = np.asarray(clusters) == c
        cells = []
        for _, seg in group.iterrows():
            cap = f"{seg['filename']} (label {seg['label']}), {seg['distance']:.2f} from the centre"
            cells.append(audio_html(segment_audio(seg, seconds=seconds), caption=cap) if audio
                         else f"<div>{html.escape(cap)}</div>")
        rows.append(f"<tr><td><b>{c}</b></td><td>{int(members.sum())}</td>"
                    f"<td>{html.escape(label_summary(labels, members))}</td><td>{''.join(cells)}</td></tr>")
    head = ("<tr><th>cluster</th><th>segments</th><th>commonest labels</th>"
            "<th>most typical segments (nearest the centre, one per clip)</th></tr>")
    return (f'<table class="table" style="width:100%"><thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def excerpt_starts(clips: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """The first clip of every label and the start of a ``seconds``-long excerpt from its middle.

    Chapter: Data and augmentation. Columns of the clip table plus ``start_s`` (0 for a clip shorter
    than ``seconds``); labels in the order they first appear.
    """
    first = clips.drop_duplicates("label").copy()
    first["start_s"] = (first["duration_s"].astype(float) / 2 - seconds / 2).clip(lower=0.0)
    return first.reset_index(drop=True)


def excerpt_gallery(clips: pd.DataFrame, seconds: float = 4.0) -> str:
    """HTML players, one excerpt of ``seconds`` s per label (from the middle of its first clip).

    Chapter: Data and augmentation (one excerpt per style of the stand-in).
    """
    cells = []
    for _, clip in excerpt_starts(clips, seconds).iterrows():
        y = segment_audio({"path": clip["path"], "start_s": clip["start_s"]}, seconds=seconds)
        cap = f"{clip['label']}: {clip['clip_id']}, from {clip['start_s']:.1f} s"
        cells.append(f'<div style="flex:1 1 18em">{audio_html(y, caption=cap)}</div>')
    return f'<div style="display:flex;flex-wrap:wrap;gap:0 1.5em">{"".join(cells)}</div>'
