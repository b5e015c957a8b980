"""What native decoders print while a file is decoded, kept off the user's terminal.

Chapter *Data and augmentation*. libsndfile decodes MP3 with libmpg123, which writes notes such as
``Note: Illegal Audio-MPEG-Header ... Trying to resync...`` straight to file descriptor 2, past
Python's ``sys.stderr``: they would cut through the progress bar and ignore ``--quiet``.
:func:`decoder_messages` sends that descriptor to a temporary file while one file is decoded; what
was printed is kept on the result (tests read it) and not shown: the file's skip reason says what a
user needs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Iterator

#: At most this much of what a decoder printed is read back.
_MAX_BYTES = 16384


@dataclass
class DecoderMessages:
    """What was printed on descriptor 2 inside :func:`decoder_messages` (filled in on exit)."""

    text: str = ""


@contextlib.contextmanager
def decoder_messages() -> Iterator[DecoderMessages]:
    """Collect what native code writes to descriptor 2 inside the block (chapter *Data and augmentation*).

    Python's own ``sys.stderr`` is flushed before and after, so nothing written before the block is
    caught. Where the descriptor cannot be duplicated the block runs unchanged.
    """
    said = DecoderMessages()
    try:
        saved = os.dup(2)
    except OSError:
        yield said
        return
    try:
        with tempfile.TemporaryFile() as tmp:
            _flush()
            os.dup2(tmp.fileno(), 2)
            try:
                yield said
            finally:
                _flush()
                os.dup2(saved, 2)
                tmp.seek(0)
                said.text = tmp.read(_MAX_BYTES).decode("utf-8", errors="replace")
    finally:
        os.close(saved)


def _flush() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()
