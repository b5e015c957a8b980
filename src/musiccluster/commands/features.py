"""``musiccluster features DATA_DIR``: write the Kaggle-style feature table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import params_from_args, print_skip_report, quiet_skip_warnings, segment_seconds_arg


def register(sub: argparse._SubParsersAction) -> None:
    from ..params import Params

    d = Params()
    p = sub.add_parser("features", help="extract MFCC statistics per segment into a Kaggle-style CSV",
                       description="Extract 13 MFCC means + variances per segment (librosa defaults, "
                       "22050 Hz) from every audio file under DATA_DIR and write a table in the "
                       "Kaggle GTZAN format (filename, length, mfccN_mean, mfccN_var, label).")
    p.add_argument("data_dir", metavar="DATA_DIR", nargs="?", default=None,
                   help="audio folder (omit for the embedded synthetic corpus)")
    p.add_argument("--segments", type=int, default=d.n_segments, help=f"segments per clip ({d.n_segments})")
    p.add_argument("--segment-seconds", type=segment_seconds_arg, default=None, metavar="S",
                   help="segments of S seconds, evenly spaced over each track, only those decoded "
                        "(default 'paper': equal division of each clip, the paper protocol)")
    p.add_argument("--n-mfcc", type=int, default=d.n_mfcc, help=f"MFCCs ({d.n_mfcc})")
    p.add_argument("--min-segment", type=float, default=d.min_segment_s,
                   help=f"minimum segment length, s ({d.min_segment_s:g})")
    p.add_argument("--exclude", metavar="FILE", default=None,
                   help="text file of clip names to leave out, one per line (e.g. GTZAN's known faults)")
    p.add_argument("--out", required=True, metavar="CSV", help="output table")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder")
    p.add_argument("--jobs", type=int, default=-1,
                   help="parallel workers (default -1: up to all cores, as many as pay for their start-up)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = params_from_args(args)  # validate before the heavy imports
    from ..dataset import load_data
    from ..features.kaggle import write_kaggle_csv

    quiet_skip_warnings()
    if args.data_dir is not None and Path(args.data_dir).is_file():
        raise NotADirectoryError(f"DATA_DIR must be a folder of audio: {args.data_dir}")
    fs = load_data(params, cache_dir=args.cache_dir, n_jobs=args.jobs, progress=not args.quiet,
                   check_k=False)  # features has no k
    out = write_kaggle_csv(fs, args.out)
    print(f"wrote {fs.n_samples} rows ({fs.n_clips} clips x {args.segments} segments, "
          f"{fs.n_features} features) to {out}")
    print_skip_report(fs.skipped, sys.stdout)
    return 0
