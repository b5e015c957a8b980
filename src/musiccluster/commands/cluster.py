"""``musiccluster cluster``: organise a music folder into playlists (issue #5).

Two forms::

    musiccluster cluster MUSIC_DIR --out OUT_DIR [--k K] [--method timbre|musly|vae|pca|raw]
    musiccluster cluster --assign NEW_DIR --model OUT_DIR/model --out OUT2
    (also: musiccluster cluster NEW_DIR --assign --model OUT_DIR/model --out OUT2)

See :mod:`musiccluster.organize.run` for what happens and :mod:`musiccluster.organize.outputs`
for the files written.
"""

from __future__ import annotations

import argparse
import sys

from ..organize.options import (BENCHMARK, CLUSTER_SEGMENT_SECONDS, DEFAULT_K_RANGE, DEFAULT_METHOD, METHODS,
                                benchmark_line)
from . import params_from_args, segment_seconds_arg, segment_seconds_value

DESCRIPTION = """\
Organise a music folder into playlists of similar-sounding tracks.

MUSIC_DIR is searched recursively for wav, flac, ogg, mp3, au, aiff and m4a/opus
(where a decoder can read them); other files are ignored.

By default (--method timbre) each track's middle 30 s is modelled by one Gaussian over
its 13 MFCC frames (mean and full covariance; cached, in parallel), tracks are compared
by the Jensen-Shannon divergence with mutual proximity, and the distances are
clustered spectrally; confidence is the share of a track's 10 nearest tracks in its
cluster. It measures best in benchmarks/similarity.md: {timbre}
on the default corpus (musly: {musly}; the paper's VAE: {vae}).
--method musly uses musly's own timbre model the same way.

With --method vae|pca|raw 10 segments of 3 s are taken from each track, evenly spaced
from its start to its end (only those are decoded: tracks of any length give features
on GTZAN's 3-s time scale; --segments, --segment-seconds; 'paper' divides each track
into equal parts instead), 13 MFCC means + variances
are computed per segment, the z-scored features are embedded (the paper's VAE, PCA
or none), the segments are clustered with K-Means, and each track goes to the cluster
most of its segments fall in (ties: the nearest centre on average); its confidence is
the share of its segments in that cluster. Only these models can --assign new tracks.

Without --k, k is chosen over --k-range by the highest silhouette of the track
clusters (curve in summary.json and k-selection.png).

Writes into OUT_DIR (never inside MUSIC_DIR; refused):
  assignments.csv          path, cluster, confidence, distance, rank, duration_s, label ...
  playlists/cluster-NN.m3u8 extended M3U in UTF-8, relative paths, most typical
                           track first (cluster 01 = the largest)
  map.png                  2-d map of the tracks coloured by cluster
  skipped.csv              every file not used, and why
  summary.json             parameters, counts, k choice and curve, cluster sizes, timings
  model/                   scaler, VAE weights / PCA, K-Means centres (for --assign;
                           timbre/musly: only a note that --assign refuses)
  .musiccluster.json       the files this tool wrote: the only ones it ever replaces
                           or deletes (an OUT_DIR of other files is refused without --force)

Resumable: every finished track's features are cached (default: $MUSICCLUSTER_CACHE
or the user cache folder, shared with other runs; --cache-dir to move it), so a rerun
after an interruption, or with another --k/--method/--out, recomputes nothing that
was finished. With --scheduler, feature extraction runs on a Dask cluster (workers
must see MUSIC_DIR and the cache folder at the same paths)."""

EPILOG = """\
examples:
  musiccluster cluster ~/Music --out ~/music-clusters
  musiccluster cluster ~/Music --k 8 --method vae --out ~/music-clusters-vae
  musiccluster cluster --assign ~/Downloads/new --model ~/music-clusters/model --out ~/new-clusters
  musiccluster cluster /nfs/music --out /nfs/clusters --scheduler tcp://10.0.0.5:8786"""

#: Training options that the saved model fixes in --assign mode (dest -> flag).
TRAINING_OPTIONS = {
    "k": "--k", "k_range": "--k-range", "method": "--method", "segments": "--segments",
    "n_mfcc": "--n-mfcc", "min_segment": "--min-segment", "latent_dim": "--latent-dim",
    "hidden_dim": "--hidden-dim", "epochs": "--epochs", "lr": "--lr", "batch_size": "--batch-size",
    "beta": "--beta", "loss_reduction": "--loss-reduction", "seed": "--seed",
}


