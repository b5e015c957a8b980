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


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (MusicClusterError, FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        print(f"musiccluster {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `musiccluster experiment | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"musiccluster {args.command}: interrupted (finished work is cached)", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
