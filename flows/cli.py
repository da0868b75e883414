"""`veille`: one command for everything Veille does, with a subcommand per task.

Each subcommand lives in the module that does the work (`add_arguments(parser)` and `run(args)`);
only the one asked for is imported, so `veille --help` and a mistyped subcommand answer at once.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn, Protocol


class Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


@dataclass(frozen=True)
class Subcommand:
    module: str
    summary: str


SUBCOMMANDS: dict[str, Subcommand] = {
    "run": Subcommand("flows.monitor", "run the monitor once: read the sources, alert on new mentions"),
    "operate": Subcommand("flows.operate", "start the Prefect server with its UI and serve the scheduled runs"),
    "replay": Subcommand("flows.replay", "read stored articles again with a new watch list or rules (dry run)"),
    "digest": Subcommand("flows.digest", "send the digest of the last hours now"),
    "release": Subcommand("flows.release", "list the mentions held as doubtful, or send those named"),
    "watch": Subcommand("flows.watch", "the watch list: its entries, a check of a file, what a text matches"),
    "alerts": Subcommand("flows.alerts", "recent alerts, by entry, source or date"),
    "sources": Subcommand("flows.sources_cmd", "the health of every configured source"),
    "outbox": Subcommand("flows.outbox", "deliveries not sent: list them, retarget or drop a target's"),
    "map": Subcommand("flows.map", "write an HTML map of the watched places mentioned lately"),
    "db": Subcommand("flows.db", "the database: `veille db upgrade` brings its schema up to date"),
    "env": Subcommand("flows.env", "what to export for Prefect's own command line to see Veille's runs"),
}

EXIT_CODES = """exit status:
  0  done (a monitor run skipped because another is processing included)
  1  the run failed (its message says why; nothing is lost: the next run takes it up)
  2  bad configuration or usage (one line per problem, naming file, line and key)

`veille COMMAND --help` describes each command."""


def top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="veille",
        description="Veille: new mentions of watched places and weapons in the news, as alerts.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"veille {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, sub in SUBCOMMANDS.items():
        commands.add_parser(name, help=sub.summary, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "--version"):
        top_parser().parse_args(args or ["--help"])
        return 0
    name = args[0]
    if name not in SUBCOMMANDS:
        close = difflib.get_close_matches(name, SUBCOMMANDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; the commands are {', '.join(SUBCOMMANDS)}"
        print(f"veille: {name!r} is not a command{hint} (veille --help)", file=sys.stderr)
        return 2
    sub = SUBCOMMANDS[name]
    command: Command = importlib.import_module(sub.module)
    from flows.common import warn_unknown_variables

    warn_unknown_variables()
    parser = argparse.ArgumentParser(
        prog=f"veille {name}",
        description=sub.summary[0].upper() + sub.summary[1:] + ".",
        epilog=EXIT_CODES.partition("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_arguments(parser)
    try:
        return command.run(parser.parse_args(args[1:]))
    except KeyboardInterrupt:
        print("veille: interrupted", file=sys.stderr)
        return 130


def console_main() -> NoReturn:
    """The `veille` command: main(), then an exit that skips the last garbage collection."""
    exit_at_once(main())


def exit_at_once(code: int) -> NoReturn:
    """Exit with `code`, the interpreter skipping its last garbage collection.

    After a run the heap holds the model, Prefect and SQLAlchemy: collecting it while the interpreter
    shuts down took 1.2 s of a 23 s run (issue #14), only to free memory the kernel takes back at once.
    gc.freeze() puts every object out of the collector's reach; the atexit handlers (Prefect sends its
    last logs and events) and the flushing of stdout and stderr still run.
    """
    gc.freeze()
    sys.exit(code)


def _version() -> str:
    from veille import __version__

    return __version__


if __name__ == "__main__":
    exit_at_once(main())
