"""Sub-commands of the ``musiccluster`` CLI, one module each (see :mod:`musiccluster.cli`)."""

from __future__ import annotations

import argparse
import sys
import warnings


#: Command-line option (argparse ``dest``) -> :class:`~musiccluster.params.Params` field, for every
#: option that sets a parameter; :func:`params_from_args` is the one builder of ``Params`` from them.
PARAM_OPTIONS: dict[str, str] = {
    "segments": "n_segments", "n_mfcc": "n_mfcc", "min_segment": "min_segment_s",
    "segment_seconds": "segment_seconds",
    "latent_dim": "latent_dim", "hidden_dim": "hidden_dim", "epochs": "epochs", "lr": "lr",
    "batch_size": "batch_size", "beta": "beta", "loss_reduction": "loss_reduction", "k": "k",
    "seed": "seed", "corpus_size": "corpus_clips_per_style", "exclude": "exclude",
}


def params_from_args(args: argparse.Namespace, **fixed):
    """The validated :class:`~musiccluster.params.Params` of the options a command was given.

    Options left at ``None`` (not given, where a command's default is None) take the
    ``Params`` default; ``data_dir`` comes from ``--features``/``--data``/``DATA_DIR``;
    ``fixed`` overrides everything.
    """
    from ..params import Params

    values = {field: getattr(args, dest) for dest, field in PARAM_OPTIONS.items()
              if getattr(args, dest, None) is not None}
    if values.get("segment_seconds") == PAPER_SCHEME:
        values["segment_seconds"] = None
    data = getattr(args, "features", None) or getattr(args, "data", None) or getattr(args, "data_dir", None)
    if data is not None:
        values["data_dir"] = data
    values.update(fixed)
    return Params(**values)


#: What ``--segment-seconds`` takes for the paper protocol (equal division of each track).
PAPER_SCHEME = "paper"


def segment_seconds_arg(text: str) -> float | str:
    """``--segment-seconds``: a number of seconds, or ``paper`` (equal division; stored as ``paper``).

    Command: ``musiccluster features | cluster``. The value is checked by
    :class:`~musiccluster.params.Params` (``segment_seconds``).
    """
    if text.strip().lower() in {PAPER_SCHEME, "none", "equal"}:
        return PAPER_SCHEME
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (e.g. 3) or '{PAPER_SCHEME}', got {text!r}") from None


def segment_seconds_value(value: float | str | None, default: float | None) -> float | None:
    """The ``Params.segment_seconds`` an option value stands for (None: the paper protocol)."""
    if value is None:
        return default
    return None if value == PAPER_SCHEME else float(value)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that read a corpus."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--data", metavar="DIR", help="folder of audio (GTZAN layout or any music folder); "
                       "default: the embedded synthetic stand-in corpus")
    group.add_argument("--features", metavar="CSV", help="Kaggle-style feature table instead of audio")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $MUSICCLUSTER_CACHE or the user cache folder)")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def print_skip_report(skipped, stream=None) -> None:
    """Print the skip report (path: reason), one line per skipped file.

    Command: ``musiccluster features | experiment | evaluate``. A character the stream cannot
    encode (a file name that is not valid UTF-8, under a strict UTF-8 stdout) is printed as a
    backslash escape, never raised.
    """
    if skipped is None or len(skipped) == 0:
        return
    stream = sys.stderr if stream is None else stream
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(f"skipped {len(skipped)} file(s):", file=stream)
    for row in skipped.itertuples(index=False):
        line = f"  {row.path}: {row.reason}"
        print(line.encode(encoding, "backslashreplace").decode(encoding, "replace"), file=stream)


def quiet_skip_warnings() -> None:
    """The CLI prints its own skip report; silence the per-file warnings."""
    warnings.filterwarnings("ignore", message="skipped ")
