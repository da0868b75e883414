"""`veille alerts`: the latest alerts, newest first, with their entries, article and delivery.

    veille alerts                              the last 20
    veille alerts --entry hama --since 2026-11-01 --until 2026-11-22
    veille alerts --source feed:sana --limit 100 --json

`--entry` takes an entry's id or name (config/watchlist.yaml), `--source` a source's name as the
database knows it (feed:NAME, folder:LABEL) or a feed's name. `--since` and `--until` take ISO dates
or date and times (UTC unless they say); a date alone for `--until` takes that day in.
Exit codes: 0 done, 1 the database failed, 2 a bad argument or configuration. Read only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence

from veille.alert_listing import alert_records, alert_table
from veille.errors import ConfigError, VeilleError
from veille.listing import did_you_mean, parse_moment
from veille.redact import mask_urls
from veille.settings import load_settings
from veille.sources import SourcesConfig, load_sources
from veille.summary import plural
from veille.watchlist import WatchList, load_watchlist

DEFAULT_LIMIT = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entry", metavar="ID_OR_NAME", help="only the alerts carrying this watched entry")
    parser.add_argument("--source", metavar="NAME", help="only the alerts on this source's articles")
    parser.add_argument("--since", metavar="DATE", help="only alerts created at or after DATE (ISO, UTC)")
    parser.add_argument("--until", metavar="DATE", help="only alerts created before DATE (a date: that day in)")
    parser.add_argument("--limit", type=_positive, default=DEFAULT_LIMIT, help="at most this many (default 20)")
    parser.add_argument("--json", action="store_true", help="a JSON list, for scripts")


def run(args: argparse.Namespace) -> int:
    from flows.common import opened_store  # imports Prefect: only once the arguments are good

    try:
        since = parse_moment(args.since) if args.since else None
        until = parse_moment(args.until, end_of_day=True) if args.until else None
    except ValueError as exc:
        return _usage(str(exc))
    if since is not None and until is not None and since >= until:
        return _usage(f"--since {args.since} is not before --until {args.until}")
    try:
        settings = load_settings()
        entry_ids = [entry_id(load_watchlist(settings.watchlist_file), args.entry)] if args.entry else None
        source = source_name(load_sources(settings.sources_file), args.source) if args.source else None
    except VeilleError as exc:
        return _usage(str(exc))
    try:
        with opened_store(settings) as store:
            alerts = store.recent_alerts(entry_ids=entry_ids, source=source, since=since, until=until, limit=args.limit)
            statuses = store.delivery_statuses(a.alert_id for a in alerts)
    except VeilleError as exc:
        print(f"veille alerts: {mask_urls(str(exc))}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(alert_records(alerts, statuses), indent=2))
    elif not alerts:
        print("No alert" + (" matches these filters." if _filtered(args) else " yet."))
    else:
        print("\n".join(alert_table(alerts, statuses, shutil.get_terminal_size().columns)))
        if len(alerts) == args.limit:
            print(f"(the latest {plural(len(alerts), 'alert')}; --limit N shows more)")
    return 0


def entry_id(watchlist: WatchList, wanted: str) -> str:
    """The id of the entry `wanted` names (its id, or its name in any case). Raises ConfigError."""
    for entry in watchlist.entries:
        if wanted == entry.id or wanted.casefold() == entry.name.casefold():
            return entry.id
    names = {entry.name: entry.id for entry in watchlist.entries} | {entry.id: entry.id for entry in watchlist.entries}
    raise ConfigError(f"--entry: no watched entry {wanted!r}{did_you_mean(wanted, names)}")


def source_name(sources: SourcesConfig, wanted: str) -> str:
    """The configured source `wanted` names: its full name (feed:NAME, folder:LABEL) or a feed's or
    folder's short name. Raises ConfigError."""
    names = [f.source_name for f in sources.folders] + [f.source_name for f in sources.feeds]
    for name in names:
        if wanted in (name, name.partition(":")[2]):
            return name
    short = {name.partition(":")[2]: name for name in names} | {name: name for name in names}
    raise ConfigError(f"--source: no configured source {wanted!r}{did_you_mean(wanted, short)}")


def _filtered(args: argparse.Namespace) -> bool:
    return any((args.entry, args.source, args.since, args.until))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _usage(message: str) -> int:
    print(f"veille alerts: {mask_urls(message)}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.alerts", description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