def register(sub: argparse._SubParsersAction) -> None:
    from ..params import LOSS_REDUCTIONS, Params

    d = Params()
    p = sub.add_parser("cluster", help="organise a music folder into playlists (or --assign new tracks)",
                       description=DESCRIPTION.format(**{m: benchmark_line(m) for m in BENCHMARK}), epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("music_dir", metavar="MUSIC_DIR", nargs="?", default=None,
                   help="folder of music, searched recursively")
    p.add_argument("--out", required=True, metavar="OUT_DIR",
                   help="output folder (created; must not be inside MUSIC_DIR)")
    p.add_argument("--force", action="store_true",
                   help="write into an existing OUT_DIR that holds files musiccluster did not write "
                        "(same-named files are replaced; nothing else is deleted)")
    g = p.add_argument_group("clustering")
    g.add_argument("--k", type=int, default=None,
                   help="number of clusters/playlists (default: chosen by silhouette over --k-range)")
    g.add_argument("--k-range", default=None, metavar="MIN:MAX",
                   help=f"range of k tried when --k is not given (default "
                        f"{DEFAULT_K_RANGE[0]}:{DEFAULT_K_RANGE[1]})")
    g.add_argument("--method", choices=METHODS, default=None,
                   help=f"what tracks are compared by: {DEFAULT_METHOD} (default; {benchmark_line(DEFAULT_METHOD)} "
                        "on the default corpus), musly, or segment embeddings clustered by K-Means: the "
                        "paper's VAE, PCA, or the raw z-scored features")
    g.add_argument("--seed", type=int, default=None, help=f"random seed ({d.seed})")
    a = p.add_argument_group("assigning new tracks to existing clusters")
    a.add_argument("--assign", nargs="?", const=True, default=None, metavar="NEW_DIR",
                   help="put the tracks of NEW_DIR (or MUSIC_DIR) into the clusters of --model, "
                        "without retraining")
    a.add_argument("--model", metavar="MODEL_DIR", help="OUT_DIR/model of an earlier run (with --assign)")
    f = p.add_argument_group("features and VAE (defaults: the paper's)")
    f.add_argument("--segments", type=int, default=None, help=f"segments per track ({d.n_segments})")
    f.add_argument("--segment-seconds", type=segment_seconds_arg, default=None, metavar="S",
                   help=f"segments of S seconds, evenly spaced over each track, only those decoded "
                        f"(default {CLUSTER_SEGMENT_SECONDS:g}; 'paper': equal division of each track). "
                        f"With --assign it must match the model's scheme")
    f.add_argument("--n-mfcc", type=int, default=None, help=f"MFCCs ({d.n_mfcc})")
    f.add_argument("--min-segment", type=float, default=None,
                   help=f"shortest segment, s; shorter tracks are skipped ({d.min_segment_s:g})")
    f.add_argument("--latent-dim", type=int, default=None, help=f"embedding size ({d.latent_dim})")
    f.add_argument("--hidden-dim", type=int, default=None, help=f"VAE hidden size ({d.hidden_dim})")
    f.add_argument("--epochs", type=int, default=None, help=f"VAE epochs ({d.epochs})")
    f.add_argument("--lr", type=float, default=None, help=f"Adam learning rate ({d.lr:g})")
    f.add_argument("--batch-size", type=int, default=None,
                   help=f"VAE mini-batch size (default: {d.batch_size} up to 64 000 segments, then grown "
                        f"to keep ~1 000 steps per epoch)")
    f.add_argument("--beta", type=float, default=None, help=f"KL weight ({d.beta:g})")
    f.add_argument("--loss-reduction", choices=LOSS_REDUCTIONS, default=None,
                   help=f"VAE loss reduction ({d.loss_reduction})")
    r = p.add_argument_group("running")
    r.add_argument("--cache-dir", metavar="DIR",
                   help="feature cache (default: $MUSICCLUSTER_CACHE or the user cache folder); "
                        "must not be inside MUSIC_DIR")
    r.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    r.add_argument("--jobs", type=int, default=-1,
                   help="local worker processes (default -1: up to all cores, as many as pay for their "
                        "start-up on this much work; 1: this process only)")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler (tcp://host:8786): extract features on that cluster")
    r.add_argument("--quiet", action="store_true", help="no progress bars or step messages")
    p.set_defaults(handler=run)


def _k_range(text: str | None) -> tuple[int, int]:
    from ..errors import ParameterError

    if text is None:
        return DEFAULT_K_RANGE
    for sep in (":", "-", ","):
        if sep in text:
            lo, hi = text.split(sep, 1)
            break
    else:
        raise ParameterError("k-range", f"expected MIN:MAX, got {text!r}")
    try:
        return int(lo), int(hi)
    except ValueError:
        raise ParameterError("k-range", f"expected two integers MIN:MAX, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from ..errors import ParameterError

    if args.assign is not None:
        folder = args.assign if isinstance(args.assign, str) else args.music_dir
        if isinstance(args.assign, str) and args.music_dir is not None:
            raise ParameterError("assign", f"give one folder: --assign {args.assign} or "
                                 f"{args.music_dir} --assign, not both")
        if folder is None:
            raise ParameterError("assign", "needs a folder: --assign NEW_DIR --model OUT_DIR/model --out OUT2")
        if not args.model:
            raise ParameterError("model", "--assign needs --model OUT_DIR/model (from an earlier run)")
        fixed = [flag for dest, flag in TRAINING_OPTIONS.items() if getattr(args, dest) is not None]
        if fixed:
            raise ParameterError(fixed[0].lstrip("-"), "is fixed by the saved model; leave it out with --assign")
        from ..organize.run import assign_library

        seconds = (... if args.segment_seconds is None
                   else segment_seconds_value(args.segment_seconds, None))
        result = assign_library(folder, args.model, args.out, cache=not args.no_cache,
                                segment_seconds=seconds,
                                cache_dir=args.cache_dir, n_jobs=args.jobs, scheduler=args.scheduler,
                                progress=not args.quiet, force=args.force)
    else:
        if args.music_dir is None:
            raise ParameterError("MUSIC_DIR", "missing: musiccluster cluster MUSIC_DIR --out OUT_DIR "
                                 "(or --assign NEW_DIR --model OUT_DIR/model --out OUT2)")
        if args.model:
            raise ParameterError("model", "only with --assign (training writes OUT_DIR/model)")
        k_range = _k_range(args.k_range)
        from ..params import Params

        # validated early; --k is the command's own (k=None: chosen), not the experiment's Params.k
        params = params_from_args(args, k=Params().k, segment_seconds=segment_seconds_value(
            args.segment_seconds, CLUSTER_SEGMENT_SECONDS))
        if args.k is not None and args.k < 2:
            raise ParameterError("k", f"must be >= 2, got {args.k}")
        from ..organize.run import organize_library

        result = organize_library(args.music_dir, args.out, k=args.k, k_range=k_range,
                                  method=args.method or DEFAULT_METHOD, params=params, cache=not args.no_cache,
                                  cache_dir=args.cache_dir, n_jobs=args.jobs, scheduler=args.scheduler,
                                  progress=not args.quiet, auto_batch=args.batch_size is None,
                                  force=args.force)
    _report(result, sys.stdout)
    return 0


def _report(result, stream) -> None:
    s = result.summary
    counts, k = s["counts"], s["k"]
    how = (f"k = {k['chosen']} chosen by silhouette over {k['range'][0]}..{k['range'][1]}"
           if k.get("curve") else k.get("note") or f"k = {k['chosen']}")
    verb = "assigned to" if s["mode"] == "assign" else "organised into"
    print(f"{counts['tracks_used']} track(s) {verb} {counts['nonempty_clusters']} playlist(s) "
          f"({s['method']}; {how}); mean confidence {s['mean_confidence']:.2f}", file=stream)
    for c in s["clusters"]:
        if c["tracks"]:
            print(f"  {c['playlist']}: {c['tracks']} track(s), {c['duration_h']:.1f} h, "
                  f"confidence {c['mean_confidence']:.2f}", file=stream)
    if counts["audio_files_skipped"] or counts["other_items_ignored"]:
        print(f"skipped {counts['audio_files_skipped']} audio file(s), ignored "
              f"{counts['other_items_ignored']} other item(s): {result.out_dir / 'skipped.csv'}", file=stream)
    print(f"wrote {result.out_dir}/ (assignments.csv, playlists/, map.png, map.html, summary.json"
          + (", model/" if s["mode"] == "train" else "") + f") in {s['timings_s'].get('total', 0):.1f} s",
          file=stream)
