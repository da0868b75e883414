"""`veille sources`: every configured source (config/sources.yaml) with what the store knows of its health.

    veille sources              name, last read, state (ok / failing / silent / never read), entries, last error
    veille sources --failing    only those failing
    veille sources --json       for scripts

Exit codes: 0 done, 1 the database failed, 2 a bad configuration. Read only; errors are shown masked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence

from veille.errors import VeilleError
from veille.redact import mask_urls
from veille.settings import load_settings
from veille.source_listing import source_records, source_table, source_views
from veille.sources import load_sources


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--failing", action="store_true", help="only the sources whose last read failed")
    parser.add_argument("--json", action="store_true", help="a JSON list, for scripts")


def run(args: argparse.Namespace) -> int:
    from flows.common import opened_store  # imports Prefect: only once the configuration is good

    try:
        settings = load_settings()
        sources = load_sources(settings.sources_file)
    except VeilleError as exc:
        print(f"veille sources: {mask_urls(str(exc))}", file=sys.stderr)
        return 2
    names = [f.source_name for f in sources.folders] + [f.source_name for f in sources.feeds]
    try:
        with opened_store(settings) as store:
            views = source_views(
                names, store.source_health(names), store.source_states(names), store.source_health_facts(names)
            )
    except VeilleError as exc:
        print(f"veille sources: {mask_urls(str(exc))}", file=sys.stderr)
        return 1
    if args.failing:
        views = [v for v in views if v.state == "failing"]
    if args.json:
        print(json.dumps(source_records(views), indent=2))
    elif not views:
        print("No source is failing." if args.failing else f"No source is configured in {settings.sources_file}.")
    else:
        print("\n".join(source_table(views, shutil.get_terminal_size().columns)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.sources_cmd", description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
