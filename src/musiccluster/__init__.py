"""musiccluster: reproduce and examine VAE-based clustering of musical audio.

The pipeline flows one way, one module per stage::

    corpus -> segments -> features -> embed (VAE / PCA) -> cluster -> metrics -> experiment

See the book (``make book``) for the narrated version.
"""

from __future__ import annotations

__version__ = "0.1.0"
