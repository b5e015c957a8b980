"""The recorded run of the evaluation on real GTZAN features (chapters *Introduction*, *Results*,
*Evaluation*).

``benchmarks/eval-gtzan-30s.json`` is what ``musiccluster evaluate`` wrote on the Kaggle 30-s table
(1000 clips, one row per clip); ``benchmarks/eval-gtzan-30s.provenance.json`` says how it was made
(command, library fingerprint, versions, date). :func:`load_recorded` reads the record into an
:class:`~musiccluster.evaluation.result.EvaluationResult` (typed views and findings, no bootstrap
distributions); :func:`comparable` strips what legitimately differs between two runs (timings, the
library fingerprint, the table's path), so ``tests/test_recorded_run.py`` can compare every number.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..params import Params
from .config import EvalConfig
from .result import EvaluationResult

#: The committed record and its provenance (in a clone; an installed wheel has no benchmarks/).
RECORDED_GTZAN = Path(__file__).resolve().parents[3] / "benchmarks" / "eval-gtzan-30s.json"
#: Label of the recorded run wherever it is shown.
RECORDED_LABEL = "recorded run on real GTZAN features (clip level)"
#: Keys of the record that differ between two runs of the same computation.
_VOLATILE = ("runtime_s", "library_fingerprint", "environment")


@dataclass(frozen=True)
class Provenance:
    """How a recorded run was made.

    Chapter: Results
    """

    command: str
    library_fingerprint: str
    versions: dict[str, str]
    date: str


def provenance_path(path: str | os.PathLike[str]) -> Path:
    """The provenance sidecar of a record (``x.json`` -> ``x.provenance.json``)."""
    path = Path(path)
    return path.with_name(path.stem + ".provenance.json")


def load_provenance(path: str | os.PathLike[str] = RECORDED_GTZAN) -> Provenance | None:
    """The provenance of a record, or None when its sidecar is absent.

    Chapter: Results
    """
    side = provenance_path(path)
    if not side.is_file():
        return None
    d = json.loads(side.read_text(encoding="utf-8"))
    return Provenance(d["command"], d["library_fingerprint"], dict(d["versions"]), d["date"])


def result_of_record(record: dict[str, Any]) -> EvaluationResult:
    """An :class:`EvaluationResult` view of a JSON record (its table path is not needed to read it).

    Chapter: Results
    """
    p = dict(record["params"])
    p["data_dir"] = None  # a view: the numbers come from the record, never from the data
    p["exclude"] = None
    cfg = {k: (tuple(v) if isinstance(v, list) else v) for k, v in record["config"].items()}
    return EvaluationResult(Params(**p), EvalConfig(**cfg), record)


def load_recorded(path: str | os.PathLike[str] = RECORDED_GTZAN) -> EvaluationResult | None:
    """The recorded real-GTZAN evaluation, or None when the record is not there (an installed wheel).

    Chapter: Results (also Introduction and Evaluation)
    """
    path = Path(path)
    if not path.is_file():
        return None
    return result_of_record(json.loads(path.read_text(encoding="utf-8")))


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what differs between two runs of one computation: timings, the library
    fingerprint and versions (provenance), and the path of the feature table (in ``params``, ``data.source`` and the sentences).

    Chapter: Results
    """
    rec = json.loads(json.dumps(record))
    path = rec["params"].get("data_dir")
    for key in _VOLATILE:
        rec.pop(key, None)
    rec["params"]["data_dir"] = None
    if path:
        rec = json.loads(json.dumps(rec).replace(json.dumps(str(path))[1:-1], "<table>"))
    return rec


def write_provenance(path: str | os.PathLike[str], command: str, date: str | None = None) -> Path:
    """Write the provenance sidecar of a record just made (its fingerprint, this environment's versions).

    Chapter: Results
    """
    import datetime

    from ..cache import atomic_write_bytes
    from ..versions import versions

    path = Path(path)
    record = json.loads(path.read_text(encoding="utf-8"))
    side = provenance_path(path)
    body = {"command": command, "library_fingerprint": record["library_fingerprint"], "versions": versions(),
            "date": date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    atomic_write_bytes(side, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode())
    return side
