"""One thread for numerical libraries, cheaply (used by :mod:`features` and :mod:`cluster`).

MFCCs and K-Means are computed on one BLAS/OpenMP thread so that their bits do not depend on the
core count. Creating a :class:`threadpoolctl.ThreadpoolController` inspects every loaded library
(~3 ms); limiting through an existing one costs ~0.02 ms, so each process keeps one.
"""

from __future__ import annotations

from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def threadpools() -> ThreadpoolController:
    """This process's controller; ``threadpools().limit(limits=1)`` is the one-thread context."""
    return ThreadpoolController()
