"""What the book's chapters call: parameters, glue, figures, players, the Sphinx hook and reruns.

* :mod:`.params`: the chapter parameters (one place) and their table;
* :mod:`.glue`: computed values into the prose;
* :mod:`.chapters`: chapter-specific helpers;
* :mod:`.figures`: the figures;
* :mod:`.listen`: audio players;
* :mod:`.sphinx`: the Sphinx extension named in ``_config.yml``;
* :mod:`.rerun`: ``musiccluster report`` / ``make rerun``.

A chapter formats; it does not compute: the numbers come from the library.
"""
