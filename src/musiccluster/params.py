"""The parameters of one experiment, validated in one place.

Every entry point (library, ``musiccluster`` CLI, book chapters run by
papermill) builds a :class:`Params`, so an invalid value fails fast with a
message naming the parameter, wherever it came from. Defaults are the paper's
where the paper states them; the others are documented choices.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ._constants import N_FFT, SR
from .errors import ParameterError

#: Exclude lists shipped with the library, by name (:func:`musiccluster.data.exclude.read_exclude_list`).
NAMED_EXCLUDE_LISTS: tuple[str, ...] = ("kereliuk-excluded",)

#: Loss reduction conventions for the VAE (see :mod:`musiccluster.model`).
LOSS_REDUCTIONS: tuple[str, ...] = ("sum", "mean", "mse_mean_kl_sum")


@dataclass(frozen=True)
class FeatureParams:
    """What decides a clip's features: segments per clip, MFCCs, shortest segment, sample rate, scheme.

    One object passed through the feature stage (:func:`musiccluster.features.extract_features`
    and the per-clip cache key) instead of four positional numbers; ``Params.features`` gives it
    for an experiment. Chapter: MFCC features.
    """

    n_segments: int = 10
    n_mfcc: int = 13
    min_segment_s: float = 1.0
    sr: int = SR
    #: None: the paper protocol (equal division of each clip); a number: ``n_segments`` segments of
    #: that many seconds, evenly spaced over the track (:func:`musiccluster.features.segments.fixed_bounds`).
    segment_seconds: float | None = None


@dataclass(frozen=True)
class Params:
    """Parameters of one experiment (the paper's protocol by default).

    Attributes
    ----------
    data_dir : str or None
        A folder of audio (GTZAN layout or any music folder), a Kaggle-style
        feature CSV, or ``None`` for the embedded synthetic stand-in corpus.
    n_segments : int
        Non-overlapping segments per clip (paper: 10).
    n_mfcc : int
        MFCCs per frame (paper: 13), giving ``2 * n_mfcc`` features.
    latent_dim, hidden_dim : int
        VAE sizes (paper: 4 and 64). PCA uses ``latent_dim`` components.
    epochs, lr, batch_size : int, float, int
        Adam training (paper: 20 epochs, lr 1e-3; batch size unstated, 64 here).
    k : int
        K-Means clusters (paper: 5).
    seed : int
        Seeds network initialisation, batching, sampling and K-Means.
    beta : float
        Weight of the KL term (paper: 1).
    loss_reduction : {'sum', 'mean', 'mse_mean_kl_sum'}
        How MSE and KL are reduced (the paper does not say); see
        :func:`musiccluster.model.vae_loss`.
    min_segment_s : float
        Segments shorter than this are not made; shorter clips are skipped.
    segment_seconds : float or None
        ``None`` (the paper protocol): each clip is divided into ``n_segments`` equal segments.
        A number: ``n_segments`` segments of that many seconds, evenly spaced over each track (a
        track shorter than ``n_segments * segment_seconds`` gets overlapping segments, one
        shorter than a segment is skipped), so that tracks of any length give features on one
        time scale; only those spans are decoded. ``musiccluster cluster`` uses 3 s by default.
    corpus_clips_per_style, corpus_duration : int, float
        Size of the embedded default corpus (used only when ``data_dir`` is None).
    exclude : str or None
        A text file naming clips to leave out, one per line (``jazz.00054`` or
        ``jazz.00054.wav``; ``#`` starts a comment), e.g. a list of GTZAN's known
        faults (Sturm 2013): exact repetitions, mislabelings, distortions. The
        excluded clips are listed in the skip report. ``None`` keeps every clip. A name of
        :data:`NAMED_EXCLUDE_LISTS` uses a shipped list: ``kereliuk-excluded`` leaves out the 70
        clips outside Kereliuk et al. 2015's fault-filtered split (930 clips kept).
    """

    data_dir: str | None = None
    n_segments: int = 10
    n_mfcc: int = 13
    latent_dim: int = 4
    hidden_dim: int = 64
    epochs: int = 20
    lr: float = 1e-3
    batch_size: int = 64
    k: int = 5
    seed: int = 0
    beta: float = 1.0
    loss_reduction: str = "sum"
    min_segment_s: float = 1.0
    segment_seconds: float | None = None
    corpus_clips_per_style: int = 20
    corpus_duration: float = 30.0
    exclude: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first invalid parameter."""
        ints = {
            "n_segments": 1, "n_mfcc": 1, "latent_dim": 1, "hidden_dim": 1,
            "epochs": 1, "batch_size": 1, "k": 2, "corpus_clips_per_style": 1,
        }
        for name, low in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(name, f"must be an integer, got {value!r}")
            if value < low:
                raise ParameterError(name, f"must be >= {low}, got {value}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ParameterError("seed", f"must be a non-negative integer, got {self.seed!r}")
        if self.n_mfcc > 128:
            raise ParameterError("n_mfcc", f"must be <= 128 (the number of mel bands), got {self.n_mfcc}")
        for name, strictly in (("lr", True), ("beta", False), ("min_segment_s", False),
                               ("corpus_duration", True)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(name, f"must be a finite number, got {value!r}")
            if value < 0 or (strictly and value == 0):
                raise ParameterError(name, f"must be {'> 0' if strictly else '>= 0'}, got {value}")
        if self.min_segment_s * SR < N_FFT:
            raise ParameterError("min_segment_s", f"must be at least one FFT frame ({N_FFT} samples at {SR} Hz "
                                 f"= {N_FFT / SR:.3f} s), got {self.min_segment_s:g}")
        self._validate_segment_seconds()
        if self.loss_reduction not in LOSS_REDUCTIONS:
            raise ParameterError(
                "loss_reduction", f"must be one of {', '.join(LOSS_REDUCTIONS)}; got {self.loss_reduction!r}"
            )
        if (self.data_dir is None and self.segment_seconds is None
                and self.corpus_duration / self.n_segments < self.min_segment_s):
            raise ParameterError(
                "corpus_duration", f"{self.corpus_duration:g} s clips cannot make {self.n_segments} segments "
                f"of at least min_segment_s={self.min_segment_s:g} s")
        if self.data_dir is None and self.k > 10 * self.corpus_clips_per_style * self.n_segments:
            raise ParameterError(
                "k", f"is {self.k} but the default corpus makes only "
                f"{10 * self.corpus_clips_per_style * self.n_segments} segments "
                f"(10 styles x {self.corpus_clips_per_style} clips x {self.n_segments} segments)")
        if self.data_dir is not None:
            if not isinstance(self.data_dir, (str, os.PathLike)):
                raise ParameterError("data_dir", f"must be a path or None, got {self.data_dir!r}")
            if not Path(self.data_dir).expanduser().exists():
                raise ParameterError("data_dir", f"no such file or folder: {self.data_dir}")
            if Path(self.data_dir).expanduser().is_file() and Path(self.data_dir).suffix.lower() != ".csv":
                raise ParameterError("data_dir", f"a file must be a Kaggle-style .csv feature table: {self.data_dir}")
        if self.exclude is not None:
            if not isinstance(self.exclude, (str, os.PathLike)):
                raise ParameterError("exclude", f"must be a path to a text file or None, got {self.exclude!r}")
            if str(self.exclude) not in NAMED_EXCLUDE_LISTS and not Path(self.exclude).expanduser().is_file():
                raise ParameterError("exclude", f"no such file: {self.exclude}")

    def _validate_segment_seconds(self) -> None:
        value = self.segment_seconds
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParameterError("segment_seconds", f"must be a finite number of seconds or None, got {value!r}")
        if value * SR < N_FFT or value < self.min_segment_s:
            raise ParameterError("segment_seconds", f"must be at least one FFT frame ({N_FFT / SR:.3f} s) and "
                                 f"at least min_segment_s={self.min_segment_s:g}, got {value:g}")
        if self.data_dir is None and value > self.corpus_duration:
            raise ParameterError("segment_seconds", f"is {value:g} s but the default corpus's clips are "
                                 f"{self.corpus_duration:g} s long")

    @property
    def features(self) -> FeatureParams:
        """The feature parameters of this experiment."""
        seconds = None if self.segment_seconds is None else float(self.segment_seconds)
        return FeatureParams(self.n_segments, self.n_mfcc, self.min_segment_s, segment_seconds=seconds)

    # ------------------------------------------------------------- conversion
    @classmethod
    def names(cls) -> list[str]:
        """All parameter names, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None = None, **overrides: Any) -> "Params":
        """Build from a mapping, rejecting unknown names and coercing numeric strings.

        Unknown names raise :class:`ParameterError` (a typo in a rerun must not
        silently run the defaults).
        """
        merged = dict(values or {})
        merged.update(overrides)
        known = set(cls.names())
        unknown = sorted(set(merged) - known)
        if unknown:
            raise ParameterError(
                unknown[0], f"unknown parameter (known: {', '.join(cls.names())})"
            )
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        coerced = {name: _coerce(name, value, str(types[name])) for name, value in merged.items()}
        return cls(**coerced)

    @classmethod
    def coerce(cls, params: "Params | Mapping[str, Any] | None" = None, **overrides: Any) -> "Params":
        """``Params`` from a ``Params``, a mapping or None (the defaults), with ``overrides`` on top."""
        if params is None:
            return cls.from_dict(overrides)
        if isinstance(params, Params):
            return params.replace(**overrides) if overrides else params
        return cls.from_dict(params, **overrides)

    def replace(self, **changes: Any) -> "Params":
        """A copy with some values changed (validated, unknown names rejected)."""
        return Params.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)


def _coerce(name: str, value: Any, type_name: str) -> Any:
    """Turn command-line strings like '20' or 'None' into the declared type."""
    if not isinstance(value, str):
        if "float" in type_name and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value
    text = value.strip()
    if "None" in type_name and text.lower() in {"none", "null", ""}:
        return None
    type_name = type_name.replace(" | None", "")
    try:
        if type_name == "int":
            return int(text)
        if type_name == "float":
            return float(text)
    except ValueError:
        raise ParameterError(name, f"expected a {type_name}, got {value!r}") from None
    return text


def parse_assignments(items: list[str] | str) -> dict[str, str]:
    """Parse ``["epochs=50", "data_dir=/x"]`` (or one space-separated string).

    Used by ``make rerun PARAMS=...`` and ``musiccluster report --param``.
    """
    if isinstance(items, str):
        items = items.split()
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(item, "expected NAME=VALUE")
        name, value = item.split("=", 1)
        name = name.strip()
        if name not in Params.names():
            raise ParameterError(name, f"unknown parameter (known: {', '.join(Params.names())})")
        out[name] = value
    return out
