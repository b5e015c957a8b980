"""Small helpers that keep the book's chapter cells short.

Every chapter starts with the same ``parameters`` cell (papermill overrides
it) and then calls :func:`chapter_params` to validate it; numbers quoted in the
prose go through :func:`glue_number` so that they are computed by the build.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .params import Params


def chapter_params(namespace: Mapping[str, Any]) -> Params:
    """Build and validate :class:`Params` from a chapter's global variables.

    Only the names of :class:`Params` are read; an invalid value raises a
    :class:`~musiccluster.errors.ParameterError` naming the parameter, which
    fails the chapter (and the book build) at its first cell.
    """
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.spines.top": False,
                         "axes.spines.right": False})
    pd.set_option("display.precision", 4)
    return Params.from_dict({name: namespace[name] for name in Params.names() if name in namespace})


def params_table(params: Params) -> pd.DataFrame:
    """The parameters of this build as a two-column table, marking values that differ from the paper's."""
    default = Params()
    rows = [{"parameter": k, "value": "None (embedded corpus)" if (k == "data_dir" and v is None) else v,
             "paper / default": getattr(default, k), "changed": "" if v == getattr(default, k) else "◀ changed"}
            for k, v in params.to_dict().items()]
    return pd.DataFrame(rows).set_index("parameter")


def glue_number(name: str, value: float, fmt: str = "{:.3f}", display: bool = False) -> str:
    """Glue a formatted number for ``{glue:text}`` in the prose; returns the text."""
    from myst_nb import glue

    text = fmt.format(value) if isinstance(value, (int, float, np.floating, np.integer)) else str(value)
    glue(name, text, display=display)
    return text


def glue_text(name: str, text: str) -> str:
    """Glue a computed sentence fragment (e.g. a verdict) for the prose."""
    from myst_nb import glue

    glue(name, text, display=False)
    return text
