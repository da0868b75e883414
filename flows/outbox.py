"""`veille outbox`: the operator's view of deliveries not sent, and what to do with a target's.

A target whose URL changed in what identifies it (a rotated token, another chat) is a new target:
the old one's deliveries wait for it, "orphaned". `list` shows them, `retarget OLD NEW` moves them to
a configured target (sent by the next run), `drop OLD --yes` deletes them. A target is named by the
start of its key (as `list` shows it) or by its label.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from flows.common import Configuration, load_configuration, open_store
from flows.environment import offline_defaults
from flows.prefect_home import command_line_server
from veille.errors import VeilleError
from veille.interfaces import Store
from veille.records import TargetRef
from veille.redact import mask_urls
from veille.summary import plural

KEY_SHOWN = 12
_MIN_PREFIX = 4


class OutboxError(VeilleError):
    """A target the operator named that cannot be used; the message says why, in one line."""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m flows.outbox`, the same as `veille outbox`."""
    parser = argparse.ArgumentParser(prog="python -m flows.outbox")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    try:
        with offline_defaults(command_line_server()):  # the Secret block is read through Prefect
            config, complete = _configuration()
        if args.command != "list" and not complete:
            raise OutboxError(
                "the targets of the Prefect Secret block cannot be read (is the Prefect server up?): "
                "retarget and drop need every configured target"
            )
        store = open_store(config.settings)
        try:
            # Rows keyed the way of an earlier version are named by their target's key, as a run would.
            store.rename_targets(config.notifier.legacy_keys())
            lines, code = _COMMANDS[args.command](store, config, args)
        finally:
            store.close()
    except VeilleError as exc:
        print(f"veille outbox: {mask_urls(str(exc))}", file=sys.stderr)
        # A target the operator mistyped is a usage error; a database that fails, a failed run.
        return 2 if isinstance(exc, OutboxError) else 1
    if not complete:
        lines.insert(
            0, "warning: the targets of the Prefect Secret block could not be read; their deliveries show as orphaned"
        )
    print("\n".join(lines))
    return code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.splitlines()[0]
    named = (
        "A target is named by the start of its key (at least 4 characters, as 'list' shows it) or by its whole label."
    )
    parser.epilog = f"{named}\n\n{parser.epilog}" if parser.epilog else named
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "list",
        help="deliveries not sent, by target: orphaned or configured, waiting, failed, "
        "oldest; and the alerts that reached no target",
    )
    retarget = commands.add_parser(
        "retarget",
        help="move the pending, failed and queued deliveries of OLD to the configured target NEW, attempts "
        "reset: sent by the next run (queued ones by the next digest)",
    )
    retarget.add_argument("old", metavar="OLD")
    retarget.add_argument("new", metavar="NEW")
    retry = commands.add_parser(
        "retry", help="send the deliveries of TARGET that failed for good again: attempts reset, sent by the next run"
    )
    retry.add_argument("target", metavar="TARGET")
    drop = commands.add_parser("drop", help="delete the pending, failed and queued deliveries of OLD (no undo)")
    drop.add_argument("old", metavar="OLD")
    drop.add_argument("--yes", action="store_true", help="really delete them; without it, only say how many")


def _configuration() -> tuple[Configuration, bool]:
    """The configuration, and whether the Secret block's targets are in it."""
    try:
        return load_configuration(), True
    except VeilleError:
        raise
    except Exception:  # the Prefect server that holds the Secret block is out of reach
        return load_configuration(with_blocks=False), False


def _list(store: Store, config: Configuration, _args: argparse.Namespace) -> tuple[list[str], int]:
    backlog = store.backlog()
    unrouted = store.unrouted_count()
    lines = []
    if backlog:
        lines.append(
            f"{'KEY':<{KEY_SHOWN}}  {'TARGET':<8}  {'WAITING':>7}  {'QUEUED':>6}  {'FAILED':>6}  {'OLDEST':<20}  LABEL"
        )
    for target in backlog:
        state = "config" if config.notifier.has_target(target.key) else "orphaned"
        lines.append(
            f"{target.key[:KEY_SHOWN]:<{KEY_SHOWN}}  {state:<8}  {target.waiting:>7}  {target.queued:>6}  "
            f"{target.failed:>6}  {target.oldest:%Y-%m-%d %H:%M} UTC      {target.label}"
        )
    if not backlog:
        lines.append("No delivery waits: every delivery was sent.")
    for held in store.held_counts(config.settings.clock()):
        waiting = "held" if held.status == "pending" else "queued for the next digest run"
        lines.append(f"{held.count} {waiting}: {held.reason}")
    digested = store.delivery_counts().get("digested", 0)
    if digested:
        lines.append(f"{plural(digested, 'delivery', 'deliveries')} went out inside a digest (digested).")
    orphaned = [t for t in backlog if not config.notifier.has_target(t.key)]
    if orphaned:
        lines.append(
            f"{plural(len(orphaned), 'orphaned target')}: 'retarget OLD NEW' moves their deliveries to a configured "
            "target, 'drop OLD --yes' deletes them."
        )
    if unrouted:
        lines.append(
            f"{plural(unrouted, 'alert')} reached no target: sent when a target with one of their tags is configured."
        )
    return lines, 0


