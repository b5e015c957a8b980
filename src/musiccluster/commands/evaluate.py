"""``musiccluster evaluate``: the evaluation of chapter *Evaluation*, written as JSON.

Per method (VAE, PCA, plain autoencoder, K-Means and GMM on the features):
own-space and common-space silhouette and Calinski-Harabasz, external metrics
against the labels, null-calibration scores (an i.i.d. Gaussian null, and a clip
null that keeps a clip's near-duplicate segments), clip-level internal and
external metrics, active units, all over several
seeds with clip-bootstrap intervals; plus the VAE's loss_reduction x beta sweep
and the k sweep. See :mod:`musiccluster.evaluation`.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import add_data_options, params_from_args, print_skip_report, quiet_skip_warnings
from .experiment import add_model_options


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def _words(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def register(sub: argparse._SubParsersAction) -> None:
    from ..evaluation.config import METHODS, EvalConfig
    from ..params import LOSS_REDUCTIONS

    d = EvalConfig()
    p = sub.add_parser(
        "evaluate", help="evaluate the VAE-vs-PCA claim fairly (common space, null, labels, seeds) as JSON",
        description="Everything the paper's Table 1 leaves out: silhouette and Calinski-Harabasz in one common "
        "space, the same pipeline on structureless Gaussian data, agreement with the labels, the VAE's "
        "active units and a loss_reduction x beta sweep, a k sweep, segment coherence, stronger simple "
        "baselines, over several seeds with intervals from a bootstrap over clips.")
    add_data_options(p)
    add_model_options(p)
    p.add_argument("--seeds", type=int, default=d.n_seeds, help=f"seeds per method ({d.n_seeds})")
    p.add_argument("--boot", type=int, default=d.n_boot, help=f"bootstrap replicates ({d.n_boot})")
    p.add_argument("--betas", type=_floats, default=d.sweep_betas, metavar="B1,B2,...",
                   help="betas of the VAE sweep (" + ",".join(f"{b:g}" for b in d.sweep_betas) + ")")
    p.add_argument("--reductions", type=_words, default=d.sweep_reductions, metavar="R1,R2,...",
                   help="loss reductions of the VAE sweep (" + ",".join(LOSS_REDUCTIONS) + ")")
    p.add_argument("--sweep-seeds", type=int, help="seeds per sweep setting (default: --seeds)")
    p.add_argument("--k-max", type=int, default=max(d.k_sweep), help=f"k sweep from 2 to this ({max(d.k_sweep)})")
    p.add_argument("--k-sweep-seeds", type=int, help="seeds of the k sweep (default: --seeds)")
    p.add_argument("--methods", type=_words, default=d.methods, metavar="M1,M2,...",
                   help="methods to compare (" + ",".join(METHODS) + "; vae and pca always)")
    p.add_argument("--no-sweep", action="store_true", help="skip the loss_reduction x beta sweep")
    p.add_argument("--no-k-sweep", action="store_true", help="skip the k sweep")
    p.add_argument("--no-null", action="store_true", help="skip the null calibration (both nulls)")
    p.add_argument("--no-clip-null", action="store_true",
                   help="skip the clip null (the null that keeps the clips' segments; the i.i.d. null still runs)")
    p.add_argument("--no-similarity", action="store_true",
                   help="skip the similarity benchmark (P@1/5/10 of the label among a clip's nearest clips, "
                        "musly and our timbre model beside the paper's representations; chapter Similarity)")
    p.add_argument("--json", metavar="FILE", help="write all results here")
    p.add_argument("--no-cache", action="store_true", help="recompute even if a cached result exists")
    p.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace):
    """The :class:`~musiccluster.evaluation.EvalConfig` the options describe (validated)."""
    from ..errors import ParameterError
    from ..evaluation.config import EvalConfig

    if args.k_max < 2:
        raise ParameterError("k-max", f"must be >= 2, got {args.k_max}")
    return EvalConfig(
        n_seeds=args.seeds, n_boot=args.boot,
        k_sweep=() if args.no_k_sweep else tuple(range(2, args.k_max + 1)),
        k_sweep_seeds=args.k_sweep_seeds, sweep_seeds=args.sweep_seeds,
        sweep_betas=() if args.no_sweep else args.betas,
        sweep_reductions=() if args.no_sweep else args.reductions,
        methods=args.methods, null=not args.no_null, clip_null=not args.no_clip_null)


def _ci(s) -> str:
    return f"{s.mean:+.3f} [{s.lo:+.3f}, {s.hi:+.3f}]"


_CLEAR = {"higher": "VAE higher", "lower": "VAE lower", "same": "no clear difference"}
_CORPUS = {"stand-in": "the embedded synthetic stand-in, not GTZAN: it judges the method, not the paper",
           "gtzan": "GTZAN's ten genres: it judges the paper's claim on its own data",
           "other": "not GTZAN: it judges the method on this corpus, not the paper"}


def print_findings(f, confidence: float) -> None:
    """A short summary of the :class:`~musiccluster.evaluation.findings.Findings`."""
    print(f"VAE minus PCA at k = {f.k} (mean [{confidence:.0%} interval]):")
    rows = [("silhouette, own space", f.own_space), ("silhouette, common space", f.common_space)]
    rows += [("ARI with the labels", f.labels)] if f.labels is not None else []
    for label, c in rows:
        print(f"  {label:<26}{_ci(c.difference):<28}{_CLEAR[c.direction]}")
    print(f"  (the paper's Table 1: {f.paper_gap:+.4f} in own spaces)")
    print(f"outcome of the fair comparison: {f.outcome.replace('_', ' ')}")
    if f.null is not None:
        print(f"structureless null, own-space silhouette: VAE {f.null.vae.mean:.3f}, PCA {f.null.pca.mean:.3f}")
    pm = f.paper
    print(f"Table 1 (VAE {pm.paper_vae:.4f}, PCA {pm.paper_pca:.4f}): "
          + ("reproduced" if pm.reproduced else f"not reproduced ({'PCA' if pm.reason == 'pca' else 'the VAE'} "
             f"outside the tolerance {pm.tolerance:g})"))
    print(f"  closest sweep setting: loss_reduction={pm.closest_loss_reduction}, beta={pm.closest_beta:g}: "
          f"VAE {pm.closest_vae.mean:.3f}; PCA {pm.pca_silhouette:.3f}")
    rows = ("one row per clip" if f.corpus.clip_level
            else f"{f.corpus.mean_rows_per_clip:.3g} segments per clip")
    print(f"corpus ({rows}; the paper: {f.corpus.paper_rows_per_clip}): {_CORPUS[f.corpus.kind]}")


def run(args: argparse.Namespace) -> int:
    params = params_from_args(args)  # validate before the heavy work
    config = config_from_args(args)
    import pandas as pd

    from ..dataset import load_data
    from ..evaluation.run import evaluate

    quiet_skip_warnings()
    t0 = time.perf_counter()
    data = load_data(params, cache_dir=args.cache_dir, n_jobs=args.jobs, progress=not args.quiet)
    result = evaluate(params, config, data=data, cache=not args.no_cache, cache_dir=args.cache_dir,
                      n_jobs=args.jobs, progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    print(f"corpus: {data.source}")
    print(f"seeds: {len(result.seeds)}, bootstrap replicates: {config.n_boot}, k = "
          + ", ".join(str(k) for k in result.ks))
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for k in result.ks:
            print(f"\nk = {k}: mean over seeds [{config.confidence:.0%} clip-bootstrap interval]")
            print(result.headline(k).to_string())
    print()
    print_findings(result.findings(), config.confidence)
    similarity = None if args.no_similarity else _similarity(params, data, args)
    print_skip_report(data.skipped, sys.stdout)
    if result.from_cache:
        print(f"runtime: {elapsed:.1f} s (cached result; computing it took {result.seconds['total']:.1f} s)")
    else:
        print(f"runtime: {elapsed:.1f} s (fits {result.seconds['fit']:.1f} s, bootstrap "
              f"{result.seconds['bootstrap']:.1f} s)")
    if args.json:
        result.seconds["command"] = elapsed
        text = result.to_json()
        if similarity is not None:
            import json

            record = json.loads(text)
            from ..organize.outputs import jsonable

            record["similarity"] = jsonable(similarity.to_dict())
            text = json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n"
        from pathlib import Path

        from ..userfiles import write_user_file

        write_user_file(Path(args.json), text.encode())
        print(f"wrote {args.json}")
    return 0


def _similarity(params, data, args):
    """The similarity benchmark on the corpus (printed); None where it does not apply (no labels)."""
    import pandas as pd

    from ..evaluation.similarity_bench import benchmark_for_params

    try:
        bench = benchmark_for_params(params, data=data, n_jobs=args.jobs, cache_dir=args.cache_dir,
                                     cache=not args.no_cache)
    except ValueError as exc:
        print(f"\nsimilarity benchmark: skipped ({exc})")
        return None
    head = bench.headline()
    print("\nsimilarity: P@k of the label among a clip's k nearest clips (clip as the unit) "
          f"[{0.95:.0%} clip-bootstrap interval], chance {head['chance']}; ARI/NMI at k = {head['n_clusters']}")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(bench.table(cost=False).to_string())
    print(f"our timbre model (cluster's default) vs musly, P@5: {head['difference']}: {head['verdict']}")
    return bench
