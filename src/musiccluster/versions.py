"""Versions of what decides the results, read from package metadata.

Nothing here imports the packages themselves (``importlib.metadata`` reads their ``dist-info``), so
``musiccluster --version`` stays as light as ``--help``. Later code reuses :func:`versions` for the
``environment`` blocks of the JSON it writes.
"""

from __future__ import annotations

import platform
from importlib import metadata

from . import __version__

#: Distributions whose versions decide the numbers or the embedded corpus (distribution names).
DISTRIBUTIONS: tuple[str, ...] = (
    "torch", "numpy", "scipy", "scikit-learn", "librosa", "soundfile", "symusic", "pretty_midi",
)
#: What ``musiccluster --version`` shows, in this order, after musiccluster's own version.
VERSION_LINE: tuple[str, ...] = ("torch", "librosa", "symusic", "numpy", "python")
#: The value for a distribution that is not installed.
ABSENT = "absent"


def version_of(distribution: str) -> str:
    """The installed version of one distribution, or ``'absent'``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ABSENT


def versions(distributions: tuple[str, ...] = DISTRIBUTIONS) -> dict[str, str]:
    """``{'musiccluster': ..., 'python': ..., name: version, ...}`` (``'absent'`` where not installed)."""
    out = {"musiccluster": __version__, "python": platform.python_version()}
    out.update({name: version_of(name) for name in distributions})
    return out


def version_line() -> str:
    """``musiccluster 0.1.0 (torch 2.13.0+cpu, librosa 0.11.0, symusic 0.5.9, numpy 2.4.6, python 3.11.7)``."""
    found = versions(tuple(n for n in VERSION_LINE if n != "python"))
    return f"musiccluster {__version__} (" + ", ".join(f"{n} {found[n]}" for n in VERSION_LINE) + ")"
