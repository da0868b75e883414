"""`veille map`: an HTML map of the watched places mentioned in the last days, written to the data folder.

    veille map                      the last 7 days, to DATA_DIR/map.html
    veille map --days 30 --output /tmp/syrie.html

A circle per place, sized by its mentions; its popup lists its articles (title, linked when the article
is on the web; date; source). A place without coordinates in the watch list is placed by the gazetteer
(GeoNames) when it finds it, else listed under the map as not placed. Written with no network; opened,
only the map tiles (OpenStreetMap) need it. Exit codes: 0 written, 1 the database or the disk failed,
2 a bad argument or configuration. The digest flow writes the same map after each run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from veille.errors import StoreError, VeilleError
from veille.geomap import MapPlan, plan_map, render_map
from veille.interfaces import Store
from veille.redact import mask_urls
from veille.settings import Settings, load_settings
from veille.watchlist import WatchList, load_watchlist

DEFAULT_DAYS = 7
MAX_DAYS = 3660
# The window takes in now itself: an article first seen at this very moment is on the map.
_NOW_INCLUDED = timedelta(seconds=1)


def map_plan(store: Store, watchlist: WatchList, now: datetime, days: int) -> MapPlan:
    """What the map of the last `days` days up to `now` shows; only mentions that alert count (not doubtful)."""
    places = [entry for entry in watchlist.entries if entry.kind == "place"]
    since, until = now - timedelta(days=days), now + _NOW_INCLUDED
    thresholds = {entry.id: watchlist.threshold(entry) for entry in places}
    mentioned = store.mentioned_articles([entry.id for entry in places], since, until, thresholds)
    return plan_map(places, mentioned, since, now)


def write_map(store: Store, watchlist: WatchList, settings: Settings, days: int, output: Path | None = None) -> Path:
    """The map written (atomically) to `output`, by default the data folder's map.html; its path.
    Raises StoreError when the database or the disk fails."""
    path = output if output is not None else settings.map_file
    page = render_map(map_plan(store, watchlist, settings.clock(), days))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(page)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"cannot write the map to {path}: {exc.strerror or exc}") from exc
    return path


def write_run_map(store: Store, watchlist: WatchList, settings: Settings) -> str | None:
    """The map of the week's places (as `veille map` writes it) in the data folder, for a run's summary to
    name; its path, or None when it could not be written: logged, never a failed run (the map is a view)."""
    from prefect import get_run_logger

    from veille.sanitize import loggable

    try:
        return str(write_map(store, watchlist, settings, DEFAULT_DAYS))
    except Exception as exc:
        get_run_logger().warning("could not write the map: %s", loggable(mask_urls(str(exc)) or type(exc).__name__))
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=_days, default=DEFAULT_DAYS, help="how far back, in days (default 7)")
    parser.add_argument("--output", type=Path, metavar="PATH", help="where to write it (default DATA_DIR/map.html)")


def run(args: argparse.Namespace) -> int:
    from flows.common import opened_store  # imports Prefect: only once the configuration is good

    try:
        settings = load_settings()
        watchlist = load_watchlist(settings.watchlist_file)
    except VeilleError as exc:
        print(f"veille map: {mask_urls(str(exc))}", file=sys.stderr)
        return 2
    try:
        with opened_store(settings) as store:
            path = write_map(store, watchlist, settings, args.days, args.output)
    except VeilleError as exc:
        print(f"veille map: {mask_urls(str(exc))}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DAYS}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.map", description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
