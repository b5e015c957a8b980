"""Organise a music folder into playlists (command: ``musiccluster cluster``).

One concept per module, in the order a run goes through them:

* :mod:`.options`: the methods and the default k range (light: the command's parser reads it);
* :mod:`.scan`: never write inside the music folder; the one walk of it;
* :mod:`.features`: the cached extractor, locally or on a Dask cluster;
* :mod:`.model`: the fitted scaler and embedding, centres and map, saved in ``OUT_DIR/model``;
* :mod:`.choose_k`: k by the silhouette of the track clusters;
* :mod:`.assign`: segments to tracks, the assignment rule, the map projection;
* :mod:`.playlists`, :mod:`.figures`, :mod:`.outputs`: the files written;
* :mod:`.run`: :func:`organize_library`, :func:`assign_library`, :func:`cluster_features`.

The names below are re-exported lazily: importing this package imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import Any

from .options import DEFAULT_K_RANGE, METHODS

_EXPORTS = {
    "organize_library": "run", "assign_library": "run", "cluster_features": "run", "LibraryResult": "run",
    "scan_folder": "scan", "check_output_location": "scan",
    "extract_library_features": "features", "parallel_backend": "features",
    "LibraryModel": "model", "fit_embedding": "model",
    "assign_tracks": "assign", "track_codes": "assign", "track_means": "assign",
    "read_playlist": "playlists", "resolve_playlist": "playlists", "write_playlists": "playlists",
}

__all__ = ["DEFAULT_K_RANGE", "METHODS", "LibraryModel", "LibraryResult", "assign_library",
           "assign_tracks", "check_output_location", "cluster_features",
           "extract_library_features", "fit_embedding", "organize_library", "parallel_backend",
           "read_playlist", "resolve_playlist", "scan_folder", "track_codes", "track_means",
           "write_playlists"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