def _retarget(store: Store, config: Configuration, args: argparse.Namespace) -> tuple[list[str], int]:
    old = _stored_target(store, args.old)
    new = _configured_target(config, args.new)
    if old.key == new.key:
        raise OutboxError(f"OLD and NEW are the same target ({new.label})")
    result = store.retarget(old.key, new.key, new.label, config.settings.clock())
    lines = [
        f"moved {plural(result.moved, 'delivery', 'deliveries')} from {old.label} [{old.key[:KEY_SHOWN]}] "
        f"to {new.label} "
        f"[{new.key[:KEY_SHOWN]}]: attempts reset, sent by the next run"
    ]
    if result.kept:
        lines.append(
            f"{result.kept} left with {old.label}: {new.label} already has their alerts "
            f"('drop {old.key[:KEY_SHOWN]} --yes' deletes them)"
        )
    return lines, 0


def _retry(store: Store, config: Configuration, args: argparse.Namespace) -> tuple[list[str], int]:
    target = _configured_target(config, args.target)
    retried = store.retry_failed(target.key, config.settings.clock())
    if not retried:
        return [f"no delivery to {target.label} [{target.key[:KEY_SHOWN]}] failed for good: nothing to retry"], 0
    return [
        f"{plural(retried, 'delivery', 'deliveries')} to {target.label} [{target.key[:KEY_SHOWN]}] "
        "made due again, attempts reset: sent by the next run"
    ], 0


def _drop(store: Store, _config: Configuration, args: argparse.Namespace) -> tuple[list[str], int]:
    old = _stored_target(store, args.old)
    counts = store.movable_counts(old.key)
    total = sum(counts.values())
    detail = f"{counts.get('pending', 0)} pending, {counts.get('failed', 0)} failed" + (
        f", {counts['queued']} queued" if counts.get("queued") else ""
    )
    if not args.yes:
        return [
            f"would drop {plural(total, 'delivery', 'deliveries')} ({detail}) of {old.label} "
            f"[{old.key[:KEY_SHOWN]}], with no undo: "
            f"run again with --yes to drop them"
        ], 2
    dropped = store.drop_deliveries(old.key)
    return [f"dropped {plural(dropped, 'delivery', 'deliveries')} ({detail}) of {old.label} [{old.key[:KEY_SHOWN]}]"], 0


def _stored_target(store: Store, name: str) -> TargetRef:
    return _one(name, store.target_keys(), "no delivery goes to a target named")


def _configured_target(config: Configuration, name: str) -> TargetRef:
    known = {target.key: target.label for target in config.notifier.targets}
    return _one(name, known, "no configured target is named")


def _one(name: str, known: dict[str, str], none_found: str) -> TargetRef:
    """The one target `name` (a key's start, or a whole label) designates among `known` (key to label)."""
    by_label = [key for key, label in known.items() if label == name]
    by_key = [key for key in known if len(name) >= _MIN_PREFIX and key.startswith(name.lower())]
    found = by_label or by_key
    # The name is what the operator typed: it may be a URL with its token, so it is shown masked.
    shown = mask_urls(name)
    if not found:
        raise OutboxError(
            f"{none_found} {shown!r} (see 'veille outbox list'; a key's start has at least {_MIN_PREFIX} characters)"
        )
    if len(found) > 1:
        raise OutboxError(
            f"{shown!r} names {len(found)} targets ({', '.join(k[:KEY_SHOWN] for k in found)}): give more of the key"
        )
    return TargetRef(found[0], known[found[0]])


_COMMANDS = {"list": _list, "retarget": _retarget, "retry": _retry, "drop": _drop}

if __name__ == "__main__":
    sys.exit(main())
