"""The ``studio`` command line. Each verb lives in ``studio/commands/<verb>.py`` and defines
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; verbs are discovered, so adding a
file adds a verb."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import studio.commands as _commands
from studio.errors import USER_ERRORS, one_line


def build_parser() -> argparse.ArgumentParser:
    from studio import __version__

    parser = argparse.ArgumentParser(
        prog="studio",
        description="Emotion Studio: emotion-conditioned music and art. `studio VERB --help` for each verb.",
    )
    parser.add_argument("--version", action="version", version=f"emotion-studio {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"studio.commands.{info.name}")
        name = getattr(mod, "NAME", info.name)
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except USER_ERRORS as e:
        print(f"studio {args.verb}: error: {one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (`| head`): quiet, as other tools are
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141


if __name__ == "__main__":
    sys.exit(main())
