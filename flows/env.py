"""`veille env`: what to export so that Prefect's own command line sees Veille's runs and deployments.

eval "$(veille env)"; prefect deployment run monitor/monitor
"""

from __future__ import annotations

import argparse
import os
import sys

from flows.prefect_home import export_lines
from veille.errors import VeilleError
from veille.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print the shell lines that point Prefect's command line at the server that records Veille's runs: "
        "that of `veille operate` when it is up, else the Prefect home in the data folder. "
        'Use: eval "$(veille env)"'
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 2
    print("\n".join(export_lines(settings.data_dir, os.environ)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.env")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
