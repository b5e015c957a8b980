"""Sub-commands of the ``musiccluster`` CLI, one module each (see :mod:`musiccluster.cli`)."""

from __future__ import annotations

import argparse
import sys
import warnings


def add_data_options(parser: argparse.ArgumentParser, positional: bool = False) -> None:
    """Options shared by commands that read a corpus."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--data", metavar="DIR", help="folder of audio (GTZAN layout or any music folder); "
                       "default: the embedded synthetic stand-in corpus")
    group.add_argument("--features", metavar="CSV", help="Kaggle-style feature table instead of audio")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $MUSICCLUSTER_CACHE or the user cache folder)")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def print_skip_report(skipped, stream=sys.stderr) -> None:
    """Print the skip report (path: reason), one line per skipped file."""
    if skipped is None or len(skipped) == 0:
        return
    print(f"skipped {len(skipped)} file(s):", file=stream)
    for row in skipped.itertuples(index=False):
        print(f"  {row.path}: {row.reason}", file=stream)


def quiet_skip_warnings() -> None:
    """The CLI prints its own skip report; silence the per-file warnings."""
    warnings.filterwarnings("ignore", message="skipped ")
