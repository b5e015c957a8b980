"""One thread for numerical libraries, cheaply (used by :mod:`features` and :mod:`cluster`).

MFCCs and K-Means are computed on one BLAS/OpenMP thread so that their bits do not depend on the
core count. Creating a :class:`threadpoolctl.ThreadpoolController` inspects every loaded library
(~3 ms); limiting through an existing one costs ~0.02 ms, so each process keeps one. A controller
only knows the libraries loaded when it was made (scikit-learn's OpenMP runtime, for one, arrives
with its first import), so it is made again whenever modules have been imported since.
"""

from __future__ import annotations

import sys

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_modules_seen = -1


def threadpools() -> ThreadpoolController:
    """This process's controller; ``threadpools().limit(limits=1)`` is the one-thread context."""
    global _controller, _modules_seen
    if _controller is None or len(sys.modules) != _modules_seen:
        _controller = ThreadpoolController()
        _modules_seen = len(sys.modules)
    return _controller
