"""Prefect's settings for a machine that may be offline, given where Veille starts Prefect.

Not an import side effect: Prefect reads its settings once, when it is first imported, so defaults
set by importing a module of ours only worked when that import came first (an import re-ordering
once broke them). Instead each entry point runs under `offline_defaults()`, and a process Veille
starts (the Prefect server, the served deployments) is given `with_offline_defaults(...)` as its
environment. A value the user's environment sets always wins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

OFFLINE_DEFAULTS: Mapping[str, str] = {
    # This machine (and many a user's) is offline: no telemetry, and no errors about it.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # A one-shot run starts a throw-away server; its access log is noise.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    # Its first start creates its database, which takes longer than Prefect's 20 s default here.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def with_offline_defaults(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the defaults it does not set itself: the environment of a process Veille starts."""
    return {**OFFLINE_DEFAULTS, **environ}


@contextmanager
def offline_defaults(server: Mapping[str, str] | None = None) -> Iterator[None]:
    """This process under the defaults its environment does not set, and `server`'s Prefect settings.

    Prefect's own settings as temporary settings (the throw-away server it starts inherits them),
    DO_NOT_TRACK in the environment (Prefect reads it at each telemetry event). `server`: where the
    runs are recorded (flows/prefect_home.py choose_server).
    """
    import prefect.settings
    from prefect.settings import temporary_settings

    os.environ.setdefault("DO_NOT_TRACK", OFFLINE_DEFAULTS["DO_NOT_TRACK"])
    updates = {
        getattr(prefect.settings, name): value
        for name, value in {**OFFLINE_DEFAULTS, **(server or {})}.items()
        if name.startswith("PREFECT_") and name not in os.environ
    }
    with temporary_settings(updates=updates):
        yield
