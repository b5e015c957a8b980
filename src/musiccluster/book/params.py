"""Small helpers that keep the book's chapter cells short.

Every chapter starts with the same ``parameters`` cell (papermill overrides
it) and then calls :func:`chapter_params` to validate it; numbers quoted in the
prose go through :func:`glue_number` so that they are computed by the build.
"""

from __future__ import annotations

import ast
from typing import Any, Iterable, Mapping

import pandas as pd

from ..errors import ParameterError
from ..params import Params


def chapter_params(namespace: Mapping[str, Any], extra: Iterable[str] = ()) -> Params:
    """Build and validate :class:`Params` from a chapter's global variables.

    Only the names of :class:`Params` are read; an invalid value raises a
    :class:`~musiccluster.errors.ParameterError` naming the parameter, which
    fails the chapter (and the book build) at its first cell. A name that
    papermill injected (``-p NAME VALUE``) but that is neither a parameter nor
    one of the chapter's own settings in ``extra`` fails the same way: papermill
    itself only logs a typo and would run the defaults.
    """
    import matplotlib.pyplot as plt

    extra = tuple(extra)
    unknown = sorted(set(injected_names(namespace)) - set(Params.names()) - set(extra))
    if unknown:
        known = ", ".join([*Params.names(), *extra])
        raise ParameterError(unknown[0], f"unknown parameter (known: {known})")
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.spines.top": False,
                         "axes.spines.right": False})
    pd.set_option("display.precision", 4)
    return Params.from_dict({name: namespace[name] for name in Params.names() if name in namespace})


#: The first line of the cell papermill injects (tagged ``injected-parameters``).
PAPERMILL_HEADER = "# Parameters"


def injected_names(namespace: Mapping[str, Any]) -> list[str]:
    """Names assigned by papermill's injected-parameters cell, read from the kernel's input history.

    papermill writes that cell as ``# Parameters`` followed by one assignment per
    line; its text is in IPython's ``In`` list. Outside a papermill run: ``[]``.
    """
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    names: list[str] = []
    for source in history:
        if not isinstance(source, str) or source.strip().splitlines()[:1] != [PAPERMILL_HEADER]:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def params_table(params: Params) -> pd.DataFrame:
    """The parameters of this build as a two-column table, marking values that differ from the paper's."""
    default = Params()
    rows = [{"parameter": k, "value": "None (embedded corpus)" if (k == "data_dir" and v is None) else v,
             "paper / default": getattr(default, k), "changed": "" if v == getattr(default, k) else "◀ changed"}
            for k, v in params.to_dict().items()]
    return pd.DataFrame(rows).set_index("parameter")


