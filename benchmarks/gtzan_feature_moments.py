"""Record the per-feature means and SDs of the real GTZAN clips (Kaggle 30-s table) for the book.

The Data chapter puts the synthetic stand-in's features beside these. Only summary statistics are
committed (26 means and 26 SDs), never the table itself. ``tests/test_corpus_figures.py`` recomputes
them (slow, skipped without ``../shared/``) so that the record cannot go stale silently.

    .venv/bin/python benchmarks/gtzan_feature_moments.py ../shared/data/gtzan-kaggle/features_30_sec.csv
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
from pathlib import Path

from musiccluster.features.kaggle import read_kaggle_csv
from musiccluster.features.summary import feature_moments

OUT = Path(__file__).with_name("gtzan-30s-feature-moments.json")


def compute(csv: Path) -> dict:
    """The record for one Kaggle-style table: source, clip count and per-feature mean/SD (ddof=0)."""
    fs = read_kaggle_csv(csv)
    moments = feature_moments(fs.X, fs.feature_names)
    return {
        "source": csv.name,
        "sha256": hashlib.sha256(csv.read_bytes()).hexdigest(),
        "n_rows": int(fs.n_samples),
        "n_clips": int(fs.n_clips),
        "features": {name: {"mean": float(r["mean"]), "sd": float(r["sd"])} for name, r in moments.iterrows()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    record = compute(args.csv)
    record["command"] = f"python benchmarks/gtzan_feature_moments.py {args.csv.name}"
    record["date"] = datetime.date.today().isoformat()
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
