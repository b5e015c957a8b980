"""The ``musiccluster`` command line (also ``python -m musiccluster``).

Each sub-command lives in its own module under :mod:`musiccluster.commands`
and exposes ``register(subparsers)``; its handler returns an exit code.
Errors meant for users (:class:`~musiccluster.errors.MusicClusterError`,
missing files) are printed as one line, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import MusicClusterError

#: Sub-command modules, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("features", "experiment", "evaluate", "cluster", "report")


class _VersionAction(argparse.Action):
    """``--version``: musiccluster's version and those of what decides the results.

    Unlike argparse's ``action="version"``, whose string is built with the parser, the versions are
    read (from package metadata, importing nothing heavy) only when ``--version`` is given.
    """

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print the versions of musiccluster, torch, librosa, symusic, numpy and python"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from .versions import version_line

        print(version_line())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="musiccluster",
        description="Reproduce and examine VAE-based clustering of musical audio (GTZAN protocol).",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"musiccluster.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"musiccluster.commands.{name}":
                continue  # command not part of this build
            raise
        module.register(sub)
    return parser


def check_common_options(args: argparse.Namespace) -> None:
    """One-line errors for options many commands share, before any work (``--jobs``, ``--cache-dir``).

    Raises
    ------
    UsageError
        ``--jobs 0`` (joblib has no zero workers), a ``--cache-dir`` that exists and is not a folder,
        or an output file (``--json``; ``features --out``) that is an existing folder.
    """
    import os

    jobs = getattr(args, "jobs", None)
    if isinstance(jobs, int) and jobs == 0:
        raise UsageError("--jobs must be a number of workers (1, 2, ...) or negative (-1: all cores), not 0")
    outputs = [("--json", getattr(args, "json", None))]
    if args.command == "features":
        outputs.append(("--out", getattr(args, "out", None)))
    for option, path in outputs:
        if path is not None and os.path.isdir(os.path.expanduser(path)):
            raise UsageError(f"{option} must name a file, and {path} is a folder")
    cache = getattr(args, "cache_dir", None)
    if cache is not None and os.path.exists(os.path.expanduser(cache)) and not os.path.isdir(os.path.expanduser(cache)):
        raise UsageError(f"--cache-dir must be a folder, and {cache} is a file")


class UsageError(MusicClusterError):
    """A command-line option that cannot work (printed as one line)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _one_line_warnings(args.command)
    try:
        check_common_options(args)
        return int(args.handler(args) or 0)
    except (MusicClusterError, OSError) as exc:  # OSError: a path the user gave that cannot be used
        print(f"musiccluster {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `musiccluster experiment | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"musiccluster {args.command}: interrupted (finished work is cached)", file=sys.stderr)
        return 130


def _one_line_warnings(command: str) -> None:
    """Print warnings as ``musiccluster CMD: warning: ...`` on one line (no file name, no source line)."""
    import warnings

    def fmt(message, category, filename, lineno, line=None):
        return f"musiccluster {command}: warning: {' '.join(str(message).split())}\n"

    warnings.formatwarning = fmt


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
