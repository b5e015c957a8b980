"""``musiccluster experiment``: one run of the paper's protocol, Table 1 as JSON."""

from __future__ import annotations

import argparse
import sys

from . import add_data_options, params_from_args, print_skip_report, quiet_skip_warnings


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Options mirroring :class:`musiccluster.params.Params` (defaults: the paper's)."""
    from ..params import LOSS_REDUCTIONS, Params

    d = Params()
    p.add_argument("--segments", type=int, default=d.n_segments, help=f"segments per clip ({d.n_segments})")
    p.add_argument("--n-mfcc", type=int, default=d.n_mfcc, help=f"MFCCs ({d.n_mfcc})")
    p.add_argument("--latent-dim", type=int, default=d.latent_dim, help=f"latent size ({d.latent_dim})")
    p.add_argument("--hidden-dim", type=int, default=d.hidden_dim, help=f"hidden size ({d.hidden_dim})")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"training epochs ({d.epochs})")
    p.add_argument("--lr", type=float, default=d.lr, help=f"Adam learning rate ({d.lr:g})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"batch size ({d.batch_size})")
    p.add_argument("--beta", type=float, default=d.beta, help=f"KL weight ({d.beta:g})")
    p.add_argument("--loss-reduction", choices=LOSS_REDUCTIONS, default=d.loss_reduction,
                   help=f"how MSE and KL are reduced ({d.loss_reduction})")
    p.add_argument("--k", type=int, default=d.k, help=f"K-Means clusters ({d.k})")
    p.add_argument("--seed", type=int, default=d.seed, help=f"random seed ({d.seed})")
    p.add_argument("--corpus-size", type=int, default=d.corpus_clips_per_style,
                   help=f"default corpus: clips per style ({d.corpus_clips_per_style})")
    p.add_argument("--exclude", metavar="FILE", default=None,
                   help="text file of clip names to leave out, one per line (e.g. GTZAN's known faults)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment", help="run the paper's protocol once and write Table 1 as JSON",
                       description="Features -> z-score -> VAE and PCA -> K-Means -> silhouette and "
                       "Calinski-Harabasz (the paper's Table 1).")
    add_data_options(p)
    add_model_options(p)
    p.add_argument("--json", metavar="FILE", help="write the Table-1 record here")
    p.add_argument("--no-cache", action="store_true", help="recompute even if a cached result exists")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = params_from_args(args)  # validate before the heavy imports
    from ..experiment import run_experiment

    quiet_skip_warnings()
    result = run_experiment(params, cache=not args.no_cache, cache_dir=args.cache_dir,
                            n_jobs=args.jobs, progress=not args.quiet)
    print(f"corpus: {result.data.source}")
    print(result.comparison().round(4).to_string())
    print_skip_report(result.data.skipped, sys.stdout)
    if args.json:
        result.to_json(args.json)
        print(f"wrote {args.json}")
    return 0
