"""Organise a music folder into playlists (``musiccluster cluster``)."""
