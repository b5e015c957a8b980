"""Exceptions with messages meant for people, not tracebacks."""

from __future__ import annotations


class MusicClusterError(Exception):
    """Base class: the CLI prints these as one-line errors.

    Command: every command (printed as one line).
    """


class ParameterError(MusicClusterError, ValueError):
    """An invalid parameter value; the message names the parameter.

    Command: every command (printed as one line).
    """

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"parameter '{name}': {message}")


class DataError(MusicClusterError):
    """The data cannot be used (missing folder, no usable clips, bad table).

    Command: every command (printed as one line).
    """


class TrainingError(MusicClusterError, FloatingPointError):
    """Training diverged (e.g. a NaN loss).

    Command: every command (printed as one line).
    """
