"""``musiccluster report --name NAME [NAME=VALUE ...]``: rerun the whole book with other parameters."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="rerun every book chapter with other parameters into runs/NAME/",
                       description="Execute every chapter of the book under papermill with the given "
                       "parameters and build that run's own HTML book under runs/NAME/ (the default "
                       "book is untouched). Example: musiccluster report --name gtzan "
                       "data_dir=/data/gtzan/genres epochs=50")
    p.add_argument("--name", required=True, help="run name (folder under runs/)")
    p.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="parameter overrides")
    p.add_argument("--runs-dir", "--out", dest="runs_dir", metavar="DIR",
                   help="where runs go (default: runs/ in the repository)")
    p.add_argument("--no-html", action="store_true", help="only execute the notebooks")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..params import Params, parse_assignments

    values = parse_assignments(args.assignments)
    Params.from_dict(values)  # validate before starting kernels
    from ..book.rerun import rerun_book

    index = rerun_book(args.name, values, runs_dir=Path(args.runs_dir) if args.runs_dir else None,
                       build=not args.no_html)
    print(f"The run's book: {index.resolve()}")
    return 0
