"""One thread for every numerical library: the same bits whatever the core count.

MFCCs, K-Means and the networks are computed on one thread so that floating-point sums happen in
one order (scikit-learn's K-Means adds per-thread partial sums in the order threads finish; a
multi-threaded BLAS splits dot products by the core count). Parallelism comes from processing
clips or seeds side by side in worker processes instead. :func:`single_threaded` is the one guard
for all of them; :func:`threadpools` is the cheap per-process controller it uses.

Creating a :class:`threadpoolctl.ThreadpoolController` inspects every loaded library (~3 ms);
limiting through an existing one costs ~0.02 ms, so each process keeps one. A controller only knows
the libraries loaded when it was made (scikit-learn's OpenMP runtime, for one, arrives with its
first import), so it is made again whenever modules have been imported since.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_modules_seen = -1


def threadpools() -> ThreadpoolController:
    """This process's controller (made again when modules were imported since).

    Chapter: Experiments (reproducibility); every command.
    """
    global _controller, _modules_seen
    if _controller is None or len(sys.modules) != _modules_seen:
        _controller = ThreadpoolController()
        _modules_seen = len(sys.modules)
    return _controller


@contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS, OpenMP and (when torch is loaded) torch's intra-op pool on one thread; restored after.

    torch is limited only where it is already imported, so a caller that never trains does not
    pay for importing it.

    Chapter: Experiments (reproducibility); every command.
    """
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    with threadpools().limit(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(torch_threads)
